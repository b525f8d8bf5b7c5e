//! Finance (財務管理). This first part holds expense claims (費用報銷): a claim
//! carries its invoices (真實、合法、有效), goes through the seeds' chain —
//! preliminary review by the operations specialist, department head, office
//! director, HQ finance's final review — and is paid once approved; expenses above
//! the large-amount line need an HQ pre-approval before the money is spent, which
//! the claim then references. Budgets follow, then fixed assets — purchase requests
//! approved before buying, the register, assignment and return, maintenance,
//! depreciation, stocktakes and disposal — and office supplies with their ledger
//! and stocktakes.

pub mod adjustments;
pub mod asset_purchases;
pub mod assets;
pub mod assignments;
pub mod budgets;
pub mod claims;
pub(crate) mod common;
pub mod demo;
pub mod facts;
pub mod maintenance;
pub mod stocktakes;
pub mod supplies;
pub mod supply_stocktakes;

use std::sync::Arc;

use utoipa_actix_web::service_config::ServiceConfig;
use workflow::ApprovalDocument;

/// Mounts the finance routes (under the gateway's `/api/v1`).
pub fn configure(cfg: &mut ServiceConfig) {
    claims::configure(cfg);
    budgets::configure(cfg);
    adjustments::configure(cfg);
    supplies::configure(cfg);
    assets::configure(cfg);
    stocktakes::configure(cfg);
    asset_purchases::configure(cfg);
    assignments::configure(cfg);
    maintenance::configure(cfg);
    supply_stocktakes::configure(cfg);
}

/// The document types finance puts through the approval engine.
pub fn documents() -> Vec<Arc<dyn ApprovalDocument>> {
    vec![
        Arc::new(claims::ClaimDocument),
        Arc::new(claims::PreApprovalDocument),
        Arc::new(budgets::BudgetDocument),
        Arc::new(adjustments::AdjustmentDocument),
        Arc::new(assets::DisposalDocument),
        Arc::new(stocktakes::StocktakeDocument),
        Arc::new(asset_purchases::PurchaseDocument),
    ]
}
