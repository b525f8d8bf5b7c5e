//! Expense claims and HQ pre-approvals.
//!
//! Rules, from the seeds: a claim lists its invoices and vouchers, each real,
//! lawful and valid — an invoice number is claimed once in the whole company; the
//! route is preliminary review by the operations specialist (authenticity,
//! completeness, compliance), the department head, the office director, and HQ
//! finance's final review; a rejected claim goes back to the claimant with the
//! reason; large expenses need HQ approval before the money is spent. Totals are
//! computed by the server, never taken from the client.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, PreconditionFailed,
    PreconditionRequired, ServiceUnavailable, Unauthorized, UnprocessableEntity,
};
use kernel::{
    Actor, ApiError, ErrorCode, FieldError, IfMatch, Page, PageRequest, Principal, ValidJson,
    ValidQuery, etag,
};
use org::roles::{EXPENSE_PAY, EXPENSE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{
    expense_claim_lines as el, expense_claims as ec, expense_pre_approvals as pa, users,
};
use store::{AnyConnection, Db, DbResultExt, MultiBackend};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::{Validate, ValidationError};
use workflow::policy::{Approver, PolicyDef, StepDef, role};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

use crate::facts::{TripFacts, Trips};

/// Above this total (50,000.00 CNY, in 分) a claim needs an approved HQ
/// pre-approval (大額費用支出，應提前報公司總部審批).
pub const LARGE_CLAIM: i64 = 5_000_000;

pub const CLAIM_DOC: &str = "expense_claim";
pub const PRE_APPROVAL_DOC: &str = "expense_pre_approval";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_claims)
        .service(create_claim)
        .service(get_claim)
        .service(update_claim)
        .service(submit_claim)
        .service(pay_claim)
        .service(list_pre_approvals)
        .service(create_pre_approval)
        .service(get_pre_approval);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 辦公費
    Office,
    /// 差旅費, by company standards
    Travel,
    /// 業務招待費: necessary, reasonable, moderate
    Entertainment,
    /// 培訓費
    Training,
    /// 市場活動費
    MarketActivity,
    Other,
}

impl Category {
    fn as_str(self) -> &'static str {
        match self {
            Category::Office => "office",
            Category::Travel => "travel",
            Category::Entertainment => "entertainment",
            Category::Training => "training",
            Category::MarketActivity => "market_activity",
            Category::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ec)]
pub struct ClaimRow {
    pub id: i64,
    pub office_id: i64,
    /// `EC-<office>-<year>-<n>`.
    #[schema(example = "EC-GZ01-2026-000001")]
    pub number: String,
    pub claimant_user_id: i64,
    pub department_id: Option<i64>,
    #[schema(value_type = Category)]
    pub category: String,
    pub title: String,
    /// Sum of the lines, minor units; computed by the server.
    pub total: i64,
    pub currency: String,
    pub pre_approval_id: Option<i64>,
    /// `draft`, `in_approval`, `approved`, `rejected`, `withdrawn` or `paid`.
    pub status: String,
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
    pub paid_on: Option<NaiveDate>,
    pub payment_reference: Option<String>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
    /// Set at submission when the claim exceeds what is left of its budget line;
    /// every approver sees it.
    pub over_budget: bool,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = el)]
pub struct LineRow {
    #[serde(skip)]
    pub id: i64,
    #[serde(skip)]
    pub claim_id: i64,
    #[serde(skip)]
    pub office_id: i64,
    pub line_no: i32,
    pub spent_on: NaiveDate,
    pub description: String,
    pub amount: i64,
    pub invoice_number: String,
    pub attachment_name: Option<String>,
    pub attachment_sha256: Option<String>,
    pub attachment_size: Option<i64>,
    /// The business trip the line was spent on (travel claims).
    pub trip_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpenseClaim {
    #[serde(flatten)]
    pub claim: ClaimRow,
    pub lines: Vec<LineRow>,
}

fn validate_sha256(h: &str) -> Result<(), ValidationError> {
    if h.len() == 64
        && h.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        Ok(())
    } else {
        let mut e = ValidationError::new("sha256");
        e.message = Some("must be 64 lower-case hex digits".into());
        Err(e)
    }
}

