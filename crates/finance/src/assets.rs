//! Fixed assets (固定資產). Each asset is numbered and registered with its
//! purchase date and value, location and custodian; it depreciates straight-line
//! by month; and it leaves the register — scrapped, sold or lost — only through an
//! approved disposal request, never informally (資產處置…不得隨意丟棄或私自處置).

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, ServiceUnavailable, Unauthorized,
    UnprocessableEntity,
};
use kernel::{
    Actor, ApiError, ErrorCode, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{ASSET_MANAGE, ASSET_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{asset_disposals as ad, fixed_assets as fa};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::policy::{PolicyDef, role};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

pub const DISPOSAL_DOC: &str = "asset_disposal";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_assets)
        .service(create_asset)
        .service(get_asset)
        .service(get_depreciation)
        .service(request_disposal);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AssetCategory {
    OfficeEquipment,
    It,
    Furniture,
    Vehicle,
    Other,
}

impl AssetCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            AssetCategory::OfficeEquipment => "office_equipment",
            AssetCategory::It => "it",
            AssetCategory::Furniture => "furniture",
            AssetCategory::Vehicle => "vehicle",
            AssetCategory::Other => "other",
        }
    }

    /// The category stored as `code`.
    pub fn from_code(code: &str) -> Option<AssetCategory> {
        [
            AssetCategory::OfficeEquipment,
            AssetCategory::It,
            AssetCategory::Furniture,
            AssetCategory::Vehicle,
            AssetCategory::Other,
        ]
        .into_iter()
        .find(|c| c.as_str() == code)
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DisposalKind {
    /// 報廢
    Scrap,
    /// 出售
    Sale,
    /// 丟失
    Loss,
}

impl DisposalKind {
    fn as_str(self) -> &'static str {
        match self {
            DisposalKind::Scrap => "scrap",
            DisposalKind::Sale => "sale",
            DisposalKind::Loss => "loss",
        }
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = fa)]
pub struct Asset {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "FA-GZ01-2026-000001")]
    pub number: String,
    pub name: String,
    #[schema(value_type = AssetCategory)]
    pub category: String,
    pub purchase_date: NaiveDate,
    /// Minor units.
    pub purchase_value: i64,
    /// Expected value at the end of its life, minor units.
    pub salvage_value: i64,
    pub useful_life_months: i32,
    pub location: Option<String>,
    pub custodian_user_id: Option<i64>,
    /// `in_use` or `disposed`.
    pub status: String,
    pub disposed_on: Option<NaiveDate>,
    pub disposal_kind: Option<String>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
    /// The approved purchase request it was bought under, if any.
    pub purchase_request_id: Option<i64>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAsset {
    /// The office; defaults to the caller's.
    pub office_id: Option<i64>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub category: AssetCategory,
    pub purchase_date: NaiveDate,
    #[validate(range(min = 1, max = 100_000_000_000_i64))]
    #[schema(minimum = 1, maximum = 100_000_000_000_i64, example = 1_200_000)]
    pub purchase_value: i64,
    #[validate(range(min = 0, max = 100_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 100_000_000_000_i64, example = 60_000)]
    pub salvage_value: Option<i64>,
    #[validate(range(min = 1, max = 600))]
    #[schema(minimum = 1, maximum = 600)]
    pub useful_life_months: i32,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub location: Option<String>,
    pub custodian_user_id: Option<i64>,
}

/// Depreciation as of a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Depreciation {
    pub asset_id: i64,
    pub as_of: NaiveDate,
    /// The monthly charge (the last month takes the rounding remainder).
    pub monthly: i64,
    /// Months charged so far, at most the useful life.
    pub months_depreciated: i32,
    pub accumulated: i64,
    pub net_book_value: i64,
}

/// Straight-line by month. An asset is not depreciated in the month it is bought
/// (當月增加的固定資產當月不計提折旧) but from the next month on; after its useful
/// life the whole depreciable amount (value − salvage) has been charged.
pub fn depreciation(asset: &Asset, as_of: NaiveDate) -> Depreciation {
    let base = asset.purchase_value - asset.salvage_value;
    let life = i64::from(asset.useful_life_months.max(1));
    let monthly = base / life;
    let end = asset.disposed_on.map_or(as_of, |d| d.min(as_of));
    let elapsed = i64::from(end.year() - asset.purchase_date.year()) * 12 + i64::from(end.month())
        - i64::from(asset.purchase_date.month());
    let months = elapsed.clamp(0, life);
    let accumulated = if months == life {
        base
    } else {
        monthly * months
    };
    Depreciation {
        asset_id: asset.id,
        as_of,
        monthly,
        months_depreciated: months as i32,
        accumulated,
        net_book_value: asset.purchase_value - accumulated,
    }
}

