//! HQ pre-approvals (事前審批) of large expenses: the pre-approval record and
//! request, and the endpoints under `/finance/expense-pre-approvals` that file
//! one (straight into approval), list and read them.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, ServiceUnavailable, Unauthorized,
    UnprocessableEntity,
};
use kernel::{ApiError, Page, PageRequest, Principal, ValidJson, ValidQuery};
use org::roles::EXPENSE_READ;
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::expense_pre_approvals as pa;
use store::{AnyConnection, Db, DbResultExt};
use utoipa::ToSchema;
use validator::Validate;
use workflow::Registry;

use super::api::ListClaims;
use super::rules::caller_office;
use super::{Category, PRE_APPROVAL_DOC, pre_approval_above};

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = pa)]
pub struct PreApproval {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "PA-GZ01-2026-000001")]
    pub number: String,
    pub requester_user_id: i64,
    #[schema(value_type = Category)]
    pub category: String,
    pub purpose: String,
    /// Minor units.
    pub estimated_amount: i64,
    pub currency: String,
    /// `in_approval`, `approved`, `rejected` or `withdrawn`.
    pub status: String,
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
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
pub struct PreApprovalInput {
    pub category: Category,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub purpose: String,
    /// Minor units; above the expense-claim policy's `pre_approval_above`
    /// (50,000.00 CNY by default), or no pre-approval is needed.
    #[validate(range(min = 1, max = 10_000_000_000_i64))]
    #[schema(minimum = 1, maximum = 10_000_000_000_i64, example = 6_500_000)]
    pub estimated_amount: i64,
}

/// Ask HQ to approve a large expense before spending; it goes to approval at once.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    request_body = PreApprovalInput,
    responses(
        (status = 201, description = "Filed and submitted", body = PreApproval, headers(("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/finance/expense-pre-approvals")]
pub(super) async fn create_pre_approval(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    body: ValidJson<PreApprovalInput>,
) -> Result<HttpResponse, ApiError> {
    let office = caller_office(&p)?;
    let body = body.into_inner();
    let registry = registry.get_ref().clone();
    let actor = p.actor(Default::default());
    let row = db
        .tx(move |conn| {
            let limit = pre_approval_above(conn, &registry, office)?;
            if body.estimated_amount <= limit {
                return Err(ApiError::invalid_field(
                    "estimated_amount",
                    "range",
                    format!(
                        "must be above {}: smaller claims need no pre-approval",
                        kernel::Money::cny(limit)
                    ),
                ));
            }
            let code = org::office_code(conn, office)?;
            let now = kernel::time::now();
            let number = store::docnum::next(conn, office, &code, "PA", now.year())?;
            let now = kernel::time::to_db(now);
            let row: PreApproval = diesel::insert_into(pa::table)
                .values((
                    pa::office_id.eq(office),
                    pa::number.eq(&number),
                    pa::requester_user_id.eq(p.user_id),
                    pa::category.eq(body.category.as_str()),
                    pa::purpose.eq(&body.purpose),
                    pa::estimated_amount.eq(body.estimated_amount),
                    pa::currency.eq("CNY"),
                    pa::status.eq("in_approval"),
                    pa::created_at.eq(now),
                    pa::updated_at.eq(now),
                    pa::version.eq(1_i64),
                ))
                .returning(pa::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "expense_pre_approval", row.id, Some(office)).after(&row),
            )?;
            workflow::submit_and_keep!(
                conn,
                &registry,
                PRE_APPROVAL_DOC,
                pa,
                PreApproval,
                row.id,
                &actor
            )
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/finance/expense-pre-approvals/{}", row.id),
        ))
        .json(row))
}

/// A pre-approval the caller may read: their own, one of an office
/// `expense:read` reaches, or one they see through its approval — in the query.
fn load_pre(conn: &mut AnyConnection, p: &Principal, id: i64) -> Result<PreApproval, ApiError> {
    store::load_scoped!(
        conn,
        reach = p.reach(EXPENSE_READ),
        from = (
            pa::table.select(PreApproval::as_select()),
            pa::office_id,
            pa::id
        ),
        also = pa::requester_user_id
            .eq(p.user_id)
            .or(workflow::seen_through_approval!(
                conn,
                p,
                PRE_APPROVAL_DOC,
                pa,
                id
            )),
        PreApproval,
        id,
        "pre-approval"
    )
}

/// Pre-approvals: one's own and those of the offices `expense:read` reaches.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(ListClaims),
    responses(
        (status = 200, description = "A page of pre-approvals", body = Page<PreApproval>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/finance/expense-pre-approvals")]
pub(super) async fn list_pre_approvals(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListClaims>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let reach = p.reach(EXPENSE_READ);
            let rows = store::list_scoped!(
                conn,
                reach,
                pa,
                PreApproval,
                req,
                desc,
                owner = (pa::requester_user_id, p.user_id),
                |query| {
                    if let Some(v) = q.status {
                        query = query.filter(pa::status.eq(v));
                    }
                    if let Some(v) = q.office_id {
                        query = query.filter(pa::office_id.eq(v));
                    }
                    if let Some(v) = q.claimant_user_id {
                        query = query.filter(pa::requester_user_id.eq(v));
                    }
                    query
                }
            )?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One pre-approval.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Pre-approval id")),
    responses(
        (status = 200, description = "The pre-approval", body = PreApproval),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/finance/expense-pre-approvals/{id}")]
pub(super) async fn get_pre_approval(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db.run(move |conn| load_pre(conn, &p, id)).await?;
    Ok(HttpResponse::Ok().json(row))
}
