//! Candidates (應聘者) of an approved plan: where they came from, their
//! résumé, and the stage they are at. A result is recorded only for that
//! stage — with the interviewers, a score and notes — and passing moves them
//! to the plan's next stage (the offer after the last); failing rejects them
//! there, with the reason. They may be rejected (or withdraw) at any stage
//! before they are hired.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, FieldError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{EMPLOYEE_MANAGE, EMPLOYEE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{candidate_stage_results as sr, candidates as c};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::plans::{RecruitmentPlanStatus, plan_for};
use super::{AssessmentStage, CandidateStage, RecruitmentChannel, check_stage, required};
use crate::common::{created, now_db};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(add_candidate)
        .service(list_candidates)
        .service(get_candidate)
        .service(record_result)
        .service(reject_candidate);
}

/// A candidate.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = c)]
pub struct Candidate {
    pub id: i64,
    pub office_id: i64,
    pub plan_id: i64,
    #[schema(example = "黃志強")]
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    #[schema(value_type = RecruitmentChannel)]
    pub source: String,
    /// Where the résumé is kept.
    #[schema(example = "resumes/2026/huang-zhiqiang.pdf")]
    pub resume_ref: Option<String>,
    #[schema(value_type = CandidateStage)]
    pub stage: String,
    /// The stage they were rejected at.
    pub rejected_at_stage: Option<String>,
    pub rejection_reason: Option<String>,
    /// Their employee file, once hired.
    pub employee_id: Option<i64>,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// One stage's result.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = sr)]
pub struct StageResult {
    pub id: i64,
    pub candidate_id: i64,
    pub office_id: i64,
    #[schema(value_type = AssessmentStage)]
    pub stage: String,
    #[schema(value_type = Vec<String>, example = json!(["陳曉明", "王主任"]))]
    #[diesel(deserialize_as = store::JsonText)]
    pub interviewers: Option<serde_json::Value>,
    #[schema(minimum = 0, maximum = 100)]
    pub score: Option<i32>,
    pub notes: Option<String>,
    pub passed: bool,
    pub recorded_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: NaiveDateTime,
}

/// A candidate with their results, stage by stage.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CandidateFile {
    #[serde(flatten)]
    pub candidate: Candidate,
    pub results: Vec<StageResult>,
}

/// A candidate to add to an approved plan.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddCandidate {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "黃志強")]
    pub name: String,
    #[validate(length(min = 5, max = 30))]
    #[schema(min_length = 5, max_length = 30, example = "13600136000")]
    pub phone: Option<String>,
    #[validate(email, length(max = 200))]
    #[schema(max_length = 200, format = Email, example = "huang.zq@example.com")]
    pub email: Option<String>,
    /// One of the plan's channels.
    pub source: RecruitmentChannel,
    #[validate(length(min = 1, max = 500))]
    #[schema(
        min_length = 1,
        max_length = 500,
        example = "resumes/2026/huang-zhiqiang.pdf"
    )]
    pub resume_ref: Option<String>,
}

/// The result of the stage the candidate is at.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordStageResult {
    /// The stage the candidate is at; any other is refused.
    pub stage: AssessmentStage,
    /// Who assessed them.
    #[validate(length(min = 1, max = 10))]
    #[schema(min_items = 1, max_items = 10, example = json!(["陳曉明", "王主任"]))]
    pub interviewers: Vec<String>,
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100, example = 82)]
    pub score: Option<i32>,
    #[validate(length(min = 1, max = 4000))]
    #[schema(
        min_length = 1,
        max_length = 4000,
        example = "溝通能力強，熟悉照明產品"
    )]
    pub notes: Option<String>,
    /// `false` rejects them at this stage (a reason is then required).
    pub passed: bool,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: Option<String>,
}

