//! Contracts (合同): drafted with priced lines and a payment schedule whose
//! instalments add up to the total → reviewed through the approval engine
//! (department supervisor, office director, and company leadership above the
//! large-contract threshold) → signed (date, signatories) → a copy filed with HQ
//! (備案) → in execution → completed or terminated. Once signed the terms never
//! change; a change is an amendment, approved through the same chain.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, Currency, ErrorCode, FieldError, IfMatch, Page, PageRequest, Principal,
    ValidJson, ValidQuery, etag,
};
use org::roles::{SALES_MANAGE, SALES_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{contract_amendments as am, contract_instalments as ci, contracts as ct};
use store::{AnyConnection, Db, DbResultExt, MultiBackend};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::policy::{Approver, Condition, PolicyDef, StepDef, role};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

use crate::common::{
    Line, PageQuery, PricedLineInput, ReasonInput, check_lines, customer_of_office, insert_lines,
    lines_of, lines_of_many, load_scoped, now_db, office_for_create, totals,
};

pub const LINES: &str = "contract";
pub const CONTRACT_DOC: &str = "sales_contract";
pub const AMENDMENT_DOC: &str = "contract_amendment";
/// Contracts above this total (minor units: 1,000,000.00) also go to company
/// leadership, the HQ review the regulations ask for where legal review is needed.
pub const LARGE_CONTRACT: i64 = 100_000_000;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_contracts)
        .service(create_contract)
        .service(get_contract)
        .service(update_contract)
        .service(submit_contract)
        .service(sign_contract)
        .service(file_contract)
        .service(execute_contract)
        .service(complete_contract)
        .service(terminate_contract)
        .service(list_amendments)
        .service(create_amendment);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    Draft,
    InReview,
    Approved,
    Rejected,
    Withdrawn,
    Signed,
    Filed,
    InExecution,
    Completed,
    Terminated,
}

impl ContractStatus {
    fn as_str(self) -> &'static str {
        match self {
            ContractStatus::Draft => "draft",
            ContractStatus::InReview => "in_review",
            ContractStatus::Approved => "approved",
            ContractStatus::Rejected => "rejected",
            ContractStatus::Withdrawn => "withdrawn",
            ContractStatus::Signed => "signed",
            ContractStatus::Filed => "filed",
            ContractStatus::InExecution => "in_execution",
            ContractStatus::Completed => "completed",
            ContractStatus::Terminated => "terminated",
        }
    }
}

/// Statuses in which a contract binds: payments, orders and amendments apply.
pub const BINDING: [&str; 3] = ["signed", "filed", "in_execution"];
/// Statuses in which the draft may still be edited and submitted.
const EDITABLE: [&str; 3] = ["draft", "rejected", "withdrawn"];

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ct)]
pub struct Contract {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "CT-GZ-2026-0001")]
    pub number: String,
    pub customer_id: i64,
    pub quotation_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    pub title: String,
    pub terms: String,
    pub currency: String,
    /// The sum of the line amounts, minor units.
    pub total: i64,
    #[schema(value_type = ContractStatus)]
    pub status: String,
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
    pub signed_on: Option<NaiveDate>,
    /// One signatory per line.
    pub signatories: Option<String>,
    /// When the copy was filed with HQ (備案).
    pub filed_on: Option<NaiveDate>,
    pub filed_by: Option<i64>,
    pub completed_on: Option<NaiveDate>,
    pub terminated_on: Option<NaiveDate>,
    pub termination_reason: Option<String>,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ci)]
pub struct Instalment {
    pub id: i64,
    pub contract_id: i64,
    pub office_id: i64,
    /// 1, 2, 3... in the schedule.
    pub seq: i32,
    pub due_on: NaiveDate,
    pub amount: i64,
    /// Received so far against it.
    pub paid: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstalmentInput {
    pub due_on: NaiveDate,
    /// Minor units, more than 0.
    #[validate(range(min = 1, max = 1_000_000_000_000_000_i64))]
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64, example = 867_000)]
    pub amount: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContractView {
    #[serde(flatten)]
    pub contract: Contract,
    pub lines: Vec<Line>,
    /// The payment schedule.
    pub instalments: Vec<Instalment>,
    /// Received so far, over all instalments.
    pub paid: i64,
    pub outstanding: i64,
}

pub fn view(contract: Contract, lines: Vec<Line>, instalments: Vec<Instalment>) -> ContractView {
    let paid = instalments.iter().map(|i| i.paid).sum();
    ContractView {
        outstanding: contract.total - paid,
        paid,
        contract,
        lines,
        instalments,
    }
}

