//! Risk (風險管理): the risk register of the offices, the regions and the
//! company ([`register`]), graded by bands HQ sets ([`bands`]), answered by
//! responses and worked down by measures ([`measures`]), and drawn as the
//! risk matrix ([`matrix`]); indicators over the company's own data that
//! raise early warnings ([`indicators`], reading other domains through
//! [`facts`]); customer credit evaluations that set a customer's limit and
//! terms through approval ([`credit`]). Who sees a record of an office, a region or the
//! company is written once, in [`scope`].

pub mod bands;
pub(crate) mod common;
pub mod credit;
pub mod demo;
pub mod facts;
pub mod indicators;
pub mod matrix;
pub mod measures;
pub mod register;
pub mod scope;

use utoipa_actix_web::service_config::ServiceConfig;

/// Mounts the risk routes (under the gateway's `/api/v1`).
pub fn configure(cfg: &mut ServiceConfig) {
    bands::configure(cfg);
    register::api::configure(cfg);
    register::decisions::configure(cfg);
    measures::configure(cfg);
    matrix::configure(cfg);
    indicators::api::configure(cfg);
    indicators::warnings::configure(cfg);
    credit::api::configure(cfg);
}

/// The risk documents the approval engine routes: decisions on risks, and
/// credit evaluations (whose approval puts the terms on the customer through
/// `sources`).
pub fn documents(sources: &facts::Sources) -> Vec<std::sync::Arc<dyn workflow::ApprovalDocument>> {
    vec![
        std::sync::Arc::new(register::decisions::DecisionDocument),
        std::sync::Arc::new(credit::approval::EvaluationDocument {
            sales: sources.sales.clone(),
        }),
    ]
}
