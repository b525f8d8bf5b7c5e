//! The one portable schema both backends share: BigInt ids, Text enums and JSON,
//! BigInt money in minor units, UTC `Timestamp`s. Each backend's migration folder
//! creates exactly these tables.
//!
//! One file per domain; every table is re-exported here, so `store::schema::x`
//! names any table.

mod after_sales;
mod finance;
mod org;
mod personnel;
mod risk;
mod sales;
mod workflow;

pub use after_sales::*;
pub use finance::*;
pub use org::*;
pub use personnel::*;
pub use risk::*;
pub use sales::*;
pub use workflow::*;
