//! The contract endpoints under `/sales/contracts`: drafting, listing,
//! reading, editing a draft, and the lifecycle steps (submit, sign, file,
//! execute, complete, terminate), with their request bodies and responses.
//! The rules each step enforces live in the parent module and `schedule`.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    ApiError, Currency, ErrorCode, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery,
    etag,
};
use org::roles::{SALES_MANAGE, SALES_READ};
use serde::Deserialize;
use store::audit::{self, Change};
use store::schema::{contract_instalments as ci, contracts as ct};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;
use workflow::Registry;

use super::schedule::{InstalmentInput, check_schedule, insert_schedule, instalments_of};
use super::{
    BINDING, Contract, ContractChange, ContractStatus, ContractView, EDITABLE, Instalment, LINES,
    NewContract, create_draft, execute, file, for_change, load_view, require_status, set_fields,
    sign, submit, view,
};
use crate::common::{
    PricedLineInput, ReasonInput, check_lines, customer_of_office, insert_lines, lines_of_many,
    load_scoped, now_db, office_for_create, totals,
};

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
pub(super) async fn create_contract(
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
pub(super) async fn list_contracts(
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
pub(super) async fn get_contract(
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
pub(super) async fn update_contract(
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

/// Submit a draft for review: department supervisor, office director, and
/// company leadership above 1,000,000.00.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contract id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses((status = 200, description = "In review", body = ContractView, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/sales/contracts/{id}/submit")]
pub(super) async fn submit_contract(
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

/// Record the signing of an approved contract.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contract id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = SignContract,
    responses((status = 200, description = "Signed", body = ContractView, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/sales/contracts/{id}/sign")]
pub(super) async fn sign_contract(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<SignContract>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    kernel::actions::not_in_future("signed_on", b.signed_on)?;
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

/// Record that the signed copy was filed with HQ (備案).
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contract id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = FileContract,
    responses((status = 200, description = "Filed", body = ContractView, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/sales/contracts/{id}/file")]
pub(super) async fn file_contract(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<FileContract>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    kernel::actions::not_in_future("filed_on", b.filed_on)?;
    let v = db
        .tx(move |conn| file(conn, &p, id, if_match.0, b.filed_on))
        .await?;
    Ok(respond(&v))
}

/// Start executing a filed contract.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contract id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses((status = 200, description = "In execution", body = ContractView, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/sales/contracts/{id}/execute")]
pub(super) async fn execute_contract(
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
pub(super) async fn complete_contract(
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
pub(super) async fn terminate_contract(
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
