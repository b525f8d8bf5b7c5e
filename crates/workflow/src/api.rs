//! HTTP endpoints of the engine: the caller's inbox, the approvals they may see,
//! overdue steps, one approval's chain and history, the decisions, and the
//! policies HQ configures.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use kernel::concurrency::version_conflict;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, PreconditionFailed,
    PreconditionRequired, ServiceUnavailable, Unauthorized, UnprocessableEntity,
};
use kernel::{ApiError, IfMatch, Page, Principal, Reach, ValidJson, ValidQuery, etag};
use org::roles::{self, APPROVAL_POLICY_MANAGE, APPROVAL_READ, RoleLevel};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{approval_instances as ai, approval_policies as ap, approval_steps as st};
use store::{AnyConnection, Db, DbResultExt, MultiBackend};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::engine::{self, Decide, Decision, Instance, Registry, Step};
use crate::policy::{PolicyDef, StepDef};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_inbox)
        .service(list_overdue_approvals)
        .service(list_approvals)
        .service(list_policies)
        .service(create_policy)
        .service(get_policy)
        .service(update_policy)
        .service(get_approval)
        .service(approve_approval)
        .service(reject_approval)
        .service(return_approval)
        .service(withdraw_approval);
}

type Ts = NaiveDateTime;

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

#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    pub id: i64,
    pub round: i32,
    pub position: i32,
    pub name: String,
    /// `role` or `department_supervisor`.
    pub approver_kind: String,
    pub approver_role: Option<String>,
    /// `office`, `region` or `hq` for a role.
    pub approver_level: Option<String>,
    pub approver_user_id: Option<i64>,
    /// `waiting`, `pending`, `approved`, `rejected`, `returned`, `cancelled` or `withdrawn`.
    pub status: String,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub activated_at: Option<Ts>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Ts>,
    pub escalation_level: i32,
    pub decided_by: Option<i64>,
    pub acting_for_user_id: Option<i64>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<Ts>,
    pub comment: Option<String>,
}

