//! Warranty terms (保修期): how many months a product is under warranty from
//! the day it was installed — company data HQ keeps, with history. A term
//! applies from its `effective_from` day on and is never edited: a change is a
//! new term from a later day, so a unit keeps the term in force when it was
//! installed. A product's own term comes before the company default (no
//! product); the migration seeds a default of 12 months.
//!
//! A service ticket reads [`warranty_for`] once, when it is opened.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::responses::{ReadErrors, WriteErrors};
use kernel::{ApiError, Page, PageRequest, Principal, ValidJson, ValidQuery, etag};
use org::roles::SERVICE_READ;
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::warranty_terms as wt;
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::{config_authority, created, now_db};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_warranty_terms)
        .service(create_warranty_term)
        .service(get_warranty_term);
}

/// A warranty term.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = wt)]
pub struct WarrantyTerm {
    pub id: i64,
    /// The product (as named on order lines); `null`: every product without
    /// a term of its own.
    #[schema(example = "LED 筒燈 DL-200")]
    pub product: Option<String>,
    /// Months under warranty from the installation day.
    #[schema(example = 24)]
    pub months: i32,
    /// Units installed from this day on take this term.
    pub effective_from: NaiveDate,
    pub note: Option<String>,
    /// `null` for the default the migration seeded.
    pub created_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWarrantyTerm {
    /// The product as named on order lines; left out: the company default.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "LED 筒燈 DL-200")]
    pub product: Option<String>,
    #[validate(range(min = 0, max = 240))]
    #[schema(minimum = 0, maximum = 240, example = 24)]
    pub months: i32,
    /// Units installed from this day on take the term. One term per product
    /// and day.
    pub effective_from: NaiveDate,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "新款燈具保修兩年")]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListWarrantyTerms {
    /// Only the terms of this product (exactly as named).
    #[validate(length(min = 1, max = 200))]
    #[param(min_length = 1, max_length = 200)]
    pub product: Option<String>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The warranty of a unit of `product` installed on `installed_on`: the
/// product's term in force that day, else the company default's. `None` when
/// no term was in force.
pub fn warranty_for(
    conn: &mut AnyConnection,
    product: &str,
    installed_on: NaiveDate,
) -> Result<Option<WarrantyTerm>, ApiError> {
    let own: Option<WarrantyTerm> = wt::table
        .filter(wt::product.eq(product))
        .filter(wt::effective_from.le(installed_on))
        .order(wt::effective_from.desc())
        .select(WarrantyTerm::as_select())
        .first(conn)
        .optional()
        .api()?;
    if own.is_some() {
        return Ok(own);
    }
    wt::table
        .filter(wt::product.is_null())
        .filter(wt::effective_from.le(installed_on))
        .order(wt::effective_from.desc())
        .select(WarrantyTerm::as_select())
        .first(conn)
        .optional()
        .api()
}

/// The last day under warranty of a unit installed on `installed_on` for
/// `months`: the day before the same date `months` later — 12 months from
/// 10 March 2025 end on 9 March 2026 — or, where that month is too short for
/// the date, its last day (one month from 31 January 2025 ends on 28
/// February). `None` for a term of 0 months (no warranty).
pub fn last_day(installed_on: NaiveDate, months: i32) -> Option<NaiveDate> {
    use chrono::Datelike;
    if months <= 0 {
        return None;
    }
    let anniversary = installed_on.checked_add_months(Months::new(months.unsigned_abs()))?;
    if anniversary.day() < installed_on.day() {
        Some(anniversary)
    } else {
        anniversary.pred_opt()
    }
}

/// The warranty terms, oldest first (everyone with `service:read`).
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(ListWarrantyTerms),
    responses((status = 200, description = "A page of warranty terms", body = Page<WarrantyTerm>), ReadErrors)
)]
#[get("/after-sales/warranty-terms")]
async fn list_warranty_terms(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListWarrantyTerms>,
) -> Result<HttpResponse, ApiError> {
    p.require(SERVICE_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let mut query = wt::table
                .select(WarrantyTerm::as_select())
                .into_boxed::<store::MultiBackend>();
            if let Some(v) = &q.product {
                query = query.filter(wt::product.eq(v.clone()));
            }
            if let Some(after) = req.after {
                query = query.filter(wt::id.gt(after));
            }
            let rows: Vec<WarrantyTerm> = query
                .order(wt::id.asc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Add a warranty term (HQ): a product's own, or the company default, from a
/// day on. Tickets already opened keep the warranty they were given.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    request_body = CreateWarrantyTerm,
    responses((status = 201, description = "Added", body = WarrantyTerm, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/after-sales/warranty-terms")]
async fn create_warranty_term(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateWarrantyTerm>,
) -> Result<HttpResponse, ApiError> {
    let actor = p.actor(config_authority(&p, None, "warranty term")?);
    let body = body.into_inner();
    let row = db
        .tx(move |conn| {
            let mut same_day = wt::table
                .filter(wt::effective_from.eq(body.effective_from))
                .into_boxed::<store::MultiBackend>();
            same_day = match &body.product {
                Some(product) => same_day.filter(wt::product.eq(product.clone())),
                None => same_day.filter(wt::product.is_null()),
            };
            let taken: i64 = same_day.count().get_result(conn).api()?;
            if taken > 0 {
                return Err(ApiError::conflict(
                    "a term for this product already starts on that day",
                ));
            }
            let row: WarrantyTerm = diesel::insert_into(wt::table)
                .values((
                    wt::product.eq(body.product.as_deref()),
                    wt::months.eq(body.months),
                    wt::effective_from.eq(body.effective_from),
                    wt::note.eq(body.note.as_deref()),
                    wt::created_by.eq(actor.user_id),
                    wt::created_at.eq(now_db()),
                ))
                .returning(wt::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "warranty_term", row.id, None).after(&row),
            )?;
            Ok(row)
        })
        .await?;
    Ok(created(format!("/api/v1/after-sales/warranty-terms/{}", row.id), 1).json(row))
}

/// One warranty term.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Warranty term id")),
    responses((status = 200, description = "The term", body = WarrantyTerm, headers(("ETag" = String))), ReadErrors)
)]
#[get("/after-sales/warranty-terms/{id}")]
async fn get_warranty_term(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    p.require(SERVICE_READ)?;
    let id = id.into_inner();
    let row = db
        .run(move |conn| {
            wt::table
                .find(id)
                .select(WarrantyTerm::as_select())
                .first::<WarrantyTerm>(conn)
                .found("warranty term")
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(1)).json(row))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn twelve_months_end_the_day_before_the_anniversary() {
        assert_eq!(last_day(d(2025, 3, 10), 12), Some(d(2026, 3, 9)));
        assert_eq!(last_day(d(2024, 2, 29), 12), Some(d(2025, 2, 28)));
        assert_eq!(last_day(d(2025, 1, 31), 1), Some(d(2025, 2, 28)));
        assert_eq!(last_day(d(2025, 1, 30), 1), Some(d(2025, 2, 28)));
        assert_eq!(last_day(d(2025, 1, 28), 1), Some(d(2025, 2, 27)));
        assert_eq!(last_day(d(2025, 1, 31), 0), None);
    }
}
