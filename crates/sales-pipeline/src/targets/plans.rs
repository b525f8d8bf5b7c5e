//! The office's sales plan (銷售計劃): the sales department drafts the split of
//! HQ's annual figure into quarters, months and persons, the department manager
//! reviews it and the office director approves it through the engine (seed 004
//! 四、銷售管理 (一)1–3; seed 000 五 (二)1). Only then is it in force: its split
//! replaces the target's, in the deciding transaction, and the plan it follows
//! is superseded. A plan always adds up to HQ's figure as it stands: drafting,
//! changing, submitting and approving each check the sums against it.

use actix_web::{HttpResponse, get, post, put, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::actions::{allow, created};
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{Actor, ApiError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag};
use org::roles::{SALES_READ, SALES_TARGET_MANAGE};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{sales_plans as sp, sales_targets as st};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::policy::{PolicyDef, role, supervisor};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

use super::api::{TargetRow, with_splits_one};
use super::{
    MonthShare, PersonShare, check_persons, check_split, month_shares, quarters_of, replace_splits,
};
use crate::common::{department_of, load_scoped, now_db};

/// The approval engine's name for sales plans.
pub const SALES_PLAN_DOC: &str = "sales_plan";

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_sales_plans)
        .service(draft_sales_plan)
        .service(get_sales_plan)
        .service(replace_sales_plan)
        .service(submit_sales_plan);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SalesPlanStatus {
    /// Being drafted by the office.
    Draft,
    /// With the department manager or the office director.
    InApproval,
    /// In force: its split is the target's.
    Approved,
    Rejected,
    Withdrawn,
    /// Was in force until a later plan was approved or HQ changed the figure.
    Superseded,
}

/// What a plan in `status` allows here. A plan in approval is decided — approved,
/// rejected or withdrawn — through the approval engine.
fn plan_actions(status: &str) -> &'static [&'static str] {
    match status {
        "draft" | "rejected" | "withdrawn" => &["update", "submit"],
        _ => &[],
    }
}

/// A sales plan with its split.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SalesPlan {
    pub id: i64,
    pub target_id: i64,
    pub office_id: i64,
    #[schema(example = 2027)]
    pub year: i32,
    /// HQ's annual figure the plan splits, minor units (分).
    #[schema(example = 1_200_000_000)]
    pub amount: i64,
    /// Q1 to Q4, each the sum of its three months.
    #[schema(min_items = 4, max_items = 4, example = json!([240_000_000, 300_000_000, 300_000_000, 360_000_000]))]
    pub quarters: Vec<i64>,
    /// January to December.
    pub months: Vec<MonthShare>,
    pub persons: Vec<PersonShare>,
    /// The drafter's explanation (how the figure is reached: channels, key
    /// customers, measures).
    pub note: Option<String>,
    #[schema(value_type = SalesPlanStatus)]
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

/// A plan as stored: the split as JSON text.
#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = sp)]
struct PlanRow {
    id: i64,
    target_id: i64,
    office_id: i64,
    year: i32,
    amount: i64,
    months_json: String,
    persons_json: String,
    note: Option<String>,
    status: String,
    approval_id: Option<i64>,
    rejection_reason: Option<String>,
    created_by: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i64,
}

impl PlanRow {
    fn split(&self) -> Result<(Vec<i64>, Vec<PersonShare>), ApiError> {
        let months: Vec<i64> = serde_json::from_str(&self.months_json)
            .map_err(|e| ApiError::internal(format!("sales plan {} months: {e}", self.id)))?;
        let persons: Vec<PersonShare> = serde_json::from_str(&self.persons_json)
            .map_err(|e| ApiError::internal(format!("sales plan {} persons: {e}", self.id)))?;
        Ok((months, persons))
    }

    fn into_plan(self) -> Result<SalesPlan, ApiError> {
        let (months, persons) = self.split()?;
        let months = month_shares(&months);
        Ok(SalesPlan {
            id: self.id,
            target_id: self.target_id,
            office_id: self.office_id,
            year: self.year,
            amount: self.amount,
            quarters: quarters_of(&months),
            months,
            persons,
            note: self.note,
            status: self.status,
            approval_id: self.approval_id,
            rejection_reason: self.rejection_reason,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        })
    }
}

