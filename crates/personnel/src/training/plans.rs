//! Training needs (培訓需求) and the office's annual training plan (年度培訓
//! 計劃). A need names a topic, who needs it (and one employee, if it is
//! theirs), the reason and the year. A plan states the goals and the budget
//! and its items — content, method, lecturer, schedule, budget — each
//! covering needs of the office and year; the items' budgets never pass the
//! plan's. It goes to the approval engine as it is made (`training_plan`:
//! the office director, then HQ HR); the needs it covers are marked planned.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, FieldError, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{EMPLOYEE_MANAGE, EMPLOYEE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{
    employees as e, training_needs as tn, training_plan_items as ti, training_plans as tp,
};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::policy::{PolicyDef, role};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

use super::TrainingMethod;
use crate::common::{created, now_db};

/// The approval engine's name for training plans.
pub const PLAN_DOC: &str = "training_plan";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(add_training_need)
        .service(list_training_needs)
        .service(create_training_plan)
        .service(list_training_plans)
        .service(get_training_plan);
}

/// A training need.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = tn)]
pub struct TrainingNeed {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = 2027)]
    pub year: i32,
    #[schema(example = "LED 工礦燈產品知識")]
    pub topic: String,
    #[schema(example = "新入職銷售人員")]
    pub audience: String,
    #[schema(example = "新人對工礦燈選型不熟，報價錯誤兩次")]
    pub reason: String,
    /// The employee it is for, if one.
    pub employee_id: Option<i64>,
    /// The plan that covers it.
    pub plan_id: Option<i64>,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddTrainingNeed {
    /// The office; the caller's own when left out.
    pub office_id: Option<i64>,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100, example = 2027)]
    pub year: i32,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "LED 工礦燈產品知識")]
    pub topic: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "新入職銷售人員")]
    pub audience: String,
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "新人對工礦燈選型不熟，報價錯誤兩次"
    )]
    pub reason: String,
    /// An employee of the office, when the need is theirs.
    pub employee_id: Option<i64>,
}

/// Where a plan stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TrainingPlanStatus {
    InApproval,
    Approved,
    Rejected,
    Withdrawn,
}

impl TrainingPlanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TrainingPlanStatus::InApproval => "in_approval",
            TrainingPlanStatus::Approved => "approved",
            TrainingPlanStatus::Rejected => "rejected",
            TrainingPlanStatus::Withdrawn => "withdrawn",
        }
    }
}

/// An annual training plan.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = tp)]
pub struct TrainingPlan {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "TP-GZ01-2026-000001")]
    pub number: String,
    #[schema(example = 2027)]
    pub year: i32,
    #[schema(example = "新人三個月內獨立報價；全員掌握節能改造方案")]
    pub goals: String,
    /// Minor units.
    #[schema(example = 3_000_000)]
    pub budget: i64,
    #[schema(value_type = TrainingPlanStatus)]
    pub status: String,
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

/// An item of a plan.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ti)]
pub struct TrainingPlanItem {
    pub id: i64,
    pub plan_id: i64,
    pub office_id: i64,
    pub position: i32,
    #[schema(example = "LED 工礦燈選型與報價")]
    pub content: String,
    #[schema(value_type = TrainingMethod)]
    pub method: String,
    #[schema(example = "總部產品經理 劉工")]
    pub lecturer: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Minor units.
    pub budget: i64,
}

/// A plan with its items.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingPlanFile {
    #[serde(flatten)]
    pub plan: TrainingPlan,
    pub items: Vec<TrainingPlanItem>,
}

/// An item of a plan to make.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTrainingPlanItem {
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500, example = "LED 工礦燈選型與報價")]
    pub content: String,
    pub method: TrainingMethod,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "總部產品經理 劉工")]
    pub lecturer: String,
    /// In the plan's year.
    pub starts_on: NaiveDate,
    /// On or after `starts_on`, in the plan's year.
    pub ends_on: NaiveDate,
    /// Minor units.
    #[validate(range(min = 0, max = 100_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 100_000_000_000_i64, example = 800_000)]
    pub budget: i64,
    /// Needs of the office and year, not yet planned, this item covers.
    #[serde(default)]
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    pub need_ids: Vec<i64>,
}

