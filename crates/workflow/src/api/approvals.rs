//! The approval endpoints: the caller's inbox, overdue steps, the approvals the
//! caller may see and one approval's chain and history, and the decisions on it
//! (approve, reject, return, withdraw).

use actix_web::{HttpResponse, get, post, web};
use diesel::prelude::*;
use diesel::sql_types::Bool;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, PreconditionFailed,
    PreconditionRequired, ServiceUnavailable, Unauthorized, UnprocessableEntity,
};
use kernel::{ApiError, IfMatch, Page, Principal, Reach, ValidJson, ValidQuery, etag};
use org::roles::APPROVAL_READ;
use serde::{Deserialize, Serialize};
use store::schema::{approval_instances as ai, approval_steps as st};
use store::{AnyConnection, Db, DbResultExt, MultiBackend};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{Approval, ApprovalSummary, PageQuery, Ts, view};
use crate::engine::{self, Decide, Instance, Registry, Step};

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxItem {
    pub approval_id: i64,
    pub step_id: i64,
    #[schema(example = "expense_claim")]
    pub doc_type: String,
    pub doc_id: i64,
    pub summary: String,
    /// Minor units.
    pub amount: Option<i64>,
    pub currency: String,
    pub office_id: Option<i64>,
    pub submitter_user_id: i64,
    #[schema(example = "office_director")]
    pub step_name: String,
    /// When the step started waiting.
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub waiting_since: Option<Ts>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Ts>,
    pub overdue: bool,
    /// Set when the caller would decide it acting for someone (代行).
    pub acting_for_user_id: Option<i64>,
    /// The approval's version, for `If-Match`.
    pub version: i64,
}

/// What waits for the caller: current steps they may decide, oldest first.
#[utoipa::path(
    tag = "approvals",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of waiting steps", body = Page<InboxItem>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/approvals/inbox")]
