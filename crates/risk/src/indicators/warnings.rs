//! Early warnings (預警): raised when an indicator's value crosses its
//! warning threshold, de-duplicated (one open per indicator: a later value
//! past the threshold moves the open warning, it does not raise another),
//! escalated when the value reaches the alarm threshold — the indicator's
//! owner is told of every change, and an alarm also goes one level up —
//! and cleared when the value returns. People acknowledge a warning and
//! resolve it with a note, and open a risk in the register from it, linked
//! both ways (the warning names the risk, the risk's file names the
//! warning).

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::responses::{ChangeErrors, ReadErrors};
use kernel::{Actor, ApiError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag};
use org::roles::{RISK_MANAGE, RISK_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::notify::{self, Notice};
use store::schema::{risk_indicators as ri, risk_warnings as rw};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::{Indicator, Standing};
use crate::common::{allow, created, now_db};
use crate::register::api::CreateRisk;
use crate::register::{IdentificationMethod, Risk, RiskCategory, record_event};
use crate::scope::{Place, Sight};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_warnings)
        .service(get_warning)
        .service(acknowledge_warning)
        .service(resolve_warning)
        .service(open_risk);
}

/// Where a warning stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WarningStatus {
    /// Raised, nobody has taken it up.
    Open,
    /// Someone has taken it up; still past the threshold.
    Acknowledged,
    /// Closed by hand with a note.
    Resolved,
    /// The value returned within the thresholds.
    Cleared,
}

impl WarningStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WarningStatus::Open => "open",
            WarningStatus::Acknowledged => "acknowledged",
            WarningStatus::Resolved => "resolved",
            WarningStatus::Cleared => "cleared",
        }
    }
}

fn actions(status: &str) -> &'static [&'static str] {
    match status {
        "open" => &["acknowledge", "resolve", "open_risk"],
        "acknowledged" => &["resolve", "open_risk"],
        _ => &["open_risk"],
    }
}

