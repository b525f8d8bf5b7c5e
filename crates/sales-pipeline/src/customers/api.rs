//! The customer file's routes: list and search (by name, credit code, or a
//! contact's name or phone), create, get, change, and merge a duplicate into
//! another customer of the same office. The rules they apply are in the parent
//! module.

use actix_web::{HttpResponse, get, patch, post, web};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, PreconditionFailed,
    PreconditionRequired, ServiceUnavailable, Unauthorized, UnprocessableEntity,
};
use kernel::{
    ApiError, ErrorCode, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{CUSTOMER_MANAGE, CUSTOMER_READ};
use store::audit::{self, Change};
use store::schema::{customer_contacts as cc, customer_interactions as ci, customers as c};
use store::{Db, DbResultExt};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{
    CreateCustomer, Customer, ListCustomers, MergeCustomer, UpdateCustomer, check_owner,
    check_rules, load, uscc_taken,
};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_customers)
        .service(create_customer)
        .service(get_customer)
        .service(update_customer)
        .service(merge_customer);
}

use store::search::lower;

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
                    let pattern = store::search::pattern(text);
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
            org::office_code(conn, office)?;
            check_owner(conn, body.owner_user_id, office)?;
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
            check_rules(&customer)?;
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
            if let Some(owner) = b.owner_user_id {
                check_owner(conn, owner, before.office_id)?;
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
            check_rules(&after)?;
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
