//! The register's endpoints: record a risk, list and read the register and a
//! risk's file, and one endpoint per step — assess, respond, assess what
//! remains, review, close — each under `If-Match`. A step the risk's state
//! does not allow is 409 with the steps it does.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use diesel::prelude::*;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{ApiError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag};
use org::roles::{RISK_MANAGE, RISK_READ};
use serde::Deserialize;
use store::Db;
use store::schema::{risk_events as re, risks as r};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::Registry;

use super::decisions::RiskDecision;
use super::steps::{Outcome, assess, assess_remaining, close, record, respond, review};
use super::{
    IdentificationMethod, Risk, RiskCategory, RiskEvent, RiskResponse, RiskStatus, for_change,
};
use crate::bands::RiskGrade;
use crate::common::{created, now_db};
use crate::scope::{Place, RiskLevel, Sight};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_risks)
        .service(create_risk)
        .service(get_risk)
        .service(risk_history)
        .service(assess_risk)
        .service(respond_risk)
        .service(assess_residual)
        .service(review_risk)
        .service(close_risk);
}

/// A risk to record.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRisk {
    /// `office` when left out.
    pub level: Option<RiskLevel>,
    /// For an office's risk: the office, the caller's own when left out.
    pub office_id: Option<i64>,
    /// For a region's risk.
    pub region_id: Option<i64>,
    pub category: RiskCategory,
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "二網經銷商應收賬款逾期集中"
    )]
    pub title: String,
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "三家二網經銷商的應收賬款逾期超過 90 天,合計佔應收餘額三成"
    )]
    pub description: String,
    #[validate(length(min = 1, max = 20000))]
    #[schema(min_length = 1, max_length = 20000, example = "授信未按信用等級控制")]
    pub cause: Option<String>,
    /// An active user of the office (of the region's offices or HQ, for a
    /// region's risk).
    pub owner_user_id: i64,
    pub method: IdentificationMethod,
    /// Today when left out; not in the future.
    pub identified_on: Option<NaiveDate>,
    /// With `impact`, the risk is assessed as it is recorded.
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5, example = 4)]
    pub likelihood: Option<i32>,
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5, example = 4)]
    pub impact: Option<i32>,
    /// At least as urgent as the grade (high 1, medium 2, low 3); the grade's
    /// when left out.
    #[validate(range(min = 1, max = 3))]
    #[schema(minimum = 1, maximum = 3)]
    pub priority: Option<i32>,
}

/// A likelihood and impact.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessRisk {
    /// 1 (rare) to 5 (almost certain).
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5, example = 3)]
    pub likelihood: i32,
    /// 1 (negligible) to 5 (severe).
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5, example = 4)]
    pub impact: i32,
    /// For the inherent assessment: at least as urgent as the grade; the
    /// grade's when left out. Not taken for the residual one.
    #[validate(range(min = 1, max = 3))]
    #[schema(minimum = 1, maximum = 3)]
    pub priority: Option<i32>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "按近兩年數據分析")]
    pub note: Option<String>,
}

/// The response chosen.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RespondRisk {
    pub response: RiskResponse,
    /// How: the plan, or why it is accepted.
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "按信用等級重新核定授信額度,逾期客戶停止發貨"
    )]
    pub plan: String,
}

/// A note: what the review found, why the risk is closed.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskNote {
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "本季無新增逾期,維持監控")]
    pub note: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListRisks {
    pub level: Option<RiskLevel>,
    pub office_id: Option<i64>,
    pub region_id: Option<i64>,
    pub category: Option<RiskCategory>,
    pub status: Option<RiskStatus>,
    /// The grade it has now (residual once assessed).
    pub grade: Option<RiskGrade>,
    pub owner_user_id: Option<i64>,
    /// `true`: open and due for review today or earlier.
    pub review_due: Option<bool>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListEvents {
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Record a risk (`risk:manage` where it sits: the office, the whole region,
/// or company-wide for the company's).
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    request_body = CreateRisk,
    responses((status = 201, description = "Recorded", body = Risk, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/risk/risks")]
async fn create_risk(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateRisk>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_MANAGE)?;
    let b = body.into_inner();
    let place = Place::for_create(&p, b.level, b.office_id, b.region_id)?;
    let row = db
        .tx(move |conn| {
            let authority = place.authorize(conn, &p, RISK_MANAGE)?;
            record(conn, &p.actor(authority), place, &b, now_db())
        })
        .await?;
    Ok(created(format!("/api/v1/risk/risks/{}", row.id), row.version).json(row))
}

/// The register: the risks the caller sees (of their offices, of regions
/// they hold whole, the company's with a company-wide reach), by filters.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(ListRisks),
    responses((status = 200, description = "A page of risks", body = Page<Risk>), ReadErrors)
)]
#[get("/risk/risks")]
async fn list_risks(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListRisks>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let sight = Sight::of(conn, &p, RISK_READ)?;
            let today = kernel::time::today();
            let mut query = crate::in_sight!(
                r::table
                    .select(Risk::as_select())
                    .into_boxed::<store::MultiBackend>(),
                sight,
                r::office_id,
                r::region_id
            );
            if let Some(v) = f.level {
                query = query.filter(r::level.eq(v.as_str()));
            }
            if let Some(v) = f.office_id {
                query = query.filter(r::office_id.eq(v));
            }
            if let Some(v) = f.region_id {
                query = query.filter(r::region_id.eq(v));
            }
            if let Some(v) = f.category {
                query = query.filter(r::category.eq(v.as_str()));
            }
            if let Some(v) = f.status {
                query = query.filter(r::status.eq(v.as_str()));
            }
            if let Some(v) = f.grade {
                query = query.filter(
                    r::residual_grade
                        .eq(v.as_str())
                        .or(r::residual_grade.is_null().and(r::grade.eq(v.as_str()))),
                );
            }
            if let Some(v) = f.owner_user_id {
                query = query.filter(r::owner_user_id.eq(v));
            }
            match f.review_due {
                Some(true) => {
                    query = query
                        .filter(r::status.ne("closed"))
                        .filter(r::next_review_on.le(today));
                }
                Some(false) => {
                    query = query.filter(
                        r::status
                            .eq("closed")
                            .or(r::next_review_on.is_null())
                            .or(r::next_review_on.gt(today)),
                    );
                }
                None => {}
            }
            let rows = store::list_scoped!(@page conn, query, r::id, Risk, req, asc)?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One risk.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Risk id")),
    responses((status = 200, description = "The risk", body = Risk, headers(("ETag" = String))), ReadErrors)
)]
#[get("/risk/risks/{id}")]
async fn get_risk(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_READ)?;
    let id = id.into_inner();
    let row = db
        .run(move |conn| super::load(conn, &p, RISK_READ, id))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// A risk's file (風險檔案): every change, oldest first.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Risk id"), ListEvents),
    responses((status = 200, description = "A page of the file", body = Page<RiskEvent>), ReadErrors)
)]
#[get("/risk/risks/{id}/history")]
async fn risk_history(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    q: ValidQuery<ListEvents>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_READ)?;
    let id = id.into_inner();
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let risk = super::load(conn, &p, RISK_READ, id)?;
            let query = re::table
                .filter(re::risk_id.eq(risk.id))
                .select(RiskEvent::as_select())
                .into_boxed::<store::MultiBackend>();
            let rows = store::list_scoped!(@page conn, query, re::id, RiskEvent, req, asc)?;
            Ok(req.page(rows, |e| e.id, |e| e))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Assess a risk (inherent): likelihood × impact is graded by the bands in
