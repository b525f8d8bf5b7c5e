//! Service indicators (服務指標) of an office, or of one person there, over a
//! period: how many requests came in, the share whose first answer and whose
//! resolution were in time, breaches, the backlog at the period's end, the
//! customers' average satisfaction, complaints per 100 orders, and the
//! completion of return visits. Appraisal
//! weighs them ([004] 客戶服務人員考核: 「客戶咨詢與投訴處理及時率(30%)客戶滿意度(30%)…」)
//! and risk reads complaints past their deadline ([`office_indicators`]).
//!
//! One SQL statement over the office's requests and return visits, the same
//! on both backends;
//! the orders come from the sales pipeline through [`crate::facts`].

use actix_web::{HttpResponse, get, web};
use chrono::{Duration, NaiveDateTime};
use diesel::sql_types::{BigInt, Date, Timestamp};
use kernel::period::Period;
use kernel::responses::ReadErrors;
use kernel::{ApiError, Principal, ValidQuery};
use org::roles::SERVICE_READ;
use serde::{Deserialize, Serialize};
use store::{AnyConnection, Db};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::facts::Sales;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(service_indicators);
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    pub office_id: i64,
    /// A month (`2026-09`), quarter (`2026-Q3`) or year (`2026`).
    #[param(value_type = String, pattern = r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$", example = "2026-09")]
    pub period: Period,
    /// One person: the requests assigned to them.
    pub user_id: Option<i64>,
}

/// A share of requests whose deadline was met.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct Timeliness {
    /// Requests received in the period whose deadline is decided: met, or
    /// past (a clock stopped for the customer is not past).
    pub decided: i64,
    pub met: i64,
    /// `met / decided` in basis points (10000 = 100%); `null` with nothing decided.
    pub rate_bp: Option<i64>,
}

/// The indicators of an office (or one person there) over a period.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct ServiceIndicators {
    pub office_id: i64,
    pub user_id: Option<i64>,
    #[schema(value_type = String, example = "2026-09")]
    pub period: Period,
    /// Inquiries, complaints and suggestions received in the period.
    pub received: i64,
    pub complaints: i64,
    pub first_response: Timeliness,
    pub resolution: Timeliness,
    /// Requests received in the period with a deadline breached (met late, or
    /// past without being met).
    pub breached: i64,
    /// Requests received by the period's end and not resolved by then.
    pub backlog: i64,
    /// Requests closed in the period with the customer's rating.
    pub rated: i64,
    /// Their average, 1.00 to 5.00, as a decimal string; `null` with none.
    #[schema(example = "4.33")]
    pub average_satisfaction: Option<String>,
    /// The office's orders in the period (none for one person).
    pub orders: Option<i64>,
    /// Complaints per 100 orders, a decimal string; `null` without orders.
    #[schema(example = "1.25")]
    pub complaints_per_100_orders: Option<String>,
    /// Return visits due in the period (cancelled ones aside), for one
    /// person: assigned to them.
    pub return_visits_due: i64,
    /// Of those, done by the period's end.
    pub return_visits_done: i64,
    /// `done / due` in basis points; `null` with none due.
    pub return_visit_completion_bp: Option<i64>,
}

#[derive(diesel::QueryableByName)]
struct Counts {
    #[diesel(sql_type = BigInt)]
    received: i64,
    #[diesel(sql_type = BigInt)]
    complaints: i64,
    #[diesel(sql_type = BigInt)]
    response_decided: i64,
    #[diesel(sql_type = BigInt)]
    response_met: i64,
    #[diesel(sql_type = BigInt)]
    resolution_decided: i64,
    #[diesel(sql_type = BigInt)]
    resolution_met: i64,
    #[diesel(sql_type = BigInt)]
    breached: i64,
    #[diesel(sql_type = BigInt)]
    backlog: i64,
    #[diesel(sql_type = BigInt)]
    rated: i64,
    #[diesel(sql_type = BigInt)]
    satisfaction_sum: i64,
    #[diesel(sql_type = BigInt)]
    visits_due: i64,
    #[diesel(sql_type = BigInt)]
    visits_done: i64,
}

/// `part / whole` as a decimal string with two places, rounded half up.
fn decimal(part: i64, whole: i64) -> Option<String> {
    (whole > 0).then(|| {
        let hundredths = (part * 200 + whole) / (whole * 2);
        format!("{}.{:02}", hundredths / 100, hundredths % 100)
    })
}

fn timeliness(decided: i64, met: i64) -> Timeliness {
    Timeliness {
        decided,
        met,
        rate_bp: (decided > 0).then(|| met * 10_000 / decided),
    }
}

