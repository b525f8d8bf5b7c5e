//! The expense-claim endpoints under `/finance/expense-claims`: filing a
//! draft, listing, reading, changing, submitting to approval and recording
//! payment, with the filing and submission steps the demo loader shares and
//! the storing and loading of claim lines.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, PreconditionFailed,
    PreconditionRequired, ServiceUnavailable, Unauthorized, UnprocessableEntity,
};
use kernel::{
    Actor, ApiError, ErrorCode, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{EXPENSE_PAY, EXPENSE_READ};
use serde::Deserialize;
use store::audit::{self, Change};
use store::schema::{expense_claim_lines as el, expense_claims as ec};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;
use workflow::Registry;

use super::rules::{
    caller_office, check_invoices, check_pre_approval, check_references, link_trips,
};
use super::{CLAIM_DOC, ClaimInput, ClaimLineInput, ClaimRow, ExpenseClaim, LineRow};
use crate::facts::{TripFacts, Trips};

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
    let code = org::office_code(conn, office)?;
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
    check_pre_approval(conn, registry, before)?;
    // Set before the engine reads the claim, so every approver sees the mark.
    let over = crate::budgets::check_claim(conn, before)?;
    diesel::update(ec::table.find(before.id))
        .set(ec::over_budget.eq(over))
        .execute(conn)
        .api()?;
    let row: ClaimRow = workflow::submit_and_keep!(
        conn,
        registry,
        CLAIM_DOC,
        ec,
        ClaimRow,
        before.id,
        actor,
        set = (
            ec::status.eq("in_approval"),
            ec::rejection_reason.eq(None::<String>),
            ec::version.eq(ec::version + 1)
        )
    )?;
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
pub(super) async fn create_claim(
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
/// A claim the caller may read: their own, one of an office `expense:read`
/// reaches, or one they see through its approval — all in the query.
fn load_claim(conn: &mut AnyConnection, p: &Principal, id: i64) -> Result<ClaimRow, ApiError> {
    store::load_scoped!(
        conn,
        reach = p.reach(EXPENSE_READ),
        from = (
            ec::table.select(ClaimRow::as_select()),
            ec::office_id,
            ec::id
        ),
        also = ec::claimant_user_id
            .eq(p.user_id)
            .or(workflow::seen_through_approval!(conn, p, CLAIM_DOC, ec, id)),
        ClaimRow,
        id,
        "expense claim"
    )
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
pub(super) async fn list_claims(
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
pub(super) async fn get_claim(
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
pub(super) async fn update_claim(
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
pub(super) async fn submit_claim(
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
pub(super) async fn pay_claim(
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
