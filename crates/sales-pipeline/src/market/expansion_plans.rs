//! Annual market expansion plans (市場拓展計劃): a plan is drafted and numbered
//! `EP-<office>-<year>-NNNNNN`, may change while a draft (or after it was
//! rejected or withdrawn), and is submitted to the approval engine — the
//! department manager reviews it, then the office director approves it. The
//! engine's document for plans, [`ExpansionPlanDocument`], is here too.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{Actor, ApiError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag};
use org::roles::{SALES_MANAGE, SALES_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::expansion_plans as ep;
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::policy::{PolicyDef, role, supervisor};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

use super::{allow, created};
use crate::common::{load_scoped, now_db, office_for_create};

/// The approval engine's name for expansion plans.
pub const EXPANSION_PLAN_DOC: &str = "expansion_plan";

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_expansion_plans)
        .service(create_expansion_plan)
        .service(get_expansion_plan)
        .service(update_expansion_plan)
        .service(submit_expansion_plan);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ExpansionPlanStatus {
    Draft,
    InApproval,
    Approved,
    Rejected,
    Withdrawn,
}

impl ExpansionPlanStatus {
    fn as_str(self) -> &'static str {
        match self {
            ExpansionPlanStatus::Draft => "draft",
            ExpansionPlanStatus::InApproval => "in_approval",
            ExpansionPlanStatus::Approved => "approved",
            ExpansionPlanStatus::Rejected => "rejected",
            ExpansionPlanStatus::Withdrawn => "withdrawn",
        }
    }
}

/// What a plan in `status` allows here. A plan in approval is decided — approved,
/// rejected or withdrawn — through the approval engine.
fn plan_actions(status: &str) -> &'static [&'static str] {
    match status {
        "draft" | "rejected" | "withdrawn" => &["update", "submit"],
        _ => &[],
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ep)]
pub struct ExpansionPlan {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "EP-GZ01-2027-000001")]
    pub number: String,
    /// The plan's year.
    #[schema(example = 2027)]
    pub year: i32,
    #[schema(example = "2027 年廣州辦事處市場拓展計劃")]
    pub title: String,
    pub goals: String,
    pub key_regions: String,
    pub target_groups: String,
    pub methods: String,
    pub schedule: String,
    /// Minor units (分).
    pub budget: i64,
    #[schema(value_type = ExpansionPlanStatus)]
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

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateExpansionPlan {
    /// The office the plan is for; defaults to the caller's.
    pub office_id: Option<i64>,
    /// The plan's year; it is also the year in the plan's number.
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100, example = 2027)]
    pub year: i32,
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "2027 年廣州辦事處市場拓展計劃"
    )]
    pub title: String,
    #[validate(length(min = 1, max = 5000))]
    #[schema(
        min_length = 1,
        max_length = 5000,
        example = "新增重要客戶 10 家，銷售額增長 20%"
    )]
    pub goals: String,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "佛山、東莞、中山")]
    pub key_regions: String,
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "物業管理公司、商業綜合體"
    )]
    pub target_groups: String,
    #[validate(length(min = 1, max = 5000))]
    #[schema(
        min_length = 1,
        max_length = 5000,
        example = "行業展會、節能改造方案推介會、老客戶轉介紹"
    )]
    pub methods: String,
    #[validate(length(min = 1, max = 5000))]
    #[schema(
        min_length = 1,
        max_length = 5000,
        example = "Q1 調研與名單；Q2 展會；Q3–Q4 重點跟進"
    )]
    pub schedule: String,
    /// Minor units (分), not negative.
    #[validate(range(min = 0, max = 100_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 100_000_000_000_i64, example = 30_000_000)]
    pub budget: i64,
}

