//! Sales analysis (銷售數據分析): sales by office, person, product and month;
//! achievement against target; funnel conversion by stage; receivables ageing.
//! Each report is one SQL statement (two for achievement), scoped to the
//! caller's offices in the query, and the same on both backends: the statements
//! differ only in the date arithmetic each backend spells its own way.

use actix_web::{HttpResponse, get, web};
use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Nullable, Text, Timestamp};
use kernel::responses::ReadErrors;
use kernel::{ApiError, Principal, Reach, ValidQuery};
use org::roles::SALES_READ;
use serde::{Deserialize, Serialize};
use store::{AnyConnection, Db};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::leads::{OPEN_STAGES, Stage};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(sales_report)
        .service(achievement_report)
        .service(funnel_report)
        .service(ageing_report);
}

pub(crate) use store::load_sql;

fn is_pg(conn: &AnyConnection) -> bool {
    matches!(conn, AnyConnection::Postgresql(_))
}

/// `AND <column> IN (...)` for the caller's reach and the office asked for. The
/// ids are integers from the server's own principal, never from text.
pub fn scope(column: &str, reach: &Reach, office: Option<i64>) -> String {
    let mut sql = store::scoped::sql_in_reach(column, reach);
    if let Some(o) = office {
        sql.push_str(&format!(" AND {column} = {o}"));
    }
    sql
}

