//! Office budgets (預算). Each office's annual budget of income, cost and expense,
//! by category, split into months (so quarters follow) and optionally by
//! department, is approved by HQ; once approved it is the office's active budget for
//! that year — one per office and year. Budget vs actual compares the expense lines
//! with approved expense claims, in SQL, one query per report; a claim that would
//! exceed what is left of its category is marked for every approver, and refused
//! where the budget blocks overruns.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, PreconditionFailed,
    PreconditionRequired, ServiceUnavailable, Unauthorized, UnprocessableEntity,
};
use kernel::{
    Actor, ApiError, ErrorCode, FieldError, IfMatch, Page, PageRequest, Principal, ValidJson,
    ValidQuery, etag,
};
use org::roles::{BUDGET_MANAGE, BUDGET_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{
    budget_lines as bl, budgets as bg, expense_claim_lines as el, expense_claims as ec,
};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::policy::{PolicyDef, role};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

use crate::claims::ClaimRow;
use crate::facts::{Sales, SalesFacts};

pub const BUDGET_DOC: &str = "budget";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_budgets)
        .service(create_budget)
        .service(get_budget)
        .service(submit_budget)
        .service(budget_vs_actual);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Income,
    Cost,
    Expense,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BudgetCategory {
    Office,
    Travel,
    Entertainment,
    Training,
    MarketActivity,
    Salaries,
    Rent,
    Other,
}

pub fn kind_str(k: Kind) -> &'static str {
    match k {
        Kind::Income => "income",
        Kind::Cost => "cost",
        Kind::Expense => "expense",
    }
}