/// The plan's year is fixed once numbered; everything else may change while the
/// plan is a draft, or after it was rejected or withdrawn.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateExpansionPlan {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[validate(length(min = 1, max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub goals: Option<String>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub key_regions: Option<String>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub target_groups: Option<String>,
    #[validate(length(min = 1, max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub methods: Option<String>,
    #[validate(length(min = 1, max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub schedule: Option<String>,
    #[validate(range(min = 0, max = 100_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 100_000_000_000_i64)]
    pub budget: Option<i64>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListExpansionPlans {
    pub office_id: Option<i64>,
    #[validate(range(min = 2000, max = 2100))]
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    pub status: Option<ExpansionPlanStatus>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Expansion plans in the caller's reach.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ListExpansionPlans),
    responses((status = 200, description = "A page of expansion plans", body = Page<ExpansionPlan>), ReadErrors)
)]
#[get("/sales/expansion-plans")]
async fn list_expansion_plans(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListExpansionPlans>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, ep, ExpansionPlan, req, asc, |query| {
                if let Some(v) = q.office_id {
                    query = query.filter(ep::office_id.eq(v));
                }
                if let Some(v) = q.year {
                    query = query.filter(ep::year.eq(v));
                }
                if let Some(v) = q.status {
                    query = query.filter(ep::status.eq(v.as_str()));
                }
                query
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Draft an annual expansion plan; it is numbered `EP-<office>-<year>-NNNNNN`.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    request_body = CreateExpansionPlan,
    responses((status = 201, description = "Created as a draft", body = ExpansionPlan, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/sales/expansion-plans")]
async fn create_expansion_plan(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateExpansionPlan>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (office, authority) = office_for_create(&p, SALES_MANAGE, body.office_id)?;
    let actor = p.actor(authority);
    let row = db
        .tx(move |conn| {
            let code = org::office_code(conn, office)?;
            let number = store::docnum::next(conn, office, &code, "EP", body.year)?;
            let now = now_db();
            let row: ExpansionPlan = diesel::insert_into(ep::table)
                .values((
                    ep::office_id.eq(office),
                    ep::number.eq(&number),
                    ep::year.eq(body.year),
                    ep::title.eq(&body.title),
                    ep::goals.eq(&body.goals),
                    ep::key_regions.eq(&body.key_regions),
                    ep::target_groups.eq(&body.target_groups),
                    ep::methods.eq(&body.methods),
                    ep::schedule.eq(&body.schedule),
                    ep::budget.eq(body.budget),
                    ep::status.eq("draft"),
                    ep::created_by.eq(p.user_id),
                    ep::created_at.eq(now),
                    ep::updated_at.eq(now),
                    ep::version.eq(1_i64),
                ))
                .returning(ep::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "expansion_plan", row.id, Some(office)).after(&row),
            )?;
            Ok(row)
        })
        .await?;
    Ok(created(
        format!("/api/v1/sales/expansion-plans/{}", row.id),
        row.version,
    )
    .json(row))
}

/// Get an expansion plan.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Expansion plan id")),
    responses((status = 200, description = "The plan", body = ExpansionPlan, headers(("ETag" = String))), ReadErrors)
)]
#[get("/sales/expansion-plans/{id}")]
async fn get_expansion_plan(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db
        .run(move |conn| {
            let (row, _) =
                load_scoped!(conn, p, SALES_READ, ep, ExpansionPlan, id, "expansion plan");
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// Change a draft plan, or one that was rejected or withdrawn, before
/// (re)submitting it.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Expansion plan id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = UpdateExpansionPlan,
    responses((status = 200, description = "Updated", body = ExpansionPlan, headers(("ETag" = String))), ChangeErrors)
)]
#[patch("/sales/expansion-plans/{id}")]
async fn update_expansion_plan(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<UpdateExpansionPlan>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let row = db
        .tx(move |conn| {
            let (before, authority) = load_scoped!(
                conn,
                p,
                SALES_MANAGE,
                ep,
                ExpansionPlan,
                id,
                "expansion plan"
            );
            let actor = p.actor(authority);
            allow("update", &before.status, plan_actions(&before.status))?;
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            let after: ExpansionPlan =
                diesel::update(ep::table.find(id).filter(ep::version.eq(if_match.0)))
                    .set((
                        ep::title.eq(b.title.as_deref().unwrap_or(&before.title)),
                        ep::goals.eq(b.goals.as_deref().unwrap_or(&before.goals)),
                        ep::key_regions.eq(b.key_regions.as_deref().unwrap_or(&before.key_regions)),
                        ep::target_groups
                            .eq(b.target_groups.as_deref().unwrap_or(&before.target_groups)),
                        ep::methods.eq(b.methods.as_deref().unwrap_or(&before.methods)),
                        ep::schedule.eq(b.schedule.as_deref().unwrap_or(&before.schedule)),
                        ep::budget.eq(b.budget.unwrap_or(before.budget)),
                        ep::updated_at.eq(now_db()),
                        ep::version.eq(ep::version + 1),
                    ))
                    .returning(ep::all_columns)
                    .get_result(conn)
                    .optional()
                    .api()?
                    .ok_or_else(|| version_conflict(before.version + 1))?;
            audit::record(
                conn,
                &actor,
                Change::new("update", "expansion_plan", id, Some(after.office_id))
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

/// Submit a plan for approval: the department manager reviews it, then the
/// office director approves it (部門經理審核，分公司領導審批). A rejected or
/// withdrawn plan is resubmitted the same way.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Expansion plan id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses((status = 200, description = "Submitted: in approval", body = ExpansionPlan, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/sales/expansion-plans/{id}/submit")]
async fn submit_expansion_plan(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let registry = registry.get_ref().clone();
    let row = db
        .tx(move |conn| {
            let (before, authority) = load_scoped!(
                conn,
                p,
                SALES_MANAGE,
                ep,
                ExpansionPlan,
                id,
                "expansion plan"
            );
            let actor = p.actor(authority);
            allow("submit", &before.status, plan_actions(&before.status))?;
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            let instance = workflow::submit(conn, &registry, EXPANSION_PLAN_DOC, id, &actor)?;
            let after: ExpansionPlan =
                diesel::update(ep::table.find(id).filter(ep::version.eq(if_match.0)))
                    .set((
                        ep::status.eq("in_approval"),
                        ep::approval_id.eq(Some(instance.id)),
                        ep::rejection_reason.eq(None::<String>),
                        ep::updated_at.eq(now_db()),
                        ep::version.eq(ep::version + 1),
                    ))
                    .returning(ep::all_columns)
                    .get_result(conn)
                    .optional()
                    .api()?
                    .ok_or_else(|| version_conflict(before.version + 1))?;
            audit::record(
                conn,
                &actor,
                Change::new("submit", "expansion_plan", id, Some(after.office_id))
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

fn set_plan_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    store::update_audited!(
        conn,
        actor,
        status,
        "expansion_plan",
        ep,
        ExpansionPlan,
        id,
        (
            ep::status.eq(status),
            ep::rejection_reason.eq(reason),
            ep::updated_at.eq(now_db()),
            ep::version.eq(ep::version + 1),
        )
    )?;
    Ok(())
}

/// Expansion plans in the approval engine.
pub struct ExpansionPlanDocument;

impl ApprovalDocument for ExpansionPlanDocument {
    fn doc_type(&self) -> &'static str {
        EXPANSION_PLAN_DOC
    }

    /// 部門經理審核，分公司領導審批: the author's department supervisor, then
    /// the office director.
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Market expansion plan (市場拓展計劃)".to_owned(),
            steps: vec![
                supervisor("department_manager"),
                role("office_director", "office_director"),
            ],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let plan: ExpansionPlan = ep::table
            .find(doc_id)
            .select(ExpansionPlan::as_select())
            .first(conn)
            .found("expansion plan")?;
        let department = crate::common::department_of(conn, plan.created_by, plan.office_id)?;
        Ok(DocumentInfo {
            office_id: Some(plan.office_id),
            owner_user_id: plan.created_by,
            owner_department_id: department,
            amount: Some(plan.budget),
            currency: "CNY".to_owned(),
            category: None,
            summary: format!(
                "{} {} expansion plan: {}",
                plan.number, plan.year, plan.title
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
        set_plan_status(conn, actor, doc_id, status, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_open_plans_change_or_go_to_approval() {
        for s in ["draft", "rejected", "withdrawn"] {
            assert!(allow("submit", s, plan_actions(s)).is_ok());
        }
        for s in ["in_approval", "approved"] {
            assert!(allow("update", s, plan_actions(s)).is_err());
        }
    }
}
