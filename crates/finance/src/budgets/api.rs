//! The budget endpoints: draft a budget (also the demo loader's way in), list
//! the budgets of the offices the caller reaches, read one with its lines,
//! months and quarters, and submit a draft to HQ for approval.

use actix_web::{HttpResponse, get, post, web};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, PreconditionFailed,
    PreconditionRequired, ServiceUnavailable, Unauthorized, UnprocessableEntity,
};
use kernel::{
    Actor, ApiError, ErrorCode, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{BUDGET_MANAGE, BUDGET_READ};
use serde::Deserialize;
use store::audit::{self, Change};
use store::schema::{budget_lines as bl, budgets as bg};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::IntoParams;
use validator::Validate;
use workflow::Registry;

use super::rules::check_lines;
use super::{
    BUDGET_DOC, Budget, BudgetInput, BudgetLine, BudgetRow, category_str, kind_str, load_budget,
};

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
pub(super) async fn create_budget(
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
pub(super) async fn list_budgets(
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
pub(super) async fn get_budget(
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
pub(super) async fn submit_budget(
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