pub(super) async fn get_inbox(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let req = kernel::PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let mut query = st::table
                .inner_join(ai::table)
                .select((Step::as_select(), Instance::as_select()))
                .into_boxed::<MultiBackend>()
                .filter(st::status.eq("pending").and(ai::status.eq("pending")))
                .filter(ai::submitter_user_id.ne(p.user_id))
                .filter(crate::visibility::decidable_by(&p));
            if let Some(after) = req.after {
                query = query.filter(st::id.gt(after));
            }
            let rows: Vec<(Step, Instance)> = query
                .order(st::id.asc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            let now = kernel::time::to_db(kernel::time::now());
            Ok(req.page(
                rows,
                |(s, _)| s.id,
                |(s, i)| InboxItem {
                    approval_id: i.id,
                    step_id: s.id,
                    acting_for_user_id: engine::approver_authority(&p, &s, i.office_id)
                        .and_then(|a| a.acting_for),
                    doc_type: i.doc_type,
                    doc_id: i.doc_id,
                    summary: i.summary,
                    amount: i.amount,
                    currency: i.currency,
                    office_id: i.office_id,
                    submitter_user_id: i.submitter_user_id,
                    step_name: s.name,
                    waiting_since: s.activated_at,
                    due_at: s.due_at,
                    overdue: s.due_at.is_some_and(|d| d < now),
                    version: i.version,
                },
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Restricts a query on approvals to the caller's `approval:read` reach.
fn scoped(p: &Principal) -> Box<dyn BoxableExpression<ai::table, MultiBackend, SqlType = Bool>> {
    let mine = ai::submitter_user_id.eq(p.user_id);
    match p.reach(APPROVAL_READ) {
        Reach::Company => Box::new(ai::id.eq(ai::id)),
        Reach::Offices(set) => Box::new(
            mine.or(ai::office_id
                .assume_not_null()
                .eq_any(set.into_iter().collect::<Vec<_>>())),
        ),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueItem {
    pub approval_id: i64,
    pub step_id: i64,
    pub doc_type: String,
    pub summary: String,
    pub office_id: Option<i64>,
    pub step_name: String,
    pub approver_role: Option<String>,
    pub approver_user_id: Option<i64>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Ts>,
    pub escalation_level: i32,
}

/// Steps past their time limit, within the caller's reach.
#[utoipa::path(
    tag = "approvals",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of overdue steps", body = Page<OverdueItem>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/approvals/overdue")]
pub(super) async fn list_overdue_approvals(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(APPROVAL_READ)?;
    let q = q.into_inner();
    let req = kernel::PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let now = kernel::time::to_db(kernel::time::now());
            let rows = store::list_scoped!(
                conn,
                reach,
                from = (
                    st::table
                        .inner_join(ai::table)
                        .filter(st::status.eq("pending").and(ai::status.eq("pending")))
                        .filter(st::due_at.lt(now))
                        .select((Step::as_select(), Instance::as_select())),
                    ai::office_id,
                    st::id
                ),
                (Step, Instance),
                req,
                asc,
                |query| { query }
            )?;
            Ok(req.page(
                rows,
                |(s, _)| s.id,
                |(s, i)| OverdueItem {
                    approval_id: i.id,
                    step_id: s.id,
                    doc_type: i.doc_type,
                    summary: i.summary,
                    office_id: i.office_id,
                    step_name: s.name,
                    approver_role: s.approver_role,
                    approver_user_id: s.approver_user_id,
                    due_at: s.due_at,
                    escalation_level: s.escalation_level,
                },
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListApprovals {
    /// `pending`, `approved`, `rejected` or `withdrawn`.
    #[validate(length(min = 1, max = 20))]
    #[param(min_length = 1, max_length = 20)]
    pub status: Option<String>,
    #[validate(length(min = 1, max = 64))]
    #[param(min_length = 1, max_length = 64)]
    pub doc_type: Option<String>,
    pub office_id: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Approvals the caller submitted or may read (`approval:read` reach), newest first.
#[utoipa::path(
    tag = "approvals",
    security(("bearer" = [])),
    params(ListApprovals),
    responses(
        (status = 200, description = "A page of approvals", body = Page<ApprovalSummary>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/approvals")]
pub(super) async fn list_approvals(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListApprovals>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let req = kernel::PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let mut query = ai::table
                .select(Instance::as_select())
                .into_boxed::<MultiBackend>()
                .filter(scoped(&p));
            if let Some(v) = q.status {
                query = query.filter(ai::status.eq(v));
            }
            if let Some(v) = q.doc_type {
                query = query.filter(ai::doc_type.eq(v));
            }
            if let Some(v) = q.office_id {
                query = query.filter(ai::office_id.eq(v));
            }
            if let Some(before) = req.after {
                query = query.filter(ai::id.lt(before));
            }
            let rows: Vec<Instance> = query
                .order(ai::id.desc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |i| i.id, ApprovalSummary::from))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

fn load_view(conn: &mut AnyConnection, p: &Principal, id: i64) -> Result<Approval, ApiError> {
    let instance = engine::load_visible(conn, p, id)?;
    let steps = engine::load_steps(conn, id)?;
    let history = engine::load_decisions(conn, id)?;
    Ok(view(p, instance, steps, history))
}

/// One approval: its chain with every decision (who, when, comment).
#[utoipa::path(
    tag = "approvals",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Approval id")),
    responses(
        (status = 200, description = "The approval", body = Approval, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/approvals/{id}")]
pub(super) async fn get_approval(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let approval = db.run(move |conn| load_view(conn, &p, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(approval.approval.version))
        .json(approval))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// Required: the owner sees it and changes the document.
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    /// Position of the earlier step that decides again.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub to_step: i32,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub comment: String,
}

async fn decide_and_view(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: i64,
    if_match: IfMatch,
    decision: Option<Decide>,
) -> Result<HttpResponse, ApiError> {
    let registry = registry.get_ref().clone();
    let approval = db
        .tx(move |conn| {
            match decision {
                Some(d) => engine::decide(conn, &registry, &p, id, if_match.0, d)?,
                None => engine::withdraw(conn, &registry, &p, id, if_match.0)?,
            };
            load_view(conn, &p, id)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(approval.approval.version))
        .json(approval))
}

/// Approve the current step; the next step starts, or the document is approved.
#[utoipa::path(
    tag = "approvals",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Approval id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ApproveRequest,
    responses(
        (status = 200, description = "Decided", body = Approval, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = UnprocessableEntity),
        (status = 428, response = PreconditionRequired),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/approvals/{id}/approve")]
pub(super) async fn approve_approval(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ApproveRequest>,
) -> Result<HttpResponse, ApiError> {
    let comment = body.into_inner().comment;
    decide_and_view(
        db,
        registry,
        p,
        id.into_inner(),
        if_match,
        Some(Decide::Approve { comment }),
    )
    .await
}

/// Reject with a reason: the document returns to its owner to change and resubmit.
#[utoipa::path(
    tag = "approvals",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Approval id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = RejectRequest,
    responses(
        (status = 200, description = "Rejected", body = Approval, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = UnprocessableEntity),
        (status = 428, response = PreconditionRequired),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/approvals/{id}/reject")]
pub(super) async fn reject_approval(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<RejectRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.into_inner().reason;
    decide_and_view(
        db,
        registry,
        p,
        id.into_inner(),
        if_match,
        Some(Decide::Reject { reason }),
    )
    .await
}

/// Return the document to an earlier step, which decides again.
#[utoipa::path(
    tag = "approvals",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Approval id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ReturnRequest,
    responses(
        (status = 200, description = "Returned", body = Approval, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = UnprocessableEntity),
        (status = 428, response = PreconditionRequired),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/approvals/{id}/return")]
pub(super) async fn return_approval(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ReturnRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let decision = Decide::Return {
        to_position: body.to_step,
        comment: body.comment,
    };
    decide_and_view(db, registry, p, id.into_inner(), if_match, Some(decision)).await
}

/// The submitter withdraws the document before the first decision.
#[utoipa::path(
    tag = "approvals",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Approval id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses(
        (status = 200, description = "Withdrawn", body = Approval, headers(("ETag" = String))),
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
#[post("/approvals/{id}/withdraw")]
pub(super) async fn withdraw_approval(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    decide_and_view(db, registry, p, id.into_inner(), if_match, None).await
}
