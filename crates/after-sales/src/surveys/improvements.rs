//! Improvement actions (改進措施) on what surveys showed: [004]
//! 「針對存在的問題制定改進措施,並跟蹤改進效果」. An action has an owner of the
//! office and a due day; the owner (or `service:manage` there) records what was
//! done; someone other than the owner with `service:manage` verifies that it
//! worked — or sends it back open, with why. Overdue open actions are listed.

use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{Actor, ApiError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag};
use org::roles::{SERVICE_MANAGE, SERVICE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{improvement_actions as ia, surveys as sv};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::{allow, created, now_db};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_actions)
        .service(create_action)
        .service(get_action)
        .service(complete_action)
        .service(verify_action);
}

/// Where an action stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ImprovementStatus {
    /// To be done (again, when a verification found it did not work).
    Open,
    /// Done by its owner; to be verified.
    Done,
    /// Verified to have worked.
    Verified,
}

impl ImprovementStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ImprovementStatus::Open => "open",
            ImprovementStatus::Done => "done",
            ImprovementStatus::Verified => "verified",
        }
    }
}

/// What an action in `status` allows.
pub fn actions(status: &str) -> &'static [&'static str] {
    match status {
        "open" => &["complete"],
        "done" => &["verify"],
        _ => &[],
    }
}

/// An improvement action.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ia)]
pub struct Improvement {
    pub id: i64,
    pub office_id: i64,
    /// The survey that showed the need.
    pub survey_id: Option<i64>,
    /// The template whose results showed it.
    pub template_id: Option<i64>,
    /// The question whose answers showed it.
    pub question_key: Option<String>,
    #[schema(example = "響應速度評分偏低:增設週末值班電話")]
    pub description: String,
    pub owner_user_id: i64,
    pub due_on: NaiveDate,
    #[schema(value_type = ImprovementStatus)]
    pub status: String,
    /// What the owner did.
    pub result: Option<String>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub done_at: Option<NaiveDateTime>,
    pub verified_by: Option<i64>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub verified_at: Option<NaiveDateTime>,
    /// Why it was verified, or sent back open.
    pub verification_note: Option<String>,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateImprovement {
    /// The office; the caller's own when left out (the survey's, when one is
    /// named).
    pub office_id: Option<i64>,
    /// A survey of the office that showed the need.
    pub survey_id: Option<i64>,
    /// The question of the survey's template whose answers showed it.
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40, example = "response_speed")]
    pub question_key: Option<String>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "響應速度評分偏低:增設週末值班電話"
    )]
    pub description: String,
    /// An active user of the office.
    pub owner_user_id: i64,
    pub due_on: NaiveDate,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteImprovement {
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "已開通週末值班電話並公示"
    )]
    pub result: String,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyImprovement {
    /// It worked: verified. It did not: open again.
    pub effective: bool,
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "下一輪調查響應速度平均分由 3.2 升至 4.4"
    )]
    pub note: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListImprovements {
    pub office_id: Option<i64>,
    pub owner_user_id: Option<i64>,
    pub survey_id: Option<i64>,
    pub status: Option<ImprovementStatus>,
    /// `true`: open and past their due day.
    pub overdue: Option<bool>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Takes an action at `office` (also used by the demo loader): the survey (of
/// the office) and its question checked, the owner checked, audited.
pub fn take(
    conn: &mut AnyConnection,
    actor: &Actor,
    office: i64,
    b: &CreateImprovement,
    now: NaiveDateTime,
) -> Result<Improvement, ApiError> {
    let user = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("an action is taken by a user"))?;
    let template = match b.survey_id {
        None => None,
        Some(survey) => {
            let template: i64 = sv::table
                .filter(sv::id.eq(survey))
                .filter(sv::office_id.eq(office))
                .select(sv::template_id)
                .first(conn)
                .optional()
                .api()?
                .ok_or_else(|| store::scoped::no_such("survey_id", "survey"))?;
            Some(template)
        }
    };
    if let Some(key) = &b.question_key {
        let questions: Vec<super::Question> = match template {
            None => {
                return Err(ApiError::invalid_field(
                    "question_key",
                    "not_allowed",
                    "a question is named with the survey it belongs to",
                ));
            }
            Some(t) => {
                let text: String = store::schema::survey_templates::table
                    .find(t)
                    .select(store::schema::survey_templates::questions)
                    .first(conn)
                    .api()?;
                serde_json::from_str(&text).map_err(ApiError::internal)?
            }
        };
        if !questions.iter().any(|q| &q.key == key) {
            return Err(ApiError::invalid_field(
                "question_key",
                "unknown",
                "no such question in the survey's template",
            ));
        }
    }
    org::scope::user_of_office(conn, "owner_user_id", b.owner_user_id, office)?;
    let row: Improvement = diesel::insert_into(ia::table)
        .values((
            ia::office_id.eq(office),
            ia::survey_id.eq(b.survey_id),
            ia::template_id.eq(template),
            ia::question_key.eq(b.question_key.as_deref()),
            ia::description.eq(&b.description),
            ia::owner_user_id.eq(b.owner_user_id),
            ia::due_on.eq(b.due_on),
            ia::status.eq(ImprovementStatus::Open.as_str()),
            ia::created_by.eq(user),
            ia::created_at.eq(now),
            ia::updated_at.eq(now),
            ia::version.eq(1_i64),
        ))
        .returning(ia::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("create", "improvement_action", row.id, Some(office)).after(&row),
    )?;
    Ok(row)
}

/// Take an improvement action on what a survey showed (`service:manage` at
/// the office): an owner of the office and a due day.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    request_body = CreateImprovement,
    responses((status = 201, description = "Taken", body = Improvement, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/after-sales/improvement-actions")]
async fn create_action(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateImprovement>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let (office, authority) = org::scope::office_for_create(&p, SERVICE_MANAGE, b.office_id)?;
    let actor = p.actor(authority);
    let row = db
        .tx(move |conn| take(conn, &actor, office, &b, now_db()))
        .await?;
    Ok(created(
        format!("/api/v1/after-sales/improvement-actions/{}", row.id),
        row.version,
    )
    .json(row))
}

/// Improvement actions of the offices `service:read` reaches, and those
/// owned by the caller.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(ListImprovements),
    responses((status = 200, description = "A page of actions", body = Page<Improvement>), ReadErrors)
)]
#[get("/after-sales/improvement-actions")]
async fn list_actions(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListImprovements>,
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
                    ia::table.select(Improvement::as_select()),
                    ia::office_id,
                    ia::id
                ),
                also = ia::owner_user_id.eq(me),
                Improvement,
                req,
                asc,
                |query| {
                    if let Some(v) = f.office_id {
                        query = query.filter(ia::office_id.eq(v));
                    }
                    if let Some(v) = f.owner_user_id {
                        query = query.filter(ia::owner_user_id.eq(v));
                    }
                    if let Some(v) = f.survey_id {
                        query = query.filter(ia::survey_id.eq(v));
                    }
                    if let Some(v) = f.status {
                        query = query.filter(ia::status.eq(v.as_str()));
                    }
                    match f.overdue {
                        Some(true) => {
                            query = query.filter(ia::status.eq("open").and(ia::due_on.lt(today)));
                        }
                        Some(false) => {
                            query = query.filter(ia::status.ne("open").or(ia::due_on.ge(today)));
                        }
                        None => {}
                    }
                    query
                }
            )?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