/// A plan to make; it goes to approval at once.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTrainingPlan {
    /// The office; the caller's own when left out.
    pub office_id: Option<i64>,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100, example = 2027)]
    pub year: i32,
    #[validate(length(min = 1, max = 4000))]
    #[schema(
        min_length = 1,
        max_length = 4000,
        example = "新人三個月內獨立報價；全員掌握節能改造方案"
    )]
    pub goals: String,
    /// Minor units; the items' budgets together stay within it.
    #[validate(range(min = 0, max = 100_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 100_000_000_000_i64, example = 3_000_000)]
    pub budget: i64,
    #[validate(length(min = 1, max = 50), nested)]
    #[schema(min_items = 1, max_items = 50)]
    pub items: Vec<NewTrainingPlanItem>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListTraining {
    pub office_id: Option<i64>,
    pub year: Option<i32>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Records a need at `office` (also used by the demo loader).
pub fn add(
    conn: &mut AnyConnection,
    actor: &Actor,
    office: i64,
    b: &AddTrainingNeed,
) -> Result<TrainingNeed, ApiError> {
    if let Some(emp) = b.employee_id {
        let found: i64 = e::table
            .filter(e::id.eq(emp))
            .filter(e::office_id.eq(office))
            .filter(e::status.ne("left"))
            .count()
            .get_result(conn)
            .api()?;
        if found == 0 {
            return Err(store::scoped::no_such("employee_id", "employee"));
        }
    }
    let row: TrainingNeed = diesel::insert_into(tn::table)
        .values((
            tn::office_id.eq(office),
            tn::year.eq(b.year),
            tn::topic.eq(&b.topic),
            tn::audience.eq(&b.audience),
            tn::reason.eq(&b.reason),
            tn::employee_id.eq(b.employee_id),
            tn::created_by.eq(actor.user_id.unwrap_or_default()),
            tn::created_at.eq(now_db()),
        ))
        .returning(tn::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("create", "training_need", row.id, Some(office)).after(&row),
    )?;
    Ok(row)
}

/// The rules across a plan's fields: items in the year, in order, their
/// budgets within the plan's.
fn check_plan(b: &CreateTrainingPlan) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (i, item) in b.items.iter().enumerate() {
        if item.ends_on < item.starts_on {
            errors.push(FieldError::new(
                format!("items[{i}].ends_on"),
                "range",
                "an item ends on or after it starts",
            ));
        }
        if item.starts_on.year() != b.year || item.ends_on.year() != b.year {
            errors.push(FieldError::new(
                format!("items[{i}].starts_on"),
                "outside_year",
                format!("an item of the {} plan falls in {}", b.year, b.year),
            ));
        }
    }
    let total: i64 = b.items.iter().map(|i| i.budget).sum();
    if total > b.budget {
        errors.push(FieldError::new(
            "budget",
            "below_items",
            format!(
                "the items' budgets come to {total}, more than the plan's {}",
                b.budget
            ),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Makes a plan at `office` with its items, marks the needs it covers, and
/// submits it to the approval engine, in the caller's transaction (also used
/// by the demo loader).
pub fn make(
    conn: &mut AnyConnection,
    registry: &Registry,
    actor: &Actor,
    office: i64,
    b: &CreateTrainingPlan,
) -> Result<TrainingPlanFile, ApiError> {
    check_plan(b)?;
    let by = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a plan is made by a person"))?;
    let open: i64 = tp::table
        .filter(tp::office_id.eq(office))
        .filter(tp::year.eq(b.year))
        .filter(tp::status.eq_any(["in_approval", "approved"]))
        .count()
        .get_result(conn)
        .api()?;
    if open > 0 {
        return Err(ApiError::new(
            kernel::ErrorCode::Duplicate,
            format!("the office has a {} plan in approval or approved", b.year),
        ));
    }
    let code = org::office_code(conn, office)?;
    let now = now_db();
    let number = store::docnum::next(conn, office, &code, "TP", now.year())?;
    let plan: TrainingPlan = diesel::insert_into(tp::table)
        .values((
            tp::office_id.eq(office),
            tp::number.eq(&number),
            tp::year.eq(b.year),
            tp::goals.eq(&b.goals),
            tp::budget.eq(b.budget),
            tp::status.eq(TrainingPlanStatus::InApproval.as_str()),
            tp::created_by.eq(by),
            tp::created_at.eq(now),
            tp::updated_at.eq(now),
            tp::version.eq(1_i64),
        ))
        .returning(tp::all_columns)
        .get_result(conn)
        .api()?;
    let mut items = Vec::with_capacity(b.items.len());
    for (i, item) in b.items.iter().enumerate() {
        let row: TrainingPlanItem = diesel::insert_into(ti::table)
            .values((
                ti::plan_id.eq(plan.id),
                ti::office_id.eq(office),
                ti::position.eq(i as i32 + 1),
                ti::content.eq(&item.content),
                ti::method.eq(item.method.as_str()),
                ti::lecturer.eq(&item.lecturer),
                ti::starts_on.eq(item.starts_on),
                ti::ends_on.eq(item.ends_on),
                ti::budget.eq(item.budget),
            ))
            .returning(ti::all_columns)
            .get_result(conn)
            .api()?;
        items.push(row);
        for need in &item.need_ids {
            let marked = diesel::update(
                tn::table
                    .find(need)
                    .filter(tn::office_id.eq(office))
                    .filter(tn::year.eq(b.year))
                    .filter(tn::plan_id.is_null()),
            )
            .set(tn::plan_id.eq(Some(plan.id)))
            .execute(conn)
            .api()?;
            if marked == 0 {
                return Err(store::scoped::no_such(
                    &format!("items[{i}].need_ids"),
                    "unplanned need of the office and year",
                ));
            }
        }
    }
    let plan: TrainingPlan =
        workflow::submit_and_keep!(conn, registry, PLAN_DOC, tp, TrainingPlan, plan.id, actor)?;
    let file = TrainingPlanFile { plan, items };
    audit::record(
        conn,
        actor,
        Change::new("create", "training_plan", file.plan.id, Some(office)).after(&file),
    )?;
    Ok(file)
}

/// Record a training need of an office (`employee:manage` there).
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    request_body = AddTrainingNeed,
    responses((status = 201, description = "Recorded", body = TrainingNeed, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/personnel/training-needs")]
async fn add_training_need(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<AddTrainingNeed>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let (office, authority) = org::scope::office_for_create(&p, EMPLOYEE_MANAGE, b.office_id)?;
    let actor = p.actor(authority);
    let row = db.tx(move |conn| add(conn, &actor, office, &b)).await?;
    Ok(created(
        format!("/api/v1/personnel/training-needs?year={}", row.year),
        1,
    )
    .json(row))
}

/// Training needs of the offices `employee:read` reaches.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(ListTraining),
    responses((status = 200, description = "A page of needs", body = Page<TrainingNeed>), ReadErrors)
)]
#[get("/personnel/training-needs")]
async fn list_training_needs(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListTraining>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(EMPLOYEE_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, tn, TrainingNeed, req, asc, |q| {
                if let Some(v) = f.office_id {
                    q = q.filter(tn::office_id.eq(v));
                }
                if let Some(v) = f.year {
                    q = q.filter(tn::year.eq(v));
                }
                q
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Make an office's annual training plan (`employee:manage` there):
/// numbered `TP-<office>-<year>-NNNNNN`, it goes to approval at once — the
/// office director, then HQ HR.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    request_body = CreateTrainingPlan,
    responses((status = 201, description = "Made: in approval", body = TrainingPlanFile, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/personnel/training-plans")]
async fn create_training_plan(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    body: ValidJson<CreateTrainingPlan>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let (office, authority) = org::scope::office_for_create(&p, EMPLOYEE_MANAGE, b.office_id)?;
    let actor = p.actor(authority);
    let registry = registry.get_ref().clone();
    let file = db
        .tx(move |conn| make(conn, &registry, &actor, office, &b))
        .await?;
    Ok(created(
        format!("/api/v1/personnel/training-plans/{}", file.plan.id),
        file.plan.version,
    )
    .json(file))
}

/// Training plans of the offices `employee:read` reaches, newest first.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(ListTraining),
    responses((status = 200, description = "A page of plans", body = Page<TrainingPlan>), ReadErrors)
)]
#[get("/personnel/training-plans")]
async fn list_training_plans(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListTraining>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(EMPLOYEE_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, tp, TrainingPlan, req, desc, |q| {
                if let Some(v) = f.office_id {
                    q = q.filter(tp::office_id.eq(v));
                }
                if let Some(v) = f.year {
                    q = q.filter(tp::year.eq(v));
                }
                q
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One training plan with its items.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Plan id")),
    responses((status = 200, description = "The plan", body = TrainingPlanFile, headers(("ETag" = String))), ReadErrors)
)]
#[get("/personnel/training-plans/{id}")]
async fn get_training_plan(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let reach = p.require(EMPLOYEE_READ)?;
    let file = db
        .run(move |conn| {
            let plan = store::load_scoped!(
                conn,
                reach = reach,
                from = (
                    tp::table.select(TrainingPlan::as_select()),
                    tp::office_id,
                    tp::id
                ),
                TrainingPlan,
                id,
                "training plan"
            )?;
            let items = ti::table
                .filter(ti::plan_id.eq(plan.id))
                .order(ti::position.asc())
                .select(TrainingPlanItem::as_select())
                .load(conn)
                .api()?;
            Ok(TrainingPlanFile { plan, items })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(file.plan.version))
        .json(file))
}

/// Training plans in the approval engine.
pub struct TrainingPlanDocument;

impl ApprovalDocument for TrainingPlanDocument {
    fn doc_type(&self) -> &'static str {
        PLAN_DOC
    }

    /// The office director, then HQ HR; the amount is the plan's budget.
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Annual training plan (年度培訓計劃)".to_owned(),
            steps: vec![
                role("office_director", "office_director"),
                role("hq_hr", "hq_hr"),
            ],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let plan: TrainingPlan = tp::table
            .find(doc_id)
            .select(TrainingPlan::as_select())
            .first(conn)
            .found("training plan")?;
        let items: i64 = ti::table
            .filter(ti::plan_id.eq(plan.id))
            .count()
            .get_result(conn)
            .api()?;
        Ok(DocumentInfo {
            office_id: Some(plan.office_id),
            owner_user_id: plan.created_by,
            owner_department_id: None,
            amount: Some(plan.budget),
            currency: "CNY".to_owned(),
            category: None,
            summary: format!(
                "{} training plan {}: {items} items, budget {}",
                plan.number, plan.year, plan.budget
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
            "training_plan",
            tp,
            TrainingPlan,
            doc_id,
            (
                tp::status.eq(status),
                tp::rejection_reason.eq(reason),
                tp::updated_at.eq(now_db()),
                tp::version.eq(tp::version + 1),
            )
        )?;
        if status != TrainingPlanStatus::Approved.as_str() && status != "in_approval" {
            // A plan that is not going ahead frees its needs for another.
            let freed: Vec<i64> = diesel::update(tn::table.filter(tn::plan_id.eq(doc_id)))
                .set(tn::plan_id.eq(None::<i64>))
                .returning(tn::id)
                .get_results(conn)
                .api()?;
            if !freed.is_empty() {
                let office: i64 = tp::table
                    .find(doc_id)
                    .select(tp::office_id)
                    .first(conn)
                    .api()?;
                audit::record(
                    conn,
                    actor,
                    Change::new("free_needs", "training_plan", doc_id, Some(office))
                        .after(&serde_json::json!({"need_ids": freed})),
                )?;
            }
        }
        Ok(())
    }
}
