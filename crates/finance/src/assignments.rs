//! Assignment and return of fixed assets (領用與歸還). An asset in use without a
//! custodian is assigned to an active user of its office; the custodian returns
//! it with a note on its condition. Each hand-over is kept in the asset's custody
//! history — who held it, from when to when — and the asset always names its
//! current custodian.

use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors};
use kernel::{Actor, ApiError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag};
use org::roles::{ASSET_MANAGE, ASSET_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{asset_assignments as aa, fixed_assets as fa};
use store::{AnyConnection, Db, DbResultExt, MultiBackend};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::assets::Asset;
use crate::common::{load_scoped, not_in_future, now_db, today, user_of_office};
use crate::supplies::PageQuery;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(assign_asset)
        .service(return_asset)
        .service(list_asset_assignments);
}

/// One period an asset spent with a custodian.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = aa)]
pub struct Assignment {
    pub id: i64,
    pub asset_id: i64,
    pub office_id: i64,
    /// The custodian.
    pub user_id: i64,
    #[schema(example = "2026-11-02")]
    pub assigned_on: NaiveDate,
    /// `null` while the custodian still holds it.
    pub returned_on: Option<NaiveDate>,
    #[schema(example = "For customer visits in Guangdong")]
    pub notes: Option<String>,
    /// The condition noted at return.
    #[schema(example = "Screen scratched; works")]
    pub return_condition: Option<String>,
    pub assigned_by: Option<i64>,
    pub returned_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    /// An active user of the asset's office.
    #[schema(example = 42)]
    pub custodian_user_id: i64,
    /// Today by default; not in the future.
    #[schema(example = "2026-11-02")]
    pub assigned_on: Option<NaiveDate>,
    #[validate(length(min = 1, max = 1000))]
    #[schema(
        min_length = 1,
        max_length = 1000,
        example = "For customer visits in Guangdong"
    )]
    pub notes: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnInput {
    /// Today by default; not in the future, not before it was assigned.
    #[schema(example = "2026-11-20")]
    pub returned_on: Option<NaiveDate>,
    /// The asset's condition as handed back.
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000, example = "Screen scratched; works")]
    pub condition: String,
}

/// Writes the row that opens a custody period (also used at registration).
pub(crate) fn open_assignment(
    conn: &mut AnyConnection,
    actor: &Actor,
    asset: &Asset,
    user_id: i64,
    on: NaiveDate,
    notes: Option<&str>,
) -> Result<Assignment, ApiError> {
    diesel::insert_into(aa::table)
        .values((
            aa::asset_id.eq(asset.id),
            aa::office_id.eq(asset.office_id),
            aa::user_id.eq(user_id),
            aa::assigned_on.eq(on),
            aa::notes.eq(notes),
            aa::assigned_by.eq(actor.user_id),
            aa::created_at.eq(now_db()),
        ))
        .returning(aa::all_columns)
        .get_result(conn)
        .api()
}

/// Sets the custodian on the asset at the version read, or 412.
fn set_custodian(
    conn: &mut AnyConnection,
    asset: &Asset,
    custodian: Option<i64>,
) -> Result<Asset, ApiError> {
    let updated = diesel::update(
        fa::table
            .find(asset.id)
            .filter(fa::version.eq(asset.version)),
    )
    .set((
        fa::custodian_user_id.eq(custodian),
        fa::updated_at.eq(now_db()),
        fa::version.eq(fa::version + 1),
    ))
    .returning(fa::all_columns)
    .get_result::<Asset>(conn)
    .optional()
    .api()?;
    match updated {
        Some(after) => Ok(after),
        None => {
            let current: i64 = fa::table
                .find(asset.id)
                .select(fa::version)
                .first(conn)
                .found("asset")?;
            Err(version_conflict(current))
        }
    }
}

/// Assigns an in-use asset without a custodian (also used by the demo loader).
pub fn assign(
    conn: &mut AnyConnection,
    actor: &Actor,
    asset: &Asset,
    body: &AssignInput,
) -> Result<(Asset, Assignment), ApiError> {
    if asset.status != "in_use" {
        return Err(ApiError::invalid_transition("assign", &asset.status, &[]));
    }
    if asset.custodian_user_id.is_some() {
        return Err(ApiError::invalid_transition(
            "assign",
            "assigned",
            &["return"],
        ));
    }
    user_of_office(
        conn,
        "custodian_user_id",
        body.custodian_user_id,
        asset.office_id,
    )?;
    let on = body.assigned_on.unwrap_or_else(today);
    not_in_future("assigned_on", on)?;
    let last_return: Option<NaiveDate> = aa::table
        .filter(aa::asset_id.eq(asset.id))
        .select(diesel::dsl::max(aa::returned_on))
        .first(conn)
        .api()?;
    if last_return.is_some_and(|r| on < r) {
        return Err(ApiError::invalid_field(
            "assigned_on",
            "range",
            "cannot be before the asset was last returned",
        ));
    }
    let after = set_custodian(conn, asset, Some(body.custodian_user_id))?;
    let row = open_assignment(
        conn,
        actor,
        asset,
        body.custodian_user_id,
        on,
        body.notes.as_deref(),
    )?;
    audit::record(
        conn,
        actor,
        Change::new("assign", "fixed_asset", asset.id, Some(asset.office_id))
            .before(asset)
            .after(&serde_json::json!({"asset": &after, "assignment": &row})),
    )?;
    Ok((after, row))
}