/// A request whose resolution clock stopped (waiting for the customer) before
/// its deadline passed: its deadline is not decided, and it is no breach.
const STOPPED: &str = "(status = 'waiting_customer' AND paused_since <= resolution_due_at)";

/// The indicators of `office_id` (or of `user_id` there) over `period`, as of
/// `now` (deadlines not yet due are not decided). The fact appraisal and risk
/// read.
pub fn office_indicators(
    conn: &mut AnyConnection,
    sales: &dyn crate::facts::SalesFacts,
    office_id: i64,
    user_id: Option<i64>,
    period: Period,
    now: NaiveDateTime,
) -> Result<ServiceIndicators, ApiError> {
    let from = period.first_day().and_hms_opt(0, 0, 0).unwrap_or_default();
    let to = period.last_day().and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::days(1);
    let as_of = now.min(to);
    // A request is "in" the period when received in it; a deadline is decided
    // once met or past as of `$4`, unless its clock stopped before it passed.
    let inp = "received_at >= $2 AND received_at < $3";
    let stopped = STOPPED;
    let (person, visitor) = if user_id.is_some() {
        (" AND assignee_user_id = $5", " AND v.assignee_user_id = $5")
    } else {
        ("", "")
    };
    // Return visits are counted by their day: due in the period, done by its
    // last day.
    let (first, last) = (period.first_day(), period.last_day());
    let sql = format!(
        "SELECT \
         CAST(COALESCE(SUM(CASE WHEN {inp} THEN 1 ELSE 0 END), 0) AS BIGINT) AS received, \
         CAST(COALESCE(SUM(CASE WHEN {inp} AND kind = 'complaint' THEN 1 ELSE 0 END), 0) AS BIGINT) AS complaints, \
         CAST(COALESCE(SUM(CASE WHEN {inp} AND (responded_at < $4 OR (responded_at IS NULL AND response_due_at < $4)) THEN 1 ELSE 0 END), 0) AS BIGINT) AS response_decided, \
         CAST(COALESCE(SUM(CASE WHEN {inp} AND responded_at < $4 AND responded_at <= response_due_at THEN 1 ELSE 0 END), 0) AS BIGINT) AS response_met, \
         CAST(COALESCE(SUM(CASE WHEN {inp} AND (resolved_at < $4 OR (resolved_at IS NULL AND resolution_due_at < $4 AND NOT {stopped})) THEN 1 ELSE 0 END), 0) AS BIGINT) AS resolution_decided, \
         CAST(COALESCE(SUM(CASE WHEN {inp} AND resolved_at < $4 AND resolved_at <= resolution_due_at THEN 1 ELSE 0 END), 0) AS BIGINT) AS resolution_met, \
         CAST(COALESCE(SUM(CASE WHEN {inp} AND (responded_at > response_due_at OR resolved_at > resolution_due_at \
              OR (responded_at IS NULL AND response_due_at < $4) \
              OR (resolved_at IS NULL AND resolution_due_at < $4 AND NOT {stopped})) THEN 1 ELSE 0 END), 0) AS BIGINT) AS breached, \
         CAST(COALESCE(SUM(CASE WHEN received_at < $3 AND (resolved_at IS NULL OR resolved_at >= $3) THEN 1 ELSE 0 END), 0) AS BIGINT) AS backlog, \
         CAST(COALESCE(SUM(CASE WHEN closed_at >= $2 AND closed_at < $3 AND satisfaction IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS rated, \
         CAST(COALESCE(SUM(CASE WHEN closed_at >= $2 AND closed_at < $3 AND satisfaction IS NOT NULL THEN satisfaction ELSE 0 END), 0) AS BIGINT) AS satisfaction_sum, \
         (SELECT COUNT(*) FROM return_visits v WHERE v.office_id = $1{visitor} AND v.due_on >= $6 AND v.due_on <= $7 AND v.status <> 'cancelled') AS visits_due, \
         (SELECT COUNT(*) FROM return_visits v WHERE v.office_id = $1{visitor} AND v.due_on >= $6 AND v.due_on <= $7 AND v.status = 'done' AND v.done_on <= $7) AS visits_done \
         FROM service_requests WHERE office_id = $1{person}"
    );
    let rows: Vec<Counts> = match user_id {
        Some(user) => store::load_sql!(conn, sql, Counts,
            BigInt => office_id, Timestamp => from, Timestamp => to, Timestamp => as_of, BigInt => user,
            Date => first, Date => last),
        None => store::load_sql!(conn, sql, Counts,
            BigInt => office_id, Timestamp => from, Timestamp => to, Timestamp => as_of, BigInt => 0_i64,
            Date => first, Date => last),
    }?;
    let c = rows
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal("an aggregate returned no row"))?;
    let orders = match user_id {
        Some(_) => None,
        None => {
            Some(sales.orders_between(conn, office_id, period.first_day(), period.last_day())?)
        }
    };
    Ok(ServiceIndicators {
        office_id,
        user_id,
        period,
        received: c.received,
        complaints: c.complaints,
        first_response: timeliness(c.response_decided, c.response_met),
        resolution: timeliness(c.resolution_decided, c.resolution_met),
        breached: c.breached,
        backlog: c.backlog,
        rated: c.rated,
        average_satisfaction: decimal(c.satisfaction_sum, c.rated),
        orders,
        complaints_per_100_orders: orders.and_then(|o| decimal(c.complaints * 100, o)),
        return_visits_due: c.visits_due,
        return_visits_done: c.visits_done,
        return_visit_completion_bp: (c.visits_due > 0)
            .then(|| c.visits_done * 10_000 / c.visits_due),
    })
}

