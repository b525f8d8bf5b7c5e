//! The indicators' endpoints: define one where it is read (`risk:manage`
//! there), list and read them, change their thresholds, owner or state
//! under `If-Match` (audited with both sides: the audit trail is the
//! definition's history), and read an indicator's values over time.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    ApiError, FieldError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{RISK_MANAGE, RISK_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{risk_indicator_values as riv, risk_indicators as ri};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::{Comparison, EvaluationPeriod, Indicator, Metric, Standing};
use crate::common::{created, now_db};
use crate::register::RiskCategory;
use crate::scope::{Place, RiskLevel, Sight};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_indicators)
        .service(create_indicator)
        .service(get_indicator)
        .service(change_indicator)
        .service(indicator_values);
}

/// An indicator to define.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIndicator {
    /// `office` when left out.
    pub level: Option<RiskLevel>,
    /// For an office's: the office, the caller's own when left out.
    pub office_id: Option<i64>,
    /// For a region's.
    pub region_id: Option<i64>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "應收賬款逾期率")]
    pub name: String,
    pub metric: Metric,
    /// `above` when left out, `below` for a rate that is bad when low.
    pub comparison: Option<Comparison>,
    /// In the metric's unit.
    #[validate(range(min = 0, max = 1_000_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64, example = 2000)]
    pub warning_threshold: i64,
    /// At or past the warning threshold in the bad direction.
    #[validate(range(min = 0, max = 1_000_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64, example = 3500)]
    pub alarm_threshold: i64,
    pub period: EvaluationPeriod,
    /// An active user where the indicator sits.
    pub owner_user_id: i64,
    pub category: RiskCategory,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub note: Option<String>,
}

