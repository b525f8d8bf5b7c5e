//! Return-visit plans: make one (a periodic plan opens its first visit),
//! list, read, end (its open visit cancelled).

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, FieldError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{SERVICE_MANAGE, SERVICE_READ};
use serde::Deserialize;
use store::audit::{self, Change};
use store::schema::{return_visit_plans as vp, return_visits as rv};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::api::set_cancelled;
use super::{NewVisit, Plan, PlanKind, VisitMethod, VisitRow, open_visit};
use crate::common::{allow, created, now_db};
use crate::facts::{Sales, SalesFacts};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_plans)
        .service(create_plan)
        .service(get_plan)
        .service(end_plan);
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePlan {
    /// The office; the caller's own when left out.
    pub office_id: Option<i64>,
    /// An active customer of the office.
    pub customer_id: i64,
    pub kind: PlanKind,
    /// Periodic: months between visits (3 for quarterly).
    #[validate(range(min = 1, max = 24))]
    #[schema(minimum = 1, maximum = 24, example = 3)]
    pub interval_months: Option<i32>,
    /// Periodic: the first visit's day.
    pub starts_on: Option<NaiveDate>,
    /// After ticket: days after each closed ticket.
    #[validate(range(min = 0, max = 90))]
    #[schema(minimum = 0, maximum = 90, example = 7)]
    pub days_after: Option<i32>,
    pub method: VisitMethod,
    /// Who makes the visits: an active user of the office.
    pub owner_user_id: i64,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "重點客戶,每季度回訪一次")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndPlan {
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "客戶合同到期不再續約")]
    pub reason: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListPlans {
    pub office_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub kind: Option<PlanKind>,
    pub active: Option<bool>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Checks a plan's figures against its kind.
fn check_plan(b: &CreatePlan) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let need = |errors: &mut Vec<FieldError>, field: &str, present: bool, kind: &str| {
        if !present {
            errors.push(FieldError::new(
                field,
                "required",
                format!("a {kind} plan needs it"),
            ));
        }
    };
    let refuse = |errors: &mut Vec<FieldError>, field: &str, present: bool, kind: &str| {
        if present {
            errors.push(FieldError::new(
                field,
                "not_allowed",
                format!("a {kind} plan does not take it"),
            ));
        }
    };
    match b.kind {
        PlanKind::Periodic => {
            need(
                &mut errors,
                "interval_months",
                b.interval_months.is_some(),
                "periodic",
            );
            need(&mut errors, "starts_on", b.starts_on.is_some(), "periodic");
            refuse(
                &mut errors,
                "days_after",
                b.days_after.is_some(),
                "periodic",
            );
        }
        PlanKind::AfterTicket => {
            need(
                &mut errors,
                "days_after",
                b.days_after.is_some(),
                "after-ticket",
            );
            refuse(
                &mut errors,
                "interval_months",
                b.interval_months.is_some(),
                "after-ticket",
            );
            refuse(
                &mut errors,
                "starts_on",
                b.starts_on.is_some(),
                "after-ticket",
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Makes a plan at `office` (also used by the demo loader): the customer and
/// the owner checked, one active plan per customer and kind, audited; a
/// periodic plan opens its first visit.
pub fn make_plan(
    conn: &mut AnyConnection,
    sales: &dyn SalesFacts,
    office: i64,
    actor: &Actor,
    b: &CreatePlan,
    now: chrono::NaiveDateTime,
) -> Result<Plan, ApiError> {
    let user = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a plan is made by a user"))?;
    if !sales.active_customer(conn, office, b.customer_id)? {
        return Err(store::scoped::no_such("customer_id", "active customer"));
    }
    org::scope::user_of_office(conn, "owner_user_id", b.owner_user_id, office)?;
    let taken: i64 = vp::table
        .filter(vp::customer_id.eq(b.customer_id))
        .filter(vp::kind.eq(b.kind.as_str()))
        .filter(vp::active.eq(true))
        .count()
        .get_result(conn)
        .api()?;
    if taken > 0 {
        return Err(ApiError::conflict(
            "the customer already has an active plan of this kind: end it first",
        ));
    }
    let plan: Plan = diesel::insert_into(vp::table)
        .values((
            vp::office_id.eq(office),
            vp::customer_id.eq(b.customer_id),
            vp::kind.eq(b.kind.as_str()),
            vp::interval_months.eq(b.interval_months),
            vp::days_after.eq(b.days_after),
            vp::starts_on.eq(b.starts_on),
            vp::method.eq(b.method.as_str()),
            vp::owner_user_id.eq(b.owner_user_id),
            vp::active.eq(true),
            vp::note.eq(b.note.as_deref()),
            vp::created_by.eq(user),
            vp::created_at.eq(now),
            vp::updated_at.eq(now),
            vp::version.eq(1_i64),
        ))
        .returning(vp::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("create", "return_visit_plan", plan.id, Some(office)).after(&plan),
    )?;
    if let Some(first) = plan.starts_on {
        open_visit(
            conn,
            actor,
            true,
            NewVisit {
                office_id: office,
                customer_id: plan.customer_id,
                plan_id: Some(plan.id),
                ticket_id: None,
                due_on: first,
                assignee_user_id: plan.owner_user_id,
                method: plan.method.clone(),
            },
            now,
        )?;
    }
    Ok(plan)
}

/// Plan return visits for a customer (`service:manage` at the office): every
/// so many months from a first day, or so many days after each closed service
/// ticket. A periodic plan opens its first visit at once. One active plan per
/// customer and kind.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    request_body = CreatePlan,
    responses((status = 201, description = "Planned", body = Plan, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/after-sales/return-visit-plans")]
async fn create_plan(
    db: web::Data<Db>,
    sales: web::Data<Sales>,
    p: Principal,
    body: ValidJson<CreatePlan>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let (office, authority) = org::scope::office_for_create(&p, SERVICE_MANAGE, b.office_id)?;
    check_plan(&b)?;
    let actor = p.actor(authority);
    let sales = sales.get_ref().clone();
    let plan = db
        .tx(move |conn| make_plan(conn, sales.as_ref(), office, &actor, &b, now_db()))
        .await?;
    Ok(created(
        format!("/api/v1/after-sales/return-visit-plans/{}", plan.id),
        plan.version,
    )
    .json(plan))
}

/// Return-visit plans of the offices `service:read` reaches.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(ListPlans),
    responses((status = 200, description = "A page of plans", body = Page<Plan>), ReadErrors)
)]
#[get("/after-sales/return-visit-plans")]
async fn list_plans(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListPlans>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SERVICE_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(
                conn,
                reach,
                from = (vp::table.select(Plan::as_select()), vp::office_id, vp::id),
                Plan,
                req,
                asc,
                |query| {
                    if let Some(v) = f.office_id {
                        query = query.filter(vp::office_id.eq(v));
                    }
                    if let Some(v) = f.customer_id {
                        query = query.filter(vp::customer_id.eq(v));
                    }
                    if let Some(v) = f.kind {
                        query = query.filter(vp::kind.eq(v.as_str()));
                    }
                    if let Some(v) = f.active {
                        query = query.filter(vp::active.eq(v));
                    }
                    query
                }
            )?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

fn load_plan(conn: &mut AnyConnection, reach: kernel::Reach, id: i64) -> Result<Plan, ApiError> {
    store::load_scoped!(
        conn,
        reach = reach,
        from = (vp::table.select(Plan::as_select()), vp::office_id, vp::id),
        Plan,
        id,
        "return-visit plan"
    )
}

/// One plan.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Plan id")),
    responses((status = 200, description = "The plan", body = Plan, headers(("ETag" = String))), ReadErrors)
)]
#[get("/after-sales/return-visit-plans/{id}")]
async fn get_plan(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let plan = db
        .run(move |conn| load_plan(conn, p.reach(SERVICE_READ), id))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(plan.version))
        .json(plan))
}

/// End a plan with a reason: it opens no more visits, and its open visits are
/// cancelled. A change of interval is a new plan after this one ends.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Plan id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = EndPlan,
    responses((status = 200, description = "Ended", body = Plan, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/return-visit-plans/{id}/end")]
async fn end_plan(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<EndPlan>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let plan = db
        .tx(move |conn| {
            let (before, authority) =
                store::load_scoped!(conn, p, SERVICE_MANAGE, vp, Plan, id, "return-visit plan");
            let actor = p.actor(authority);
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            allow(
                "end",
                if before.active { "active" } else { "ended" },
                if before.active { &["end"] } else { &[] },
            )?;
            let now = now_db();
            let after: Plan = store::update_versioned!(
                conn,
                vp,
                Plan,
                before,
                now,
                (vp::active.eq(false), vp::ended_reason.eq(Some(&b.reason)),)
            )?;
            audit::record(
                conn,
                &actor,
                Change::new("end", "return_visit_plan", id, Some(after.office_id))
                    .before(&before)
                    .after(&after),
            )?;
            let open: Vec<VisitRow> = rv::table
                .filter(rv::plan_id.eq(id))
                .filter(rv::status.eq("due"))
                .select(VisitRow::as_select())
                .load(conn)
                .api()?;
            for visit in open {
                set_cancelled(conn, &actor, visit, "the plan ended", now)?;
            }
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(plan.version))
        .json(plan))
}
