//! Stocktakes of office supplies (辦公用品盤點). Opening one snapshots the stock the
//! ledger shows for every item of the office; the count records what is on the
//! shelves; closing applies each difference to the stock as a ledger movement of
//! kind `stocktake_adjustment`, all in one transaction. A difference is counted
//! against the snapshot, so an item issued or restocked while the count went on
//! is adjusted by the difference, never overwritten with the count; a shortage
//! never takes the stock below zero.
//!
//! The regulations ask the administration to keep the supplies ledger and count
//! it periodically (建立辦公用品臺賬，定期盤點); approval of surplus and shortage
//! (盤盈、盤虧…按照規定進行處理) is written for fixed assets. So the office's supply
//! managers close a supply stocktake themselves, without the approval engine;
//! the audit trail and the ledger keep who adjusted what.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, ErrorCode, FieldError, IfMatch, Page, PageRequest, Principal, ValidJson,
    ValidQuery, etag,
};
use org::roles::{SUPPLY_MANAGE, SUPPLY_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{supply_items as si, supply_stocktake_lines as sl, supply_stocktakes as ss};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::{load_scoped, now_db, office_for_create};
use crate::supplies::{Move, apply_move};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_supply_stocktakes)
        .service(open_supply_stocktake)
        .service(get_supply_stocktake)
        .service(record_supply_counts)
        .service(close_supply_stocktake);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SupplyStocktakeStatus {
    /// Counting.
    Open,
    /// Differences applied to the stock; final.
    Closed,
}

impl SupplyStocktakeStatus {
    fn as_str(self) -> &'static str {
        match self {
            SupplyStocktakeStatus::Open => "open",
            SupplyStocktakeStatus::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ss)]
pub struct SupplyStocktakeRow {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "SS-GZ01-2026-000001")]
    pub number: String,
    #[schema(value_type = SupplyStocktakeStatus)]
    pub status: String,
    pub opened_by: i64,
    pub closed_by: Option<i64>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<NaiveDateTime>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// A line as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sl)]
struct LineRow {
    id: i64,
    item_id: i64,
    item_name: String,
    unit: String,
    system_qty: i64,
    counted_qty: Option<i64>,
    note: Option<String>,
    movement_id: Option<i64>,
}

/// One item of the stocktake.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupplyCountLine {
    pub item_id: i64,
    #[schema(example = "A4 paper")]
    pub item_name: String,
    #[schema(example = "ream")]
    pub unit: String,
    /// The stock the ledger showed when the stocktake opened.
    #[schema(example = 20)]
    pub system_qty: i64,
    /// What the count found; `null` until counted.
    #[schema(example = 18)]
    pub counted_qty: Option<i64>,
    /// `counted_qty − system_qty`: negative a shortage (盤虧), positive a surplus
    /// (盤盈); `null` until counted.
    #[schema(example = -2)]
    pub difference: Option<i64>,
    #[schema(example = "Two reams water-damaged, thrown away")]
    pub note: Option<String>,
    /// The ledger movement that applied the difference, once closed.
    pub movement_id: Option<i64>,
}

