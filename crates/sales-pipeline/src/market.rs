//! Market records (市場): market research reports reviewed by a manager
//! (市場調研), the competitor base (競爭對手), the annual market expansion plan
//! approved by the department manager and then the branch leadership
//! (市場拓展計劃), and promotion campaigns evaluated after they end
//! (市場推廣活動) — cost, leads won, cost per lead — so the next one learns from
//! the last. Every record belongs to an office and is scoped to it.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, ErrorCode, FieldError, IfMatch, Page, PageRequest, Principal, ValidJson,
    ValidQuery, etag,
};
use org::roles::{SALES_MANAGE, SALES_READ};
use serde::{Deserialize, Serialize, Serializer};
use store::audit::{self, Change};
use store::schema::{
    campaigns as cp, competitors as co, expansion_plans as ep, leads, market_research as mr,
};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::{Validate, ValidationError};
use workflow::policy::{Approver, PolicyDef, StepDef, role};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

use crate::common::{load_scoped, now_db, office_for_create};

/// The approval engine's name for expansion plans.
pub const EXPANSION_PLAN_DOC: &str = "expansion_plan";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_market_research)
        .service(create_market_research)
        .service(get_market_research)
        .service(update_market_research)
        .service(review_market_research)
        .service(list_competitors)
        .service(create_competitor)
        .service(get_competitor)
        .service(update_competitor)
        .service(list_expansion_plans)
        .service(create_expansion_plan)
        .service(get_expansion_plan)
        .service(update_expansion_plan)
        .service(submit_expansion_plan)
        .service(list_campaigns)
        .service(create_campaign)
        .service(get_campaign)
        .service(update_campaign)
        .service(evaluate_campaign);
}

use kernel::time::today;

fn created(path: String, version: i64) -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::Created();
    res.insert_header((actix_web::http::header::LOCATION, path))
        .insert_header(etag(version));
    res
}

/// Refuses `action` unless the record's state allows it, naming what it allows.
fn allow(action: &str, state: &str, allowed: &[&str]) -> Result<(), ApiError> {
    if allowed.contains(&action) {
        Ok(())
    } else {
        Err(ApiError::invalid_transition(action, state, allowed))
    }
}

/// `?office_id=&limit=&cursor=` on the market lists.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListMarketRecords {
    pub office_id: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

// ---------------------------------------------------------------------------
// Market research (市場調研)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ResearchMethod {
    /// 問卷調查
    Questionnaire,
    /// 訪談
    Interview,
    /// 數據分析
    DataAnalysis,
    /// 行業報告
    IndustryReport,
}

impl ResearchMethod {
    fn as_str(self) -> &'static str {
        match self {
            ResearchMethod::Questionnaire => "questionnaire",
            ResearchMethod::Interview => "interview",
            ResearchMethod::DataAnalysis => "data_analysis",
            ResearchMethod::IndustryReport => "industry_report",
        }
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = mr)]
pub struct MarketResearch {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "2026 年華南地區商業照明市場調研")]
    pub title: String,
    #[schema(value_type = ResearchMethod)]
    pub method: String,
    pub conducted_on: NaiveDate,
    /// The report: market size, trends, competitors, customer needs.
    pub findings: String,
    pub recommendations: Option<String>,
    pub author_user_id: i64,
    /// The manager who reviewed the report; `null` until reviewed.
    pub reviewed_by: Option<i64>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reviewed_at: Option<NaiveDateTime>,
    pub review_comment: Option<String>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

impl MarketResearch {
    /// A report is open until a manager reviews it; then it is final.
    fn state(&self) -> (&'static str, &'static [&'static str]) {
        if self.reviewed_by.is_some() {
            ("reviewed", &[])
        } else {
            ("awaiting_review", &["update", "review"])
        }
    }
}

fn not_in_future(field: &str, date: NaiveDate, what: &str) -> Result<(), ApiError> {
    if date > today() {
        Err(ApiError::invalid_field(
            field,
            "range",
            format!("{what} cannot be in the future"),
        ))
    } else {
        Ok(())
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMarketResearch {
    /// The office the research belongs to; defaults to the caller's.
    pub office_id: Option<i64>,
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "2026 年華南地區商業照明市場調研"
    )]
    pub title: String,
    pub method: ResearchMethod,
    /// When the research was done; not in the future.
    #[schema(example = "2026-10-15")]
    pub conducted_on: NaiveDate,
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "市場規模約 12 億元，年增長 8%；LED 改造需求集中在商場與寫字樓；主要對手價格低 5–10%。"
    )]
    pub findings: String,
    #[validate(length(min = 1, max = 10000))]
    #[schema(
        min_length = 1,
        max_length = 10000,
        example = "重點開拓物業管理公司，推出節能改造方案。"
    )]
    pub recommendations: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMarketResearch {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    pub method: Option<ResearchMethod>,
    pub conducted_on: Option<NaiveDate>,
    #[validate(length(min = 1, max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub findings: Option<String>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[validate(length(min = 1, max = 10000))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 10000)]
    pub recommendations: Option<Option<String>>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewMarketResearch {
    /// The reviewing manager's comment.
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "結論可信，同意重點開拓物業管理客戶。"
    )]
    pub comment: String,
}