fn load_asset(
    conn: &mut AnyConnection,
    p: &Principal,
    perm: &'static str,
    id: i64,
) -> Result<Asset, ApiError> {
    let (asset, _) = store::load_scoped!(conn, p, perm, fa, Asset, id, "asset");
    Ok(asset)
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListAssets {
    pub office_id: Option<i64>,
    /// `in_use` or `disposed`.
    #[validate(length(min = 1, max = 20))]
    #[param(min_length = 1, max_length = 20)]
    pub status: Option<String>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The fixed-asset register of the offices the caller reaches.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(ListAssets),
    responses(
        (status = 200, description = "A page of assets", body = Page<Asset>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/finance/assets")]
async fn list_assets(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListAssets>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(ASSET_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, fa, Asset, req, asc, |query| {
                if let Some(v) = q.office_id {
                    query = query.filter(fa::office_id.eq(v));
                }
                if let Some(v) = q.status {
                    query = query.filter(fa::status.eq(v));
                }
                query
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Registers an asset in `office` (also used by the demo loader).
pub fn register(
    conn: &mut AnyConnection,
    office: i64,
    actor: &Actor,
    body: &CreateAsset,
    salvage: i64,
) -> Result<Asset, ApiError> {
    register_linked(conn, office, actor, body, salvage, None)
}

/// Registers an asset in `office`, bought under `purchase_request` when given.
/// A custodian named at registration opens the asset's custody history.
pub fn register_linked(
    conn: &mut AnyConnection,
    office: i64,
    actor: &Actor,
    body: &CreateAsset,
    salvage: i64,
    purchase_request: Option<i64>,
) -> Result<Asset, ApiError> {
    let code = org::office_code(conn, office)?;
    if let Some(custodian) = body.custodian_user_id {
        crate::common::user_of_office(conn, "custodian_user_id", custodian, office)?;
    }
    let number = store::docnum::next(conn, office, &code, "FA", body.purchase_date.year())?;
    let now = kernel::time::to_db(kernel::time::now());
    let asset: Asset = diesel::insert_into(fa::table)
        .values((
            fa::office_id.eq(office),
            fa::number.eq(&number),
            fa::name.eq(&body.name),
            fa::category.eq(body.category.as_str()),
            fa::purchase_date.eq(body.purchase_date),
            fa::purchase_value.eq(body.purchase_value),
            fa::salvage_value.eq(salvage),
            fa::useful_life_months.eq(body.useful_life_months),
            fa::location.eq(&body.location),
            fa::custodian_user_id.eq(body.custodian_user_id),
            fa::status.eq("in_use"),
            fa::created_at.eq(now),
            fa::updated_at.eq(now),
            fa::version.eq(1_i64),
            fa::purchase_request_id.eq(purchase_request),
        ))
        .returning(fa::all_columns)
        .get_result(conn)
        .api()?;
    if let Some(custodian) = body.custodian_user_id {
        crate::assignments::open_assignment(
            conn,
            actor,
            &asset,
            custodian,
            body.purchase_date.min(now.date()),
            Some("custodian at registration"),
        )?;
    }
    audit::record(
        conn,
        actor,
        Change::new("create", "fixed_asset", asset.id, Some(office)).after(&asset),
    )?;
    Ok(asset)
}

/// Register a fixed asset; it is numbered `FA-<office>-<year>-<n>`.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    request_body = CreateAsset,
    responses(
        (status = 201, description = "Registered", body = Asset, headers(("Location" = String), ("ETag" = String))),
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
#[post("/finance/assets")]
async fn create_asset(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateAsset>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let salvage = body.salvage_value.unwrap_or(0);
    if salvage >= body.purchase_value {
        return Err(ApiError::invalid_field(
            "salvage_value",
            "range",
            "must be below the purchase value",
        ));
    }
    let office = body.office_id.or(p.office_id).ok_or_else(|| {
        ApiError::invalid_field(
            "office_id",
            "required",
            "is required for callers outside an office",
        )
    })?;
    let actor = p.actor(p.authorize(ASSET_MANAGE, Some(office)).map_err(|e| {
        if e.code == ErrorCode::NotFound {
            ApiError::not_found("office")
        } else {
            e
        }
    })?);
    let asset = db
        .tx(move |conn| register(conn, office, &actor, &body, salvage))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/finance/assets/{}", asset.id),
        ))
        .insert_header(etag(asset.version))
        .json(asset))
}

/// One asset.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Asset id")),
    responses(
        (status = 200, description = "The asset", body = Asset, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/finance/assets/{id}")]
async fn get_asset(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let asset = db
        .run(move |conn| load_asset(conn, &p, ASSET_READ, id))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(asset.version))
        .json(asset))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOf {
    /// The date to compute for; today by default.
    pub as_of: Option<NaiveDate>,
}

/// Depreciation to date: monthly charge, months charged, accumulated, net book value.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Asset id"), AsOf),
    responses(
        (status = 200, description = "Depreciation", body = Depreciation),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/finance/assets/{id}/depreciation")]
async fn get_depreciation(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    q: ValidQuery<AsOf>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let as_of = q
        .into_inner()
        .as_of
        .unwrap_or_else(|| kernel::time::now().date_naive());
    let asset = db
        .run(move |conn| load_asset(conn, &p, ASSET_READ, id))
        .await?;
    Ok(HttpResponse::Ok().json(depreciation(&asset, as_of)))
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ad)]
pub struct Disposal {
    pub id: i64,
    pub asset_id: i64,
    pub office_id: i64,
    #[schema(example = "AD-GZ01-2026-000001")]
    pub number: String,
    #[schema(value_type = DisposalKind)]
    pub kind: String,
    pub reason: String,
    /// Minor units received (a sale); 0 otherwise.
    pub proceeds: i64,
    /// `in_approval`, `approved`, `rejected` or `withdrawn`.
    pub status: String,
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
    pub requested_by: i64,
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
pub struct DisposalInput {
    pub kind: DisposalKind,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
    #[validate(range(min = 0, max = 100_000_000_000_i64))]
    #[schema(minimum = 0)]
    pub proceeds: Option<i64>,
}

/// Request a disposal (scrap, sale or loss). The asset stays on the register until
/// the request is approved (office director, then HQ finance).
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Asset id")),
    request_body = DisposalInput,
    responses(
        (status = 201, description = "Requested and submitted", body = Disposal),
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
#[post("/finance/assets/{id}/disposals")]
async fn request_disposal(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    body: ValidJson<DisposalInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let registry = registry.get_ref().clone();
    let row = db
        .tx(move |conn| {
            let asset = load_asset(conn, &p, ASSET_MANAGE, id)?;
            let actor = p.actor(p.authorize(ASSET_MANAGE, Some(asset.office_id))?);
            if asset.status != "in_use" {
                return Err(ApiError::invalid_transition("dispose", &asset.status, &[]));
            }
            let pending: i64 = ad::table
                .filter(ad::asset_id.eq(id).and(ad::status.eq("in_approval")))
                .count()
                .get_result(conn)
                .api()?;
            if pending > 0 {
                return Err(ApiError::new(
                    ErrorCode::Duplicate,
                    "a disposal of this asset is already in approval",
                ));
            }
            let code = org::office_code(conn, asset.office_id)?;
            let number = store::docnum::next(
                conn,
                asset.office_id,
                &code,
                "AD",
                kernel::time::now().year(),
            )?;
            let now = kernel::time::to_db(kernel::time::now());
            let row: Disposal = diesel::insert_into(ad::table)
                .values((
                    ad::asset_id.eq(id),
                    ad::office_id.eq(asset.office_id),
                    ad::number.eq(&number),
                    ad::kind.eq(body.kind.as_str()),
                    ad::reason.eq(&body.reason),
                    ad::proceeds.eq(body.proceeds.unwrap_or(0)),
                    ad::status.eq("in_approval"),
                    ad::requested_by.eq(p.user_id),
                    ad::created_at.eq(now),
                    ad::updated_at.eq(now),
                    ad::version.eq(1_i64),
                ))
                .returning(ad::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "asset_disposal", row.id, Some(row.office_id)).after(&row),
            )?;
            workflow::submit_and_keep!(conn, &registry, DISPOSAL_DOC, ad, Disposal, row.id, &actor)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/finance/assets/{}", row.asset_id),
        ))
        .json(row))
}

fn set_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<Disposal, ApiError> {
    store::update_audited!(
        conn,
        actor,
        status,
        "asset_disposal",
        ad,
        Disposal,
        id,
        (
            ad::status.eq(status),
            ad::rejection_reason.eq(reason),
            ad::version.eq(ad::version + 1),
        )
    )
}

/// Disposals in the approval engine.
pub struct DisposalDocument;

impl ApprovalDocument for DisposalDocument {
    fn doc_type(&self) -> &'static str {
        DISPOSAL_DOC
    }

    /// 資產處置按照公司規定流程審批: the office director, then HQ finance.
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Fixed-asset disposal (資產處置)".to_owned(),
            steps: vec![
                role("office_director", "office_director"),
                role("hq_finance", "hq_finance"),
            ],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let d: Disposal = ad::table
            .find(doc_id)
            .select(Disposal::as_select())
            .first(conn)
            .found("disposal")?;
        let (number, name, value): (String, String, i64) = fa::table
            .find(d.asset_id)
            .select((fa::number, fa::name, fa::purchase_value))
            .first(conn)
            .api()?;
        Ok(DocumentInfo {
            office_id: Some(d.office_id),
            owner_user_id: d.requested_by,
            owner_department_id: None,
            amount: Some(value),
            currency: "CNY".to_owned(),
            category: Some(d.kind.clone()),
            summary: format!(
                "{} {}: {} {} — {}",
                d.number, d.kind, number, name, d.reason
            ),
        })
    }

    /// Takes the asset off the register, inside the deciding transaction.
    fn on_approved(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        let d = set_status(conn, actor, doc_id, "approved", None)?;
        let before: Asset = fa::table
            .find(d.asset_id)
            .select(Asset::as_select())
            .first(conn)
            .found("asset")?;
        if before.status != "in_use" {
            return Err(ApiError::invalid_transition("dispose", &before.status, &[]));
        }
        let after: Asset = diesel::update(fa::table.find(d.asset_id))
            .set((
                fa::status.eq("disposed"),
                fa::disposed_on.eq(Some(kernel::time::now().date_naive())),
                fa::disposal_kind.eq(Some(&d.kind)),
                fa::updated_at.eq(kernel::time::to_db(kernel::time::now())),
                fa::version.eq(fa::version + 1),
            ))
            .returning(fa::all_columns)
            .get_result(conn)
            .api()?;
        audit::record(
            conn,
            actor,
            Change::new("dispose", "fixed_asset", after.id, Some(after.office_id))
                .before(&before)
                .after(&after),
        )?;
        Ok(())
    }

    fn set_status(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        status: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        set_status(conn, actor, doc_id, status, reason).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(value: i64, salvage: i64, life: i32, bought: (i32, u32, u32)) -> Asset {
        let now = chrono::DateTime::UNIX_EPOCH.naive_utc();
        Asset {
            id: 1,
            office_id: 1,
            number: "FA".into(),
            name: "laptop".into(),
            category: "it".into(),
            purchase_date: NaiveDate::from_ymd_opt(bought.0, bought.1, bought.2).unwrap(),
            purchase_value: value,
            salvage_value: salvage,
            useful_life_months: life,
            location: None,
            custodian_user_id: None,
            status: "in_use".into(),
            disposed_on: None,
            disposal_kind: None,
            created_at: now,
            updated_at: now,
            version: 1,
            purchase_request_id: None,
        }
    }

    fn on(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn straight_line_by_hand() {
        // 12,000.00 laptop, 0 salvage, 36 months, bought 2026-01-15:
        // 333.33 a month from February.
        let a = asset(1_200_000, 0, 36, (2026, 1, 15));
        let d = depreciation(&a, on(2026, 1, 31));
        assert_eq!(
            (
                d.monthly,
                d.months_depreciated,
                d.accumulated,
                d.net_book_value
            ),
            (33_333, 0, 0, 1_200_000)
        );
        let d = depreciation(&a, on(2026, 11, 30));
        assert_eq!(
            (d.months_depreciated, d.accumulated, d.net_book_value),
            (10, 333_330, 866_670)
        );
        // End of life: the whole amount, the rounding remainder included.
        let d = depreciation(&a, on(2029, 1, 31));
        assert_eq!(
            (d.months_depreciated, d.accumulated, d.net_book_value),
            (36, 1_200_000, 0)
        );
        let d = depreciation(&a, on(2035, 6, 1));
        assert_eq!(d.net_book_value, 0);
        // With salvage: 50,000.00 car, 5,000.00 salvage, 60 months: 750.00 a month.
        let car = asset(5_000_000, 500_000, 60, (2025, 12, 1));
        let d = depreciation(&car, on(2026, 12, 31));
        assert_eq!(
            (
                d.monthly,
                d.months_depreciated,
                d.accumulated,
                d.net_book_value
            ),
            (75_000, 12, 900_000, 4_100_000)
        );
        assert_eq!(depreciation(&car, on(2031, 1, 1)).net_book_value, 500_000);
    }
}