fn load(
    conn: &mut AnyConnection,
    reach: kernel::Reach,
    user_id: i64,
    id: i64,
) -> Result<Improvement, ApiError> {
    store::load_scoped!(
        conn,
        reach = reach,
        from = (
            ia::table.select(Improvement::as_select()),
            ia::office_id,
            ia::id
        ),
        also = ia::owner_user_id.eq(user_id),
        Improvement,
        id,
        "improvement action"
    )
}

/// One improvement action.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Improvement action id")),
    responses((status = 200, description = "The action", body = Improvement, headers(("ETag" = String))), ReadErrors)
)]
#[get("/after-sales/improvement-actions/{id}")]
async fn get_action(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db
        .run(move |conn| load(conn, p.reach(SERVICE_READ), p.user_id, id))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// The action `id` the caller may change (`service:manage` over its office),
/// at the version read, in a state that allows `action`.
fn for_change(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    read_version: i64,
    action: &str,
) -> Result<(Actor, Improvement), ApiError> {
    let (before, authority) = store::load_scoped!(
        conn,
        p,
        SERVICE_MANAGE,
        ia,
        Improvement,
        id,
        "improvement action"
    );
    let actor = p.actor(authority);
    if before.version != read_version {
        return Err(version_conflict(before.version));
    }
    allow(action, &before.status, actions(&before.status))?;
    Ok((actor, before))
}

/// Record what was done.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Improvement action id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = CompleteImprovement,
    responses((status = 200, description = "Done", body = Improvement, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/improvement-actions/{id}/complete")]
async fn complete_action(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<CompleteImprovement>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let id = id.into_inner();
    let row = db
        .tx(move |conn| {
            let (actor, before) = for_change(conn, &p, id, if_match.0, "complete")?;
            let now = now_db();
            let after: Improvement = store::update_versioned!(
                conn,
                ia,
                Improvement,
                before,
                now,
                (
                    ia::status.eq("done"),
                    ia::result.eq(Some(&b.result)),
                    ia::done_at.eq(Some(now)),
                )
            )?;
            audit::record(
                conn,
                &actor,
                Change::new("complete", "improvement_action", id, Some(after.office_id))
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

/// Verify whether a done action worked (not its owner): verified, or open
/// again with why.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Improvement action id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = VerifyImprovement,
    responses((status = 200, description = "Verified, or open again", body = Improvement, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/improvement-actions/{id}/verify")]
async fn verify_action(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<VerifyImprovement>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let id = id.into_inner();
    let row = db
        .tx(move |conn| {
            let (actor, before) = for_change(conn, &p, id, if_match.0, "verify")?;
            if before.owner_user_id == p.user_id {
                return Err(ApiError::forbidden(
                    "an action is verified by someone other than its owner",
                ));
            }
            let now = now_db();
            let status = if b.effective { "verified" } else { "open" };
            let after: Improvement = store::update_versioned!(
                conn,
                ia,
                Improvement,
                before,
                now,
                (
                    ia::status.eq(status),
                    ia::verified_by.eq(Some(p.user_id)),
                    ia::verified_at.eq(Some(now)),
                    ia::verification_note.eq(Some(&b.note)),
                )
            )?;
            audit::record(
                conn,
                &actor,
                Change::new("verify", "improvement_action", id, Some(after.office_id))
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
