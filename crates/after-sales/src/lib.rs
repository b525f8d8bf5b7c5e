//! After-sales (客戶服務與售後): the customer-service side of an office. This
//! first part holds the service levels every deadline is counted against —
//! working calendars ([`calendars`], with the arithmetic in [`working_time`])
//! and the response and resolution times per request type, priority and
//! channel ([`service_levels`]) — and the inquiries, complaints and suggestions
//! they time ([`requests`]), escalated up the chain when a deadline is near or
//! past ([`escalation`]), and the indicators appraisal and risk read
//! ([`indicators`]). The repair chain, return visits, satisfaction
//! surveys and the knowledge base follow. Customers are read from the sales
//! pipeline through [`facts`].

pub mod calendars;
pub(crate) mod common;
pub mod demo;
pub mod escalation;
pub mod facts;
pub mod indicators;
pub mod knowledge;
pub mod requests;
pub mod service_levels;
pub mod surveys;
pub mod tickets;
pub mod visits;
pub mod warranty;
pub mod working_time;

use utoipa_actix_web::service_config::ServiceConfig;

/// Mounts the after-sales routes (under the gateway's `/api/v1`).
pub fn configure(cfg: &mut ServiceConfig) {
    calendars::configure(cfg);
    service_levels::configure(cfg);
    requests::api::configure(cfg);
    warranty::configure(cfg);
    tickets::api::configure(cfg);
    visits::api::configure(cfg);
    visits::follow_ups::configure(cfg);
    knowledge::api::configure(cfg);
    surveys::templates::configure(cfg);
    surveys::api::configure(cfg);
    surveys::results::configure(cfg);
    surveys::improvements::configure(cfg);
    indicators::configure(cfg);
}

/// The after-sales documents the approval engine routes: repair quotations.
pub fn documents() -> Vec<std::sync::Arc<dyn workflow::ApprovalDocument>> {
    vec![std::sync::Arc::new(tickets::quotes::QuoteDocument)]
}
