//! Quotations (報價): priced lines — product or service, quantity, unit price,
//! discount — whose totals the server computes, a validity date, and revisions
//! under one number. An issued, unexpired quotation becomes a contract draft.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{ReadErrors, WriteErrors};
use kernel::{ApiError, Currency, Page, PageRequest, Principal, ValidJson, ValidQuery, etag};
use org::roles::{SALES_MANAGE, SALES_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{opportunities as o, quotations as q};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::{
    Line, PricedLineInput, as_inputs, check_lines, customer_of_office, insert_lines, lines_of,
    lines_of_many, load_scoped, now_db, office_for_create, totals,
};
use crate::contracts::{self, ContractView, InstalmentInput};

pub const LINES: &str = "quotation";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_quotations)
        .service(create_quotation)
        .service(get_quotation)
        .service(revise_quotation)
        .service(to_contract);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum QuotationStatus {
    /// Sent to the customer; the current revision.
    Issued,
    /// Replaced by a later revision.
    Superseded,
    /// Turned into a contract draft.
    Accepted,
}

impl QuotationStatus {
    fn as_str(self) -> &'static str {
        match self {
            QuotationStatus::Issued => "issued",
            QuotationStatus::Superseded => "superseded",
            QuotationStatus::Accepted => "accepted",
        }
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = q)]
pub struct Quotation {
    pub id: i64,
    pub office_id: i64,
    /// Shared by all revisions, e.g. `QT-GZ-2026-0001`.
    pub number: String,
    /// 1 for the first issue, then 2, 3...
    pub revision: i32,
    pub customer_id: i64,
    pub opportunity_id: Option<i64>,
    pub valid_until: NaiveDate,
    pub currency: String,
    /// Before discounts, minor units.
    pub subtotal: i64,
    pub discount_total: i64,
    /// What the customer pays: the sum of the line amounts.
    pub total: i64,
    pub delivery_terms: Option<String>,
    pub payment_terms: Option<String>,
    #[schema(value_type = QuotationStatus)]
    pub status: String,
    /// The contract drafted from it.
    pub contract_id: Option<i64>,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuotationView {
    #[serde(flatten)]
    pub quotation: Quotation,
    /// Past its validity date.
    pub expired: bool,
    pub lines: Vec<Line>,
}

fn view(quotation: Quotation, lines: Vec<Line>) -> QuotationView {
    QuotationView {
        expired: quotation.valid_until < kernel::time::now().date_naive(),
        quotation,
        lines,
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateQuotation {
    /// Defaults to the caller's office.
    pub office_id: Option<i64>,
    pub customer_id: i64,
    pub opportunity_id: Option<i64>,
    /// Today or later.
    pub valid_until: NaiveDate,
    pub currency: Option<Currency>,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000, example = "合同簽訂後 30 天內交貨")]
    pub delivery_terms: Option<String>,
    #[validate(length(min = 1, max = 1000))]
    #[schema(
        min_length = 1,
        max_length = 1000,
        example = "預付 30%,驗收後 60 天內付清"
    )]
    pub payment_terms: Option<String>,
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<PricedLineInput>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviseQuotation {
    pub valid_until: NaiveDate,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub delivery_terms: Option<String>,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub payment_terms: Option<String>,
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<PricedLineInput>,
}

fn check_valid_until(d: NaiveDate) -> Result<(), ApiError> {
    if d < kernel::time::now().date_naive() {
        return Err(ApiError::invalid_field(
            "valid_until",
            "range",
            "a quotation must be valid at least until today",
        ));
    }
    Ok(())
}

struct NewRevision<'a> {
    office: i64,
    number: &'a str,
    revision: i32,
    customer: i64,
    opportunity: Option<i64>,
    valid_until: NaiveDate,
    currency: &'a str,
    delivery_terms: Option<String>,
    payment_terms: Option<String>,
    lines: &'a [PricedLineInput],
}

fn insert(
    conn: &mut AnyConnection,
    p: &Principal,
    n: NewRevision<'_>,
) -> Result<QuotationView, ApiError> {
    check_lines(n.lines)?;
    let t = totals(n.lines)?;
    let now = now_db();
    let row: Quotation = diesel::insert_into(q::table)
        .values((
            q::office_id.eq(n.office),
            q::number.eq(n.number),
            q::revision.eq(n.revision),
            q::customer_id.eq(n.customer),
            q::opportunity_id.eq(n.opportunity),
            q::valid_until.eq(n.valid_until),
            q::currency.eq(n.currency),
            q::subtotal.eq(t.subtotal),
            q::discount_total.eq(t.discount_total),
            q::total.eq(t.total),
            q::delivery_terms.eq(n.delivery_terms),
            q::payment_terms.eq(n.payment_terms),
            q::status.eq("issued"),
            q::created_by.eq(p.user_id),
            q::created_at.eq(now),
            q::updated_at.eq(now),
            q::version.eq(1_i64),
        ))
        .returning(q::all_columns)
        .get_result(conn)
        .api()?;
    let lines = insert_lines(conn, LINES, row.id, row.office_id, n.lines)?;
    Ok(view(row, lines))
}