/// The schedule must add up to the total, every date in order.
pub fn check_schedule(total: i64, schedule: &[InstalmentInput]) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if schedule.is_empty() {
        errors.push(FieldError::new(
            "instalments",
            "length",
            "at least one instalment",
        ));
    }
    let sum: i64 = schedule.iter().map(|i| i.amount).sum();
    if !schedule.is_empty() && sum != total {
        errors.push(FieldError::new(
            "instalments",
            "sum_mismatch",
            format!("the instalments add up to {sum}, the contract total is {total}"),
        ));
    }
    for (i, w) in schedule.windows(2).enumerate() {
        if w[1].due_on < w[0].due_on {
            errors.push(FieldError::new(
                format!("instalments[{}].due_on", i + 1),
                "order",
                "instalments are listed in due-date order",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

fn insert_schedule(
    conn: &mut AnyConnection,
    contract: &Contract,
    schedule: &[InstalmentInput],
) -> Result<Vec<Instalment>, ApiError> {
    let mut out = Vec::with_capacity(schedule.len());
    for (i, inst) in schedule.iter().enumerate() {
        out.push(
            diesel::insert_into(ci::table)
                .values((
                    ci::contract_id.eq(contract.id),
                    ci::office_id.eq(contract.office_id),
                    ci::seq.eq(i32::try_from(i + 1).unwrap_or(i32::MAX)),
                    ci::due_on.eq(inst.due_on),
                    ci::amount.eq(inst.amount),
                    ci::paid.eq(0_i64),
                ))
                .returning(ci::all_columns)
                .get_result(conn)
                .api()?,
        );
    }
    Ok(out)
}

pub fn instalments_of(
    conn: &mut AnyConnection,
    contract_id: i64,
) -> Result<Vec<Instalment>, ApiError> {
    ci::table
        .filter(ci::contract_id.eq(contract_id))
        .order(ci::seq.asc())
        .select(Instalment::as_select())
        .load(conn)
        .api()
}

pub fn load_view(conn: &mut AnyConnection, contract: Contract) -> Result<ContractView, ApiError> {
    let lines = lines_of(conn, LINES, contract.id)?;
    let instalments = instalments_of(conn, contract.id)?;
    Ok(view(contract, lines, instalments))
}

pub struct NewContract {
    pub office: i64,
    pub customer: i64,
    pub quotation: Option<i64>,
    pub opportunity: Option<i64>,
    pub title: String,
    pub terms: String,
    pub currency: String,
    pub lines: Vec<PricedLineInput>,
    pub instalments: Vec<InstalmentInput>,
}

/// Drafts a contract: numbers it, prices the lines, checks the schedule.
pub fn create_draft(
    conn: &mut AnyConnection,
    p: &Principal,
    actor: &Actor,
    n: NewContract,
) -> Result<ContractView, ApiError> {
    let code = org::require_open_office(conn, n.office)?;
    customer_of_office(conn, "customer_id", n.customer, n.office)?;
    check_lines(&n.lines)?;
    let t = totals(&n.lines)?;
    check_schedule(t.total, &n.instalments)?;
    let number = store::docnum::next(conn, n.office, &code, "CT", kernel::time::now().year())?;
    let now = now_db();
    let contract: Contract = diesel::insert_into(ct::table)
        .values((
            ct::office_id.eq(n.office),
            ct::number.eq(&number),
            ct::customer_id.eq(n.customer),
            ct::quotation_id.eq(n.quotation),
            ct::opportunity_id.eq(n.opportunity),
            ct::title.eq(&n.title),
            ct::terms.eq(&n.terms),
            ct::currency.eq(&n.currency),
            ct::total.eq(t.total),
            ct::status.eq("draft"),
            ct::created_by.eq(p.user_id),
            ct::created_at.eq(now),
            ct::updated_at.eq(now),
            ct::version.eq(1_i64),
        ))
        .returning(ct::all_columns)
        .get_result(conn)
        .api()?;
    let lines = insert_lines(conn, LINES, contract.id, contract.office_id, &n.lines)?;
    let instalments = insert_schedule(conn, &contract, &n.instalments)?;
    let v = view(contract, lines, instalments);
    audit::record(
        conn,
        actor,
        Change::new("create", "contract", v.contract.id, Some(n.office)).after(&v),
    )?;
    Ok(v)
}

pub fn respond_created(v: &ContractView) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sales/contracts/{}", v.contract.id),
        ))
        .insert_header(etag(v.contract.version))
        .json(v)
}

fn respond(v: &ContractView) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(etag(v.contract.version))
        .json(v)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContract {
    /// Defaults to the caller's office.
    pub office_id: Option<i64>,
    pub customer_id: i64,
    pub opportunity_id: Option<i64>,
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "南海工業園廠房照明改造工程合同"
    )]
    pub title: String,
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "交貨期 30 天;質保 3 年;驗收合格後付清尾款。"
    )]
    pub terms: String,
    pub currency: Option<Currency>,
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<PricedLineInput>,
    /// Must add up to the total of the lines.
    #[validate(length(min = 1, max = 60), nested)]
    #[schema(min_items = 1, max_items = 60)]
    pub instalments: Vec<InstalmentInput>,
}

