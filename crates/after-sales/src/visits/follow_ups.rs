//! Follow-ups of a return visit (回訪問題的跟蹤): what the customer raised,
//! routed to the department of the office that must act ([004] 客戶回訪:
//! 「對客戶回訪中發現的問題和建議,及時反饋給相關部門,並跟蹤處理結果」). Each is
//! assigned to the department's supervisor, who is told, and stays open until
//! its result is recorded — by its assignee, or by `service:manage` over the
//! office.

use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors};
use kernel::{ApiError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag};
use org::roles::{SERVICE_MANAGE, SERVICE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{departments, return_visit_follow_ups as fu};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::VisitRow;
use crate::common::{allow, now_db};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_follow_ups)
        .service(get_follow_up)
        .service(complete_follow_up);
}

/// What a visit found that a department must act on.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpInput {
    /// An active department of the visit's office.
    pub department_id: i64,
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "客戶希望提供節能改造方案,請市場部報價"
    )]
    pub description: String,
    /// By when.
    pub due_on: Option<NaiveDate>,
}

/// Where a follow-up stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpStatus {
    /// Routed, nothing recorded yet.
    Open,
    /// Its result recorded.
    Done,
}

/// A follow-up.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = fu)]
pub struct FollowUp {
    pub id: i64,
    pub visit_id: i64,
    pub office_id: i64,
    pub department_id: i64,
    /// The department's supervisor when it was routed; `null` when it had none.
    pub assignee_user_id: Option<i64>,
    pub description: String,
    pub due_on: Option<NaiveDate>,
    #[schema(value_type = FollowUpStatus)]
    pub status: String,
    pub result: Option<String>,
    pub done_by: Option<i64>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub done_at: Option<NaiveDateTime>,
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
pub struct CompleteFollowUp {
    /// What was done.
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "已提交節能改造報價,客戶考慮中"
    )]
    pub result: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListFollowUps {
    pub office_id: Option<i64>,
    pub department_id: Option<i64>,
    pub visit_id: Option<i64>,
    pub assignee_user_id: Option<i64>,
    pub status: Option<FollowUpStatus>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Routes follow-up `index` of a done visit to its department: checked to be
/// an active department of the visit's office (field
/// `follow_ups[index].department_id`), assigned to its supervisor, who is
/// told in this transaction, audited.
pub fn route(
    conn: &mut AnyConnection,
    actor: &kernel::Actor,
    visit: &VisitRow,
    index: usize,
    f: &FollowUpInput,
    now: NaiveDateTime,
) -> Result<FollowUp, ApiError> {
    let user = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a follow-up is routed by a user"))?;
    org::scope::department_of_office(
        conn,
        &format!("follow_ups[{index}].department_id"),
        f.department_id,
        visit.office_id,
    )?;
    let supervisor: Option<i64> = departments::table
        .find(f.department_id)
        .select(departments::supervisor_user_id)
        .first(conn)
        .api()?;
    let row: FollowUp = diesel::insert_into(fu::table)
        .values((
            fu::visit_id.eq(visit.id),
            fu::office_id.eq(visit.office_id),
            fu::department_id.eq(f.department_id),
            fu::assignee_user_id.eq(supervisor),
            fu::description.eq(&f.description),
            fu::due_on.eq(f.due_on),
            fu::status.eq("open"),
            fu::created_by.eq(user),
            fu::created_at.eq(now),
            fu::updated_at.eq(now),
            fu::version.eq(1_i64),
        ))
        .returning(fu::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new(
            "create",
            "return_visit_follow_up",
            row.id,
            Some(row.office_id),
        )
        .after(&row),
    )?;
    if let Some(to) = supervisor {
        store::notify::send(
            conn,
            &[to],
            &store::notify::Notice {
                kind: "return_visit_follow_up",
                entity_type: "return_visit_follow_up",
                entity_id: row.id,
                office_id: Some(row.office_id),
                title: "A customer's point from a return visit for your department".to_owned(),
                body: Some(row.description.clone()),
            },
        )?;
    }
    Ok(row)
}

/// Follow-ups of the offices `service:read` reaches, and those assigned to
/// the caller.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(ListFollowUps),
    responses((status = 200, description = "A page of follow-ups", body = Page<FollowUp>), ReadErrors)
)]
#[get("/after-sales/follow-ups")]
async fn list_follow_ups(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListFollowUps>,
) -> Result<HttpResponse, ApiError> {
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let reach = p.reach(SERVICE_READ);
    let me = p.user_id;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(
                conn,
                reach,
                from = (
                    fu::table.select(FollowUp::as_select()),
                    fu::office_id,
                    fu::id
                ),
                also = fu::assignee_user_id.eq(me),
                FollowUp,
                req,
                asc,
                |query| {
                    if let Some(v) = f.office_id {
                        query = query.filter(fu::office_id.eq(v));
                    }
                    if let Some(v) = f.department_id {
                        query = query.filter(fu::department_id.eq(v));
                    }
                    if let Some(v) = f.visit_id {
                        query = query.filter(fu::visit_id.eq(v));
                    }
                    if let Some(v) = f.assignee_user_id {
                        query = query.filter(fu::assignee_user_id.eq(v));
                    }
                    if let Some(v) = f.status {
                        query = query.filter(fu::status.eq(match v {
                            FollowUpStatus::Open => "open",
                            FollowUpStatus::Done => "done",
                        }));
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
) -> Result<FollowUp, ApiError> {
    store::load_scoped!(
        conn,
        reach = reach,
        from = (
            fu::table.select(FollowUp::as_select()),
            fu::office_id,
            fu::id
        ),
        also = fu::assignee_user_id.eq(user_id),
        FollowUp,
        id,
        "follow-up"
    )
}

/// One follow-up.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Follow-up id")),
    responses((status = 200, description = "The follow-up", body = FollowUp, headers(("ETag" = String))), ReadErrors)
)]
#[get("/after-sales/follow-ups/{id}")]
async fn get_follow_up(
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

/// Record what was done about a follow-up: its assignee (the department's
/// supervisor), or `service:manage` over the office.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Follow-up id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = CompleteFollowUp,
    responses((status = 200, description = "Done", body = FollowUp, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/follow-ups/{id}/complete")]
async fn complete_follow_up(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<CompleteFollowUp>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let id = id.into_inner();
    let row = db
        .tx(move |conn| {
            let before = load(conn, p.reach(SERVICE_MANAGE), p.user_id, id)?;
            let actor = if before.assignee_user_id == Some(p.user_id) {
                p.actor(kernel::Authority { acting_for: None })
            } else {
                p.actor(p.authorize(SERVICE_MANAGE, Some(before.office_id))?)
            };
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            allow(
                "complete",
                &before.status,
                if before.status == "open" {
                    &["complete"]
                } else {
                    &[]
                },
            )?;
            let now = now_db();
            let after: FollowUp = store::update_versioned!(
                conn,
                fu,
                FollowUp,
                before,
                now,
                (
                    fu::status.eq("done"),
                    fu::result.eq(Some(&b.result)),
                    fu::done_by.eq(Some(p.user_id)),
                    fu::done_at.eq(Some(now)),
                )
            )?;
            audit::record(
                conn,
                &actor,
                Change::new(
                    "complete",
                    "return_visit_follow_up",
                    id,
                    Some(after.office_id),
                )
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