/// Rejecting a candidate (or recording that they withdrew).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectCandidate {
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "候選人已接受其他公司錄用"
    )]
    pub reason: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListCandidates {
    pub plan_id: Option<i64>,
    pub stage: Option<CandidateStage>,
    pub office_id: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The candidate `id` as `p` reaches it under `perm` (404 outside), with the
/// actor acting on it.
pub(crate) fn candidate_for(
    conn: &mut AnyConnection,
    p: &Principal,
    perm: kernel::Permission,
    id: i64,
) -> Result<(Candidate, Actor), ApiError> {
    let (row, authority) = store::load_scoped!(conn, p, perm, c, Candidate, id, "candidate");
    Ok((row, p.actor(authority)))
}

/// Whether a candidate at `stage` is still in the process.
fn in_process(stage: &str) -> bool {
    !matches!(stage, "hired" | "rejected")
}

/// Adds a candidate to plan `plan_id` (also used by the demo loader): the
/// plan approved and open, the source one of its channels; they start at
/// the plan's first stage.
pub fn add(
    conn: &mut AnyConnection,
    p: &Principal,
    plan_id: i64,
    b: &AddCandidate,
) -> Result<Candidate, ApiError> {
    let (plan, actor) = plan_for(conn, p, EMPLOYEE_MANAGE, plan_id)?;
    if plan.status != RecruitmentPlanStatus::Approved.as_str() {
        return Err(ApiError::invalid_transition(
            "add_candidate",
            &plan.status,
            &[],
        ));
    }
    let channels = plan.channels.clone().unwrap_or_default();
    if !channels
        .as_array()
        .is_some_and(|a| a.iter().any(|v| v == b.source.as_str()))
    {
        return Err(ApiError::invalid_field(
            "source",
            "not_a_plan_channel",
            "the plan does not recruit through this channel",
        ));
    }
    let stages = required(&plan.stages.clone().unwrap_or_default());
    let now = now_db();
    let row: Candidate = diesel::insert_into(c::table)
        .values((
            c::office_id.eq(plan.office_id),
            c::plan_id.eq(plan.id),
            c::name.eq(&b.name),
            c::phone.eq(b.phone.as_deref()),
            c::email.eq(b.email.as_deref()),
            c::source.eq(b.source.as_str()),
            c::resume_ref.eq(b.resume_ref.as_deref()),
            c::stage.eq(super::first_stage(&stages)),
            c::created_by.eq(p.user_id),
            c::created_at.eq(now),
            c::updated_at.eq(now),
            c::version.eq(1_i64),
        ))
        .returning(c::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        &actor,
        Change::new("create", "candidate", row.id, Some(row.office_id)).after(&row),
    )?;
    Ok(row)
}

/// Records the result of the stage `before` is at (also used by the demo
/// loader): passed, they move to the next; failed, they are rejected there.
pub fn assess(
    conn: &mut AnyConnection,
    actor: &Actor,
    before: &Candidate,
    b: &RecordStageResult,
) -> Result<(Candidate, StageResult), ApiError> {
    if !in_process(&before.stage) {
        return Err(ApiError::invalid_transition(
            "record_result",
            &before.stage,
            &[],
        ));
    }
    let plan_stages: String = store::schema::recruitment_plans::table
        .find(before.plan_id)
        .select(store::schema::recruitment_plans::stages)
        .first(conn)
        .api()?;
    let stages = required(&serde_json::from_str(&plan_stages).unwrap_or_default());
    check_stage(&stages, &before.stage, b.stage)
        .map_err(|(rule, why)| ApiError::invalid_field("stage", rule, why))?;
    if !b.passed && b.reason.is_none() {
        return Err(ApiError::validation(vec![FieldError::new(
            "reason",
            "required",
            "a candidate who did not pass is rejected with the reason",
        )]));
    }
    if b.interviewers
        .iter()
        .any(|i| i.trim().is_empty() || i.len() > 100)
    {
        return Err(ApiError::invalid_field(
            "interviewers",
            "length",
            "each interviewer is named in 1 to 100 characters",
        ));
    }
    let now = now_db();
    let result: StageResult = diesel::insert_into(sr::table)
        .values((
            sr::candidate_id.eq(before.id),
            sr::office_id.eq(before.office_id),
            sr::stage.eq(b.stage.as_str()),
            sr::interviewers.eq(serde_json::json!(b.interviewers).to_string()),
            sr::score.eq(b.score),
            sr::notes.eq(b.notes.as_deref()),
            sr::passed.eq(b.passed),
            sr::recorded_by.eq(actor.user_id.unwrap_or_default()),
            sr::recorded_at.eq(now),
        ))
        .returning(sr::all_columns)
        .get_result(conn)
        .api()?;
    let after: Candidate = if b.passed {
        store::update_versioned!(
            conn,
            c,
            Candidate,
            before,
            now,
            (c::stage.eq(super::next_stage(&stages, b.stage)),)
        )?
    } else {
        store::update_versioned!(
            conn,
            c,
            Candidate,
            before,
            now,
            (
                c::stage.eq("rejected"),
                c::rejected_at_stage.eq(Some(b.stage.as_str())),
                c::rejection_reason.eq(b.reason.as_deref()),
            )
        )?
    };
    audit::record(
        conn,
        actor,
        Change::new(
            if b.passed { "pass_stage" } else { "reject" },
            "candidate",
            after.id,
            Some(after.office_id),
        )
        .before(before)
        .after(&serde_json::json!({"candidate": &after, "result": &result})),
    )?;
    Ok((after, result))
}

/// Add a candidate to an approved plan (`employee:manage` over its office):
/// they start at the plan's first stage.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Plan id")),
    request_body = AddCandidate,
    responses((status = 201, description = "Added", body = Candidate, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/personnel/recruitment-plans/{id}/candidates")]
async fn add_candidate(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<AddCandidate>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let row = db.tx(move |conn| add(conn, &p, id, &b)).await?;
    Ok(created(
        format!("/api/v1/personnel/candidates/{}", row.id),
        row.version,
    )
    .json(row))
}

/// Candidates of the offices `employee:read` reaches.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(ListCandidates),
    responses((status = 200, description = "A page of candidates", body = Page<Candidate>), ReadErrors)
)]
#[get("/personnel/candidates")]
async fn list_candidates(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListCandidates>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(EMPLOYEE_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, c, Candidate, req, asc, |q| {
                if let Some(v) = f.plan_id {
                    q = q.filter(c::plan_id.eq(v));
                }
                if let Some(v) = f.office_id {
                    q = q.filter(c::office_id.eq(v));
                }
                if let Some(v) = f.stage {
                    q = q.filter(c::stage.eq(v.as_str()));
                }
                q
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One candidate with the results of each stage passed or failed.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Candidate id")),
    responses((status = 200, description = "The candidate", body = CandidateFile, headers(("ETag" = String))), ReadErrors)
)]
#[get("/personnel/candidates/{id}")]
async fn get_candidate(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let file = db
        .run(move |conn| {
            let (candidate, _) = candidate_for(conn, &p, EMPLOYEE_READ, id)?;
            let results = sr::table
                .filter(sr::candidate_id.eq(candidate.id))
                .order(sr::id.asc())
                .select(StageResult::as_select())
                .load(conn)
                .api()?;
            Ok(CandidateFile { candidate, results })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(file.candidate.version))
        .json(file))
}

/// Record the result of the stage the candidate is at (`employee:manage`):
/// passed, they move to the plan's next stage (the offer after the last);
/// not passed, they are rejected there. Any other stage is refused — none is
/// skipped.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Candidate id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = RecordStageResult,
    responses((status = 201, description = "Recorded; the candidate after it", body = CandidateFile, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/personnel/candidates/{id}/stage-results")]
async fn record_result(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<RecordStageResult>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let file = db
        .tx(move |conn| {
            let (before, actor) = candidate_for(conn, &p, EMPLOYEE_MANAGE, id)?;
            if before.version != if_match.0 {
                return Err(kernel::concurrency::version_conflict(before.version));
            }
            let (after, _) = assess(conn, &actor, &before, &b)?;
            let results = sr::table
                .filter(sr::candidate_id.eq(after.id))
                .order(sr::id.asc())
                .select(StageResult::as_select())
                .load(conn)
                .api()?;
            Ok(CandidateFile {
                candidate: after,
                results,
            })
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(file.candidate.version))
        .json(file))
}

/// Reject a candidate at the stage they are at, or record that they
/// withdrew (`employee:manage`), with the reason.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Candidate id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = RejectCandidate,
    responses((status = 200, description = "Rejected", body = Candidate, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/personnel/candidates/{id}/reject")]
async fn reject_candidate(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<RejectCandidate>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let row = db
        .tx(move |conn| {
            let (before, actor) = candidate_for(conn, &p, EMPLOYEE_MANAGE, id)?;
            if !in_process(&before.stage) {
                return Err(ApiError::invalid_transition("reject", &before.stage, &[]));
            }
            if before.version != if_match.0 {
                return Err(kernel::concurrency::version_conflict(before.version));
            }
            let after: Candidate = store::update_versioned!(
                conn,
                c,
                Candidate,
                before,
                now_db(),
                (
                    c::stage.eq("rejected"),
                    c::rejected_at_stage.eq(Some(before.stage.clone())),
                    c::rejection_reason.eq(Some(&b.reason)),
                )
            )?;
            audit::record(
                conn,
                &actor,
                Change::new("reject", "candidate", after.id, Some(after.office_id))
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
