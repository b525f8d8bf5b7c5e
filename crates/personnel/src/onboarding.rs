//! Onboarding (入職): [002] 二(一) and [000] 三 have a new hire submit their
//! documents, sign the labour contract, receive office supplies, pass the
//! induction training (company, culture, rules, products) and get a mentor.
//! The checklist comes from a template HQ keeps as data with effective days
//! (`/personnel/onboarding-checklist`); hiring opens the hire's checklist from
//! the set in force on the hire day. Each item is completed once, by
//! `employee:manage` over the office:
//!
//! - the contract item only once a labour contract is in force (it is
//!   linked);
//! - a supplies item may name the issue in finance's supplies ledger, which
//!   must be an issue to the hire at their office;
//! - the mentor item names the mentor, an employee of the same office, who
//!   goes on the file.
//!
//! When the last item is done a hire (`hired`) starts their probation.

use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{ReadErrors, WriteErrors};
use kernel::{Actor, ApiError, FieldError, Page, PageRequest, Principal, ValidJson, ValidQuery};
use org::roles::{EMPLOYEE_MANAGE, EMPLOYEE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{
    employees as e, labour_contracts as lc, onboarding_items as oi, onboarding_template_items as ot,
};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::{now_db, today};
use crate::employees::api::employee_for;
use crate::employees::{Employee, EmployeeStatus};
use crate::facts::PersonnelSources;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_onboarding_checklist)
        .service(set_onboarding_checklist)
        .service(get_onboarding)
        .service(list_onboarding_items)
        .service(complete_onboarding_item);
}

/// What an onboarding item is about.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OnboardingKind {
    /// Documents submitted (入職資料).
    Documents,
    /// The labour contract signed.
    Contract,
    /// Office supplies issued.
    Supplies,
    /// Induction training (崗前培訓).
    Induction,
    /// A mentor assigned (入職導師).
    Mentor,
    Other,
}

impl OnboardingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OnboardingKind::Documents => "documents",
            OnboardingKind::Contract => "contract",
            OnboardingKind::Supplies => "supplies",
            OnboardingKind::Induction => "induction",
            OnboardingKind::Mentor => "mentor",
            OnboardingKind::Other => "other",
        }
    }
}

/// One item of the template.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ot)]
pub struct OnboardingTemplateItem {
    pub id: i64,
    pub effective_from: NaiveDate,
    pub position: i32,
    #[schema(value_type = OnboardingKind)]
    pub kind: String,
    #[schema(example = "崗前培訓：產品知識")]
    pub title: String,
    pub created_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

/// An item of a new template.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOnboardingItem {
    pub kind: OnboardingKind,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "崗前培訓：產品知識")]
    pub title: String,
}

/// A new template, in force from a day on.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetOnboardingTemplate {
    /// Today or later: hires from that day on get this checklist.
    pub effective_from: NaiveDate,
    /// In order.
    #[validate(length(min = 1, max = 30), nested)]
    #[schema(min_items = 1, max_items = 30)]
    pub items: Vec<NewOnboardingItem>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TemplateOn {
    /// The day the set is in force on (today when left out).
    pub on: Option<NaiveDate>,
}

/// One item of an employee's checklist.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = oi)]
pub struct OnboardingItem {
    pub id: i64,
    pub employee_id: i64,
    pub office_id: Option<i64>,
    pub position: i32,
    #[schema(value_type = OnboardingKind)]
    pub kind: String,
    pub title: String,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub done_at: Option<NaiveDateTime>,
    pub done_by: Option<i64>,
    pub note: Option<String>,
    /// The contract item: the contract signed.
    pub contract_id: Option<i64>,
    /// A supplies item: the issue in finance's supplies ledger.
    pub supply_movement_id: Option<i64>,
    /// The mentor item: the mentor.
    pub mentor_employee_id: Option<i64>,
    pub version: i64,
}

/// An employee's checklist.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Onboarding {
    pub employee_id: i64,
    pub items: Vec<OnboardingItem>,
    pub done: usize,
    pub total: usize,
    /// Every item done.
    pub complete: bool,
}

