//! Probation (試用期) and conversion (轉正): [002] 二(一) 4 has the direct
//! superior follow and evaluate the new employee during probation and, at its
//! end, 「按规定流程办理转正手续」; the domain spec has the conversion approved,
//! extended or the hire ended.
//!
//! - The mentor (named at onboarding) and the supervisor — the manager on the
//!   file, or `employee:manage` over the office — record evaluations: a
//!   score, comments and a recommendation.
//! - A conversion request (`employee:manage`) — convert, extend, or end —
//!   needs the supervisor's evaluation, and the mentor's when there is a
//!   mentor. It goes through the approval engine (`probation_conversion`:
//!   the office director). One is in approval at a time.
//! - An extension is allowed once, and the probation with it stays within
//!   the statutory limit for the contract in force (勞動合同法 §19, the
//!   limits kept as data).
//! - Approved: convert makes the employee `regular`; extend adds the months
//!   to the contract's probation; end starts their leaving on the day asked
//!   (today if that has passed).

use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, FieldError, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{EMPLOYEE_MANAGE, EMPLOYEE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{
    employees as e, labour_contracts as lc, probation_conversions as pc,
    probation_evaluations as pe,
};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::policy::{PolicyDef, role};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

use crate::common::{created, now_db, today};
use crate::employees::api::{employee_for, login_of};
use crate::employees::contracts::{ContractKind, LabourContract, limits_in_force, max_probation};
use crate::employees::{Employee, EmployeeStatus};
use crate::leaving::{LeavingKind, open_leaving};

/// The approval engine's name for conversion requests.
pub const CONVERSION_DOC: &str = "probation_conversion";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(evaluate_probation)
        .service(list_probation_evaluations)
        .service(request_conversion)
        .service(list_conversions)
        .service(get_conversion);
}

/// Who evaluates.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EvaluatorRole {
    /// The mentor named at onboarding.
    Mentor,
    /// The manager on the file, or HR / the director.
    Supervisor,
}

/// What an evaluation recommends, and what a conversion request asks.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ProbationOutcome {
    /// 轉正: the employee becomes regular.
    Convert,
    /// 延長試用期: once, within the statutory limit.
    Extend,
    /// 不予錄用: the employment ends.
    End,
}

impl ProbationOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ProbationOutcome::Convert => "convert",
            ProbationOutcome::Extend => "extend",
            ProbationOutcome::End => "end",
        }
    }
}

/// A probation evaluation.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = pe)]
pub struct ProbationEvaluation {
    pub id: i64,
    pub employee_id: i64,
    pub office_id: Option<i64>,
    pub evaluator_user_id: i64,
    #[schema(value_type = EvaluatorRole)]
    pub evaluator_role: String,
    #[schema(minimum = 0, maximum = 100, example = 85)]
    pub score: i32,
    #[schema(example = "學習能力強，已獨立跟進三個客戶")]
    pub comments: String,
    #[schema(value_type = ProbationOutcome)]
    pub recommendation: String,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

/// An evaluation to record.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateProbation {
    /// `mentor` only by the mentor; `supervisor` by the manager on the file
    /// or `employee:manage` over the office.
    pub evaluator_role: EvaluatorRole,
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100, example = 85)]
    pub score: i32,
    #[validate(length(min = 1, max = 4000))]
    #[schema(
        min_length = 1,
        max_length = 4000,
        example = "學習能力強，已獨立跟進三個客戶"
    )]
    pub comments: String,
    pub recommendation: ProbationOutcome,
}

/// Where a conversion request stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ConversionStatus {
    InApproval,
    Approved,
    Rejected,
    Withdrawn,
}

impl ConversionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversionStatus::InApproval => "in_approval",
            ConversionStatus::Approved => "approved",
            ConversionStatus::Rejected => "rejected",
            ConversionStatus::Withdrawn => "withdrawn",
        }
    }
}

