//! What after-sales reads from other domains, as small traits the gateway
//! wires to the crates that own the facts (domain crates never depend on each
//! other): the customers and contacts a request names and the orders an office
//! took, and the order a serviced unit came from, from the sales pipeline.

use std::sync::Arc;

use kernel::ApiError;
use store::AnyConnection;

/// Customer facts for after-sales.
pub trait SalesFacts: Send + Sync {
    /// Whether `customer_id` is an active customer of `office_id` (one merged
    /// away, of another office, or unknown: `false` alike).
    fn active_customer(
        &self,
        conn: &mut AnyConnection,
        office_id: i64,
        customer_id: i64,
    ) -> Result<bool, ApiError>;

    /// Whether `contact_id` is a contact of `customer_id`.
    fn is_contact_of(
        &self,
        conn: &mut AnyConnection,
        customer_id: i64,
        contact_id: i64,
    ) -> Result<bool, ApiError>;

    /// How many orders `office_id` took (not cancelled) from `from` to `to`,
    /// both included: the base of complaints per 100 orders.
    fn orders_between(
        &self,
        conn: &mut AnyConnection,
        office_id: i64,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<i64, ApiError>;

    /// An order of `office_id` a unit came from, not cancelled (`None`:
    /// cancelled, of another office, or unknown alike).
    fn order_for_service(
        &self,
        conn: &mut AnyConnection,
        office_id: i64,
        order_id: i64,
    ) -> Result<Option<ServiceOrder>, ApiError>;

    /// The active customers of `office_id`, oldest first; with
    /// `classification` (`potential`, `intent`, `key_account`), only those.
    fn active_customers(
        &self,
        conn: &mut AnyConnection,
        office_id: i64,
        classification: Option<&str>,
    ) -> Result<Vec<i64>, ApiError>;
}

/// What a service ticket reads of the order its unit came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceOrder {
    pub customer_id: i64,
    pub currency: String,
    /// The day the order was installed, if it was: the warranty runs from it.
    pub installed_on: Option<chrono::NaiveDate>,
    /// The products on its lines.
    pub products: Vec<String>,
}

/// App data holding the sales facts.
pub type Sales = Arc<dyn SalesFacts>;
