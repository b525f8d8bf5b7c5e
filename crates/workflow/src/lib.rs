//! The one approval engine every document that needs a sign-off goes through:
//! policies configured as data per document type (HQ default, office overrides),
//! chains resolved at submission and kept with the document, decisions with
//! self-approval and same-approver rules, acting approvers, deadlines with
//! escalation, and the inbox. Domains plug in by implementing
//! [`engine::ApprovalDocument`]; none writes approval logic of its own.

pub mod api;
pub mod engine;
pub mod office_requests;
pub mod policy;
pub mod visibility;

use utoipa_actix_web::service_config::ServiceConfig;

pub use engine::{
    ApprovalDocument, Decide, DocumentInfo, Instance, Registry, escalate_overdue, submit,
};
pub use policy::{Approver, Condition, PolicyDef, StepDef};

/// Mounts the engine's routes and the office requests (under `/api/v1`).
pub fn configure(cfg: &mut ServiceConfig) {
    api::configure(cfg);
    office_requests::configure(cfg);
}

/// The registry of the document types this crate owns; the gateway adds the
/// domains' own.
pub fn registry() -> Registry {
    Registry::default().with(office_requests::document())
}
