//! Office supplies (辦公用品): the administration keeps a ledger of purchases and
//! issues and the stock never goes below zero — an issue takes its quantity in the
//! same statement that checks it, so two issues at once cannot both take the last
//! box. Every movement is kept with the stock it left.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, ServiceUnavailable, Unauthorized,
    UnprocessableEntity,
};
use kernel::{
    Actor, ApiError, ErrorCode, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{SUPPLY_MANAGE, SUPPLY_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{supply_items as si, supply_movements as sm};
use store::{AnyConnection, Db, DbResultExt, MultiBackend};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_supplies)
        .service(create_supply)
        .service(stock_in)
        .service(issue_supply)
        .service(list_movements);
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = si)]
pub struct SupplyItem {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "A4 paper")]
    pub name: String,
    #[schema(example = "ream")]
    pub unit: String,
    /// Never below zero.
    pub stock_qty: i64,
    /// At or below this, the item needs buying.
    pub reorder_level: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = sm)]
pub struct Movement {
    pub id: i64,
    pub item_id: i64,
    pub office_id: i64,
    /// `stock_in`, `issue` or `stocktake_adjustment`.
    #[schema(example = "stock_in")]
    pub kind: String,
    /// Signed: positive in, negative out.
    pub quantity: i64,
    /// Minor units per unit, for a purchase.
    pub unit_cost: Option<i64>,
    /// Who received an issue.
    pub employee_user_id: Option<i64>,
    pub note: Option<String>,
    pub actor_user_id: Option<i64>,
    /// The stock after this movement.
    pub stock_after: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSupply {
    /// The office; defaults to the caller's.
    pub office_id: Option<i64>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20)]
    pub unit: String,
    #[validate(range(min = 0, max = 1_000_000))]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub reorder_level: Option<i64>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockIn {
    #[validate(range(min = 1, max = 1_000_000))]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub quantity: i64,
    #[validate(range(min = 0, max = 100_000_000))]
    #[schema(minimum = 0)]
    pub unit_cost: Option<i64>,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Issue {
    #[validate(range(min = 1, max = 1_000_000))]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub quantity: i64,
    /// The employee (user) receiving it, of the same office.
    pub employee_user_id: i64,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListSupplies {
    pub office_id: Option<i64>,
    /// Only items at or below their reorder level.
    pub low: Option<bool>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn load_item(
    conn: &mut AnyConnection,
    p: &Principal,
    perm: &'static str,
    id: i64,
) -> Result<SupplyItem, ApiError> {
    let (item, _) = store::load_scoped!(conn, p, perm, si, SupplyItem, id, "supply item");
    Ok(item)
}

/// Supply items of the offices the caller reaches.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(ListSupplies),
    responses(
        (status = 200, description = "A page of items", body = Page<SupplyItem>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/finance/supplies")]
async fn list_supplies(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListSupplies>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SUPPLY_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, si, SupplyItem, req, asc, |query| {
                if let Some(v) = q.office_id {
                    query = query.filter(si::office_id.eq(v));
                }
                if q.low == Some(true) {
                    query = query.filter(si::stock_qty.le(si::reorder_level));
                }
                query
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Adds a supply item to `office` with no stock (also used by the demo loader).
pub fn add_item(
    conn: &mut AnyConnection,
    office: i64,
    actor: &Actor,
    body: &CreateSupply,
) -> Result<SupplyItem, ApiError> {
    org::office_code(conn, office)?;
    let now = kernel::time::to_db(kernel::time::now());
    let item: SupplyItem = diesel::insert_into(si::table)
        .values((
            si::office_id.eq(office),
            si::name.eq(&body.name),
            si::unit.eq(&body.unit),
            si::stock_qty.eq(0_i64),
            si::reorder_level.eq(body.reorder_level.unwrap_or(0)),
            si::created_at.eq(now),
            si::updated_at.eq(now),
            si::version.eq(1_i64),
        ))
        .returning(si::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("create", "supply_item", item.id, Some(office)).after(&item),
    )?;
    Ok(item)
}

/// Add a supply item (its stock starts at zero).
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    request_body = CreateSupply,
    responses(
        (status = 201, description = "Added", body = SupplyItem, headers(("Location" = String), ("ETag" = String))),
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
#[post("/finance/supplies")]
async fn create_supply(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateSupply>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let office = body.office_id.or(p.office_id).ok_or_else(|| {
        ApiError::invalid_field(
            "office_id",
            "required",
            "is required for callers outside an office",
        )
    })?;
    let actor = p.actor(p.authorize(SUPPLY_MANAGE, Some(office)).map_err(|e| {
        if e.code == ErrorCode::NotFound {
            ApiError::not_found("office")
        } else {
            e
        }
    })?);
    let item = db
        .tx(move |conn| add_item(conn, office, &actor, &body))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/finance/supplies/{}", item.id),
        ))
        .insert_header(etag(item.version))
        .json(item))
}

/// One movement to record.
pub(crate) struct Move<'a> {
    pub(crate) kind: &'a str,
    /// Signed: positive in, negative out.
    pub(crate) delta: i64,
    pub(crate) unit_cost: Option<i64>,
    pub(crate) employee: Option<i64>,
    pub(crate) note: Option<&'a str>,
}

/// Moves stock as the caller, who must manage the item's office's supplies.
fn move_stock(
    conn: &mut AnyConnection,
    p: &Principal,
    item: &SupplyItem,
    mv: Move<'_>,
) -> Result<Option<Movement>, ApiError> {
    let actor = p.actor(p.authorize(SUPPLY_MANAGE, Some(item.office_id))?);
    apply_move(conn, &actor, item.id, item.office_id, mv)
}

/// Adds `delta` to the stock of item `item_id` of `office_id` in one statement
/// that refuses to go below zero; records the movement and the audit event.
/// `None` when the stock is short.
pub(crate) fn apply_move(
    conn: &mut AnyConnection,
    actor: &Actor,
    item_id: i64,
    office_id: i64,
    mv: Move<'_>,
) -> Result<Option<Movement>, ApiError> {
    let Move {
        kind,
        delta,
        unit_cost,
        employee,
        note,
    } = mv;
    let updated: Option<SupplyItem> = diesel::update(
        si::table
            .find(item_id)
            .filter(si::office_id.eq(office_id))
            .filter(si::stock_qty.ge(-delta)),
    )
    .set((
        si::stock_qty.eq(si::stock_qty + delta),
        si::updated_at.eq(kernel::time::to_db(kernel::time::now())),
        si::version.eq(si::version + 1),
    ))
    .returning(si::all_columns)
    .get_result(conn)
    .optional()
    .api()?;
    let Some(after) = updated else {
        return Ok(None);
    };
    let movement: Movement = diesel::insert_into(sm::table)
        .values((
            sm::item_id.eq(item_id),
            sm::office_id.eq(office_id),
            sm::kind.eq(kind),
            sm::quantity.eq(delta),
            sm::unit_cost.eq(unit_cost),
            sm::employee_user_id.eq(employee),
            sm::note.eq(note),
            sm::actor_user_id.eq(actor.user_id),
            sm::stock_after.eq(after.stock_qty),
            sm::created_at.eq(kernel::time::to_db(kernel::time::now())),
        ))
        .returning(sm::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new(kind, "supply_item", item_id, Some(office_id))
            .before(&serde_json::json!({"stock_qty": after.stock_qty - delta}))
            .after(&serde_json::json!({"stock_qty": after.stock_qty, "movement": movement.id})),
    )?;
    Ok(Some(movement))
}

/// Record a purchase received into stock.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Item id")),
    request_body = StockIn,
    responses(
        (status = 201, description = "Recorded", body = Movement),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/finance/supplies/{id}/stock-in")]
async fn stock_in(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<StockIn>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let movement = db
        .tx(move |conn| {
            let item = load_item(conn, &p, SUPPLY_MANAGE, id)?;
            let mv = Move {
                kind: "stock_in",
                delta: body.quantity,
                unit_cost: body.unit_cost,
                employee: None,
                note: body.note.as_deref(),
            };
            move_stock(conn, &p, &item, mv)?
                .ok_or_else(|| ApiError::internal(std::io::Error::other("stock-in refused")))
        })
        .await?;
    Ok(HttpResponse::Created().json(movement))
}

/// Issue supplies to an employee; never more than is in stock.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Item id")),
    request_body = Issue,
    responses(
        (status = 201, description = "Issued", body = Movement),
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
#[post("/finance/supplies/{id}/issue")]
async fn issue_supply(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<Issue>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let movement = db
        .tx(move |conn| {
            let item = load_item(conn, &p, SUPPLY_MANAGE, id)?;
            org::scope::user_of_office(
                conn,
                "employee_user_id",
                body.employee_user_id,
                item.office_id,
            )?;
            let mv = Move {
                kind: "issue",
                delta: -body.quantity,
                unit_cost: None,
                employee: Some(body.employee_user_id),
                note: body.note.as_deref(),
            };
            move_stock(conn, &p, &item, mv)?.ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InsufficientStock,
                    format!("only {} {} in stock", item.stock_qty, item.unit),
                )
                .with_extra("stock_qty", item.stock_qty.into())
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(movement))
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

/// An item's ledger, newest first.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Item id"), PageQuery),
    responses(
        (status = 200, description = "A page of movements", body = Page<Movement>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/finance/supplies/{id}/movements")]
async fn list_movements(
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
            let item = load_item(conn, &p, SUPPLY_READ, id)?;
            let mut query = sm::table
                .filter(
                    sm::item_id
                        .eq(item.id)
                        .and(sm::office_id.eq(item.office_id)),
                )
                .select(Movement::as_select())
                .into_boxed::<MultiBackend>();
            if let Some(before) = req.after {
                query = query.filter(sm::id.lt(before));
            }
            let rows: Vec<Movement> = query
                .order(sm::id.desc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Whether movement `movement_id` is an issue of supplies at `office_id` to
/// `user_id` (personnel's onboarding checks the supplies it names this way).
pub fn issued_to(
    conn: &mut AnyConnection,
    movement_id: i64,
    office_id: i64,
    user_id: i64,
) -> Result<bool, ApiError> {
    let n: i64 = sm::table
        .filter(sm::id.eq(movement_id))
        .filter(sm::office_id.eq(office_id))
        .filter(sm::kind.eq("issue"))
        .filter(sm::employee_user_id.eq(user_id))
        .count()
        .get_result(conn)
        .api()?;
    Ok(n > 0)
}
