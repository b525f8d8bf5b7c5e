//! The HTTP side of inquiries, complaints and suggestions: record, list, read,
//! the history, and one action per step. The rules are in the parent module.
//!
//! `service:read` shows the requests of the offices it reaches, and anyone
//! sees the requests assigned to them; `service:manage` records and handles
//! them in its offices.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, FieldError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{SERVICE_MANAGE, SERVICE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{service_request_events as sre, service_requests as sr};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::{
    Action, RequestRow, RequestStatus, ServiceRequest, ServiceRequestKind, Step, no_working_time,
    transition, view,
};
use crate::calendars::calendar_for;
use crate::common::{created, now_db};
use crate::facts::Sales;
use crate::service_levels::{self, Channel, Priority};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_requests)
        .service(create_request)
        .service(get_request)
        .service(list_request_events)
        .service(assign_request)
        .service(update_request)
        .service(wait_for_customer)
        .service(resume_request)
        .service(resolve_request)
        .service(close_request)
        .service(reopen_request);
}

/// A request as received.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServiceRequest {
    /// The office that takes it; the caller's own when left out.
    pub office_id: Option<i64>,
    pub kind: ServiceRequestKind,
    /// An active customer of the office.
    pub customer_id: i64,
    /// One of the customer's contacts.
    pub contact_id: Option<i64>,
    pub channel: Channel,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "產品質量")]
    pub category: String,
    /// `normal` when left out.
    pub priority: Option<Priority>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "LED 筒燈批量閃爍")]
    pub subject: String,
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "客戶反映上月交付的 200 套筒燈中約 30 套出現閃爍。"
    )]
    pub content: String,
    /// When the customer raised it, if earlier than now (a call noted
    /// afterwards): not in the future, at most 7 days ago. The clocks start
    /// here.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub received_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Who handles it: an active user of the office.
    pub assignee_user_id: Option<i64>,
    /// For an inquiry answered at once: the answer. The inquiry is then
    /// resolved as it is recorded.
    #[validate(length(min = 1, max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub answer: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListServiceRequests {
    /// Matches the number, subject or content.
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
    pub kind: Option<ServiceRequestKind>,
    pub status: Option<RequestStatus>,
    pub priority: Option<Priority>,
    pub office_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub assignee_user_id: Option<i64>,
    /// `true`: only requests with a deadline breached (met late, or past
    /// without being met); `false`: only those without.
    pub breached: Option<bool>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignServiceRequest {
    /// An active user of the request's office.
    pub assignee_user_id: i64,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceRequestUpdate {
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "已安排工程師週三上門檢測。"
    )]
    pub message: String,
    /// Told to the customer (the default): the first such update is the
    /// response. `false`: an internal note.
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub customer_facing: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitForCustomer {
    /// What the customer is asked for; they are told it.
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "請提供燈具批次號與安裝照片。"
    )]
    pub message: String,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResumeServiceRequest {
    /// What the customer answered.
    #[validate(length(min = 1, max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveServiceRequest {
    /// What was done or answered; the customer is told it.
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "更換 30 套驅動電源，客戶確認不再閃爍。"
    )]
    pub resolution: String,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseServiceRequest {
    /// The customer's satisfaction, 1 to 5, when they gave it.
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5, example = 4)]
    pub satisfaction: Option<i32>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenServiceRequest {
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "客戶回電：更換後仍有 2 套閃爍。"
    )]
    pub reason: String,
}

/// A step in a request's history.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = sre)]
pub struct ServiceRequestEvent {
    pub id: i64,
    pub request_id: i64,
    pub office_id: i64,
    /// `created`, `assigned`, `update`, `waiting_customer`, `resumed`,
    /// `resolved`, `closed`, `reopened`, `escalated`.
    #[schema(example = "update")]
    pub kind: String,
    /// Told to the customer: the log of what they heard and when.
    pub customer_facing: bool,
    pub message: Option<String>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    /// For `resumed`: the working minutes the clock stood.
    pub minutes: Option<i64>,
    pub actor_user_id: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: NaiveDateTime,
}

/// A request the caller may read: one of the offices `reach` covers, or one
/// assigned to them — in the query.
fn load(
    conn: &mut AnyConnection,
    reach: kernel::Reach,
    user_id: i64,
    id: i64,
) -> Result<RequestRow, ApiError> {
    store::load_scoped!(
        conn,
        reach = reach,
        from = (
            sr::table.select(RequestRow::as_select()),
            sr::office_id,
            sr::id
        ),
        also = sr::assignee_user_id.eq(user_id),
        RequestRow,
        id,
        "service request"
    )
}

