//! Contracts (合同): drafted with priced lines and a payment schedule whose
//! instalments add up to the total → reviewed through the approval engine
//! (department supervisor, office director, and company leadership above the
//! large-contract threshold) → signed (date, signatories) → a copy filed with HQ
//! (備案) → in execution → completed or terminated. Once signed the terms never
//! change; a change is an amendment, approved through the same chain.
//!
//! This file owns the records (contract, instalment, the contract view), the
//! lifecycle state machine (draft → submit → sign → file → execute, the
//! statuses each step needs) and the route table. The HTTP handlers and their
//! request bodies are in `api`, the payment-schedule rules in `schedule`,
//! amendments in `amendments`, and the approval engine's side in `approval`.

mod amendments;
mod api;
mod approval;
mod schedule;

pub use amendments::{Amendment, CreateAmendment};
pub use api::{
    CreateContract, FileContract, ListContracts, SignContract, UpdateContract, respond_created,
};
pub use approval::{AmendmentDocument, ContractDocument};
pub use schedule::{InstalmentInput, check_schedule, instalments_of};

use amendments::{create_amendment, list_amendments};
use api::{
    complete_contract, create_contract, execute_contract, file_contract, get_contract,
    list_contracts, sign_contract, submit_contract, terminate_contract, update_contract,
};
use schedule::insert_schedule;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::{Actor, ApiError, Principal};
use org::roles::SALES_MANAGE;
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{contract_instalments as ci, contracts as ct};
use store::{AnyConnection, DbResultExt};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use workflow::Registry;

use crate::common::{
    Line, PricedLineInput, check_lines, customer_of_office, insert_lines, lines_of, load_scoped,
    now_db, totals,
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
    let code = org::office_code(conn, n.office)?;
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
