//! Asset purchase requests (資產購置申請). A fixed asset is bought only after
//! approval (固定資產購置應按照公司規定的審批流程進行審批): the request names what,
//! how many, the estimated unit value and why, and goes to the office director —
//! and to HQ finance as well above 50,000.00. Once approved and bought, the assets
//! are registered from the request at once (購置後應及時入賬，並進行編號和登記), each
//! numbered on the register and linked back to the request; a request registers
//! once.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{Actor, ApiError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag};
use org::roles::{ASSET_MANAGE, ASSET_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{asset_purchases as ap, fixed_assets as fa};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::policy::{Condition, PolicyDef, StepDef, role};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

use crate::assets::{Asset, AssetCategory, CreateAsset, register_linked};
use crate::common::{load_scoped, not_in_future, now_db, office_for_create};

/// The approval engine's name for asset purchase requests.
pub const PURCHASE_DOC: &str = "asset_purchase";

/// Above this total (minor units) HQ finance approves after the office director:
/// 50,000.00 CNY.
pub const LARGE_PURCHASE: i64 = 5_000_000;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_asset_purchases)
        .service(create_asset_purchase)
        .service(get_asset_purchase)
        .service(register_asset_purchase);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PurchaseStatus {
    /// Submitted and waiting for the approval chain.
    InApproval,
    /// Approved: buy, then register.
    Approved,
    Rejected,
    /// Withdrawn by the requester before the first decision.
    Withdrawn,
    /// Bought and on the fixed-asset register; final.
    Registered,
}

impl PurchaseStatus {
    fn as_str(self) -> &'static str {
        match self {
            PurchaseStatus::InApproval => "in_approval",
            PurchaseStatus::Approved => "approved",
            PurchaseStatus::Rejected => "rejected",
            PurchaseStatus::Withdrawn => "withdrawn",
            PurchaseStatus::Registered => "registered",
        }
    }
}

/// What a request in `status` allows through these routes.
fn actions(status: &str) -> &'static [&'static str] {
    match status {
        "approved" => &["register"],
        _ => &[],
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ap)]
pub struct AssetPurchase {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "AP-GZ01-2026-000001")]
    pub number: String,
    #[schema(example = "Laptop ThinkPad T14")]
    pub name: String,
    #[schema(value_type = AssetCategory)]
    pub category: String,
    #[schema(example = 3)]
    pub quantity: i64,
    /// Minor units per unit, as estimated when requesting.
    #[schema(example = 900_000)]
    pub estimated_unit_value: i64,
    /// `quantity × estimated_unit_value`: the amount approved.
    #[schema(example = 2_700_000)]
    pub estimated_total: i64,
    #[schema(example = "CNY")]
    pub currency: String,
    #[schema(example = "Three new sales staff start in December")]
    pub reason: String,
    #[schema(example = "Lenovo Guangzhou")]
    pub supplier: Option<String>,
    #[schema(value_type = PurchaseStatus)]
    pub status: String,
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
    pub requested_by: i64,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub registered_at: Option<NaiveDateTime>,
    pub registered_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// A request with the assets registered from it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetPurchaseView {
    #[serde(flatten)]
    pub purchase: AssetPurchase,
    /// The assets bought under it, once registered.
    pub assets: Vec<Asset>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAssetPurchase {
    /// The office; defaults to the caller's.
    pub office_id: Option<i64>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Laptop ThinkPad T14")]
    pub name: String,
    pub category: AssetCategory,
    /// Units to buy; each becomes one asset on the register.
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000, example = 3)]
    pub quantity: i64,
    /// Minor units (分) per unit.
    #[validate(range(min = 1, max = 100_000_000_000_i64))]
    #[schema(minimum = 1, maximum = 100_000_000_000_i64, example = 900_000)]
    pub estimated_unit_value: i64,
    #[validate(length(min = 1, max = 1000))]
    #[schema(
        min_length = 1,
        max_length = 1000,
        example = "Three new sales staff start in December"
    )]
    pub reason: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Lenovo Guangzhou")]
    pub supplier: Option<String>,
}

