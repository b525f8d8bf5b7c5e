//! Budget vs actual: the expense lines against approved and paid expense
//! claims, by category (or category and department) and month, in one SQL
//! statement per report, and the income lines against the receipts the sales
//! domain reports, with the report's endpoint.

use actix_web::{HttpResponse, get, web};
use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use kernel::responses::{
    BadRequest, Forbidden, InternalError, NotFound, ServiceUnavailable, Unauthorized,
};
use kernel::{ApiError, Principal, ValidQuery};
use org::roles::BUDGET_READ;
use serde::{Deserialize, Serialize};
use store::schema::budget_lines as bl;
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{BudgetRow, load_budget};
use crate::facts::{Sales, SalesFacts};

/// One row of budget vs actual.
#[derive(Debug, Serialize, ToSchema, QueryableByName)]
pub struct VsActualRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub category: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub department_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub month: i32,
    /// Budgeted, minor units.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub budget: i64,
    /// Approved and paid expense claims, minor units, by the date spent.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub actual: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VsActualLine {
    pub category: String,
    /// With `?by=department`: the department of the budget line or the claim;
    /// `null` for what belongs to no department. Always `null` by category.
    pub department_id: Option<i64>,
    pub month: i32,
    pub budget: i64,
    pub actual: i64,
    /// `budget - actual`: negative when over.
    pub variance: i64,
    /// `actual / budget` in basis points (10000 = 100%); `null` without a budget.
    pub execution_bp: Option<i64>,
    pub over_budget: bool,
}