/// Completing an item.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteOnboardingItem {
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "身份證、學歷證書與體檢報告已存檔"
    )]
    pub note: Option<String>,
    /// A supplies item: the issue to the hire in finance's supplies ledger.
    pub supply_movement_id: Option<i64>,
    /// The mentor item (required there): an employee of the same office.
    pub mentor_employee_id: Option<i64>,
}

/// The template set in force on `on`, in order.
fn template_on(
    conn: &mut AnyConnection,
    on: NaiveDate,
) -> Result<Vec<OnboardingTemplateItem>, ApiError> {
    let latest: Option<NaiveDate> = ot::table
        .filter(ot::effective_from.le(on))
        .select(diesel::dsl::max(ot::effective_from))
        .first(conn)
        .api()?;
    let Some(latest) = latest else {
        return Ok(Vec::new());
    };
    ot::table
        .filter(ot::effective_from.eq(latest))
        .order(ot::position.asc())
        .select(OnboardingTemplateItem::as_select())
        .load(conn)
        .api()
}

/// Opens `employee`'s checklist from the template in force on their hire
/// day (hiring and the demo loader call it).
pub fn start(
    conn: &mut AnyConnection,
    actor: &Actor,
    employee: &Employee,
) -> Result<Onboarding, ApiError> {
    for t in template_on(conn, employee.hire_date)? {
        diesel::insert_into(oi::table)
            .values((
                oi::employee_id.eq(employee.id),
                oi::office_id.eq(employee.office_id),
                oi::position.eq(t.position),
                oi::kind.eq(&t.kind),
                oi::title.eq(&t.title),
                oi::version.eq(1_i64),
            ))
            .execute(conn)
            .api()?;
    }
    let view = checklist(conn, employee.id)?;
    audit::record(
        conn,
        actor,
        Change::new(
            "start_onboarding",
            "employee",
            employee.id,
            employee.office_id,
        )
        .after(&view),
    )?;
    Ok(view)
}

fn checklist(conn: &mut AnyConnection, employee_id: i64) -> Result<Onboarding, ApiError> {
    let items: Vec<OnboardingItem> = oi::table
        .filter(oi::employee_id.eq(employee_id))
        .order(oi::position.asc())
        .select(OnboardingItem::as_select())
        .load(conn)
        .api()?;
    let done = items.iter().filter(|i| i.done_at.is_some()).count();
    Ok(Onboarding {
        employee_id,
        total: items.len(),
        complete: done == items.len() && !items.is_empty(),
        done,
        items,
    })
}