/// force and its next review set by the grade.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Risk id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = AssessRisk,
    responses((status = 200, description = "Assessed", body = Risk, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/risk/risks/{id}/assess")]
async fn assess_risk(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<AssessRisk>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let row = db
        .tx(move |conn| {
            let (before, authority) = for_change(conn, &p, RISK_MANAGE, id, if_match.0, "assess")?;
            assess(conn, &p.actor(authority), &before, &b, now_db())
        })
        .await?;
    Ok(Outcome::Done(Box::new(row)).respond())
}

/// Choose the response: avoid, reduce or transfer take effect at once (the
/// risk is responding); a low risk may be accepted (monitored); accepting a
/// medium one goes to the engine (202 with the decision); a high one is
/// never accepted (422).
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Risk id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = RespondRisk,
    responses(
        (status = 200, description = "Taken", body = Risk, headers(("ETag" = String))),
        (status = 202, description = "Acceptance put to approval", body = RiskDecision, headers(("ETag" = String))),
        ChangeErrors
    )
)]
#[post("/risk/risks/{id}/respond")]
async fn respond_risk(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<RespondRisk>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let registry = registry.get_ref().clone();
    let outcome = db
        .tx(move |conn| {
            let (before, authority) = for_change(conn, &p, RISK_MANAGE, id, if_match.0, "respond")?;
            respond(conn, &registry, &p.actor(authority), &before, &b, now_db())
        })
        .await?;
    Ok(outcome.respond())
}

/// Assess what remains after the measures (residual): none may be open; the
/// risk is then monitored and reviewed by its residual grade.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Risk id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = AssessRisk,
    responses((status = 200, description = "Assessed", body = Risk, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/risk/risks/{id}/assess-residual")]
async fn assess_residual(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<AssessRisk>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let row = db
        .tx(move |conn| {
            let (before, authority) =
                for_change(conn, &p, RISK_MANAGE, id, if_match.0, "assess_residual")?;
            assess_remaining(conn, &p.actor(authority), &before, &b, now_db())
        })
        .await?;
    Ok(Outcome::Done(Box::new(row)).respond())
}

/// Record a periodic review; the next is due an interval of the risk's grade
/// from today.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Risk id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = RiskNote,
    responses((status = 200, description = "Reviewed", body = Risk, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/risk/risks/{id}/review")]
async fn review_risk(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<RiskNote>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let row = db
        .tx(move |conn| {
            let (before, authority) = for_change(conn, &p, RISK_MANAGE, id, if_match.0, "review")?;
            review(conn, &p.actor(authority), &before, &b.note, now_db())
        })
        .await?;
    Ok(Outcome::Done(Box::new(row)).respond())
}

/// Close a risk, with why: none of its measures open; a risk graded high is
/// closed on approval (202 with the decision).
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Risk id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = RiskNote,
    responses(
        (status = 200, description = "Closed", body = Risk, headers(("ETag" = String))),
        (status = 202, description = "Closing put to approval", body = RiskDecision, headers(("ETag" = String))),
        ChangeErrors
    )
)]
#[post("/risk/risks/{id}/close")]
async fn close_risk(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<RiskNote>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let registry = registry.get_ref().clone();
    let outcome = db
        .tx(move |conn| {
            let (before, authority) = for_change(conn, &p, RISK_MANAGE, id, if_match.0, "close")?;
            close(
                conn,
                &registry,
                &p.actor(authority),
                &before,
                &b.note,
                now_db(),
            )
        })
        .await?;
    Ok(outcome.respond())
}
