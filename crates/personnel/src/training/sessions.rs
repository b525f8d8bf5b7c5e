//! Training sessions (培訓課程): one of an approved plan's items held on a
//! day, with its attendees — employees of the office. On or after the day
//! the results are recorded once for everyone: attended or not, the exam
//! score and whether they passed, their rating of the session (1–5) and any
//! certificate earned (kept on their file, due a reward). The weeks after
//! the session that it names, the supervisor assesses what each participant
//! now does differently. The session's effectiveness is computed from all
//! of it; each employee's history lists their sessions.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, FieldError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{EMPLOYEE_MANAGE, EMPLOYEE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{
    employees as e, training_attendances as ta, training_plan_items as ti, training_plans as tp,
    training_sessions as ts,
};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::certificates::{NewCertificate, issue};
use super::{Effectiveness, Outcome, effectiveness};
use crate::common::{created, now_db, today};
use crate::employees::Employee;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_training_session)
        .service(list_training_sessions)
        .service(get_training_session)
        .service(record_training_results)
        .service(assess_training)
        .service(training_history);
}

/// A session.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ts)]
pub struct TrainingSession {
    pub id: i64,
    pub office_id: i64,
    pub plan_item_id: i64,
    #[schema(example = "LED 工礦燈選型與報價（第一期）")]
    pub title: String,
    pub held_on: NaiveDate,
    #[schema(example = "總部產品經理 劉工")]
    pub lecturer: String,
    /// The supervisors assess this many weeks after the day.
    #[schema(minimum = 1, maximum = 26, example = 4)]
    pub review_after_weeks: i32,
    /// `planned`, or `held` once the results are in.
    #[schema(example = "planned")]
    pub status: String,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// One attendee's record.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ta)]
pub struct TrainingAttendance {
    pub id: i64,
    pub session_id: i64,
    pub office_id: i64,
    pub employee_id: i64,
    /// Unknown until the results are in.
    pub attended: Option<bool>,
    #[schema(minimum = 0, maximum = 100)]
    pub exam_score: Option<i32>,
    pub passed: Option<bool>,
    /// Their rating of the session, 1–5.
    #[schema(minimum = 1, maximum = 5)]
    pub participant_score: Option<i32>,
    #[schema(minimum = 0, maximum = 100)]
    pub supervisor_score: Option<i32>,
    pub supervisor_assessment: Option<String>,
    pub assessed_by: Option<i64>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub assessed_at: Option<NaiveDateTime>,
}

/// A session with its people and its effectiveness.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingSessionFile {
    #[serde(flatten)]
    pub session: TrainingSession,
    pub attendances: Vec<TrainingAttendance>,
    pub effectiveness: Effectiveness,
    /// From this day the supervisors assess.
    pub review_due_on: NaiveDate,
}

/// A session to plan.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTrainingSession {
    /// An item of an approved plan.
    pub plan_item_id: i64,
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "LED 工礦燈選型與報價（第一期）"
    )]
    pub title: String,
    /// In the plan's year.
    pub held_on: NaiveDate,
    /// The item's lecturer when left out.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub lecturer: Option<String>,
    /// 4 when left out.
    #[validate(range(min = 1, max = 26))]
    #[schema(minimum = 1, maximum = 26, example = 4)]
    pub review_after_weeks: Option<i32>,
    /// Employees of the office, each once.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_items = 1, max_items = 200)]
    pub attendee_ids: Vec<i64>,
}

/// One person's result.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingResult {
    /// An attendee of the session.
    pub employee_id: i64,
    pub attended: bool,
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100, example = 88)]
    pub exam_score: Option<i32>,
    /// Required for those who attended.
    pub passed: Option<bool>,
    /// Their rating of the session, 1–5.
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5, example = 5)]
    pub participant_score: Option<i32>,
    /// A certificate earned at the session (passed only): kept on their
    /// file, due a reward.
    #[validate(nested)]
    pub certificate: Option<NewCertificate>,
}