/// Takes an asset back from its custodian, closing the custody period.
pub fn take_back(
    conn: &mut AnyConnection,
    actor: &Actor,
    asset: &Asset,
    body: &ReturnInput,
) -> Result<(Asset, Assignment), ApiError> {
    let Some(custodian) = asset.custodian_user_id else {
        return Err(ApiError::invalid_transition(
            "return",
            "unassigned",
            &["assign"],
        ));
    };
    let on = body.returned_on.unwrap_or_else(today);
    not_in_future("returned_on", on)?;
    let open: Option<Assignment> = aa::table
        .filter(aa::asset_id.eq(asset.id).and(aa::returned_on.is_null()))
        .select(Assignment::as_select())
        .first(conn)
        .optional()
        .api()?;
    // A custodian set before the custody history existed holds it since purchase.
    let open = match open {
        Some(row) => row,
        None => open_assignment(
            conn,
            actor,
            asset,
            custodian,
            asset.purchase_date.min(on),
            None,
        )?,
    };
    if on < open.assigned_on {
        return Err(ApiError::invalid_field(
            "returned_on",
            "range",
            "cannot be before the asset was assigned",
        ));
    }
    let after = set_custodian(conn, asset, None)?;
    let row: Assignment = diesel::update(aa::table.find(open.id))
        .set((
            aa::returned_on.eq(Some(on)),
            aa::return_condition.eq(Some(&body.condition)),
            aa::returned_by.eq(actor.user_id),
        ))
        .returning(aa::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("return", "fixed_asset", asset.id, Some(asset.office_id))
            .before(asset)
            .after(&serde_json::json!({"asset": &after, "assignment": &row})),
    )?;
    Ok((after, row))
}

/// Loads an asset for a change: in reach, at the version read.
fn for_change(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    version: i64,
) -> Result<(Asset, Actor), ApiError> {
    let (asset, authority) = load_scoped!(conn, p, ASSET_MANAGE, fa, Asset, id, "asset");
    if asset.version != version {
        return Err(version_conflict(asset.version));
    }
    Ok((asset, p.actor(authority)))
}

/// Assign an in-use asset without a custodian to an active user of its office
/// (領用).
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Asset id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = AssignInput,
    responses((status = 200, description = "Assigned: the asset with its custodian", body = Asset, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/finance/assets/{id}/assign")]
async fn assign_asset(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<AssignInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let (asset, _) = db
        .tx(move |conn| {
            let (asset, actor) = for_change(conn, &p, id, if_match.0)?;
            assign(conn, &actor, &asset, &body)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(asset.version))
        .json(asset))
}

/// Return an asset from its custodian, noting its condition (歸還).
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Asset id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ReturnInput,
    responses((status = 200, description = "Returned: the asset without a custodian", body = Asset, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/finance/assets/{id}/return")]
async fn return_asset(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ReturnInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let (asset, _) = db
        .tx(move |conn| {
            let (asset, actor) = for_change(conn, &p, id, if_match.0)?;
            take_back(conn, &actor, &asset, &body)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(asset.version))
        .json(asset))
}

/// An asset's custody history, newest first.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Asset id"), PageQuery),
    responses((status = 200, description = "A page of assignments", body = Page<Assignment>), ReadErrors)
)]
#[get("/finance/assets/{id}/assignments")]
async fn list_asset_assignments(
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
            let mut query = aa::table
                .filter(
                    aa::asset_id
                        .eq(asset.id)
                        .and(aa::office_id.eq(asset.office_id)),
                )
                .select(Assignment::as_select())
                .into_boxed::<MultiBackend>();
            if let Some(before) = req.after {
                query = query.filter(aa::id.lt(before));
            }
            let rows: Vec<Assignment> = query
                .order(aa::id.desc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// The assets in use that `user_id` holds as custodian, as (id, number,
/// name), oldest first (personnel's leaving waits until none is left).
pub fn held_by(
    conn: &mut AnyConnection,
    user_id: i64,
) -> Result<Vec<(i64, String, String)>, ApiError> {
    fa::table
        .filter(fa::custodian_user_id.eq(user_id))
        .filter(fa::status.eq("in_use"))
        .order(fa::id.asc())
        .select((fa::id, fa::number, fa::name))
        .load(conn)
        .api()
}
