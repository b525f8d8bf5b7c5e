//! The facts risk reads from other domains, wired to the crates that own
//! them: receivables, credit and a customer's credit facts and terms (sales
//! pipeline), budgets and
//! claims (finance), complaints and timeliness (after-sales), attendance
//! (personnel, not recorded yet).

use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use kernel::ApiError;
use risk::facts::{
    AttendanceRiskFacts, Credit, CustomerCredit, FinanceRiskFacts, Receivables, SalesRiskFacts,
    ServiceRiskFacts, Sources,
};
use store::AnyConnection;

/// Sales facts for risk.
pub struct SalesPosition;

impl SalesRiskFacts for SalesPosition {
    fn customer_credit(
        &self,
        conn: &mut AnyConnection,
        office_id: i64,
        customer_id: i64,
        as_of: NaiveDate,
    ) -> Result<Option<CustomerCredit>, ApiError> {
        Ok(
            sales_pipeline::facts::customer_credit(conn, office_id, customer_id, as_of)?.map(|c| {
                CustomerCredit {
                    classification: c.classification,
                    credit_limit: c.credit_limit,
                    payment_terms_days: c.payment_terms_days,
                    credit_rating: c.credit_rating,
                    customer_since: c.customer_since.date(),
                    instalments_due: c.instalments_due,
                    paid_on_time: c.paid_on_time,
                    max_days_overdue: c.max_days_overdue,
                    exposure: c.exposure,
                    orders_last_year: c.orders_last_year,
                }
            }),
        )
    }

    fn set_credit_terms(
        &self,
        conn: &mut AnyConnection,
        actor: &kernel::Actor,
        customer_id: i64,
        limit: i64,
        terms_days: i32,
        rating: &str,
    ) -> Result<(i64, i32, Option<String>), ApiError> {
        sales_pipeline::facts::set_credit_terms(conn, actor, customer_id, limit, terms_days, rating)
    }

    fn receivables(
        &self,
        conn: &mut AnyConnection,
        offices: Option<&[i64]>,
        as_of: NaiveDate,
    ) -> Result<Receivables, ApiError> {
        let r = sales_pipeline::facts::receivables_position(conn, offices, as_of)?;
        Ok(Receivables {
            outstanding: r.outstanding,
            overdue: r.overdue,
            over_90_days: r.over_90_days,
        })
    }

    fn credit(
        &self,
        conn: &mut AnyConnection,
        offices: Option<&[i64]>,
    ) -> Result<Credit, ApiError> {
        let (over_limit, key_account_exposure) =
            sales_pipeline::facts::credit_position(conn, offices)?;
        Ok(Credit {
            over_limit,
            key_account_exposure,
        })
    }
}

/// Finance facts for risk.
pub struct FinancePosition;

impl FinanceRiskFacts for FinancePosition {
    fn budget_categories_over(
        &self,
        conn: &mut AnyConnection,
        offices: Option<&[i64]>,
        as_of: NaiveDate,
    ) -> Result<i64, ApiError> {
        finance::budgets::report::categories_over(conn, offices, as_of)
    }

    fn claims_over_budget(
        &self,
        conn: &mut AnyConnection,
        offices: Option<&[i64]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<i64, ApiError> {
        finance::budgets::report::claims_over_budget(conn, offices, from, to)
    }
}

/// After-sales facts for risk.
pub struct ServicePosition;

impl ServiceRiskFacts for ServicePosition {
    fn complaints_past_deadline(
        &self,
        conn: &mut AnyConnection,
        offices: Option<&[i64]>,
        now: NaiveDateTime,
    ) -> Result<i64, ApiError> {
        after_sales::indicators::complaints_past_deadline(conn, offices, now)
    }

    fn resolution_timeliness_bp(
        &self,
        conn: &mut AnyConnection,
        offices: Option<&[i64]>,
        from: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<Option<i64>, ApiError> {
        after_sales::indicators::resolution_timeliness_bp(conn, offices, from, now)
    }
}

/// Personnel records no attendance yet: the absence rate has no value, and
/// an indicator on it is evaluated to nothing until it does.
pub struct NoAttendanceYet;

impl AttendanceRiskFacts for NoAttendanceYet {
    fn absence_rate_bp(
        &self,
        _conn: &mut AnyConnection,
        _offices: Option<&[i64]>,
        _from: NaiveDate,
        _to: NaiveDate,
    ) -> Result<Option<i64>, ApiError> {
        Ok(None)
    }
}

/// Every source risk reads.
pub fn sources() -> Sources {
    Sources {
        sales: Arc::new(SalesPosition),
        finance: Arc::new(FinancePosition),
        service: Arc::new(ServicePosition),
        attendance: Arc::new(NoAttendanceYet),
    }
}
