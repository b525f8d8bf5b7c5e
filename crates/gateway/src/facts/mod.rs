//! The gateway's adapters from one domain's facts to the traits another domain
//! declares for them (domain crates never depend on each other): one file per
//! consuming domain.

pub mod after_sales;
pub mod finance;
pub mod personnel;
pub mod risk;