/// What was actually bought, to put on the register.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterPurchase {
    /// Not in the future, not before the request.
    #[schema(example = "2026-11-20")]
    pub purchase_date: NaiveDate,
    /// The actual price per unit, minor units; the total may not exceed the
    /// amount approved.
    #[validate(range(min = 1, max = 100_000_000_000_i64))]
    #[schema(minimum = 1, maximum = 100_000_000_000_i64, example = 880_000)]
    pub purchase_value: i64,
    /// Per unit, minor units; 0 by default.
    #[validate(range(min = 0, max = 100_000_000_000_i64))]
    #[schema(minimum = 0, example = 0)]
    pub salvage_value: Option<i64>,
    #[validate(range(min = 1, max = 600))]
    #[schema(minimum = 1, maximum = 600, example = 36)]
    pub useful_life_months: i32,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Main office")]
    pub location: Option<String>,
    /// An active user of the office who takes the assets in custody.
    pub custodian_user_id: Option<i64>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListAssetPurchases {
    pub office_id: Option<i64>,
    pub status: Option<PurchaseStatus>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn view(conn: &mut AnyConnection, purchase: AssetPurchase) -> Result<AssetPurchaseView, ApiError> {
    let assets = fa::table
        .filter(
            fa::purchase_request_id
                .eq(purchase.id)
                .and(fa::office_id.eq(purchase.office_id)),
        )
        .select(Asset::as_select())
        .order(fa::id.asc())
        .load(conn)
        .api()?;
    Ok(AssetPurchaseView { purchase, assets })
}

/// One request by id, unscoped (for the demo loader and the engine's hooks).
pub fn load(conn: &mut AnyConnection, id: i64) -> Result<AssetPurchase, ApiError> {
    ap::table
        .find(id)
        .select(AssetPurchase::as_select())
        .first(conn)
        .found("purchase request")
}

/// Files a request and submits it to approval (also used by the demo loader).
pub fn file_purchase(
    conn: &mut AnyConnection,
    registry: &Registry,
    office: i64,
    actor: &Actor,
    body: &CreateAssetPurchase,
) -> Result<AssetPurchase, ApiError> {
    let requested_by = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a purchase request needs a person to file it"))?;
    let total = body
        .quantity
        .checked_mul(body.estimated_unit_value)
        .filter(|t| *t <= 1_000_000_000_000_000)
        .ok_or_else(|| {
            ApiError::invalid_field("estimated_unit_value", "range", "the total is too large")
        })?;
    let code = org::office_code(conn, office)?;
    let number = store::docnum::next(conn, office, &code, "AP", kernel::time::now().year())?;
    let now = now_db();
    let row: AssetPurchase = diesel::insert_into(ap::table)
        .values((
            ap::office_id.eq(office),
            ap::number.eq(&number),
            ap::name.eq(&body.name),
            ap::category.eq(body.category.as_str()),
            ap::quantity.eq(body.quantity),
            ap::estimated_unit_value.eq(body.estimated_unit_value),
            ap::estimated_total.eq(total),
            ap::currency.eq("CNY"),
            ap::reason.eq(&body.reason),
            ap::supplier.eq(&body.supplier),
            ap::status.eq("in_approval"),
            ap::requested_by.eq(requested_by),
            ap::created_at.eq(now),
            ap::updated_at.eq(now),
            ap::version.eq(1_i64),
        ))
        .returning(ap::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("create", "asset_purchase", row.id, Some(office)).after(&row),
    )?;
    workflow::submit_and_keep!(
        conn,
        registry,
        PURCHASE_DOC,
        ap,
        AssetPurchase,
        row.id,
        actor
    )
}

/// Registers what an approved request bought: one asset per unit, each linked to
/// the request (also used by the demo loader). `row` is the request as read.
pub fn register_purchase(
    conn: &mut AnyConnection,
    actor: &Actor,
    row: &AssetPurchase,
    body: &RegisterPurchase,
) -> Result<AssetPurchaseView, ApiError> {
    if row.status != "approved" {
        return Err(ApiError::invalid_transition(
            "register",
            &row.status,
            actions(&row.status),
        ));
    }
    let salvage = body.salvage_value.unwrap_or(0);
    if salvage >= body.purchase_value {
        return Err(ApiError::invalid_field(
            "salvage_value",
            "range",
            "must be below the purchase value",
        ));
    }
    not_in_future("purchase_date", body.purchase_date)?;
    if body.purchase_date < row.created_at.date() {
        return Err(ApiError::invalid_field(
            "purchase_date",
            "range",
            "cannot be before the purchase was requested",
        ));
    }
    let actual = i128::from(body.purchase_value) * i128::from(row.quantity);
    if actual > i128::from(row.estimated_total) {
        return Err(ApiError::invalid_field(
            "purchase_value",
            "over_approved",
            format!(
                "{} × {} exceeds the {} approved; file a new request for the difference",
                row.quantity, body.purchase_value, row.estimated_total
            ),
        ));
    }
    let category = AssetCategory::from_code(&row.category).ok_or_else(|| {
        ApiError::internal(std::io::Error::other(format!(
            "unknown asset category {}",
            row.category
        )))
    })?;
    // Claim the transition first: of two registrations at once, one finds the
    // request no longer approved and rolls back.
    let after: Option<AssetPurchase> = diesel::update(
        ap::table
            .find(row.id)
            .filter(ap::status.eq("approved"))
            .filter(ap::version.eq(row.version)),
    )
    .set((
        ap::status.eq("registered"),
        ap::registered_at.eq(Some(now_db())),
        ap::registered_by.eq(actor.user_id),
        ap::updated_at.eq(now_db()),
        ap::version.eq(ap::version + 1),
    ))
    .returning(ap::all_columns)
    .get_result(conn)
    .optional()
    .api()?;
    let Some(after) = after else {
        let (status, version): (String, i64) = ap::table
            .find(row.id)
            .select((ap::status, ap::version))
            .first(conn)
            .found("purchase request")?;
        return Err(if status == "approved" {
            version_conflict(version)
        } else {
            ApiError::invalid_transition("register", &status, actions(&status))
        });
    };
    let input = CreateAsset {
        office_id: Some(row.office_id),
        name: row.name.clone(),
        category,
        purchase_date: body.purchase_date,
        purchase_value: body.purchase_value,
        salvage_value: Some(salvage),
        useful_life_months: body.useful_life_months,
        location: body.location.clone(),
        custodian_user_id: body.custodian_user_id,
    };
    for _ in 0..row.quantity {
        register_linked(conn, row.office_id, actor, &input, salvage, Some(row.id))?;
    }
    let view = view(conn, after)?;
    audit::record(
        conn,
        actor,
        Change::new("register", "asset_purchase", row.id, Some(row.office_id))
            .before(row)
            .after(&view),
    )?;
    Ok(view)
}

/// Asset purchase requests of the offices the caller reaches.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(ListAssetPurchases),
    responses((status = 200, description = "A page of purchase requests", body = Page<AssetPurchase>), ReadErrors)
)]
#[get("/finance/asset-purchases")]
async fn list_asset_purchases(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListAssetPurchases>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(ASSET_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, ap, AssetPurchase, req, asc, |query| {
                if let Some(v) = q.office_id {
                    query = query.filter(ap::office_id.eq(v));
                }
                if let Some(v) = q.status {
                    query = query.filter(ap::status.eq(v.as_str()));
                }
                query
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Request the purchase of fixed assets; it is numbered `AP-<office>-<year>-<n>`
/// and submitted at once to the office director, and above 50,000.00 to HQ
/// finance as well.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    request_body = CreateAssetPurchase,
    responses((status = 201, description = "Requested and submitted", body = AssetPurchaseView, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/finance/asset-purchases")]
async fn create_asset_purchase(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    body: ValidJson<CreateAssetPurchase>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (office, authority) = office_for_create(&p, ASSET_MANAGE, body.office_id)?;
    let actor = p.actor(authority);
    let registry = registry.get_ref().clone();
    let view = db
        .tx(move |conn| {
            let row = file_purchase(conn, &registry, office, &actor, &body)?;
            view(conn, row)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/finance/asset-purchases/{}", view.purchase.id),
        ))
        .insert_header(etag(view.purchase.version))
        .json(view))
}

/// One purchase request, with the assets registered from it.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Purchase request id")),
    responses((status = 200, description = "The purchase request", body = AssetPurchaseView, headers(("ETag" = String))), ReadErrors)
)]
#[get("/finance/asset-purchases/{id}")]
async fn get_asset_purchase(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = db
        .run(move |conn| {
            let (row, _) = load_scoped!(
                conn,
                p,
                ASSET_READ,
                ap,
                AssetPurchase,
                id,
                "purchase request"
            );
            view(conn, row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.purchase.version))
        .json(view))
}

/// Register what an approved request bought: one asset per unit on the
/// fixed-asset register, numbered `FA-…` and linked to the request. Once only.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Purchase request id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = RegisterPurchase,
    responses((status = 200, description = "Registered, with the new assets", body = AssetPurchaseView, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/finance/asset-purchases/{id}/register")]
async fn register_asset_purchase(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<RegisterPurchase>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let view = db
        .tx(move |conn| {
            let (row, authority) = load_scoped!(
                conn,
                p,
                ASSET_MANAGE,
                ap,
                AssetPurchase,
                id,
                "purchase request"
            );
            if row.version != if_match.0 {
                return Err(version_conflict(row.version));
            }
            register_purchase(conn, &p.actor(authority), &row, &body)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.purchase.version))
        .json(view))
}

fn set_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<AssetPurchase, ApiError> {
    store::update_audited!(
        conn,
        actor,
        status,
        "asset_purchase",
        ap,
        AssetPurchase,
        id,
        (
            ap::status.eq(status),
            ap::rejection_reason.eq(reason),
            ap::updated_at.eq(now_db()),
            ap::version.eq(ap::version + 1),
        )
    )
}

/// Asset purchase requests in the approval engine.
pub struct PurchaseDocument;

impl ApprovalDocument for PurchaseDocument {
    fn doc_type(&self) -> &'static str {
        PURCHASE_DOC
    }

    /// 固定資產購置應按照公司規定的審批流程進行審批: the office director, and HQ
    /// finance for a total above 50,000.00.
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Fixed-asset purchase (資產購置)".to_owned(),
            steps: vec![
                role("office_director", "office_director"),
                StepDef {
                    condition: Some(Condition {
                        amount_above: Some(LARGE_PURCHASE),
                        ..Default::default()
                    }),
                    ..role("hq_finance", "hq_finance")
                },
            ],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let r = load(conn, doc_id)?;
        Ok(DocumentInfo {
            office_id: Some(r.office_id),
            owner_user_id: r.requested_by,
            owner_department_id: None,
            amount: Some(r.estimated_total),
            currency: r.currency.clone(),
            category: Some(r.category.clone()),
            summary: format!("{}: {} × {} — {}", r.number, r.quantity, r.name, r.reason),
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
        set_status(conn, actor, doc_id, status, reason).map(drop)
    }
}