/// Draft a contract directly (a quotation can also become one).
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    request_body = CreateContract,
    responses(
        (status = 201, description = "Drafted", body = ContractView, headers(("Location" = String), ("ETag" = String))),
        WriteErrors
    )
)]
#[post("/sales/contracts")]
async fn create_contract(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateContract>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let (office, authority) = office_for_create(&p, SALES_MANAGE, b.office_id)?;
    let v = db
        .tx(move |conn| {
            if let Some(opp) = b.opportunity_id {
                check_opportunity(conn, opp, office, b.customer_id)?;
            }
            let currency = match b.currency {
                Some(c) => c.as_str().to_owned(),
                None => customer_of_office(conn, "customer_id", b.customer_id, office)?.currency,
            };
            create_draft(
                conn,
                &p,
                &p.actor(authority),
                NewContract {
                    office,
                    customer: b.customer_id,
                    quotation: None,
                    opportunity: b.opportunity_id,
                    title: b.title,
                    terms: b.terms,
                    currency,
                    lines: b.lines,
                    instalments: b.instalments,
                },
            )
        })
        .await?;
    Ok(respond_created(&v))
}

fn check_opportunity(
    conn: &mut AnyConnection,
    opp: i64,
    office: i64,
    customer: i64,
) -> Result<(), ApiError> {
    use store::schema::opportunities as o;
    let found: i64 = o::table
        .filter(
            o::id
                .eq(opp)
                .and(o::office_id.eq(office))
                .and(o::customer_id.eq(customer)),
        )
        .count()
        .get_result(conn)
        .api()?;
    if found == 0 {
        return Err(ApiError::invalid_field(
            "opportunity_id",
            "not_found",
            "no opportunity of this customer in this office",
        ));
    }
    Ok(())
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListContracts {
    pub office_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub status: Option<ContractStatus>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Contracts in the caller's reach, with lines and schedules.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ListContracts),
    responses((status = 200, description = "A page of contracts", body = Page<ContractView>), ReadErrors)
)]
#[get("/sales/contracts")]
async fn list_contracts(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListContracts>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, ct, Contract, req, asc, |q| {
                if let Some(v) = f.office_id {
                    q = q.filter(ct::office_id.eq(v));
                }
                if let Some(v) = f.customer_id {
                    q = q.filter(ct::customer_id.eq(v));
                }
                if let Some(v) = f.status {
                    q = q.filter(ct::status.eq(v.as_str()));
                }
                q
            })?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let mut lines = lines_of_many(conn, LINES, &ids)?;
            let schedule: Vec<Instalment> = ci::table
                .filter(ci::contract_id.eq_any(&ids))
                .order((ci::contract_id.asc(), ci::seq.asc()))
                .select(Instalment::as_select())
                .load(conn)
                .api()?;
            Ok(req.page(
                rows,
                |r| r.id,
                |r| {
                    let mine = schedule
                        .iter()
                        .filter(|i| i.contract_id == r.id)
                        .cloned()
                        .collect();
                    let l = lines.remove(&r.id).unwrap_or_default();
                    view(r, l, mine)
                },
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A contract with its lines and payment schedule.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contract id")),
    responses((status = 200, description = "The contract", body = ContractView, headers(("ETag" = String))), ReadErrors)
)]
#[get("/sales/contracts/{id}")]
async fn get_contract(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let v = db
        .run(move |conn| {
            let (row, _) = load_scoped!(conn, p, SALES_READ, ct, Contract, id, "contract");
            load_view(conn, row)
        })
        .await?;
    Ok(respond(&v))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContract {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[validate(length(min = 1, max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub terms: Option<String>,
    /// Replaces every line.
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Option<Vec<PricedLineInput>>,
    /// Replaces the schedule; must add up to the (new) total.
    #[validate(length(min = 1, max = 60), nested)]
    #[schema(min_items = 1, max_items = 60)]
    pub instalments: Option<Vec<InstalmentInput>>,
}

/// Loads a contract for a change: in reach, at the version read.
fn for_change(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    version: i64,
) -> Result<(Contract, Actor), ApiError> {
    let (row, authority) = load_scoped!(conn, p, SALES_MANAGE, ct, Contract, id, "contract");
    if row.version != version {
        return Err(version_conflict(row.version));
    }
    Ok((row, p.actor(authority)))
}

/// Change a draft (or a rejected or withdrawn one): title, terms, lines,
/// schedule. A contract in review or signed cannot be changed here; a signed
/// contract changes only by amendment.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contract id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = UpdateContract,
    responses((status = 200, description = "Updated", body = ContractView, headers(("ETag" = String))), ChangeErrors)
)]
#[patch("/sales/contracts/{id}")]
async fn update_contract(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<UpdateContract>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let v = db
        .tx(move |conn| {
            let (before, actor) = for_change(conn, &p, id, if_match.0)?;
            if !EDITABLE.contains(&before.status.as_str()) {
                return Err(ApiError::invalid_transition(
                    "change",
                    &before.status,
                    &EDITABLE,
                ));
            }
            let before_view = load_view(conn, before.clone())?;
            let mut total = before.total;
            if let Some(lines) = &b.lines {
                check_lines(lines)?;
                total = totals(lines)?.total;
            }
            let schedule: Vec<InstalmentInput> = match &b.instalments {
                Some(s) => s.clone(),
                None => before_view
                    .instalments
                    .iter()
                    .map(|i| InstalmentInput {
                        due_on: i.due_on,
                        amount: i.amount,
                    })
                    .collect(),
            };
            check_schedule(total, &schedule)?;
            let after: Contract =
                diesel::update(ct::table.find(id).filter(ct::version.eq(if_match.0)))
                    .set((
                        ct::title.eq(b.title.as_deref().unwrap_or(&before.title)),
                        ct::terms.eq(b.terms.as_deref().unwrap_or(&before.terms)),
                        ct::total.eq(total),
                        ct::updated_at.eq(now_db()),
                        ct::version.eq(ct::version + 1),
                    ))
                    .returning(ct::all_columns)
                    .get_result(conn)
                    .optional()
                    .api()?
                    .ok_or_else(|| version_conflict(before.version + 1))?;
            if let Some(lines) = &b.lines {
                diesel::delete(
                    store::schema::sales_lines::table.filter(
                        store::schema::sales_lines::doc_type
                            .eq(LINES)
                            .and(store::schema::sales_lines::doc_id.eq(id)),
                    ),
                )
                .execute(conn)
                .api()?;
                insert_lines(conn, LINES, id, after.office_id, lines)?;
            }
            if b.instalments.is_some() {
                diesel::delete(ci::table.filter(ci::contract_id.eq(id)))
                    .execute(conn)
                    .api()?;
                insert_schedule(conn, &after, &schedule)?;
            }
            let v = load_view(conn, after)?;
            audit::record(
                conn,
                &actor,
                Change::new("update", "contract", id, Some(v.contract.office_id))
                    .before(&before_view)
                    .after(&v),
            )?;
            Ok(v)
        })
        .await?;
    Ok(respond(&v))
}

pub fn submit(
    conn: &mut AnyConnection,
    registry: &Registry,
    p: &Principal,
    id: i64,
    version: i64,
) -> Result<ContractView, ApiError> {
    let (before, actor) = for_change(conn, p, id, version)?;
    if !EDITABLE.contains(&before.status.as_str()) {
        return Err(ApiError::invalid_transition(
            "submit",
            &before.status,
            &EDITABLE,
        ));
    }
    let instance = workflow::submit(conn, registry, CONTRACT_DOC, id, &actor)?;
    let after = set_fields(
        conn,
        &actor,
        &before,
        "submit",
        ContractChange {
            status: "in_review",
            approval_id: Some(instance.id),
            ..Default::default()
        },
    )?;
    load_view(conn, after)
}

/// Submit a draft for review: department supervisor, office director, and
/// company leadership above 1,000,000.00.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contract id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses((status = 200, description = "In review", body = ContractView, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/sales/contracts/{id}/submit")]
async fn submit_contract(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let registry = registry.get_ref().clone();
    let v = db
        .tx(move |conn| submit(conn, &registry, &p, id, if_match.0))
        .await?;
    Ok(respond(&v))
}

/// The fields a lifecycle step sets.
#[derive(Default)]
struct ContractChange<'a> {
    status: &'a str,
    approval_id: Option<i64>,
    rejection_reason: Option<&'a str>,
    signed_on: Option<NaiveDate>,
    signatories: Option<String>,
    filed_on: Option<NaiveDate>,
    filed_by: Option<i64>,
    completed_on: Option<NaiveDate>,
    terminated_on: Option<NaiveDate>,
    termination_reason: Option<&'a str>,
}

fn set_fields(
    conn: &mut AnyConnection,
    actor: &Actor,
    before: &Contract,
    action: &str,
    c: ContractChange<'_>,
) -> Result<Contract, ApiError> {
    let after: Contract = diesel::update(
        ct::table
            .find(before.id)
            .filter(ct::version.eq(before.version)),
    )
    .set((
        ct::status.eq(c.status),
        ct::approval_id.eq(c.approval_id.or(before.approval_id)),
        ct::rejection_reason.eq(c.rejection_reason),
        ct::signed_on.eq(c.signed_on.or(before.signed_on)),
        ct::signatories.eq(c.signatories.or(before.signatories.clone())),
        ct::filed_on.eq(c.filed_on.or(before.filed_on)),
        ct::filed_by.eq(c.filed_by.or(before.filed_by)),
        ct::completed_on.eq(c.completed_on.or(before.completed_on)),
        ct::terminated_on.eq(c.terminated_on.or(before.terminated_on)),
        ct::termination_reason.eq(c
            .termination_reason
            .or(before.termination_reason.as_deref())),
        ct::updated_at.eq(now_db()),
        ct::version.eq(ct::version + 1),
    ))
    .returning(ct::all_columns)
    .get_result(conn)
    .optional()
    .api()?
    .ok_or_else(|| version_conflict(before.version + 1))?;
    audit::record(
        conn,
        actor,
        Change::new(action, "contract", before.id, Some(before.office_id))
            .before(before)
            .after(&after),
    )?;
    Ok(after)
}

fn require_status(c: &Contract, action: &str, allowed: &[&str]) -> Result<(), ApiError> {
    if allowed.contains(&c.status.as_str()) {
        Ok(())
    } else {
        Err(ApiError::invalid_transition(action, &c.status, allowed))
    }
}

fn not_in_future(field: &str, d: NaiveDate) -> Result<(), ApiError> {
    if d > kernel::time::now().date_naive() {
        return Err(ApiError::invalid_field(
            field,
            "range",
            "cannot be in the future",
        ));
    }
    Ok(())
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignContract {
    /// Today or earlier.
    pub signed_on: NaiveDate,
    /// Who signed, for both parties.
    #[validate(length(min = 1, max = 10))]
    #[schema(min_items = 1, max_items = 10, example = json!(["甲方: 陳建國", "乙方: 李明 (廣州辦事處主任)"]))]
    pub signatories: Vec<String>,
}

pub fn sign(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    version: i64,
    signed_on: NaiveDate,
    names: Vec<String>,
) -> Result<ContractView, ApiError> {
    let (before, actor) = for_change(conn, p, id, version)?;
    require_status(&before, "sign", &["approved"])?;
    let after = set_fields(
        conn,
        &actor,
        &before,
        "sign",
        ContractChange {
            status: "signed",
            signed_on: Some(signed_on),
            signatories: Some(names.join("\n")),
            ..Default::default()
        },
    )?;
    load_view(conn, after)
}

/// Record the signing of an approved contract.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contract id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = SignContract,
    responses((status = 200, description = "Signed", body = ContractView, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/sales/contracts/{id}/sign")]
async fn sign_contract(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<SignContract>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    not_in_future("signed_on", b.signed_on)?;
    let mut names = Vec::new();
    for (i, s) in b.signatories.iter().enumerate() {
        let s = s.trim();
        if s.is_empty() || s.chars().count() > 200 || s.contains('\n') {
            return Err(ApiError::invalid_field(
                &format!("signatories[{i}]"),
                "length",
                "one name of 1 to 200 characters on one line",
            ));
        }
        names.push(s.to_owned());
    }
    let v = db
        .tx(move |conn| sign(conn, &p, id, if_match.0, b.signed_on, names))
        .await?;
    Ok(respond(&v))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileContract {
    /// When the copy reached HQ; today or earlier.
    pub filed_on: NaiveDate,
}

pub fn file(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    version: i64,
    filed_on: NaiveDate,
) -> Result<ContractView, ApiError> {
    let (before, actor) = for_change(conn, p, id, version)?;
    require_status(&before, "file", &["signed"])?;
    if before.signed_on.is_some_and(|s| filed_on < s) {
        return Err(ApiError::invalid_field(
            "filed_on",
            "range",
            "a contract is filed after it is signed",
        ));
    }
    let after = set_fields(
        conn,
        &actor,
        &before,
        "file",
        ContractChange {
            status: "filed",
            filed_on: Some(filed_on),
            filed_by: Some(p.user_id),
            ..Default::default()
        },
    )?;
    load_view(conn, after)
}

/// Record that the signed copy was filed with HQ (備案).
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contract id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = FileContract,
    responses((status = 200, description = "Filed", body = ContractView, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/sales/contracts/{id}/file")]
async fn file_contract(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<FileContract>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    not_in_future("filed_on", b.filed_on)?;
    let v = db
        .tx(move |conn| file(conn, &p, id, if_match.0, b.filed_on))
        .await?;
    Ok(respond(&v))
}

pub fn execute(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    version: i64,
) -> Result<ContractView, ApiError> {
    let (before, actor) = for_change(conn, p, id, version)?;
    require_status(&before, "execute", &["filed"])?;
    let after = set_fields(
        conn,
        &actor,
        &before,
        "execute",
        ContractChange {
            status: "in_execution",
            ..Default::default()
        },
    )?;
    load_view(conn, after)
}

/// Start executing a filed contract.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contract id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses((status = 200, description = "In execution", body = ContractView, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/sales/contracts/{id}/execute")]
async fn execute_contract(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let v = db.tx(move |conn| execute(conn, &p, id, if_match.0)).await?;
    Ok(respond(&v))
}

/// Complete a contract in execution: every instalment must be paid.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contract id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses((status = 200, description = "Completed", body = ContractView, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/sales/contracts/{id}/complete")]
async fn complete_contract(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let v = db
        .tx(move |conn| {
            let (before, actor) = for_change(conn, &p, id, if_match.0)?;
            require_status(&before, "complete", &["in_execution"])?;
            let outstanding: i64 = instalments_of(conn, id)?
                .iter()
                .map(|i| i.amount - i.paid)
                .sum();
            if outstanding > 0 {
                return Err(ApiError::new(
                    ErrorCode::InvalidTransition,
                    format!("{outstanding} is still outstanding on the payment schedule"),
                )
                .with_extra("outstanding", outstanding.into()));
            }
            let after = set_fields(
                conn,
                &actor,
                &before,
                "complete",
                ContractChange {
                    status: "completed",
                    completed_on: Some(kernel::time::now().date_naive()),
                    ..Default::default()
                },
            )?;
            load_view(conn, after)
        })
        .await?;
    Ok(respond(&v))
}

/// Terminate a signed contract, with the reason.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contract id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ReasonInput,
    responses((status = 200, description = "Terminated", body = ContractView, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/sales/contracts/{id}/terminate")]
async fn terminate_contract(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ReasonInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let reason = body.into_inner().reason;
    let v = db
        .tx(move |conn| {
            let (before, actor) = for_change(conn, &p, id, if_match.0)?;
            require_status(&before, "terminate", &BINDING)?;
            let after = set_fields(
                conn,
                &actor,
                &before,
                "terminate",
                ContractChange {
                    status: "terminated",
                    terminated_on: Some(kernel::time::now().date_naive()),
                    termination_reason: Some(&reason),
                    ..Default::default()
                },
            )?;
            load_view(conn, after)
        })
        .await?;
    Ok(respond(&v))
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = am)]
pub struct Amendment {
    pub id: i64,
    pub contract_id: i64,
    pub office_id: i64,
    #[schema(example = "CA-GZ-2026-0001")]
    pub number: String,
    pub reason: String,
    pub new_total: i64,
    /// `null`: the terms stay.
    pub new_terms: Option<String>,
    /// The new schedule as JSON: `[{"due_on": "...", "amount": ...}]`.
    pub new_schedule: String,
    /// The new priced lines as JSON (`[{"product": ..., "quantity": ..., "unit_price":
    /// ..., "discount_bp": ...}]`); `null`: the lines stay.
    pub new_lines: Option<String>,
    /// `in_approval`, `approved`, `rejected` or `withdrawn`.
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
pub struct CreateAmendment {
    #[validate(length(min = 1, max = 1000))]
    #[schema(
        min_length = 1,
        max_length = 1000,
        example = "客戶追加 20 套燈具,尾款延期一個月"
    )]
    pub reason: String,
    /// The contract's new total; default: the new lines' total, else unchanged.
    /// When given with lines it must equal their total.
    #[validate(range(min = 0, max = 1_000_000_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub new_total: Option<i64>,
    /// The new priced lines, replacing every line; required when the total
    /// changes, so the lines always add up to the contract's total.
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Option<Vec<PricedLineInput>>,
    #[validate(length(min = 1, max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub new_terms: Option<String>,
    /// The whole new schedule, adding up to the new total. Instalment n
    /// replaces instalment n; what was already received against one must fit
    /// in its new amount.
    #[validate(length(min = 1, max = 60), nested)]
    #[schema(min_items = 1, max_items = 60)]
    pub instalments: Vec<InstalmentInput>,
}

/// The new schedule must keep what was already received.
fn check_against_paid(
    current: &[Instalment],
    schedule: &[InstalmentInput],
) -> Result<(), ApiError> {
    for inst in current.iter().filter(|i| i.paid > 0) {
        let idx = usize::try_from(inst.seq - 1).unwrap_or(usize::MAX);
        match schedule.get(idx) {
            Some(new) if new.amount >= inst.paid => {}
            _ => {
                return Err(ApiError::invalid_field(
                    &format!("instalments[{idx}].amount"),
                    "below_paid",
                    format!(
                        "instalment {} has {} received already; its new amount cannot be less",
                        inst.seq, inst.paid
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Amend a signed contract: new total, terms and schedule, approved through the
/// same chain as the contract. One amendment at a time.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contract id")),
    request_body = CreateAmendment,
    responses(
        (status = 201, description = "Requested and submitted", body = Amendment, headers(("Location" = String))),
        WriteErrors
    )
)]
#[post("/sales/contracts/{id}/amendments")]
async fn create_amendment(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<CreateAmendment>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let registry = registry.get_ref().clone();
    let row = db
        .tx(move |conn| {
            let (contract, authority) =
                load_scoped!(conn, p, SALES_MANAGE, ct, Contract, id, "contract");
            require_status(&contract, "amend", &BINDING)?;
            let pending: i64 = am::table
                .filter(am::contract_id.eq(id).and(am::status.eq("in_approval")))
                .count()
                .get_result(conn)
                .api()?;
            if pending > 0 {
                return Err(ApiError::new(
                    ErrorCode::Duplicate,
                    "an amendment of this contract is already in approval",
                ));
            }
            let total = match &b.lines {
                Some(lines) => {
                    check_lines(lines)?;
                    let t = totals(lines)?.total;
                    if b.new_total.is_some_and(|n| n != t) {
                        return Err(ApiError::invalid_field(
                            "new_total",
                            "lines_total",
                            format!("the new lines add up to {t}"),
                        ));
                    }
                    t
                }
                None => {
                    let t = b.new_total.unwrap_or(contract.total);
                    if t != contract.total {
                        return Err(ApiError::invalid_field(
                            "lines",
                            "required",
                            "a new total comes with the new lines it is the sum of",
                        ));
                    }
                    t
                }
            };
            check_schedule(total, &b.instalments)?;
            check_against_paid(&instalments_of(conn, id)?, &b.instalments)?;
            let code = org::require_open_office(conn, contract.office_id)?;
            let number = store::docnum::next(
                conn,
                contract.office_id,
                &code,
                "CA",
                kernel::time::now().year(),
            )?;
            let schedule = serde_json::to_string(&b.instalments)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let now = now_db();
            let row: Amendment = diesel::insert_into(am::table)
                .values((
                    am::contract_id.eq(id),
                    am::office_id.eq(contract.office_id),
                    am::number.eq(&number),
                    am::reason.eq(&b.reason),
                    am::new_total.eq(total),
                    am::new_terms.eq(&b.new_terms),
                    am::new_schedule.eq(&schedule),
                    am::new_lines.eq(b
                        .lines
                        .as_ref()
                        .map(serde_json::to_string)
                        .transpose()
                        .map_err(|e| ApiError::internal(e.to_string()))?),
                    am::status.eq("in_approval"),
                    am::created_by.eq(p.user_id),
                    am::created_at.eq(now),
                    am::updated_at.eq(now),
                    am::version.eq(1_i64),
                ))
                .returning(am::all_columns)
                .get_result(conn)
                .api()?;
            let actor = p.actor(authority);
            audit::record(
                conn,
                &actor,
                Change::new("create", "contract_amendment", row.id, Some(row.office_id))
                    .after(&row),
            )?;
            let instance = workflow::submit(conn, &registry, AMENDMENT_DOC, row.id, &actor)?;
            diesel::update(am::table.find(row.id))
                .set(am::approval_id.eq(instance.id))
                .returning(am::all_columns)
                .get_result::<Amendment>(conn)
                .api()
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sales/contracts/{}/amendments", row.contract_id),
        ))
        .json(row))
}

/// A contract's amendments, oldest first.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contract id"), PageQuery),
    responses((status = 200, description = "A page of amendments", body = Page<Amendment>), ReadErrors)
)]
#[get("/sales/contracts/{id}/amendments")]
async fn list_amendments(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    q: ValidQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let (contract, _) = load_scoped!(conn, p, SALES_READ, ct, Contract, id, "contract");
            let mut query = am::table
                .filter(am::contract_id.eq(contract.id))
                .filter(am::office_id.eq(contract.office_id))
                .select(Amendment::as_select())
                .into_boxed::<MultiBackend>();
            if let Some(after) = req.after {
                query = query.filter(am::id.gt(after));
            }
            let rows: Vec<Amendment> = query
                .order(am::id.asc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// The review chain of contracts and their amendments: 部門審核 → 辦事處主任審批,
/// and company leadership for large contracts.
fn contract_policy(name: &str) -> PolicyDef {
    PolicyDef {
        name: name.to_owned(),
        steps: vec![
            StepDef {
                name: "department_review".to_owned(),
                approver: Approver::DepartmentSupervisor {},
                condition: None,
                time_limit_hours: Some(48),
                escalate_to: None,
            },
            StepDef {
                time_limit_hours: Some(72),
                ..role("office_director", "office_director")
            },
            StepDef {
                condition: Some(Condition {
                    amount_above: Some(LARGE_CONTRACT),
                    ..Default::default()
                }),
                ..role("hq_executive", "hq_review")
            },
        ],
        allow_same_approver: false,
    }
}

/// Contracts in the approval engine.
pub struct ContractDocument;

impl ApprovalDocument for ContractDocument {
    fn doc_type(&self) -> &'static str {
        CONTRACT_DOC
    }

    fn default_policy(&self) -> PolicyDef {
        contract_policy("Sales contracts (合同評審)")
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let c: Contract = ct::table
            .find(doc_id)
            .select(Contract::as_select())
            .first(conn)
            .found("contract")?;
        Ok(DocumentInfo {
            office_id: Some(c.office_id),
            owner_user_id: c.created_by,
            owner_department_id: crate::common::department_of(conn, c.created_by, c.office_id)?,
            amount: Some(c.total),
            currency: c.currency.clone(),
            category: None,
            summary: format!("{} {}", c.number, c.title),
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
        let before: Contract = ct::table
            .find(doc_id)
            .select(Contract::as_select())
            .first(conn)
            .found("contract")?;
        set_fields(
            conn,
            actor,
            &before,
            status,
            ContractChange {
                status,
                rejection_reason: reason,
                ..Default::default()
            },
        )
        .map(drop)
    }
}

fn load_amendment(conn: &mut AnyConnection, id: i64) -> Result<Amendment, ApiError> {
    am::table
        .find(id)
        .select(Amendment::as_select())
        .first(conn)
        .found("amendment")
}

fn set_amendment_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<Amendment, ApiError> {
    let before = load_amendment(conn, id)?;
    let after: Amendment = diesel::update(am::table.find(id))
        .set((
            am::status.eq(status),
            am::rejection_reason.eq(reason),
            am::updated_at.eq(now_db()),
            am::version.eq(am::version + 1),
        ))
        .returning(am::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new(status, "contract_amendment", id, Some(after.office_id))
            .before(&before)
            .after(&after),
    )?;
    Ok(after)
}

/// Amendments in the approval engine; approval applies them to the contract.
pub struct AmendmentDocument;

impl ApprovalDocument for AmendmentDocument {
    fn doc_type(&self) -> &'static str {
        AMENDMENT_DOC
    }

    fn default_policy(&self) -> PolicyDef {
        contract_policy("Contract amendments (合同變更)")
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let a = load_amendment(conn, doc_id)?;
        let (number, currency): (String, String) = ct::table
            .find(a.contract_id)
            .select((ct::number, ct::currency))
            .first(conn)
            .api()?;
        Ok(DocumentInfo {
            office_id: Some(a.office_id),
            owner_user_id: a.created_by,
            owner_department_id: crate::common::department_of(conn, a.created_by, a.office_id)?,
            amount: Some(a.new_total),
            currency,
            category: None,
            summary: format!("{} amends {number}: {}", a.number, a.reason),
        })
    }

    /// Applies the new total, terms and schedule in the deciding transaction.
    fn on_approved(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        let a = set_amendment_status(conn, actor, doc_id, "approved", None)?;
        let before: Contract = ct::table
            .find(a.contract_id)
            .select(Contract::as_select())
            .first(conn)
            .found("contract")?;
        require_status(&before, "amend", &BINDING)?;
        let schedule: Vec<InstalmentInput> =
            serde_json::from_str(&a.new_schedule).map_err(|e| ApiError::internal(e.to_string()))?;
        let current = instalments_of(conn, before.id)?;
        check_against_paid(&current, &schedule)?;
        let before_view = load_view(conn, before.clone())?;
        for (i, inst) in schedule.iter().enumerate() {
            let seq = i32::try_from(i + 1).unwrap_or(i32::MAX);
            let updated = diesel::update(
                ci::table.filter(ci::contract_id.eq(before.id).and(ci::seq.eq(seq))),
            )
            .set((ci::due_on.eq(inst.due_on), ci::amount.eq(inst.amount)))
            .execute(conn)
            .api()?;
            if updated == 0 {
                diesel::insert_into(ci::table)
                    .values((
                        ci::contract_id.eq(before.id),
                        ci::office_id.eq(before.office_id),
                        ci::seq.eq(seq),
                        ci::due_on.eq(inst.due_on),
                        ci::amount.eq(inst.amount),
                        ci::paid.eq(0_i64),
                    ))
                    .execute(conn)
                    .api()?;
            }
        }
        let keep = i32::try_from(schedule.len()).unwrap_or(i32::MAX);
        diesel::delete(
            ci::table.filter(
                ci::contract_id
                    .eq(before.id)
                    .and(ci::seq.gt(keep))
                    .and(ci::paid.eq(0_i64)),
            ),
        )
        .execute(conn)
        .api()?;
        if let Some(lines) = &a.new_lines {
            let lines: Vec<PricedLineInput> =
                serde_json::from_str(lines).map_err(|e| ApiError::internal(e.to_string()))?;
            diesel::delete(
                store::schema::sales_lines::table.filter(
                    store::schema::sales_lines::doc_type
                        .eq(LINES)
                        .and(store::schema::sales_lines::doc_id.eq(before.id)),
                ),
            )
            .execute(conn)
            .api()?;
            insert_lines(conn, LINES, before.id, before.office_id, &lines)?;
        }
        let after: Contract = diesel::update(ct::table.find(before.id))
            .set((
                ct::total.eq(a.new_total),
                ct::terms.eq(a.new_terms.as_deref().unwrap_or(&before.terms)),
                ct::updated_at.eq(now_db()),
                ct::version.eq(ct::version + 1),
            ))
            .returning(ct::all_columns)
            .get_result(conn)
            .api()?;
        let after_view = load_view(conn, after)?;
        audit::record(
            conn,
            actor,
            Change::new("amend", "contract", before.id, Some(before.office_id))
                .before(&before_view)
                .after(&after_view),
        )?;
        Ok(())
    }

    fn set_status(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        status: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        set_amendment_status(conn, actor, doc_id, status, reason).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(y: i32, m: u32, amount: i64) -> InstalmentInput {
        InstalmentInput {
            due_on: NaiveDate::from_ymd_opt(y, m, 1).unwrap(),
            amount,
        }
    }

    #[test]
    fn schedules_must_add_up_and_run_in_order() {
        assert!(check_schedule(100, &[inst(2026, 1, 30), inst(2026, 3, 70)]).is_ok());
        let e = check_schedule(100, &[inst(2026, 1, 30), inst(2026, 3, 60)]).unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationFailed);
        assert!(check_schedule(100, &[inst(2026, 3, 30), inst(2026, 1, 70)]).is_err());
        assert!(check_schedule(100, &[]).is_err());
    }

    #[test]
    fn amendments_keep_what_was_received() {
        let paid = |seq, amount, paid| Instalment {
            id: 1,
            contract_id: 1,
            office_id: 1,
            seq,
            due_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            amount,
            paid,
        };
        let current = [paid(1, 50, 50), paid(2, 50, 0)];
        assert!(check_against_paid(&current, &[inst(2026, 1, 50), inst(2026, 6, 80)]).is_ok());
        assert!(check_against_paid(&current, &[inst(2026, 1, 40), inst(2026, 6, 90)]).is_err());
        assert!(
            check_against_paid(&[paid(1, 50, 0), paid(2, 50, 10)], &[inst(2026, 1, 100)]).is_err()
        );
    }
}
