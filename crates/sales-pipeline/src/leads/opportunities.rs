//! Opportunities (銷售機會): an opportunity is opened for a customer of the office
//! — directly or by converting a lead — at `initial_contact`, may change its
//! title, amount, close date and owner while open, and is moved through its
//! stages (the rules are in `stages`) until won or lost.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, Currency, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{SALES_MANAGE, SALES_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{opportunities as o, opportunity_stage_changes as h};
use store::{AnyConnection, Db, DbResultExt, MultiBackend};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::stages::{MoveStage, Stage, StageChange, move_stage_to, record_stage};
use crate::common::{
    PageQuery, customer_of_office, load_scoped, now_db, office_for_create, user_of_office,
};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_opportunities)
        .service(create_opportunity)
        .service(get_opportunity)
        .service(update_opportunity)
        .service(move_stage)
        .service(stage_history);
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = o)]
pub struct Opportunity {
    pub id: i64,
    pub office_id: i64,
    pub customer_id: i64,
    pub lead_id: Option<i64>,
    #[schema(example = "南海工業園廠房照明改造")]
    pub title: String,
    #[schema(value_type = Stage)]
    pub stage: String,
    /// Minor units.
    #[schema(example = 48_000_000)]
    pub expected_amount: i64,
    pub currency: String,
    pub expected_close_on: NaiveDate,
    pub owner_user_id: i64,
    pub lost_reason: Option<String>,
    /// The signed contract of a won opportunity.
    pub contract_id: Option<i64>,
    /// When it was won or lost.
    pub closed_on: Option<NaiveDate>,
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
pub struct CreateOpportunity {
    /// Defaults to the caller's office.
    pub office_id: Option<i64>,
    pub customer_id: i64,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "南海工業園廠房照明改造")]
    pub title: String,
    #[validate(range(min = 0, max = 1_000_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64, example = 48_000_000)]
    pub expected_amount: i64,
    pub currency: Option<Currency>,
    pub expected_close_on: NaiveDate,
    /// Defaults to the caller.
    pub owner_user_id: Option<i64>,
}

pub(super) struct NewOpportunity {
    pub(super) office: i64,
    pub(super) customer: i64,
    pub(super) lead: Option<i64>,
    pub(super) title: String,
    pub(super) amount: i64,
    pub(super) currency: String,
    pub(super) close_on: NaiveDate,
    pub(super) owner: i64,
}

pub(super) fn open_opportunity(
    conn: &mut AnyConnection,
    p: &Principal,
    n: NewOpportunity,
) -> Result<Opportunity, ApiError> {
    customer_of_office(conn, "customer_id", n.customer, n.office)?;
    user_of_office(conn, "owner_user_id", n.owner, n.office)?;
    let now = now_db();
    let opp: Opportunity = diesel::insert_into(o::table)
        .values((
            o::office_id.eq(n.office),
            o::customer_id.eq(n.customer),
            o::lead_id.eq(n.lead),
            o::title.eq(&n.title),
            o::stage.eq(Stage::InitialContact.as_str()),
            o::expected_amount.eq(n.amount),
            o::currency.eq(&n.currency),
            o::expected_close_on.eq(n.close_on),
            o::owner_user_id.eq(n.owner),
            o::created_by.eq(p.user_id),
            o::created_at.eq(now),
            o::updated_at.eq(now),
            o::version.eq(1_i64),
        ))
        .returning(o::all_columns)
        .get_result(conn)
        .api()?;
    record_stage(conn, p, &opp, None, None)?;
    Ok(opp)
}

pub(super) fn created(opp: Opportunity) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sales/opportunities/{}", opp.id),
        ))
        .insert_header(etag(opp.version))
        .json(opp)
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListOpportunities {
    pub office_id: Option<i64>,
    pub stage: Option<Stage>,
    pub customer_id: Option<i64>,
    pub owner_user_id: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Opportunities in the caller's reach.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ListOpportunities),
    responses((status = 200, description = "A page of opportunities", body = Page<Opportunity>), ReadErrors)
)]
#[get("/sales/opportunities")]
async fn list_opportunities(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListOpportunities>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, o, Opportunity, req, asc, |query| {
                if let Some(v) = q.office_id {
                    query = query.filter(o::office_id.eq(v));
                }
                if let Some(v) = q.stage {
                    query = query.filter(o::stage.eq(v.as_str()));
                }
                if let Some(v) = q.customer_id {
                    query = query.filter(o::customer_id.eq(v));
                }
                if let Some(v) = q.owner_user_id {
                    query = query.filter(o::owner_user_id.eq(v));
                }
                query
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

pub fn open(
    conn: &mut AnyConnection,
    p: &Principal,
    actor: &Actor,
    office: i64,
    b: CreateOpportunity,
) -> Result<Opportunity, ApiError> {
    org::office_code(conn, office)?;
    let opp = open_opportunity(
        conn,
        p,
        NewOpportunity {
            office,
            customer: b.customer_id,
            lead: None,
            title: b.title,
            amount: b.expected_amount,
            currency: b.currency.unwrap_or_default().as_str().to_owned(),
            close_on: b.expected_close_on,
            owner: b.owner_user_id.unwrap_or(p.user_id),
        },
    )?;
    audit::record(
        conn,
        actor,
        Change::new("create", "opportunity", opp.id, Some(office)).after(&opp),
    )?;
    Ok(opp)
}

/// Open an opportunity for a customer directly (without a lead).
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    request_body = CreateOpportunity,
    responses(
        (status = 201, description = "Opened at initial_contact", body = Opportunity, headers(("Location" = String), ("ETag" = String))),
        WriteErrors
    )
)]
#[post("/sales/opportunities")]
async fn create_opportunity(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateOpportunity>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let (office, authority) = office_for_create(&p, SALES_MANAGE, b.office_id)?;
    let opp = db
        .tx(move |conn| open(conn, &p, &p.actor(authority), office, b))
        .await?;
    Ok(created(opp))
}