/// The service indicators of an office the caller reaches with `service:read`,
/// or of one person there, over a month, quarter or year.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(IndicatorQuery),
    responses(
        (status = 200, description = "The indicators", body = ServiceIndicators),
        ReadErrors,
        (status = 422, response = kernel::responses::UnprocessableEntity),
    )
)]
#[get("/after-sales/indicators")]
async fn service_indicators(
    db: web::Data<Db>,
    sales: web::Data<Sales>,
    p: Principal,
    q: ValidQuery<IndicatorQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    p.authorize(SERVICE_READ, Some(q.office_id)).map_err(|e| {
        if e.code == kernel::ErrorCode::NotFound {
            ApiError::not_found("office")
        } else {
            e
        }
    })?;
    let sales = sales.get_ref().clone();
    let report = db
        .run(move |conn| {
            if let Some(user) = q.user_id {
                org::scope::user_of_office(conn, "user_id", user, q.office_id)?;
            }
            office_indicators(
                conn,
                sales.as_ref(),
                q.office_id,
                q.user_id,
                q.period,
                kernel::time::now_db(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(diesel::QueryableByName)]
struct RiskCounts {
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    m: i64,
}

/// Complaints of `offices` (`None`: every office) not resolved whose
/// resolution deadline has passed at `now`, their clock not stopped for the
/// customer, in one query: what risk watches.
pub fn complaints_past_deadline(
    conn: &mut AnyConnection,
    offices: Option<&[i64]>,
    now: NaiveDateTime,
) -> Result<i64, ApiError> {
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(0 AS BIGINT) AS m FROM service_requests \
         WHERE kind = 'complaint' AND resolved_at IS NULL AND resolution_due_at < $1 AND NOT {STOPPED}{}",
        store::scoped::sql_in_reach("office_id", &kernel::Reach::over(offices))
    );
    let rows: Vec<RiskCounts> = store::load_sql!(conn, sql, RiskCounts, Timestamp => now)?;
    Ok(rows.first().map_or(0, |r| r.n))
}

/// Of the requests of `offices` received from `from`, the share whose
/// resolution deadline is decided at `now` that were resolved in time, basis
/// points (`None`: none decided), in one query.
pub fn resolution_timeliness_bp(
    conn: &mut AnyConnection,
    offices: Option<&[i64]>,
    from: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<Option<i64>, ApiError> {
    let sql = format!(
        "SELECT \
         CAST(COALESCE(SUM(CASE WHEN resolved_at < $2 OR (resolved_at IS NULL AND resolution_due_at < $2 AND NOT {STOPPED}) THEN 1 ELSE 0 END), 0) AS BIGINT) AS n, \
         CAST(COALESCE(SUM(CASE WHEN resolved_at < $2 AND resolved_at <= resolution_due_at THEN 1 ELSE 0 END), 0) AS BIGINT) AS m \
         FROM service_requests WHERE received_at >= $1 AND received_at < $2{}",
        store::scoped::sql_in_reach("office_id", &kernel::Reach::over(offices))
    );
    let rows: Vec<RiskCounts> =
        store::load_sql!(conn, sql, RiskCounts, Timestamp => from, Timestamp => now)?;
    Ok(rows
        .first()
        .and_then(|r| (r.n > 0).then(|| r.m * 10_000 / r.n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_half_up() {
        assert_eq!(decimal(13, 3), Some("4.33".into()));
        assert_eq!(decimal(2, 3), Some("0.67".into()));
        assert_eq!(decimal(100, 8), Some("12.50".into()));
        assert_eq!(decimal(1, 0), None);
        assert_eq!(timeliness(3, 2).rate_bp, Some(6_666));
        assert_eq!(timeliness(0, 0).rate_bp, None);
    }
}
