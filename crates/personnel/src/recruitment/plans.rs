//! Recruitment plans (招聘計劃): the post, headcount, requirements, channels,
//! the stages its candidates pass, the reason and the day the people are
//! wanted by. A plan goes to the approval engine as it is made
//! (`recruitment_plan`: the office director, then HQ HR); an approved plan
//! takes candidates until its headcount is hired (`filled`) or it is closed.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, FieldError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{EMPLOYEE_MANAGE, EMPLOYEE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::recruitment_plans as rp;
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::policy::{PolicyDef, role};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

use super::{AssessmentStage, RecruitmentChannel, STAGES};
use crate::common::{created, now_db, today};

/// The approval engine's name for recruitment plans.
pub const PLAN_DOC: &str = "recruitment_plan";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_recruitment_plans)
        .service(create_recruitment_plan)
        .service(get_recruitment_plan)
        .service(close_recruitment_plan);
}

/// Where a plan stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RecruitmentPlanStatus {
    InApproval,
    /// Approved: takes candidates and hires up to the headcount.
    Approved,
    Rejected,
    Withdrawn,
    /// The headcount is hired.
    Filled,
    /// Closed before it was filled.
    Closed,
}

impl RecruitmentPlanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RecruitmentPlanStatus::InApproval => "in_approval",
            RecruitmentPlanStatus::Approved => "approved",
            RecruitmentPlanStatus::Rejected => "rejected",
            RecruitmentPlanStatus::Withdrawn => "withdrawn",
            RecruitmentPlanStatus::Filled => "filled",
            RecruitmentPlanStatus::Closed => "closed",
        }
    }
}

