//! Labour contracts (勞動合同) on the employee file: fixed-term, open-ended or
//! per task, with start, end, probation and the day signed; a new contract
//! while one is in force renews it, and the renewals form the contract's
//! history. The probation may not exceed what the law allows for the kind and
//! term (勞動合同法 §19), kept as data with effective dates
//! ([`ProbationLimit`]), and an employee has one probation with the company.
//! The confidentiality agreement (保密協議) is kept beside them. Contracts
//! ending within 30 or 60 days are listed for renewal.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{ReadErrors, WriteErrors};
use kernel::{ApiError, Page, PageRequest, Principal, ValidJson, ValidQuery};
use org::roles::{EMPLOYEE_MANAGE, EMPLOYEE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{
    confidentiality_agreements as ca, labour_contracts as lc, probation_limits as pl,
};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::api::employee_for;
use super::{Employee, EmployeeStatus};
use crate::common::{created, now_db};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(sign_labour_contract)
        .service(employee_contracts)
        .service(contracts_ending)
        .service(sign_agreement)
        .service(employee_agreements)
        .service(list_limits)
        .service(add_limit);
}

/// The kind of a labour contract.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ContractKind {
    /// 固定期限: with an end day.
    FixedTerm,
    /// 無固定期限: no end day.
    OpenEnded,
    /// 以完成一定工作任務為期限: ends with the task (an expected end day may
    /// be given); no probation.
    PerTask,
}

impl ContractKind {
    /// The kind stored as `name`.
    pub fn parse(name: &str) -> Option<ContractKind> {
        [
            ContractKind::FixedTerm,
            ContractKind::OpenEnded,
            ContractKind::PerTask,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ContractKind::FixedTerm => "fixed_term",
            ContractKind::OpenEnded => "open_ended",
            ContractKind::PerTask => "per_task",
        }
    }
}

/// A labour contract.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = lc)]
pub struct LabourContract {
    pub id: i64,
    pub employee_id: i64,
    pub office_id: Option<i64>,
    #[schema(value_type = ContractKind)]
    pub kind: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    #[schema(minimum = 0, maximum = 12)]
    pub probation_months: i32,
    pub signed_on: NaiveDate,
    /// The contract this one renews.
    pub renews_contract_id: Option<i64>,
    /// `active` (in force), `renewed` (followed by another), `ended`.
    #[schema(example = "active")]
    pub status: String,
    pub note: Option<String>,
    pub created_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// A contract to sign.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignLabourContract {
    pub kind: ContractKind,
    pub starts_on: NaiveDate,
    /// Required for a fixed term, none for an open-ended contract.
    pub ends_on: Option<NaiveDate>,
    /// Within the statutory limit for the kind and term.
    #[validate(range(min = 0, max = 12))]
    #[schema(minimum = 0, maximum = 12, example = 2)]
    pub probation_months: i32,
    pub signed_on: NaiveDate,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub note: Option<String>,
}

/// A confidentiality agreement.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ca)]
pub struct ConfidentialityAgreement {
    pub id: i64,
    pub employee_id: i64,
    pub office_id: Option<i64>,
    pub signed_on: NaiveDate,
    /// What it covers.
    #[schema(example = "客戶信息、銷售策略、報價與合同")]
    pub scope: String,
    pub ends_on: Option<NaiveDate>,
    pub created_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignAgreement {
    pub signed_on: NaiveDate,
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "客戶信息、銷售策略、報價與合同"
    )]
    pub scope: String,
    pub ends_on: Option<NaiveDate>,
}