/// The income side for one month: the income lines budgeted against the
/// payments received, as the sales domain records them.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncomeLine {
    pub month: i32,
    pub budget: i64,
    /// Payments received from customers in the month, minor units.
    pub actual: i64,
    /// `actual - budget`: negative when income falls short.
    pub variance: i64,
    /// `actual / budget` in basis points; `null` without a budget.
    pub execution_bp: Option<i64>,
    pub below_budget: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VsActual {
    pub budget_id: i64,
    pub office_id: i64,
    pub year: i32,
    pub by: VsActualBy,
    /// Expense, by category (and department) and month.
    pub lines: Vec<VsActualLine>,
    /// Income, by month.
    pub income: Vec<IncomeLine>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum VsActualBy {
    /// Category and month for the office.
    #[default]
    Category,
    /// Category, department and month.
    Department,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VsActualQuery {
    /// `category` (default) or `department`.
    pub by: Option<VsActualBy>,
}

/// The expense side in one statement: budget lines and approved or paid claim
/// lines, grouped by category (and department) and month. `{dept}` and
/// `{month}` are the only parts each backend spells its own way.
const VS_ACTUAL: &str = "SELECT category, department_id, month, CAST(SUM(budget) AS BIGINT) AS budget, CAST(SUM(actual) AS BIGINT) AS actual FROM ( \
     SELECT category, {dept_line} AS department_id, month, amount AS budget, CAST(0 AS BIGINT) AS actual FROM budget_lines WHERE budget_id = $1 AND kind = 'expense' \
     UNION ALL \
     SELECT c.category, {dept_claim} AS department_id, {month} AS month, CAST(0 AS BIGINT), l.amount \
     FROM expense_claim_lines l JOIN expense_claims c ON c.id = l.claim_id \
     WHERE c.office_id = $2 AND c.status IN ('approved', 'paid') AND l.spent_on >= $3 AND l.spent_on <= $4 \
     ) t GROUP BY category, department_id, month \
     ORDER BY category, CASE WHEN department_id IS NULL THEN 0 ELSE 1 END, department_id, month";

/// Budget vs actual for one budget, by category (or category and department)
/// and month, in one SQL statement.
pub fn vs_actual(
    conn: &mut AnyConnection,
    budget: &BudgetRow,
    by: VsActualBy,
) -> Result<Vec<VsActualLine>, ApiError> {
    use diesel::sql_types::{BigInt, Date};
    let from = NaiveDate::from_ymd_opt(budget.year, 1, 1).unwrap_or_default();
    let to = NaiveDate::from_ymd_opt(budget.year, 12, 31).unwrap_or_default();
    let (dept_line, dept_claim) = match by {
        VsActualBy::Category => ("CAST(NULL AS BIGINT)", "CAST(NULL AS BIGINT)"),
        VsActualBy::Department => ("department_id", "c.department_id"),
    };
    let sql = VS_ACTUAL
        .replace("{dept_line}", dept_line)
        .replace("{dept_claim}", dept_claim);
    let rows: Vec<VsActualRow> = match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query(
            sql.replace("{month}", "CAST(EXTRACT(MONTH FROM l.spent_on) AS INTEGER)"),
        )
        .bind::<BigInt, _>(budget.id)
        .bind::<BigInt, _>(budget.office_id)
        .bind::<Date, _>(from)
        .bind::<Date, _>(to)
        .load(pg),
        AnyConnection::Sqlite(lite) => diesel::sql_query(
            sql.replace("{month}", "CAST(strftime('%m', l.spent_on) AS INTEGER)")
                .replace('$', "?"),
        )
        .bind::<BigInt, _>(budget.id)
        .bind::<BigInt, _>(budget.office_id)
        .bind::<Date, _>(from)
        .bind::<Date, _>(to)
        .load(lite),
    }
    .api()?;
    Ok(rows
        .into_iter()
        .map(|r| VsActualLine {
            variance: r.budget - r.actual,
            execution_bp: execution(r.actual, r.budget),
            over_budget: r.actual > r.budget,
            category: r.category,
            department_id: r.department_id,
            month: r.month,
            budget: r.budget,
            actual: r.actual,
        })
        .collect())
}

fn execution(actual: i64, budget: i64) -> Option<i64> {
    (budget > 0).then(|| actual.saturating_mul(10_000) / budget)
}

/// The income side: each month's income lines against the receipts the sales
/// domain reports (one query each).
pub fn income_vs_actual(
    conn: &mut AnyConnection,
    sales: &dyn SalesFacts,
    budget: &BudgetRow,
) -> Result<Vec<IncomeLine>, ApiError> {
    let budgeted: Vec<(i32, i64)> = bl::table
        .filter(bl::budget_id.eq(budget.id).and(bl::kind.eq("income")))
        .select((bl::month, bl::amount))
        .load(conn)
        .api()?;
    let receipts = sales.receipts_by_month(conn, budget.office_id, budget.year)?;
    Ok((1..=12)
        .map(|month| {
            let budget: i64 = budgeted
                .iter()
                .filter(|(m, _)| *m == month)
                .map(|(_, a)| a)
                .sum();
            let actual: i64 = receipts
                .iter()
                .filter(|(m, _)| i64::from(*m) == i64::from(month))
                .map(|(_, a)| a)
                .sum();
            IncomeLine {
                month,
                budget,
                actual,
                variance: actual - budget,
                execution_bp: execution(actual, budget),
                below_budget: actual < budget,
            }
        })
        .collect())
}

/// Budget vs actual: every expense category (and, with `?by=department`, each
/// department) and month, budgeted and spent, with the variance, the execution
/// rate and the lines over budget; and the income side, month by month, against
/// the payments received from customers.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Budget id"), VsActualQuery),
    responses(
        (status = 200, description = "The comparison", body = VsActual),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/finance/budgets/{id}/vs-actual")]
pub(super) async fn budget_vs_actual(
    db: web::Data<Db>,
    sales: web::Data<Sales>,
    p: Principal,
    id: web::Path<i64>,
    q: ValidQuery<VsActualQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let by = q.into_inner().by.unwrap_or_default();
    let sales = sales.get_ref().clone();
    let report = db
        .run(move |conn| {
            let row = load_budget(conn, &p, BUDGET_READ, id)?;
            let lines = vs_actual(conn, &row, by)?;
            let income = income_vs_actual(conn, sales.as_ref(), &row)?;
            Ok(VsActual {
                budget_id: row.id,
                office_id: row.office_id,
                year: row.year,
                by,
                lines,
                income,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The budget categories (an office's category in its active budget of
/// `as_of`'s year) whose approved and paid claims from the year's start to
/// `as_of` exceed the year's budget for it, over `offices` (`None`: every
/// office), in one query: what risk watches as budget overrun.
pub fn categories_over(
    conn: &mut AnyConnection,
    offices: Option<&[i64]>,
    as_of: NaiveDate,
) -> Result<i64, ApiError> {
    use diesel::sql_types::{Date, Integer};
    let from = NaiveDate::from_ymd_opt(as_of.year(), 1, 1).unwrap_or(as_of);
    let reach = kernel::Reach::over(offices);
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM ( \
         SELECT b.office_id AS office_id, l.category AS category, SUM(l.amount) AS budget \
         FROM budget_lines l JOIN budgets b ON b.id = l.budget_id \
         WHERE b.year = $1 AND b.status = 'active' AND l.kind = 'expense'{} \
         GROUP BY b.office_id, l.category) t \
         WHERE t.budget < (SELECT COALESCE(SUM(cl.amount), 0) FROM expense_claim_lines cl \
             JOIN expense_claims c ON c.id = cl.claim_id \
             WHERE c.office_id = t.office_id AND c.category = t.category \
             AND c.status IN ('approved', 'paid') AND cl.spent_on >= $2 AND cl.spent_on <= $3)",
        store::scoped::sql_in_reach("b.office_id", &reach)
    );
    let rows: Vec<Count> =
        store::load_sql!(conn, sql, Count, Integer => as_of.year(), Date => from, Date => as_of)?;
    Ok(rows.first().map_or(0, |r| r.n))
}

/// Expense claims flagged over budget and filed (not drafts) from `from` to
/// `to` inclusive, over `offices` (`None`: every office), in one query.
pub fn claims_over_budget(
    conn: &mut AnyConnection,
    offices: Option<&[i64]>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<i64, ApiError> {
    use diesel::sql_types::Timestamp;
    let reach = kernel::Reach::over(offices);
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM expense_claims c \
         WHERE c.over_budget AND c.status <> 'draft' AND c.created_at >= $1 AND c.created_at < $2{}",
        store::scoped::sql_in_reach("c.office_id", &reach)
    );
    let start = from.and_hms_opt(0, 0, 0).unwrap_or_default();
    let end = to.and_hms_opt(0, 0, 0).unwrap_or_default() + chrono::Duration::days(1);
    let rows: Vec<Count> =
        store::load_sql!(conn, sql, Count, Timestamp => start, Timestamp => end)?;
    Ok(rows.first().map_or(0, |r| r.n))
}