fn respond_created(v: &QuotationView) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sales/quotations/{}", v.quotation.id),
        ))
        .insert_header(etag(v.quotation.version))
        .json(v)
}

/// Issue a quotation. The server prices every line and the totals.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    request_body = CreateQuotation,
    responses(
        (status = 201, description = "Issued as revision 1", body = QuotationView, headers(("Location" = String), ("ETag" = String))),
        WriteErrors
    )
)]
#[post("/sales/quotations")]
async fn create_quotation(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateQuotation>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    check_valid_until(b.valid_until)?;
    let (office, authority) = office_for_create(&p, SALES_MANAGE, b.office_id)?;
    let v = db
        .tx(move |conn| {
            let code = org::office_code(conn, office)?;
            let customer = customer_of_office(conn, "customer_id", b.customer_id, office)?;
            if let Some(opp) = b.opportunity_id {
                let found: i64 = o::table
                    .filter(
                        o::id
                            .eq(opp)
                            .and(o::office_id.eq(office))
                            .and(o::customer_id.eq(customer.id))
                            .and(o::stage.ne_all(["won", "lost"])),
                    )
                    .count()
                    .get_result(conn)
                    .api()?;
                if found == 0 {
                    return Err(ApiError::invalid_field(
                        "opportunity_id",
                        "not_found",
                        "no open opportunity of this customer in this office",
                    ));
                }
            }
            let number =
                store::docnum::next(conn, office, &code, "QT", kernel::time::now().year())?;
            let currency = b
                .currency
                .map_or(customer.currency.clone(), |c| c.as_str().to_owned());
            let v = insert(
                conn,
                &p,
                NewRevision {
                    office,
                    number: &number,
                    revision: 1,
                    customer: customer.id,
                    opportunity: b.opportunity_id,
                    valid_until: b.valid_until,
                    currency: &currency,
                    delivery_terms: b.delivery_terms,
                    payment_terms: b.payment_terms,
                    lines: &b.lines,
                },
            )?;
            audit::record(
                conn,
                &p.actor(authority),
                Change::new("create", "quotation", v.quotation.id, Some(office)).after(&v),
            )?;
            Ok(v)
        })
        .await?;
    Ok(respond_created(&v))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuotations {
    pub office_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    pub status: Option<QuotationStatus>,
    #[validate(length(min = 1, max = 40))]
    #[param(min_length = 1, max_length = 40)]
    pub number: Option<String>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Quotations in the caller's reach, every revision, with their lines.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ListQuotations),
    responses((status = 200, description = "A page of quotations", body = Page<QuotationView>), ReadErrors)
)]
#[get("/sales/quotations")]
async fn list_quotations(
    db: web::Data<Db>,
    p: Principal,
    query: ValidQuery<ListQuotations>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let f = query.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, q, Quotation, req, asc, |query| {
                if let Some(v) = f.office_id {
                    query = query.filter(q::office_id.eq(v));
                }
                if let Some(v) = f.customer_id {
                    query = query.filter(q::customer_id.eq(v));
                }
                if let Some(v) = f.opportunity_id {
                    query = query.filter(q::opportunity_id.eq(v));
                }
                if let Some(v) = f.status {
                    query = query.filter(q::status.eq(v.as_str()));
                }
                if let Some(v) = f.number {
                    query = query.filter(q::number.eq(v));
                }
                query
            })?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let mut lines = lines_of_many(conn, LINES, &ids)?;
            Ok(req.page(
                rows,
                |r| r.id,
                |r| {
                    let l = lines.remove(&r.id).unwrap_or_default();
                    view(r, l)
                },
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A quotation with its lines.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Quotation id")),
    responses((status = 200, description = "The quotation", body = QuotationView, headers(("ETag" = String))), ReadErrors)
)]
#[get("/sales/quotations/{id}")]
async fn get_quotation(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let v = db
        .run(move |conn| {
            let (row, _) = load_scoped!(conn, p, SALES_READ, q, Quotation, id, "quotation");
            let lines = lines_of(conn, LINES, row.id)?;
            Ok(view(row, lines))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(v.quotation.version))
        .json(v))
}

fn current_revision(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
) -> Result<(Quotation, kernel::Authority), ApiError> {
    let (row, authority) = load_scoped!(conn, p, SALES_MANAGE, q, Quotation, id, "quotation");
    if row.status != "issued" {
        return Err(ApiError::invalid_transition(
            "revise or accept",
            &row.status,
            &["issued"],
        ));
    }
    Ok((row, authority))
}

