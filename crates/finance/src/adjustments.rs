//! Budget adjustments (預算調整): an active budget changes only through an approved
//! request — one line, one month, a signed amount and the reason. HQ finance and
//! company leadership approve it; only then is the line changed, inside the
//! deciding transaction. Every adjustment stays listed with the budget, and the
//! audit trail keeps each line's amount before and after.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, ServiceUnavailable, Unauthorized,
    UnprocessableEntity,
};
use kernel::{Actor, ApiError, Page, PageRequest, Principal, ValidJson, ValidQuery};
use org::roles::{BUDGET_MANAGE, BUDGET_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{budget_adjustments as ba, budget_lines as bl, budgets as bg};
use store::{AnyConnection, Db, DbResultExt, MultiBackend};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::policy::{PolicyDef, role};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

use crate::budgets::{BudgetCategory, Kind, category_str, kind_str, load_budget};

pub const ADJUSTMENT_DOC: &str = "budget_adjustment";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_adjustments).service(request_adjustment);
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ba)]
pub struct Adjustment {
    pub id: i64,
    pub budget_id: i64,
    pub office_id: i64,
    #[schema(example = "BA-GZ01-2026-000001")]
    pub number: String,
    pub kind: String,
    pub category: String,
    pub department_id: Option<i64>,
    pub month: i32,
    /// Minor units; negative lowers the line.
    pub delta: i64,
    pub reason: String,
    /// `in_approval`, `approved`, `rejected` or `withdrawn`.
    pub status: String,
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
    pub requested_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentInput {
    pub kind: Kind,
    pub category: BudgetCategory,
    pub department_id: Option<i64>,
    #[validate(range(min = 1, max = 12))]
    #[schema(minimum = 1, maximum = 12)]
    pub month: i32,
    /// Minor units, not zero; negative lowers the line.
    #[validate(range(min = -1_000_000_000_000_i64, max = 1_000_000_000_000_i64))]
    pub delta: i64,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// The budget line row an adjustment changes, with its current amount.
fn target_line(
    conn: &mut AnyConnection,
    budget_id: i64,
    kind: &str,
    category: &str,
    dept: Option<i64>,
    month: i32,
) -> Result<Option<(i64, i64)>, ApiError> {
    let mut q = bl::table
        .filter(bl::budget_id.eq(budget_id))
        .filter(bl::kind.eq(kind))
        .filter(bl::category.eq(category))
        .filter(bl::month.eq(month))
        .select((bl::id, bl::amount))
        .into_boxed::<MultiBackend>();
    q = match dept {
        Some(d) => q.filter(bl::department_id.eq(d)),
        None => q.filter(bl::department_id.is_null()),
    };
    q.first(conn).optional().api()
}

/// Request an adjustment of an active budget; it goes to HQ approval at once.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Budget id")),
    request_body = AdjustmentInput,
    responses(
        (status = 201, description = "Requested and submitted", body = Adjustment, headers(("Location" = String))),
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
#[post("/finance/budgets/{id}/adjustments")]
async fn request_adjustment(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<AdjustmentInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    if body.delta == 0 {
        return Err(ApiError::invalid_field(
            "delta",
            "range",
            "must not be zero",
        ));
    }
    let registry = registry.get_ref().clone();
    let row = db
        .tx(move |conn| {
            let budget = load_budget(conn, &p, BUDGET_MANAGE, id)?;
            let actor = p.actor(p.authorize(BUDGET_MANAGE, Some(budget.office_id))?);
            if budget.status != "active" {
                return Err(ApiError::invalid_transition("adjust", &budget.status, &[]));
            }
            let (kind, category) = (kind_str(body.kind), category_str(body.category));
            let Some((_, amount)) =
                target_line(conn, id, kind, category, body.department_id, body.month)?
            else {
                return Err(ApiError::invalid_field(
                    "category",
                    "no_line",
                    "the budget has no such line",
                ));
            };
            if amount + body.delta < 0 {
                return Err(ApiError::invalid_field(
                    "delta",
                    "range",
                    format!("would take the month below zero (it is {amount})"),
                ));
            }
            let code = org::office_code(conn, budget.office_id)?;
            let number = store::docnum::next(conn, budget.office_id, &code, "BA", budget.year)?;
            let now = kernel::time::to_db(kernel::time::now());
            let row: Adjustment = diesel::insert_into(ba::table)
                .values((
                    ba::budget_id.eq(id),
                    ba::office_id.eq(budget.office_id),
                    ba::number.eq(&number),
                    ba::kind.eq(kind),
                    ba::category.eq(category),
                    ba::department_id.eq(body.department_id),
                    ba::month.eq(body.month),
                    ba::delta.eq(body.delta),
                    ba::reason.eq(&body.reason),
                    ba::status.eq("in_approval"),
                    ba::requested_by.eq(p.user_id),
                    ba::created_at.eq(now),
                    ba::updated_at.eq(now),
                    ba::version.eq(1_i64),
                ))
                .returning(ba::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "budget_adjustment", row.id, Some(row.office_id)).after(&row),
            )?;
            workflow::submit_and_keep!(
                conn,
                &registry,
                ADJUSTMENT_DOC,
                ba,
                Adjustment,
                row.id,
                &actor
            )
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/finance/budgets/{}/adjustments", row.budget_id),
        ))
        .json(row))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Every adjustment of a budget, oldest first: its version history.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Budget id"), PageQuery),
    responses(
        (status = 200, description = "A page of adjustments", body = Page<Adjustment>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/finance/budgets/{id}/adjustments")]
async fn list_adjustments(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    q: ValidQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let budget = load_budget(conn, &p, BUDGET_READ, id)?;
            let mut query = ba::table
                .filter(
                    ba::budget_id
                        .eq(budget.id)
                        .and(ba::office_id.eq(budget.office_id)),
                )
                .select(Adjustment::as_select())
                .into_boxed::<MultiBackend>();
            if let Some(after) = req.after {
                query = query.filter(ba::id.gt(after));
            }
            let rows: Vec<Adjustment> = query
                .order(ba::id.asc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

fn set_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<Adjustment, ApiError> {
    store::update_audited!(
        conn,
        actor,
        status,
        "budget_adjustment",
        ba,
        Adjustment,
        id,
        (
            ba::status.eq(status),
            ba::rejection_reason.eq(reason),
            ba::version.eq(ba::version + 1),
        )
    )
}

/// Adjustments in the approval engine.
pub struct AdjustmentDocument;

impl ApprovalDocument for AdjustmentDocument {
    fn doc_type(&self) -> &'static str {
        ADJUSTMENT_DOC
    }

    /// 預算調整按規定的審批流程: like the budget, HQ finance then leadership.
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Budget adjustments (預算調整)".to_owned(),
            steps: vec![
                role("hq_finance", "finance_review"),
                role("hq_executive", "leadership_approval"),
            ],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let a: Adjustment = ba::table
            .find(doc_id)
            .select(Adjustment::as_select())
            .first(conn)
            .found("budget adjustment")?;
        Ok(DocumentInfo {
            office_id: Some(a.office_id),
            owner_user_id: a.requested_by,
            owner_department_id: None,
            amount: Some(a.delta.abs()),
            currency: "CNY".to_owned(),
            category: Some(a.category.clone()),
            summary: format!(
                "{} {} {} month {} by {}: {}",
                a.number, a.kind, a.category, a.month, a.delta, a.reason
            ),
        })
    }

    /// Applies the change to the line, checking again that the month stays at or
    /// above zero and the budget is still active.
    fn on_approved(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        let a = set_status(conn, actor, doc_id, "approved", None)?;
        let status: String = bg::table
            .find(a.budget_id)
            .select(bg::status)
            .first(conn)
            .found("budget")?;
        if status != "active" {
            return Err(ApiError::invalid_transition("adjust", &status, &[]));
        }
        let (line_id, amount) = target_line(
            conn,
            a.budget_id,
            &a.kind,
            &a.category,
            a.department_id,
            a.month,
        )?
        .ok_or_else(|| ApiError::not_found("budget line"))?;
        if amount + a.delta < 0 {
            return Err(ApiError::conflict(
                "the adjustment would take the month below zero",
            ));
        }
        diesel::update(bl::table.find(line_id))
            .set(bl::amount.eq(amount + a.delta))
            .execute(conn)
            .api()?;
        diesel::update(bg::table.find(a.budget_id))
            .set(bg::version.eq(bg::version + 1))
            .execute(conn)
            .api()?;
        audit::record(
            conn,
            actor,
            Change::new("adjust", "budget", a.budget_id, Some(a.office_id))
                .before(&serde_json::json!({"line": [a.kind, a.category, a.month], "amount": amount}))
                .after(&serde_json::json!({"line": [a.kind, a.category, a.month], "amount": amount + a.delta, "adjustment": a.number})),
        )?;
        Ok(())
    }

    fn set_status(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        status: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        set_status(conn, actor, doc_id, status, reason).map(drop)
    }
}
