//! Customer files (客戶檔案): basic data, classification (potential / intent / key
//! account), source channel, owning sales person, credit limit, payment terms and
//! credit rating (信用額度和賬期), contacts, and the interaction log (calls,
//! visits, e-mails, meetings). A key account (重要客戶) must have a named owner and
//! a maintenance plan with a review date. Duplicates are merged, keeping the
//! history of both. Every record belongs to an office and is scoped to it.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, PreconditionFailed,
    PreconditionRequired, ServiceUnavailable, Unauthorized, UnprocessableEntity,
};
use kernel::{
    Actor, ApiError, Currency, ErrorCode, IfMatch, Page, PageRequest, Principal, ValidJson,
    ValidQuery, etag,
};
use org::roles::{CUSTOMER_MANAGE, CUSTOMER_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{customer_contacts as cc, customer_interactions as ci, customers as c};
use store::{AnyConnection, Db, DbResultExt, MultiBackend};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::{Validate, ValidationError};

use crate::uscc;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_customers)
        .service(create_customer)
        .service(get_customer)
        .service(update_customer)
        .service(merge_customer)
        .service(list_contacts)
        .service(create_contact)
        .service(list_interactions)
        .service(create_interaction);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// 潛在客戶
    Potential,
    /// 意向客戶
    Intent,
    /// 重要客戶
    KeyAccount,
}

impl Classification {
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Potential => "potential",
            Classification::Intent => "intent",
            Classification::KeyAccount => "key_account",
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InteractionKind {
    Call,
    Visit,
    Email,
    Meeting,
}

impl InteractionKind {
    fn as_str(self) -> &'static str {
        match self {
            InteractionKind::Call => "call",
            InteractionKind::Visit => "visit",
            InteractionKind::Email => "email",
            InteractionKind::Meeting => "meeting",
        }
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = c)]
#[schema(as = Customer)]
pub struct Customer {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "廣州明光照明工程有限公司")]
    pub name: String,
    /// Unified social credit code (統一社會信用代碼), unique within the company.
    #[schema(example = "91350100M000100Y43")]
    pub uscc: Option<String>,
    pub industry: Option<String>,
    pub address: Option<String>,
    #[schema(value_type = Classification)]
    pub classification: String,
    /// Where the customer came from: trade show, referral, website...
    pub source_channel: Option<String>,
    /// The owning sales person.
    pub owner_user_id: Option<i64>,
    /// Credit limit in minor units (分).
    pub credit_limit: i64,
    #[schema(example = "CNY")]
    pub currency: String,
    /// Payment terms (賬期) in days.
    pub payment_terms_days: i32,
    /// `A` (best) to `D`.
    pub credit_rating: Option<String>,
    /// A key account's maintenance plan.
    pub maintenance_plan: Option<String>,
    /// When the key account's plan is next reviewed.
    pub next_review_on: Option<NaiveDate>,
    /// `active`, or `merged` into `merged_into_id`.
    pub status: String,
    pub merged_into_id: Option<i64>,
    pub created_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

fn validate_uscc(code: &str) -> Result<(), ValidationError> {
    uscc::check(code).map_err(|why| {
        let mut e = ValidationError::new("uscc");
        e.message = Some(why.into());
        e
    })
}

fn validate_rating(r: &str) -> Result<(), ValidationError> {
    if matches!(r, "A" | "B" | "C" | "D") {
        Ok(())
    } else {
        let mut e = ValidationError::new("rating");
        e.message = Some("must be A, B, C or D".into());
        Err(e)
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    /// The office the customer belongs to; defaults to the caller's.
    pub office_id: Option<i64>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(custom(function = "validate_uscc"))]
    #[schema(
        min_length = 18,
        max_length = 18,
        pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$"
    )]
    pub uscc: Option<String>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub industry: Option<String>,
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub address: Option<String>,
    pub classification: Classification,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub source_channel: Option<String>,
    pub owner_user_id: Option<i64>,
    /// Minor units; default 0 (no credit).
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub credit_limit: Option<i64>,
    pub currency: Option<Currency>,
    #[validate(range(min = 0, max = 365))]
    #[schema(minimum = 0, maximum = 365)]
    pub payment_terms_days: Option<i32>,
    #[validate(custom(function = "validate_rating"))]
    #[schema(pattern = "^[ABCD]$")]
    pub credit_rating: Option<String>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub maintenance_plan: Option<String>,
    pub next_review_on: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[validate(custom(function = "validate_uscc"))]
    #[schema(value_type = Option<String>, min_length = 18, max_length = 18)]
    pub uscc: Option<Option<String>>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub industry: Option<Option<String>>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    pub classification: Option<Classification>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub source_channel: Option<Option<String>>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[schema(value_type = Option<i64>)]
    pub owner_user_id: Option<Option<i64>>,
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub credit_limit: Option<i64>,
    #[validate(range(min = 0, max = 365))]
    #[schema(minimum = 0, maximum = 365)]
    pub payment_terms_days: Option<i32>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[validate(custom(function = "validate_rating"))]
    #[schema(value_type = Option<String>)]
    pub credit_rating: Option<Option<String>>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub maintenance_plan: Option<Option<String>>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[schema(value_type = Option<String>, format = Date)]
    pub next_review_on: Option<Option<NaiveDate>>,
}

