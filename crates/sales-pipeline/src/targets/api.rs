//! The annual target: HQ's figure for an office and year (company-wide
//! `sales_target:manage`), with the split of the plan in force. HQ sets and
//! changes the figure; the split comes only from an approved plan
//! ([`super::plans`]). A changed figure takes the old split out of force: the
//! office plans again for the new one.

use actix_web::{HttpResponse, get, post, put, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::actions::created;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, ErrorCode, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{SALES_READ, SALES_TARGET_MANAGE};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::sales_targets as st;
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::{MonthShare, PersonShare, quarters_of, splits_of};
use crate::common::{load_scoped, now_db, office_for_create};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_sales_targets)
        .service(create_sales_target)
        .service(get_sales_target)
        .service(replace_sales_target);
}

/// An office's target for one year with the split of the plan in force.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SalesTarget {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = 2027)]
    pub year: i32,
    /// The annual amount HQ set, minor units (分).
    #[schema(example = 1_200_000_000)]
    pub amount: i64,
    #[schema(example = "CNY")]
    pub currency: String,
    /// The approved sales plan whose split is in force; `null` until the office's
    /// plan for the current amount is approved.
    pub plan_id: Option<i64>,
    /// Q1 to Q4 of the split in force, each the sum of its three months; empty
    /// while no plan is in force.
    #[schema(max_items = 4, example = json!([240_000_000, 300_000_000, 300_000_000, 360_000_000]))]
    pub quarters: Vec<i64>,
    /// January to December of the split in force; empty while no plan is in force.
    pub months: Vec<MonthShare>,
    /// Each person's share in the split in force.
    pub persons: Vec<PersonShare>,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = st)]
pub(super) struct TargetRow {
    pub id: i64,
    pub office_id: i64,
    pub year: i32,
    pub amount: i64,
    pub currency: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
    pub plan_id: Option<i64>,
}

impl TargetRow {
    pub(super) fn with_splits(
        self,
        months: Vec<MonthShare>,
        persons: Vec<PersonShare>,
    ) -> SalesTarget {
        SalesTarget {
            id: self.id,
            office_id: self.office_id,
            year: self.year,
            amount: self.amount,
            currency: self.currency,
            plan_id: self.plan_id,
            quarters: quarters_of(&months),
            months,
            persons,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }
}

/// A target as a client reads it, with its split in force.
pub(super) fn with_splits_one(
    conn: &mut AnyConnection,
    row: TargetRow,
) -> Result<SalesTarget, ApiError> {
    let (months, persons) = splits_of(conn, &[row.id])?
        .remove(&row.id)
        .unwrap_or_default();
    Ok(row.with_splits(months, persons))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSalesTarget {
    /// The office the target is for; defaults to the caller's.
    pub office_id: Option<i64>,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100, example = 2027)]
    pub year: i32,
    /// The annual amount, minor units (分). The office's sales plan splits it.
    #[validate(range(min = 0, max = 1_000_000_000_000_000_i64))]
    #[schema(
        minimum = 0,
        maximum = 1_000_000_000_000_000_i64,
        example = 1_200_000_000
    )]
    pub amount: i64,
}

