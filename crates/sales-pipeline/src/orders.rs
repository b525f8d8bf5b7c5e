//! Orders (銷售訂單臺賬): entered by the office after a contract is signed, with
//! a number, the customer, the contract, priced lines and a delivery date, then
//! followed through production → shipping (carrier, tracking number) →
//! installation and commissioning → customer training → completed, or
//! cancelled with a reason. Every status change is kept.
//!
//! An order that would take the customer over their credit limit (信用額度) is
//! refused with 409 `credit_limit_exceeded`, unless a credit override approved
//! through the engine (office director, then HQ finance) covers the excess.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, ErrorCode, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{SALES_MANAGE, SALES_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{
    contracts as ct, credit_overrides as co, customers as c, payments_received as pr,
    sales_order_events as ev, sales_orders as so,
};
use store::{AnyConnection, Db, DbResultExt, MultiBackend};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::policy::{PolicyDef, role};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

use crate::common::{
    Line, PageQuery, PricedLineInput, check_lines, customer_of_office, insert_lines, lines_of,
    lines_of_many, load_scoped, now_db, office_for_create, totals, user_of_office,
};

pub const LINES: &str = "order";
pub const OVERRIDE_DOC: &str = "credit_override";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_orders)
        .service(create_order)
        .service(get_order)
        .service(move_order)
        .service(order_events)
        .service(list_overrides)
        .service(request_override)
        .service(get_override);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Entered,
    InProduction,
    Shipped,
    Installed,
    Trained,
    Completed,
    Cancelled,
}

/// The order of the flow; `cancelled` leaves it.
pub const FLOW: [OrderStatus; 6] = [
    OrderStatus::Entered,
    OrderStatus::InProduction,
    OrderStatus::Shipped,
    OrderStatus::Installed,
    OrderStatus::Trained,
    OrderStatus::Completed,
];

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Entered => "entered",
            OrderStatus::InProduction => "in_production",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Installed => "installed",
            OrderStatus::Trained => "trained",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// The one next status in the flow, and `cancelled` before shipping.
    pub fn next_allowed(current: &str) -> Vec<OrderStatus> {
        let Some(i) = FLOW.iter().position(|s| s.as_str() == current) else {
            return Vec::new();
        };
        let mut out: Vec<OrderStatus> = FLOW.get(i + 1).copied().into_iter().collect();
        if i <= 1 {
            out.push(OrderStatus::Cancelled);
        }
        out
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = so)]
pub struct Order {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "SO-GZ-2026-0001")]
    pub number: String,
    pub customer_id: i64,
    pub contract_id: Option<i64>,
    /// The sales person credited with the order.
    pub sales_user_id: Option<i64>,
    pub ordered_on: NaiveDate,
    pub delivery_date: NaiveDate,
    pub currency: String,
    /// The sum of the line amounts, minor units.
    pub total: i64,
    #[schema(value_type = OrderStatus)]
    pub status: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub cancel_reason: Option<String>,
    /// The approved credit override the order used.
    pub credit_override_id: Option<i64>,
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
pub struct OrderView {
    #[serde(flatten)]
    pub order: Order,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ev)]
