//! Leads and opportunities (潛在客戶、銷售線索): a lead is sourced (often by a
//! campaign), followed up, and converted into an opportunity for a customer. An
//! opportunity moves through the stages initial contact → needs analysis →
//! solution → quotation → negotiation → won, or is lost with a reason. Every
//! stage change is kept; a won opportunity names its signed contract.
//!
//! `lead` holds the leads and their conversion, `opportunities` the
//! opportunities, and `stages` the stage machine: which moves are allowed, what
//! a won or lost opportunity needs, and the stage history. This file mounts
//! their routes.

mod lead;
mod opportunities;
mod stages;

use utoipa_actix_web::service_config::ServiceConfig;

pub use lead::{ConvertLead, CreateLead, Lead, LeadStatus, ListLeads, UpdateLead};
pub use opportunities::{
    CreateOpportunity, ListOpportunities, Opportunity, UpdateOpportunity, open,
};
pub use stages::{MoveStage, OPEN_STAGES, Stage, StageChange, move_stage_to};

pub fn configure(cfg: &mut ServiceConfig) {
    lead::configure(cfg);
    opportunities::configure(cfg);
}
