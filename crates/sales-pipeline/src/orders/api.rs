//! The order endpoints under `/sales/orders`: entering an order (with the
//! credit-limit check and the override it may use), the order book, reading
//! one, moving it along the flow and its status history, with their request
//! bodies. The records and the flow itself live in the parent module.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{Actor, ApiError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag};
use org::roles::{SALES_MANAGE, SALES_READ};
use serde::Deserialize;
use store::audit::{self, Change};
use store::schema::{
    contracts as ct, credit_overrides as co, customers as c, sales_order_events as ev,
    sales_orders as so,
};
use store::{AnyConnection, Db, DbResultExt, MultiBackend};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::credit::{credit_exposure, credit_refusal};
use super::overrides::CreditOverride;
use super::{LINES, Order, OrderEvent, OrderStatus, OrderView};
use crate::common::{
    PageQuery, PricedLineInput, check_lines, customer_of_office, insert_lines, lines_of,
    lines_of_many, load_scoped, now_db, office_for_create, totals, user_of_office,
};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrder {
    /// Defaults to the caller's office.
    pub office_id: Option<i64>,
    /// A customer of the order's office.
    pub customer_id: i64,
    /// A signed contract of the same customer.
    pub contract_id: Option<i64>,
    /// Defaults to the customer's owner.
    pub sales_user_id: Option<i64>,
    /// Defaults to today.
    pub ordered_on: Option<NaiveDate>,
    pub delivery_date: NaiveDate,
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<PricedLineInput>,
    /// An approved, unused credit override of this customer, when the order
    /// would exceed the credit limit.
    pub credit_override_id: Option<i64>,
}

pub fn enter(
    conn: &mut AnyConnection,
    p: &Principal,
    actor: &Actor,
    office: i64,
    ordered_on: NaiveDate,
    b: CreateOrder,
) -> Result<OrderView, ApiError> {
    let code = org::office_code(conn, office)?;
    let customer = customer_of_office(conn, "customer_id", b.customer_id, office)?;
    check_lines(&b.lines)?;
    let total = totals(&b.lines)?.total;
    if let Some(cid) = b.contract_id {
        let row: Option<(i64, String)> = ct::table
            .filter(ct::id.eq(cid).and(ct::office_id.eq(office)))
            .select((ct::customer_id, ct::status))
            .first(conn)
            .optional()
            .api()?;
        match row {
            Some((cust, _)) if cust != customer.id => {
                return Err(ApiError::invalid_field(
                    "contract_id",
                    "customer",
                    "the contract is with another customer",
                ));
            }
            Some((_, status)) if crate::contracts::BINDING.contains(&status.as_str()) => {}
            Some(_) => {
                return Err(ApiError::invalid_field(
                    "contract_id",
                    "not_signed",
                    "orders are entered against a signed contract",
                ));
            }
            None => {
                return Err(ApiError::invalid_field(
                    "contract_id",
                    "not_found",
                    "no such contract in this office",
                ));
            }
        }
    }
    let sales_user = b.sales_user_id.or(customer.owner_user_id);
    if let Some(u) = b.sales_user_id {
        user_of_office(conn, "sales_user_id", u, office)?;
    }
    // Take the customer's row lock first (a no-op write), so two orders
    // for the same customer check the limit one after the other.
    diesel::update(c::table.find(customer.id))
        .set(c::version.eq(c::version))
        .execute(conn)
        .api()?;
    let exposure = credit_exposure(conn, customer.id)?;
    let excess = exposure + total - customer.credit_limit;
    let mut override_used = None;
    if excess > 0 {
        let Some(oid) = b.credit_override_id else {
            return Err(credit_refusal(customer.credit_limit, exposure, total));
        };
        let ov: Option<CreditOverride> = co::table
            .filter(co::id.eq(oid).and(co::customer_id.eq(customer.id)))
            .select(CreditOverride::as_select())
            .first(conn)
            .optional()
            .api()?;
        match ov {
            Some(ov) if ov.status == "approved" && ov.order_id.is_none() => {
                if ov.amount < excess {
                    return Err(credit_refusal(customer.credit_limit, exposure, total)
                        .with_extra("override_amount", ov.amount.into()));
                }
                override_used = Some(ov);
            }
            Some(_) => {
                return Err(ApiError::invalid_field(
                    "credit_override_id",
                    "not_usable",
                    "the override is not approved, or was used already",
                ));
            }
            None => {
                return Err(ApiError::invalid_field(
                    "credit_override_id",
                    "not_found",
                    "no credit override of this customer",
                ));
            }
        }
    }
    let number = store::docnum::next(conn, office, &code, "SO", kernel::time::now().year())?;
    let now = now_db();
    let order: Order = diesel::insert_into(so::table)
        .values((
            so::office_id.eq(office),
            so::number.eq(&number),
            so::customer_id.eq(customer.id),
            so::contract_id.eq(b.contract_id),
            so::sales_user_id.eq(sales_user),
            so::ordered_on.eq(ordered_on),
            so::delivery_date.eq(b.delivery_date),
            so::currency.eq(&customer.currency),
            so::total.eq(total),
            so::status.eq("entered"),
            so::credit_override_id.eq(override_used.as_ref().map(|o| o.id)),
            so::created_by.eq(p.user_id),
            so::created_at.eq(now),
            so::updated_at.eq(now),
            so::version.eq(1_i64),
        ))
        .returning(so::all_columns)
        .get_result(conn)
        .api()?;
    let lines = insert_lines(conn, LINES, order.id, office, &b.lines)?;
    event(conn, p, &order, None, None)?;
    if let Some(ov) = override_used {
        let used: CreditOverride =
            diesel::update(co::table.find(ov.id).filter(co::order_id.is_null()))
                .set((
                    co::order_id.eq(Some(order.id)),
                    co::updated_at.eq(now),
                    co::version.eq(co::version + 1),
                ))
                .returning(co::all_columns)
                .get_result(conn)
                .api()?;
        audit::record(
            conn,
            actor,
            Change::new("use", "credit_override", ov.id, Some(office))
                .before(&ov)
                .after(&used),
        )?;
    }
    let v = OrderView { order, lines };
    audit::record(
        conn,
        actor,
        Change::new("create", "sales_order", v.order.id, Some(office)).after(&v),
    )?;
    Ok(v)
}

