//! The HTTP side of return visits: visits (make one off, list — overdue ones
//! too — read, complete with follow-ups, cancel); plans are in
//! [`super::plans`]. `service:read` shows those of the offices it reaches, and anyone
//! sees the visits assigned to them; `service:manage` plans and records them.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{Actor, ApiError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag};
use org::roles::{SERVICE_MANAGE, SERVICE_READ};
use serde::Deserialize;
use store::audit::{self, Change};
use store::schema::return_visits as rv;
use store::{AnyConnection, Db};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::follow_ups::{self, FollowUpInput};
use super::{
    NewVisit, ReturnVisit, VisitMethod, VisitRow, VisitStatus, open_next, open_visit, view,
};
use crate::common::{allow, created, now_db};
use crate::facts::Sales;

pub fn configure(cfg: &mut ServiceConfig) {
    super::plans::configure(cfg);
    cfg.service(list_visits)
        .service(create_visit)
        .service(get_visit)
        .service(complete_visit)
        .service(cancel_visit);
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateVisit {
    /// The office; the caller's own when left out.
    pub office_id: Option<i64>,
    /// An active customer of the office.
    pub customer_id: i64,
    pub due_on: NaiveDate,
    /// An active user of the office.
    pub assignee_user_id: i64,
    pub method: VisitMethod,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteVisit {
    /// How it was made.
    pub method: VisitMethod,
    /// The day it was made; today when left out. Not in the future.
    pub done_on: Option<NaiveDate>,
    /// What the customer said: use of the products, problems, wishes.
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "燈具運行正常,客戶希望增加節能改造方案"
    )]
    pub findings: String,
    /// The customer's satisfaction, 1 to 5, where they gave it.
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5, example = 4)]
    pub satisfaction: Option<i32>,
    /// What must be done, each routed to a department of the office.
    #[validate(length(max = 20), nested)]
    #[schema(max_items = 20)]
    #[serde(default)]
    pub follow_ups: Vec<FollowUpInput>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelVisit {
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "客戶已搬遷,聯繫不上")]
    pub reason: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListVisits {
    pub office_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub plan_id: Option<i64>,
    pub assignee_user_id: Option<i64>,
    pub status: Option<VisitStatus>,
    /// `true`: due and past their day; `false`: the others.
    pub overdue: Option<bool>,
    /// Due on or after this day.
    pub due_from: Option<NaiveDate>,
    /// Due on or before this day.
    pub due_to: Option<NaiveDate>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A visit the caller may read: of the offices `reach` covers, or assigned
/// to them.
fn load_visit(
    conn: &mut AnyConnection,
    reach: kernel::Reach,
    user_id: i64,
    id: i64,
) -> Result<VisitRow, ApiError> {
    store::load_scoped!(
        conn,
        reach = reach,
        from = (
            rv::table.select(VisitRow::as_select()),
            rv::office_id,
            rv::id
        ),
        also = rv::assignee_user_id.eq(user_id),
        VisitRow,
        id,
        "return visit"
    )
}

/// Make a visit outside any plan (`service:manage` at the office).
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    request_body = CreateVisit,
    responses((status = 201, description = "Planned", body = ReturnVisit, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/after-sales/return-visits")]
async fn create_visit(
    db: web::Data<Db>,
    sales: web::Data<Sales>,
    p: Principal,
    body: ValidJson<CreateVisit>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let (office, authority) = org::scope::office_for_create(&p, SERVICE_MANAGE, b.office_id)?;
    let actor = p.actor(authority);
    let sales = sales.get_ref().clone();
    let visit = db
        .tx(move |conn| {
            if !sales.active_customer(conn, office, b.customer_id)? {
                return Err(store::scoped::no_such("customer_id", "active customer"));
            }
            org::scope::user_of_office(conn, "assignee_user_id", b.assignee_user_id, office)?;
            open_visit(
                conn,
                &actor,
                false,
                NewVisit {
                    office_id: office,
                    customer_id: b.customer_id,
                    plan_id: None,
                    ticket_id: None,
                    due_on: b.due_on,
                    assignee_user_id: b.assignee_user_id,
                    method: b.method.as_str().to_owned(),
                },
                now_db(),
            )
        })
        .await?;
    Ok(created(
        format!("/api/v1/after-sales/return-visits/{}", visit.id),
        visit.version,
    )
    .json(view(visit, kernel::time::today())))
}

/// Return visits of the offices `service:read` reaches, and those assigned
/// to the caller; by due day, then id.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(ListVisits),
    responses((status = 200, description = "A page of visits", body = Page<ReturnVisit>), ReadErrors)
)]
#[get("/after-sales/return-visits")]
async fn list_visits(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListVisits>,
) -> Result<HttpResponse, ApiError> {
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let reach = p.reach(SERVICE_READ);
    let me = p.user_id;
    let page = db
        .run(move |conn| {
            let today = kernel::time::today();
            let rows = store::list_scoped!(
                conn,
                reach,
                from = (
                    rv::table.select(VisitRow::as_select()),
                    rv::office_id,
                    rv::id
                ),
                also = rv::assignee_user_id.eq(me),
                VisitRow,
                req,
                asc,
                |query| {
                    if let Some(v) = f.office_id {
                        query = query.filter(rv::office_id.eq(v));
                    }
                    if let Some(v) = f.customer_id {
                        query = query.filter(rv::customer_id.eq(v));
                    }
                    if let Some(v) = f.plan_id {
                        query = query.filter(rv::plan_id.eq(v));
                    }
                    if let Some(v) = f.assignee_user_id {
                        query = query.filter(rv::assignee_user_id.eq(v));
                    }
                    if let Some(v) = f.status {
                        query = query.filter(rv::status.eq(match v {
                            VisitStatus::Due => "due",
                            VisitStatus::Done => "done",
                            VisitStatus::Cancelled => "cancelled",
                        }));
                    }
                    if let Some(v) = f.due_from {
                        query = query.filter(rv::due_on.ge(v));
                    }
                    if let Some(v) = f.due_to {
                        query = query.filter(rv::due_on.le(v));
                    }
                    match f.overdue {
                        Some(true) => {
                            query = query.filter(rv::status.eq("due").and(rv::due_on.lt(today)));
                        }
                        Some(false) => {
                            query = query.filter(rv::status.ne("due").or(rv::due_on.ge(today)));
                        }
                        None => {}
                    }
                    query
                }
            )?;
            let items: Vec<ReturnVisit> = rows.into_iter().map(|v| view(v, today)).collect();
            Ok(req.page(items, |r| r.visit.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One visit.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Return visit id")),
    responses((status = 200, description = "The visit", body = ReturnVisit, headers(("ETag" = String))), ReadErrors)
)]
#[get("/after-sales/return-visits/{id}")]
async fn get_visit(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let visit = db
        .run(move |conn| load_visit(conn, p.reach(SERVICE_READ), p.user_id, id))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(visit.version))
        .json(view(visit, kernel::time::today())))
}

/// The visit `id` the caller may change (`service:manage` over its office),
/// at the version read, in a state that allows `action`.
fn for_change(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    read_version: i64,
    action: &str,
) -> Result<(Actor, VisitRow), ApiError> {
    let (before, authority) =
        store::load_scoped!(conn, p, SERVICE_MANAGE, rv, VisitRow, id, "return visit");
    let actor = p.actor(authority);
    if before.version != read_version {
        return Err(version_conflict(before.version));
    }
    allow(action, &before.status, super::actions(&before.status))?;
    Ok((actor, before))
}

/// Cancels a due visit with `reason`, audited; a periodic plan's next visit
/// is opened by the caller.
pub(super) fn set_cancelled(
    conn: &mut AnyConnection,
    actor: &Actor,
    before: VisitRow,
    reason: &str,
    now: chrono::NaiveDateTime,
) -> Result<VisitRow, ApiError> {
    let after: VisitRow = store::update_versioned!(
        conn,
        rv,
        VisitRow,
        before,
        now,
        (
            rv::status.eq("cancelled"),
            rv::cancel_reason.eq(Some(reason)),
        )
    )?;
    audit::record(
        conn,
        actor,
        Change::new("cancel", "return_visit", after.id, Some(after.office_id))
            .before(&before)
            .after(&after),
    )?;
    Ok(after)
}

/// Records a visit as made (also used by the demo loader): the method, the
/// day, the findings and satisfaction, its follow-ups routed to departments of
/// the office (their supervisors told), audited; a periodic plan opens its
/// next visit.
pub fn complete(
    conn: &mut AnyConnection,
    actor: &Actor,
    before: VisitRow,
    b: &CompleteVisit,
    now: chrono::NaiveDateTime,
) -> Result<VisitRow, ApiError> {
    let done_on = b.done_on.unwrap_or(now.date());
    let after: VisitRow = store::update_versioned!(
        conn,
        rv,
        VisitRow,
        before,
        now,
        (
            rv::status.eq("done"),
            rv::method.eq(b.method.as_str()),
            rv::done_on.eq(Some(done_on)),
            rv::findings.eq(Some(&b.findings)),
            rv::satisfaction.eq(b.satisfaction),
        )
    )?;
    audit::record(
        conn,
        actor,
        Change::new("complete", "return_visit", after.id, Some(after.office_id))
            .before(&before)
            .after(&after),
    )?;
    for (i, f) in b.follow_ups.iter().enumerate() {
        follow_ups::route(conn, actor, &after, i, f, now)?;
    }
    open_next(conn, actor, &after, now)?;
    Ok(after)
}

/// Record the visit as made: how, when, what the customer said and their
/// satisfaction, and the follow-ups — each routed to a department of the
/// office and assigned to its supervisor, who is told. A periodic plan opens
/// its next visit.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Return visit id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = CompleteVisit,
    responses((status = 200, description = "Done", body = ReturnVisit, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/return-visits/{id}/complete")]
async fn complete_visit(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<CompleteVisit>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    if let Some(day) = b.done_on {
        kernel::actions::not_in_future("done_on", day)?;
    }
    let id = id.into_inner();
    let visit = db
        .tx(move |conn| {
            let (actor, before) = for_change(conn, &p, id, if_match.0, "complete")?;
            complete(conn, &actor, before, &b, now_db())
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(visit.version))
        .json(view(visit, kernel::time::today())))
}

/// Cancel a visit with a reason. A periodic plan opens its next visit.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Return visit id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = CancelVisit,
    responses((status = 200, description = "Cancelled", body = ReturnVisit, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/return-visits/{id}/cancel")]
async fn cancel_visit(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<CancelVisit>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let id = id.into_inner();
    let visit = db
        .tx(move |conn| {
            let (actor, before) = for_change(conn, &p, id, if_match.0, "cancel")?;
            let now = now_db();
            let after = set_cancelled(conn, &actor, before, &b.reason, now)?;
            open_next(conn, &actor, &after, now)?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(visit.version))
        .json(view(visit, kernel::time::today())))
}
