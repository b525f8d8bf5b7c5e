//! The facts finance reads from other domains. Domain crates never depend on
//! each other: finance declares what it needs here, and the gateway wires the
//! owning domain's functions in.

use std::sync::Arc;

use chrono::NaiveDate;
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

/// A business trip, as finance needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trip {
    pub id: i64,
    pub office_id: i64,
    pub traveller_user_id: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Approved before the trip (or approved and since reported).
    pub approved: bool,
}

/// What finance reads of personnel: the business trips travel expenses are
/// claimed against.
pub trait TripFacts: Send + Sync {
    fn trip(&self, conn: &mut AnyConnection, trip_id: i64) -> Result<Option<Trip>, ApiError>;
    /// The approved trips of a user whose dates cover `on`.
    fn trips_covering(
        &self,
        conn: &mut AnyConnection,
        user_id: i64,
        on: NaiveDate,
    ) -> Result<Vec<Trip>, ApiError>;
}

/// App data: the gateway registers one.
pub type Trips = Arc<dyn TripFacts>;
