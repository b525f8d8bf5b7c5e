//! Grade bands (風險等級劃分): which likelihood × impact scores are high,
//! medium and low, and how often a risk of each grade is reviewed. HQ data
//! with history: never edited; HQ writes a new set, in force from then on,
//! and every open risk (but a closed office's) is regraded by it in the same transaction — each
//! regrade in the risk's file and the audit trail. The migration seeds the
//! default: 15 and above high, 8 to 14 medium, 7 and below low; reviewed
//! monthly, quarterly and yearly.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, FieldError, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{RISK_MANAGE, RISK_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{risk_grade_bands as gb, risks as r};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::{created, now_db};
use crate::register::{Risk, record_event};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_bands)
        .service(current_bands)
        .service(set_bands)
        .service(get_bands);
}

/// A risk's grade.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum RiskGrade {
    High,
    Medium,
    Low,
}

impl RiskGrade {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskGrade::High => "high",
            RiskGrade::Medium => "medium",
            RiskGrade::Low => "low",
        }
    }

    pub fn parse(s: &str) -> Option<RiskGrade> {
        match s {
            "high" => Some(RiskGrade::High),
            "medium" => Some(RiskGrade::Medium),
            "low" => Some(RiskGrade::Low),
            _ => None,
        }
    }

    /// The priority a risk of this grade has at least: 1 high, 2 medium, 3 low.
    pub fn priority(self) -> i32 {
        match self {
            RiskGrade::High => 1,
            RiskGrade::Medium => 2,
            RiskGrade::Low => 3,
        }
    }
}

/// A set of grade bands.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = gb)]
pub struct GradeBands {
    pub id: i64,
    /// A score (likelihood × impact) from this up is high.
    #[schema(example = 15)]
    pub high_from: i32,
    /// From this up to `high_from` − 1, medium; below it, low.
    #[schema(example = 8)]
    pub medium_from: i32,
    /// A high risk is reviewed every this many months.
    #[schema(example = 1)]
    pub high_review_months: i32,
    #[schema(example = 3)]
    pub medium_review_months: i32,
    #[schema(example = 12)]
    pub low_review_months: i32,
    pub note: Option<String>,
    /// In force from then until a later set.
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub effective_at: NaiveDateTime,
    /// Who set them (none: the migration's default).
    pub created_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

impl GradeBands {
    /// The grade of `score`.
    pub fn grade(&self, score: i32) -> RiskGrade {
        if score >= self.high_from {
            RiskGrade::High
        } else if score >= self.medium_from {
            RiskGrade::Medium
        } else {
            RiskGrade::Low
        }
    }

