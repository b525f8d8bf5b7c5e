//! The sales pipeline (市場與銷售): everything an office does to win and keep
//! customers. This first part holds the customer files — the record after-sales,
//! finance and risk will lean on — with contacts, the interaction log, key-account
//! rules, search and merging of duplicates.

pub mod customers;
pub mod demo;
pub mod uscc;

use utoipa_actix_web::service_config::ServiceConfig;

/// Mounts the sales routes (under the gateway's `/api/v1`).
pub fn configure(cfg: &mut ServiceConfig) {
    customers::configure(cfg);
}
