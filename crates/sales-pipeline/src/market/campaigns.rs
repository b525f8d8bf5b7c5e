//! Promotion campaigns (市場推廣活動): a campaign is planned — theme, content,
//! channels, dates, budget, expected effect — may change until it is evaluated,
//! and is evaluated once after it ended (效果評估): actual cost, the leads
//! recorded for it and the cost per lead, so the next one learns from the last.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::time::today;
use kernel::{
    ApiError, FieldError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{SALES_MANAGE, SALES_READ};
use serde::{Deserialize, Serialize, Serializer};
use store::audit::{self, Change};
use store::schema::{campaigns as cp, leads};
use store::{Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::{Validate, ValidationError};

use super::{allow, created};
use crate::common::{load_scoped, now_db, office_for_create};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_campaigns)
        .service(create_campaign)
        .service(get_campaign)
        .service(update_campaign)
        .service(evaluate_campaign);
}

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
            org::office_code(conn, office)?;
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
}