/// Market research in the caller's reach.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ListMarketRecords),
    responses((status = 200, description = "A page of market research", body = Page<MarketResearch>), ReadErrors)
)]
#[get("/sales/market-research")]
async fn list_market_research(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListMarketRecords>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, mr, MarketResearch, req, asc, |query| {
                if let Some(v) = q.office_id {
                    query = query.filter(mr::office_id.eq(v));
                }
                query
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Record a market research report (questionnaire, interview, data analysis or
/// industry report); a manager other than the author reviews it.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    request_body = CreateMarketResearch,
    responses((status = 201, description = "Created", body = MarketResearch, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/sales/market-research")]
async fn create_market_research(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateMarketResearch>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (office, authority) = office_for_create(&p, SALES_MANAGE, body.office_id)?;
    not_in_future("conducted_on", body.conducted_on, "research")?;
    let actor = p.actor(authority);
    let row = db
        .tx(move |conn| {
            org::require_open_office(conn, office)?;
            let now = now_db();
            let row: MarketResearch = diesel::insert_into(mr::table)
                .values((
                    mr::office_id.eq(office),
                    mr::title.eq(&body.title),
                    mr::method.eq(body.method.as_str()),
                    mr::conducted_on.eq(body.conducted_on),
                    mr::findings.eq(&body.findings),
                    mr::recommendations.eq(&body.recommendations),
                    mr::author_user_id.eq(p.user_id),
                    mr::created_at.eq(now),
                    mr::updated_at.eq(now),
                    mr::version.eq(1_i64),
                ))
                .returning(mr::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "market_research", row.id, Some(office)).after(&row),
            )?;
            Ok(row)
        })
        .await?;
    Ok(created(
        format!("/api/v1/sales/market-research/{}", row.id),
        row.version,
    )
    .json(row))
}

/// Get a market research report.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Market research id")),
    responses((status = 200, description = "The report", body = MarketResearch, headers(("ETag" = String))), ReadErrors)
)]
#[get("/sales/market-research/{id}")]
async fn get_market_research(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db
        .run(move |conn| {
            let (row, _) = load_scoped!(
                conn,
                p,
                SALES_READ,
                mr,
                MarketResearch,
                id,
                "market research"
            );
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// Change a report while it awaits review.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Market research id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = UpdateMarketResearch,
    responses((status = 200, description = "Updated", body = MarketResearch, headers(("ETag" = String))), ChangeErrors)
)]
#[patch("/sales/market-research/{id}")]
async fn update_market_research(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<UpdateMarketResearch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    if let Some(d) = b.conducted_on {
        not_in_future("conducted_on", d, "research")?;
    }
    let row = db
        .tx(move |conn| {
            let (before, authority) = load_scoped!(
                conn,
                p,
                SALES_MANAGE,
                mr,
                MarketResearch,
                id,
                "market research"
            );
            let actor = p.actor(authority);
            let (state, allowed) = before.state();
            allow("update", state, allowed)?;
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            let method = b
                .method
                .map_or_else(|| before.method.clone(), |m| m.as_str().to_owned());
            let after: MarketResearch = diesel::update(
                mr::table
                    .find(id)
                    .filter(mr::version.eq(if_match.0))
                    .filter(mr::reviewed_by.is_null()),
            )
            .set((
                mr::title.eq(b.title.as_deref().unwrap_or(&before.title)),
                mr::method.eq(&method),
                mr::conducted_on.eq(b.conducted_on.unwrap_or(before.conducted_on)),
                mr::findings.eq(b.findings.as_deref().unwrap_or(&before.findings)),
                mr::recommendations.eq(b
                    .recommendations
                    .clone()
                    .unwrap_or(before.recommendations.clone())),
                mr::updated_at.eq(now_db()),
                mr::version.eq(mr::version + 1),
            ))
            .returning(mr::all_columns)
            .get_result(conn)
            .optional()
            .api()?
            .ok_or_else(|| version_conflict(before.version + 1))?;
            audit::record(
                conn,
                &actor,
                Change::new("update", "market_research", id, Some(after.office_id))
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// The manager's review of a report (經理審閱). Any holder of `sales:manage`
/// over the office except the author reviews it, once; the report is then final.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Market research id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ReviewMarketResearch,
    responses((status = 200, description = "Reviewed", body = MarketResearch, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/sales/market-research/{id}/review")]
async fn review_market_research(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ReviewMarketResearch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let comment = body.into_inner().comment;
    let row = db
        .tx(move |conn| {
            let (before, authority) = load_scoped!(
                conn,
                p,
                SALES_MANAGE,
                mr,
                MarketResearch,
                id,
                "market research"
            );
            let actor = p.actor(authority);
            let (state, allowed) = before.state();
            allow("review", state, allowed)?;
            if p.user_id == before.author_user_id || actor.acting_for == Some(before.author_user_id)
            {
                return Err(ApiError::conflict(
                    "the author cannot review their own research; another manager reviews it",
                ));
            }
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            let now = now_db();
            // Only an unreviewed report changes: a concurrent review loses.
            let after: MarketResearch =
                diesel::update(mr::table.find(id).filter(mr::reviewed_by.is_null()))
                    .set((
                        mr::reviewed_by.eq(Some(p.user_id)),
                        mr::reviewed_at.eq(Some(now)),
                        mr::review_comment.eq(Some(&comment)),
                        mr::updated_at.eq(now),
                        mr::version.eq(mr::version + 1),
                    ))
                    .returning(mr::all_columns)
                    .get_result(conn)
                    .optional()
                    .api()?
                    .ok_or_else(|| ApiError::invalid_transition("review", "reviewed", &[]))?;
            audit::record(
                conn,
                &actor,
                Change::new("review", "market_research", id, Some(after.office_id))
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

// ---------------------------------------------------------------------------
// Competitors (競爭對手)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = co)]
pub struct Competitor {
    pub id: i64,
    pub office_id: i64,
    /// Unique within the office.
    #[schema(example = "佛山雪萊特照明")]
    pub name: String,
    pub products: Option<String>,
    pub strengths: Option<String>,
    pub weaknesses: Option<String>,
    /// Estimated market share in basis points (10000 = 100%).
    pub market_share_bp: Option<i32>,
    pub notes: Option<String>,
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
pub struct CreateCompetitor {
    /// The office whose market the competitor is in; defaults to the caller's.
    pub office_id: Option<i64>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "佛山雪萊特照明")]
    pub name: String,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "LED 工礦燈、面板燈")]
    pub products: Option<String>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "價格低，經銷網絡廣")]
    pub strengths: Option<String>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "售後響應慢")]
    pub weaknesses: Option<String>,
    /// Basis points: 1500 = 15%.
    #[validate(range(min = 0, max = 10_000))]
    #[schema(minimum = 0, maximum = 10_000, example = 1500)]
    pub market_share_bp: Option<i32>,
    #[validate(length(min = 1, max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub notes: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCompetitor {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[validate(length(min = 1, max = 2000))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 2000)]
    pub products: Option<Option<String>>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[validate(length(min = 1, max = 2000))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 2000)]
    pub strengths: Option<Option<String>>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[validate(length(min = 1, max = 2000))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 2000)]
    pub weaknesses: Option<Option<String>>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[validate(range(min = 0, max = 10_000))]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 10_000)]
    pub market_share_bp: Option<Option<i32>>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[validate(length(min = 1, max = 5000))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 5000)]
    pub notes: Option<Option<String>>,
}

fn name_taken(err: ApiError) -> ApiError {
    if err.code == ErrorCode::Duplicate {
        ApiError::new(
            ErrorCode::Duplicate,
            "this office already has a competitor of that name",
        )
        .with_extra("field", "name".into())
    } else {
        err
    }
}

/// The competitor base in the caller's reach.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ListMarketRecords),
    responses((status = 200, description = "A page of competitors", body = Page<Competitor>), ReadErrors)
)]
#[get("/sales/competitors")]
async fn list_competitors(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListMarketRecords>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, co, Competitor, req, asc, |query| {
                if let Some(v) = q.office_id {
                    query = query.filter(co::office_id.eq(v));
                }
                query
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Add a competitor to the office's competitor base.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    request_body = CreateCompetitor,
    responses((status = 201, description = "Created", body = Competitor, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/sales/competitors")]
async fn create_competitor(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateCompetitor>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (office, authority) = office_for_create(&p, SALES_MANAGE, body.office_id)?;
    let actor = p.actor(authority);
    let row = db
        .tx(move |conn| {
            org::require_open_office(conn, office)?;
            let now = now_db();
            let row: Competitor = diesel::insert_into(co::table)
                .values((
                    co::office_id.eq(office),
                    co::name.eq(&body.name),
                    co::products.eq(&body.products),
                    co::strengths.eq(&body.strengths),
                    co::weaknesses.eq(&body.weaknesses),
                    co::market_share_bp.eq(body.market_share_bp),
                    co::notes.eq(&body.notes),
                    co::created_at.eq(now),
                    co::updated_at.eq(now),
                    co::version.eq(1_i64),
                ))
                .returning(co::all_columns)
                .get_result(conn)
                .map_err(|e| name_taken(store::db_error(e)))?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "competitor", row.id, Some(office)).after(&row),
            )?;
            Ok(row)
        })
        .await?;
    Ok(created(format!("/api/v1/sales/competitors/{}", row.id), row.version).json(row))
}

/// Get a competitor.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Competitor id")),
    responses((status = 200, description = "The competitor", body = Competitor, headers(("ETag" = String))), ReadErrors)
)]
#[get("/sales/competitors/{id}")]
async fn get_competitor(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db
        .run(move |conn| {
            let (row, _) = load_scoped!(conn, p, SALES_READ, co, Competitor, id, "competitor");
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// Keep a competitor's information current.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Competitor id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = UpdateCompetitor,
    responses((status = 200, description = "Updated", body = Competitor, headers(("ETag" = String))), ChangeErrors)
)]
#[patch("/sales/competitors/{id}")]
async fn update_competitor(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<UpdateCompetitor>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let row = db
        .tx(move |conn| {
            let (before, authority) =
                load_scoped!(conn, p, SALES_MANAGE, co, Competitor, id, "competitor");
            let actor = p.actor(authority);
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            let after: Competitor =
                diesel::update(co::table.find(id).filter(co::version.eq(if_match.0)))
                    .set((
                        co::name.eq(b.name.as_deref().unwrap_or(&before.name)),
                        co::products.eq(b.products.clone().unwrap_or(before.products.clone())),
                        co::strengths.eq(b.strengths.clone().unwrap_or(before.strengths.clone())),
                        co::weaknesses
                            .eq(b.weaknesses.clone().unwrap_or(before.weaknesses.clone())),
                        co::market_share_bp.eq(b.market_share_bp.unwrap_or(before.market_share_bp)),
                        co::notes.eq(b.notes.clone().unwrap_or(before.notes.clone())),
                        co::updated_at.eq(now_db()),
                        co::version.eq(co::version + 1),
                    ))
                    .returning(co::all_columns)
                    .get_result(conn)
                    .optional()
                    .map_err(|e| name_taken(store::db_error(e)))?
                    .ok_or_else(|| version_conflict(before.version + 1))?;
            audit::record(
                conn,
                &actor,
                Change::new("update", "competitor", id, Some(after.office_id))
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

// ---------------------------------------------------------------------------
// Expansion plans (市場拓展計劃)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ExpansionPlanStatus {
    Draft,
    InApproval,
    Approved,
    Rejected,
    Withdrawn,
}

impl ExpansionPlanStatus {
    fn as_str(self) -> &'static str {
        match self {
            ExpansionPlanStatus::Draft => "draft",
            ExpansionPlanStatus::InApproval => "in_approval",
            ExpansionPlanStatus::Approved => "approved",
            ExpansionPlanStatus::Rejected => "rejected",
            ExpansionPlanStatus::Withdrawn => "withdrawn",
        }
    }
}

/// What a plan in `status` allows here. A plan in approval is decided — approved,
/// rejected or withdrawn — through the approval engine.
fn plan_actions(status: &str) -> &'static [&'static str] {
    match status {
        "draft" | "rejected" | "withdrawn" => &["update", "submit"],
        _ => &[],
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ep)]
pub struct ExpansionPlan {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "EP-GZ01-2027-000001")]
    pub number: String,
    /// The plan's year.
    #[schema(example = 2027)]
    pub year: i32,
    #[schema(example = "2027 年廣州辦事處市場拓展計劃")]
    pub title: String,
    pub goals: String,
    pub key_regions: String,
    pub target_groups: String,
    pub methods: String,
    pub schedule: String,
    /// Minor units (分).
    pub budget: i64,
    #[schema(value_type = ExpansionPlanStatus)]
    pub status: String,
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
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
pub struct CreateExpansionPlan {
    /// The office the plan is for; defaults to the caller's.
    pub office_id: Option<i64>,
    /// The plan's year; it is also the year in the plan's number.
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100, example = 2027)]
    pub year: i32,
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "2027 年廣州辦事處市場拓展計劃"
    )]
    pub title: String,
    #[validate(length(min = 1, max = 5000))]
    #[schema(
        min_length = 1,
        max_length = 5000,
        example = "新增重要客戶 10 家，銷售額增長 20%"
    )]
    pub goals: String,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "佛山、東莞、中山")]
    pub key_regions: String,
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "物業管理公司、商業綜合體"
    )]
    pub target_groups: String,
    #[validate(length(min = 1, max = 5000))]
    #[schema(
        min_length = 1,
        max_length = 5000,
        example = "行業展會、節能改造方案推介會、老客戶轉介紹"
    )]
    pub methods: String,
    #[validate(length(min = 1, max = 5000))]
    #[schema(
        min_length = 1,
        max_length = 5000,
        example = "Q1 調研與名單；Q2 展會；Q3–Q4 重點跟進"
    )]
    pub schedule: String,
    /// Minor units (分), not negative.
    #[validate(range(min = 0, max = 100_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 100_000_000_000_i64, example = 30_000_000)]
    pub budget: i64,
}