impl From<Step> for StepView {
    fn from(s: Step) -> Self {
        StepView {
            id: s.id,
            round: s.round,
            position: s.position,
            name: s.name,
            approver_kind: s.approver_kind,
            approver_role: s.approver_role,
            approver_level: s.approver_level,
            approver_user_id: s.approver_user_id,
            status: s.status,
            activated_at: s.activated_at,
            due_at: s.due_at,
            escalation_level: s.escalation_level,
            decided_by: s.decided_by,
            acting_for_user_id: s.acting_for_user_id,
            decided_at: s.decided_at,
            comment: s.comment,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    pub id: i64,
    pub step_id: Option<i64>,
    pub round: i32,
    /// `submit`, `resubmit`, `approve`, `reject`, `return`, `withdraw` or `escalate`.
    pub action: String,
    pub actor_user_id: Option<i64>,
    pub acting_for_user_id: Option<i64>,
    pub comment: Option<String>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
}

impl From<Decision> for DecisionView {
    fn from(d: Decision) -> Self {
        DecisionView {
            id: d.id,
            step_id: d.step_id,
            round: d.round,
            action: d.action,
            actor_user_id: d.actor_user_id,
            acting_for_user_id: d.acting_for_user_id,
            comment: d.comment,
            created_at: d.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalSummary {
    pub id: i64,
    pub doc_type: String,
    pub doc_id: i64,
    pub office_id: Option<i64>,
    pub submitter_user_id: i64,
    pub amount: Option<i64>,
    pub currency: String,
    pub category: Option<String>,
    pub summary: String,
    /// `pending`, `approved`, `rejected` or `withdrawn`.
    pub status: String,
    /// Position of the step now waiting, while pending.
    pub current_step: Option<i32>,
    /// 1 for the first submission, +1 for each resubmission.
    pub round: i32,
    pub policy_id: i64,
    /// The policy version the chain was resolved from.
    pub policy_version: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Ts,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<Ts>,
    pub version: i64,
}

impl From<Instance> for ApprovalSummary {
    fn from(i: Instance) -> Self {
        ApprovalSummary {
            id: i.id,
            doc_type: i.doc_type,
            doc_id: i.doc_id,
            office_id: i.office_id,
            submitter_user_id: i.submitter_user_id,
            amount: i.amount,
            currency: i.currency,
            category: i.category,
            summary: i.summary,
            status: i.status,
            current_step: i.current_position,
            round: i.round,
            policy_id: i.policy_id,
            policy_version: i.policy_version,
            created_at: i.created_at,
            updated_at: i.updated_at,
            decided_at: i.decided_at,
            version: i.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Approval {
    #[serde(flatten)]
    pub approval: ApprovalSummary,
    /// Every step of every round, in order.
    pub steps: Vec<StepView>,
    /// Every decision: who, when, comment.
    pub history: Vec<DecisionView>,
    /// What the caller may do now.
    pub allowed_actions: Vec<String>,
}

fn view(p: &Principal, instance: Instance, steps: Vec<Step>, history: Vec<Decision>) -> Approval {
    let allowed = engine::allowed_actions(p, &instance, &steps)
        .into_iter()
        .map(str::to_owned)
        .collect();
    Approval {
        approval: instance.into(),
        steps: steps.into_iter().map(Into::into).collect(),
        history: history.into_iter().map(Into::into).collect(),
        allowed_actions: allowed,
    }
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

type StepFilter = Box<
    dyn BoxableExpression<
            diesel::helper_types::InnerJoinQuerySource<st::table, ai::table>,
            MultiBackend,
            SqlType = Bool,
        >,
>;

/// The SQL condition "the caller can decide this step": one clause per grant.
fn decidable_by(p: &Principal) -> StepFilter {
    let mut users = vec![p.user_id];
    users.extend(
        p.grants
            .iter()
            .filter(|g| g.role == "department_supervisor")
            .filter_map(|g| g.acting_for),
    );
    let mut cond: StepFilter = Box::new(
        st::approver_kind
            .eq("department_supervisor")
            .and(st::approver_user_id.assume_not_null().eq_any(users)),
    );
    for g in &p.grants {
        let Some(def) = roles::role(g.role) else {
            continue;
        };
        let by_role = st::approver_kind
            .eq("role")
            .and(st::approver_role.assume_not_null().eq(g.role));
        let clause: StepFilter = match (&g.reach, def.level) {
            (Reach::Company, _) => Box::new(by_role),
            (Reach::Offices(_), RoleLevel::Company) => continue,
            (Reach::Offices(set), _) => Box::new(
                by_role.and(
                    ai::office_id
                        .assume_not_null()
                        .eq_any(set.iter().copied().collect::<Vec<_>>()),
                ),
            ),
        };
        cond = Box::new(cond.or(clause));
    }
    cond
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
async fn get_inbox(
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
                .filter(decidable_by(&p));
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
async fn list_overdue_approvals(
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
async fn list_approvals(
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
    let instance =
        engine::load_instance(conn, id)?.ok_or_else(|| ApiError::not_found("approval"))?;
    let steps = engine::load_steps(conn, id)?;
    if !engine::can_see(p, &instance, &steps) {
        return Err(ApiError::not_found("approval"));
    }
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
async fn get_approval(
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
async fn approve_approval(
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
async fn reject_approval(
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
async fn return_approval(
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
async fn withdraw_approval(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    decide_and_view(db, registry, p, id.into_inner(), if_match, None).await
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Policy {
    pub id: i64,
    #[schema(example = "expense_claim")]
    pub doc_type: String,
    /// `null`: the HQ default; otherwise this office's override.
    pub office_id: Option<i64>,
    pub name: String,
    pub steps: Vec<StepDef>,
    pub allow_same_approver: bool,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Ts,
    pub version: i64,
}

type PolicyRow = (i64, String, Option<i64>, String, String, bool, Ts, i64);

fn policy_from(row: PolicyRow) -> Result<Policy, ApiError> {
    Ok(Policy {
        id: row.0,
        doc_type: row.1,
        office_id: row.2,
        name: row.3,
        steps: serde_json::from_str(&row.4).map_err(ApiError::internal)?,
        allow_same_approver: row.5,
        updated_at: row.6,
        version: row.7,
    })
}

const POLICY_COLUMNS: (
    ap::id,
    ap::doc_type,
    ap::office_id,
    ap::name,
    ap::steps_json,
    ap::allow_same_approver,
    ap::updated_at,
    ap::version,
) = (
    ap::id,
    ap::doc_type,
    ap::office_id,
    ap::name,
    ap::steps_json,
    ap::allow_same_approver,
    ap::updated_at,
    ap::version,
);

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListPolicies {
    #[validate(length(min = 1, max = 64))]
    #[param(min_length = 1, max_length = 64)]
    pub doc_type: Option<String>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Approval policies: HQ defaults and office overrides the caller can see.
#[utoipa::path(
    tag = "approvals",
    security(("bearer" = [])),
    params(ListPolicies),
    responses(
        (status = 200, description = "A page of policies", body = Page<Policy>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/approvals/policies")]
async fn list_policies(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListPolicies>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(APPROVAL_READ)?;
    let q = q.into_inner();
    let req = kernel::PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(
                conn,
                reach,
                from = (ap::table.select(POLICY_COLUMNS), ap::office_id, ap::id),
                also = ap::office_id.is_null(),
                PolicyRow,
                req,
                asc,
                |query| {
                    if let Some(v) = q.doc_type {
                        query = query.filter(ap::doc_type.eq(v));
                    }
                    query
                }
            )?;
            let rows = rows
                .into_iter()
                .map(policy_from)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePolicy {
    /// A registered document type.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub doc_type: String,
    /// Omit for the HQ default; set for one office's override.
    pub office_id: Option<i64>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[validate(length(min = 1, max = 20), nested)]
    #[schema(min_items = 1, max_items = 20)]
    pub steps: Vec<StepDef>,
    /// May one person approve two steps of the same chain? Default no.
    #[serde(default)]
    pub allow_same_approver: bool,
}

impl CreatePolicy {
    fn policy(&self) -> PolicyDef {
        PolicyDef {
            name: self.name.clone(),
            steps: self.steps.clone(),
            allow_same_approver: self.allow_same_approver,
        }
    }
}

/// Create a policy: an HQ default or an office override (HQ only).
#[utoipa::path(
    tag = "approvals",
    security(("bearer" = [])),
    request_body = CreatePolicy,
    responses(
        (status = 201, description = "Created", body = Policy, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/approvals/policies")]
async fn create_policy(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    body: ValidJson<CreatePolicy>,
) -> Result<HttpResponse, ApiError> {
    let actor = p.actor(p.require_company(APPROVAL_POLICY_MANAGE)?);
    let body = body.into_inner();
    let def = body.policy();
    // The same rules as a policy edit (known roles).
    kernel::extract::validate(&def)?;
    if registry.get(&body.doc_type).is_err() {
        return Err(ApiError::invalid_field(
            "doc_type",
            "unknown_doc_type",
            "no such document type",
        ));
    }
    let policy = db
        .tx(move |conn| {
            if let Some(office) = body.office_id {
                // An office named in the body that does not exist is a bad field.
                org::require_open_office(conn, office).map_err(|e| {
                    if e.code == kernel::ErrorCode::NotFound {
                        ApiError::invalid_field("office_id", "not_found", "no such office")
                    } else {
                        e
                    }
                })?;
            }
            let id = engine::insert_policy(conn, &body.doc_type, body.office_id, &def)?;
            let row: PolicyRow = ap::table
                .find(id)
                .select(POLICY_COLUMNS)
                .first(conn)
                .api()?;
            let policy = policy_from(row)?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "approval_policy", id, body.office_id).after(&policy),
            )?;
            Ok(policy)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/approvals/policies/{}", policy.id),
        ))
        .insert_header(etag(policy.version))
        .json(policy))
}

fn load_policy(conn: &mut AnyConnection, p: &Principal, id: i64) -> Result<Policy, ApiError> {
    let row: PolicyRow = ap::table
        .find(id)
        .select(POLICY_COLUMNS)
        .first(conn)
        .optional()
        .api()?
        .ok_or_else(|| ApiError::not_found("policy"))?;
    if let Some(office) = row.2
        && !p.reach(APPROVAL_READ).contains(office)
    {
        return Err(ApiError::not_found("policy"));
    }
    policy_from(row)
}

/// One policy.
#[utoipa::path(
    tag = "approvals",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Policy id")),
    responses(
        (status = 200, description = "The policy", body = Policy, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/approvals/policies/{id}")]
async fn get_policy(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    p.require(APPROVAL_READ)?;
    let id = id.into_inner();
    let policy = db.run(move |conn| load_policy(conn, &p, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(policy.version))
        .json(policy))
}

/// Replace a policy's chain. Documents already in approval keep the chain they
/// started with; only new submissions use the new one.
#[utoipa::path(
    tag = "approvals",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Policy id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = PolicyDef,
    responses(
        (status = 200, description = "Updated", body = Policy, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = UnprocessableEntity),
        (status = 428, response = PreconditionRequired),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[patch("/approvals/policies/{id}")]
async fn update_policy(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<PolicyDef>,
) -> Result<HttpResponse, ApiError> {
    let actor = p.actor(p.require_company(APPROVAL_POLICY_MANAGE)?);
    let id = id.into_inner();
    let def = body.into_inner();
    let policy = db
        .tx(move |conn| {
            let before = load_policy(conn, &p, id)?;
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            let updated = diesel::update(ap::table.find(id).filter(ap::version.eq(if_match.0)))
                .set((
                    ap::name.eq(&def.name),
                    ap::steps_json
                        .eq(serde_json::to_string(&def.steps).map_err(ApiError::internal)?),
                    ap::allow_same_approver.eq(def.allow_same_approver),
                    ap::updated_at.eq(kernel::time::to_db(kernel::time::now())),
                    ap::version.eq(ap::version + 1),
                ))
                .execute(conn)
                .api()?;
            if updated == 0 {
                return Err(version_conflict(before.version + 1));
            }
            let after = load_policy(conn, &p, id)?;
            audit::record(
                conn,
                &actor,
                Change::new("update", "approval_policy", id, after.office_id)
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(policy.version))
        .json(policy))
}