/// Everyone's results, once.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordTrainingResults {
    /// One per attendee, every attendee.
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub results: Vec<TrainingResult>,
}

/// A supervisor's assessment of one participant.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessTraining {
    /// A participant who attended.
    pub employee_id: i64,
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100, example = 85)]
    pub supervisor_score: i32,
    #[validate(length(min = 1, max = 4000))]
    #[schema(
        min_length = 1,
        max_length = 4000,
        example = "已能獨立完成工礦燈選型與報價"
    )]
    pub assessment: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListSessions {
    pub office_id: Option<i64>,
    pub plan_item_id: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// One line of an employee's training history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingHistoryEntry {
    pub session_id: i64,
    pub title: String,
    pub held_on: NaiveDate,
    #[schema(value_type = super::TrainingMethod)]
    pub method: String,
    pub attended: Option<bool>,
    pub exam_score: Option<i32>,
    pub passed: Option<bool>,
    pub supervisor_score: Option<i32>,
}

/// The session `id` as `p` reaches it under `perm` (404 outside), with the
/// actor acting on it.
fn session_for(
    conn: &mut AnyConnection,
    p: &Principal,
    perm: kernel::Permission,
    id: i64,
) -> Result<(TrainingSession, Actor), ApiError> {
    let (row, authority) =
        store::load_scoped!(conn, p, perm, ts, TrainingSession, id, "training session");
    Ok((row, p.actor(authority)))
}

fn file(
    conn: &mut AnyConnection,
    session: TrainingSession,
) -> Result<TrainingSessionFile, ApiError> {
    let attendances: Vec<TrainingAttendance> = ta::table
        .filter(ta::session_id.eq(session.id))
        .order(ta::id.asc())
        .select(TrainingAttendance::as_select())
        .load(conn)
        .api()?;
    let outcomes: Vec<Outcome> = attendances
        .iter()
        .map(|a| Outcome {
            attended: a.attended,
            exam_score: a.exam_score,
            passed: a.passed,
            participant_score: a.participant_score,
            supervisor_score: a.supervisor_score,
        })
        .collect();
    Ok(TrainingSessionFile {
        review_due_on: session.held_on + Duration::weeks(i64::from(session.review_after_weeks)),
        effectiveness: effectiveness(&outcomes),
        attendances,
        session,
    })
}