/// The split an office proposes for its target.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SalesPlanInput {
    /// Q1 to Q4, not negative; they add up to the target's annual amount.
    #[validate(length(equal = 4))]
    #[schema(min_items = 4, max_items = 4, example = json!([240_000_000, 300_000_000, 300_000_000, 360_000_000]))]
    pub quarters: Vec<i64>,
    /// January to December, not negative; each quarter's three months add up
    /// to the quarter.
    #[validate(length(equal = 12))]
    #[schema(min_items = 12, max_items = 12, example = json!([
        60_000_000, 80_000_000, 100_000_000, 100_000_000, 100_000_000, 100_000_000,
        100_000_000, 100_000_000, 100_000_000, 100_000_000, 120_000_000, 140_000_000
    ]))]
    pub months: Vec<i64>,
    /// Each person once, active users of the office; the shares add up to the
    /// annual amount.
    #[validate(length(max = 1000), nested)]
    #[schema(max_items = 1000)]
    pub persons: Vec<PersonShare>,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000, example = "重點客戶 12 家，二網渠道佔 40%")]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListSalesPlans {
    pub target_id: Option<i64>,
    pub office_id: Option<i64>,
    #[validate(range(min = 2000, max = 2100))]
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    #[param(value_type = Option<SalesPlanStatus>)]
    pub status: Option<SalesPlanStatus>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn status_str(s: SalesPlanStatus) -> &'static str {
    match s {
        SalesPlanStatus::Draft => "draft",
        SalesPlanStatus::InApproval => "in_approval",
        SalesPlanStatus::Approved => "approved",
        SalesPlanStatus::Rejected => "rejected",
        SalesPlanStatus::Withdrawn => "withdrawn",
        SalesPlanStatus::Superseded => "superseded",
    }
}

/// The split checked against HQ's figure as it stands and the office's users,
/// as JSON text to store.
fn checked_split(
    conn: &mut AnyConnection,
    target: &TargetRow,
    body: &SalesPlanInput,
) -> Result<(String, String), ApiError> {
    check_split(target.amount, &body.quarters, &body.months, &body.persons)?;
    check_persons(conn, target.office_id, &body.persons)?;
    let months =
        serde_json::to_string(&body.months).map_err(|e| ApiError::internal(e.to_string()))?;
    let persons =
        serde_json::to_string(&body.persons).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok((months, persons))
}

fn target_row(conn: &mut AnyConnection, id: i64) -> Result<TargetRow, ApiError> {
    st::table
        .find(id)
        .select(TargetRow::as_select())
        .first(conn)
        .found("sales target")
}

/// The plan's stored split checked against HQ's figure as it stands: 422 naming
/// what no longer adds up (HQ changed the figure since the plan was drafted).
fn still_adds_up(
    plan: &PlanRow,
    target: &TargetRow,
) -> Result<(Vec<i64>, Vec<PersonShare>), ApiError> {
    let (months, persons) = plan.split()?;
    let quarters: Vec<i64> = months.chunks(3).map(|m| m.iter().sum()).collect();
    check_split(target.amount, &quarters, &months, &persons)?;
    Ok((months, persons))
}

