//! Market research reports (市場調研): a report — questionnaire, interview, data
//! analysis or industry report — is recorded with its findings, may change while
//! it awaits review, and is reviewed once by a manager other than its author;
//! then it is final.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{ApiError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag};
use org::roles::{SALES_MANAGE, SALES_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::market_research as mr;
use store::{Db, DbResultExt};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::{ListMarketRecords, allow, created};
use crate::common::{load_scoped, now_db, office_for_create};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_market_research)
        .service(create_market_research)
        .service(get_market_research)
        .service(update_market_research)
        .service(review_market_research);
}

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
    kernel::actions::not_in_future("conducted_on", body.conducted_on)?;
    let actor = p.actor(authority);
    let row = db
        .tx(move |conn| {
            org::office_code(conn, office)?;
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
        kernel::actions::not_in_future("conducted_on", d)?;
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
