//! Service levels (服務時限): how soon a request must be answered and resolved,
//! in working minutes on the office's calendar, per request type, priority and
//! channel. The company's defaults (no office) apply everywhere; HQ may set an
//! office's own. A request takes the most specific rule when it is received —
//! the office's before the company's, a named priority before "any", a named
//! channel before "any" — and keeps the deadlines it got: changing a rule
//! moves no deadline already set.
//!
//! A rule also says when a request is escalated ([`crate::escalation`]): with
//! `warn_minutes` of the resolution time left, and `hq_after_minutes` past it.
//!
//! Everyone with `service:read` reads the rules that apply to their offices;
//! only HQ (`service_level:manage` company-wide) changes them.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{ApiError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag};
use org::roles::{SERVICE_LEVEL_MANAGE, SERVICE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::service_levels as sl;
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::{created, now_db};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_service_levels)
        .service(create_service_level)
        .service(effective_service_level)
        .service(get_service_level)
        .service(update_service_level)
        .service(delete_service_level);
}

/// What a customer brings.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RequestType {
    /// A question (咨詢).
    Inquiry,
    /// A complaint (投訴).
    Complaint,
    /// A suggestion (建議).
    Suggestion,
    /// A service ticket of the repair chain (售後服務).
    ServiceTicket,
}

impl RequestType {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestType::Inquiry => "inquiry",
            RequestType::Complaint => "complaint",
            RequestType::Suggestion => "suggestion",
            RequestType::ServiceTicket => "service_ticket",
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }
}

/// How the customer reached the office.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Phone,
    Email,
    OnSite,
    Online,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Phone => "phone",
            Channel::Email => "email",
            Channel::OnSite => "on_site",
            Channel::Online => "online",
        }
    }
}

/// A service-level rule.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = sl)]
pub struct ServiceLevel {
    pub id: i64,
    /// `null`: the company's default.
    pub office_id: Option<i64>,
    #[schema(value_type = RequestType)]
    pub request_type: String,
    /// `null`: any priority.
    #[schema(value_type = Option<Priority>)]
    pub priority: Option<String>,
    /// `null`: any channel.
    #[schema(value_type = Option<Channel>)]
    pub channel: Option<String>,
    /// Working minutes from receipt to the first answer to the customer.
    #[schema(example = 120)]
    pub response_minutes: i32,
    /// Working minutes from receipt to the resolution; not less than the
    /// response time.
    #[schema(example = 1350)]
    pub resolution_minutes: i32,
    /// Escalation to the department supervisor when this many working minutes
    /// of the resolution time are left.
    #[schema(example = 337)]
    pub warn_minutes: i32,
    /// Escalation to HQ when the resolution deadline is this many working
    /// minutes past (the office director is told when it passes).
    #[schema(example = 450)]
    pub hq_after_minutes: i32,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// A new rule: a company default (no `office_id`) or an office's own.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServiceLevel {
    /// Omit for a company default.
    pub office_id: Option<i64>,
    pub request_type: RequestType,
    /// Omit for any priority.
    pub priority: Option<Priority>,
    /// Omit for any channel.
    pub channel: Option<Channel>,
    /// Working minutes, 1 to 100,000.
    #[validate(range(min = 1, max = 100_000))]
    #[schema(minimum = 1, maximum = 100_000, example = 60)]
    pub response_minutes: i32,
    /// Working minutes, not less than `response_minutes`, at most 1,000,000.
    #[validate(range(min = 1, max = 1_000_000))]
    #[schema(minimum = 1, maximum = 1_000_000, example = 900)]
    pub resolution_minutes: i32,
    /// Working minutes before the resolution deadline at which the department
    /// supervisor is brought in; a quarter of the resolution time when left out.
    #[validate(range(min = 0, max = 1_000_000))]
    #[schema(minimum = 0, maximum = 1_000_000, example = 225)]
    pub warn_minutes: Option<i32>,
    /// Working minutes past the resolution deadline at which HQ is brought in;
    /// a working day (450) when left out.
    #[validate(range(min = 0, max = 1_000_000))]
    #[schema(minimum = 0, maximum = 1_000_000, example = 450)]
    pub hq_after_minutes: Option<i32>,
}

