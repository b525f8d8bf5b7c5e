//! Leads (潛在客戶、銷售線索): a lead is recorded with where it came from (often a
//! promotion campaign of the same office), followed up — contact, owner,
//! customer file, qualification — and converted, once, into an opportunity at
//! `initial_contact` for a customer file.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{ApiError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag};
use org::roles::{SALES_MANAGE, SALES_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{campaigns as cp, leads as l};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::opportunities::{NewOpportunity, Opportunity, created, open_opportunity};
use crate::common::{customer_of_office, load_scoped, now_db, office_for_create, user_of_office};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_leads)
        .service(create_lead)
        .service(get_lead)
        .service(update_lead)
        .service(convert_lead);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    New,
    Qualified,
    Disqualified,
    Converted,
}

impl LeadStatus {
    fn as_str(self) -> &'static str {
        match self {
            LeadStatus::New => "new",
            LeadStatus::Qualified => "qualified",
            LeadStatus::Disqualified => "disqualified",
            LeadStatus::Converted => "converted",
        }
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = l)]
pub struct Lead {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "佛山市南海區華強五金廠")]
    pub company_name: String,
    pub contact_name: Option<String>,
    pub phone: Option<String>,
    /// Where the lead came from: trade show, referral, website, campaign...
    pub source_channel: String,
    /// The promotion campaign that won the lead.
    pub campaign_id: Option<i64>,
    /// The customer file, once there is one.
    pub customer_id: Option<i64>,
    pub owner_user_id: Option<i64>,
    #[schema(value_type = LeadStatus)]
    pub status: String,
    pub notes: Option<String>,
    /// Set when converted.
    pub opportunity_id: Option<i64>,
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
pub struct CreateLead {
    /// Defaults to the caller's office.
    pub office_id: Option<i64>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "佛山市南海區華強五金廠")]
    pub company_name: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub contact_name: Option<String>,
    #[validate(length(min = 3, max = 40))]
    #[schema(min_length = 3, max_length = 40)]
    pub phone: Option<String>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "trade_show")]
    pub source_channel: String,
    pub campaign_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub owner_user_id: Option<i64>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub notes: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLead {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub contact_name: Option<String>,
    #[validate(length(min = 3, max = 40))]
    #[schema(min_length = 3, max_length = 40)]
    pub phone: Option<String>,
    pub owner_user_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// `new`, `qualified` or `disqualified`; conversion has its own action.
    pub status: Option<LeadStatus>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub notes: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListLeads {
    pub office_id: Option<i64>,
    pub status: Option<LeadStatus>,
    pub campaign_id: Option<i64>,
    pub owner_user_id: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Leads in the caller's reach.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ListLeads),
    responses((status = 200, description = "A page of leads", body = Page<Lead>), ReadErrors)
)]
#[get("/sales/leads")]
async fn list_leads(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListLeads>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SALES_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, l, Lead, req, asc, |query| {
                if let Some(v) = q.office_id {
                    query = query.filter(l::office_id.eq(v));
                }
                if let Some(v) = q.status {
                    query = query.filter(l::status.eq(v.as_str()));
                }
                if let Some(v) = q.campaign_id {
                    query = query.filter(l::campaign_id.eq(v));
                }
                if let Some(v) = q.owner_user_id {
                    query = query.filter(l::owner_user_id.eq(v));
                }
                query
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

fn check_campaign(conn: &mut AnyConnection, campaign: i64, office: i64) -> Result<(), ApiError> {
    let found: i64 = cp::table
        .filter(cp::id.eq(campaign).and(cp::office_id.eq(office)))
        .count()
        .get_result(conn)
        .api()?;
    if found == 0 {
        return Err(ApiError::invalid_field(
            "campaign_id",
            "not_found",
            "no such campaign in this office",
        ));
    }
    Ok(())
}

/// Record a lead.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    request_body = CreateLead,
    responses(
        (status = 201, description = "Recorded", body = Lead, headers(("Location" = String), ("ETag" = String))),
        WriteErrors
    )
)]
#[post("/sales/leads")]
async fn create_lead(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<CreateLead>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let (office, authority) = office_for_create(&p, SALES_MANAGE, b.office_id)?;
    let actor = p.actor(authority);
    let lead = db
        .tx(move |conn| {
            org::office_code(conn, office)?;
            if let Some(c) = b.campaign_id {
                check_campaign(conn, c, office)?;
            }
            if let Some(c) = b.customer_id {
                customer_of_office(conn, "customer_id", c, office)?;
            }
            if let Some(u) = b.owner_user_id {
                user_of_office(conn, "owner_user_id", u, office)?;
            }
            let now = now_db();
            let lead: Lead = diesel::insert_into(l::table)
                .values((
                    l::office_id.eq(office),
                    l::company_name.eq(&b.company_name),
                    l::contact_name.eq(&b.contact_name),
                    l::phone.eq(&b.phone),
                    l::source_channel.eq(&b.source_channel),
                    l::campaign_id.eq(b.campaign_id),
                    l::customer_id.eq(b.customer_id),
                    l::owner_user_id.eq(b.owner_user_id),
                    l::status.eq("new"),
                    l::notes.eq(&b.notes),
                    l::created_by.eq(p.user_id),
                    l::created_at.eq(now),
                    l::updated_at.eq(now),
                    l::version.eq(1_i64),
                ))
                .returning(l::all_columns)
                .get_result(conn)
                .api()?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "lead", lead.id, Some(office)).after(&lead),
            )?;
            Ok(lead)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sales/leads/{}", lead.id),
        ))
        .insert_header(etag(lead.version))
        .json(lead))
}