/// Completes item `item_id` of `employee` by its kind's rule (also used by
/// the demo loader); the last one starts the probation of a hire.
pub fn complete(
    conn: &mut AnyConnection,
    sources: &PersonnelSources,
    actor: &Actor,
    employee: &Employee,
    item_id: i64,
    b: &CompleteOnboardingItem,
) -> Result<Onboarding, ApiError> {
    if employee.status == EmployeeStatus::Left.as_str() {
        return Err(ApiError::invalid_transition(
            "complete",
            &employee.status,
            &[],
        ));
    }
    let item: OnboardingItem = oi::table
        .filter(oi::id.eq(item_id))
        .filter(oi::employee_id.eq(employee.id))
        .select(OnboardingItem::as_select())
        .first(conn)
        .found("onboarding item")?;
    if item.done_at.is_some() {
        return Err(ApiError::invalid_transition("complete", "done", &[]));
    }
    let mut contract = None;
    let mut movement = None;
    let mut mentor = None;
    match item.kind.as_str() {
        "contract" => {
            let found: Option<i64> = lc::table
                .filter(lc::employee_id.eq(employee.id))
                .filter(lc::status.eq("active"))
                .select(lc::id)
                .first(conn)
                .optional()
                .api()?;
            contract = Some(found.ok_or_else(|| {
                ApiError::invalid_field(
                    "item",
                    "no_contract",
                    "the labour contract is signed first (POST /personnel/employees/{id}/contracts)",
                )
            })?);
        }
        "supplies" => {
            if let Some(m) = b.supply_movement_id {
                let issued = match (employee.office_id, employee.user_id) {
                    (Some(office), Some(user)) => {
                        sources.finance.supply_issued(conn, m, office, user)?
                    }
                    _ => false,
                };
                if !issued {
                    return Err(store::scoped::no_such(
                        "supply_movement_id",
                        "issue of supplies to this employee",
                    ));
                }
                movement = Some(m);
            }
        }
        "mentor" => {
            let m = b.mentor_employee_id.ok_or_else(|| {
                ApiError::validation(vec![FieldError::new(
                    "mentor_employee_id",
                    "required",
                    "the mentor item names the mentor",
                )])
            })?;
            if m == employee.id {
                return Err(ApiError::invalid_field(
                    "mentor_employee_id",
                    "self",
                    "nobody mentors themselves",
                ));
            }
            let mut q = e::table
                .filter(e::id.eq(m))
                .filter(e::status.ne("left"))
                .select(e::id)
                .into_boxed::<store::MultiBackend>();
            q = match employee.office_id {
                Some(o) => q.filter(e::office_id.eq(o)),
                None => q.filter(e::office_id.is_null()),
            };
            let found: Option<i64> = q.first(conn).optional().api()?;
            mentor = Some(
                found.ok_or_else(|| store::scoped::no_such("mentor_employee_id", "employee"))?,
            );
        }
        _ => {}
    }
    let now = now_db();
    let done: Option<OnboardingItem> =
        diesel::update(oi::table.find(item.id).filter(oi::done_at.is_null()))
            .set((
                oi::done_at.eq(Some(now)),
                oi::done_by.eq(actor.user_id),
                oi::note.eq(b.note.as_deref()),
                oi::contract_id.eq(contract),
                oi::supply_movement_id.eq(movement),
                oi::mentor_employee_id.eq(mentor),
                oi::version.eq(oi::version + 1),
            ))
            .returning(oi::all_columns)
            .get_result(conn)
            .optional()
            .api()?;
    let done = done.ok_or_else(|| ApiError::invalid_transition("complete", "done", &[]))?;
    audit::record(
        conn,
        actor,
        Change::new(
            "complete_onboarding_item",
            "employee",
            employee.id,
            employee.office_id,
        )
        .before(&item)
        .after(&done),
    )?;
    let view = checklist(conn, employee.id)?;
    let becomes_probation = view.complete && employee.status == EmployeeStatus::Hired.as_str();
    if mentor.is_some() || becomes_probation {
        let status = if becomes_probation {
            EmployeeStatus::Probation.as_str()
        } else {
            employee.status.as_str()
        };
        let after: Employee = store::update_versioned!(
            conn,
            e,
            Employee,
            employee,
            now,
            (
                e::mentor_employee_id.eq(mentor.or(employee.mentor_employee_id)),
                e::status.eq(status),
            )
        )?;
        audit::record(
            conn,
            actor,
            Change::new(
                if becomes_probation {
                    "start_probation"
                } else {
                    "assign_mentor"
                },
                "employee",
                after.id,
                after.office_id,
            )
            .before(employee)
            .after(&after),
        )?;
    }
    Ok(view)
}

/// The onboarding template in force on a day (today by default), in order.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(TemplateOn),
    responses((status = 200, description = "The items of the set in force", body = Vec<OnboardingTemplateItem>), ReadErrors)
)]
#[get("/personnel/onboarding-checklist")]
async fn get_onboarding_checklist(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<TemplateOn>,
) -> Result<HttpResponse, ApiError> {
    p.require(EMPLOYEE_READ)?;
    let on = q.into_inner().on.unwrap_or_else(today);
    let items = db.run(move |conn| template_on(conn, on)).await?;
    Ok(HttpResponse::Ok().json(items))
}

