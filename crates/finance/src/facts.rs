//! The facts finance reads from other domains. Domain crates never depend on
//! each other: finance declares what it needs here, and the gateway wires the
//! owning domain's functions in.

use std::sync::Arc;

use kernel::ApiError;
use store::AnyConnection;

/// What finance reads of the sales domain.
pub trait SalesFacts: Send + Sync {
    /// Payments received from customers by an office in each month (1–12) of
    /// `year`, minor units; months without receipts may be left out.
    fn receipts_by_month(
        &self,
        conn: &mut AnyConnection,
        office_id: i64,
        year: i32,
    ) -> Result<Vec<(u32, i64)>, ApiError>;
}

/// App data: the gateway registers one.
pub type Sales = Arc<dyn SalesFacts>;
