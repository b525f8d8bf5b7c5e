//! The competitor base (競爭對手): each office keeps its competitors — products,
//! strengths, weaknesses, estimated market share — under names unique within
//! the office, and keeps them current.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    ApiError, ErrorCode, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{SALES_MANAGE, SALES_READ};
use serde::{Deserialize, Serialize};
use store::Db;
use store::audit::{self, Change};
use store::schema::competitors as co;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::{ListMarketRecords, created};
use crate::common::{load_scoped, now_db, office_for_create};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_competitors)
        .service(create_competitor)
        .service(get_competitor)
        .service(update_competitor);
}

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
            org::office_code(conn, office)?;
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