/// The invoice or voucher file, stored elsewhere; the claim keeps its reference.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    #[validate(length(min = 1, max = 255))]
    #[schema(min_length = 1, max_length = 255, example = "invoice-0001.pdf")]
    pub file_name: String,
    #[validate(custom(function = "validate_sha256"))]
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
    #[validate(range(min = 1, max = 52_428_800))]
    #[schema(minimum = 1, maximum = 52_428_800)]
    pub size: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimLineInput {
    pub spent_on: NaiveDate,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub description: String,
    /// Minor units, more than zero.
    #[validate(range(min = 1, max = 10_000_000_000_i64))]
    #[schema(minimum = 1, maximum = 10_000_000_000_i64)]
    pub amount: i64,
    /// The invoice's number (發票號碼); claimed once in the whole company.
    #[validate(length(min = 4, max = 40))]
    #[schema(min_length = 4, max_length = 40, example = "044001900211-12345678")]
    pub invoice_number: String,
    #[validate(nested)]
    pub attachment: Option<Attachment>,
    /// The approved business trip a travel line was spent on. When not given, a
    /// travel line links itself to the claimant's one approved trip covering its
    /// day, where there is exactly one.
    pub trip_id: Option<i64>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimInput {
    pub category: Category,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// The claimant's department, whose head reviews the claim.
    pub department_id: Option<i64>,
    /// The approved HQ pre-approval a large claim spends against.
    pub pre_approval_id: Option<i64>,
    #[validate(length(min = 1, max = 100), nested)]
    #[schema(min_items = 1, max_items = 100)]
    pub lines: Vec<ClaimLineInput>,
}

fn load_lines(conn: &mut AnyConnection, claim_id: i64) -> Result<Vec<LineRow>, ApiError> {
    el::table
        .filter(el::claim_id.eq(claim_id))
        .select(LineRow::as_select())
        .order(el::line_no.asc())
        .load(conn)
        .api()
}

fn full(conn: &mut AnyConnection, claim: ClaimRow) -> Result<ExpenseClaim, ApiError> {
    let lines = load_lines(conn, claim.id)?;
    Ok(ExpenseClaim { claim, lines })
}

/// Rejects invoice numbers used twice in one claim or already claimed anywhere.
fn check_invoices(
    conn: &mut AnyConnection,
    lines: &[ClaimLineInput],
    except_claim: Option<i64>,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if lines[..i]
            .iter()
            .any(|l| l.invoice_number == line.invoice_number)
        {
            errors.push(FieldError::new(
                format!("lines[{i}].invoice_number"),
                "duplicate",
                "appears twice in this claim",
            ));
        }
    }
    let numbers: Vec<&str> = lines.iter().map(|l| l.invoice_number.as_str()).collect();
    let mut q = el::table
        .filter(el::invoice_number.eq_any(numbers))
        .select((el::invoice_number, el::claim_id))
        .into_boxed::<MultiBackend>();
    if let Some(id) = except_claim {
        q = q.filter(el::claim_id.ne(id));
    }
    let taken: Vec<(String, i64)> = q.load(conn).api()?;
    for (i, line) in lines.iter().enumerate() {
        if taken.iter().any(|(n, _)| *n == line.invoice_number) {
            errors.push(FieldError::new(
                format!("lines[{i}].invoice_number"),
                "duplicate",
                "this invoice is already claimed",
            ));
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    let mut e = ApiError::new(
        ErrorCode::Duplicate,
        "an invoice can be claimed only once in the company",
    );
    e.errors = errors;
    Err(e)
}

/// How far ahead of a trip its expenses may fall (tickets and hotels are booked
/// before leaving).
const BOOKED_AHEAD_DAYS: i64 = 30;

/// The trip each line links to: the one named, checked — a travel claim, the
/// claimant's own approved trip in the claim's office, the day no later than the
/// trip's end and at most 30 days before its start — or, for a travel line that
/// names none, the claimant's one approved trip covering its day.
pub fn link_trips(
    conn: &mut AnyConnection,
    trips: &dyn TripFacts,
    claimant: i64,
    office_id: i64,
    category: Category,
    lines: &[ClaimLineInput],
) -> Result<Vec<Option<i64>>, ApiError> {
    let travel = category == Category::Travel;
    let mut out = Vec::with_capacity(lines.len());
    let mut errors = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(trip_id) = line.trip_id else {
            let covering = if travel {
                trips.trips_covering(conn, claimant, line.spent_on)?
            } else {
                Vec::new()
            };
            let mine: Vec<i64> = covering
                .iter()
                .filter(|t| t.approved && t.office_id == office_id)
                .map(|t| t.id)
                .collect();
            out.push(if mine.len() == 1 { Some(mine[0]) } else { None });
            continue;
        };
        out.push(Some(trip_id));
        let field = format!("lines[{i}].trip_id");
        if !travel {
            errors.push(FieldError::new(
                &field,
                "category",
                "only a travel claim links to a business trip",
            ));
            continue;
        }
        match trips.trip(conn, trip_id)? {
            Some(t) if t.traveller_user_id == claimant && t.office_id == office_id => {
                if !t.approved {
                    errors.push(FieldError::new(
                        &field,
                        "not_approved",
                        "the business trip is not approved",
                    ));
                } else if line.spent_on > t.ends_on
                    || line.spent_on < t.starts_on - chrono::Duration::days(BOOKED_AHEAD_DAYS)
                {
                    errors.push(FieldError::new(
                        format!("lines[{i}].spent_on"),
                        "outside_trip",
                        format!(
                            "the trip ran from {} to {}; an expense on it falls no later than its end and at most {BOOKED_AHEAD_DAYS} days before its start",
                            t.starts_on, t.ends_on
                        ),
                    ));
                }
            }
            _ => errors.push(FieldError::new(
                &field,
                "not_found",
                "no business trip of yours in this office",
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::validation(errors))
    }
}

fn insert_lines(
    conn: &mut AnyConnection,
    claim_id: i64,
    office_id: i64,
    lines: &[ClaimLineInput],
    trip_ids: &[Option<i64>],
) -> Result<i64, ApiError> {
    let total = kernel::money::checked_sum(lines.iter().map(|l| l.amount))
        .ok_or_else(|| ApiError::invalid_field("lines", "range", "the total is too large"))?;
    for (i, l) in lines.iter().enumerate() {
        diesel::insert_into(el::table)
            .values((
                el::claim_id.eq(claim_id),
                el::office_id.eq(office_id),
                el::line_no.eq(i as i32 + 1),
                el::spent_on.eq(l.spent_on),
                el::description.eq(&l.description),
                el::amount.eq(l.amount),
                el::invoice_number.eq(&l.invoice_number),
                el::attachment_name.eq(l.attachment.as_ref().map(|a| a.file_name.clone())),
                el::attachment_sha256.eq(l.attachment.as_ref().map(|a| a.sha256.clone())),
                el::attachment_size.eq(l.attachment.as_ref().map(|a| a.size)),
                el::trip_id.eq(trip_ids.get(i).copied().flatten()),
            ))
            .execute(conn)
            .map_err(|e| match store::db_error(e) {
                err if err.code == ErrorCode::Duplicate => ApiError::invalid_field(
                    &format!("lines[{i}].invoice_number"),
                    "duplicate",
                    "this invoice is already claimed",
                ),
                err => err,
            })?;
    }
    Ok(total)
}

/// The claimant's department must be one of their office's.
/// The records a claim names: its department, an active one of the claim's
/// office, and its pre-approval, one of the claimant's own in that office. Either
/// outside that office answers as if it did not exist. Whether the pre-approval
/// is approved and covers the total is checked when the claim is submitted.
fn check_references(
    conn: &mut AnyConnection,
    office_id: i64,
    claimant: i64,
    body: &ClaimInput,
) -> Result<(), ApiError> {
    if let Some(dept) = body.department_id {
        org::scope::department_of_office(conn, "department_id", dept, office_id)?;
    }
    if let Some(pre) = body.pre_approval_id {
        let found: Option<i64> = pa::table
            .filter(pa::id.eq(pre))
            .filter(pa::office_id.eq(office_id))
            .filter(pa::requester_user_id.eq(claimant))
            .select(pa::id)
            .first(conn)
            .optional()
            .api()?;
        found.ok_or_else(|| store::scoped::no_such("pre_approval_id", "pre-approval of yours"))?;
    }
    Ok(())
}

fn caller_office(p: &Principal) -> Result<i64, ApiError> {
    p.office_id.ok_or_else(|| {
        ApiError::forbidden(
            "expense claims are filed by office staff; HQ users belong to no office",
        )
    })
}

/// Files a draft claim for the actor in `office` (also used by the demo loader).
pub fn file_claim(
    conn: &mut AnyConnection,
    trips: &dyn TripFacts,
    office: i64,
    actor: &Actor,
    body: &ClaimInput,
) -> Result<ExpenseClaim, ApiError> {
    let claimant = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a claim needs a claimant"))?;
    let code = org::require_open_office(conn, office)?;
    check_references(conn, office, claimant, body)?;
    check_invoices(conn, &body.lines, None)?;
    let trip_ids = link_trips(conn, trips, claimant, office, body.category, &body.lines)?;
    let now = kernel::time::now();
    let number = store::docnum::next(conn, office, &code, "EC", now.year())?;
    let now = kernel::time::to_db(now);
    let row: ClaimRow = diesel::insert_into(ec::table)
        .values((
            ec::office_id.eq(office),
            ec::number.eq(&number),
            ec::claimant_user_id.eq(claimant),
            ec::department_id.eq(body.department_id),
            ec::category.eq(body.category.as_str()),
            ec::title.eq(&body.title),
            ec::total.eq(0_i64),
            ec::currency.eq("CNY"),
            ec::pre_approval_id.eq(body.pre_approval_id),
            ec::status.eq("draft"),
            ec::created_at.eq(now),
            ec::updated_at.eq(now),
            ec::version.eq(1_i64),
        ))
        .returning(ec::all_columns)
        .get_result(conn)
        .api()?;
    let total = insert_lines(conn, row.id, office, &body.lines, &trip_ids)?;
    let row: ClaimRow = diesel::update(ec::table.find(row.id))
        .set(ec::total.eq(total))
        .returning(ec::all_columns)
        .get_result(conn)
        .api()?;
    let claim = full(conn, row)?;
    audit::record(
        conn,
        actor,
        Change::new("create", "expense_claim", claim.claim.id, Some(office)).after(&claim),
    )?;
    Ok(claim)
}

/// Sends a claim to approval (also used by the demo loader). The caller checked
/// who may.
pub fn submit_to_approval(
    conn: &mut AnyConnection,
    registry: &Registry,
    actor: &Actor,
    before: &ClaimRow,
) -> Result<ClaimRow, ApiError> {
    check_pre_approval(conn, before)?;
    // Set before the engine reads the claim, so every approver sees the mark.
    let over = crate::budgets::check_claim(conn, before)?;
    diesel::update(ec::table.find(before.id))
        .set(ec::over_budget.eq(over))
        .execute(conn)
        .api()?;
    let instance = workflow::submit(conn, registry, CLAIM_DOC, before.id, actor)?;
    let row: ClaimRow = diesel::update(ec::table.find(before.id))
        .set((
            ec::status.eq("in_approval"),
            ec::approval_id.eq(instance.id),
            ec::rejection_reason.eq(None::<String>),
            ec::version.eq(ec::version + 1),
        ))
        .returning(ec::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("submit", "expense_claim", before.id, Some(row.office_id))
            .before(before)
            .after(&row),
    )?;
    Ok(row)
}

/// File an expense claim (a draft) for oneself, in one's own office.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    request_body = ClaimInput,
    responses(
        (status = 201, description = "Created as a draft", body = ExpenseClaim, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/finance/expense-claims")]
async fn create_claim(
    db: web::Data<Db>,
    trips: web::Data<Trips>,
    p: Principal,
    body: ValidJson<ClaimInput>,
) -> Result<HttpResponse, ApiError> {
    let office = caller_office(&p)?;
    let body = body.into_inner();
    let actor = p.actor(Default::default());
    let trips = trips.get_ref().clone();
    let claim = db
        .tx(move |conn| file_claim(conn, trips.as_ref(), office, &actor, &body))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/finance/expense-claims/{}", claim.claim.id),
        ))
        .insert_header(etag(claim.claim.version))
        .json(claim))
}

/// A claim the caller may see: their own, or in the offices their `expense:read`
/// reaches, or one waiting for or decided by them in approval. 404 otherwise.
fn load_claim(conn: &mut AnyConnection, p: &Principal, id: i64) -> Result<ClaimRow, ApiError> {
    let row: ClaimRow = ec::table
        .find(id)
        .select(ClaimRow::as_select())
        .first(conn)
        .optional()
        .api()?
        .ok_or_else(|| ApiError::not_found("expense claim"))?;
    if row.claimant_user_id == p.user_id || p.reach(EXPENSE_READ).contains(row.office_id) {
        return Ok(row);
    }
    if let Some(instance) = row
        .approval_id
        .and_then(|a| workflow::engine::load_instance(conn, a).ok().flatten())
    {
        let steps = workflow::engine::load_steps(conn, instance.id)?;
        if workflow::engine::can_see(p, &instance, &steps) {
            return Ok(row);
        }
    }
    Err(ApiError::not_found("expense claim"))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListClaims {
    /// `draft`, `in_approval`, `approved`, `rejected`, `withdrawn` or `paid`.
    #[validate(length(min = 1, max = 20))]
    #[param(min_length = 1, max_length = 20)]
    pub status: Option<String>,
    pub office_id: Option<i64>,
    pub claimant_user_id: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Expense claims: one's own, and those of the offices `expense:read` reaches.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(ListClaims),
    responses(
        (status = 200, description = "A page of claims (without lines)", body = Page<ClaimRow>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/finance/expense-claims")]
async fn list_claims(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListClaims>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let reach = p.reach(EXPENSE_READ);
            let rows = store::list_scoped!(
                conn,
                reach,
                ec,
                ClaimRow,
                req,
                desc,
                owner = (ec::claimant_user_id, p.user_id),
                |query| {
                    if let Some(v) = q.status {
                        query = query.filter(ec::status.eq(v));
                    }
                    if let Some(v) = q.office_id {
                        query = query.filter(ec::office_id.eq(v));
                    }
                    if let Some(v) = q.claimant_user_id {
                        query = query.filter(ec::claimant_user_id.eq(v));
                    }
                    query
                }
            )?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One claim with its lines.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Claim id")),
    responses(
        (status = 200, description = "The claim", body = ExpenseClaim, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/finance/expense-claims/{id}")]
async fn get_claim(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let claim = db
        .run(move |conn| load_claim(conn, &p, id).and_then(|row| full(conn, row)))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(claim.claim.version))
        .json(claim))
}

/// The claimant changes a draft or a rejected claim (all lines are replaced).
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Claim id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ClaimInput,
    responses(
        (status = 200, description = "Changed", body = ExpenseClaim, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = UnprocessableEntity),
        (status = 428, response = PreconditionRequired),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[patch("/finance/expense-claims/{id}")]
async fn update_claim(
    db: web::Data<Db>,
    trips: web::Data<Trips>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ClaimInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let trips = trips.get_ref().clone();
    let claim = db
        .tx(move |conn| {
            let before = load_claim(conn, &p, id)?;
            if before.claimant_user_id != p.user_id {
                return Err(ApiError::forbidden("only the claimant changes a claim"));
            }
            if before.status != "draft"
                && before.status != "rejected"
                && before.status != "withdrawn"
            {
                return Err(ApiError::invalid_transition(
                    "update",
                    &before.status,
                    &["pay"],
                ));
            }
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            check_references(conn, before.office_id, before.claimant_user_id, &body)?;
            check_invoices(conn, &body.lines, Some(id))?;
            let trip_ids = link_trips(
                conn,
                trips.as_ref(),
                before.claimant_user_id,
                before.office_id,
                body.category,
                &body.lines,
            )?;
            let before_full = full(conn, before.clone())?;
            diesel::delete(el::table.filter(el::claim_id.eq(id)))
                .execute(conn)
                .api()?;
            let total = insert_lines(conn, id, before.office_id, &body.lines, &trip_ids)?;
            let row: ClaimRow =
                diesel::update(ec::table.find(id).filter(ec::version.eq(if_match.0)))
                    .set((
                        ec::category.eq(body.category.as_str()),
                        ec::title.eq(&body.title),
                        ec::department_id.eq(body.department_id),
                        ec::pre_approval_id.eq(body.pre_approval_id),
                        ec::total.eq(total),
                        ec::updated_at.eq(kernel::time::to_db(kernel::time::now())),
                        ec::version.eq(ec::version + 1),
                    ))
                    .returning(ec::all_columns)
                    .get_result(conn)
                    .optional()
                    .api()?
                    .ok_or_else(|| version_conflict(before.version + 1))?;
            let after = full(conn, row)?;
            audit::record(
                conn,
                &p.actor(Default::default()),
                Change::new("update", "expense_claim", id, Some(after.claim.office_id))
                    .before(&before_full)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(claim.claim.version))
        .json(claim))
}

/// A large claim needs the claimant's own approved pre-approval of the same
/// office covering the total.
fn check_pre_approval(conn: &mut AnyConnection, claim: &ClaimRow) -> Result<(), ApiError> {
    if claim.total <= LARGE_CLAIM {
        return Ok(());
    }
    let missing = || {
        ApiError::invalid_field(
            "pre_approval_id",
            "pre_approval_required",
            "a claim above 50,000.00 CNY needs an approved HQ pre-approval of yours that covers it",
        )
    };
    let id = claim.pre_approval_id.ok_or_else(missing)?;
    let row: Option<(i64, i64, String, i64)> = pa::table
        .find(id)
        .select((
            pa::office_id,
            pa::requester_user_id,
            pa::status,
            pa::estimated_amount,
        ))
        .first(conn)
        .optional()
        .api()?;
    match row {
        Some((office, requester, status, amount))
            if office == claim.office_id
                && requester == claim.claimant_user_id
                && status == "approved"
                && amount >= claim.total =>
        {
            Ok(())
        }
        _ => Err(missing()),
    }
}

/// Submit a claim to approval: preliminary review, department head, office
/// director, HQ finance (the HQ default policy).
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Claim id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses(
        (status = 200, description = "In approval", body = ExpenseClaim, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = UnprocessableEntity),
        (status = 428, response = PreconditionRequired),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/finance/expense-claims/{id}/submit")]
async fn submit_claim(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let registry = registry.get_ref().clone();
    let claim = db
        .tx(move |conn| {
            let before = load_claim(conn, &p, id)?;
            if before.claimant_user_id != p.user_id {
                return Err(ApiError::forbidden("only the claimant submits a claim"));
            }
            if !matches!(before.status.as_str(), "draft" | "rejected" | "withdrawn") {
                return Err(ApiError::invalid_transition("submit", &before.status, &[]));
            }
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            let row = submit_to_approval(conn, &registry, &p.actor(Default::default()), &before)?;
            full(conn, row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(claim.claim.version))
        .json(claim))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayClaim {
    pub paid_on: NaiveDate,
    /// The bank or cash voucher reference.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub payment_reference: String,
}

/// Record an approved claim as paid (HQ finance).
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Claim id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = PayClaim,
    responses(
        (status = 200, description = "Paid", body = ExpenseClaim, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = UnprocessableEntity),
        (status = 428, response = PreconditionRequired),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/finance/expense-claims/{id}/pay")]
async fn pay_claim(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<PayClaim>,
) -> Result<HttpResponse, ApiError> {
    p.require(EXPENSE_PAY)?;
    let id = id.into_inner();
    let body = body.into_inner();
    let claim = db
        .tx(move |conn| {
            let before = load_claim(conn, &p, id)?;
            let actor = p.actor(
                p.authorize(EXPENSE_PAY, Some(before.office_id))
                    .map_err(|_| ApiError::not_found("expense claim"))?,
            );
            if before.status != "approved" {
                return Err(ApiError::invalid_transition("pay", &before.status, &[]));
            }
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            let row: ClaimRow =
                diesel::update(ec::table.find(id).filter(ec::version.eq(if_match.0)))
                    .set((
                        ec::status.eq("paid"),
                        ec::paid_on.eq(Some(body.paid_on)),
                        ec::payment_reference.eq(Some(&body.payment_reference)),
                        ec::updated_at.eq(kernel::time::to_db(kernel::time::now())),
                        ec::version.eq(ec::version + 1),
                    ))
                    .returning(ec::all_columns)
                    .get_result(conn)
                    .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("pay", "expense_claim", id, Some(row.office_id))
                    .before(&before)
                    .after(&row),
            )?;
            full(conn, row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(claim.claim.version))
        .json(claim))
}

fn set_claim_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    let before: ClaimRow = ec::table
        .find(id)
        .select(ClaimRow::as_select())
        .first(conn)
        .found("expense claim")?;
    let after: ClaimRow = diesel::update(ec::table.find(id))
        .set((
            ec::status.eq(status),
            ec::rejection_reason.eq(reason),
            ec::version.eq(ec::version + 1),
        ))
        .returning(ec::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new(status, "expense_claim", id, Some(after.office_id))
            .before(&before)
            .after(&after),
    )?;
    Ok(())
}

/// Expense claims in the approval engine.
pub struct ClaimDocument;

impl ApprovalDocument for ClaimDocument {
    fn doc_type(&self) -> &'static str {
        CLAIM_DOC
    }

    /// The seeds' chain: 運營專員初審 → 部門負責人審核 → 辦事處經理審批 → 財務部門終審.
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Expense claims (費用報銷)".to_owned(),
            steps: vec![
                StepDef {
                    time_limit_hours: Some(48),
                    ..role("operations_specialist", "preliminary_review")
                },
                StepDef {
                    name: "department_head".to_owned(),
                    approver: Approver::DepartmentSupervisor {},
                    condition: None,
                    time_limit_hours: Some(48),
                    escalate_to: None,
                },
                StepDef {
                    time_limit_hours: Some(72),
                    ..role("office_director", "office_director")
                },
                role("hq_finance", "hq_finance_final_review"),
            ],
            allow_same_approver: false,
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let c: ClaimRow = ec::table
            .find(doc_id)
            .select(ClaimRow::as_select())
            .first(conn)
            .found("expense claim")?;
        let name: String = users::table
            .find(c.claimant_user_id)
            .select(users::display_name)
            .first(conn)
            .api()?;
        Ok(DocumentInfo {
            office_id: Some(c.office_id),
            owner_user_id: c.claimant_user_id,
            owner_department_id: c.department_id,
            amount: Some(c.total),
            currency: c.currency,
            category: Some(c.category),
            summary: format!(
                "{}{} {} — {}",
                if c.over_budget { "[OVER BUDGET] " } else { "" },
                c.number,
                c.title,
                name
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
        set_claim_status(conn, actor, doc_id, status, reason)
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = pa)]
pub struct PreApproval {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "PA-GZ01-2026-000001")]
    pub number: String,
    pub requester_user_id: i64,
    #[schema(value_type = Category)]
    pub category: String,
    pub purpose: String,
    /// Minor units.
    pub estimated_amount: i64,
    pub currency: String,
    /// `in_approval`, `approved`, `rejected` or `withdrawn`.
    pub status: String,
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
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
pub struct PreApprovalInput {
    pub category: Category,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub purpose: String,
    /// Minor units; above 50,000.00 CNY, or no pre-approval is needed.
    #[validate(range(min = 5_000_001, max = 10_000_000_000_i64))]
    #[schema(minimum = 5_000_001, maximum = 10_000_000_000_i64)]
    pub estimated_amount: i64,
}

/// Ask HQ to approve a large expense before spending; it goes to approval at once.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    request_body = PreApprovalInput,
    responses(
        (status = 201, description = "Filed and submitted", body = PreApproval, headers(("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/finance/expense-pre-approvals")]
async fn create_pre_approval(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    body: ValidJson<PreApprovalInput>,
) -> Result<HttpResponse, ApiError> {
    let office = caller_office(&p)?;
    let body = body.into_inner();
    let registry = registry.get_ref().clone();
    let actor = p.actor(Default::default());
    let row = db
        .tx(move |conn| {
            let code = org::require_open_office(conn, office)?;
            let now = kernel::time::now();
            let number = store::docnum::next(conn, office, &code, "PA", now.year())?;
            let now = kernel::time::to_db(now);
            let row: PreApproval = diesel::insert_into(pa::table)
                .values((
                    pa::office_id.eq(office),
                    pa::number.eq(&number),
                    pa::requester_user_id.eq(p.user_id),
                    pa::category.eq(body.category.as_str()),
                    pa::purpose.eq(&body.purpose),
                    pa::estimated_amount.eq(body.estimated_amount),
                    pa::currency.eq("CNY"),
                    pa::status.eq("in_approval"),
                    pa::created_at.eq(now),
                    pa::updated_at.eq(now),
                    pa::version.eq(1_i64),
                ))
                .returning(pa::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "expense_pre_approval", row.id, Some(office)).after(&row),
            )?;
            let instance = workflow::submit(conn, &registry, PRE_APPROVAL_DOC, row.id, &actor)?;
            diesel::update(pa::table.find(row.id))
                .set(pa::approval_id.eq(instance.id))
                .returning(pa::all_columns)
                .get_result::<PreApproval>(conn)
                .api()
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/finance/expense-pre-approvals/{}", row.id),
        ))
        .json(row))
}

fn load_pre(conn: &mut AnyConnection, p: &Principal, id: i64) -> Result<PreApproval, ApiError> {
    let row: PreApproval = pa::table
        .find(id)
        .select(PreApproval::as_select())
        .first(conn)
        .optional()
        .api()?
        .ok_or_else(|| ApiError::not_found("pre-approval"))?;
    if row.requester_user_id == p.user_id || p.reach(EXPENSE_READ).contains(row.office_id) {
        return Ok(row);
    }
    if let Some(instance) = row
        .approval_id
        .and_then(|a| workflow::engine::load_instance(conn, a).ok().flatten())
    {
        let steps = workflow::engine::load_steps(conn, instance.id)?;
        if workflow::engine::can_see(p, &instance, &steps) {
            return Ok(row);
        }
    }
    Err(ApiError::not_found("pre-approval"))
}

/// Pre-approvals: one's own and those of the offices `expense:read` reaches.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(ListClaims),
    responses(
        (status = 200, description = "A page of pre-approvals", body = Page<PreApproval>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/finance/expense-pre-approvals")]
async fn list_pre_approvals(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListClaims>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let reach = p.reach(EXPENSE_READ);
            let rows = store::list_scoped!(
                conn,
                reach,
                pa,
                PreApproval,
                req,
                desc,
                owner = (pa::requester_user_id, p.user_id),
                |query| {
                    if let Some(v) = q.status {
                        query = query.filter(pa::status.eq(v));
                    }
                    if let Some(v) = q.office_id {
                        query = query.filter(pa::office_id.eq(v));
                    }
                    if let Some(v) = q.claimant_user_id {
                        query = query.filter(pa::requester_user_id.eq(v));
                    }
                    query
                }
            )?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One pre-approval.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Pre-approval id")),
    responses(
        (status = 200, description = "The pre-approval", body = PreApproval),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/finance/expense-pre-approvals/{id}")]
async fn get_pre_approval(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db.run(move |conn| load_pre(conn, &p, id)).await?;
    Ok(HttpResponse::Ok().json(row))
}

fn set_pre_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    let before: PreApproval = pa::table
        .find(id)
        .select(PreApproval::as_select())
        .first(conn)
        .found("pre-approval")?;
    let after: PreApproval = diesel::update(pa::table.find(id))
        .set((
            pa::status.eq(status),
            pa::rejection_reason.eq(reason),
            pa::version.eq(pa::version + 1),
        ))
        .returning(pa::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new(status, "expense_pre_approval", id, Some(after.office_id))
            .before(&before)
            .after(&after),
    )?;
    Ok(())
}

/// Pre-approvals in the approval engine.
pub struct PreApprovalDocument;

impl ApprovalDocument for PreApprovalDocument {
    fn doc_type(&self) -> &'static str {
        PRE_APPROVAL_DOC
    }

    /// Large spending is approved by the office director and then HQ
    /// (公司領導審批大額支出).
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Large expense pre-approval (大額費用事前審批)".to_owned(),
            steps: vec![
                role("office_director", "office_director"),
                role("hq_executive", "hq_approval"),
            ],
            allow_same_approver: false,
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let r: PreApproval = pa::table
            .find(doc_id)
            .select(PreApproval::as_select())
            .first(conn)
            .found("pre-approval")?;
        Ok(DocumentInfo {
            office_id: Some(r.office_id),
            owner_user_id: r.requester_user_id,
            owner_department_id: None,
            amount: Some(r.estimated_amount),
            currency: r.currency,
            category: Some(r.category),
            summary: format!("{} {}", r.number, r.purpose),
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
        set_pre_status(conn, actor, doc_id, status, reason)
    }
}