/// HQ's new annual figure for the target.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceSalesTarget {
    /// The annual amount, minor units (分). A changed amount takes the split in
    /// force out of force: the office plans again for the new figure.
    #[validate(range(min = 0, max = 1_000_000_000_000_000_i64))]
    #[schema(
        minimum = 0,
        maximum = 1_000_000_000_000_000_i64,
        example = 1_320_000_000
    )]
    pub amount: i64,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListSalesTargets {
    pub office_id: Option<i64>,
    #[validate(range(min = 2000, max = 2100))]
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn target_exists() -> ApiError {
    ApiError::new(
        ErrorCode::Duplicate,
        "the office has a target for this year already; change it instead",
    )
    .with_extra("field", "year".into())
}

/// The unique key (office, year) as a named duplicate, when two creates race.
fn duplicate_target(err: ApiError) -> ApiError {
    if err.code == ErrorCode::Duplicate {
        target_exists()
    } else {
        err
    }
}

/// Sales targets in the caller's reach.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ListSalesTargets),
    responses((status = 200, description = "A page of targets with their splits in force", body = Page<SalesTarget>), ReadErrors)
)]
#[get("/sales/targets")]
async fn list_sales_targets(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListSalesTargets>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, st, TargetRow, req, asc, |query| {
                if let Some(v) = q.office_id {
                    query = query.filter(st::office_id.eq(v));
                }
                if let Some(v) = q.year {
                    query = query.filter(st::year.eq(v));
                }
                query
            })?;
            let page = req.page(rows, |r| r.id, |r| r);
            let ids: Vec<i64> = page.items.iter().map(|r| r.id).collect();
            let mut splits = splits_of(conn, &ids)?;
            Ok(Page {
                items: page
                    .items
                    .into_iter()
                    .map(|r| {
                        let (months, persons) = splits.remove(&r.id).unwrap_or_default();
                        r.with_splits(months, persons)
                    })
                    .collect(),
                next_cursor: page.next_cursor,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Set an office's annual target. HQ's: needs `sales_target:manage`
/// company-wide. One target per office and year; the office's sales plan
/// splits it.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    request_body = CreateSalesTarget,
    responses((status = 201, description = "Created", body = SalesTarget, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/sales/targets")]
async fn create_sales_target(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateSalesTarget>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let authority = p.require_company(SALES_TARGET_MANAGE)?;
    let (office, _) = office_for_create(&p, SALES_TARGET_MANAGE, body.office_id)?;
    let actor = p.actor(authority);
    let target = db
        .tx(move |conn| {
            org::office_code(conn, office)?;
            let taken: i64 = st::table
                .filter(st::office_id.eq(office).and(st::year.eq(body.year)))
                .count()
                .get_result(conn)
                .api()?;
            if taken > 0 {
                return Err(target_exists());
            }
            let now = now_db();
            let row: TargetRow = diesel::insert_into(st::table)
                .values((
                    st::office_id.eq(office),
                    st::year.eq(body.year),
                    st::amount.eq(body.amount),
                    st::currency.eq("CNY"),
                    st::created_by.eq(p.user_id),
                    st::created_at.eq(now),
                    st::updated_at.eq(now),
                    st::version.eq(1_i64),
                ))
                .returning(st::all_columns)
                .get_result(conn)
                .map_err(|e| duplicate_target(store::db_error(e)))?;
            let target = row.with_splits(Vec::new(), Vec::new());
            audit::record(
                conn,
                &actor,
                Change::new("create", "sales_target", target.id, Some(office)).after(&target),
            )?;
            Ok(target)
        })
        .await?;
    Ok(created(
        format!("/api/v1/sales/targets/{}", target.id),
        target.version,
    )
    .json(target))
}

/// Get a target with the split in force.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Sales target id")),
    responses((status = 200, description = "The target", body = SalesTarget, headers(("ETag" = String))), ReadErrors)
)]
#[get("/sales/targets/{id}")]
async fn get_sales_target(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let target = db
        .run(move |conn| {
            let (row, _) = load_scoped!(conn, p, SALES_READ, st, TargetRow, id, "sales target");
            with_splits_one(conn, row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(target.version))
        .json(target))
}

/// Change HQ's annual figure (company-wide `sales_target:manage`). When the
/// amount changes, the plan in force is superseded and its split taken out of
/// force: the office drafts a plan for the new figure and has it approved.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Sales target id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ReplaceSalesTarget,
    responses((status = 200, description = "Replaced", body = SalesTarget, headers(("ETag" = String))), ChangeErrors)
)]
#[put("/sales/targets/{id}")]
async fn replace_sales_target(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ReplaceSalesTarget>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let target = db
        .tx(move |conn| {
            let (row, _) = load_scoped!(
                conn,
                p,
                SALES_TARGET_MANAGE,
                st,
                TargetRow,
                id,
                "sales target"
            );
            let authority = p.require_company(SALES_TARGET_MANAGE).map_err(|_| {
                ApiError::forbidden(
                    "the annual amount is set by HQ: changing it needs `sales_target:manage` company-wide; the office changes its split through a sales plan",
                )
            })?;
            let actor = p.actor(authority);
            if row.version != if_match.0 {
                return Err(version_conflict(row.version));
            }
            let before = with_splits_one(conn, row)?;
            if b.amount == before.amount {
                return Ok(before);
            }
            change_amount(conn, &actor, before, b.amount, if_match.0)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(target.version))
        .json(target))
}

/// A new annual figure: the split in force no longer adds up to it, so it goes
/// out of force with its plan.
fn change_amount(
    conn: &mut AnyConnection,
    actor: &Actor,
    before: SalesTarget,
    amount: i64,
    version: i64,
) -> Result<SalesTarget, ApiError> {
    let id = before.id;
    let updated: TargetRow = diesel::update(st::table.find(id).filter(st::version.eq(version)))
        .set((
            st::amount.eq(amount),
            st::plan_id.eq(None::<i64>),
            st::updated_at.eq(now_db()),
            st::version.eq(st::version + 1),
        ))
        .returning(st::all_columns)
        .get_result(conn)
        .optional()
        .api()?
        .ok_or_else(|| version_conflict(version + 1))?;
    super::replace_splits(conn, id, updated.office_id, &[], &[])?;
    if let Some(plan) = before.plan_id {
        super::plans::supersede(conn, actor, plan)?;
    }
    let after = updated.with_splits(Vec::new(), Vec::new());
    audit::record(
        conn,
        actor,
        Change::new("update", "sales_target", id, Some(after.office_id))
            .before(&before)
            .after(&after),
    )?;
    Ok(after)
}