fn check_period(from: NaiveDate, to: NaiveDate) -> Result<(), ApiError> {
    if to < from {
        return Err(ApiError::invalid_query(
            "to",
            "range",
            "the period ends before it starts",
        ));
    }
    if (to - from).num_days() > 3660 {
        return Err(ApiError::invalid_query(
            "to",
            "range",
            "a period is at most ten years",
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Office,
    Person,
    Product,
    Month,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SalesQuery {
    /// First day, inclusive.
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
    pub group_by: GroupBy,
    pub office_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, QueryableByName, ToSchema)]
pub struct SalesRow {
    /// The office or user id, the product, or `YYYY-MM`; `unassigned` for
    /// orders credited to no one.
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = Text)]
    pub label: String,
    /// Orders counted (not cancelled, ordered in the period).
    #[diesel(sql_type = BigInt)]
    pub orders: i64,
    /// Units sold; by product only.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub quantity: Option<i64>,
    /// Revenue, minor units: order totals (line amounts by product).
    #[diesel(sql_type = BigInt)]
    pub amount: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SalesReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: GroupBy,
    pub rows: Vec<SalesRow>,
    pub total_amount: i64,
}

/// Sales in a period by office, person, product or month.
pub fn sales(
    conn: &mut AnyConnection,
    reach: &Reach,
    q: &SalesQuery,
) -> Result<Vec<SalesRow>, ApiError> {
    let month = if is_pg(conn) {
        "to_char(o.ordered_on, 'YYYY-MM')"
    } else {
        "strftime('%Y-%m', o.ordered_on)"
    };
    let filter = format!(
        "o.status <> 'cancelled' AND o.ordered_on >= $1 AND o.ordered_on <= $2{}",
        scope("o.office_id", reach, q.office_id)
    );
    let sql = match q.group_by {
        GroupBy::Office => format!(
            "SELECT CAST(o.office_id AS TEXT) AS key, MAX(f.name) AS label, COUNT(*) AS orders, \
             CAST(NULL AS BIGINT) AS quantity, CAST(SUM(o.total) AS BIGINT) AS amount \
             FROM sales_orders o JOIN offices f ON f.id = o.office_id WHERE {filter} \
             GROUP BY o.office_id ORDER BY amount DESC, key"
        ),
        GroupBy::Person => format!(
            "SELECT COALESCE(CAST(o.sales_user_id AS TEXT), 'unassigned') AS key, \
             COALESCE(MAX(u.display_name), 'unassigned') AS label, COUNT(*) AS orders, \
             CAST(NULL AS BIGINT) AS quantity, CAST(SUM(o.total) AS BIGINT) AS amount \
             FROM sales_orders o LEFT JOIN users u ON u.id = o.sales_user_id WHERE {filter} \
             GROUP BY o.sales_user_id ORDER BY amount DESC, key"
        ),
        GroupBy::Product => format!(
            "SELECT l.product AS key, l.product AS label, COUNT(DISTINCT o.id) AS orders, \
             CAST(SUM(l.quantity) AS BIGINT) AS quantity, CAST(SUM(l.amount) AS BIGINT) AS amount \
             FROM sales_lines l JOIN sales_orders o ON o.id = l.doc_id AND l.doc_type = 'order' \
             WHERE {filter} GROUP BY l.product ORDER BY amount DESC, key"
        ),
        GroupBy::Month => format!(
            "SELECT {month} AS key, {month} AS label, COUNT(*) AS orders, \
             CAST(NULL AS BIGINT) AS quantity, CAST(SUM(o.total) AS BIGINT) AS amount \
             FROM sales_orders o WHERE {filter} GROUP BY {month} ORDER BY key"
        ),
    };
    load_sql!(conn, sql, SalesRow, Date => q.from, Date => q.to)
}

/// Sales by office, person (the order's sales person), product or month, in
/// one SQL statement.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(SalesQuery),
    responses((status = 200, description = "The report", body = SalesReport), ReadErrors)
)]
#[get("/sales/analysis/sales")]
async fn sales_report(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<SalesQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let q = q.into_inner();
    check_period(q.from, q.to)?;
    let report = db
        .run(move |conn| {
            let rows = sales(conn, &reach, &q)?;
            Ok(SalesReport {
                from: q.from,
                to: q.to,
                group_by: q.group_by,
                total_amount: rows.iter().map(|r| r.amount).sum(),
                rows,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AchievementQuery {
    #[validate(range(min = 2000, max = 2100))]
    #[param(minimum = 2000, maximum = 2100)]
    pub year: i32,
    pub office_id: Option<i64>,
}

#[derive(Debug, Clone, QueryableByName)]
struct OfficeAchievementRow {
    #[diesel(sql_type = BigInt)]
    office_id: i64,
    #[diesel(sql_type = BigInt)]
    target: i64,
    #[diesel(sql_type = BigInt)]
    actual: i64,
}

#[derive(Debug, Clone, QueryableByName)]
struct PersonAchievementRow {
    #[diesel(sql_type = BigInt)]
    office_id: i64,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = BigInt)]
    target: i64,
    #[diesel(sql_type = BigInt)]
    actual: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Achievement {
    pub office_id: i64,
    /// `null` for the office as a whole.
    pub user_id: Option<i64>,
    pub target: i64,
    /// Orders not cancelled, ordered in the year.
    pub actual: i64,
    /// `actual / target` in basis points (10000 = 100%); `null` without a target.
    pub rate_bp: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AchievementReport {
    pub year: i32,
    pub offices: Vec<Achievement>,
    pub persons: Vec<Achievement>,
}

fn rate(actual: i64, target: i64) -> Option<i64> {
    (target > 0).then(|| actual.saturating_mul(10_000) / target)
}

/// Target achievement of the offices (and their people) with a target for the
/// year.
pub fn achievement(
    conn: &mut AnyConnection,
    reach: &Reach,
    year: i32,
    office: Option<i64>,
) -> Result<AchievementReport, ApiError> {
    let from = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    let to = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    let filter = scope("t.office_id", reach, office);
    let offices = load_sql!(
        conn,
        format!(
            "SELECT t.office_id AS office_id, t.amount AS target, \
             CAST(COALESCE(a.actual, 0) AS BIGINT) AS actual \
             FROM sales_targets t LEFT JOIN (SELECT office_id, SUM(total) AS actual \
             FROM sales_orders WHERE status <> 'cancelled' AND ordered_on >= $1 AND ordered_on <= $2 \
             GROUP BY office_id) a ON a.office_id = t.office_id \
             WHERE t.year = $3{filter} ORDER BY t.office_id"
        ),
        OfficeAchievementRow,
        Date => from,
        Date => to,
        Integer => year
    )?;
    let persons = load_sql!(
        conn,
        format!(
            "SELECT t.office_id AS office_id, sp.user_id AS user_id, sp.amount AS target, \
             CAST(COALESCE(a.actual, 0) AS BIGINT) AS actual \
             FROM sales_target_persons sp JOIN sales_targets t ON t.id = sp.target_id \
             LEFT JOIN (SELECT office_id, sales_user_id, SUM(total) AS actual FROM sales_orders \
             WHERE status <> 'cancelled' AND ordered_on >= $1 AND ordered_on <= $2 \
             GROUP BY office_id, sales_user_id) a \
             ON a.office_id = t.office_id AND a.sales_user_id = sp.user_id \
             WHERE t.year = $3{filter} ORDER BY t.office_id, sp.user_id"
        ),
        PersonAchievementRow,
        Date => from,
        Date => to,
        Integer => year
    )?;
    Ok(AchievementReport {
        year,
        offices: offices
            .into_iter()
            .map(|r| Achievement {
                office_id: r.office_id,
                user_id: None,
                rate_bp: rate(r.actual, r.target),
                target: r.target,
                actual: r.actual,
            })
            .collect(),
        persons: persons
            .into_iter()
            .map(|r| Achievement {
                office_id: r.office_id,
                user_id: Some(r.user_id),
                rate_bp: rate(r.actual, r.target),
                target: r.target,
                actual: r.actual,
            })
            .collect(),
    })
}

/// Target achievement for a year, by office and by person.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(AchievementQuery),
    responses((status = 200, description = "The report", body = AchievementReport), ReadErrors)
)]
#[get("/sales/analysis/achievement")]
async fn achievement_report(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<AchievementQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let q = q.into_inner();
    let report = db
        .run(move |conn| achievement(conn, &reach, q.year, q.office_id))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FunnelQuery {
    /// Opportunities opened on or after this day.
    pub from: NaiveDate,
    /// ... and on or before this day.
    pub to: NaiveDate,
    pub office_id: Option<i64>,
}

#[derive(Debug, Clone, QueryableByName)]
struct StageCount {
    #[diesel(sql_type = Text)]
    stage: String,
    #[diesel(sql_type = BigInt)]
    reached: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FunnelStage {
    pub stage: Stage,
    /// Opportunities that ever reached the stage.
    pub reached: i64,
    /// `reached / reached at the stage before`, basis points; `null` for the
    /// first stage or when none reached the stage before. For `won` and `lost`,
    /// against negotiation and initial contact respectively.
    pub conversion_bp: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FunnelReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub opened: i64,
    pub stages: Vec<FunnelStage>,
}

/// Funnel conversion by stage for opportunities opened in a period.
pub fn funnel(
    conn: &mut AnyConnection,
    reach: &Reach,
    q: &FunnelQuery,
) -> Result<FunnelReport, ApiError> {
    let start = q.from.and_hms_opt(0, 0, 0).unwrap_or_default();
    let end = (q.to + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    let counts = load_sql!(
        conn,
        format!(
            "SELECT h.to_stage AS stage, COUNT(DISTINCT h.opportunity_id) AS reached \
             FROM opportunity_stage_changes h JOIN opportunities o ON o.id = h.opportunity_id \
             WHERE o.created_at >= $1 AND o.created_at < $2{} GROUP BY h.to_stage",
            scope("o.office_id", reach, q.office_id)
        ),
        StageCount,
        Timestamp => start,
        Timestamp => end
    )?;
    let reached = |s: Stage| {
        counts
            .iter()
            .find(|c| c.stage == s.as_str())
            .map_or(0, |c| c.reached)
    };
    let conv = |n: i64, base: i64| (base > 0).then(|| n * 10_000 / base);
    let mut stages = Vec::new();
    let mut before: Option<i64> = None;
    for s in OPEN_STAGES {
        let n = reached(s);
        stages.push(FunnelStage {
            stage: s,
            reached: n,
            conversion_bp: before.and_then(|b| conv(n, b)),
        });
        before = Some(n);
    }
    let opened = reached(Stage::InitialContact);
    let won = reached(Stage::Won);
    let lost = reached(Stage::Lost);
    stages.push(FunnelStage {
        stage: Stage::Won,
        reached: won,
        conversion_bp: conv(won, reached(Stage::Negotiation)),
    });
    stages.push(FunnelStage {
        stage: Stage::Lost,
        reached: lost,
        conversion_bp: conv(lost, opened),
    });
    Ok(FunnelReport {
        from: q.from,
        to: q.to,
        opened,
        stages,
    })
}

/// Funnel conversion by stage.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(FunnelQuery),
    responses((status = 200, description = "The funnel", body = FunnelReport), ReadErrors)
)]
#[get("/sales/analysis/funnel")]
async fn funnel_report(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<FunnelQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let q = q.into_inner();
    check_period(q.from, q.to)?;
    let report = db.run(move |conn| funnel(conn, &reach, &q)).await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgeingQuery {
    /// The day to measure from; default today.
    pub as_of: Option<NaiveDate>,
    pub office_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, QueryableByName, ToSchema)]
pub struct AgeingRow {
    #[diesel(sql_type = BigInt)]
    pub office_id: i64,
    /// Not yet due.
    #[diesel(sql_type = BigInt)]
    pub not_due: i64,
    /// Due 0–30 days ago (due today counts here).
    #[diesel(sql_type = BigInt)]
    pub days_0_30: i64,
    #[diesel(sql_type = BigInt)]
    pub days_31_60: i64,
    #[diesel(sql_type = BigInt)]
    pub days_61_90: i64,
    /// Due more than 90 days ago.
    #[diesel(sql_type = BigInt)]
    pub days_over_90: i64,
    /// Everything outstanding.
    #[diesel(sql_type = BigInt)]
    pub total: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgeingReport {
    pub as_of: NaiveDate,
    pub offices: Vec<AgeingRow>,
}

/// Receivables ageing by office: what is outstanding on signed contracts, by
/// days past due.
pub fn ageing(
    conn: &mut AnyConnection,
    reach: &Reach,
    as_of: NaiveDate,
    office: Option<i64>,
) -> Result<Vec<AgeingRow>, ApiError> {
    let days = if is_pg(conn) {
        "($1 - o.due_on)"
    } else {
        "CAST(julianday($1) - julianday(o.due_on) AS INTEGER)"
    };
    let bucket =
        |cond: &str| format!("CAST(SUM(CASE WHEN {cond} THEN o.owed ELSE 0 END) AS BIGINT)");
    // Outstanding instalments of contracts in force, read from their partial
    // index (`in_force` is kept by triggers, migration 000021), are summed per
    // office and due date first, so the buckets are worked out once per date
    // rather than once per instalment.
    let sql = format!(
        "SELECT o.office_id AS office_id, {} AS not_due, {} AS days_0_30, {} AS days_31_60, \
         {} AS days_61_90, {} AS days_over_90, CAST(SUM(o.owed) AS BIGINT) AS total \
         FROM (SELECT ci.office_id AS office_id, ci.due_on AS due_on, SUM(ci.amount - ci.paid) AS owed \
               FROM contract_instalments ci WHERE ci.paid < ci.amount AND ci.in_force{} \
               GROUP BY ci.office_id, ci.due_on) o \
         GROUP BY o.office_id ORDER BY o.office_id",
        bucket(&format!("{days} < 0")),
        bucket(&format!("{days} BETWEEN 0 AND 30")),
        bucket(&format!("{days} BETWEEN 31 AND 60")),
        bucket(&format!("{days} BETWEEN 61 AND 90")),
        bucket(&format!("{days} > 90")),
        scope("ci.office_id", reach, office)
    );
    load_sql!(conn, sql, AgeingRow, Date => as_of)
}

/// Receivables ageing: 0–30, 31–60, 61–90 and over 90 days past due, by office.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(AgeingQuery),
    responses((status = 200, description = "The ageing", body = AgeingReport), ReadErrors)
)]
#[get("/sales/analysis/ageing")]
async fn ageing_report(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<AgeingQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let q = q.into_inner();
    let as_of = q.as_of.unwrap_or_else(|| kernel::time::now().date_naive());
    let offices = db
        .run(move |conn| ageing(conn, &reach, as_of, q.office_id))
        .await?;
    Ok(HttpResponse::Ok().json(AgeingReport { as_of, offices }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn scope_lists_the_reach_and_the_office_asked_for() {
        assert_eq!(scope("o.office_id", &Reach::Company, None), "");
        let two = Reach::Offices(BTreeSet::from([3, 7]));
        assert_eq!(
            scope("o.office_id", &two, None),
            " AND o.office_id IN (3, 7)"
        );
        assert_eq!(scope("x", &two, Some(3)), " AND x IN (3, 7) AND x = 3");
        assert_eq!(scope("x", &Reach::none(), None), " AND 1 = 0");
    }
}