/// A recruitment plan.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = rp)]
pub struct RecruitmentPlan {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "RP-GZ01-2026-000001")]
    pub number: String,
    #[schema(example = "銷售人員")]
    pub post: String,
    pub department_id: Option<i64>,
    #[schema(minimum = 1, example = 2)]
    pub headcount: i32,
    /// Hired so far; never above the headcount.
    pub hired: i32,
    #[schema(example = "大專以上學歷，兩年以上照明或建材銷售經驗")]
    pub requirements: String,
    #[schema(value_type = Vec<RecruitmentChannel>)]
    #[diesel(deserialize_as = store::JsonText)]
    pub channels: Option<serde_json::Value>,
    /// The stages every candidate passes, in order; the offer follows.
    #[schema(value_type = Vec<AssessmentStage>)]
    #[diesel(deserialize_as = store::JsonText)]
    pub stages: Option<serde_json::Value>,
    #[schema(example = "華南區新增三個重點客戶，現有人手不足")]
    pub reason: String,
    pub wanted_by: NaiveDate,
    #[schema(value_type = RecruitmentPlanStatus)]
    pub status: String,
    /// The approval (`/api/v1/approvals/{id}`) it went through.
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// A plan to make; it goes to approval at once.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRecruitmentPlan {
    /// The office; the caller's own when left out.
    pub office_id: Option<i64>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "銷售人員")]
    pub post: String,
    /// An active department of the office.
    pub department_id: Option<i64>,
    #[validate(range(min = 1, max = 100))]
    #[schema(minimum = 1, maximum = 100, example = 2)]
    pub headcount: i32,
    #[validate(length(min = 1, max = 4000))]
    #[schema(
        min_length = 1,
        max_length = 4000,
        example = "大專以上學歷，兩年以上照明或建材銷售經驗"
    )]
    pub requirements: String,
    /// One or more, each once.
    #[validate(length(min = 1, max = 5))]
    #[schema(min_items = 1, max_items = 5, example = json!(["job_site", "referral"]))]
    pub channels: Vec<RecruitmentChannel>,
    /// The stages candidates pass, each once (all four when left out); the
    /// offer always follows.
    #[validate(length(max = 4))]
    #[schema(max_items = 4, example = json!(["resume_screening", "interview", "background_check"]))]
    pub stages: Option<Vec<AssessmentStage>>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "華南區新增三個重點客戶，現有人手不足"
    )]
    pub reason: String,
    /// Today or later.
    pub wanted_by: NaiveDate,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListRecruitmentPlans {
    pub office_id: Option<i64>,
    pub status: Option<RecruitmentPlanStatus>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The rules across fields of a plan: channels and stages each once, wanted
/// by today or later.
fn check_plan(b: &CreateRecruitmentPlan) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let mut channels: Vec<&str> = b.channels.iter().map(|c| c.as_str()).collect();
    channels.sort_unstable();
    channels.dedup();
    if channels.len() != b.channels.len() {
        errors.push(FieldError::new(
            "channels",
            "duplicate",
            "each channel once",
        ));
    }
    if let Some(stages) = &b.stages {
        let mut names: Vec<&str> = stages.iter().map(|s| s.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        if names.len() != stages.len() {
            errors.push(FieldError::new("stages", "duplicate", "each stage once"));
        }
    }
    if b.wanted_by < today() {
        errors.push(FieldError::new(
            "wanted_by",
            "past",
            "the day people are wanted by is today or later",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Makes a plan at `office` and submits it to the approval engine in the
/// same transaction (also used by the demo loader).
pub fn make(
    conn: &mut AnyConnection,
    registry: &Registry,
    actor: &Actor,
    office: i64,
    b: &CreateRecruitmentPlan,
) -> Result<RecruitmentPlan, ApiError> {
    check_plan(b)?;
    if let Some(dept) = b.department_id {
        org::scope::department_of_office(conn, "department_id", dept, office)?;
    }
    let by = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a plan is made by a person"))?;
    let stages: Vec<&str> = match &b.stages {
        Some(s) => STAGES
            .iter()
            .filter(|x| s.contains(x))
            .map(|x| x.as_str())
            .collect(),
        None => STAGES.iter().map(|x| x.as_str()).collect(),
    };
    let channels: Vec<&str> = b.channels.iter().map(|c| c.as_str()).collect();
    let code = org::office_code(conn, office)?;
    let now = now_db();
    let number = store::docnum::next(conn, office, &code, "RP", now.year())?;
    let row: RecruitmentPlan = diesel::insert_into(rp::table)
        .values((
            rp::office_id.eq(office),
            rp::number.eq(&number),
            rp::post.eq(&b.post),
            rp::department_id.eq(b.department_id),
            rp::headcount.eq(b.headcount),
            rp::hired.eq(0),
            rp::requirements.eq(&b.requirements),
            rp::channels.eq(serde_json::json!(channels).to_string()),
            rp::stages.eq(serde_json::json!(stages).to_string()),
            rp::reason.eq(&b.reason),
            rp::wanted_by.eq(b.wanted_by),
            rp::status.eq(RecruitmentPlanStatus::InApproval.as_str()),
            rp::created_by.eq(by),
            rp::created_at.eq(now),
            rp::updated_at.eq(now),
            rp::version.eq(1_i64),
        ))
        .returning(rp::all_columns)
        .get_result(conn)
        .api()?;
    let row: RecruitmentPlan =
        workflow::submit_and_keep!(conn, registry, PLAN_DOC, rp, RecruitmentPlan, row.id, actor)?;
    audit::record(
        conn,
        actor,
        Change::new("create", "recruitment_plan", row.id, Some(office)).after(&row),
    )?;
    Ok(row)
}

/// The plan `id` as `p` reaches it under `perm` (404 outside), with the
/// actor acting on it.
pub(crate) fn plan_for(
    conn: &mut AnyConnection,
    p: &Principal,
    perm: kernel::Permission,
    id: i64,
) -> Result<(RecruitmentPlan, Actor), ApiError> {
    let (plan, authority) =
        store::load_scoped!(conn, p, perm, rp, RecruitmentPlan, id, "recruitment plan");
    Ok((plan, p.actor(authority)))
}

/// Make a recruitment plan (`employee:manage` at the office): numbered
/// `RP-<office>-<year>-NNNNNN`, it goes to approval at once — the office
/// director, then HQ HR.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    request_body = CreateRecruitmentPlan,
    responses((status = 201, description = "Made: in approval", body = RecruitmentPlan, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/personnel/recruitment-plans")]
async fn create_recruitment_plan(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    body: ValidJson<CreateRecruitmentPlan>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let (office, authority) = org::scope::office_for_create(&p, EMPLOYEE_MANAGE, b.office_id)?;
    let actor = p.actor(authority);
    let registry = registry.get_ref().clone();
    let row = db
        .tx(move |conn| make(conn, &registry, &actor, office, &b))
        .await?;
    Ok(created(
        format!("/api/v1/personnel/recruitment-plans/{}", row.id),
        row.version,
    )
    .json(row))
}

/// Recruitment plans of the offices `employee:read` reaches, newest first.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(ListRecruitmentPlans),
    responses((status = 200, description = "A page of plans", body = Page<RecruitmentPlan>), ReadErrors)
)]
#[get("/personnel/recruitment-plans")]
async fn list_recruitment_plans(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListRecruitmentPlans>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(EMPLOYEE_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, rp, RecruitmentPlan, req, desc, |q| {
                if let Some(v) = f.office_id {
                    q = q.filter(rp::office_id.eq(v));
                }
                if let Some(v) = f.status {
                    q = q.filter(rp::status.eq(v.as_str()));
                }
                q
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One recruitment plan.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Plan id")),
    responses((status = 200, description = "The plan", body = RecruitmentPlan, headers(("ETag" = String))), ReadErrors)
)]
#[get("/personnel/recruitment-plans/{id}")]
async fn get_recruitment_plan(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (plan, _) = db
        .run(move |conn| plan_for(conn, &p, EMPLOYEE_READ, id))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(plan.version))
        .json(plan))
}

/// Close an approved plan before its headcount is hired (`employee:manage`):
/// it takes no more candidates or hires.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Plan id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses((status = 200, description = "Closed", body = RecruitmentPlan, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/personnel/recruitment-plans/{id}/close")]
async fn close_recruitment_plan(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db
        .tx(move |conn| {
            let (before, actor) = plan_for(conn, &p, EMPLOYEE_MANAGE, id)?;
            if before.status != RecruitmentPlanStatus::Approved.as_str() {
                return Err(ApiError::invalid_transition("close", &before.status, &[]));
            }
            if before.version != if_match.0 {
                return Err(kernel::concurrency::version_conflict(before.version));
            }
            let after: RecruitmentPlan = store::update_versioned!(
                conn,
                rp,
                RecruitmentPlan,
                before,
                now_db(),
                (rp::status.eq(RecruitmentPlanStatus::Closed.as_str()),)
            )?;
            audit::record(
                conn,
                &actor,
                Change::new("close", "recruitment_plan", after.id, Some(after.office_id))
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

/// Recruitment plans in the approval engine.
pub struct RecruitmentPlanDocument;

impl ApprovalDocument for RecruitmentPlanDocument {
    fn doc_type(&self) -> &'static str {
        PLAN_DOC
    }

    /// The office director, then HQ HR.
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Recruitment plan (招聘計劃)".to_owned(),
            steps: vec![
                role("office_director", "office_director"),
                role("hq_hr", "hq_hr"),
            ],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let plan: RecruitmentPlan = rp::table
            .find(doc_id)
            .select(RecruitmentPlan::as_select())
            .first(conn)
            .found("recruitment plan")?;
        Ok(DocumentInfo {
            office_id: Some(plan.office_id),
            owner_user_id: plan.created_by,
            owner_department_id: None,
            amount: None,
            currency: "CNY".to_owned(),
            category: None,
            summary: format!(
                "{} {} × {} by {}",
                plan.number, plan.post, plan.headcount, plan.wanted_by
            ),
        })
    }

    fn set_status(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        status: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        store::update_audited!(
            conn,
            actor,
            status,
            "recruitment_plan",
            rp,
            RecruitmentPlan,
            doc_id,
            (
                rp::status.eq(status),
                rp::rejection_reason.eq(reason),
                rp::updated_at.eq(now_db()),
                rp::version.eq(rp::version + 1),
            )
        )?;
        Ok(())
    }
}