impl From<LineRow> for SupplyCountLine {
    fn from(r: LineRow) -> Self {
        SupplyCountLine {
            item_id: r.item_id,
            item_name: r.item_name,
            unit: r.unit,
            system_qty: r.system_qty,
            counted_qty: r.counted_qty,
            difference: r.counted_qty.map(|c| c - r.system_qty),
            note: r.note,
            movement_id: r.movement_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupplyStocktake {
    #[serde(flatten)]
    pub stocktake: SupplyStocktakeRow,
    pub lines: Vec<SupplyCountLine>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenSupplyStocktake {
    /// The office; defaults to the caller's.
    pub office_id: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplyCount {
    /// A supply item of the stocktake.
    #[schema(example = 12)]
    pub item_id: i64,
    #[validate(range(min = 0, max = 1_000_000_000))]
    #[schema(minimum = 0, maximum = 1_000_000_000, example = 18)]
    pub counted_qty: i64,
    #[validate(length(min = 1, max = 1000))]
    #[schema(
        min_length = 1,
        max_length = 1000,
        example = "Two reams water-damaged, thrown away"
    )]
    pub note: Option<String>,
}

/// Counted quantities; an item counted again takes the latest count.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplyCounts {
    #[validate(length(min = 1, max = 2000), nested)]
    #[schema(min_items = 1, max_items = 2000)]
    pub counts: Vec<SupplyCount>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListSupplyStocktakes {
    pub office_id: Option<i64>,
    pub status: Option<SupplyStocktakeStatus>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn full(conn: &mut AnyConnection, row: SupplyStocktakeRow) -> Result<SupplyStocktake, ApiError> {
    let lines: Vec<LineRow> = sl::table
        .filter(
            sl::stocktake_id
                .eq(row.id)
                .and(sl::office_id.eq(row.office_id)),
        )
        .select(LineRow::as_select())
        .order(sl::id.asc())
        .load(conn)
        .api()?;
    Ok(SupplyStocktake {
        stocktake: row,
        lines: lines.into_iter().map(SupplyCountLine::from).collect(),
    })
}

/// Opens a stocktake with the stock of every item of `office` as the ledger
/// shows it now (also used by the demo loader).
pub fn open(
    conn: &mut AnyConnection,
    office: i64,
    actor: &Actor,
) -> Result<SupplyStocktake, ApiError> {
    let opened_by = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a stocktake needs a person to open it"))?;
    let code = org::office_code(conn, office)?;
    let running: i64 = ss::table
        .filter(ss::office_id.eq(office).and(ss::status.eq("open")))
        .count()
        .get_result(conn)
        .api()?;
    if running > 0 {
        return Err(ApiError::conflict(
            "the office has a supply stocktake that is not closed yet",
        ));
    }
    let number = store::docnum::next(conn, office, &code, "SS", kernel::time::now().year())?;
    let now = now_db();
    let row: SupplyStocktakeRow = diesel::insert_into(ss::table)
        .values((
            ss::office_id.eq(office),
            ss::number.eq(&number),
            ss::status.eq("open"),
            ss::opened_by.eq(opened_by),
            ss::created_at.eq(now),
            ss::updated_at.eq(now),
            ss::version.eq(1_i64),
        ))
        .returning(ss::all_columns)
        .get_result(conn)
        .api()?;
    let items: Vec<(i64, String, String, i64)> = si::table
        .filter(si::office_id.eq(office))
        .select((si::id, si::name, si::unit, si::stock_qty))
        .order(si::id.asc())
        .load(conn)
        .api()?;
    for (item, name, unit, qty) in items {
        diesel::insert_into(sl::table)
            .values((
                sl::stocktake_id.eq(row.id),
                sl::office_id.eq(office),
                sl::item_id.eq(item),
                sl::item_name.eq(name),
                sl::unit.eq(unit),
                sl::system_qty.eq(qty),
            ))
            .execute(conn)
            .api()?;
    }
    let stocktake = full(conn, row)?;
    audit::record(
        conn,
        actor,
        Change::new(
            "open",
            "supply_stocktake",
            stocktake.stocktake.id,
            Some(office),
        )
        .after(&stocktake),
    )?;
    Ok(stocktake)
}

/// Records counted quantities for items of an open stocktake (also used by the
/// demo loader). `row` is the stocktake as read.
pub fn record_counts(
    conn: &mut AnyConnection,
    actor: &Actor,
    row: &SupplyStocktakeRow,
    body: &SupplyCounts,
) -> Result<SupplyStocktake, ApiError> {
    if row.status != "open" {
        return Err(ApiError::invalid_transition(
            "record counts",
            &row.status,
            &[],
        ));
    }
    let known: Vec<i64> = sl::table
        .filter(sl::stocktake_id.eq(row.id))
        .select(sl::item_id)
        .load(conn)
        .api()?;
    let mut errors = Vec::new();
    for (i, c) in body.counts.iter().enumerate() {
        if !known.contains(&c.item_id) {
            errors.push(FieldError::new(
                format!("counts[{i}].item_id"),
                "not_found",
                "not an item of this stocktake",
            ));
        } else if body.counts[..i].iter().any(|o| o.item_id == c.item_id) {
            errors.push(FieldError::new(
                format!("counts[{i}].item_id"),
                "duplicate",
                "each item once per request",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    for c in &body.counts {
        diesel::update(
            sl::table
                .filter(sl::stocktake_id.eq(row.id))
                .filter(sl::item_id.eq(c.item_id)),
        )
        .set((
            sl::counted_qty.eq(Some(c.counted_qty)),
            sl::note.eq(&c.note),
        ))
        .execute(conn)
        .api()?;
    }
    let after: SupplyStocktakeRow = diesel::update(ss::table.find(row.id))
        .set((ss::updated_at.eq(now_db()), ss::version.eq(ss::version + 1)))
        .returning(ss::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("count", "supply_stocktake", row.id, Some(row.office_id))
            .before(row)
            .after(&serde_json::json!({"version": after.version, "counts": &body.counts})),
    )?;
    full(conn, after)
}

/// Closes a counted stocktake, applying each difference to the stock as a
/// `stocktake_adjustment` movement (also used by the demo loader). Every item
/// must be counted. A shortage larger than what the ledger now holds refuses the
/// whole close with 409 `insufficient_stock`: the stock never goes below zero.
pub fn close(
    conn: &mut AnyConnection,
    actor: &Actor,
    row: &SupplyStocktakeRow,
) -> Result<SupplyStocktake, ApiError> {
    if row.status != "open" {
        return Err(ApiError::invalid_transition("close", &row.status, &[]));
    }
    let lines: Vec<LineRow> = sl::table
        .filter(sl::stocktake_id.eq(row.id))
        .select(LineRow::as_select())
        .order(sl::id.asc())
        .load(conn)
        .api()?;
    let pending: Vec<FieldError> = lines
        .iter()
        .filter(|l| l.counted_qty.is_none())
        .map(|l| {
            FieldError::new(
                "counts",
                "pending",
                format!("{} (item {}) has not been counted", l.item_name, l.item_id),
            )
        })
        .collect();
    if !pending.is_empty() {
        return Err(ApiError::validation(pending));
    }
    // Claim the transition first, so two closes at once cannot both adjust.
    let closed: Option<SupplyStocktakeRow> = diesel::update(
        ss::table
            .find(row.id)
            .filter(ss::status.eq("open"))
            .filter(ss::version.eq(row.version)),
    )
    .set((
        ss::status.eq("closed"),
        ss::closed_by.eq(actor.user_id),
        ss::closed_at.eq(Some(now_db())),
        ss::updated_at.eq(now_db()),
        ss::version.eq(ss::version + 1),
    ))
    .returning(ss::all_columns)
    .get_result(conn)
    .optional()
    .api()?;
    let Some(closed) = closed else {
        let (status, version): (String, i64) = ss::table
            .find(row.id)
            .select((ss::status, ss::version))
            .first(conn)
            .found("stocktake")?;
        return Err(if status == "open" {
            version_conflict(version)
        } else {
            ApiError::invalid_transition("close", &status, &[])
        });
    };
    for line in &lines {
        let difference = line.counted_qty.unwrap_or(line.system_qty) - line.system_qty;
        if difference == 0 {
            continue;
        }
        let note = match &line.note {
            Some(n) => format!("{}: {n}", row.number),
            None => row.number.clone(),
        };
        let mv = Move {
            kind: "stocktake_adjustment",
            delta: difference,
            unit_cost: None,
            employee: None,
            note: Some(&note),
        };
        let Some(movement) = apply_move(conn, actor, line.item_id, row.office_id, mv)? else {
            let stock: i64 = si::table
                .find(line.item_id)
                .select(si::stock_qty)
                .first(conn)
                .found("supply item")?;
            return Err(ApiError::new(
                ErrorCode::InsufficientStock,
                format!(
                    "{} is short by {} but only {} {} remain on the ledger; count it again",
                    line.item_name, -difference, stock, line.unit
                ),
            )
            .with_extra("item_id", line.item_id.into())
            .with_extra("stock_qty", stock.into()));
        };
        diesel::update(sl::table.find(line.id))
            .set(sl::movement_id.eq(Some(movement.id)))
            .execute(conn)
            .api()?;
    }
    let stocktake = full(conn, closed)?;
    audit::record(
        conn,
        actor,
        Change::new("close", "supply_stocktake", row.id, Some(row.office_id))
            .before(row)
            .after(&stocktake),
    )?;
    Ok(stocktake)
}

/// Supply stocktakes of the offices the caller reaches.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(ListSupplyStocktakes),
    responses((status = 200, description = "A page of supply stocktakes", body = Page<SupplyStocktakeRow>), ReadErrors)
)]
#[get("/finance/supply-stocktakes")]
async fn list_supply_stocktakes(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListSupplyStocktakes>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SUPPLY_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows =
                store::list_scoped!(conn, reach, ss, SupplyStocktakeRow, req, asc, |query| {
                    if let Some(v) = q.office_id {
                        query = query.filter(ss::office_id.eq(v));
                    }
                    if let Some(v) = q.status {
                        query = query.filter(ss::status.eq(v.as_str()));
                    }
                    query
                })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Open a stocktake of the office's supplies: every item with the stock the
/// ledger shows now. One open stocktake per office.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    request_body = OpenSupplyStocktake,
    responses((status = 201, description = "Opened with every item's system quantity", body = SupplyStocktake, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/finance/supply-stocktakes")]
async fn open_supply_stocktake(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<OpenSupplyStocktake>,
) -> Result<HttpResponse, ApiError> {
    let (office, authority) = office_for_create(&p, SUPPLY_MANAGE, body.into_inner().office_id)?;
    let actor = p.actor(authority);
    let s = db.tx(move |conn| open(conn, office, &actor)).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/finance/supply-stocktakes/{}", s.stocktake.id),
        ))
        .insert_header(etag(s.stocktake.version))
        .json(s))
}

/// One supply stocktake with its lines: system quantity, count and difference.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Supply stocktake id")),
    responses((status = 200, description = "The stocktake", body = SupplyStocktake, headers(("ETag" = String))), ReadErrors)
)]
#[get("/finance/supply-stocktakes/{id}")]
async fn get_supply_stocktake(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let s = db
        .run(move |conn| {
            let (row, _) = load_scoped!(
                conn,
                p,
                SUPPLY_READ,
                ss,
                SupplyStocktakeRow,
                id,
                "supply stocktake"
            );
            full(conn, row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(s.stocktake.version))
        .json(s))
}

/// Loads a stocktake for a change: in reach, at the version read.
fn for_change(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    version: i64,
) -> Result<(SupplyStocktakeRow, Actor), ApiError> {
    let (row, authority) = load_scoped!(
        conn,
        p,
        SUPPLY_MANAGE,
        ss,
        SupplyStocktakeRow,
        id,
        "supply stocktake"
    );
    if row.version != version {
        return Err(version_conflict(row.version));
    }
    Ok((row, p.actor(authority)))
}

/// Record counted quantities for items of the stocktake (again to correct).
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Supply stocktake id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = SupplyCounts,
    responses((status = 200, description = "Recorded", body = SupplyStocktake, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/finance/supply-stocktakes/{id}/counts")]
async fn record_supply_counts(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<SupplyCounts>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let s = db
        .tx(move |conn| {
            let (row, actor) = for_change(conn, &p, id, if_match.0)?;
            record_counts(conn, &actor, &row, &body)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(s.stocktake.version))
        .json(s))
}

/// Close the stocktake: every item counted, each difference applied to the
/// stock as a `stocktake_adjustment` movement, in one transaction. Closed by the
/// office's supply managers; no approval.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Supply stocktake id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses((status = 200, description = "Closed", body = SupplyStocktake, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/finance/supply-stocktakes/{id}/close")]
async fn close_supply_stocktake(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let s = db
        .tx(move |conn| {
            let (row, actor) = for_change(conn, &p, id, if_match.0)?;
            close(conn, &actor, &row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(s.stocktake.version))
        .json(s))
}