/// Plans a session with its attendees (also used by the demo loader).
pub fn plan(
    conn: &mut AnyConnection,
    actor: &Actor,
    office: i64,
    b: &CreateTrainingSession,
) -> Result<TrainingSessionFile, ApiError> {
    let item: Option<(String, String, i32)> = ti::table
        .inner_join(tp::table)
        .filter(ti::id.eq(b.plan_item_id))
        .filter(ti::office_id.eq(office))
        .filter(tp::status.eq("approved"))
        .select((ti::lecturer, tp::status, tp::year))
        .first(conn)
        .optional()
        .api()?;
    let (lecturer, _, year) =
        item.ok_or_else(|| store::scoped::no_such("plan_item_id", "item of an approved plan"))?;
    let mut errors = Vec::new();
    if b.held_on.year() != year {
        errors.push(FieldError::new(
            "held_on",
            "outside_year",
            format!("a session of the {year} plan is held in {year}"),
        ));
    }
    let mut ids = b.attendee_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != b.attendee_ids.len() {
        errors.push(FieldError::new(
            "attendee_ids",
            "duplicate",
            "each attendee once",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let found: i64 = e::table
        .filter(e::id.eq_any(&ids))
        .filter(e::office_id.eq(office))
        .filter(e::status.ne("left"))
        .count()
        .get_result(conn)
        .api()?;
    if found != ids.len() as i64 {
        return Err(store::scoped::no_such(
            "attendee_ids",
            "employee of the office",
        ));
    }
    let now = now_db();
    let session: TrainingSession = diesel::insert_into(ts::table)
        .values((
            ts::office_id.eq(office),
            ts::plan_item_id.eq(b.plan_item_id),
            ts::title.eq(&b.title),
            ts::held_on.eq(b.held_on),
            ts::lecturer.eq(b.lecturer.as_deref().unwrap_or(&lecturer)),
            ts::review_after_weeks.eq(b.review_after_weeks.unwrap_or(4)),
            ts::status.eq("planned"),
            ts::created_by.eq(actor.user_id.unwrap_or_default()),
            ts::created_at.eq(now),
            ts::updated_at.eq(now),
            ts::version.eq(1_i64),
        ))
        .returning(ts::all_columns)
        .get_result(conn)
        .api()?;
    for employee in &ids {
        diesel::insert_into(ta::table)
            .values((
                ta::session_id.eq(session.id),
                ta::office_id.eq(office),
                ta::employee_id.eq(employee),
            ))
            .execute(conn)
            .api()?;
    }
    let view = file(conn, session)?;
    audit::record(
        conn,
        actor,
        Change::new("create", "training_session", view.session.id, Some(office)).after(&view),
    )?;
    Ok(view)
}

/// Records everyone's results of `before` once (also used by the demo
/// loader): on or after the day, one per attendee; certificates earned go
/// on the files.
pub fn results(
    conn: &mut AnyConnection,
    actor: &Actor,
    before: &TrainingSession,
    b: &RecordTrainingResults,
) -> Result<TrainingSessionFile, ApiError> {
    if before.status != "planned" {
        return Err(ApiError::invalid_transition(
            "record_results",
            &before.status,
            &[],
        ));
    }
    if before.held_on > today() {
        return Err(ApiError::invalid_field(
            "results",
            "not_held",
            format!(
                "the session is held on {}; results come after",
                before.held_on
            ),
        ));
    }
    let attendees: Vec<i64> = ta::table
        .filter(ta::session_id.eq(before.id))
        .select(ta::employee_id)
        .load(conn)
        .api()?;
    let mut errors = Vec::new();
    let mut named: Vec<i64> = b.results.iter().map(|r| r.employee_id).collect();
    named.sort_unstable();
    let mut expected = attendees.clone();
    expected.sort_unstable();
    if named != expected {
        errors.push(FieldError::new(
            "results",
            "not_the_attendees",
            "one result for each attendee of the session, no one else",
        ));
    }
    for (i, r) in b.results.iter().enumerate() {
        if r.attended && r.passed.is_none() {
            errors.push(FieldError::new(
                format!("results[{i}].passed"),
                "required",
                "an attendee passed or not",
            ));
        }
        if !r.attended
            && (r.exam_score.is_some()
                || r.passed == Some(true)
                || r.participant_score.is_some()
                || r.certificate.is_some())
        {
            errors.push(FieldError::new(
                format!("results[{i}].attended"),
                "absent",
                "someone absent has no score, pass, rating or certificate",
            ));
        }
        if r.certificate.is_some() && r.passed != Some(true) {
            errors.push(FieldError::new(
                format!("results[{i}].certificate"),
                "not_passed",
                "a certificate is earned by passing",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    for r in &b.results {
        diesel::update(
            ta::table
                .filter(ta::session_id.eq(before.id))
                .filter(ta::employee_id.eq(r.employee_id)),
        )
        .set((
            ta::attended.eq(Some(r.attended)),
            ta::exam_score.eq(r.exam_score),
            ta::passed.eq(Some(r.attended && r.passed == Some(true))),
            ta::participant_score.eq(r.participant_score),
        ))
        .execute(conn)
        .api()?;
        if let Some(c) = &r.certificate {
            let employee: Employee = e::table
                .find(r.employee_id)
                .select(Employee::as_select())
                .first(conn)
                .api()?;
            issue(conn, actor, &employee, c, Some(before.id), true)?;
        }
    }
    let after: TrainingSession = store::update_versioned!(
        conn,
        ts,
        TrainingSession,
        before,
        now_db(),
        (ts::status.eq("held"),)
    )?;
    let view = file(conn, after)?;
    audit::record(
        conn,
        actor,
        Change::new(
            "record_results",
            "training_session",
            view.session.id,
            Some(view.session.office_id),
        )
        .before(before)
        .after(&view),
    )?;
    Ok(view)
}

/// Plan a session of an approved plan's item with its attendees
/// (`employee:manage` over the office).
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    request_body = CreateTrainingSession,
    responses((status = 201, description = "Planned", body = TrainingSessionFile, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/personnel/training-sessions")]
async fn create_training_session(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateTrainingSession>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let reach = p.require(EMPLOYEE_MANAGE)?;
    let view = db
        .tx(move |conn| {
            let office: Option<i64> = {
                let mut q = ti::table
                    .filter(ti::id.eq(b.plan_item_id))
                    .select(ti::office_id)
                    .into_boxed::<store::MultiBackend>();
                if let Some(ids) = store::scoped::office_ids(&reach) {
                    q = q.filter(ti::office_id.eq_any(ids));
                }
                q.first(conn).optional().api()?
            };
            let office = office.ok_or_else(|| {
                store::scoped::no_such("plan_item_id", "item of an approved plan")
            })?;
            let actor = p.actor(p.authorize(EMPLOYEE_MANAGE, Some(office))?);
            plan(conn, &actor, office, &b)
        })
        .await?;
    Ok(created(
        format!("/api/v1/personnel/training-sessions/{}", view.session.id),
        view.session.version,
    )
    .json(view))
}

/// Training sessions of the offices `employee:read` reaches, newest first.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(ListSessions),
    responses((status = 200, description = "A page of sessions", body = Page<TrainingSession>), ReadErrors)
)]
#[get("/personnel/training-sessions")]
async fn list_training_sessions(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListSessions>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(EMPLOYEE_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, ts, TrainingSession, req, desc, |q| {
                if let Some(v) = f.office_id {
                    q = q.filter(ts::office_id.eq(v));
                }
                if let Some(v) = f.plan_item_id {
                    q = q.filter(ts::plan_item_id.eq(v));
                }
                q
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One session with its people and its effectiveness.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")),
    responses((status = 200, description = "The session", body = TrainingSessionFile, headers(("ETag" = String))), ReadErrors)
)]
#[get("/personnel/training-sessions/{id}")]
async fn get_training_session(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = db
        .run(move |conn| {
            let (session, _) = session_for(conn, &p, EMPLOYEE_READ, id)?;
            file(conn, session)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.session.version))
        .json(view))
}

/// Record everyone's results, once, on or after the day (`employee:manage`):
/// attendance, exam score, passed, their rating, certificates earned.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = RecordTrainingResults,
    responses((status = 200, description = "Recorded", body = TrainingSessionFile, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/personnel/training-sessions/{id}/results")]
async fn record_training_results(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<RecordTrainingResults>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let view = db
        .tx(move |conn| {
            let (before, actor) = session_for(conn, &p, EMPLOYEE_MANAGE, id)?;
            if before.version != if_match.0 {
                return Err(kernel::concurrency::version_conflict(before.version));
            }
            results(conn, &actor, &before, &b)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.session.version))
        .json(view))
}

/// The supervisor's assessment of a participant who attended, from the
/// weeks after the session it names (`employee:manage` over the office, or
/// the participant's manager); once each.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")),
    request_body = AssessTraining,
    responses((status = 200, description = "Recorded; the session after it", body = TrainingSessionFile), WriteErrors)
)]
#[post("/personnel/training-sessions/{id}/assessments")]
async fn assess_training(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<AssessTraining>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let view = db
        .tx(move |conn| {
            let (session, _) = session_for(conn, &p, EMPLOYEE_READ, id)?;
            let participant: Option<(Option<bool>, Option<i32>, Option<i64>)> = ta::table
                .inner_join(e::table)
                .filter(ta::session_id.eq(session.id))
                .filter(ta::employee_id.eq(b.employee_id))
                .select((ta::attended, ta::supervisor_score, e::manager_employee_id))
                .first(conn)
                .optional()
                .api()?;
            let Some((attended, assessed, manager)) = participant else {
                return Err(store::scoped::no_such(
                    "employee_id",
                    "attendee of the session",
                ));
            };
            let authority = if crate::employees::api::login_of(conn, manager)? == Some(p.user_id) {
                kernel::Authority::default()
            } else {
                p.authorize(EMPLOYEE_MANAGE, Some(session.office_id))
                    .map_err(|_| {
                        ApiError::forbidden(
                            "the participant's manager, HR or the director assesses",
                        )
                    })?
            };
            if attended != Some(true) {
                return Err(ApiError::invalid_field(
                    "employee_id",
                    "not_attended",
                    "only someone who attended is assessed",
                ));
            }
            if assessed.is_some() {
                return Err(ApiError::invalid_transition("assess", "assessed", &[]));
            }
            let due = session.held_on + Duration::weeks(i64::from(session.review_after_weeks));
            if today() < due {
                return Err(ApiError::invalid_field(
                    "employee_id",
                    "too_early",
                    format!(
                        "the assessment comes {} weeks after the session, from {due}",
                        session.review_after_weeks
                    ),
                ));
            }
            let actor = p.actor(authority);
            diesel::update(
                ta::table
                    .filter(ta::session_id.eq(session.id))
                    .filter(ta::employee_id.eq(b.employee_id)),
            )
            .set((
                ta::supervisor_score.eq(Some(b.supervisor_score)),
                ta::supervisor_assessment.eq(Some(&b.assessment)),
                ta::assessed_by.eq(Some(p.user_id)),
                ta::assessed_at.eq(Some(now_db())),
            ))
            .execute(conn)
            .api()?;
            audit::record(
                conn,
                &actor,
                Change::new(
                    "assess_training",
                    "training_session",
                    session.id,
                    Some(session.office_id),
                )
                .after(&serde_json::json!({
                    "employee_id": b.employee_id,
                    "supervisor_score": b.supervisor_score,
                    "assessment": &b.assessment,
                })),
            )?;
            file(conn, session)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// An employee's training history, newest first: their own, or any file
/// `employee:read` reaches.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id")),
    responses((status = 200, description = "The sessions they were on", body = Vec<TrainingHistoryEntry>), ReadErrors)
)]
#[get("/personnel/employees/{id}/training")]
async fn training_history(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let rows = db
        .run(move |conn| {
            let employee = crate::employees::api::own_or_readable(conn, &p, id)?;
            history(conn, employee.id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Every session `employee` was put on, newest first.
pub fn history(
    conn: &mut AnyConnection,
    employee: i64,
) -> Result<Vec<TrainingHistoryEntry>, ApiError> {
    type Row = (
        i64,
        String,
        NaiveDate,
        String,
        Option<bool>,
        Option<i32>,
        Option<bool>,
        Option<i32>,
    );
    let rows: Vec<Row> = ta::table
        .inner_join(ts::table.inner_join(ti::table))
        .filter(ta::employee_id.eq(employee))
        .order((ts::held_on.desc(), ts::id.desc()))
        .select((
            ts::id,
            ts::title,
            ts::held_on,
            ti::method,
            ta::attended,
            ta::exam_score,
            ta::passed,
            ta::supervisor_score,
        ))
        .load(conn)
        .api()?;
    Ok(rows
        .into_iter()
        .map(
            |(
                session_id,
                title,
                held_on,
                method,
                attended,
                exam_score,
                passed,
                supervisor_score,
            )| {
                TrainingHistoryEntry {
                    session_id,
                    title,
                    held_on,
                    method,
                    attended,
                    exam_score,
                    passed,
                    supervisor_score,
                }
            },
        )
        .collect())
}