    /// When a risk of `grade` last reviewed on `from` is next due.
    pub fn next_review(&self, grade: RiskGrade, from: NaiveDate) -> NaiveDate {
        let months = match grade {
            RiskGrade::High => self.high_review_months,
            RiskGrade::Medium => self.medium_review_months,
            RiskGrade::Low => self.low_review_months,
        };
        from.checked_add_months(Months::new(months.unsigned_abs()))
            .unwrap_or(NaiveDate::MAX)
    }
}

/// The bands in force.
pub fn current(conn: &mut AnyConnection) -> Result<GradeBands, ApiError> {
    gb::table
        .order((gb::effective_at.desc(), gb::id.desc()))
        .select(GradeBands::as_select())
        .first(conn)
        .api()
}

/// A new set of bands.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetGradeBands {
    /// Greater than `medium_from`.
    #[validate(range(min = 3, max = 25))]
    #[schema(minimum = 3, maximum = 25, example = 16)]
    pub high_from: i32,
    #[validate(range(min = 2, max = 24))]
    #[schema(minimum = 2, maximum = 24, example = 9)]
    pub medium_from: i32,
    #[validate(range(min = 1, max = 12))]
    #[schema(minimum = 1, maximum = 12, example = 1)]
    pub high_review_months: i32,
    #[validate(range(min = 1, max = 12))]
    #[schema(minimum = 1, maximum = 12, example = 3)]
    pub medium_review_months: i32,
    #[validate(range(min = 1, max = 24))]
    #[schema(minimum = 1, maximum = 24, example = 12)]
    pub low_review_months: i32,
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "2027 年起:16 分以上為重大風險"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListBands {
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Writes a new set of bands, in force now, and regrades every open risk by
/// it (also used by the demo loader). Returns the set and the risks whose
/// grade, residual grade or next review changed.
pub fn set(
    conn: &mut AnyConnection,
    actor: &Actor,
    b: &SetGradeBands,
    now: NaiveDateTime,
) -> Result<(GradeBands, Vec<i64>), ApiError> {
    if b.medium_from >= b.high_from {
        return Err(ApiError::validation(vec![FieldError::new(
            "medium_from",
            "range",
            "medium starts below high",
        )]));
    }
    let bands: GradeBands = diesel::insert_into(gb::table)
        .values((
            gb::high_from.eq(b.high_from),
            gb::medium_from.eq(b.medium_from),
            gb::high_review_months.eq(b.high_review_months),
            gb::medium_review_months.eq(b.medium_review_months),
            gb::low_review_months.eq(b.low_review_months),
            gb::note.eq(b.note.as_deref()),
            gb::effective_at.eq(now),
            gb::created_by.eq(actor.user_id),
            gb::created_at.eq(now),
        ))
        .returning(gb::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("create", "risk_grade_bands", bands.id, None).after(&bands),
    )?;
    let regraded = regrade(conn, actor, &bands, now)?;
    Ok((bands, regraded))
}

/// Regrades every open, assessed risk by `bands` — but those of a closed
/// office: grade, residual grade, priority (never below the new grade's) and
/// next review (from the last one, at the new grade's interval).
fn regrade(
    conn: &mut AnyConnection,
    actor: &Actor,
    bands: &GradeBands,
    now: NaiveDateTime,
) -> Result<Vec<i64>, ApiError> {
    // A closed office's register is kept as it was left.
    let open_offices = store::schema::offices::table
        .filter(store::schema::offices::status.eq("active"))
        .select(store::schema::offices::id.nullable());
    let open: Vec<Risk> = r::table
        .filter(r::status.ne("closed"))
        .filter(r::score.is_not_null())
        .filter(r::office_id.is_null().or(r::office_id.eq_any(open_offices)))
        .order(r::id.asc())
        .select(Risk::as_select())
        .load(conn)
        .api()?;
    let mut changed = Vec::new();
    for before in open {
        let assessed = crate::register::Assessed::of(&before, bands);
        if assessed.unchanged(&before) {
            continue;
        }
        let after: Risk = store::update_versioned!(
            conn,
            r,
            Risk,
            before,
            now,
            (
                r::grade.eq(Some(assessed.grade.as_str())),
                r::residual_grade.eq(assessed.residual_grade.map(RiskGrade::as_str)),
                r::priority.eq(Some(assessed.priority)),
                r::next_review_on.eq(assessed.next_review_on),
                r::band_id.eq(Some(bands.id)),
            )
        )?;
        record_event(
            conn,
            &after,
            "regrade",
            Some(&before.status),
            actor.user_id,
            Some(serde_json::json!({
                "band_id": bands.id,
                "grade": { "from": before.grade, "to": after.grade },
                "residual_grade": { "from": before.residual_grade, "to": after.residual_grade },
                "next_review_on": { "from": before.next_review_on, "to": after.next_review_on },
            })),
            now,
        )?;
        audit::record(
            conn,
            actor,
            Change::new("regrade", "risk", after.id, after.office_id)
                .before(&before)
                .after(&after),
        )?;
        changed.push(after.id);
    }
    Ok(changed)
}

/// Every set of bands, oldest first; the last is in force.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(ListBands),
    responses((status = 200, description = "A page of band sets", body = Page<GradeBands>), ReadErrors)
)]
#[get("/risk/grade-bands")]
async fn list_bands(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListBands>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let query = gb::table
                .select(GradeBands::as_select())
                .into_boxed::<store::MultiBackend>();
            let rows = store::list_scoped!(@page conn, query, gb::id, GradeBands, req, asc)?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// The bands in force.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    responses((status = 200, description = "The bands in force", body = GradeBands), ReadErrors)
)]
#[get("/risk/grade-bands/current")]
async fn current_bands(db: web::Data<Db>, p: Principal) -> Result<HttpResponse, ApiError> {
    p.require(RISK_READ)?;
    let bands = db.run(current).await?;
    Ok(HttpResponse::Ok().json(bands))
}

/// One set of bands.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Band set id")),
    responses((status = 200, description = "The band set", body = GradeBands, headers(("ETag" = String))), ReadErrors)
)]
#[get("/risk/grade-bands/{id}")]
async fn get_bands(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_READ)?;
    let id = id.into_inner();
    let bands: GradeBands = db
        .run(move |conn| {
            gb::table
                .find(id)
                .select(GradeBands::as_select())
                .first(conn)
                .found("grade band set")
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(1)).json(bands))
}

/// Set new grade bands (`risk:manage` company-wide), in force at once: every
/// open risk is regraded, and its next review moved to the new interval.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    request_body = SetGradeBands,
    responses((status = 201, description = "In force; open risks regraded", body = GradeBands, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/risk/grade-bands")]
async fn set_bands(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<SetGradeBands>,
) -> Result<HttpResponse, ApiError> {
    let authority = p.require_company(RISK_MANAGE)?;
    let actor = p.actor(authority);
    let b = body.into_inner();
    let (bands, _) = db.tx(move |conn| set(conn, &actor, &b, now_db())).await?;
    Ok(created(format!("/api/v1/risk/grade-bands/{}", bands.id), 1).json(bands))
}
