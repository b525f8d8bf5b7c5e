//! The sales pipeline (市場與銷售): everything an office does to win and keep
//! customers — customer files, market research and competitors, expansion plans,
//! promotion campaigns, leads and opportunities, quotations, contracts with their
//! payment schedules, orders, collections and dunning, targets, and the analyses.
//! Other domains read its facts through [`facts`].

pub mod analysis;
pub mod collections;
pub mod common;
pub mod contracts;
pub mod customers;
pub mod demo;
pub mod demo_pipeline;
pub mod facts;
pub mod leads;
pub mod market;
pub mod orders;
pub mod quotations;
pub mod targets;
pub mod uscc;

use std::sync::Arc;

use utoipa_actix_web::service_config::ServiceConfig;
use workflow::ApprovalDocument;

/// Mounts the sales routes (under the gateway's `/api/v1`).
pub fn configure(cfg: &mut ServiceConfig) {
    customers::configure(cfg);
    market::configure(cfg);
    leads::configure(cfg);
    quotations::configure(cfg);
    contracts::configure(cfg);
    orders::configure(cfg);
    collections::configure(cfg);
    targets::configure(cfg);
    analysis::configure(cfg);
}

/// The sales documents that go through the approval engine.
pub fn documents() -> Vec<Arc<dyn ApprovalDocument>> {
    vec![
        Arc::new(contracts::ContractDocument),
        Arc::new(contracts::AmendmentDocument),
        Arc::new(orders::CreditOverrideDocument),
        Arc::new(market::ExpansionPlanDocument),
        Arc::new(targets::SalesPlanDocument),
    ]
}