/// Sales plans in the caller's reach, oldest first.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ListSalesPlans),
    responses((status = 200, description = "A page of plans", body = Page<SalesPlan>), ReadErrors)
)]
#[get("/sales/plans")]
async fn list_sales_plans(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListSalesPlans>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, sp, PlanRow, req, asc, |query| {
                if let Some(v) = q.target_id {
                    query = query.filter(sp::target_id.eq(v));
                }
                if let Some(v) = q.office_id {
                    query = query.filter(sp::office_id.eq(v));
                }
                if let Some(v) = q.year {
                    query = query.filter(sp::year.eq(v));
                }
                if let Some(v) = q.status {
                    query = query.filter(sp::status.eq(status_str(v)));
                }
                query
            })?;
            let page = req.page(rows, |r| r.id, |r| r);
            Ok(Page {
                items: page
                    .items
                    .into_iter()
                    .map(PlanRow::into_plan)
                    .collect::<Result<_, _>>()?,
                next_cursor: page.next_cursor,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Draft the office's plan for a target: the split of HQ's annual figure into
/// quarters, months and persons. It is in force only once approved.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Sales target id")),
    request_body = SalesPlanInput,
    responses((status = 201, description = "Drafted", body = SalesPlan, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/sales/targets/{id}/plans")]
async fn draft_sales_plan(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<SalesPlanInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let plan = db
        .tx(move |conn| {
            let (target, authority) = load_scoped!(
                conn,
                p,
                SALES_TARGET_MANAGE,
                st,
                TargetRow,
                id,
                "sales target"
            );
            let actor = p.actor(authority);
            let (months, persons) = checked_split(conn, &target, &body)?;
            let now = now_db();
            let row: PlanRow = diesel::insert_into(sp::table)
                .values((
                    sp::target_id.eq(target.id),
                    sp::office_id.eq(target.office_id),
                    sp::year.eq(target.year),
                    sp::amount.eq(target.amount),
                    sp::months_json.eq(months),
                    sp::persons_json.eq(persons),
                    sp::note.eq(&body.note),
                    sp::status.eq("draft"),
                    sp::created_by.eq(p.user_id),
                    sp::created_at.eq(now),
                    sp::updated_at.eq(now),
                    sp::version.eq(1_i64),
                ))
                .returning(sp::all_columns)
                .get_result(conn)
                .api()?;
            let plan = row.into_plan()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "sales_plan", plan.id, Some(plan.office_id)).after(&plan),
            )?;
            Ok(plan)
        })
        .await?;
    Ok(created(format!("/api/v1/sales/plans/{}", plan.id), plan.version).json(plan))
}

/// Get a sales plan.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Sales plan id")),
    responses((status = 200, description = "The plan", body = SalesPlan, headers(("ETag" = String))), ReadErrors)
)]
#[get("/sales/plans/{id}")]
async fn get_sales_plan(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let plan = db
        .run(move |conn| {
            let (row, _) = load_scoped!(conn, p, SALES_READ, sp, PlanRow, id, "sales plan");
            row.into_plan()
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(plan.version))
        .json(plan))
}