pub struct OrderEvent {
    pub id: i64,
    pub order_id: i64,
    pub office_id: i64,
    #[schema(value_type = Option<OrderStatus>)]
    pub from_status: Option<String>,
    #[schema(value_type = OrderStatus)]
    pub to_status: String,
    pub note: Option<String>,
    pub user_id: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

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

/// What the customer owes or has on order: the totals of their orders not
/// cancelled, less every payment received from them; never below zero.
pub fn credit_exposure(conn: &mut AnyConnection, customer_id: i64) -> Result<i64, ApiError> {
    let orders: Vec<i64> = so::table
        .filter(
            so::customer_id
                .eq(customer_id)
                .and(so::status.ne("cancelled")),
        )
        .select(so::total)
        .load(conn)
        .api()?;
    let paid: Vec<i64> = pr::table
        .filter(pr::customer_id.eq(customer_id))
        .select(pr::amount)
        .load(conn)
        .api()?;
    Ok((orders.iter().sum::<i64>() - paid.iter().sum::<i64>()).max(0))
}

fn credit_refusal(limit: i64, exposure: i64, total: i64) -> ApiError {
    let excess = exposure + total - limit;
    ApiError::new(
        ErrorCode::CreditLimitExceeded,
        format!(
            "the order ({total}) on top of the customer's exposure ({exposure}) exceeds the credit limit ({limit}) by {excess}; request a credit override"
        ),
    )
    .with_extra("credit_limit", limit.into())
    .with_extra("exposure", exposure.into())
    .with_extra("order_total", total.into())
    .with_extra("excess", excess.into())
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
async fn create_order(
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
async fn list_orders(
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
async fn get_order(
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
async fn move_order(
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
async fn order_events(
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

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = co)]
pub struct CreditOverride {
    pub id: i64,
    pub office_id: i64,
    pub customer_id: i64,
    /// How far above the limit it lets one order go, minor units.
    pub amount: i64,
    pub reason: String,
    /// `in_approval`, `approved`, `rejected` or `withdrawn`.
    pub status: String,
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
    /// The order that used it; an override serves one order.
    pub order_id: Option<i64>,
    pub created_by: i64,
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
pub struct RequestOverride {
    pub customer_id: i64,
    /// The excess to allow, minor units (the `excess` of the refusal).
    #[validate(range(min = 1, max = 1_000_000_000_000_000_i64))]
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64, example = 1_200_000)]
    pub amount: i64,
    #[validate(length(min = 1, max = 1000))]
    #[schema(
        min_length = 1,
        max_length = 1000,
        example = "老客戶,回款記錄良好,旺季備貨"
    )]
    pub reason: String,
}

/// Request a credit override for one order above a customer's limit; it goes
/// to the office director, then HQ finance.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    request_body = RequestOverride,
    responses(
        (status = 201, description = "Requested and submitted", body = CreditOverride, headers(("Location" = String))),
        WriteErrors
    )
)]
#[post("/sales/credit-overrides")]
async fn request_override(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    body: ValidJson<RequestOverride>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let registry = registry.get_ref().clone();
    let row = db
        .tx(move |conn| {
            // The customer decides the office; one outside the caller's reach
            // is refused like a missing one.
            let office: Option<i64> = c::table
                .find(b.customer_id)
                .select(c::office_id)
                .first(conn)
                .optional()
                .api()?;
            let office = office
                .filter(|o| p.reach(SALES_MANAGE).contains(*o))
                .ok_or_else(|| {
                    ApiError::invalid_field("customer_id", "not_found", "no such customer")
                })?;
            p.require(SALES_MANAGE)?;
            let actor = p.actor(p.authorize(SALES_MANAGE, Some(office))?);
            customer_of_office(conn, "customer_id", b.customer_id, office)?;
            let now = now_db();
            let row: CreditOverride = diesel::insert_into(co::table)
                .values((
                    co::office_id.eq(office),
                    co::customer_id.eq(b.customer_id),
                    co::amount.eq(b.amount),
                    co::reason.eq(&b.reason),
                    co::status.eq("in_approval"),
                    co::created_by.eq(p.user_id),
                    co::created_at.eq(now),
                    co::updated_at.eq(now),
                    co::version.eq(1_i64),
                ))
                .returning(co::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "credit_override", row.id, Some(office)).after(&row),
            )?;
            workflow::submit_and_keep!(
                conn,
                &registry,
                OVERRIDE_DOC,
                co,
                CreditOverride,
                row.id,
                &actor
            )
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sales/credit-overrides/{}", row.id),
        ))
        .json(row))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListOverrides {
    pub office_id: Option<i64>,
    pub customer_id: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Credit overrides in the caller's reach.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ListOverrides),
    responses((status = 200, description = "A page of credit overrides", body = Page<CreditOverride>), ReadErrors)
)]
#[get("/sales/credit-overrides")]
async fn list_overrides(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListOverrides>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, co, CreditOverride, req, asc, |q| {
                if let Some(v) = f.office_id {
                    q = q.filter(co::office_id.eq(v));
                }
                if let Some(v) = f.customer_id {
                    q = q.filter(co::customer_id.eq(v));
                }
                q
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A credit override.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Credit override id")),
    responses((status = 200, description = "The credit override", body = CreditOverride), ReadErrors)
)]
#[get("/sales/credit-overrides/{id}")]
async fn get_override(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db
        .run(move |conn| {
            Ok(load_scoped!(
                conn,
                p,
                SALES_READ,
                co,
                CreditOverride,
                id,
                "credit override"
            )
            .0)
        })
        .await?;
    Ok(HttpResponse::Ok().json(row))
}

/// Credit overrides in the approval engine.
pub struct CreditOverrideDocument;

impl ApprovalDocument for CreditOverrideDocument {
    fn doc_type(&self) -> &'static str {
        OVERRIDE_DOC
    }

    /// 超出信用額度的訂單: the office director, then HQ finance.
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Credit overrides (超信用額度)".to_owned(),
            steps: vec![
                role("office_director", "office_director"),
                role("hq_finance", "hq_finance"),
            ],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let o: CreditOverride = co::table
            .find(doc_id)
            .select(CreditOverride::as_select())
            .first(conn)
            .found("credit override")?;
        let (name, limit, currency): (String, i64, String) = c::table
            .find(o.customer_id)
            .select((c::name, c::credit_limit, c::currency))
            .first(conn)
            .api()?;
        Ok(DocumentInfo {
            office_id: Some(o.office_id),
            owner_user_id: o.created_by,
            owner_department_id: None,
            amount: Some(o.amount),
            currency,
            category: None,
            summary: format!(
                "credit override for {name} (limit {limit}): +{} — {}",
                o.amount, o.reason
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
        store::update_audited!(
            conn,
            actor,
            status,
            "credit_override",
            co,
            CreditOverride,
            doc_id,
            (
                co::status.eq(status),
                co::rejection_reason.eq(reason),
                co::updated_at.eq(now_db()),
                co::version.eq(co::version + 1),
            )
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_move_one_step_and_cancel_only_before_shipping() {
        use OrderStatus::*;
        assert_eq!(
            OrderStatus::next_allowed("entered"),
            vec![InProduction, Cancelled]
        );
        assert_eq!(
            OrderStatus::next_allowed("in_production"),
            vec![Shipped, Cancelled]
        );
        assert_eq!(OrderStatus::next_allowed("shipped"), vec![Installed]);
        assert_eq!(OrderStatus::next_allowed("trained"), vec![Completed]);
        assert!(OrderStatus::next_allowed("completed").is_empty());
        assert!(OrderStatus::next_allowed("cancelled").is_empty());
    }

    #[test]
    fn the_refusal_names_the_excess() {
        let e = credit_refusal(1_000, 700, 500);
        assert_eq!(e.code, ErrorCode::CreditLimitExceeded);
        assert!(e.detail.contains("by 200"));
    }
}