/// A lead.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Lead id")),
    responses((status = 200, description = "The lead", body = Lead, headers(("ETag" = String))), ReadErrors)
)]
#[get("/sales/leads/{id}")]
async fn get_lead(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let lead = db
        .run(move |conn| Ok(load_scoped!(conn, p, SALES_READ, l, Lead, id, "lead").0))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(lead.version))
        .json(lead))
}

/// Follow a lead up: contact, owner, customer file, qualification.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Lead id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = UpdateLead,
    responses((status = 200, description = "Updated", body = Lead, headers(("ETag" = String))), ChangeErrors)
)]
#[patch("/sales/leads/{id}")]
async fn update_lead(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<UpdateLead>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let lead = db
        .tx(move |conn| {
            let (before, authority) = load_scoped!(conn, p, SALES_MANAGE, l, Lead, id, "lead");
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            if before.status == "converted" {
                return Err(ApiError::invalid_transition("update", "converted", &[]));
            }
            if b.status == Some(LeadStatus::Converted) {
                return Err(ApiError::invalid_field(
                    "status",
                    "conversion",
                    "convert a lead with POST /sales/leads/{id}/convert",
                ));
            }
            if let Some(c) = b.customer_id {
                customer_of_office(conn, "customer_id", c, before.office_id)?;
            }
            if let Some(u) = b.owner_user_id {
                user_of_office(conn, "owner_user_id", u, before.office_id)?;
            }
            let after: Lead = diesel::update(l::table.find(id).filter(l::version.eq(if_match.0)))
                .set((
                    l::contact_name.eq(b.contact_name.or(before.contact_name.clone())),
                    l::phone.eq(b.phone.or(before.phone.clone())),
                    l::owner_user_id.eq(b.owner_user_id.or(before.owner_user_id)),
                    l::customer_id.eq(b.customer_id.or(before.customer_id)),
                    l::status.eq(b.status.map_or(before.status.as_str(), |s| s.as_str())),
                    l::notes.eq(b.notes.or(before.notes.clone())),
                    l::updated_at.eq(now_db()),
                    l::version.eq(l::version + 1),
                ))
                .returning(l::all_columns)
                .get_result(conn)
                .optional()
                .api()?
                .ok_or_else(|| version_conflict(before.version + 1))?;
            audit::record(
                conn,
                &p.actor(authority),
                Change::new("update", "lead", id, Some(after.office_id))
                    .before(&before)
                    .after(&after),
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(lead.version))
        .json(lead))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConvertLead {
    /// The customer file; defaults to the lead's.
    pub customer_id: Option<i64>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[validate(range(min = 0, max = 1_000_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub expected_amount: i64,
    pub expected_close_on: NaiveDate,
    /// Defaults to the lead's owner, else the caller.
    pub owner_user_id: Option<i64>,
}

/// Convert a lead into an opportunity at `initial_contact`.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Lead id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = ConvertLead,
    responses(
        (status = 201, description = "The new opportunity", body = Opportunity, headers(("Location" = String), ("ETag" = String))),
        ChangeErrors
    )
)]
#[post("/sales/leads/{id}/convert")]
async fn convert_lead(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<ConvertLead>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let opp = db
        .tx(move |conn| {
            let (lead, authority) = load_scoped!(conn, p, SALES_MANAGE, l, Lead, id, "lead");
            if lead.version != if_match.0 {
                return Err(version_conflict(lead.version));
            }
            if !matches!(lead.status.as_str(), "new" | "qualified") {
                return Err(ApiError::invalid_transition(
                    "convert",
                    &lead.status,
                    &["new", "qualified"],
                ));
            }
            let customer = b.customer_id.or(lead.customer_id).ok_or_else(|| {
                ApiError::invalid_field(
                    "customer_id",
                    "required",
                    "the lead has no customer file yet: create one and name it",
                )
            })?;
            let currency: String = store::schema::customers::table
                .find(customer)
                .select(store::schema::customers::currency)
                .first(conn)
                .optional()
                .api()?
                .unwrap_or_else(|| "CNY".to_owned());
            let opp = open_opportunity(
                conn,
                &p,
                NewOpportunity {
                    office: lead.office_id,
                    customer,
                    lead: Some(lead.id),
                    title: b.title,
                    amount: b.expected_amount,
                    currency,
                    close_on: b.expected_close_on,
                    owner: b.owner_user_id.or(lead.owner_user_id).unwrap_or(p.user_id),
                },
            )?;
            let after: Lead = diesel::update(l::table.find(id))
                .set((
                    l::status.eq("converted"),
                    l::customer_id.eq(Some(customer)),
                    l::opportunity_id.eq(Some(opp.id)),
                    l::updated_at.eq(now_db()),
                    l::version.eq(l::version + 1),
                ))
                .returning(l::all_columns)
                .get_result(conn)
                .api()?;
            let actor = p.actor(authority);
            audit::record(
                conn,
                &actor,
                Change::new("convert", "lead", id, Some(lead.office_id))
                    .before(&lead)
                    .after(&after),
            )?;
            audit::record(
                conn,
                &actor,
                Change::new("create", "opportunity", opp.id, Some(opp.office_id)).after(&opp),
            )?;
            Ok(opp)
        })
        .await?;
    Ok(created(opp))
}
