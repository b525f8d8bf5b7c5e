//! Leads and opportunities (潛在客戶、銷售線索): a lead is sourced (often by a
//! campaign), followed up, and converted into an opportunity for a customer. An
//! opportunity moves through the stages initial contact → needs analysis →
//! solution → quotation → negotiation → won, or is lost with a reason. Every
//! stage change is kept; a won opportunity names its signed contract.

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
use store::schema::{
    campaigns as cp, contracts as ct, leads as l, opportunities as o,
    opportunity_stage_changes as h,
};
use store::{AnyConnection, Db, DbResultExt, MultiBackend};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::{
    PageQuery, customer_of_office, load_scoped, now_db, office_for_create, user_of_office,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_leads)
        .service(create_lead)
        .service(get_lead)
        .service(update_lead)
        .service(convert_lead)
        .service(list_opportunities)
        .service(create_opportunity)
        .service(get_opportunity)
        .service(update_opportunity)
        .service(move_stage)
        .service(stage_history);
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
            org::require_open_office(conn, office)?;
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

/// The stages of an opportunity, in order; `won` and `lost` end it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    InitialContact,
    NeedsAnalysis,
    Solution,
    Quotation,
    Negotiation,
    Won,
    Lost,
}

pub const OPEN_STAGES: [Stage; 5] = [
    Stage::InitialContact,
    Stage::NeedsAnalysis,
    Stage::Solution,
    Stage::Quotation,
    Stage::Negotiation,
];

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::InitialContact => "initial_contact",
            Stage::NeedsAnalysis => "needs_analysis",
            Stage::Solution => "solution",
            Stage::Quotation => "quotation",
            Stage::Negotiation => "negotiation",
            Stage::Won => "won",
            Stage::Lost => "lost",
        }
    }

    fn parse(s: &str) -> Option<Stage> {
        OPEN_STAGES
            .iter()
            .chain(&[Stage::Won, Stage::Lost])
            .copied()
            .find(|st| st.as_str() == s)
    }

    fn open_index(self) -> Option<usize> {
        OPEN_STAGES.iter().position(|s| *s == self)
    }

    /// Where an opportunity in this stage may go: one stage on, back to any
    /// earlier stage, lost from any open stage, won only from negotiation.
    pub fn next_allowed(self) -> Vec<Stage> {
        let Some(i) = self.open_index() else {
            return Vec::new();
        };
        let mut out: Vec<Stage> = OPEN_STAGES[..i].to_vec();
        if let Some(next) = OPEN_STAGES.get(i + 1) {
            out.push(*next);
        }
        if self == Stage::Negotiation {
            out.push(Stage::Won);
        }
        out.push(Stage::Lost);
        out
    }
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

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = h)]
pub struct StageChange {
    pub id: i64,
    pub opportunity_id: i64,
    pub office_id: i64,
    /// `null` for the stage an opportunity was opened in.
    #[schema(value_type = Option<Stage>)]
    pub from_stage: Option<String>,
    #[schema(value_type = Stage)]
    pub to_stage: String,
    pub note: Option<String>,
    pub changed_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub changed_at: NaiveDateTime,
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

struct NewOpportunity {
    office: i64,
    customer: i64,
    lead: Option<i64>,
    title: String,
    amount: i64,
    currency: String,
    close_on: NaiveDate,
    owner: i64,
}

fn open_opportunity(
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

fn record_stage(
    conn: &mut AnyConnection,
    p: &Principal,
    opp: &Opportunity,
    from: Option<&str>,
    note: Option<&str>,
) -> Result<(), ApiError> {
    diesel::insert_into(h::table)
        .values((
            h::opportunity_id.eq(opp.id),
            h::office_id.eq(opp.office_id),
            h::from_stage.eq(from),
            h::to_stage.eq(&opp.stage),
            h::note.eq(note),
            h::changed_by.eq(p.user_id),
            h::changed_at.eq(now_db()),
        ))
        .execute(conn)
        .api()?;
    Ok(())
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

fn created(opp: Opportunity) -> HttpResponse {
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
    org::require_open_office(conn, office)?;
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

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveStage {
    pub stage: Stage,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub note: Option<String>,
    /// Required when the stage is `lost`.
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000, example = "競爭對手報價低 15%")]
    pub lost_reason: Option<String>,
    /// Required when the stage is `won`: the signed contract won.
    pub contract_id: Option<i64>,
}

pub fn move_stage_to(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
    version: i64,
    b: MoveStage,
) -> Result<Opportunity, ApiError> {
    let (before, authority) =
        load_scoped!(conn, p, SALES_MANAGE, o, Opportunity, id, "opportunity");
    if before.version != version {
        return Err(version_conflict(before.version));
    }
    let current = Stage::parse(&before.stage).unwrap_or(Stage::Lost);
    let allowed = current.next_allowed();
    if !allowed.contains(&b.stage) {
        let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
        return Err(ApiError::invalid_transition(
            &format!("move to {}", b.stage.as_str()),
            &before.stage,
            &names,
        ));
    }
    let today = kernel::time::now().date_naive();
    let mut lost_reason = None;
    let mut contract = None;
    let mut closed_on = None;
    match b.stage {
        Stage::Lost => {
            lost_reason = Some(b.lost_reason.clone().ok_or_else(|| {
                ApiError::invalid_field(
                    "lost_reason",
                    "required",
                    "a lost opportunity needs the reason",
                )
            })?);
            closed_on = Some(today);
        }
        Stage::Won => {
            let cid = b.contract_id.ok_or_else(|| {
                ApiError::invalid_field(
                    "contract_id",
                    "required",
                    "a won opportunity names its signed contract",
                )
            })?;
            let status: Option<String> = ct::table
                .filter(
                    ct::id
                        .eq(cid)
                        .and(ct::office_id.eq(before.office_id))
                        .and(ct::customer_id.eq(before.customer_id)),
                )
                .select(ct::status)
                .first(conn)
                .optional()
                .api()?;
            match status.as_deref() {
                Some("signed" | "filed" | "in_execution" | "completed") => {}
                Some(_) => {
                    return Err(ApiError::invalid_field(
                        "contract_id",
                        "not_signed",
                        "the contract must be signed first",
                    ));
                }
                None => {
                    return Err(ApiError::invalid_field(
                        "contract_id",
                        "not_found",
                        "no contract of this customer in this office",
                    ));
                }
            }
            contract = Some(cid);
            closed_on = Some(today);
        }
        _ => {}
    }
    let after: Opportunity = diesel::update(o::table.find(id).filter(o::version.eq(version)))
        .set((
            o::stage.eq(b.stage.as_str()),
            o::lost_reason.eq(lost_reason),
            o::contract_id.eq(contract),
            o::closed_on.eq(closed_on),
            o::updated_at.eq(now_db()),
            o::version.eq(o::version + 1),
        ))
        .returning(o::all_columns)
        .get_result(conn)
        .optional()
        .api()?
        .ok_or_else(|| version_conflict(before.version + 1))?;
    record_stage(conn, p, &after, Some(&before.stage), b.note.as_deref())?;
    audit::record(
        conn,
        &p.actor(authority),
        Change::new("stage", "opportunity", id, Some(after.office_id))
            .before(&before)
            .after(&after),
    )?;
    Ok(after)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_move_one_on_back_or_out() {
        use Stage::*;
        assert_eq!(InitialContact.next_allowed(), vec![NeedsAnalysis, Lost]);
        assert_eq!(
            Quotation.next_allowed(),
            vec![InitialContact, NeedsAnalysis, Solution, Negotiation, Lost]
        );
        assert!(Negotiation.next_allowed().contains(&Won));
        assert!(!Solution.next_allowed().contains(&Won));
        assert!(!InitialContact.next_allowed().contains(&Quotation));
        assert!(Won.next_allowed().is_empty());
        assert!(Lost.next_allowed().is_empty());
    }
}