/// The rules that hold for every stored customer, checked after a create or
/// change is applied.
fn check_rules(conn: &mut AnyConnection, cust: &Customer) -> Result<(), ApiError> {
    if cust.classification == "key_account" {
        let mut errors = Vec::new();
        if cust.owner_user_id.is_none() {
            errors.push(kernel::FieldError::new(
                "owner_user_id",
                "required",
                "a key account must have an owner",
            ));
        }
        if cust.maintenance_plan.is_none() {
            errors.push(kernel::FieldError::new(
                "maintenance_plan",
                "required",
                "a key account must have a maintenance plan",
            ));
        }
        if cust.next_review_on.is_none() {
            errors.push(kernel::FieldError::new(
                "next_review_on",
                "required",
                "a key account's plan must have a review date",
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
    }
    if let Some(owner) = cust.owner_user_id {
        org::scope::user_of_office(conn, "owner_user_id", owner, cust.office_id)?;
    }
    Ok(())
}

fn uscc_taken(err: ApiError) -> ApiError {
    if err.code == ErrorCode::Duplicate {
        ApiError::new(
            ErrorCode::Duplicate,
            "another customer has this unified social credit code",
        )
        .with_extra("field", "uscc".into())
    } else {
        err
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListCustomers {
    /// Matches name, credit code, a contact's name or phone.
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
    pub office_id: Option<i64>,
    pub classification: Option<Classification>,
    pub owner_user_id: Option<i64>,
    /// Include customers merged into others (default false).
    pub include_merged: Option<bool>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Customers in the caller's reach, searchable with `?q=`.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ListCustomers),
    responses(
        (status = 200, description = "A page of customers", body = Page<Customer>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/sales/customers")]
async fn list_customers(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListCustomers>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(CUSTOMER_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, c, Customer, req, asc, |query| {
                if let Some(v) = q.office_id {
                    query = query.filter(c::office_id.eq(v));
                }
                if let Some(v) = q.classification {
                    query = query.filter(c::classification.eq(v.as_str()));
                }
                if let Some(v) = q.owner_user_id {
                    query = query.filter(c::owner_user_id.eq(v));
                }
                if !q.include_merged.unwrap_or(false) {
                    query = query.filter(c::status.eq("active"));
                }
                if let Some(text) = &q.q {
                    let pattern = format!("%{}%", text.to_lowercase());
                    let by_contact = cc::table
                        .filter(
                            lower(cc::name)
                                .like(pattern.clone())
                                .or(cc::phone.like(pattern.clone())),
                        )
                        .select(cc::customer_id);
                    query = query.filter(
                        lower(c::name)
                            .like(pattern.clone())
                            .or(lower(c::uscc.assume_not_null()).like(pattern))
                            .or(c::id.eq_any(by_contact)),
                    );
                }
                query
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create a customer file.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    request_body = CreateCustomer,
    responses(
        (status = 201, description = "Created", body = Customer, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/sales/customers")]
async fn create_customer(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateCustomer>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let office = body.office_id.or(p.office_id).ok_or_else(|| {
        ApiError::invalid_field(
            "office_id",
            "required",
            "is required for callers outside an office",
        )
    })?;
    let actor = p.actor(p.authorize(CUSTOMER_MANAGE, Some(office)).map_err(|e| {
        if e.code == ErrorCode::NotFound {
            ApiError::not_found("office")
        } else {
            e
        }
    })?);
    let customer = db
        .tx(move |conn| {
            org::require_open_office(conn, office)?;
            let now = kernel::time::to_db(kernel::time::now());
            let customer: Customer = diesel::insert_into(c::table)
                .values((
                    c::office_id.eq(office),
                    c::name.eq(&body.name),
                    c::uscc.eq(&body.uscc),
                    c::industry.eq(&body.industry),
                    c::address.eq(&body.address),
                    c::classification.eq(body.classification.as_str()),
                    c::source_channel.eq(&body.source_channel),
                    c::owner_user_id.eq(body.owner_user_id),
                    c::credit_limit.eq(body.credit_limit.unwrap_or(0)),
                    c::currency.eq(body.currency.clone().unwrap_or_default().as_str()),
                    c::payment_terms_days.eq(body.payment_terms_days.unwrap_or(30)),
                    c::credit_rating.eq(&body.credit_rating),
                    c::maintenance_plan.eq(&body.maintenance_plan),
                    c::next_review_on.eq(body.next_review_on),
                    c::status.eq("active"),
                    c::created_by.eq(actor.user_id),
                    c::created_at.eq(now),
                    c::updated_at.eq(now),
                    c::version.eq(1_i64),
                ))
                .returning(c::all_columns)
                .get_result(conn)
                .map_err(|e| uscc_taken(store::db_error(e)))?;
            check_rules(conn, &customer)?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "customer", customer.id, Some(office)).after(&customer),
            )?;
            Ok(customer)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sales/customers/{}", customer.id),
        ))
        .insert_header(etag(customer.version))
        .json(customer))
}

/// Loads a customer inside the caller's reach for `perm`; 404 otherwise.
fn load(
    conn: &mut AnyConnection,
    p: &Principal,
    perm: &'static str,
    id: i64,
) -> Result<(Customer, kernel::Authority), ApiError> {
    Ok(store::load_scoped!(
        conn, p, perm, c, Customer, id, "customer"
    ))
}

/// Get a customer file.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    responses(
        (status = 200, description = "The customer", body = Customer, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/sales/customers/{id}")]
async fn get_customer(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (customer, _) = db
        .run(move |conn| load(conn, &p, CUSTOMER_READ, id))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(customer.version))
        .json(customer))
}

/// Change a customer file: classification, owner, credit terms, key-account plan.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = UpdateCustomer,
    responses(
        (status = 200, description = "Updated", body = Customer, headers(("ETag" = String))),
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
#[patch("/sales/customers/{id}")]
async fn update_customer(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<UpdateCustomer>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let customer = db
        .tx(move |conn| {
            let (before, authority) = load(conn, &p, CUSTOMER_MANAGE, id)?;
            let actor = p.actor(authority);
            if before.status != "active" {
                return Err(ApiError::invalid_transition("update", &before.status, &[]));
            }
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            let classification = b
                .classification
                .map_or_else(|| before.classification.clone(), |k| k.as_str().to_owned());
            let after: Customer =
                diesel::update(c::table.find(id).filter(c::version.eq(if_match.0)))
                    .set((
                        c::name.eq(b.name.as_deref().unwrap_or(&before.name)),
                        c::uscc.eq(b.uscc.clone().unwrap_or(before.uscc.clone())),
                        c::industry.eq(b.industry.clone().unwrap_or(before.industry.clone())),
                        c::address.eq(b.address.clone().unwrap_or(before.address.clone())),
                        c::classification.eq(&classification),
                        c::source_channel.eq(b
                            .source_channel
                            .clone()
                            .unwrap_or(before.source_channel.clone())),
                        c::owner_user_id.eq(b.owner_user_id.unwrap_or(before.owner_user_id)),
                        c::credit_limit.eq(b.credit_limit.unwrap_or(before.credit_limit)),
                        c::payment_terms_days
                            .eq(b.payment_terms_days.unwrap_or(before.payment_terms_days)),
                        c::credit_rating.eq(b
                            .credit_rating
                            .clone()
                            .unwrap_or(before.credit_rating.clone())),
                        c::maintenance_plan.eq(b
                            .maintenance_plan
                            .clone()
                            .unwrap_or(before.maintenance_plan.clone())),
                        c::next_review_on.eq(b.next_review_on.unwrap_or(before.next_review_on)),
                        c::updated_at.eq(kernel::time::to_db(kernel::time::now())),
                        c::version.eq(c::version + 1),
                    ))
                    .returning(c::all_columns)
                    .get_result(conn)
                    .optional()
                    .map_err(|e| uscc_taken(store::db_error(e)))?
                    .ok_or_else(|| version_conflict(before.version + 1))?;
            check_rules(conn, &after)?;
            audit::record(
                conn,
                &actor,
                Change::new("update", "customer", id, Some(after.office_id))
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(customer.version))
        .json(customer))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeCustomer {
    /// The customer that remains; this one's contacts and interactions move to it.
    pub into_customer_id: i64,
}

/// Merge a duplicate into another customer of the same office. Contacts and the
/// interaction log move to the remaining customer; the duplicate stays, marked
/// `merged`, so both histories remain.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The duplicate"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = MergeCustomer,
    responses(
        (status = 200, description = "Merged: the remaining customer", body = Customer, headers(("ETag" = String))),
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
#[post("/sales/customers/{id}/merge")]
async fn merge_customer(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<MergeCustomer>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let into = body.into_inner().into_customer_id;
    let kept = db
        .tx(move |conn| {
            let (dup, authority) = load(conn, &p, CUSTOMER_MANAGE, id)?;
            let actor = p.actor(authority);
            if into == id {
                return Err(ApiError::invalid_field(
                    "into_customer_id",
                    "self",
                    "a customer cannot be merged into itself",
                ));
            }
            // The customer kept is one of the duplicate's office; any other
            // answers as one that does not exist.
            let target = store::reference!(
                conn,
                c,
                Customer,
                into,
                dup.office_id,
                "into_customer_id",
                "customer"
            )?;
            if dup.status != "active" || target.status != "active" {
                return Err(ApiError::invalid_transition("merge", "merged", &[]));
            }
            if dup.version != if_match.0 {
                return Err(version_conflict(dup.version));
            }
            diesel::update(cc::table.filter(cc::customer_id.eq(id)))
                .set((cc::customer_id.eq(into), cc::is_primary.eq(false)))
                .execute(conn)
                .api()?;
            diesel::update(ci::table.filter(ci::customer_id.eq(id)))
                .set(ci::customer_id.eq(into))
                .execute(conn)
                .api()?;
            let merged: Customer =
                diesel::update(c::table.find(id).filter(c::version.eq(if_match.0)))
                    .set((
                        c::status.eq("merged"),
                        c::merged_into_id.eq(Some(into)),
                        // The code moves to the remaining customer when it has none.
                        c::uscc.eq(None::<String>),
                        c::updated_at.eq(kernel::time::to_db(kernel::time::now())),
                        c::version.eq(c::version + 1),
                    ))
                    .returning(c::all_columns)
                    .get_result(conn)
                    .api()?;
            let kept: Customer = if target.uscc.is_none() && dup.uscc.is_some() {
                diesel::update(c::table.find(into))
                    .set((c::uscc.eq(&dup.uscc), c::version.eq(c::version + 1)))
                    .returning(c::all_columns)
                    .get_result(conn)
                    .api()?
            } else {
                target.clone()
            };
            audit::record(
                conn,
                &actor,
                Change::new("merge", "customer", id, Some(dup.office_id))
                    .before(&dup)
                    .after(&merged),
            )?;
            audit::record(
                conn,
                &actor,
                Change::new("absorb", "customer", into, Some(kept.office_id))
                    .before(&target)
                    .after(&serde_json::json!({"merged_from": id, "uscc": kept.uscc})),
            )?;
            Ok(kept)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(kept.version))
        .json(kept))
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = cc)]
pub struct Contact {
    pub id: i64,
    pub customer_id: i64,
    pub office_id: i64,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// One contact per customer is primary.
    pub is_primary: bool,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContact {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub title: Option<String>,
    #[validate(length(min = 3, max = 40))]
    #[schema(min_length = 3, max_length = 40)]
    pub phone: Option<String>,
    #[validate(email)]
    #[schema(format = Email)]
    pub email: Option<String>,
    /// Make this the primary contact (the previous primary is no longer).
    #[serde(default)]
    pub is_primary: bool,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A customer's contacts.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id"), PageQuery),
    responses(
        (status = 200, description = "A page of contacts", body = Page<Contact>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/sales/customers/{id}/contacts")]
async fn list_contacts(
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
            let (customer, _) = load(conn, &p, CUSTOMER_READ, id)?;
            let mut query = cc::table
                .filter(
                    cc::customer_id
                        .eq(customer.id)
                        .and(cc::office_id.eq(customer.office_id)),
                )
                .select(Contact::as_select())
                .into_boxed::<MultiBackend>();
            if let Some(after) = req.after {
                query = query.filter(cc::id.gt(after));
            }
            let rows: Vec<Contact> = query
                .order(cc::id.asc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Add a contact.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    request_body = CreateContact,
    responses(
        (status = 201, description = "Added", body = Contact),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/sales/customers/{id}/contacts")]
async fn create_contact(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<CreateContact>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let contact = db
        .tx(move |conn| {
            let (customer, authority) = load(conn, &p, CUSTOMER_MANAGE, id)?;
            active(&customer)?;
            let actor = p.actor(authority);
            let existing: i64 = cc::table
                .filter(cc::customer_id.eq(id))
                .count()
                .get_result(conn)
                .api()?;
            // The first contact is the primary one; a new primary replaces the old.
            let primary = body.is_primary || existing == 0;
            if primary {
                diesel::update(cc::table.filter(cc::customer_id.eq(id)))
                    .set(cc::is_primary.eq(false))
                    .execute(conn)
                    .api()?;
            }
            let contact: Contact = diesel::insert_into(cc::table)
                .values((
                    cc::customer_id.eq(id),
                    cc::office_id.eq(customer.office_id),
                    cc::name.eq(&body.name),
                    cc::title.eq(&body.title),
                    cc::phone.eq(&body.phone),
                    cc::email.eq(&body.email),
                    cc::is_primary.eq(primary),
                    cc::created_at.eq(kernel::time::to_db(kernel::time::now())),
                ))
                .returning(cc::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new(
                    "create",
                    "customer_contact",
                    contact.id,
                    Some(customer.office_id),
                )
                .after(&contact),
            )?;
            Ok(contact)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sales/customers/{id}/contacts"),
        ))
        .json(contact))
}

fn active(customer: &Customer) -> Result<(), ApiError> {
    if customer.status == "active" {
        Ok(())
    } else {
        Err(ApiError::invalid_transition(
            "add to",
            &customer.status,
            &[],
        ))
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ci)]
pub struct Interaction {
    pub id: i64,
    pub customer_id: i64,
    pub office_id: i64,
    #[schema(value_type = InteractionKind)]
    pub kind: String,
    pub occurred_on: NaiveDate,
    pub summary: String,
    pub next_step: Option<String>,
    /// Who had the interaction.
    pub user_id: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInteraction {
    pub kind: InteractionKind,
    pub occurred_on: NaiveDate,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub summary: String,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub next_step: Option<String>,
}

/// A customer's interaction log, newest first.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id"), PageQuery),
    responses(
        (status = 200, description = "A page of interactions", body = Page<Interaction>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/sales/customers/{id}/interactions")]
async fn list_interactions(
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
            let (customer, _) = load(conn, &p, CUSTOMER_READ, id)?;
            let mut query = ci::table
                .filter(
                    ci::customer_id
                        .eq(customer.id)
                        .and(ci::office_id.eq(customer.office_id)),
                )
                .select(Interaction::as_select())
                .into_boxed::<MultiBackend>();
            if let Some(before) = req.after {
                query = query.filter(ci::id.lt(before));
            }
            let rows: Vec<Interaction> = query
                .order(ci::id.desc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Log a call, visit, e-mail or meeting with its next step.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    request_body = CreateInteraction,
    responses(
        (status = 201, description = "Logged", body = Interaction),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/sales/customers/{id}/interactions")]
async fn create_interaction(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<CreateInteraction>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let today = kernel::time::now().date_naive();
    if body.occurred_on > today {
        return Err(ApiError::invalid_field(
            "occurred_on",
            "range",
            "an interaction cannot be logged before it happens",
        ));
    }
    let interaction = db
        .tx(move |conn| {
            let (customer, authority) = load(conn, &p, CUSTOMER_MANAGE, id)?;
            active(&customer)?;
            let actor: Actor = p.actor(authority);
            let row: Interaction = diesel::insert_into(ci::table)
                .values((
                    ci::customer_id.eq(id),
                    ci::office_id.eq(customer.office_id),
                    ci::kind.eq(body.kind.as_str()),
                    ci::occurred_on.eq(body.occurred_on),
                    ci::summary.eq(&body.summary),
                    ci::next_step.eq(&body.next_step),
                    ci::user_id.eq(p.user_id),
                    ci::created_at.eq(kernel::time::to_db(kernel::time::now())),
                ))
                .returning(ci::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new(
                    "create",
                    "customer_interaction",
                    row.id,
                    Some(customer.office_id),
                )
                .after(&row),
            )?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sales/customers/{id}/interactions"),
        ))
        .json(interaction))
}