/// A warning.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = rw)]
pub struct Warning {
    pub id: i64,
    pub indicator_id: i64,
    pub office_id: Option<i64>,
    pub region_id: Option<i64>,
    /// `warning` or `alarm`: where the last value stood.
    #[schema(value_type = Standing)]
    pub level: String,
    #[schema(value_type = WarningStatus)]
    pub status: String,
    /// The value that raised it.
    pub first_value: i64,
    /// The latest value read.
    pub last_value: i64,
    pub raised_period: String,
    pub last_period: String,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub raised_at: NaiveDateTime,
    /// When it reached the alarm threshold and went one level up.
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub escalated_at: Option<NaiveDateTime>,
    pub acknowledged_by: Option<i64>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub acknowledged_at: Option<NaiveDateTime>,
    pub resolved_by: Option<i64>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<NaiveDateTime>,
    /// The acknowledging or resolving note.
    pub note: Option<String>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub cleared_at: Option<NaiveDateTime>,
    /// The risk opened from it.
    pub risk_id: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

fn system() -> Actor {
    Actor::job("risk-evaluation")
}

/// Who an alarm goes to, one level above the indicator's owner: an office's
/// director and regional manager; a region's manager and company
/// leadership; the company's leadership.
fn escalation_recipients(
    conn: &mut AnyConnection,
    indicator: &Indicator,
) -> Result<Vec<i64>, ApiError> {
    let role = |conn: &mut AnyConnection, r: &str, office: Option<i64>| {
        org::scope::role_holders(conn, r, office)
    };
    Ok(match (indicator.office_id, indicator.region_id) {
        (Some(office), _) => {
            let mut people = role(conn, "office_director", Some(office))?;
            people.extend(role(conn, "regional_manager", Some(office))?);
            people
        }
        (None, Some(region)) => {
            let any = org::scope::region_offices(conn, region)?.into_iter().next();
            let mut people = role(conn, "regional_manager", any)?;
            people.extend(role(conn, "hq_executive", None)?);
            people
        }
        (None, None) => role(conn, "hq_executive", None)?,
    })
}

fn tell(
    conn: &mut AnyConnection,
    people: &[i64],
    kind: &str,
    w: &Warning,
    title: String,
) -> Result<(), ApiError> {
    notify::send(
        conn,
        people,
        &Notice {
            kind,
            entity_type: "risk_warning",
            entity_id: w.id,
            office_id: w.office_id,
            title,
            body: None,
        },
    )?;
    Ok(())
}

/// Follows `indicator`'s warning after a value in period `key`: raises one
/// when none is open and the value is past a threshold, moves the open one
/// (escalating it when it reaches the alarm), clears it when the value is
/// back within the thresholds. Each change audited and told.
pub fn follow(
    conn: &mut AnyConnection,
    indicator: &Indicator,
    standing: Standing,
    value: i64,
    key: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let open: Option<Warning> = rw::table
        .filter(rw::indicator_id.eq(indicator.id))
        .filter(rw::status.eq_any(["open", "acknowledged"]))
        .select(Warning::as_select())
        .first(conn)
        .optional()
        .api()?;
    let actor = system();
    let owner = [indicator.owner_user_id];
    match (standing, open) {
        (Standing::Normal, None) => Ok(()),
        (Standing::Normal, Some(before)) => {
            let after: Warning = store::update_versioned!(
                conn,
                rw,
                Warning,
                before,
                now,
                (
                    rw::status.eq(WarningStatus::Cleared.as_str()),
                    rw::cleared_at.eq(Some(now)),
                    rw::last_value.eq(value),
                    rw::last_period.eq(key),
                )
            )?;
            audit::record(
                conn,
                &actor,
                Change::new("clear", "risk_warning", after.id, after.office_id)
                    .before(&before)
                    .after(&after),
            )?;
            tell(
                conn,
                &owner,
                "risk_warning_cleared",
                &after,
                format!("{}: back within its thresholds ({value})", indicator.name),
            )
        }
        (level, None) => {
            let w: Warning = diesel::insert_into(rw::table)
                .values((
                    rw::indicator_id.eq(indicator.id),
                    rw::office_id.eq(indicator.office_id),
                    rw::region_id.eq(indicator.region_id),
                    rw::level.eq(level.as_str()),
                    rw::status.eq(WarningStatus::Open.as_str()),
                    rw::first_value.eq(value),
                    rw::last_value.eq(value),
                    rw::raised_period.eq(key),
                    rw::last_period.eq(key),
                    rw::raised_at.eq(now),
                    rw::escalated_at.eq((level == Standing::Alarm).then_some(now)),
                    rw::created_at.eq(now),
                    rw::updated_at.eq(now),
                    rw::version.eq(1_i64),
                ))
                .returning(rw::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("raise", "risk_warning", w.id, w.office_id).after(&w),
            )?;
            let title = format!(
                "{}: {} ({value}, thresholds {} / {})",
                indicator.name,
                level.as_str(),
                indicator.warning_threshold,
                indicator.alarm_threshold
            );
            tell(conn, &owner, "risk_warning_raised", &w, title.clone())?;
            if level == Standing::Alarm {
                let up = escalation_recipients(conn, indicator)?;
                tell(conn, &up, "risk_warning_escalated", &w, title)?;
            }
            Ok(())
        }
        (level, Some(before)) => {
            let escalate = level == Standing::Alarm && before.escalated_at.is_none();
            let after: Warning = store::update_versioned!(
                conn,
                rw,
                Warning,
                before,
                now,
                (
                    rw::level.eq(level.as_str()),
                    rw::last_value.eq(value),
                    rw::last_period.eq(key),
                    rw::escalated_at.eq(if escalate {
                        Some(now)
                    } else {
                        before.escalated_at
                    }),
                )
            )?;
            audit::record(
                conn,
                &actor,
                Change::new(
                    if escalate { "escalate" } else { "update" },
                    "risk_warning",
                    after.id,
                    after.office_id,
                )
                .before(&before)
                .after(&after),
            )?;
            if escalate {
                let title = format!(
                    "{}: alarm ({value}, threshold {})",
                    indicator.name, indicator.alarm_threshold
                );
                let mut people = escalation_recipients(conn, indicator)?;
                people.push(indicator.owner_user_id);
                tell(conn, &people, "risk_warning_escalated", &after, title)?;
            }
            Ok(())
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListWarnings {
    pub indicator_id: Option<i64>,
    pub office_id: Option<i64>,
    pub status: Option<WarningStatus>,
    /// `true`: open or acknowledged only.
    pub open: Option<bool>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A note on a warning.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarningNote {
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "已約談三家逾期經銷商,本週內回款"
    )]
    pub note: String,
}

/// The risk to open from a warning; what is left out comes from the
/// indicator and the warning.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenRisk {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "應收賬款逾期率超出預警線")]
    pub title: Option<String>,
    #[validate(length(min = 1, max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub description: Option<String>,
    /// The indicator's owner when left out.
    pub owner_user_id: Option<i64>,
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5, example = 4)]
    pub likelihood: Option<i32>,
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5, example = 4)]
    pub impact: Option<i32>,
}