/// The longest probation for a kind (and, for fixed terms, a term range)
/// from a day on.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = pl)]
pub struct ProbationLimit {
    pub id: i64,
    #[schema(value_type = ContractKind)]
    pub kind: String,
    /// Fixed terms of at least this many months…
    pub term_from_months: Option<i32>,
    /// …and fewer than this many (none: no upper bound).
    pub term_below_months: Option<i32>,
    #[schema(example = 2)]
    pub max_probation_months: i32,
    /// In force for contracts starting from this day, until a later set.
    pub effective_from: NaiveDate,
    pub note: Option<String>,
    pub created_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddProbationLimit {
    pub kind: ContractKind,
    #[validate(range(min = 0, max = 1200))]
    #[schema(minimum = 0, maximum = 1200)]
    pub term_from_months: Option<i32>,
    #[validate(range(min = 1, max = 1200))]
    #[schema(minimum = 1, maximum = 1200)]
    pub term_below_months: Option<i32>,
    #[validate(range(min = 0, max = 12))]
    #[schema(minimum = 0, maximum = 12)]
    pub max_probation_months: i32,
    pub effective_from: NaiveDate,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContractsEnding {
    /// Contracts in force whose end day falls within this many days from
    /// today (30 and 60 are the usual).
    #[validate(range(min = 1, max = 366))]
    #[param(minimum = 1, maximum = 366, example = 30)]
    pub within_days: i64,
    pub office_id: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListPage {
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Whole months from `starts_on` to the day after `ends_on`: 1 January to 31
/// December is 12.
pub fn term_months(starts_on: NaiveDate, ends_on: NaiveDate) -> i32 {
    let next = ends_on + Duration::days(1);
    let mut months =
        (next.year() - starts_on.year()) * 12 + next.month() as i32 - starts_on.month() as i32;
    if next.day() < starts_on.day() {
        months -= 1;
    }
    months
}

/// The longest probation `limits` (the set in force) allow for `kind` over
/// `starts_on`..`ends_on`; `None`: no row covers it.
pub fn max_probation(
    limits: &[ProbationLimit],
    kind: ContractKind,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
) -> Option<i32> {
    let term = ends_on.map(|end| term_months(starts_on, end));
    limits
        .iter()
        .filter(|l| l.kind == kind.as_str())
        .find(|l| match (kind, term) {
            (ContractKind::FixedTerm, Some(t)) => {
                l.term_from_months.is_none_or(|f| t >= f)
                    && l.term_below_months.is_none_or(|b| t < b)
            }
            _ => true,
        })
        .map(|l| l.max_probation_months)
}

/// The probation limits in force for a contract starting `on`: the rows of
/// the latest set effective by then.
pub(crate) fn limits_in_force(
    conn: &mut AnyConnection,
    on: NaiveDate,
) -> Result<Vec<ProbationLimit>, ApiError> {
    let latest: Option<NaiveDate> = pl::table
        .filter(pl::effective_from.le(on))
        .select(diesel::dsl::max(pl::effective_from))
        .first(conn)
        .api()?;
    let Some(latest) = latest else {
        return Ok(Vec::new());
    };
    pl::table
        .filter(pl::effective_from.eq(latest))
        .order(pl::id.asc())
        .select(ProbationLimit::as_select())
        .load(conn)
        .api()
}

/// Signs a contract for `employee` (also used by the demo loader): the kind's
/// end-day rule, the statutory probation and one probation per employee; a
/// contract in force is renewed by it.
pub fn sign(
    conn: &mut AnyConnection,
    actor: &kernel::Actor,
    employee: &Employee,
    b: &SignLabourContract,
    now: NaiveDateTime,
) -> Result<LabourContract, ApiError> {
    if employee.status == EmployeeStatus::Left.as_str() {
        return Err(ApiError::invalid_transition(
            "sign_contract",
            &employee.status,
            &[],
        ));
    }
    match (b.kind, b.ends_on) {
        (ContractKind::FixedTerm, None) => {
            return Err(ApiError::invalid_field(
                "ends_on",
                "required",
                "a fixed term has an end day",
            ));
        }
        (ContractKind::OpenEnded, Some(_)) => {
            return Err(ApiError::invalid_field(
                "ends_on",
                "not_allowed",
                "an open-ended contract has no end day",
            ));
        }
        (_, Some(end)) if end < b.starts_on => {
            return Err(ApiError::invalid_field(
                "ends_on",
                "range",
                "it ends on or after its start",
            ));
        }
        _ => {}
    }
    let limits = limits_in_force(conn, b.starts_on)?;
    let allowed = max_probation(&limits, b.kind, b.starts_on, b.ends_on).unwrap_or(0);
    if b.probation_months > allowed {
        return Err(ApiError::invalid_field(
            "probation_months",
            "above_statutory_limit",
            format!("at most {allowed} months for this kind and term (勞動合同法 §19)"),
        ));
    }
    let earlier: Vec<LabourContract> = lc::table
        .filter(lc::employee_id.eq(employee.id))
        .order(lc::id.asc())
        .select(LabourContract::as_select())
        .load(conn)
        .api()?;
    if b.probation_months > 0 && earlier.iter().any(|c| c.probation_months > 0) {
        return Err(ApiError::invalid_field(
            "probation_months",
            "second_probation",
            "an employee has one probation with the company",
        ));
    }
    let current = earlier.iter().find(|c| c.status == "active");
    if let Some(c) = current {
        if b.starts_on <= c.starts_on {
            return Err(ApiError::invalid_field(
                "starts_on",
                "range",
                "a renewal starts after the contract it renews",
            ));
        }
        let after: LabourContract = store::update_versioned!(
            conn,
            lc,
            LabourContract,
            c,
            now,
            (lc::status.eq("renewed"),)
        )?;
        audit::record(
            conn,
            actor,
            Change::new("renew", "labour_contract", after.id, after.office_id)
                .before(c)
                .after(&after),
        )?;
    }
    let row: LabourContract = diesel::insert_into(lc::table)
        .values((
            lc::employee_id.eq(employee.id),
            lc::office_id.eq(employee.office_id),
            lc::kind.eq(b.kind.as_str()),
            lc::starts_on.eq(b.starts_on),
            lc::ends_on.eq(b.ends_on),
            lc::probation_months.eq(b.probation_months),
            lc::signed_on.eq(b.signed_on),
            lc::renews_contract_id.eq(current.map(|c| c.id)),
            lc::status.eq("active"),
            lc::note.eq(b.note.as_deref()),
            lc::created_by.eq(actor.user_id),
            lc::created_at.eq(now),
            lc::updated_at.eq(now),
            lc::version.eq(1_i64),
        ))
        .returning(lc::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("create", "labour_contract", row.id, row.office_id).after(&row),
    )?;
    Ok(row)
}

/// Sign a labour contract with an employee (`employee:manage` over the
/// file); one in force is renewed by it.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id")),
    request_body = SignLabourContract,
    responses((status = 201, description = "Signed", body = LabourContract, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/personnel/employees/{id}/contracts")]
async fn sign_labour_contract(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<SignLabourContract>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let row = db
        .tx(move |conn| {
            let (employee, actor) = employee_for(conn, &p, EMPLOYEE_MANAGE, id)?;
            sign(conn, &actor, &employee, &b, now_db())
        })
        .await?;
    Ok(created(
        format!("/api/v1/personnel/employees/{}/contracts", row.employee_id),
        row.version,
    )
    .json(row))
}

/// An employee's labour contracts, oldest first: the renewal history.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id"), ListPage),
    responses((status = 200, description = "A page of contracts", body = Page<LabourContract>), ReadErrors)
)]
#[get("/personnel/employees/{id}/contracts")]
async fn employee_contracts(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    q: ValidQuery<ListPage>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let (employee, _) = employee_for(conn, &p, EMPLOYEE_READ, id)?;
            let query = lc::table
                .filter(lc::employee_id.eq(employee.id))
                .select(LabourContract::as_select())
                .into_boxed::<store::MultiBackend>();
            let rows = store::list_scoped!(@page conn, query, lc::id, LabourContract, req, asc)?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Contracts in force ending within the days asked (from today), in the
/// offices `employee:read` reaches, soonest first by id.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(ContractsEnding),
    responses((status = 200, description = "A page of contracts", body = Page<LabourContract>), ReadErrors)
)]
#[get("/personnel/labour-contracts")]
async fn contracts_ending(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ContractsEnding>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(EMPLOYEE_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let today = kernel::time::today();
            let until = today + Duration::days(f.within_days);
            let rows = store::list_scoped!(conn, reach, lc, LabourContract, req, asc, |q| {
                q = q
                    .filter(lc::status.eq("active"))
                    .filter(lc::ends_on.ge(today))
                    .filter(lc::ends_on.le(until));
                if let Some(v) = f.office_id {
                    q = q.filter(lc::office_id.eq(v));
                }
                q
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Record a confidentiality agreement an employee signed (`employee:manage`
/// over the file).
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id")),
    request_body = SignAgreement,
    responses((status = 201, description = "Recorded", body = ConfidentialityAgreement, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/personnel/employees/{id}/confidentiality-agreements")]
async fn sign_agreement(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<SignAgreement>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    if b.ends_on.is_some_and(|e| e < b.signed_on) {
        return Err(ApiError::invalid_field(
            "ends_on",
            "range",
            "it ends on or after the day signed",
        ));
    }
    let row = db
        .tx(move |conn| {
            let (employee, actor) = employee_for(conn, &p, EMPLOYEE_MANAGE, id)?;
            let row: ConfidentialityAgreement = diesel::insert_into(ca::table)
                .values((
                    ca::employee_id.eq(employee.id),
                    ca::office_id.eq(employee.office_id),
                    ca::signed_on.eq(b.signed_on),
                    ca::scope.eq(&b.scope),
                    ca::ends_on.eq(b.ends_on),
                    ca::created_by.eq(actor.user_id),
                    ca::created_at.eq(now_db()),
                ))
                .returning(ca::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "confidentiality_agreement", row.id, row.office_id)
                    .after(&row),
            )?;
            Ok(row)
        })
        .await?;
    Ok(created(
        format!(
            "/api/v1/personnel/employees/{}/confidentiality-agreements",
            row.employee_id
        ),
        1,
    )
    .json(row))
}

/// An employee's confidentiality agreements, oldest first.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id"), ListPage),
    responses((status = 200, description = "A page of agreements", body = Page<ConfidentialityAgreement>), ReadErrors)
)]
#[get("/personnel/employees/{id}/confidentiality-agreements")]
async fn employee_agreements(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    q: ValidQuery<ListPage>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let (employee, _) = employee_for(conn, &p, EMPLOYEE_READ, id)?;
            let query = ca::table
                .filter(ca::employee_id.eq(employee.id))
                .select(ConfidentialityAgreement::as_select())
                .into_boxed::<store::MultiBackend>();
            let rows =
                store::list_scoped!(@page conn, query, ca::id, ConfidentialityAgreement, req, asc)?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// The statutory probation limits, every set, oldest first.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(ListPage),
    responses((status = 200, description = "A page of limits", body = Page<ProbationLimit>), ReadErrors)
)]
#[get("/personnel/probation-limits")]
async fn list_limits(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListPage>,
) -> Result<HttpResponse, ApiError> {
    p.require(EMPLOYEE_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let query = pl::table
                .select(ProbationLimit::as_select())
                .into_boxed::<store::MultiBackend>();
            let rows = store::list_scoped!(@page conn, query, pl::id, ProbationLimit, req, asc)?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Add a probation limit from a day on (`employee:manage` company-wide):
/// when the law changes, HQ adds the new set with its effective day; the
/// contracts starting from then are held to it.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    request_body = AddProbationLimit,
    responses((status = 201, description = "Added", body = ProbationLimit, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/personnel/probation-limits")]
async fn add_limit(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<AddProbationLimit>,
) -> Result<HttpResponse, ApiError> {
    let actor = p.actor(p.require_company(EMPLOYEE_MANAGE)?);
    let b = body.into_inner();
    if let (Some(f), Some(t)) = (b.term_from_months, b.term_below_months)
        && t <= f
    {
        return Err(ApiError::invalid_field(
            "term_below_months",
            "range",
            "above term_from_months",
        ));
    }
    let row = db
        .tx(move |conn| {
            let row: ProbationLimit = diesel::insert_into(pl::table)
                .values((
                    pl::kind.eq(b.kind.as_str()),
                    pl::term_from_months.eq(b.term_from_months),
                    pl::term_below_months.eq(b.term_below_months),
                    pl::max_probation_months.eq(b.max_probation_months),
                    pl::effective_from.eq(b.effective_from),
                    pl::note.eq(b.note.as_deref()),
                    pl::created_by.eq(actor.user_id),
                    pl::created_at.eq(now_db()),
                ))
                .returning(pl::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "probation_limit", row.id, None).after(&row),
            )?;
            Ok(row)
        })
        .await?;
    Ok(created("/api/v1/personnel/probation-limits".to_owned(), 1).json(row))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn law() -> Vec<ProbationLimit> {
        let row = |kind: &str, from: Option<i32>, below: Option<i32>, max: i32| ProbationLimit {
            id: 0,
            kind: kind.to_owned(),
            term_from_months: from,
            term_below_months: below,
            max_probation_months: max,
            effective_from: d(2008, 1, 1),
            note: None,
            created_by: None,
            created_at: NaiveDateTime::default(),
        };
        vec![
            row("fixed_term", Some(0), Some(3), 0),
            row("fixed_term", Some(3), Some(12), 1),
            row("fixed_term", Some(12), Some(36), 2),
            row("fixed_term", Some(36), None, 6),
            row("open_ended", None, None, 6),
            row("per_task", None, None, 0),
        ]
    }

    #[test]
    fn statutory_probation_by_term() {
        assert_eq!(term_months(d(2026, 1, 1), d(2026, 12, 31)), 12);
        assert_eq!(term_months(d(2026, 1, 15), d(2026, 4, 14)), 3);
        assert_eq!(term_months(d(2026, 1, 15), d(2026, 4, 13)), 2);
        let law = law();
        let fixed = |end| max_probation(&law, ContractKind::FixedTerm, d(2026, 1, 1), Some(end));
        // Two months: none; eleven: one; a year: two; three years: six.
        assert_eq!(fixed(d(2026, 2, 28)), Some(0));
        assert_eq!(fixed(d(2026, 11, 30)), Some(1));
        assert_eq!(fixed(d(2026, 12, 31)), Some(2));
        assert_eq!(fixed(d(2028, 12, 31)), Some(6));
        assert_eq!(
            max_probation(&law, ContractKind::OpenEnded, d(2026, 1, 1), None),
            Some(6)
        );
        assert_eq!(
            max_probation(&law, ContractKind::PerTask, d(2026, 1, 1), None),
            Some(0)
        );
    }
}
