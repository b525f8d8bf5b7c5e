//! Market records (市場): market research reports reviewed by a manager
//! (市場調研), the competitor base (競爭對手), the annual market expansion plan
//! approved by the department manager and then the branch leadership
//! (市場拓展計劃), and promotion campaigns evaluated after they end
//! (市場推廣活動) — cost, leads won, cost per lead — so the next one learns from
//! the last. Every record belongs to an office and is scoped to it.
//!
//! One file per record: `research`, `competitors`, `expansion_plans`
//! (with its approval document) and `campaigns`. This file mounts their routes
//! and holds what they share: the created response, the state check and the
//! list query.

mod campaigns;
mod competitors;
mod expansion_plans;
mod research;

use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

pub use campaigns::{
    Campaign, CampaignChannel, CampaignStatus, CreateCampaign, EvaluateCampaign, ListCampaigns,
    UpdateCampaign, cost_per_lead,
};
pub use competitors::{Competitor, CreateCompetitor, UpdateCompetitor};
pub use expansion_plans::{
    CreateExpansionPlan, EXPANSION_PLAN_DOC, ExpansionPlan, ExpansionPlanDocument,
    ExpansionPlanStatus, ListExpansionPlans, UpdateExpansionPlan,
};
pub use research::{
    CreateMarketResearch, MarketResearch, ResearchMethod, ReviewMarketResearch,
    UpdateMarketResearch,
};

pub fn configure(cfg: &mut ServiceConfig) {
    research::configure(cfg);
    competitors::configure(cfg);
    expansion_plans::configure(cfg);
    campaigns::configure(cfg);
}

use kernel::actions::{allow, created};

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
