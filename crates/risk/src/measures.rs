//! Measures against a risk (風險應對措施): each with an owner, a due day, and
//! the evidence it was done, tracked to completion; overdue ones are listed.
//! A risk's residual assessment and its closing wait until none is open.
//! The owner completes their measure; `risk:manage` where the risk sits
//! adds, completes and cancels them. Each step is in the risk's file.

use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, Authority, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{RISK_MANAGE, RISK_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{risk_measures as rm, risks as r};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::{allow, created, now_db};
use crate::register::{Risk, record_event};
use crate::scope::{Place, Sight};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_measures)
        .service(add_measure)
        .service(get_measure)
        .service(complete_measure)
        .service(cancel_measure);
}

/// Where a measure stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MeasureStatus {
    Open,
    Done,
    Cancelled,
}

impl MeasureStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MeasureStatus::Open => "open",
            MeasureStatus::Done => "done",
            MeasureStatus::Cancelled => "cancelled",
        }
    }
}

fn actions(status: &str) -> &'static [&'static str] {
    match status {
        "open" => &["complete", "cancel"],
        _ => &[],
    }
}

/// A measure.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = rm)]
pub struct Measure {
    pub id: i64,
    pub risk_id: i64,
    /// The risk's office, for an office's risk.
    pub office_id: Option<i64>,
    /// The risk's region, for a region's risk.
    pub region_id: Option<i64>,
    #[schema(example = "逾期客戶停止發貨並逐戶催收")]
    pub title: String,
    pub description: Option<String>,
    pub owner_user_id: i64,
    pub due_on: NaiveDate,
    #[schema(value_type = MeasureStatus)]
    pub status: String,
    /// What shows it was done.
    pub evidence: Option<String>,
    pub done_on: Option<NaiveDate>,
    pub cancel_reason: Option<String>,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// A measure to take.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMeasure {
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "逾期客戶停止發貨並逐戶催收"
    )]
    pub title: String,
    #[validate(length(min = 1, max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub description: Option<String>,
    /// An active user where the risk sits (as the risk's owner).
    pub owner_user_id: i64,
    pub due_on: NaiveDate,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteMeasure {
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "三家客戶已停貨,簽回還款計劃書(附件編號 RK-2026-031)"
    )]
    pub evidence: String,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelMeasure {
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "由轉移措施取代")]
    pub reason: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListMeasures {
    pub risk_id: Option<i64>,
    pub office_id: Option<i64>,
    pub owner_user_id: Option<i64>,
    pub status: Option<MeasureStatus>,
    /// `true`: open and past their due day.
    pub overdue: Option<bool>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Adds a measure to `risk` (also used by the demo loader): the owner
/// checked where the risk sits; in the risk's file.
pub fn add(
    conn: &mut AnyConnection,
    actor: &Actor,
    risk: &Risk,
    b: &AddMeasure,
    now: NaiveDateTime,
) -> Result<Measure, ApiError> {
    let user = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a measure is added by a user"))?;
    risk.place()
        .check_user(conn, "owner_user_id", b.owner_user_id)?;
    let row: Measure = diesel::insert_into(rm::table)
        .values((
            rm::risk_id.eq(risk.id),
            rm::office_id.eq(risk.office_id),
            rm::region_id.eq(risk.region_id),
            rm::title.eq(&b.title),
            rm::description.eq(b.description.as_deref()),
            rm::owner_user_id.eq(b.owner_user_id),
            rm::due_on.eq(b.due_on),
            rm::status.eq(MeasureStatus::Open.as_str()),
            rm::created_by.eq(user),
            rm::created_at.eq(now),
            rm::updated_at.eq(now),
            rm::version.eq(1_i64),
        ))
        .returning(rm::all_columns)
        .get_result(conn)
        .api()?;
    record_event(
        conn,
        risk,
        "add_measure",
        Some(&risk.status),
        actor.user_id,
        Some(serde_json::json!({
            "measure_id": row.id, "title": row.title,
            "owner_user_id": row.owner_user_id, "due_on": row.due_on,
        })),
        now,
    )?;
    audit::record(
        conn,
        actor,
        Change::new("create", "risk_measure", row.id, row.office_id).after(&row),
    )?;
    Ok(row)
}

/// Ends `before` as done (with evidence) or cancelled (with why), at `now`
/// (also used by the demo loader); in its risk's file.
pub fn finish(
    conn: &mut AnyConnection,
    actor: &Actor,
    before: &Measure,
    done: Result<&str, &str>,
    now: NaiveDateTime,
) -> Result<Measure, ApiError> {
    let (action, status, evidence, reason) = match done {
        Ok(evidence) => ("complete", MeasureStatus::Done, Some(evidence), None),
        Err(reason) => ("cancel", MeasureStatus::Cancelled, None, Some(reason)),
    };
    allow(action, &before.status, actions(&before.status))?;
    let after: Measure = store::update_versioned!(
        conn,
        rm,
        Measure,
        before,
        now,
        (
            rm::status.eq(status.as_str()),
            rm::evidence.eq(evidence),
            rm::done_on.eq(evidence.map(|_| now.date())),
            rm::cancel_reason.eq(reason),
        )
    )?;
    let risk: Risk = r::table
        .find(after.risk_id)
        .select(Risk::as_select())
        .first(conn)
        .api()?;
    record_event(
        conn,
        &risk,
        if evidence.is_some() {
            "measure_done"
        } else {
            "measure_cancelled"
        },
        Some(&risk.status),
        actor.user_id,
        Some(serde_json::json!({
            "measure_id": after.id, "evidence": evidence, "reason": reason,
        })),
        now,
    )?;
    audit::record(
        conn,
        actor,
        Change::new(action, "risk_measure", after.id, after.office_id)
            .before(before)
            .after(&after),
    )?;
    Ok(after)
}

/// Add a measure against a risk (`risk:manage` where it sits), with an owner
/// and a due day.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Risk id")),
    request_body = AddMeasure,
    responses((status = 201, description = "Added", body = Measure, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/risk/risks/{id}/measures")]
async fn add_measure(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<AddMeasure>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_MANAGE)?;
    let (id, b) = (id.into_inner(), body.into_inner());
    let row = db
        .tx(move |conn| {
            let risk = crate::register::load(conn, &p, RISK_MANAGE, id)?;
            let authority = risk.place().authorize(conn, &p, RISK_MANAGE)?;
            allow(
                "add_measure",
                &risk.status,
                crate::register::actions(&risk.status),
            )?;
            add(conn, &p.actor(authority), &risk, &b, now_db())
        })
        .await?;
    Ok(created(format!("/api/v1/risk/measures/{}", row.id), row.version).json(row))
}

/// The measure `id` as the caller sees it: where its risk is seen, or named
/// its owner.
fn load(conn: &mut AnyConnection, p: &Principal, id: i64) -> Result<Measure, ApiError> {
    let sight = Sight::of(conn, p, RISK_READ)?;
    crate::load_in_sight!(
        conn,
        sight,
        rm,
        Measure,
        id,
        "risk measure",
        also = rm::owner_user_id.eq(p.user_id)
    )
}

/// Measures the caller sees (where their risks are seen, and those they own).
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(ListMeasures),
    responses((status = 200, description = "A page of measures", body = Page<Measure>), ReadErrors)
)]
#[get("/risk/measures")]
async fn list_measures(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListMeasures>,
) -> Result<HttpResponse, ApiError> {
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let sight = Sight::of(conn, &p, RISK_READ)?;
            let today = kernel::time::today();
            let mut query = crate::in_sight!(
                rm::table
                    .select(Measure::as_select())
                    .into_boxed::<store::MultiBackend>(),
                sight,
                rm::office_id,
                rm::region_id,
                also = rm::owner_user_id.eq(p.user_id)
            );
            if let Some(v) = f.risk_id {
                query = query.filter(rm::risk_id.eq(v));
            }
            if let Some(v) = f.office_id {
                query = query.filter(rm::office_id.eq(v));
            }
            if let Some(v) = f.owner_user_id {
                query = query.filter(rm::owner_user_id.eq(v));
            }
            if let Some(v) = f.status {
                query = query.filter(rm::status.eq(v.as_str()));
            }
            match f.overdue {
                Some(true) => {
                    query = query.filter(rm::status.eq("open").and(rm::due_on.lt(today)));
                }
                Some(false) => {
                    query = query.filter(rm::status.ne("open").or(rm::due_on.ge(today)));
                }
                None => {}
            }
            let rows = store::list_scoped!(@page conn, query, rm::id, Measure, req, asc)?;
            Ok(req.page(rows, |m| m.id, |m| m))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One measure.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Measure id")),
    responses((status = 200, description = "The measure", body = Measure, headers(("ETag" = String))), ReadErrors)
)]
#[get("/risk/measures/{id}")]
async fn get_measure(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db.run(move |conn| load(conn, &p, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// The measure `id` the caller may finish, at the version read: its owner
/// may complete it; `risk:manage` where it sits may complete or cancel it.
fn for_change(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    read_version: i64,
    by_owner: bool,
) -> Result<(Measure, Authority), ApiError> {
    let m = load(conn, p, id)?;
    let authority = if by_owner && m.owner_user_id == p.user_id {
        Authority::default()
    } else {
        let place = Place::at(m.office_id, m.region_id);
        place.authorize(conn, p, RISK_MANAGE)?
    };
    if m.version != read_version {
        return Err(kernel::concurrency::version_conflict(m.version));
    }
    Ok((m, authority))
}

/// Complete a measure with the evidence it was done (its owner, or
/// `risk:manage` where its risk sits).
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Measure id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = CompleteMeasure,
    responses((status = 200, description = "Done", body = Measure, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/risk/measures/{id}/complete")]
async fn complete_measure(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<CompleteMeasure>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let row = db
        .tx(move |conn| {
            let (before, authority) = for_change(conn, &p, id, if_match.0, true)?;
            finish(
                conn,
                &p.actor(authority),
                &before,
                Ok(&b.evidence),
                now_db(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// Cancel a measure, with why (`risk:manage` where its risk sits).
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Measure id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = CancelMeasure,
    responses((status = 200, description = "Cancelled", body = Measure, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/risk/measures/{id}/cancel")]
async fn cancel_measure(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<CancelMeasure>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_MANAGE)?;
    let (id, b) = (id.into_inner(), body.into_inner());
    let row = db
        .tx(move |conn| {
            let (before, authority) = for_change(conn, &p, id, if_match.0, false)?;
            finish(conn, &p.actor(authority), &before, Err(&b.reason), now_db())
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}