pub fn category_str(c: BudgetCategory) -> &'static str {
    match c {
        BudgetCategory::Office => "office",
        BudgetCategory::Travel => "travel",
        BudgetCategory::Entertainment => "entertainment",
        BudgetCategory::Training => "training",
        BudgetCategory::MarketActivity => "market_activity",
        BudgetCategory::Salaries => "salaries",
        BudgetCategory::Rent => "rent",
        BudgetCategory::Other => "other",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetLineInput {
    pub kind: Kind,
    pub category: BudgetCategory,
    /// Optional: the department this line is for.
    pub department_id: Option<i64>,
    /// The year's amount, minor units.
    #[validate(range(min = 0, max = 1_000_000_000_000_i64))]
    #[schema(minimum = 0)]
    pub annual: i64,
    /// January to December; must add up to `annual`. Quarters are their sums.
    #[validate(length(equal = 12))]
    #[schema(min_items = 12, max_items = 12)]
    pub months: Vec<i64>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetInput {
    /// The office; defaults to the caller's.
    pub office_id: Option<i64>,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100, example = 2026)]
    pub year: i32,
    /// Refuse expense claims that exceed their line (otherwise they are only marked).
    #[serde(default)]
    pub block_overruns: bool,
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<BudgetLineInput>,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = bg)]
pub struct BudgetRow {
    pub id: i64,
    pub office_id: i64,
    pub year: i32,
    #[schema(example = "BG-GZ01-2026-000001")]
    pub number: String,
    /// `draft`, `in_approval`, `active`, `rejected` or `withdrawn`.
    pub status: String,
    pub block_overruns: bool,
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
    pub created_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BudgetLine {
    pub kind: String,
    pub category: String,
    pub department_id: Option<i64>,
    pub annual: i64,
    pub quarters: [i64; 4],
    pub months: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Budget {
    #[serde(flatten)]
    pub budget: BudgetRow,
    pub lines: Vec<BudgetLine>,
}

/// Months must add up to the year, and a line appears once per budget.
fn check_lines(lines: &[BudgetLineInput]) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if l.months.iter().any(|m| *m < 0) {
            errors.push(FieldError::new(
                format!("lines[{i}].months"),
                "range",
                "months must not be negative",
            ));
        }
        let sum: i64 = l.months.iter().sum();
        if sum != l.annual {
            errors.push(FieldError::new(
                format!("lines[{i}].months"),
                "sum",
                format!(
                    "must add up to the annual amount {}, they add up to {sum}",
                    l.annual
                ),
            ));
        }
        if lines[..i].iter().any(|o| {
            o.kind == l.kind && o.category == l.category && o.department_id == l.department_id
        }) {
            errors.push(FieldError::new(
                format!("lines[{i}]"),
                "duplicate",
                "the same kind, category and department twice",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

fn load_lines(conn: &mut AnyConnection, budget_id: i64) -> Result<Vec<BudgetLine>, ApiError> {
    let rows: Vec<(String, String, Option<i64>, i32, i64)> = bl::table
        .filter(bl::budget_id.eq(budget_id))
        .select((
            bl::kind,
            bl::category,
            bl::department_id,
            bl::month,
            bl::amount,
        ))
        .order((
            bl::kind.asc(),
            bl::category.asc(),
            bl::department_id.asc(),
            bl::month.asc(),
        ))
        .load(conn)
        .api()?;
    let mut lines: Vec<BudgetLine> = Vec::new();
    for (kind, category, dept, month, amount) in rows {
        let same = lines
            .last()
            .is_some_and(|l| l.kind == kind && l.category == category && l.department_id == dept);
        if !same {
            lines.push(BudgetLine {
                kind,
                category,
                department_id: dept,
                annual: 0,
                quarters: [0; 4],
                months: vec![0; 12],
            });
        }
        if let Some(line) = lines.last_mut() {
            let m = (month.clamp(1, 12) - 1) as usize;
            line.months[m] = amount;
            line.annual += amount;
            line.quarters[m / 3] += amount;
        }
    }
    Ok(lines)
}

/// One budget by id within the caller's reach for `perm` (404 outside it).
pub(crate) fn load_budget(
    conn: &mut AnyConnection,
    p: &Principal,
    perm: &'static str,
    id: i64,
) -> Result<BudgetRow, ApiError> {
    let (row, _) = store::load_scoped!(conn, p, perm, bg, BudgetRow, id, "budget");
    Ok(row)
}

/// Drafts a budget for `office` (also used by the demo loader).
pub fn draft_budget(
    conn: &mut AnyConnection,
    office: i64,
    actor: &Actor,
    body: &BudgetInput,
) -> Result<Budget, ApiError> {
    check_lines(&body.lines)?;
    let code = org::office_code(conn, office)?;
    // A line's department is one of the budget's office, or answered as missing.
    for (i, line) in body.lines.iter().enumerate() {
        if let Some(dept) = line.department_id {
            org::scope::department_of_office(
                conn,
                &format!("lines[{i}].department_id"),
                dept,
                office,
            )?;
        }
    }
    let active: i64 = bg::table
        .filter(
            bg::office_id
                .eq(office)
                .and(bg::year.eq(body.year))
                .and(bg::status.eq("active")),
        )
        .count()
        .get_result(conn)
        .api()?;
    if active > 0 {
        return Err(ApiError::conflict(
            "the office already has an active budget for this year",
        ));
    }
    let number = store::docnum::next(conn, office, &code, "BG", body.year)?;
    let now = kernel::time::to_db(kernel::time::now());
    let row: BudgetRow = diesel::insert_into(bg::table)
        .values((
            bg::office_id.eq(office),
            bg::year.eq(body.year),
            bg::number.eq(&number),
            bg::status.eq("draft"),
            bg::block_overruns.eq(body.block_overruns),
            bg::created_by.eq(actor.user_id),
            bg::created_at.eq(now),
            bg::updated_at.eq(now),
            bg::version.eq(1_i64),
        ))
        .returning(bg::all_columns)
        .get_result(conn)
        .api()?;
    for line in &body.lines {
        for (m, amount) in line.months.iter().enumerate() {
            diesel::insert_into(bl::table)
                .values((
                    bl::budget_id.eq(row.id),
                    bl::office_id.eq(office),
                    bl::kind.eq(kind_str(line.kind)),
                    bl::category.eq(category_str(line.category)),
                    bl::department_id.eq(line.department_id),
                    bl::month.eq(m as i32 + 1),
                    bl::amount.eq(amount),
                ))
                .execute(conn)
                .api()?;
        }
    }
    let budget = Budget {
        lines: load_lines(conn, row.id)?,
        budget: row,
    };
    audit::record(
        conn,
        actor,
        Change::new("create", "budget", budget.budget.id, Some(office)).after(&budget),
    )?;
    Ok(budget)
}

/// Draft an office's annual budget.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    request_body = BudgetInput,
    responses(
        (status = 201, description = "Drafted", body = Budget, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/finance/budgets")]
async fn create_budget(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<BudgetInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let office = body.office_id.or(p.office_id).ok_or_else(|| {
        ApiError::invalid_field(
            "office_id",
            "required",
            "is required for callers outside an office",
        )
    })?;
    let actor = p.actor(p.authorize(BUDGET_MANAGE, Some(office)).map_err(|e| {
        if e.code == ErrorCode::NotFound {
            ApiError::not_found("office")
        } else {
            e
        }
    })?);
    let budget = db
        .tx(move |conn| draft_budget(conn, office, &actor, &body))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/finance/budgets/{}", budget.budget.id),
        ))
        .insert_header(etag(budget.budget.version))
        .json(budget))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListBudgets {
    pub office_id: Option<i64>,
    #[validate(range(min = 2000, max = 2100))]
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Budgets of the offices the caller reaches.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(ListBudgets),
    responses(
        (status = 200, description = "A page of budgets (without lines)", body = Page<BudgetRow>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/finance/budgets")]
async fn list_budgets(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListBudgets>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(BUDGET_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, bg, BudgetRow, req, asc, |query| {
                if let Some(v) = q.office_id {
                    query = query.filter(bg::office_id.eq(v));
                }
                if let Some(v) = q.year {
                    query = query.filter(bg::year.eq(v));
                }
                query
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One budget with its lines, months and quarters.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Budget id")),
    responses(
        (status = 200, description = "The budget", body = Budget, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/finance/budgets/{id}")]
async fn get_budget(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let budget = db
        .run(move |conn| {
            let row = load_budget(conn, &p, BUDGET_READ, id)?;
            Ok(Budget {
                lines: load_lines(conn, row.id)?,
                budget: row,
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(budget.budget.version))
        .json(budget))
}

/// Submit a draft budget to HQ: finance review, then company leadership.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Budget id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses(
        (status = 200, description = "In approval", body = BudgetRow, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/finance/budgets/{id}/submit")]
async fn submit_budget(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let registry = registry.get_ref().clone();
    let row = db
        .tx(move |conn| {
            let before = load_budget(conn, &p, BUDGET_READ, id)?;
            let actor = p.actor(p.authorize(BUDGET_MANAGE, Some(before.office_id))?);
            if !matches!(before.status.as_str(), "draft" | "rejected" | "withdrawn") {
                return Err(ApiError::invalid_transition("submit", &before.status, &[]));
            }
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            let row: BudgetRow = workflow::submit_and_keep!(
                conn,
                &registry,
                BUDGET_DOC,
                bg,
                BudgetRow,
                id,
                &actor,
                set = (
                    bg::status.eq("in_approval"),
                    bg::version.eq(bg::version + 1)
                )
            )?;
            audit::record(
                conn,
                &actor,
                Change::new("submit", "budget", id, Some(row.office_id))
                    .before(&before)
                    .after(&row),
            )?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

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
async fn budget_vs_actual(
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

/// Whether a claim exceeds what is left of its category in the office's active
/// budget for the year it was spent; refused when that budget blocks overruns.
/// Committed spending counts claims in approval, approved and paid.
pub fn check_claim(conn: &mut AnyConnection, claim: &ClaimRow) -> Result<bool, ApiError> {
    let first_day: Option<NaiveDate> = el::table
        .filter(el::claim_id.eq(claim.id))
        .select(diesel::dsl::min(el::spent_on))
        .first(conn)
        .api()?;
    let year = first_day.map_or_else(|| kernel::time::now().year(), |d| d.year());
    let budget: Option<(i64, bool)> = bg::table
        .filter(
            bg::office_id
                .eq(claim.office_id)
                .and(bg::year.eq(year))
                .and(bg::status.eq("active")),
        )
        .select((bg::id, bg::block_overruns))
        .first(conn)
        .optional()
        .api()?;
    let Some((budget_id, block)) = budget else {
        return Ok(false);
    };
    let budgeted: Option<i64> = bl::table
        .filter(
            bl::budget_id
                .eq(budget_id)
                .and(bl::kind.eq("expense"))
                .and(bl::category.eq(&claim.category)),
        )
        .select(bl::amount)
        .load::<i64>(conn)
        .api()?
        .into_iter()
        .reduce(|a, b| a.saturating_add(b));
    let committed: Option<i64> = ec::table
        .filter(ec::office_id.eq(claim.office_id))
        .filter(ec::category.eq(&claim.category))
        .filter(ec::status.eq_any(["in_approval", "approved", "paid"]))
        .filter(ec::id.ne(claim.id))
        .select(ec::total)
        .load::<i64>(conn)
        .api()?
        .into_iter()
        .reduce(|a, b| a.saturating_add(b));
    let remaining = budgeted.unwrap_or(0) - committed.unwrap_or(0);
    let over = claim.total > remaining;
    if over && block {
        return Err(ApiError::new(
            ErrorCode::BudgetExceeded,
            format!(
                "the claim of {} exceeds the {} left in the {} budget",
                claim.total,
                remaining.max(0),
                claim.category
            ),
        )
        .with_extra("remaining", remaining.max(0).into()));
    }
    Ok(over)
}

fn set_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    // An office has one active budget a year.
    let one_active = |conn: &mut AnyConnection, before: &BudgetRow| {
        if status != "active" {
            return Ok(());
        }
        let other: i64 = bg::table
            .filter(
                bg::office_id
                    .eq(before.office_id)
                    .and(bg::year.eq(before.year))
                    .and(bg::status.eq("active")),
            )
            .count()
            .get_result(conn)
            .api()?;
        if other > 0 {
            return Err(ApiError::conflict(
                "the office already has an active budget for this year",
            ));
        }
        Ok(())
    };
    store::update_audited!(
        conn,
        actor,
        status,
        "budget",
        bg,
        BudgetRow,
        id,
        (
            bg::status.eq(status),
            bg::rejection_reason.eq(reason),
            bg::version.eq(bg::version + 1),
        ),
        guard = one_active
    )?;
    Ok(())
}

/// Budgets in the approval engine.
pub struct BudgetDocument;

impl ApprovalDocument for BudgetDocument {
    fn doc_type(&self) -> &'static str {
        BUDGET_DOC
    }

    /// 預算經公司審批: HQ finance reviews, company leadership approves.
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Office budgets (預算)".to_owned(),
            steps: vec![
                role("hq_finance", "finance_review"),
                role("hq_executive", "leadership_approval"),
            ],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let b: BudgetRow = bg::table
            .find(doc_id)
            .select(BudgetRow::as_select())
            .first(conn)
            .found("budget")?;
        let total: Option<i64> = bl::table
            .filter(bl::budget_id.eq(doc_id).and(bl::kind.eq("expense")))
            .select(bl::amount)
            .load::<i64>(conn)
            .api()?
            .into_iter()
            .reduce(|a, b| a.saturating_add(b));
        Ok(DocumentInfo {
            office_id: Some(b.office_id),
            owner_user_id: b.created_by.unwrap_or_default(),
            owner_department_id: None,
            amount: total,
            currency: "CNY".to_owned(),
            category: None,
            summary: format!("{} budget {}", b.number, b.year),
        })
    }

    fn on_approved(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        set_status(conn, actor, doc_id, "active", None)
    }

    fn set_status(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        status: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        set_status(conn, actor, doc_id, status, reason)
    }
}