/// A request the caller reads (`service:read`, or assigned to them).
pub(crate) fn load_for_read(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
) -> Result<RequestRow, ApiError> {
    load(conn, p.reach(SERVICE_READ), p.user_id, id)
}

/// Appends `steps` to a request's history.
pub(crate) fn record_steps(
    conn: &mut AnyConnection,
    row: &RequestRow,
    steps: &[Step],
    from: Option<&str>,
    to: Option<&str>,
    actor: Option<i64>,
    at: NaiveDateTime,
) -> Result<(), ApiError> {
    for step in steps {
        diesel::insert_into(sre::table)
            .values((
                sre::request_id.eq(row.id),
                sre::office_id.eq(row.office_id),
                sre::kind.eq(step.kind),
                sre::customer_facing.eq(step.customer_facing),
                sre::message.eq(step.message.as_deref()),
                sre::from_status.eq(from),
                sre::to_status.eq(to),
                sre::minutes.eq(step.minutes),
                sre::actor_user_id.eq(actor),
                sre::occurred_at.eq(at),
            ))
            .execute(conn)
            .api()?;
    }
    Ok(())
}

/// Records a request received at `office` (also used by the demo loader):
/// the customer and contact checked through the sales facts, the assignee
/// checked, the service level resolved, the deadlines counted on the office's
/// calendar from `received_at`, numbered `SR-<office>-<year>-NNNNNN`, the
/// history started, audited.
pub fn record(
    conn: &mut AnyConnection,
    sales: &dyn crate::facts::SalesFacts,
    office: i64,
    actor: &Actor,
    body: &CreateServiceRequest,
    now: NaiveDateTime,
) -> Result<RequestRow, ApiError> {
    let user = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a request is recorded by a user"))?;
    if !sales.active_customer(conn, office, body.customer_id)? {
        return Err(store::scoped::no_such("customer_id", "active customer"));
    }
    if let Some(contact) = body.contact_id
        && !sales.is_contact_of(conn, body.customer_id, contact)?
    {
        return Err(store::scoped::no_such(
            "contact_id",
            "contact of the customer",
        ));
    }
    if let Some(assignee) = body.assignee_user_id {
        org::scope::user_of_office(conn, "assignee_user_id", assignee, office)?;
    }
    let priority = body.priority.unwrap_or(Priority::Normal);
    let level = service_levels::resolve(conn, office, body.kind.level(), priority, body.channel)?;
    let cal = calendar_for(conn, office)?;
    let received = body.received_at.map_or(now, kernel::time::to_db);
    let due = |minutes: i32| {
        cal.add(received.and_utc(), i64::from(minutes))
            .map(|t| t.naive_utc())
            .map_err(|_| no_working_time())
    };
    let response_due = due(level.response_minutes)?;
    let resolution_due = due(level.resolution_minutes)?;
    let warn_at = due((level.resolution_minutes - level.warn_minutes).max(0))?;
    let hq_at = cal
        .add(resolution_due.and_utc(), i64::from(level.hq_after_minutes))
        .map(|t| t.naive_utc())
        .map_err(|_| no_working_time())?;
    let code = org::office_code(conn, office)?;
    let number = store::docnum::next(conn, office, &code, "SR", now.year())?;
    let answered = body.answer.as_ref().map(|_| now);
    let status = if answered.is_some() {
        RequestStatus::Resolved
    } else {
        RequestStatus::Open
    };
    let row: RequestRow = diesel::insert_into(sr::table)
        .values((
            sr::office_id.eq(office),
            sr::number.eq(&number),
            sr::kind.eq(body.kind.as_str()),
            sr::customer_id.eq(body.customer_id),
            sr::contact_id.eq(body.contact_id),
            sr::channel.eq(body.channel.as_str()),
            sr::category.eq(&body.category),
            sr::priority.eq(priority.as_str()),
            sr::subject.eq(&body.subject),
            sr::content.eq(&body.content),
            sr::status.eq(status.as_str()),
            sr::assignee_user_id.eq(body.assignee_user_id),
            sr::service_level_id.eq(level.id),
            sr::received_at.eq(received),
            sr::response_due_at.eq(response_due),
            sr::resolution_due_at.eq(resolution_due),
            sr::warn_at.eq(warn_at),
            sr::hq_at.eq(hq_at),
            sr::responded_at.eq(answered),
            sr::resolved_at.eq(answered),
            sr::resolution.eq(body.answer.as_deref()),
            sr::created_by.eq(user),
            sr::created_at.eq(now),
            sr::updated_at.eq(now),
            sr::version.eq(1_i64),
        ))
        .returning(sr::all_columns)
        .get_result(conn)
        .api()?;
    let mut steps = vec![Step {
        kind: "created",
        customer_facing: false,
        message: None,
        minutes: None,
    }];
    if body.assignee_user_id.is_some() {
        steps.push(Step {
            kind: "assigned",
            customer_facing: false,
            message: None,
            minutes: None,
        });
    }
    if let Some(answer) = &body.answer {
        steps.push(Step {
            kind: "resolved",
            customer_facing: true,
            message: Some(answer.clone()),
            minutes: None,
        });
    }
    record_steps(
        conn,
        &row,
        &steps,
        None,
        Some(status.as_str()),
        Some(user),
        now,
    )?;
    audit::record(
        conn,
        actor,
        Change::new("create", "service_request", row.id, Some(office)).after(&row),
    )?;
    Ok(row)
}