/// New figures for a rule; what is left out is kept.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateServiceLevel {
    #[validate(range(min = 1, max = 100_000))]
    #[schema(minimum = 1, maximum = 100_000, example = 60)]
    pub response_minutes: Option<i32>,
    #[validate(range(min = 1, max = 1_000_000))]
    #[schema(minimum = 1, maximum = 1_000_000, example = 900)]
    pub resolution_minutes: Option<i32>,
    #[validate(range(min = 0, max = 1_000_000))]
    #[schema(minimum = 0, maximum = 1_000_000, example = 225)]
    pub warn_minutes: Option<i32>,
    #[validate(range(min = 0, max = 1_000_000))]
    #[schema(minimum = 0, maximum = 1_000_000, example = 450)]
    pub hq_after_minutes: Option<i32>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListServiceLevels {
    pub office_id: Option<i64>,
    pub request_type: Option<RequestType>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EffectiveQuery {
    /// The office a request would be received at.
    pub office_id: i64,
    pub request_type: RequestType,
    pub priority: Priority,
    pub channel: Channel,
}

fn check_minutes(response: i32, resolution: i32) -> Result<(), ApiError> {
    if resolution < response {
        return Err(ApiError::invalid_field(
            "resolution_minutes",
            "range",
            "a request is answered before it is resolved: the resolution time is not less than the response time",
        ));
    }
    Ok(())
}

/// The rule a request of this type, priority and channel received at
/// `office_id` takes: the office's before the company's, then a named priority,
/// then a named channel. 422 on `request_type` when no rule applies.
pub fn resolve(
    conn: &mut AnyConnection,
    office_id: i64,
    request_type: RequestType,
    priority: Priority,
    channel: Channel,
) -> Result<ServiceLevel, ApiError> {
    let candidates: Vec<ServiceLevel> = sl::table
        .filter(sl::office_id.eq(office_id).or(sl::office_id.is_null()))
        .filter(sl::request_type.eq(request_type.as_str()))
        .filter(
            sl::priority
                .eq(priority.as_str())
                .or(sl::priority.is_null()),
        )
        .filter(sl::channel.eq(channel.as_str()).or(sl::channel.is_null()))
        .select(ServiceLevel::as_select())
        .load(conn)
        .api()?;
    candidates
        .into_iter()
        .max_by_key(|r| {
            (
                r.office_id.is_some(),
                r.priority.is_some(),
                r.channel.is_some(),
            )
        })
        .ok_or_else(|| {
            ApiError::invalid_field(
                "request_type",
                "no_service_level",
                "no service level applies to this type, priority and channel: HQ sets one",
            )
        })
}

fn load_level(conn: &mut AnyConnection, p: &Principal, id: i64) -> Result<ServiceLevel, ApiError> {
    store::load_scoped!(
        conn,
        reach = p.reach(SERVICE_READ),
        from = (
            sl::table.select(ServiceLevel::as_select()),
            sl::office_id,
            sl::id
        ),
        also = sl::office_id.is_null(),
        ServiceLevel,
        id,
        "service level"
    )
}

/// Service levels: the company's defaults and the rules of the offices the
/// caller reaches.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(ListServiceLevels),
    responses((status = 200, description = "A page of service levels", body = Page<ServiceLevel>), ReadErrors)
)]
#[get("/after-sales/service-levels")]
async fn list_service_levels(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListServiceLevels>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SERVICE_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(
                conn,
                reach,
                from = (
                    sl::table.select(ServiceLevel::as_select()),
                    sl::office_id,
                    sl::id
                ),
                also = sl::office_id.is_null(),
                ServiceLevel,
                req,
                asc,
                |query| {
                    if let Some(v) = q.office_id {
                        query = query.filter(sl::office_id.eq(v));
                    }
                    if let Some(v) = q.request_type {
                        query = query.filter(sl::request_type.eq(v.as_str()));
                    }
                    query
                }
            )?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create a rule (HQ): a company default, or an office's own. One rule per
/// office, type, priority and channel.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    request_body = CreateServiceLevel,
    responses((status = 201, description = "Created", body = ServiceLevel, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/after-sales/service-levels")]
async fn create_service_level(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateServiceLevel>,
) -> Result<HttpResponse, ApiError> {
    let actor = p.actor(p.require_company(SERVICE_LEVEL_MANAGE)?);
    let body = body.into_inner();
    check_minutes(body.response_minutes, body.resolution_minutes)?;
    let row = db
        .tx(move |conn| {
            if let Some(office) = body.office_id {
                org::open_office_in_body(conn, office)?;
            }
            let now = now_db();
            let row: ServiceLevel = diesel::insert_into(sl::table)
                .values((
                    sl::office_id.eq(body.office_id),
                    sl::request_type.eq(body.request_type.as_str()),
                    sl::priority.eq(body.priority.map(Priority::as_str)),
                    sl::channel.eq(body.channel.map(Channel::as_str)),
                    sl::response_minutes.eq(body.response_minutes),
                    sl::resolution_minutes.eq(body.resolution_minutes),
                    sl::warn_minutes.eq(body.warn_minutes.unwrap_or(body.resolution_minutes / 4)),
                    sl::hq_after_minutes.eq(body.hq_after_minutes.unwrap_or(450)),
                    sl::created_at.eq(now),
                    sl::updated_at.eq(now),
                    sl::version.eq(1_i64),
                ))
                .returning(sl::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "service_level", row.id, row.office_id).after(&row),
            )?;
            Ok(row)
        })
        .await?;
    Ok(created(
        format!("/api/v1/after-sales/service-levels/{}", row.id),
        row.version,
    )
    .json(row))
}

/// The rule a request would take: for an office the caller reaches, a type, a
/// priority and a channel.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(EffectiveQuery),
    responses(
        (status = 200, description = "The rule that applies", body = ServiceLevel),
        ReadErrors,
        (status = 422, response = kernel::responses::UnprocessableEntity),
    )
)]
#[get("/after-sales/service-levels/effective")]
async fn effective_service_level(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<EffectiveQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    p.authorize(SERVICE_READ, Some(q.office_id)).map_err(|e| {
        if e.code == kernel::ErrorCode::NotFound {
            ApiError::not_found("office")
        } else {
            e
        }
    })?;
    let row = db
        .run(move |conn| resolve(conn, q.office_id, q.request_type, q.priority, q.channel))
        .await?;
    Ok(HttpResponse::Ok().json(row))
}