/// Enter an order. It is checked against the customer's credit limit; see
/// `credit_limit_exceeded`.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    request_body = CreateOrder,
    responses(
        (status = 201, description = "Entered", body = OrderView, headers(("Location" = String), ("ETag" = String))),
        WriteErrors
    )
)]
#[post("/sales/orders")]
pub(super) async fn create_order(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateOrder>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let (office, authority) = office_for_create(&p, SALES_MANAGE, b.office_id)?;
    let actor = p.actor(authority);
    let ordered_on = b
        .ordered_on
        .unwrap_or_else(|| kernel::time::now().date_naive());
    if b.delivery_date < ordered_on {
        return Err(ApiError::invalid_field(
            "delivery_date",
            "range",
            "delivery cannot come before the order",
        ));
    }
    let v = db
        .tx(move |conn| enter(conn, &p, &actor, office, ordered_on, b))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sales/orders/{}", v.order.id),
        ))
        .insert_header(etag(v.order.version))
        .json(v))
}

fn event(
    conn: &mut AnyConnection,
    p: &Principal,
    order: &Order,
    from: Option<&str>,
    note: Option<&str>,
) -> Result<(), ApiError> {
    diesel::insert_into(ev::table)
        .values((
            ev::order_id.eq(order.id),
            ev::office_id.eq(order.office_id),
            ev::from_status.eq(from),
            ev::to_status.eq(&order.status),
            ev::note.eq(note),
            ev::user_id.eq(p.user_id),
            ev::created_at.eq(now_db()),
        ))
        .execute(conn)
        .api()?;
    Ok(())
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListOrders {
    pub office_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub status: Option<OrderStatus>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The order book (訂單臺賬) of the offices in the caller's reach.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ListOrders),
    responses((status = 200, description = "A page of orders", body = Page<OrderView>), ReadErrors)
)]
#[get("/sales/orders")]
pub(super) async fn list_orders(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListOrders>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, so, Order, req, asc, |q| {
                if let Some(v) = f.office_id {
                    q = q.filter(so::office_id.eq(v));
                }
                if let Some(v) = f.customer_id {
                    q = q.filter(so::customer_id.eq(v));
                }
                if let Some(v) = f.contract_id {
                    q = q.filter(so::contract_id.eq(v));
                }
                if let Some(v) = f.status {
                    q = q.filter(so::status.eq(v.as_str()));
                }
                q
            })?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let mut lines = lines_of_many(conn, LINES, &ids)?;
            Ok(req.page(
                rows,
                |r| r.id,
                |order| OrderView {
                    lines: lines.remove(&order.id).unwrap_or_default(),
                    order,
                },
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// An order with its lines.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Order id")),
    responses((status = 200, description = "The order", body = OrderView, headers(("ETag" = String))), ReadErrors)
)]
#[get("/sales/orders/{id}")]
pub(super) async fn get_order(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let v = db
        .run(move |conn| {
            let (order, _) = load_scoped!(conn, p, SALES_READ, so, Order, id, "order");
            let lines = lines_of(conn, LINES, order.id)?;
            Ok(OrderView { order, lines })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(v.order.version))
        .json(v))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveOrder {
    pub status: OrderStatus,
    /// Required for `shipped`.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "順豐速運")]
    pub carrier: Option<String>,
    /// Required for `shipped`.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "SF1400238877651")]
    pub tracking_number: Option<String>,
    /// Required for `cancelled`.
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: Option<String>,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub note: Option<String>,
}

pub fn advance(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    version: i64,
    b: MoveOrder,
) -> Result<Order, ApiError> {
    let (before, authority) = load_scoped!(conn, p, SALES_MANAGE, so, Order, id, "order");
    if before.version != version {
        return Err(version_conflict(before.version));
    }
    let allowed = OrderStatus::next_allowed(&before.status);
    if !allowed.contains(&b.status) {
        let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
        return Err(ApiError::invalid_transition(
            &format!("move to {}", b.status.as_str()),
            &before.status,
            &names,
        ));
    }
    let mut carrier = before.carrier.clone();
    let mut tracking = before.tracking_number.clone();
    let mut reason = None;
    match b.status {
        OrderStatus::Shipped => {
            let mut errors = Vec::new();
            if b.carrier.is_none() {
                errors.push(kernel::FieldError::new(
                    "carrier",
                    "required",
                    "a shipment names its carrier",
                ));
            }
            if b.tracking_number.is_none() {
                errors.push(kernel::FieldError::new(
                    "tracking_number",
                    "required",
                    "a shipment has a tracking number",
                ));
            }
            if !errors.is_empty() {
                return Err(ApiError::validation(errors));
            }
            carrier = b.carrier.clone();
            tracking = b.tracking_number.clone();
        }
        OrderStatus::Cancelled => {
            reason = Some(b.reason.clone().ok_or_else(|| {
                ApiError::invalid_field("reason", "required", "a cancellation needs the reason")
            })?);
        }
        _ => {}
    }
    let after: Order = diesel::update(so::table.find(id).filter(so::version.eq(version)))
        .set((
            so::status.eq(b.status.as_str()),
            so::carrier.eq(carrier),
            so::tracking_number.eq(tracking),
            so::cancel_reason.eq(reason),
            so::updated_at.eq(now_db()),
            so::version.eq(so::version + 1),
        ))
        .returning(so::all_columns)
        .get_result(conn)
        .optional()
        .api()?
        .ok_or_else(|| version_conflict(before.version + 1))?;
    let note = b.note.as_deref().or(b.reason.as_deref());
    event(conn, p, &after, Some(&before.status), note)?;
    audit::record(
        conn,
        &p.actor(authority),
        Change::new(b.status.as_str(), "sales_order", id, Some(after.office_id))
            .before(&before)
            .after(&after),
    )?;
    Ok(after)
}

/// Move an order one step on (entered → in_production → shipped → installed →
/// trained → completed), or cancel it before shipping. A skipped step is a 409
/// listing what is allowed.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Order id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = MoveOrder,
    responses((status = 200, description = "Moved", body = Order, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/sales/orders/{id}/status")]
pub(super) async fn move_order(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<MoveOrder>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let order = db
        .tx(move |conn| advance(conn, &p, id, if_match.0, b))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(order.version))
        .json(order))
}

/// An order's status history, oldest first — what the customer is told.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Order id"), PageQuery),
    responses((status = 200, description = "A page of status changes", body = Page<OrderEvent>), ReadErrors)
)]
#[get("/sales/orders/{id}/events")]
pub(super) async fn order_events(
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
            let (order, _) = load_scoped!(conn, p, SALES_READ, so, Order, id, "order");
            let mut query = ev::table
                .filter(ev::order_id.eq(order.id))
                .filter(ev::office_id.eq(order.office_id))
                .select(OrderEvent::as_select())
                .into_boxed::<MultiBackend>();
            if let Some(after) = req.after {
                query = query.filter(ev::id.gt(after));
            }
            let rows: Vec<OrderEvent> = query
                .order(ev::id.asc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