/// A conversion request.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = pc)]
pub struct ProbationConversion {
    pub id: i64,
    pub employee_id: i64,
    pub office_id: Option<i64>,
    #[schema(value_type = ProbationOutcome)]
    pub outcome: String,
    /// An extension's months.
    pub extend_months: Option<i32>,
    /// An end's last day.
    pub last_day: Option<NaiveDate>,
    pub reason: String,
    #[schema(value_type = ConversionStatus)]
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

/// A conversion to ask for.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestConversion {
    pub outcome: ProbationOutcome,
    /// Required to extend: the months added.
    #[validate(range(min = 1, max = 6))]
    #[schema(minimum = 1, maximum = 6, example = 1)]
    pub extend_months: Option<i32>,
    /// Required to end: the last day, today or later.
    pub last_day: Option<NaiveDate>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "試用期考核合格，導師與主管均建議轉正"
    )]
    pub reason: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListConversions {
    pub employee_id: Option<i64>,
    pub office_id: Option<i64>,
    pub status: Option<ConversionStatus>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListEvaluations {
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Records `p`'s evaluation of `employee` (also used by the demo loader):
/// the mentor as mentor; the manager on the file or `employee:manage` over
/// the office as supervisor. Someone who is neither and cannot read the file
/// is answered as for a file that does not exist.
pub fn record_evaluation(
    conn: &mut AnyConnection,
    p: &Principal,
    employee: &Employee,
    b: &EvaluateProbation,
) -> Result<ProbationEvaluation, ApiError> {
    let is_mentor = login_of(conn, employee.mentor_employee_id)? == Some(p.user_id);
    let is_manager = login_of(conn, employee.manager_employee_id)? == Some(p.user_id);
    let manage = p.authorize(EMPLOYEE_MANAGE, employee.office_id).ok();
    if !is_mentor && !is_manager && p.authorize(EMPLOYEE_READ, employee.office_id).is_err() {
        return Err(ApiError::not_found("employee"));
    }
    let authority = match b.evaluator_role {
        EvaluatorRole::Mentor if is_mentor => kernel::Authority::default(),
        EvaluatorRole::Mentor => {
            return Err(ApiError::forbidden("only the mentor evaluates as mentor"));
        }
        EvaluatorRole::Supervisor if is_manager => kernel::Authority::default(),
        EvaluatorRole::Supervisor => manage.ok_or_else(|| {
            ApiError::forbidden(
                "the manager on the file, HR or the director evaluates as supervisor",
            )
        })?,
    };
    if employee.status != EmployeeStatus::Probation.as_str() {
        return Err(ApiError::invalid_transition(
            "evaluate",
            &employee.status,
            &[],
        ));
    }
    let row: ProbationEvaluation = diesel::insert_into(pe::table)
        .values((
            pe::employee_id.eq(employee.id),
            pe::office_id.eq(employee.office_id),
            pe::evaluator_user_id.eq(p.user_id),
            pe::evaluator_role.eq(match b.evaluator_role {
                EvaluatorRole::Mentor => "mentor",
                EvaluatorRole::Supervisor => "supervisor",
            }),
            pe::score.eq(b.score),
            pe::comments.eq(&b.comments),
            pe::recommendation.eq(b.recommendation.as_str()),
            pe::created_at.eq(now_db()),
        ))
        .returning(pe::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        &p.actor(authority),
        Change::new(
            "evaluate_probation",
            "employee",
            employee.id,
            employee.office_id,
        )
        .after(&row),
    )?;
    Ok(row)
}

/// The contract in force of `employee`.
fn contract_in_force(
    conn: &mut AnyConnection,
    employee: i64,
) -> Result<Option<LabourContract>, ApiError> {
    lc::table
        .filter(lc::employee_id.eq(employee))
        .filter(lc::status.eq("active"))
        .select(LabourContract::as_select())
        .first(conn)
        .optional()
        .api()
}

/// The statutory room for `months` more of probation on `contract`: `Err`
/// with the most allowed.
fn within_limit(
    conn: &mut AnyConnection,
    contract: &LabourContract,
    months: i32,
) -> Result<Result<(), i32>, ApiError> {
    let limits = limits_in_force(conn, contract.starts_on)?;
    let allowed = ContractKind::parse(&contract.kind)
        .and_then(|k| max_probation(&limits, k, contract.starts_on, contract.ends_on))
        .unwrap_or(0);
    Ok(if contract.probation_months + months > allowed {
        Err(allowed)
    } else {
        Ok(())
    })
}

/// Asks for the conversion of `employee` and submits it to the approval
/// engine in the same transaction (also used by the demo loader).
pub fn request(
    conn: &mut AnyConnection,
    registry: &Registry,
    actor: &Actor,
    employee: &Employee,
    b: &RequestConversion,
) -> Result<ProbationConversion, ApiError> {
    if employee.status != EmployeeStatus::Probation.as_str() {
        return Err(ApiError::invalid_transition(
            "request_conversion",
            &employee.status,
            &[],
        ));
    }
    let open: i64 = pc::table
        .filter(pc::employee_id.eq(employee.id))
        .filter(pc::status.eq(ConversionStatus::InApproval.as_str()))
        .count()
        .get_result(conn)
        .api()?;
    if open > 0 {
        return Err(ApiError::conflict(
            "a conversion request for this employee is in approval",
        ));
    }
    let roles: Vec<String> = pe::table
        .filter(pe::employee_id.eq(employee.id))
        .select(pe::evaluator_role)
        .load(conn)
        .api()?;
    let mut errors = Vec::new();
    if !roles.iter().any(|r| r == "supervisor") {
        errors.push(FieldError::new(
            "evaluations",
            "missing",
            "the supervisor evaluates the probation first",
        ));
    }
    if employee.mentor_employee_id.is_some() && !roles.iter().any(|r| r == "mentor") {
        errors.push(FieldError::new(
            "evaluations",
            "missing",
            "the mentor evaluates the probation first",
        ));
    }
    match b.outcome {
        ProbationOutcome::Extend => match b.extend_months {
            None => errors.push(FieldError::new(
                "extend_months",
                "required",
                "an extension names its months",
            )),
            Some(months) => {
                let extended: i64 = pc::table
                    .filter(pc::employee_id.eq(employee.id))
                    .filter(pc::outcome.eq("extend"))
                    .filter(pc::status.eq(ConversionStatus::Approved.as_str()))
                    .count()
                    .get_result(conn)
                    .api()?;
                if extended > 0 {
                    errors.push(FieldError::new(
                        "outcome",
                        "extended_once",
                        "a probation is extended once",
                    ));
                }
                match contract_in_force(conn, employee.id)? {
                    None => errors.push(FieldError::new(
                        "outcome",
                        "no_contract",
                        "an extension extends the probation of the contract in force",
                    )),
                    Some(contract) => {
                        if let Err(allowed) = within_limit(conn, &contract, months)? {
                            errors.push(FieldError::new(
                                "extend_months",
                                "above_statutory_limit",
                                format!(
                                    "the probation would be {} months; at most {allowed} for this contract (勞動合同法 §19)",
                                    contract.probation_months + months
                                ),
                            ));
                        }
                    }
                }
            }
        },
        ProbationOutcome::End => match b.last_day {
            None => errors.push(FieldError::new(
                "last_day",
                "required",
                "an end names the last day",
            )),
            Some(day) if day < today() => errors.push(FieldError::new(
                "last_day",
                "past",
                "the last day is today or later",
            )),
            Some(_) => {}
        },
        ProbationOutcome::Convert => {}
    }
    if b.outcome != ProbationOutcome::Extend && b.extend_months.is_some() {
        errors.push(FieldError::new(
            "extend_months",
            "not_allowed",
            "only an extension has months",
        ));
    }
    if b.outcome != ProbationOutcome::End && b.last_day.is_some() {
        errors.push(FieldError::new(
            "last_day",
            "not_allowed",
            "only an end has a last day",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let by = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a request is made by a person"))?;
    let now = now_db();
    let row: ProbationConversion = diesel::insert_into(pc::table)
        .values((
            pc::employee_id.eq(employee.id),
            pc::office_id.eq(employee.office_id),
            pc::outcome.eq(b.outcome.as_str()),
            pc::extend_months.eq(b.extend_months),
            pc::last_day.eq(b.last_day),
            pc::reason.eq(&b.reason),
            pc::status.eq(ConversionStatus::InApproval.as_str()),
            pc::created_by.eq(by),
            pc::created_at.eq(now),
            pc::updated_at.eq(now),
            pc::version.eq(1_i64),
        ))
        .returning(pc::all_columns)
        .get_result(conn)
        .api()?;
    let row: ProbationConversion = workflow::submit_and_keep!(
        conn,
        registry,
        CONVERSION_DOC,
        pc,
        ProbationConversion,
        row.id,
        actor
    )?;
    audit::record(
        conn,
        actor,
        Change::new("create", "probation_conversion", row.id, row.office_id).after(&row),
    )?;
    Ok(row)
}

/// Record a probation evaluation: the mentor as mentor, the manager on the
/// file or HR / the director as supervisor.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id")),
    request_body = EvaluateProbation,
    responses((status = 201, description = "Recorded", body = ProbationEvaluation), WriteErrors)
)]
#[post("/personnel/employees/{id}/probation-evaluations")]
async fn evaluate_probation(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<EvaluateProbation>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let row = db
        .tx(move |conn| {
            let employee: Employee = e::table
                .find(id)
                .select(Employee::as_select())
                .first(conn)
                .found("employee")?;
            record_evaluation(conn, &p, &employee, &b)
        })
        .await?;
    Ok(created(
        format!(
            "/api/v1/personnel/employees/{}/probation-evaluations",
            row.employee_id
        ),
        1,
    )
    .json(row))
}

/// An employee's probation evaluations, oldest first (`employee:read`).
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id"), ListEvaluations),
    responses((status = 200, description = "A page of evaluations", body = Page<ProbationEvaluation>), ReadErrors)
)]
#[get("/personnel/employees/{id}/probation-evaluations")]
async fn list_probation_evaluations(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    q: ValidQuery<ListEvaluations>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let (employee, _) = employee_for(conn, &p, EMPLOYEE_READ, id)?;
            let query = pe::table
                .filter(pe::employee_id.eq(employee.id))
                .select(ProbationEvaluation::as_select())
                .into_boxed::<store::MultiBackend>();
            let rows =
                store::list_scoped!(@page conn, query, pe::id, ProbationEvaluation, req, asc)?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Ask for an employee's conversion — convert, extend once within the
/// statutory limit, or end (`employee:manage`): it goes to approval at once
/// (the office director).
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Employee id")),
    request_body = RequestConversion,
    responses((status = 201, description = "Requested: in approval", body = ProbationConversion, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/personnel/employees/{id}/probation-conversions")]
async fn request_conversion(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<RequestConversion>,
) -> Result<HttpResponse, ApiError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let registry = registry.get_ref().clone();
    let row = db
        .tx(move |conn| {
            let (employee, actor) = employee_for(conn, &p, EMPLOYEE_MANAGE, id)?;
            request(conn, &registry, &actor, &employee, &b)
        })
        .await?;
    Ok(created(
        format!("/api/v1/personnel/probation-conversions/{}", row.id),
        row.version,
    )
    .json(row))
}

/// Conversion requests of the offices `employee:read` reaches, newest first.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(ListConversions),
    responses((status = 200, description = "A page of requests", body = Page<ProbationConversion>), ReadErrors)
)]
#[get("/personnel/probation-conversions")]
async fn list_conversions(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListConversions>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(EMPLOYEE_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, pc, ProbationConversion, req, desc, |q| {
                if let Some(v) = f.employee_id {
                    q = q.filter(pc::employee_id.eq(v));
                }
                if let Some(v) = f.office_id {
                    q = q.filter(pc::office_id.eq(v));
                }
                if let Some(v) = f.status {
                    q = q.filter(pc::status.eq(v.as_str()));
                }
                q
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One conversion request.
#[utoipa::path(
    tag = "personnel",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses((status = 200, description = "The request", body = ProbationConversion, headers(("ETag" = String))), ReadErrors)
)]
#[get("/personnel/probation-conversions/{id}")]
async fn get_conversion(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let reach = p.require(EMPLOYEE_READ)?;
    let row = db
        .run(move |conn| {
            store::load_scoped!(
                conn,
                reach = reach,
                from = (
                    pc::table.select(ProbationConversion::as_select()),
                    pc::office_id,
                    pc::id
                ),
                ProbationConversion,
                id,
                "probation conversion"
            )
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// What an approved request does to the employee.
fn carry_out(
    conn: &mut AnyConnection,
    actor: &Actor,
    request: &ProbationConversion,
) -> Result<(), ApiError> {
    let employee: Employee = e::table
        .find(request.employee_id)
        .select(Employee::as_select())
        .first(conn)
        .api()?;
    if employee.status != EmployeeStatus::Probation.as_str() {
        return Err(ApiError::invalid_transition(
            "convert",
            &employee.status,
            &[],
        ));
    }
    match request.outcome.as_str() {
        "convert" => {
            let after: Employee = store::update_versioned!(
                conn,
                e,
                Employee,
                employee,
                now_db(),
                (e::status.eq(EmployeeStatus::Regular.as_str()),)
            )?;
            audit::record(
                conn,
                actor,
                Change::new("convert", "employee", after.id, after.office_id)
                    .before(&employee)
                    .after(&after),
            )?;
        }
        "extend" => {
            let months = request.extend_months.unwrap_or_default();
            let contract = contract_in_force(conn, employee.id)?.ok_or_else(|| {
                ApiError::conflict("the employee has no contract in force to extend")
            })?;
            if let Err(allowed) = within_limit(conn, &contract, months)? {
                return Err(ApiError::conflict(format!(
                    "the probation would exceed the statutory {allowed} months"
                )));
            }
            let after: LabourContract = store::update_versioned!(
                conn,
                lc,
                LabourContract,
                contract,
                now_db(),
                (lc::probation_months.eq(contract.probation_months + months),)
            )?;
            audit::record(
                conn,
                actor,
                Change::new(
                    "extend_probation",
                    "employee",
                    employee.id,
                    employee.office_id,
                )
                .before(&contract)
                .after(&after),
            )?;
        }
        _ => {
            let day = request.last_day.unwrap_or_else(today).max(today());
            open_leaving(
                conn,
                actor,
                &employee,
                LeavingKind::ProbationEnd,
                &request.reason,
                day,
            )?;
        }
    }
    Ok(())
}

/// Conversion requests in the approval engine.
pub struct ConversionDocument;

impl ApprovalDocument for ConversionDocument {
    fn doc_type(&self) -> &'static str {
        CONVERSION_DOC
    }

    /// The office director.
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Probation conversion (轉正)".to_owned(),
            steps: vec![role("office_director", "office_director")],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let r: ProbationConversion = pc::table
            .find(doc_id)
            .select(ProbationConversion::as_select())
            .first(conn)
            .found("probation conversion")?;
        let name: String = e::table
            .find(r.employee_id)
            .select(e::name)
            .first(conn)
            .api()?;
        let what = match (r.outcome.as_str(), r.extend_months, r.last_day) {
            ("extend", Some(m), _) => format!("extend the probation by {m} months"),
            ("end", _, Some(day)) => format!("end the employment on {day}"),
            _ => "convert to regular".to_owned(),
        };
        Ok(DocumentInfo {
            office_id: r.office_id,
            owner_user_id: r.created_by,
            owner_department_id: None,
            amount: None,
            currency: "CNY".to_owned(),
            category: None,
            summary: format!("probation of {name}: {what}"),
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
        let request = store::update_audited!(
            conn,
            actor,
            status,
            "probation_conversion",
            pc,
            ProbationConversion,
            doc_id,
            (
                pc::status.eq(status),
                pc::rejection_reason.eq(reason),
                pc::updated_at.eq(now_db()),
                pc::version.eq(pc::version + 1),
            )
        )?;
        if status == ConversionStatus::Approved.as_str() {
            carry_out(conn, actor, &request)?;
        }
        Ok(())
    }
}
