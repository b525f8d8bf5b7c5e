//! Stocktakes (盤點) of fixed assets. Opening one lists the assets the office's
//! register expects; the count records each as present, missing or damaged, and any
//! asset found that the register lacks as surplus. Differences need investigation
//! notes and are settled through approval (盤盈、盤虧或毀損，應及時查明原因，按照規定進行處理):
//! on settlement a missing asset leaves the register as a loss. A count without
//! differences settles at once.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, PreconditionFailed,
    PreconditionRequired, ServiceUnavailable, Unauthorized, UnprocessableEntity,
};
use kernel::{Actor, ApiError, ErrorCode, FieldError, IfMatch, Principal, ValidJson, etag};
use org::roles::{ASSET_MANAGE, ASSET_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{fixed_assets as fa, stocktake_items as it, stocktakes as st};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::policy::{PolicyDef, role};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

pub const STOCKTAKE_DOC: &str = "stocktake";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(open_stocktake)
        .service(get_stocktake)
        .service(record_results)
        .service(submit_stocktake);
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = st)]
pub struct StocktakeRow {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "ST-GZ01-2026-000001")]
    pub number: String,
    /// `open`, `in_approval`, `settled` or `rejected` (back to counting).
    pub status: String,
    pub opened_by: i64,
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub settled_at: Option<NaiveDateTime>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = it)]
pub struct StocktakeItem {
    pub id: i64,
    #[serde(skip)]
    pub stocktake_id: i64,
    #[serde(skip)]
    pub office_id: i64,
    /// The register's asset; `null` for a surplus found in the count.
    pub asset_id: Option<i64>,
    pub description: String,
    /// On the register when the stocktake opened.
    pub expected: bool,
    /// `pending`, `present`, `missing`, `damaged` or `surplus`.
    pub result: String,
    pub investigation: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Stocktake {
    #[serde(flatten)]
    pub stocktake: StocktakeRow,
    pub items: Vec<StocktakeItem>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CountResult {
    Present,
    Missing,
    Damaged,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemResult {
    pub item_id: i64,
    pub result: CountResult,
    /// Required for a missing or damaged asset: what the investigation found.
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub investigation: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Surplus {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub description: String,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub investigation: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Results {
    #[validate(length(max = 1000), nested)]
    #[serde(default)]
    pub items: Vec<ItemResult>,
    #[validate(length(max = 200), nested)]
    #[serde(default)]
    pub surplus: Vec<Surplus>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenStocktake {
    /// The office; defaults to the caller's.
    pub office_id: Option<i64>,
}

fn full(conn: &mut AnyConnection, row: StocktakeRow) -> Result<Stocktake, ApiError> {
    let items = it::table
        .filter(it::stocktake_id.eq(row.id))
        .select(StocktakeItem::as_select())
        .order(it::id.asc())
        .load(conn)
        .api()?;
    Ok(Stocktake {
        stocktake: row,
        items,
    })
}

fn load(
    conn: &mut AnyConnection,
    p: &Principal,
    perm: &'static str,
    id: i64,
) -> Result<StocktakeRow, ApiError> {
    let (row, _) = store::load_scoped!(conn, p, perm, st, StocktakeRow, id, "stocktake");
    Ok(row)
}

/// Opens a stocktake listing every asset the register expects (also used by the
/// demo loader).
pub fn open(conn: &mut AnyConnection, office: i64, actor: &Actor) -> Result<Stocktake, ApiError> {
    let opened_by = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a stocktake needs a person to open it"))?;
    let code = org::office_code(conn, office)?;
    let running: i64 = st::table
        .filter(st::office_id.eq(office).and(st::status.ne("settled")))
        .count()
        .get_result(conn)
        .api()?;
    if running > 0 {
        return Err(ApiError::conflict(
            "the office has a stocktake that is not settled yet",
        ));
    }
    let number = store::docnum::next(conn, office, &code, "ST", kernel::time::now().year())?;
    let now = kernel::time::to_db(kernel::time::now());
    let row: StocktakeRow = diesel::insert_into(st::table)
        .values((
            st::office_id.eq(office),
            st::number.eq(&number),
            st::status.eq("open"),
            st::opened_by.eq(opened_by),
            st::created_at.eq(now),
            st::updated_at.eq(now),
            st::version.eq(1_i64),
        ))
        .returning(st::all_columns)
        .get_result(conn)
        .api()?;
    let assets: Vec<(i64, String, String)> = fa::table
        .filter(fa::office_id.eq(office).and(fa::status.eq("in_use")))
        .select((fa::id, fa::number, fa::name))
        .order(fa::id.asc())
        .load(conn)
        .api()?;
    for (asset, number, name) in assets {
        diesel::insert_into(it::table)
            .values((
                it::stocktake_id.eq(row.id),
                it::office_id.eq(office),
                it::asset_id.eq(Some(asset)),
                it::description.eq(format!("{number} {name}")),
                it::expected.eq(true),
                it::result.eq("pending"),
            ))
            .execute(conn)
            .api()?;
    }
    let stocktake = full(conn, row)?;
    audit::record(
        conn,
        actor,
        Change::new("open", "stocktake", stocktake.stocktake.id, Some(office)).after(&stocktake),
    )?;
    Ok(stocktake)
}

/// Open a stocktake of the office's fixed assets.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    request_body = OpenStocktake,
    responses(
        (status = 201, description = "Opened with the expected assets", body = Stocktake, headers(("Location" = String), ("ETag" = String))),
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
#[post("/finance/stocktakes")]
async fn open_stocktake(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<OpenStocktake>,
) -> Result<HttpResponse, ApiError> {
    let office = body.into_inner().office_id.or(p.office_id).ok_or_else(|| {
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
    let stocktake = db.tx(move |conn| open(conn, office, &actor)).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/finance/stocktakes/{}", stocktake.stocktake.id),
        ))
        .insert_header(etag(stocktake.stocktake.version))
        .json(stocktake))
}

/// One stocktake with every item and its result.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Stocktake id")),
    responses(
        (status = 200, description = "The stocktake", body = Stocktake, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/finance/stocktakes/{id}")]
async fn get_stocktake(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let s = db
        .run(move |conn| load(conn, &p, ASSET_READ, id).and_then(|row| full(conn, row)))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(s.stocktake.version))
        .json(s))
}

/// Records count results (also used by the demo loader).
pub fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    row: &StocktakeRow,
    body: &Results,
) -> Result<Stocktake, ApiError> {
    if row.status != "open" && row.status != "rejected" {
        return Err(ApiError::invalid_transition(
            "record results",
            &row.status,
            &["submit"],
        ));
    }
    let mut errors = Vec::new();
    for (i, r) in body.items.iter().enumerate() {
        let found: Option<bool> = it::table
            .filter(
                it::id
                    .eq(r.item_id)
                    .and(it::stocktake_id.eq(row.id))
                    .and(it::expected.eq(true)),
            )
            .select(it::expected)
            .first(conn)
            .optional()
            .api()?;
        if found.is_none() {
            errors.push(FieldError::new(
                format!("items[{i}].item_id"),
                "not_found",
                "not an expected item of this stocktake",
            ));
        }
        if r.result != CountResult::Present && r.investigation.is_none() {
            errors.push(FieldError::new(
                format!("items[{i}].investigation"),
                "required",
                "a missing or damaged asset needs investigation notes",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    for r in &body.items {
        let result = match r.result {
            CountResult::Present => "present",
            CountResult::Missing => "missing",
            CountResult::Damaged => "damaged",
        };
        diesel::update(it::table.find(r.item_id))
            .set((
                it::result.eq(result),
                it::investigation.eq(&r.investigation),
            ))
            .execute(conn)
            .api()?;
    }
    for s in &body.surplus {
        diesel::insert_into(it::table)
            .values((
                it::stocktake_id.eq(row.id),
                it::office_id.eq(row.office_id),
                it::asset_id.eq(None::<i64>),
                it::description.eq(&s.description),
                it::expected.eq(false),
                it::result.eq("surplus"),
                it::investigation.eq(Some(&s.investigation)),
            ))
            .execute(conn)
            .api()?;
    }
    let after: StocktakeRow = diesel::update(st::table.find(row.id))
        .set((
            st::updated_at.eq(kernel::time::to_db(kernel::time::now())),
            st::version.eq(st::version + 1),
        ))
        .returning(st::all_columns)
        .get_result(conn)
        .api()?;
    let stocktake = full(conn, after)?;
    audit::record(
        conn,
        actor,
        Change::new("count", "stocktake", row.id, Some(row.office_id)).after(&stocktake),
    )?;
    Ok(stocktake)
}

/// Record what the count found: each expected asset present, missing or damaged
/// (with investigation notes), and surplus found.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Stocktake id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = Results,
    responses(
        (status = 200, description = "Recorded", body = Stocktake, headers(("ETag" = String))),
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
#[post("/finance/stocktakes/{id}/results")]
async fn record_results(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<Results>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let s = db
        .tx(move |conn| {
            let row = load(conn, &p, ASSET_MANAGE, id)?;
            let actor = p.actor(p.authorize(ASSET_MANAGE, Some(row.office_id))?);
            if row.version != if_match.0 {
                return Err(version_conflict(row.version));
            }
            record(conn, &actor, &row, &body)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(s.stocktake.version))
        .json(s))
}

/// Submits a counted stocktake (also used by the demo loader): with differences it
/// goes to approval, without it settles at once.
pub fn submit(
    conn: &mut AnyConnection,
    registry: &Registry,
    actor: &Actor,
    row: &StocktakeRow,
) -> Result<StocktakeRow, ApiError> {
    if row.status != "open" && row.status != "rejected" {
        return Err(ApiError::invalid_transition(
            "submit",
            &row.status,
            &["record results"],
        ));
    }
    let items: Vec<StocktakeItem> = it::table
        .filter(it::stocktake_id.eq(row.id))
        .select(StocktakeItem::as_select())
        .load(conn)
        .api()?;
    let pending: Vec<FieldError> = items
        .iter()
        .filter(|i| i.result == "pending")
        .map(|i| {
            FieldError::new(
                format!("item {}", i.id),
                "pending",
                format!("{} has no count result", i.description),
            )
        })
        .collect();
    if !pending.is_empty() {
        return Err(ApiError::validation(pending));
    }
    let differences = items.iter().any(|i| i.result != "present");
    let now = kernel::time::to_db(kernel::time::now());
    let after: StocktakeRow = if differences {
        workflow::submit_and_keep!(
            conn,
            registry,
            STOCKTAKE_DOC,
            st,
            StocktakeRow,
            row.id,
            actor,
            set = (
                st::status.eq("in_approval"),
                st::version.eq(st::version + 1)
            )
        )?
    } else {
        diesel::update(st::table.find(row.id))
            .set((
                st::status.eq("settled"),
                st::settled_at.eq(Some(now)),
                st::version.eq(st::version + 1),
            ))
            .returning(st::all_columns)
            .get_result(conn)
            .api()?
    };
    audit::record(
        conn,
        actor,
        Change::new("submit", "stocktake", row.id, Some(row.office_id))
            .before(row)
            .after(&after),
    )?;
    Ok(after)
}

/// Submit the count: differences go to approval (office director, then HQ
/// finance); a count without differences is settled at once.
#[utoipa::path(
    tag = "finance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Stocktake id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses(
        (status = 200, description = "In approval or settled", body = Stocktake, headers(("ETag" = String))),
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
#[post("/finance/stocktakes/{id}/submit")]
async fn submit_stocktake(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let registry = registry.get_ref().clone();
    let s = db
        .tx(move |conn| {
            let row = load(conn, &p, ASSET_MANAGE, id)?;
            let actor = p.actor(p.authorize(ASSET_MANAGE, Some(row.office_id))?);
            if row.version != if_match.0 {
                return Err(version_conflict(row.version));
            }
            let after = submit(conn, &registry, &actor, &row)?;
            full(conn, after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(s.stocktake.version))
        .json(s))
}

fn set_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<StocktakeRow, ApiError> {
    let settled = (status == "settled").then(|| kernel::time::to_db(kernel::time::now()));
    store::update_audited!(
        conn,
        actor,
        status,
        "stocktake",
        st,
        StocktakeRow,
        id,
        (
            st::status.eq(status),
            st::rejection_reason.eq(reason),
            st::settled_at.eq(settled),
            st::version.eq(st::version + 1),
        )
    )
}

/// Stocktakes with differences in the approval engine.
pub struct StocktakeDocument;

impl ApprovalDocument for StocktakeDocument {
    fn doc_type(&self) -> &'static str {
        STOCKTAKE_DOC
    }

    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Stocktake differences (盤盈、盤虧、毀損)".to_owned(),
            steps: vec![
                role("office_director", "office_director"),
                role("hq_finance", "hq_finance"),
            ],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let s: StocktakeRow = st::table
            .find(doc_id)
            .select(StocktakeRow::as_select())
            .first(conn)
            .found("stocktake")?;
        let results: Vec<String> = it::table
            .filter(it::stocktake_id.eq(doc_id))
            .select(it::result)
            .load(conn)
            .api()?;
        let count = |r: &str| results.iter().filter(|x| *x == r).count();
        Ok(DocumentInfo {
            office_id: Some(s.office_id),
            owner_user_id: s.opened_by,
            owner_department_id: None,
            amount: None,
            currency: "CNY".to_owned(),
            category: None,
            summary: format!(
                "{}: {} missing, {} damaged, {} surplus",
                s.number,
                count("missing"),
                count("damaged"),
                count("surplus")
            ),
        })
    }

    /// Settles: each missing asset leaves the register as a loss.
    fn on_approved(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        let s = set_status(conn, actor, doc_id, "settled", None)?;
        let missing: Vec<i64> = it::table
            .filter(it::stocktake_id.eq(doc_id).and(it::result.eq("missing")))
            .select(it::asset_id)
            .load::<Option<i64>>(conn)
            .api()?
            .into_iter()
            .flatten()
            .collect();
        for asset in missing {
            let updated = diesel::update(fa::table.find(asset).filter(fa::status.eq("in_use")))
                .set((
                    fa::status.eq("disposed"),
                    fa::disposed_on.eq(Some(kernel::time::now().date_naive())),
                    fa::disposal_kind.eq(Some("loss")),
                    fa::version.eq(fa::version + 1),
                ))
                .execute(conn)
                .api()?;
            if updated > 0 {
                audit::record(
                    conn,
                    actor,
                    Change::new("dispose", "fixed_asset", asset, Some(s.office_id))
                        .before(&serde_json::json!({"status": "in_use"}))
                        .after(&serde_json::json!({"status": "disposed", "disposal_kind": "loss", "stocktake": s.number})),
                )?;
            }
        }
        Ok(())
    }

    fn on_withdrawn(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        set_status(conn, actor, doc_id, "open", None).map(drop)
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
