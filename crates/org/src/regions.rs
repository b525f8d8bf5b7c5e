//! Regions (區域): groups of offices under a regional manager.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, PreconditionFailed,
    PreconditionRequired, ServiceUnavailable, Unauthorized, UnprocessableEntity,
};
use kernel::{ApiError, IfMatch, Page, Principal, ValidJson, ValidQuery, etag};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::regions;
use store::{Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::{location, now_db, page};
use crate::roles::{REGION_MANAGE, REGION_READ};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_regions)
        .service(create_region)
        .service(get_region)
        .service(update_region);
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = regions)]
pub struct Region {
    pub id: i64,
    #[schema(example = "SOUTH")]
    pub code: String,
    #[schema(example = "華南 South China")]
    pub name: String,
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
pub struct CreateRegion {
    #[validate(
        length(min = 2, max = 16),
        custom(function = "crate::offices::validate_code")
    )]
    #[schema(
        min_length = 2,
        max_length = 16,
        pattern = "^[A-Z0-9_]+$",
        example = "SOUTH"
    )]
    pub code: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRegion {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListRegions {
    /// Page size, 1–200 (default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// List regions.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    params(ListRegions),
    responses(
        (status = 200, description = "A page of regions", body = Page<Region>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/org/regions")]
async fn list_regions(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListRegions>,
) -> Result<HttpResponse, ApiError> {
    p.require(REGION_READ)?;
    let q = q.into_inner();
    let req = page(q.limit, q.cursor.as_deref())?;
    let rows = db
        .run(move |conn| {
            let mut query = regions::table
                .select(Region::as_select())
                .into_boxed::<store::MultiBackend>();
            if let Some(after) = req.after {
                query = query.filter(regions::id.gt(after));
            }
            let rows = query
                .order(regions::id.asc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Create a region (HQ).
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    request_body = CreateRegion,
    responses(
        (status = 201, description = "Created", body = Region, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/org/regions")]
async fn create_region(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateRegion>,
) -> Result<HttpResponse, ApiError> {
    let authority = p.require_company(REGION_MANAGE)?;
    let actor = p.actor(authority);
    let body = body.into_inner();
    let region = db
        .tx(move |conn| {
            let now = now_db();
            let region: Region = diesel::insert_into(regions::table)
                .values((
                    regions::code.eq(&body.code),
                    regions::name.eq(&body.name),
                    regions::created_at.eq(now),
                    regions::updated_at.eq(now),
                    regions::version.eq(1_i64),
                ))
                .returning(regions::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "region", region.id, None).after(&region),
            )?;
            Ok(region)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(location(&format!("/org/regions/{}", region.id)))
        .insert_header(etag(region.version))
        .json(region))
}

/// Get a region.
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Region id")),
    responses(
        (status = 200, description = "The region", body = Region, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/org/regions/{id}")]
async fn get_region(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    p.require(REGION_READ)?;
    let id = id.into_inner();
    let region: Region = db
        .run(move |conn| {
            regions::table
                .find(id)
                .select(Region::as_select())
                .first(conn)
                .found("region")
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(region.version))
        .json(region))
}

/// Rename a region (HQ).
#[utoipa::path(
    tag = "org",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Region id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = UpdateRegion,
    responses(
        (status = 200, description = "Updated", body = Region, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = UnprocessableEntity),
        (status = 428, response = PreconditionRequired),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[patch("/org/regions/{id}")]
async fn update_region(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<UpdateRegion>,
) -> Result<HttpResponse, ApiError> {
    let authority = p.require_company(REGION_MANAGE)?;
    let actor = p.actor(authority);
    let id = id.into_inner();
    let body = body.into_inner();
    let region = db
        .tx(move |conn| {
            let before: Region = regions::table
                .find(id)
                .select(Region::as_select())
                .first(conn)
                .found("region")?;
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            let after: Region = diesel::update(
                regions::table
                    .find(id)
                    .filter(regions::version.eq(if_match.0)),
            )
            .set((
                regions::name.eq(body.name.as_deref().unwrap_or(&before.name)),
                regions::updated_at.eq(now_db()),
                regions::version.eq(regions::version + 1),
            ))
            .returning(regions::all_columns)
            .get_result(conn)
            .optional()
            .api()?
            .ok_or_else(|| version_conflict(before.version + 1))?;
            audit::record(
                conn,
                &actor,
                Change::new("update", "region", id, None)
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(region.version))
        .json(region))
}