/// What may change on an indicator (its metric and place may not).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeIndicator {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[validate(range(min = 0, max = 1_000_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64, example = 2500)]
    pub warning_threshold: Option<i64>,
    #[validate(range(min = 0, max = 1_000_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64, example = 4000)]
    pub alarm_threshold: Option<i64>,
    pub period: Option<EvaluationPeriod>,
    pub owner_user_id: Option<i64>,
    /// `false`: no longer evaluated.
    pub active: Option<bool>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListIndicators {
    pub office_id: Option<i64>,
    pub region_id: Option<i64>,
    pub metric: Option<Metric>,
    pub active: Option<bool>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListValues {
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// One period's value.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = riv)]
pub struct IndicatorValue {
    pub id: i64,
    pub indicator_id: i64,
    /// `2026-12-05`, `2026-W49` or `2026-12`.
    pub period_key: String,
    pub value: i64,
    #[schema(value_type = Standing)]
    pub level: String,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub evaluated_at: NaiveDateTime,
}

/// 422 unless the alarm threshold lies at or past the warning one, in the
/// bad direction.
fn check_thresholds(comparison: &str, warning: i64, alarm: i64) -> Result<(), ApiError> {
    let ok = if comparison == "below" {
        alarm <= warning
    } else {
        alarm >= warning
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(vec![FieldError::new(
            "alarm_threshold",
            "range",
            format!("an alarm is at or past the warning threshold ({comparison} it)"),
        )]))
    }
}

/// Defines an indicator at `place` (also used by the demo loader): the owner
/// checked there, the thresholds in order, audited.
pub fn define(
    conn: &mut AnyConnection,
    actor: &kernel::Actor,
    place: Place,
    b: &CreateIndicator,
    now: NaiveDateTime,
) -> Result<Indicator, ApiError> {
    let comparison = b.comparison.unwrap_or(Comparison::Above).as_str();
    check_thresholds(comparison, b.warning_threshold, b.alarm_threshold)?;
    place.check_user(conn, "owner_user_id", b.owner_user_id)?;
    let row: Indicator = diesel::insert_into(ri::table)
        .values((
            ri::office_id.eq(place.office_id),
            ri::region_id.eq(place.region_id),
            ri::name.eq(&b.name),
            ri::metric.eq(b.metric.as_str()),
            ri::comparison.eq(comparison),
            ri::warning_threshold.eq(b.warning_threshold),
            ri::alarm_threshold.eq(b.alarm_threshold),
            ri::period.eq(b.period.as_str()),
            ri::owner_user_id.eq(b.owner_user_id),
            ri::category.eq(b.category.as_str()),
            ri::active.eq(true),
            ri::note.eq(b.note.as_deref()),
            ri::created_by.eq(actor.user_id),
            ri::created_at.eq(now),
            ri::updated_at.eq(now),
            ri::version.eq(1_i64),
        ))
        .returning(ri::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("create", "risk_indicator", row.id, row.office_id).after(&row),
    )?;
    Ok(row)
}

fn load(conn: &mut AnyConnection, sight: &Sight, id: i64) -> Result<Indicator, ApiError> {
    crate::load_in_sight!(conn, sight, ri, Indicator, id, "risk indicator")
}

/// Define an indicator (`risk:manage` where it is read: an office, a whole
/// region, or company-wide).
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    request_body = CreateIndicator,
    responses((status = 201, description = "Defined", body = Indicator, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/risk/indicators")]
async fn create_indicator(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateIndicator>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_MANAGE)?;
    let b = body.into_inner();
    let place = Place::for_create(&p, b.level, b.office_id, b.region_id)?;
    let row = db
        .tx(move |conn| {
            let authority = place.authorize(conn, &p, RISK_MANAGE)?;
            define(conn, &p.actor(authority), place, &b, now_db())
        })
        .await?;
    Ok(created(format!("/api/v1/risk/indicators/{}", row.id), row.version).json(row))
}

/// The indicators the caller sees.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(ListIndicators),
    responses((status = 200, description = "A page of indicators", body = Page<Indicator>), ReadErrors)
)]
#[get("/risk/indicators")]
async fn list_indicators(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListIndicators>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let sight = Sight::of(conn, &p, RISK_READ)?;
            let mut query = crate::in_sight!(
                ri::table
                    .select(Indicator::as_select())
                    .into_boxed::<store::MultiBackend>(),
                sight,
                ri::office_id,
                ri::region_id
            );
            if let Some(v) = f.office_id {
                query = query.filter(ri::office_id.eq(v));
            }
            if let Some(v) = f.region_id {
                query = query.filter(ri::region_id.eq(v));
            }
            if let Some(v) = f.metric {
                query = query.filter(ri::metric.eq(v.as_str()));
            }
            if let Some(v) = f.active {
                query = query.filter(ri::active.eq(v));
            }
            let rows = store::list_scoped!(@page conn, query, ri::id, Indicator, req, asc)?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One indicator.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Indicator id")),
    responses((status = 200, description = "The indicator", body = Indicator, headers(("ETag" = String))), ReadErrors)
)]
#[get("/risk/indicators/{id}")]
async fn get_indicator(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_READ)?;
    let id = id.into_inner();
    let row = db
        .run(move |conn| {
            let sight = Sight::of(conn, &p, RISK_READ)?;
            load(conn, &sight, id)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// Change an indicator's name, thresholds, period, owner or state
/// (`risk:manage` where it is read). The next evaluation uses them.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Indicator id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ChangeIndicator,
    responses((status = 200, description = "Changed", body = Indicator, headers(("ETag" = String))), ChangeErrors)
)]
#[patch("/risk/indicators/{id}")]
async fn change_indicator(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ChangeIndicator>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_MANAGE)?;
    let (id, b) = (id.into_inner(), body.into_inner());
    let row = db
        .tx(move |conn| {
            let sight = Sight::of(conn, &p, RISK_MANAGE)?;
            let before = load(conn, &sight, id)?;
            let place = before.place();
            let actor = p.actor(place.authorize(conn, &p, RISK_MANAGE)?);
            if before.version != if_match.0 {
                return Err(kernel::concurrency::version_conflict(before.version));
            }
            let warning = b.warning_threshold.unwrap_or(before.warning_threshold);
            let alarm = b.alarm_threshold.unwrap_or(before.alarm_threshold);
            check_thresholds(&before.comparison, warning, alarm)?;
            if let Some(owner) = b.owner_user_id {
                place.check_user(conn, "owner_user_id", owner)?;
            }
            let name = b.name.clone().unwrap_or_else(|| before.name.clone());
            let period = b
                .period
                .map_or_else(|| before.period.clone(), |p| p.as_str().to_owned());
            let note = b.note.clone().or_else(|| before.note.clone());
            let after: Indicator = store::update_versioned!(
                conn,
                ri,
                Indicator,
                before,
                now_db(),
                (
                    ri::name.eq(name),
                    ri::warning_threshold.eq(warning),
                    ri::alarm_threshold.eq(alarm),
                    ri::period.eq(period),
                    ri::owner_user_id.eq(b.owner_user_id.unwrap_or(before.owner_user_id)),
                    ri::active.eq(b.active.unwrap_or(before.active)),
                    ri::note.eq(note),
                )
            )?;
            audit::record(
                conn,
                &actor,
                Change::new("update", "risk_indicator", after.id, after.office_id)
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

/// An indicator's values over time, newest first.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Indicator id"), ListValues),
    responses((status = 200, description = "A page of values", body = Page<IndicatorValue>), ReadErrors)
)]
#[get("/risk/indicators/{id}/values")]
async fn indicator_values(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    q: ValidQuery<ListValues>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_READ)?;
    let id = id.into_inner();
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let sight = Sight::of(conn, &p, RISK_READ)?;
            let indicator = load(conn, &sight, id)?;
            let query = riv::table
                .filter(riv::indicator_id.eq(indicator.id))
                .select(IndicatorValue::as_select())
                .into_boxed::<store::MultiBackend>();
            let rows = store::list_scoped!(@page conn, query, riv::id, IndicatorValue, req, desc)?;
            Ok(req.page(rows, |v| v.id, |v| v))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