/// Set a new onboarding template from a day on (`employee:manage`
/// company-wide): hires from that day get it; earlier sets stay as they
/// were.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    request_body = SetOnboardingTemplate,
    responses((status = 201, description = "Set", body = Vec<OnboardingTemplateItem>), WriteErrors)
)]
#[post("/personnel/onboarding-checklist")]
async fn set_onboarding_checklist(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<SetOnboardingTemplate>,
) -> Result<HttpResponse, ApiError> {
    let actor = p.actor(p.require_company(EMPLOYEE_MANAGE)?);
    let b = body.into_inner();
    if b.effective_from < today() {
        return Err(ApiError::invalid_field(
            "effective_from",
            "past",
            "a template takes effect today or later",
        ));
    }
    let items = db
        .tx(move |conn| {
            let taken: i64 = ot::table
                .filter(ot::effective_from.eq(b.effective_from))
                .count()
                .get_result(conn)
                .api()?;
            if taken > 0 {
                return Err(ApiError::new(
                    kernel::ErrorCode::Duplicate,
                    "a template takes effect that day already",
                ));
            }
            let now = now_db();
            for (i, item) in b.items.iter().enumerate() {
                diesel::insert_into(ot::table)
                    .values((
                        ot::effective_from.eq(b.effective_from),
                        ot::position.eq(i as i32 + 1),
                        ot::kind.eq(item.kind.as_str()),
                        ot::title.eq(&item.title),
                        ot::created_by.eq(actor.user_id),
                        ot::created_at.eq(now),
                    ))
                    .execute(conn)
                    .api()?;
            }
            let items = template_on(conn, b.effective_from)?;
            let first = items.first().map_or(0, |i| i.id);
            audit::record(
                conn,
                &actor,
                Change::new("create", "onboarding_template", first, None).after(
                    &serde_json::json!({"effective_from": b.effective_from, "items": &items}),
                ),
            )?;
            Ok(items)
        })
        .await?;
    Ok(HttpResponse::Created().json(items))
}

/// An employee's onboarding checklist (`employee:read`).
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id")),
    responses((status = 200, description = "The checklist", body = Onboarding), ReadErrors)
)]
#[get("/personnel/employees/{id}/onboarding")]
async fn get_onboarding(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = db
        .run(move |conn| {
            let (employee, _) = employee_for(conn, &p, EMPLOYEE_READ, id)?;
            checklist(conn, employee.id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListOnboardingItems {
    pub employee_id: Option<i64>,
    pub office_id: Option<i64>,
    /// `true`: only items still to do; `false`: only done ones.
    pub open: Option<bool>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Onboarding items of the offices `employee:read` reaches — what is still
/// to do for the office's new hires with `open=true`.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(ListOnboardingItems),
    responses((status = 200, description = "A page of items", body = Page<OnboardingItem>), ReadErrors)
)]
#[get("/personnel/onboarding-items")]
async fn list_onboarding_items(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListOnboardingItems>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(EMPLOYEE_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, oi, OnboardingItem, req, asc, |q| {
                if let Some(v) = f.employee_id {
                    q = q.filter(oi::employee_id.eq(v));
                }
                if let Some(v) = f.office_id {
                    q = q.filter(oi::office_id.eq(v));
                }
                match f.open {
                    Some(true) => q = q.filter(oi::done_at.is_null()),
                    Some(false) => q = q.filter(oi::done_at.is_not_null()),
                    None => {}
                }
                q
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Complete an item of a new hire's checklist (`employee:manage` over the
/// office) by its kind's rule; the last item done starts a hire's
/// probation. Answers the whole checklist after it.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Item id")),
    request_body = CompleteOnboardingItem,
    responses((status = 200, description = "Done; the checklist after it", body = Onboarding), WriteErrors)
)]
#[post("/personnel/onboarding-items/{id}/complete")]
async fn complete_onboarding_item(
    db: web::Data<Db>,
    sources: web::Data<PersonnelSources>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<CompleteOnboardingItem>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let sources = sources.get_ref().clone();
    let view = db
        .tx(move |conn| {
            let reach = p.require(EMPLOYEE_MANAGE)?;
            let item = store::load_scoped!(
                conn,
                reach = reach,
                from = (
                    oi::table.select(OnboardingItem::as_select()),
                    oi::office_id,
                    oi::id
                ),
                OnboardingItem,
                id,
                "onboarding item"
            )?;
            let (employee, actor) = employee_for(conn, &p, EMPLOYEE_MANAGE, item.employee_id)?;
            complete(conn, &sources, &actor, &employee, item.id, &b)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