/// Replace the split of a draft plan, or of one that was rejected or withdrawn,
/// before (re)submitting it. It is checked against HQ's figure as it stands.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Sales plan id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = SalesPlanInput,
    responses((status = 200, description = "Replaced", body = SalesPlan, headers(("ETag" = String))), ChangeErrors)
)]
#[put("/sales/plans/{id}")]
async fn replace_sales_plan(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<SalesPlanInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let plan = db
        .tx(move |conn| {
            let (row, authority) =
                load_scoped!(conn, p, SALES_TARGET_MANAGE, sp, PlanRow, id, "sales plan");
            let actor = p.actor(authority);
            allow("update", &row.status, plan_actions(&row.status))?;
            if row.version != if_match.0 {
                return Err(version_conflict(row.version));
            }
            let target = target_row(conn, row.target_id)?;
            let (months, persons) = checked_split(conn, &target, &body)?;
            let before = row.into_plan()?;
            let after: PlanRow =
                diesel::update(sp::table.find(id).filter(sp::version.eq(if_match.0)))
                    .set((
                        sp::amount.eq(target.amount),
                        sp::months_json.eq(months),
                        sp::persons_json.eq(persons),
                        sp::note.eq(&body.note),
                        sp::updated_at.eq(now_db()),
                        sp::version.eq(sp::version + 1),
                    ))
                    .returning(sp::all_columns)
                    .get_result(conn)
                    .optional()
                    .api()?
                    .ok_or_else(|| version_conflict(before.version + 1))?;
            let after = after.into_plan()?;
            audit::record(
                conn,
                &actor,
                Change::new("update", "sales_plan", id, Some(after.office_id))
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(plan.version))
        .json(plan))
}

/// Submit a plan for approval: the department manager reviews it, then the
/// office director approves it (部門經理審核，分公司領導審批). A rejected or
/// withdrawn plan is resubmitted the same way. Its split must still add up to
/// HQ's figure.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Sales plan id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses((status = 200, description = "Submitted: in approval (or approved at once where the policy has no step left)", body = SalesPlan, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/sales/plans/{id}/submit")]
async fn submit_sales_plan(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let registry = registry.get_ref().clone();
    let plan = db
        .tx(move |conn| {
            let (before, authority) =
                load_scoped!(conn, p, SALES_TARGET_MANAGE, sp, PlanRow, id, "sales plan");
            let actor = p.actor(authority);
            allow("submit", &before.status, plan_actions(&before.status))?;
            let target = target_row(conn, before.target_id)?;
            still_adds_up(&before, &target)?;
            // The version guard first, so that of two submissions at once the
            // second finds the plan moved on.
            let moved = diesel::update(sp::table.find(id).filter(sp::version.eq(if_match.0)))
                .set((
                    sp::status.eq("in_approval"),
                    sp::rejection_reason.eq(None::<String>),
                    sp::updated_at.eq(now_db()),
                    sp::version.eq(sp::version + 1),
                ))
                .execute(conn)
                .api()?;
            if moved == 0 {
                return Err(version_conflict(before.version));
            }
            let after = workflow::submit_and_keep!(
                conn,
                &registry,
                SALES_PLAN_DOC,
                sp,
                PlanRow,
                id,
                &actor
            )?;
            let before = before.into_plan()?;
            let after = after.into_plan()?;
            audit::record(
                conn,
                &actor,
                Change::new("submit", "sales_plan", id, Some(after.office_id))
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(plan.version))
        .json(plan))
}

fn set_plan_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<PlanRow, ApiError> {
    store::update_audited!(
        conn,
        actor,
        status,
        "sales_plan",
        sp,
        PlanRow,
        id,
        (
            sp::status.eq(status),
            sp::rejection_reason.eq(reason),
            sp::updated_at.eq(now_db()),
            sp::version.eq(sp::version + 1),
        )
    )
}

/// The plan that was in force goes out of force (a later plan was approved, or
/// HQ changed the figure).
pub(super) fn supersede(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<(), ApiError> {
    set_plan_status(conn, actor, id, "superseded", None).map(drop)
}

/// Puts an approved plan in force: its split replaces the target's, the plan in
/// force before is superseded, and the target names the new one.
fn put_in_force(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<(), ApiError> {
    let plan = set_plan_status(conn, actor, id, "approved", None)?;
    let target = target_row(conn, plan.target_id)?;
    let (months, persons) = still_adds_up(&plan, &target).map_err(|_| {
        ApiError::conflict(format!(
            "HQ changed the annual figure to {} since this plan was submitted: reject it, and the office plans again",
            target.amount
        ))
    })?;
    let before = with_splits_one(conn, target.clone())?;
    if let Some(previous) = target.plan_id.filter(|p| *p != id) {
        supersede(conn, actor, previous)?;
    }
    let months = month_shares(&months);
    replace_splits(conn, target.id, target.office_id, &months, &persons)?;
    let updated: TargetRow = diesel::update(st::table.find(target.id))
        .set((
            st::plan_id.eq(Some(id)),
            st::updated_at.eq(now_db()),
            st::version.eq(st::version + 1),
        ))
        .returning(st::all_columns)
        .get_result(conn)
        .api()?;
    let after = updated.with_splits(months, persons);
    audit::record(
        conn,
        actor,
        Change::new("plan", "sales_target", target.id, Some(target.office_id))
            .before(&before)
            .after(&after),
    )?;
    Ok(())
}

/// Sales plans in the approval engine.
pub struct SalesPlanDocument;

impl ApprovalDocument for SalesPlanDocument {
    fn doc_type(&self) -> &'static str {
        SALES_PLAN_DOC
    }

    /// 銷售部門制定，部門經理審核，分公司領導審批: the drafter's department
    /// manager, then the office director. HQ may extend it through the policy API.
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Sales plan (銷售計劃)".to_owned(),
            steps: vec![
                supervisor("department_manager"),
                role("office_director", "office_director"),
            ],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let plan: PlanRow = sp::table
            .find(doc_id)
            .select(PlanRow::as_select())
            .first(conn)
            .found("sales plan")?;
        let department = department_of(conn, plan.created_by, plan.office_id)?;
        Ok(DocumentInfo {
            office_id: Some(plan.office_id),
            owner_user_id: plan.created_by,
            owner_department_id: department,
            amount: Some(plan.amount),
            currency: "CNY".to_owned(),
            category: None,
            summary: format!(
                "{} sales plan for target {}: {}",
                plan.year, plan.target_id, plan.amount
            ),
        })
    }

    fn on_approved(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        put_in_force(conn, actor, doc_id)
    }

    fn set_status(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        status: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        set_plan_status(conn, actor, doc_id, status, reason).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_open_plans_change_or_go_to_approval() {
        for s in ["draft", "rejected", "withdrawn"] {
            assert!(allow("submit", s, plan_actions(s)).is_ok());
            assert!(allow("update", s, plan_actions(s)).is_ok());
        }
        for s in ["in_approval", "approved", "superseded"] {
            assert!(allow("update", s, plan_actions(s)).is_err());
            assert!(allow("submit", s, plan_actions(s)).is_err());
        }
    }
}
