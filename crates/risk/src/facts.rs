//! What risk reads from other domains, as small traits the gateway wires to
//! the crates that own the facts (domain crates never depend on each other).
//! Each method is one SQL query over the offices named (`None`: every
//! office); an indicator's metric ([`crate::indicators::Metric`]) is read
//! through exactly one of them.

use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use kernel::ApiError;
use store::AnyConnection;

/// Receivables on signed contracts as of a day, minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Receivables {
    /// Everything still owed.
    pub outstanding: i64,
    /// Owed on instalments due on or before the day.
    pub overdue: i64,
    /// Owed on instalments more than 90 days past due.
    pub over_90_days: i64,
}

/// Customers' credit, now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Credit {
    /// Active customers whose exposure (orders not cancelled less payments)
    /// is above their credit limit.
    pub over_limit: i64,
    /// The exposure of the active key accounts, minor units.
    pub key_account_exposure: i64,
}

/// What a credit evaluation reads of one customer, as of a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerCredit {
    pub classification: String,
    pub credit_limit: i64,
    pub payment_terms_days: i32,
    pub credit_rating: Option<String>,
    /// The day the customer file was opened.
    pub customer_since: NaiveDate,
    /// Instalments of signed contracts due in the last two years.
    pub instalments_due: i64,
    /// Of those, paid in full by their due day.
    pub paid_on_time: i64,
    /// The most days an unpaid instalment is past due (0: none).
    pub max_days_overdue: i64,
    /// Orders not cancelled less payments, minor units.
    pub exposure: i64,
    /// Orders not cancelled of the last 365 days, minor units.
    pub orders_last_year: i64,
}

/// Sales facts for risk.
pub trait SalesRiskFacts: Send + Sync {
    /// The credit facts of an active customer of the office (`None`: of
    /// another office, merged away or unknown alike).
    fn customer_credit(
        &self,
        conn: &mut AnyConnection,
        office_id: i64,
        customer_id: i64,
        as_of: NaiveDate,
    ) -> Result<Option<CustomerCredit>, ApiError>;

    /// Puts an approved evaluation's limit, terms and rating on the
    /// customer (audited by sales); returns the limit, terms and rating
    /// before.
    fn set_credit_terms(
        &self,
        conn: &mut AnyConnection,
        actor: &kernel::Actor,
        customer_id: i64,
        limit: i64,
        terms_days: i32,
        rating: &str,
    ) -> Result<(i64, i32, Option<String>), ApiError>;

    fn receivables(
        &self,
        conn: &mut AnyConnection,
        offices: Option<&[i64]>,
        as_of: NaiveDate,
    ) -> Result<Receivables, ApiError>;

    fn credit(&self, conn: &mut AnyConnection, offices: Option<&[i64]>)
    -> Result<Credit, ApiError>;
}

/// Finance facts for risk.
pub trait FinanceRiskFacts: Send + Sync {
    /// Budget categories (office × category of the year's active budgets)
    /// whose approved and paid claims exceed the budget, as of `as_of`.
    fn budget_categories_over(
        &self,
        conn: &mut AnyConnection,
        offices: Option<&[i64]>,
        as_of: NaiveDate,
    ) -> Result<i64, ApiError>;

    /// Expense claims flagged over budget, filed from `from` to `to`
    /// inclusive (drafts aside).
    fn claims_over_budget(
        &self,
        conn: &mut AnyConnection,
        offices: Option<&[i64]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<i64, ApiError>;
}

/// After-sales facts for risk.
pub trait ServiceRiskFacts: Send + Sync {
    /// Complaints not resolved whose resolution deadline has passed (their
    /// clock not stopped for the customer), at `now`.
    fn complaints_past_deadline(
        &self,
        conn: &mut AnyConnection,
        offices: Option<&[i64]>,
        now: NaiveDateTime,
    ) -> Result<i64, ApiError>;

    /// The share of requests received from `from` whose resolution deadline
    /// is decided by `now` that were resolved in time, basis points; `None`
    /// when none is decided.
    fn resolution_timeliness_bp(
        &self,
        conn: &mut AnyConnection,
        offices: Option<&[i64]>,
        from: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<Option<i64>, ApiError>;
}

/// Personnel facts for risk: attendance.
pub trait AttendanceRiskFacts: Send + Sync {
    /// Absent working days over working days due from `from` to `to`, basis
    /// points; `None` while attendance is not recorded.
    fn absence_rate_bp(
        &self,
        conn: &mut AnyConnection,
        offices: Option<&[i64]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Option<i64>, ApiError>;
}

/// Every source an indicator may read, as app data and for the evaluation
/// job.
#[derive(Clone)]
pub struct Sources {
    pub sales: Arc<dyn SalesRiskFacts>,
    pub finance: Arc<dyn FinanceRiskFacts>,
    pub service: Arc<dyn ServiceRiskFacts>,
    pub attendance: Arc<dyn AttendanceRiskFacts>,
}
