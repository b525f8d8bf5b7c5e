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

/// Submits document `$id` of `$doc_type` to the engine and keeps the approval on
/// the document's own row (`$table::approval_id`), with the other changes
/// submission makes (`set = (…)`: its status, version…), in the caller's
/// transaction: yields `Result<$row>`, the row after. The one way a domain
/// starts an approval, so no document type forgets to keep the link.
#[macro_export]
macro_rules! submit_and_keep {
    ($conn:expr, $registry:expr, $doc_type:expr, $table:ident, $row:ty, $id:expr, $actor:expr $(, set = ($($set:expr),+ $(,)?))?) => {{
        (|| -> Result<$row, kernel::ApiError> {
            let instance = $crate::engine::submit($conn, $registry, $doc_type, $id, $actor)?;
            store::DbResultExt::api(
                diesel::update($table::table.find($id))
                    .set(($table::approval_id.eq(Some(instance.id)), $($($set,)+)?))
                    .returning($table::all_columns)
                    .get_result::<$row>($conn),
            )
        })()
    }};
}