/// Checks what a create names before any work: `answer` is for inquiries, and
/// `received_at` lies in the last 7 days.
fn check_create(body: &CreateServiceRequest, now: NaiveDateTime) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if body.answer.is_some() && body.kind != ServiceRequestKind::Inquiry {
        errors.push(FieldError::new(
            "answer",
            "not_allowed",
            "only an inquiry is answered as it is recorded; complaints and suggestions are handled and resolved",
        ));
    }
    errors.extend(crate::common::received_at_problem(body.received_at, now));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Inquiries, complaints and suggestions of the offices `service:read`
/// reaches, and those assigned to the caller; newest first.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(ListServiceRequests),
    responses((status = 200, description = "A page of requests, their deadlines as they stand", body = Page<ServiceRequest>), ReadErrors)
)]
#[get("/after-sales/service-requests")]
async fn list_requests(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListServiceRequests>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let reach = p.reach(SERVICE_READ);
    let me = p.user_id;
    let page = db
        .run(move |conn| {
            let now = now_db();
            let rows = store::list_scoped!(
                conn,
                reach,
                from = (
                    sr::table.select(RequestRow::as_select()),
                    sr::office_id,
                    sr::id
                ),
                also = sr::assignee_user_id.eq(me),
                RequestRow,
                req,
                desc,
                |query| {
                    if let Some(text) = &q.q {
                        use store::search::lower;
                        let pattern = store::search::pattern(text);
                        query = query.filter(
                            lower(sr::number)
                                .like(pattern.clone())
                                .or(lower(sr::subject).like(pattern.clone()))
                                .or(lower(sr::content).like(pattern)),
                        );
                    }
                    if let Some(v) = q.kind {
                        query = query.filter(sr::kind.eq(v.as_str()));
                    }
                    if let Some(v) = q.status {
                        query = query.filter(sr::status.eq(v.as_str()));
                    }
                    if let Some(v) = q.priority {
                        query = query.filter(sr::priority.eq(v.as_str()));
                    }
                    if let Some(v) = q.office_id {
                        query = query.filter(sr::office_id.eq(v));
                    }
                    if let Some(v) = q.customer_id {
                        query = query.filter(sr::customer_id.eq(v));
                    }
                    if let Some(v) = q.assignee_user_id {
                        query = query.filter(sr::assignee_user_id.eq(v));
                    }
                    if let Some(v) = q.breached {
                        // Met late, or past without being met (the resolution
                        // clock stopped while waiting, unless it stopped late).
                        // Each term is false, never NULL, when a time is
                        // missing, so that NOT of the whole is right too.
                        let breached = sr::responded_at
                            .is_not_null()
                            .and(sr::responded_at.gt(sr::response_due_at.nullable()))
                            .or(sr::resolved_at
                                .is_not_null()
                                .and(sr::resolved_at.gt(sr::resolution_due_at.nullable())))
                            .or(sr::responded_at
                                .is_null()
                                .and(sr::response_due_at.lt(now))
                                .nullable())
                            .or(sr::resolved_at
                                .is_null()
                                .and(sr::resolution_due_at.lt(now))
                                .and(
                                    sr::status.ne(RequestStatus::WaitingCustomer.as_str()).or(
                                        sr::paused_since
                                            .is_not_null()
                                            .and(
                                                sr::paused_since
                                                    .gt(sr::resolution_due_at.nullable()),
                                            )
                                            .assume_not_null(),
                                    ),
                                )
                                .nullable());
                        query = if v {
                            query.filter(breached.assume_not_null())
                        } else {
                            query.filter(diesel::dsl::not(breached.assume_not_null()))
                        };
                    }
                    query
                }
            )?;
            let mut cals = crate::calendars::Calendars::new();
            let mut items = Vec::with_capacity(rows.len());
            for row in rows {
                let cal = cals.of(conn, row.office_id)?;
                items.push(view(cal, row, now));
            }
            Ok(req.page(items, |r| r.request.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Record an inquiry, complaint or suggestion at an office (`service:manage`
/// there). It takes the service level that applies and gets its response and
/// resolution deadlines on the office's calendar; an inquiry given `answer` is
/// resolved at once.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    request_body = CreateServiceRequest,
    responses((status = 201, description = "Recorded", body = ServiceRequest, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/after-sales/service-requests")]
async fn create_request(
    db: web::Data<Db>,
    sales: web::Data<Sales>,
    p: Principal,
    body: ValidJson<CreateServiceRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (office, authority) = org::scope::office_for_create(&p, SERVICE_MANAGE, body.office_id)?;
    let now = now_db();
    check_create(&body, now)?;
    let actor = p.actor(authority);
    let sales = sales.get_ref().clone();
    let item = db
        .tx(move |conn| {
            let row = record(conn, sales.as_ref(), office, &actor, &body, now)?;
            let cal = calendar_for(conn, office)?;
            Ok(view(&cal, row, now))
        })
        .await?;
    Ok(created(
        format!("/api/v1/after-sales/service-requests/{}", item.request.id),
        item.request.version,
    )
    .json(item))
}

/// One request, with its deadlines as they stand and the actions its status
/// allows.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service request id")),
    responses((status = 200, description = "The request", body = ServiceRequest, headers(("ETag" = String))), ReadErrors)
)]
#[get("/after-sales/service-requests/{id}")]
async fn get_request(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let item = db
        .run(move |conn| {
            let row = load(conn, p.reach(SERVICE_READ), p.user_id, id)?;
            let cal = calendar_for(conn, row.office_id)?;
            Ok(view(&cal, row, now_db()))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(item.request.version))
        .json(item))
}

/// A request's history, oldest first: every step, and what the customer was
/// told (`customer_facing`).
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service request id")),
    responses((status = 200, description = "The history", body = Vec<ServiceRequestEvent>), ReadErrors)
)]
#[get("/after-sales/service-requests/{id}/events")]
async fn list_request_events(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let events = db
        .run(move |conn| {
            let row = load(conn, p.reach(SERVICE_READ), p.user_id, id)?;
            sre::table
                .filter(sre::request_id.eq(row.id))
                .order(sre::id.asc())
                .select(ServiceRequestEvent::as_select())
                .load::<ServiceRequestEvent>(conn)
                .api()
        })
        .await?;
    Ok(HttpResponse::Ok().json(events))
}

/// Carries out `action` on request `id` for the caller: `service:manage` over
/// its office and the version read, then [`apply`], in the caller's
/// transaction.
fn act(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    read_version: i64,
    action: Action,
) -> Result<ServiceRequest, ApiError> {
    let (before, authority) = store::load_scoped!(
        conn,
        p,
        SERVICE_MANAGE,
        sr,
        RequestRow,
        id,
        "service request"
    );
    let actor = p.actor(authority);
    if before.version != read_version {
        return Err(version_conflict(before.version));
    }
    apply(conn, &actor, before, action, now_db())
}

/// What `action` does to a request at `now` (also used by the demo loader):
/// the assignee checked, the state machine, the change under the version it
/// was read at, its history and its audit event.
pub fn apply(
    conn: &mut AnyConnection,
    actor: &Actor,
    before: RequestRow,
    action: Action,
    now: NaiveDateTime,
) -> Result<ServiceRequest, ApiError> {
    if let Action::Assign {
        assignee_user_id, ..
    } = &action
    {
        org::scope::user_of_office(
            conn,
            "assignee_user_id",
            *assignee_user_id,
            before.office_id,
        )?;
    }
    let cal = calendar_for(conn, before.office_id)?;
    let (patch, steps) = transition(&cal, &before, &action, now)?;
    let to = patch
        .status
        .clone()
        .unwrap_or_else(|| before.status.clone());
    let after: RequestRow = store::update_versioned!(conn, sr, RequestRow, before, now, patch)?;
    record_steps(
        conn,
        &after,
        &steps,
        Some(&before.status),
        Some(&to),
        actor.user_id,
        now,
    )?;
    audit::record(
        conn,
        actor,
        Change::new(
            action.name(),
            "service_request",
            after.id,
            Some(after.office_id),
        )
        .before(&before)
        .after(&after),
    )?;
    Ok(view(&cal, after, now))
}

async fn run_action(
    db: &Db,
    p: Principal,
    id: i64,
    if_match: IfMatch,
    action: Action,
) -> Result<HttpResponse, ApiError> {
    let item = db
        .tx(move |conn| act(conn, &p, id, if_match.0, action))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(item.request.version))
        .json(item))
}

/// Assign the request to someone of its office.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service request id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = AssignServiceRequest,
    responses((status = 200, description = "Assigned", body = ServiceRequest, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/service-requests/{id}/assign")]
async fn assign_request(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<AssignServiceRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    run_action(
        &db,
        p,
        id.into_inner(),
        if_match,
        Action::Assign {
            assignee_user_id: body.assignee_user_id,
            note: body.note,
        },
    )
    .await
}

/// Tell the customer of progress (or note something internal, with
/// `customer_facing: false`). The first word to the customer is the response.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service request id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ServiceRequestUpdate,
    responses((status = 200, description = "Recorded", body = ServiceRequest, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/service-requests/{id}/updates")]
async fn update_request(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ServiceRequestUpdate>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    run_action(
        &db,
        p,
        id.into_inner(),
        if_match,
        Action::Update {
            message: body.message,
            customer_facing: body.customer_facing,
        },
    )
    .await
}

/// Ask the customer for what is missing and wait: the resolution clock stops
/// until they answer.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service request id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = WaitForCustomer,
    responses((status = 200, description = "Waiting for the customer", body = ServiceRequest, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/service-requests/{id}/wait-for-customer")]
async fn wait_for_customer(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<WaitForCustomer>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    run_action(
        &db,
        p,
        id.into_inner(),
        if_match,
        Action::WaitForCustomer {
            message: body.message,
        },
    )
    .await
}

/// The customer answered: the clock runs again, and the resolution deadline
/// moves later by the working time it stood.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service request id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ResumeServiceRequest,
    responses((status = 200, description = "In progress again", body = ServiceRequest, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/service-requests/{id}/resume")]
async fn resume_request(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ResumeServiceRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    run_action(
        &db,
        p,
        id.into_inner(),
        if_match,
        Action::Resume {
            message: body.message,
        },
    )
    .await
}

/// Resolve the request with what was done or answered; the customer is told.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service request id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ResolveServiceRequest,
    responses((status = 200, description = "Resolved", body = ServiceRequest, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/service-requests/{id}/resolve")]
async fn resolve_request(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ResolveServiceRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    run_action(
        &db,
        p,
        id.into_inner(),
        if_match,
        Action::Resolve {
            resolution: body.resolution,
        },
    )
    .await
}

/// Close a resolved request, with the customer's satisfaction when they gave
/// it.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service request id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = CloseServiceRequest,
    responses((status = 200, description = "Closed", body = ServiceRequest, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/service-requests/{id}/close")]
async fn close_request(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<CloseServiceRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    run_action(
        &db,
        p,
        id.into_inner(),
        if_match,
        Action::Close {
            satisfaction: body.satisfaction,
            comment: body.comment,
        },
    )
    .await
}

/// Reopen a resolved request whose resolution did not hold; it is worked on
/// again against the deadline it had.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service request id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ReopenServiceRequest,
    responses((status = 200, description = "In progress again", body = ServiceRequest, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/service-requests/{id}/reopen")]
async fn reopen_request(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ReopenServiceRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    run_action(
        &db,
        p,
        id.into_inner(),
        if_match,
        Action::Reopen {
            reason: body.reason,
        },
    )
    .await
}