/// An opportunity.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Opportunity id")),
    responses((status = 200, description = "The opportunity", body = Opportunity, headers(("ETag" = String))), ReadErrors)
)]
#[get("/sales/opportunities/{id}")]
async fn get_opportunity(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let opp = db
        .run(move |conn| Ok(load_scoped!(conn, p, SALES_READ, o, Opportunity, id, "opportunity").0))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(opp.version))
        .json(opp))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOpportunity {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[validate(range(min = 0, max = 1_000_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub expected_amount: Option<i64>,
    pub expected_close_on: Option<NaiveDate>,
    pub owner_user_id: Option<i64>,
}

/// Change an open opportunity's title, expected amount, close date or owner.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Opportunity id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = UpdateOpportunity,
    responses((status = 200, description = "Updated", body = Opportunity, headers(("ETag" = String))), ChangeErrors)
)]
#[patch("/sales/opportunities/{id}")]
async fn update_opportunity(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<UpdateOpportunity>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let opp = db
        .tx(move |conn| {
            let (before, authority) =
                load_scoped!(conn, p, SALES_MANAGE, o, Opportunity, id, "opportunity");
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            if matches!(before.stage.as_str(), "won" | "lost") {
                return Err(ApiError::invalid_transition("update", &before.stage, &[]));
            }
            if let Some(u) = b.owner_user_id {
                user_of_office(conn, "owner_user_id", u, before.office_id)?;
            }
            let after: Opportunity =
                diesel::update(o::table.find(id).filter(o::version.eq(if_match.0)))
                    .set((
                        o::title.eq(b.title.as_deref().unwrap_or(&before.title)),
                        o::expected_amount.eq(b.expected_amount.unwrap_or(before.expected_amount)),
                        o::expected_close_on
                            .eq(b.expected_close_on.unwrap_or(before.expected_close_on)),
                        o::owner_user_id.eq(b.owner_user_id.unwrap_or(before.owner_user_id)),
                        o::updated_at.eq(now_db()),
                        o::version.eq(o::version + 1),
                    ))
                    .returning(o::all_columns)
                    .get_result(conn)
                    .optional()
                    .api()?
                    .ok_or_else(|| version_conflict(before.version + 1))?;
            audit::record(
                conn,
                &p.actor(authority),
                Change::new("update", "opportunity", id, Some(after.office_id))
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(opp.version))
        .json(opp))
}

/// Move an opportunity to another stage. One stage on, back to an earlier
/// stage, `lost` (with a reason) from any open stage, or `won` from negotiation
/// with the signed contract. Any other jump is a 409 listing what is allowed.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Opportunity id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = MoveStage,
    responses((status = 200, description = "Moved", body = Opportunity, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/sales/opportunities/{id}/stage")]
async fn move_stage(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<MoveStage>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let opp = db
        .tx(move |conn| move_stage_to(conn, &p, id, if_match.0, b))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(opp.version))
        .json(opp))
}

/// An opportunity's stage history, oldest first.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Opportunity id"), PageQuery),
    responses((status = 200, description = "A page of stage changes", body = Page<StageChange>), ReadErrors)
)]
#[get("/sales/opportunities/{id}/history")]
async fn stage_history(
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
            let (opp, _) = load_scoped!(conn, p, SALES_READ, o, Opportunity, id, "opportunity");
            let mut query = h::table
                .filter(h::opportunity_id.eq(opp.id))
                .filter(h::office_id.eq(opp.office_id))
                .select(StageChange::as_select())
                .into_boxed::<MultiBackend>();
            if let Some(after) = req.after {
                query = query.filter(h::id.gt(after));
            }
            let rows: Vec<StageChange> = query
                .order(h::id.asc())
                .limit(req.fetch())
                .load(conn)
                .api()?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