fn load(conn: &mut AnyConnection, sight: &Sight, id: i64) -> Result<Warning, ApiError> {
    crate::load_in_sight!(conn, sight, rw, Warning, id, "risk warning")
}

/// Warnings the caller sees (of their offices, of regions they hold whole,
/// the company's with a company-wide reach), newest first.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(ListWarnings),
    responses((status = 200, description = "A page of warnings", body = Page<Warning>), ReadErrors)
)]
#[get("/risk/warnings")]
async fn list_warnings(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListWarnings>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let sight = Sight::of(conn, &p, RISK_READ)?;
            let mut query = crate::in_sight!(
                rw::table
                    .select(Warning::as_select())
                    .into_boxed::<store::MultiBackend>(),
                sight,
                rw::office_id,
                rw::region_id
            );
            if let Some(v) = f.indicator_id {
                query = query.filter(rw::indicator_id.eq(v));
            }
            if let Some(v) = f.office_id {
                query = query.filter(rw::office_id.eq(v));
            }
            if let Some(v) = f.status {
                query = query.filter(rw::status.eq(v.as_str()));
            }
            match f.open {
                Some(true) => query = query.filter(rw::status.eq_any(["open", "acknowledged"])),
                Some(false) => query = query.filter(rw::status.eq_any(["resolved", "cleared"])),
                None => {}
            }
            let rows = store::list_scoped!(@page conn, query, rw::id, Warning, req, desc)?;
            Ok(req.page(rows, |w| w.id, |w| w))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One warning.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Warning id")),
    responses((status = 200, description = "The warning", body = Warning, headers(("ETag" = String))), ReadErrors)
)]
#[get("/risk/warnings/{id}")]
async fn get_warning(
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

/// The warning `id` the caller may act on (`risk:manage` where it sits), at
/// the version read, in a state that allows `action`.
fn for_change(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    read_version: i64,
    action: &str,
) -> Result<(Warning, Actor), ApiError> {
    p.require(RISK_MANAGE)?;
    let sight = Sight::of(conn, p, RISK_MANAGE)?;
    let w = load(conn, &sight, id)?;
    let authority = Place::at(w.office_id, w.region_id).authorize(conn, p, RISK_MANAGE)?;
    if w.version != read_version {
        return Err(kernel::concurrency::version_conflict(w.version));
    }
    allow(action, &w.status, actions(&w.status))?;
    Ok((w, p.actor(authority)))
}

/// Acknowledge a warning: someone has taken it up (`risk:manage` where it
/// sits).
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Warning id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = WarningNote,
    responses((status = 200, description = "Acknowledged", body = Warning, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/risk/warnings/{id}/acknowledge")]
async fn acknowledge_warning(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<WarningNote>,
) -> Result<HttpResponse, ApiError> {
    close_by_hand(
        db,
        p,
        id.into_inner(),
        if_match,
        body.into_inner(),
        "acknowledge",
    )
    .await
}

/// Resolve a warning by hand, with what was done (`risk:manage` where it
/// sits). If the value is still past the threshold at the next evaluation, a
/// new warning is raised.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Warning id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = WarningNote,
    responses((status = 200, description = "Resolved", body = Warning, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/risk/warnings/{id}/resolve")]
async fn resolve_warning(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<WarningNote>,
) -> Result<HttpResponse, ApiError> {
    close_by_hand(
        db,
        p,
        id.into_inner(),
        if_match,
        body.into_inner(),
        "resolve",
    )
    .await
}

async fn close_by_hand(
    db: web::Data<Db>,
    p: Principal,
    id: i64,
    if_match: IfMatch,
    b: WarningNote,
    action: &'static str,
) -> Result<HttpResponse, ApiError> {
    let row = db
        .tx(move |conn| {
            let (before, actor) = for_change(conn, &p, id, if_match.0, action)?;
            let now = now_db();
            let after: Warning = if action == "acknowledge" {
                store::update_versioned!(
                    conn,
                    rw,
                    Warning,
                    before,
                    now,
                    (
                        rw::status.eq(WarningStatus::Acknowledged.as_str()),
                        rw::acknowledged_by.eq(Some(p.user_id)),
                        rw::acknowledged_at.eq(Some(now)),
                        rw::note.eq(Some(&b.note)),
                    )
                )?
            } else {
                store::update_versioned!(
                    conn,
                    rw,
                    Warning,
                    before,
                    now,
                    (
                        rw::status.eq(WarningStatus::Resolved.as_str()),
                        rw::resolved_by.eq(Some(p.user_id)),
                        rw::resolved_at.eq(Some(now)),
                        rw::note.eq(Some(&b.note)),
                    )
                )?
            };
            audit::record(
                conn,
                &actor,
                Change::new(action, "risk_warning", after.id, after.office_id)
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

/// Open a risk in the register from a warning (`risk:manage` where it
/// sits): at the indicator's place, in its category, found by data
/// analysis; the warning names the risk and the risk's file names the
/// warning. A warning opens one risk.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Warning id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = OpenRisk,
    responses((status = 201, description = "Opened", body = Risk, headers(("Location" = String), ("ETag" = String))), ChangeErrors)
)]
#[post("/risk/warnings/{id}/open-risk")]
async fn open_risk(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<OpenRisk>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let risk = db
        .tx(move |conn| {
            let (before, actor) = for_change(conn, &p, id, if_match.0, "open_risk")?;
            if let Some(risk) = before.risk_id {
                return Err(ApiError::conflict("this warning has opened a risk already")
                    .with_extra("risk_id", risk.into()));
            }
            let indicator: Indicator = ri::table
                .find(before.indicator_id)
                .select(Indicator::as_select())
                .first(conn)
                .api()?;
            let now = now_db();
            let category: RiskCategory =
                serde_json::from_value(serde_json::Value::String(indicator.category.clone()))
                    .map_err(ApiError::internal)?;
            let place = indicator.place();
            let body = CreateRisk {
                level: Some(place.level),
                office_id: place.office_id,
                region_id: place.region_id,
                category,
                title: b.title.unwrap_or_else(|| indicator.name.clone()),
                description: b.description.unwrap_or_else(|| {
                    format!(
                        "{}: {} since {} (last value {}, thresholds {} / {})",
                        indicator.name,
                        before.level,
                        before.raised_period,
                        before.last_value,
                        indicator.warning_threshold,
                        indicator.alarm_threshold
                    )
                }),
                cause: None,
                owner_user_id: b.owner_user_id.unwrap_or(indicator.owner_user_id),
                method: IdentificationMethod::DataAnalysis,
                identified_on: None,
                likelihood: b.likelihood,
                impact: b.impact,
                priority: None,
            };
            let risk = crate::register::steps::record(conn, &actor, place, &body, now)?;
            record_event(
                conn,
                &risk,
                "opened_from_warning",
                Some(&risk.status),
                actor.user_id,
                Some(serde_json::json!({ "warning_id": before.id, "indicator_id": indicator.id })),
                now,
            )?;
            let after: Warning = store::update_versioned!(
                conn,
                rw,
                Warning,
                before,
                now,
                (rw::risk_id.eq(Some(risk.id)),)
            )?;
            audit::record(
                conn,
                &actor,
                Change::new("open_risk", "risk_warning", after.id, after.office_id)
                    .before(&before)
                    .after(&after),
            )?;
            Ok(risk)
        })
        .await?;
    Ok(created(format!("/api/v1/risk/risks/{}", risk.id), risk.version).json(risk))
}