/// One rule.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service level id")),
    responses((status = 200, description = "The rule", body = ServiceLevel, headers(("ETag" = String))), ReadErrors)
)]
#[get("/after-sales/service-levels/{id}")]
async fn get_service_level(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    p.require(SERVICE_READ)?;
    let id = id.into_inner();
    let row = db.run(move |conn| load_level(conn, &p, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// Change a rule's figures (HQ). Requests already received keep their
/// deadlines.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service level id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = UpdateServiceLevel,
    responses((status = 200, description = "Updated", body = ServiceLevel, headers(("ETag" = String))), ChangeErrors)
)]
#[patch("/after-sales/service-levels/{id}")]
async fn update_service_level(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<UpdateServiceLevel>,
) -> Result<HttpResponse, ApiError> {
    let actor = p.actor(p.require_company(SERVICE_LEVEL_MANAGE)?);
    let id = id.into_inner();
    let body = body.into_inner();
    let row = db
        .tx(move |conn| {
            let before = load_level(conn, &p, id)?;
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            let response = body.response_minutes.unwrap_or(before.response_minutes);
            let resolution = body.resolution_minutes.unwrap_or(before.resolution_minutes);
            check_minutes(response, resolution)?;
            let after: ServiceLevel =
                diesel::update(sl::table.find(id).filter(sl::version.eq(if_match.0)))
                    .set((
                        sl::response_minutes.eq(response),
                        sl::resolution_minutes.eq(resolution),
                        sl::warn_minutes.eq(body.warn_minutes.unwrap_or(before.warn_minutes)),
                        sl::hq_after_minutes
                            .eq(body.hq_after_minutes.unwrap_or(before.hq_after_minutes)),
                        sl::updated_at.eq(now_db()),
                        sl::version.eq(sl::version + 1),
                    ))
                    .returning(sl::all_columns)
                    .get_result(conn)
                    .optional()
                    .api()?
                    .ok_or_else(|| version_conflict(before.version + 1))?;
            audit::record(
                conn,
                &actor,
                Change::new("update", "service_level", id, after.office_id)
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// Remove a rule (HQ): requests then take the next most specific one. Requests
/// already received keep their deadlines; a rule they were timed by stays.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Service level id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses((status = 204, description = "Removed"), ChangeErrors)
)]
#[delete("/after-sales/service-levels/{id}")]
async fn delete_service_level(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let actor = p.actor(p.require_company(SERVICE_LEVEL_MANAGE)?);
    let id = id.into_inner();
    db.tx(move |conn| {
        let before = load_level(conn, &p, id)?;
        if before.version != if_match.0 {
            return Err(version_conflict(before.version));
        }
        let used: i64 = store::schema::service_requests::table
            .filter(store::schema::service_requests::service_level_id.eq(id))
            .count()
            .get_result(conn)
            .api()?;
        if used > 0 {
            return Err(ApiError::conflict(
                "requests were timed by this rule: change its figures instead of removing it",
            ));
        }
        diesel::delete(sl::table.find(id).filter(sl::version.eq(if_match.0)))
            .execute(conn)
            .api()?;
        audit::record(
            conn,
            &actor,
            Change::new("delete", "service_level", id, before.office_id).before(&before),
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
