//! The maintenance log of fixed assets (維修保養): repairs, servicing and
//! inspections done on an asset in use, with what they cost and who did them, so
//! the office sees what keeping each asset running costs (降低資產損耗和維修成本).

use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{ReadErrors, WriteErrors};
use kernel::{Actor, ApiError, Page, PageRequest, Principal, ValidJson, ValidQuery};
use org::roles::{ASSET_MANAGE, ASSET_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{asset_maintenance as am, fixed_assets as fa};
use store::{AnyConnection, Db, DbResultExt, MultiBackend};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::assets::Asset;
use crate::common::{load_scoped, not_in_future, now_db};
use crate::supplies::PageQuery;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(record_asset_maintenance)
        .service(list_asset_maintenance)
        .service(get_asset_maintenance);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MaintenanceKind {
    /// 維修: something broke and was fixed.
    Repair,
    /// 保養: scheduled servicing.
    Service,
    /// 檢查: a periodic check.
    Inspection,
}

impl MaintenanceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MaintenanceKind::Repair => "repair",
            MaintenanceKind::Service => "service",
            MaintenanceKind::Inspection => "inspection",
        }
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = am)]
pub struct MaintenanceEntry {
    pub id: i64,
    pub asset_id: i64,
    pub office_id: i64,
    #[schema(example = "2026-11-12")]
    pub performed_on: NaiveDate,
    #[schema(value_type = MaintenanceKind)]
    pub kind: String,
    #[schema(example = "Replaced the fuser unit")]
    pub description: String,
    /// Minor units.
    #[schema(example = 68_000)]
    pub cost: i64,
    #[schema(example = "CNY")]
    pub currency: String,
    #[schema(example = "Guangzhou Office Equipment Service Co.")]
    pub vendor: Option<String>,
    pub recorded_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceInput {
    /// When the work was done: not in the future, not before the purchase.
    #[schema(example = "2026-11-12")]
    pub performed_on: NaiveDate,
    pub kind: MaintenanceKind,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "Replaced the fuser unit")]
    pub description: String,
    /// Minor units (分), 0 for work under warranty.
    #[validate(range(min = 0, max = 100_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 100_000_000_000_i64, example = 68_000)]
    pub cost: i64,
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "Guangzhou Office Equipment Service Co."
    )]
    pub vendor: Option<String>,
}

/// Records maintenance done on an asset in use (also used by the demo loader).
pub fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    asset: &Asset,
    body: &MaintenanceInput,
) -> Result<MaintenanceEntry, ApiError> {
    if asset.status != "in_use" {
        return Err(ApiError::invalid_transition(
            "record maintenance",
            &asset.status,
            &[],
        ));
    }
    not_in_future("performed_on", body.performed_on)?;
    if body.performed_on < asset.purchase_date {
        return Err(ApiError::invalid_field(
            "performed_on",
            "range",
            "cannot be before the asset was bought",
        ));
    }
    let row: MaintenanceEntry = diesel::insert_into(am::table)
        .values((
            am::asset_id.eq(asset.id),
            am::office_id.eq(asset.office_id),
            am::performed_on.eq(body.performed_on),
            am::kind.eq(body.kind.as_str()),
            am::description.eq(&body.description),
            am::cost.eq(body.cost),
            am::currency.eq("CNY"),
            am::vendor.eq(&body.vendor),
            am::recorded_by.eq(actor.user_id),
            am::created_at.eq(now_db()),
        ))
        .returning(am::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("create", "asset_maintenance", row.id, Some(row.office_id)).after(&row),
    )?;
    Ok(row)
}

/// Record a repair, servicing or inspection of an asset in use.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Asset id")),
    request_body = MaintenanceInput,
    responses((status = 201, description = "Recorded", body = MaintenanceEntry, headers(("Location" = String))), WriteErrors)
)]
#[post("/finance/assets/{id}/maintenance")]
async fn record_asset_maintenance(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<MaintenanceInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let row = db
        .tx(move |conn| {
            let (asset, authority) = load_scoped!(conn, p, ASSET_MANAGE, fa, Asset, id, "asset");
            record(conn, &p.actor(authority), &asset, &body)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!(
                "/api/v1/finance/assets/{}/maintenance/{}",
                row.asset_id, row.id
            ),
        ))
        .json(row))
}

/// An asset's maintenance log, newest first.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Asset id"), PageQuery),
    responses((status = 200, description = "A page of maintenance entries", body = Page<MaintenanceEntry>), ReadErrors)
)]
#[get("/finance/assets/{id}/maintenance")]
async fn list_asset_maintenance(
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
            let (asset, _) = load_scoped!(conn, p, ASSET_READ, fa, Asset, id, "asset");
            let mut query = am::table
                .filter(
                    am::asset_id
                        .eq(asset.id)
                        .and(am::office_id.eq(asset.office_id)),
                )
                .select(MaintenanceEntry::as_select())
                .into_boxed::<MultiBackend>();
            if let Some(before) = req.after {
                query = query.filter(am::id.lt(before));
            }
            let rows: Vec<MaintenanceEntry> = query
                .order(am::id.desc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One maintenance entry of an asset.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Asset id"),
        ("entry_id" = i64, Path, description = "Maintenance entry id"),
    ),
    responses((status = 200, description = "The entry", body = MaintenanceEntry), ReadErrors)
)]
#[get("/finance/assets/{id}/maintenance/{entry_id}")]
async fn get_asset_maintenance(
    db: web::Data<Db>,
    p: Principal,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (asset_id, entry_id) = path.into_inner();
    let row = db
        .run(move |conn| {
            let (entry, _) = load_scoped!(
                conn,
                p,
                ASSET_READ,
                am,
                MaintenanceEntry,
                entry_id,
                "maintenance entry"
            );
            if entry.asset_id != asset_id {
                return Err(ApiError::not_found("maintenance entry"));
            }
            Ok(entry)
        })
        .await?;
    Ok(HttpResponse::Ok().json(row))
}