/// Issue a new revision: same number, the next revision; the one revised is
/// superseded.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The current revision's id")),
    request_body = ReviseQuotation,
    responses(
        (status = 201, description = "The new revision", body = QuotationView, headers(("Location" = String), ("ETag" = String))),
        WriteErrors
    )
)]
#[post("/sales/quotations/{id}/revisions")]
async fn revise_quotation(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<ReviseQuotation>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    check_valid_until(b.valid_until)?;
    let v = db
        .tx(move |conn| {
            let (old, authority) = current_revision(conn, &p, id)?;
            let superseded: Quotation =
                diesel::update(q::table.find(id).filter(q::status.eq("issued")))
                    .set((
                        q::status.eq("superseded"),
                        q::updated_at.eq(now_db()),
                        q::version.eq(q::version + 1),
                    ))
                    .returning(q::all_columns)
                    .get_result(conn)
                    .optional()
                    .api()?
                    .ok_or_else(|| {
                        ApiError::invalid_transition("revise", "superseded", &["issued"])
                    })?;
            let v = insert(
                conn,
                &p,
                NewRevision {
                    office: old.office_id,
                    number: &old.number,
                    revision: old.revision + 1,
                    customer: old.customer_id,
                    opportunity: old.opportunity_id,
                    valid_until: b.valid_until,
                    currency: &old.currency,
                    delivery_terms: b.delivery_terms.or(old.delivery_terms.clone()),
                    payment_terms: b.payment_terms.or(old.payment_terms.clone()),
                    lines: &b.lines,
                },
            )?;
            let actor = p.actor(authority);
            audit::record(
                conn,
                &actor,
                Change::new("supersede", "quotation", id, Some(old.office_id))
                    .before(&old)
                    .after(&superseded),
            )?;
            audit::record(
                conn,
                &actor,
                Change::new("revise", "quotation", v.quotation.id, Some(old.office_id)).after(&v),
            )?;
            Ok(v)
        })
        .await?;
    Ok(respond_created(&v))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotationToContract {
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "南海工業園廠房照明改造工程合同"
    )]
    pub title: String,
    /// The contract's terms; default: the quotation's delivery and payment terms.
    #[validate(length(min = 1, max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub terms: Option<String>,
    /// The payment schedule; the amounts must add up to the quotation's total.
    #[validate(length(min = 1, max = 60), nested)]
    #[schema(min_items = 1, max_items = 60)]
    pub instalments: Vec<InstalmentInput>,
}

/// Turn an issued, unexpired quotation into a contract draft with the same
/// lines and total.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Quotation id")),
    request_body = QuotationToContract,
    responses(
        (status = 201, description = "The contract draft", body = ContractView, headers(("Location" = String), ("ETag" = String))),
        WriteErrors
    )
)]
#[post("/sales/quotations/{id}/contract")]
async fn to_contract(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<QuotationToContract>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let v = db
        .tx(move |conn| {
            let (quote, authority) = current_revision(conn, &p, id)?;
            if quote.valid_until < kernel::time::now().date_naive() {
                return Err(ApiError::invalid_transition(
                    "accept",
                    "expired",
                    &["issued"],
                ));
            }
            let lines = lines_of(conn, LINES, quote.id)?;
            let terms = b.terms.unwrap_or_else(|| {
                [
                    quote.delivery_terms.as_deref(),
                    quote.payment_terms.as_deref(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("\n")
            });
            let actor = p.actor(authority);
            let contract = contracts::create_draft(
                conn,
                &p,
                &actor,
                contracts::NewContract {
                    office: quote.office_id,
                    customer: quote.customer_id,
                    quotation: Some(quote.id),
                    opportunity: quote.opportunity_id,
                    title: b.title,
                    terms: if terms.is_empty() {
                        "見報價單".to_owned()
                    } else {
                        terms
                    },
                    currency: quote.currency.clone(),
                    lines: as_inputs(&lines),
                    instalments: b.instalments,
                },
            )?;
            // Only an issued quotation is accepted: of two conversions at once,
            // the second finds it accepted and is refused (its draft rolls back).
            let accepted: Quotation =
                diesel::update(q::table.find(id).filter(q::status.eq("issued")))
                    .set((
                        q::status.eq("accepted"),
                        q::contract_id.eq(Some(contract.contract.id)),
                        q::updated_at.eq(now_db()),
                        q::version.eq(q::version + 1),
                    ))
                    .returning(q::all_columns)
                    .get_result(conn)
                    .optional()
                    .api()?
                    .ok_or_else(|| {
                        ApiError::invalid_transition("accept", "accepted", &["issued"])
                    })?;
            audit::record(
                conn,
                &actor,
                Change::new("accept", "quotation", id, Some(quote.office_id))
                    .before(&quote)
                    .after(&accepted),
            )?;
            Ok(contract)
        })
        .await?;
    Ok(contracts::respond_created(&v))
}