/// The plan's year is fixed once numbered; everything else may change while the
/// plan is a draft, or after it was rejected or withdrawn.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateExpansionPlan {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[validate(length(min = 1, max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub goals: Option<String>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub key_regions: Option<String>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub target_groups: Option<String>,
    #[validate(length(min = 1, max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub methods: Option<String>,
    #[validate(length(min = 1, max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub schedule: Option<String>,
    #[validate(range(min = 0, max = 100_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 100_000_000_000_i64)]
    pub budget: Option<i64>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListExpansionPlans {
    pub office_id: Option<i64>,
    #[validate(range(min = 2000, max = 2100))]
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    pub status: Option<ExpansionPlanStatus>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Expansion plans in the caller's reach.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ListExpansionPlans),
    responses((status = 200, description = "A page of expansion plans", body = Page<ExpansionPlan>), ReadErrors)
)]
#[get("/sales/expansion-plans")]
async fn list_expansion_plans(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListExpansionPlans>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, ep, ExpansionPlan, req, asc, |query| {
                if let Some(v) = q.office_id {
                    query = query.filter(ep::office_id.eq(v));
                }
                if let Some(v) = q.year {
                    query = query.filter(ep::year.eq(v));
                }
                if let Some(v) = q.status {
                    query = query.filter(ep::status.eq(v.as_str()));
                }
                query
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Draft an annual expansion plan; it is numbered `EP-<office>-<year>-NNNNNN`.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    request_body = CreateExpansionPlan,
    responses((status = 201, description = "Created as a draft", body = ExpansionPlan, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/sales/expansion-plans")]
async fn create_expansion_plan(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateExpansionPlan>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (office, authority) = office_for_create(&p, SALES_MANAGE, body.office_id)?;
    let actor = p.actor(authority);
    let row = db
        .tx(move |conn| {
            let code = org::require_open_office(conn, office)?;
            let number = store::docnum::next(conn, office, &code, "EP", body.year)?;
            let now = now_db();
            let row: ExpansionPlan = diesel::insert_into(ep::table)
                .values((
                    ep::office_id.eq(office),
                    ep::number.eq(&number),
                    ep::year.eq(body.year),
                    ep::title.eq(&body.title),
                    ep::goals.eq(&body.goals),
                    ep::key_regions.eq(&body.key_regions),
                    ep::target_groups.eq(&body.target_groups),
                    ep::methods.eq(&body.methods),
                    ep::schedule.eq(&body.schedule),
                    ep::budget.eq(body.budget),
                    ep::status.eq("draft"),
                    ep::created_by.eq(p.user_id),
                    ep::created_at.eq(now),
                    ep::updated_at.eq(now),
                    ep::version.eq(1_i64),
                ))
                .returning(ep::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "expansion_plan", row.id, Some(office)).after(&row),
            )?;
            Ok(row)
        })
        .await?;
    Ok(created(
        format!("/api/v1/sales/expansion-plans/{}", row.id),
        row.version,
    )
    .json(row))
}

/// Get an expansion plan.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Expansion plan id")),
    responses((status = 200, description = "The plan", body = ExpansionPlan, headers(("ETag" = String))), ReadErrors)
)]
#[get("/sales/expansion-plans/{id}")]
async fn get_expansion_plan(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db
        .run(move |conn| {
            let (row, _) =
                load_scoped!(conn, p, SALES_READ, ep, ExpansionPlan, id, "expansion plan");
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// Change a draft plan, or one that was rejected or withdrawn, before
/// (re)submitting it.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Expansion plan id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = UpdateExpansionPlan,
    responses((status = 200, description = "Updated", body = ExpansionPlan, headers(("ETag" = String))), ChangeErrors)
)]
#[patch("/sales/expansion-plans/{id}")]
async fn update_expansion_plan(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<UpdateExpansionPlan>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let row = db
        .tx(move |conn| {
            let (before, authority) = load_scoped!(
                conn,
                p,
                SALES_MANAGE,
                ep,
                ExpansionPlan,
                id,
                "expansion plan"
            );
            let actor = p.actor(authority);
            allow("update", &before.status, plan_actions(&before.status))?;
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            let after: ExpansionPlan =
                diesel::update(ep::table.find(id).filter(ep::version.eq(if_match.0)))
                    .set((
                        ep::title.eq(b.title.as_deref().unwrap_or(&before.title)),
                        ep::goals.eq(b.goals.as_deref().unwrap_or(&before.goals)),
                        ep::key_regions.eq(b.key_regions.as_deref().unwrap_or(&before.key_regions)),
                        ep::target_groups
                            .eq(b.target_groups.as_deref().unwrap_or(&before.target_groups)),
                        ep::methods.eq(b.methods.as_deref().unwrap_or(&before.methods)),
                        ep::schedule.eq(b.schedule.as_deref().unwrap_or(&before.schedule)),
                        ep::budget.eq(b.budget.unwrap_or(before.budget)),
                        ep::updated_at.eq(now_db()),
                        ep::version.eq(ep::version + 1),
                    ))
                    .returning(ep::all_columns)
                    .get_result(conn)
                    .optional()
                    .api()?
                    .ok_or_else(|| version_conflict(before.version + 1))?;
            audit::record(
                conn,
                &actor,
                Change::new("update", "expansion_plan", id, Some(after.office_id))
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// Submit a plan for approval: the department manager reviews it, then the
/// office director approves it (部門經理審核，分公司領導審批). A rejected or
/// withdrawn plan is resubmitted the same way.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Expansion plan id"), ("If-Match" = String, Header, description = "ETag last read")),
    responses((status = 200, description = "Submitted: in approval", body = ExpansionPlan, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/sales/expansion-plans/{id}/submit")]
async fn submit_expansion_plan(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let registry = registry.get_ref().clone();
    let row = db
        .tx(move |conn| {
            let (before, authority) = load_scoped!(
                conn,
                p,
                SALES_MANAGE,
                ep,
                ExpansionPlan,
                id,
                "expansion plan"
            );
            let actor = p.actor(authority);
            allow("submit", &before.status, plan_actions(&before.status))?;
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            let instance = workflow::submit(conn, &registry, EXPANSION_PLAN_DOC, id, &actor)?;
            let after: ExpansionPlan =
                diesel::update(ep::table.find(id).filter(ep::version.eq(if_match.0)))
                    .set((
                        ep::status.eq("in_approval"),
                        ep::approval_id.eq(Some(instance.id)),
                        ep::rejection_reason.eq(None::<String>),
                        ep::updated_at.eq(now_db()),
                        ep::version.eq(ep::version + 1),
                    ))
                    .returning(ep::all_columns)
                    .get_result(conn)
                    .optional()
                    .api()?
                    .ok_or_else(|| version_conflict(before.version + 1))?;
            audit::record(
                conn,
                &actor,
                Change::new("submit", "expansion_plan", id, Some(after.office_id))
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

fn set_plan_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    let before: ExpansionPlan = ep::table
        .find(id)
        .select(ExpansionPlan::as_select())
        .first(conn)
        .found("expansion plan")?;
    let after: ExpansionPlan = diesel::update(ep::table.find(id))
        .set((
            ep::status.eq(status),
            ep::rejection_reason.eq(reason),
            ep::updated_at.eq(now_db()),
            ep::version.eq(ep::version + 1),
        ))
        .returning(ep::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new(status, "expansion_plan", id, Some(after.office_id))
            .before(&before)
            .after(&after),
    )?;
    Ok(())
}

/// Expansion plans in the approval engine.
pub struct ExpansionPlanDocument;

impl ApprovalDocument for ExpansionPlanDocument {
    fn doc_type(&self) -> &'static str {
        EXPANSION_PLAN_DOC
    }

    /// 部門經理審核，分公司領導審批: the author's department supervisor, then
    /// the office director.
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Market expansion plan (市場拓展計劃)".to_owned(),
            steps: vec![
                StepDef {
                    name: "department_manager".to_owned(),
                    approver: Approver::DepartmentSupervisor {},
                    condition: None,
                    time_limit_hours: None,
                    escalate_to: None,
                },
                role("office_director", "office_director"),
            ],
            allow_same_approver: false,
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let plan: ExpansionPlan = ep::table
            .find(doc_id)
            .select(ExpansionPlan::as_select())
            .first(conn)
            .found("expansion plan")?;
        let department = crate::common::department_of(conn, plan.created_by, plan.office_id)?;
        Ok(DocumentInfo {
            office_id: Some(plan.office_id),
            owner_user_id: plan.created_by,
            owner_department_id: department,
            amount: Some(plan.budget),
            currency: "CNY".to_owned(),
            category: None,
            summary: format!(
                "{} {} expansion plan: {}",
                plan.number, plan.year, plan.title
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
        set_plan_status(conn, actor, doc_id, status, reason)
    }
}

// ---------------------------------------------------------------------------
// Promotion campaigns (市場推廣活動)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CampaignChannel {
    /// 行業展會
    TradeShow,
    /// 新品發布會
    ProductLaunch,
    /// 網絡推廣
    Online,
    /// 平面媒體
    Print,
    Other,
}

impl CampaignChannel {
    fn as_str(self) -> &'static str {
        match self {
            CampaignChannel::TradeShow => "trade_show",
            CampaignChannel::ProductLaunch => "product_launch",
            CampaignChannel::Online => "online",
            CampaignChannel::Print => "print",
            CampaignChannel::Other => "other",
        }
    }
}

/// The channels as stored: comma-joined in one text column.
fn join_channels(channels: &[CampaignChannel]) -> String {
    channels
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The stored channels as the API shows them: an array.
fn channels_out<S: Serializer>(stored: &str, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(stored.split(',').filter(|c| !c.is_empty()))
}

fn unique_channels(channels: &[CampaignChannel]) -> Result<(), ValidationError> {
    let repeated = channels
        .iter()
        .enumerate()
        .any(|(i, c)| channels[..i].contains(c));
    if repeated {
        let mut e = ValidationError::new("duplicate");
        e.message = Some("name each channel once".into());
        Err(e)
    } else {
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Planned or running; may change until evaluated.
    Planned,
    /// Evaluated after it ended; final.
    Evaluated,
}

impl CampaignStatus {
    fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Planned => "planned",
            CampaignStatus::Evaluated => "evaluated",
        }
    }
}

/// What a campaign in `status` allows.
fn campaign_actions(status: &str) -> &'static [&'static str] {
    match status {
        "planned" => &["update", "evaluate"],
        _ => &[],
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = cp)]
pub struct Campaign {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "2027 廣州國際照明展")]
    pub theme: String,
    pub content: Option<String>,
    #[serde(serialize_with = "channels_out")]
    #[schema(value_type = Vec<CampaignChannel>)]
    pub channels: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Minor units (分).
    pub budget: i64,
    pub expected_effect: String,
    #[schema(value_type = CampaignStatus)]
    pub status: String,
    /// What the campaign really cost (minor units); set by the evaluation.
    pub actual_cost: Option<i64>,
    /// Leads recorded for this campaign when it was evaluated.
    pub leads_won: Option<i32>,
    /// `actual_cost / leads_won`, rounded half up; `null` without leads.
    pub cost_per_lead: Option<i64>,
    pub effect_notes: Option<String>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub evaluated_at: Option<NaiveDateTime>,
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
pub struct CreateCampaign {
    /// The office running the campaign; defaults to the caller's.
    pub office_id: Option<i64>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "2027 廣州國際照明展")]
    pub theme: String,
    #[validate(length(min = 1, max = 5000))]
    #[schema(
        min_length = 1,
        max_length = 5000,
        example = "展位 60 平方米，展出節能工礦燈與智能照明控制系統"
    )]
    pub content: Option<String>,
    /// Each channel once.
    #[validate(length(min = 1, max = 5), custom(function = "unique_channels"))]
    #[schema(min_items = 1, max_items = 5, example = json!(["trade_show", "online"]))]
    pub channels: Vec<CampaignChannel>,
    #[schema(example = "2027-06-09")]
    pub starts_on: NaiveDate,
    /// On or after `starts_on`.
    #[schema(example = "2027-06-12")]
    pub ends_on: NaiveDate,
    /// Minor units (分), not negative.
    #[validate(range(min = 0, max = 100_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 100_000_000_000_i64, example = 15_000_000)]
    pub budget: i64,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "收集有效線索 80 條")]
    pub expected_effect: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCampaign {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub theme: Option<String>,
    #[serde(default, deserialize_with = "kernel::extract::nullable")]
    #[validate(length(min = 1, max = 5000))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 5000)]
    pub content: Option<Option<String>>,
    #[validate(length(min = 1, max = 5), custom(function = "unique_channels"))]
    #[schema(min_items = 1, max_items = 5)]
    pub channels: Option<Vec<CampaignChannel>>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    #[validate(range(min = 0, max = 100_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 100_000_000_000_i64)]
    pub budget: Option<i64>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub expected_effect: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateCampaign {
    /// What the campaign really cost, minor units (分).
    #[validate(range(min = 0, max = 100_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 100_000_000_000_i64, example = 14_250_000)]
    pub actual_cost: i64,
    /// The effect against the expected one, and what the next campaign should learn.
    #[validate(length(min = 1, max = 5000))]
    #[schema(
        min_length = 1,
        max_length = 5000,
        example = "收集線索 95 條，超出預期；下次增加現場演示時段。"
    )]
    pub effect_notes: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListCampaigns {
    pub office_id: Option<i64>,
    pub status: Option<CampaignStatus>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn check_dates(starts_on: NaiveDate, ends_on: NaiveDate) -> Result<(), ApiError> {
    if ends_on < starts_on {
        Err(ApiError::invalid_field(
            "ends_on",
            "range",
            "a campaign cannot end before it starts",
        ))
    } else {
        Ok(())
    }
}

/// `cost / leads`, rounded half up; `None` without leads.
pub fn cost_per_lead(cost: i64, leads: i64) -> Option<i64> {
    (leads > 0).then(|| (cost + leads / 2) / leads)
}

/// Promotion campaigns in the caller's reach.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ListCampaigns),
    responses((status = 200, description = "A page of campaigns", body = Page<Campaign>), ReadErrors)
)]
#[get("/sales/campaigns")]
async fn list_campaigns(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListCampaigns>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, cp, Campaign, req, asc, |query| {
                if let Some(v) = q.office_id {
                    query = query.filter(cp::office_id.eq(v));
                }
                if let Some(v) = q.status {
                    query = query.filter(cp::status.eq(v.as_str()));
                }
                query
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Plan a promotion campaign: theme, content, channels, dates, budget and the
/// expected effect.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    request_body = CreateCampaign,
    responses((status = 201, description = "Created", body = Campaign, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/sales/campaigns")]
async fn create_campaign(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateCampaign>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (office, authority) = office_for_create(&p, SALES_MANAGE, body.office_id)?;
    check_dates(body.starts_on, body.ends_on)?;
    let actor = p.actor(authority);
    let row = db
        .tx(move |conn| {
            org::require_open_office(conn, office)?;
            let now = now_db();
            let row: Campaign = diesel::insert_into(cp::table)
                .values((
                    cp::office_id.eq(office),
                    cp::theme.eq(&body.theme),
                    cp::content.eq(&body.content),
                    cp::channels.eq(join_channels(&body.channels)),
                    cp::starts_on.eq(body.starts_on),
                    cp::ends_on.eq(body.ends_on),
                    cp::budget.eq(body.budget),
                    cp::expected_effect.eq(&body.expected_effect),
                    cp::status.eq("planned"),
                    cp::created_by.eq(p.user_id),
                    cp::created_at.eq(now),
                    cp::updated_at.eq(now),
                    cp::version.eq(1_i64),
                ))
                .returning(cp::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "campaign", row.id, Some(office)).after(&row),
            )?;
            Ok(row)
        })
        .await?;
    Ok(created(format!("/api/v1/sales/campaigns/{}", row.id), row.version).json(row))
}

/// Get a campaign, with its evaluation once made.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Campaign id")),
    responses((status = 200, description = "The campaign", body = Campaign, headers(("ETag" = String))), ReadErrors)
)]
#[get("/sales/campaigns/{id}")]
async fn get_campaign(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db
        .run(move |conn| {
            let (row, _) = load_scoped!(conn, p, SALES_READ, cp, Campaign, id, "campaign");
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// Change a campaign until it is evaluated.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Campaign id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = UpdateCampaign,
    responses((status = 200, description = "Updated", body = Campaign, headers(("ETag" = String))), ChangeErrors)
)]
#[patch("/sales/campaigns/{id}")]
async fn update_campaign(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<UpdateCampaign>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let row = db
        .tx(move |conn| {
            let (before, authority) =
                load_scoped!(conn, p, SALES_MANAGE, cp, Campaign, id, "campaign");
            let actor = p.actor(authority);
            allow("update", &before.status, campaign_actions(&before.status))?;
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            let starts_on = b.starts_on.unwrap_or(before.starts_on);
            let ends_on = b.ends_on.unwrap_or(before.ends_on);
            check_dates(starts_on, ends_on)?;
            let channels = b
                .channels
                .as_deref()
                .map_or_else(|| before.channels.clone(), join_channels);
            let after: Campaign = diesel::update(
                cp::table
                    .find(id)
                    .filter(cp::version.eq(if_match.0))
                    .filter(cp::status.eq("planned")),
            )
            .set((
                cp::theme.eq(b.theme.as_deref().unwrap_or(&before.theme)),
                cp::content.eq(b.content.clone().unwrap_or(before.content.clone())),
                cp::channels.eq(&channels),
                cp::starts_on.eq(starts_on),
                cp::ends_on.eq(ends_on),
                cp::budget.eq(b.budget.unwrap_or(before.budget)),
                cp::expected_effect.eq(b
                    .expected_effect
                    .as_deref()
                    .unwrap_or(&before.expected_effect)),
                cp::updated_at.eq(now_db()),
                cp::version.eq(cp::version + 1),
            ))
            .returning(cp::all_columns)
            .get_result(conn)
            .optional()
            .api()?
            .ok_or_else(|| version_conflict(before.version + 1))?;
            audit::record(
                conn,
                &actor,
                Change::new("update", "campaign", id, Some(after.office_id))
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// Evaluate a campaign after it ended (效果評估): the actual cost, the leads
/// recorded for it, the cost per lead and the effect. Once; the campaign is
/// then final.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Campaign id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = EvaluateCampaign,
    responses((status = 200, description = "Evaluated", body = Campaign, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/sales/campaigns/{id}/evaluation")]
async fn evaluate_campaign(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<EvaluateCampaign>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let row = db
        .tx(move |conn| {
            let (before, authority) =
                load_scoped!(conn, p, SALES_MANAGE, cp, Campaign, id, "campaign");
            let actor = p.actor(authority);
            allow("evaluate", &before.status, campaign_actions(&before.status))?;
            if today() < before.ends_on {
                return Err(ApiError::validation(vec![FieldError::new(
                    "ends_on",
                    "not_ended",
                    format!(
                        "a campaign is evaluated on or after its last day, {}",
                        before.ends_on
                    ),
                )]));
            }
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            let leads_won: i64 = leads::table
                .filter(leads::campaign_id.eq(id))
                .count()
                .get_result(conn)
                .api()?;
            let now = now_db();
            let after: Campaign =
                diesel::update(cp::table.find(id).filter(cp::status.eq("planned")))
                    .set((
                        cp::status.eq("evaluated"),
                        cp::actual_cost.eq(Some(b.actual_cost)),
                        cp::leads_won.eq(Some(i32::try_from(leads_won).unwrap_or(i32::MAX))),
                        cp::cost_per_lead.eq(cost_per_lead(b.actual_cost, leads_won)),
                        cp::effect_notes.eq(Some(&b.effect_notes)),
                        cp::evaluated_at.eq(Some(now)),
                        cp::updated_at.eq(now),
                        cp::version.eq(cp::version + 1),
                    ))
                    .returning(cp::all_columns)
                    .get_result(conn)
                    .optional()
                    .api()?
                    .ok_or_else(|| ApiError::invalid_transition("evaluate", "evaluated", &[]))?;
            audit::record(
                conn,
                &actor,
                Change::new("evaluate", "campaign", id, Some(after.office_id))
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_per_lead_rounds_half_up() {
        assert_eq!(cost_per_lead(1_000, 0), None);
        assert_eq!(cost_per_lead(1_000, 3), Some(333));
        assert_eq!(cost_per_lead(5, 2), Some(3));
        assert_eq!(cost_per_lead(5, 3), Some(2));
        assert_eq!(cost_per_lead(0, 4), Some(0));
    }

    #[test]
    fn channels_round_trip_through_the_text_column() {
        let joined = join_channels(&[CampaignChannel::TradeShow, CampaignChannel::Online]);
        assert_eq!(joined, "trade_show,online");
        let mut out = Vec::new();
        channels_out(&joined, &mut serde_json::Serializer::new(&mut out)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"["trade_show","online"]"#
        );
        assert!(unique_channels(&[CampaignChannel::Print, CampaignChannel::Print]).is_err());
    }

    #[test]
    fn only_open_plans_change_or_go_to_approval() {
        for s in ["draft", "rejected", "withdrawn"] {
            assert!(allow("submit", s, plan_actions(s)).is_ok());
        }
        for s in ["in_approval", "approved"] {
            assert!(allow("update", s, plan_actions(s)).is_err());
        }
    }
}
