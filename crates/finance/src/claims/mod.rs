//! Expense claims and HQ pre-approvals.
//!
//! Rules, from the seeds: a claim lists its invoices and vouchers, each real,
//! lawful and valid — an invoice number is claimed once in the whole company; the
//! route is preliminary review by the operations specialist (authenticity,
//! completeness, compliance), the department head, the office director, and HQ
//! finance's final review; a rejected claim goes back to the claimant with the
//! reason; large expenses need HQ approval before the money is spent. Totals are
//! computed by the server, never taken from the client.
//!
//! This file owns the claim's types (category, claim and line rows, the claim
//! and line inputs), the route table, and the pre-approval threshold in force
//! for an office. The claim rules are in `rules`, the claim endpoints in `api`,
//! pre-approvals in `pre_approvals`, and the approval engine's side in
//! `approval`.

mod api;
mod approval;
mod pre_approvals;
mod rules;

pub use api::{ListClaims, PayClaim, file_claim, submit_to_approval};
pub use approval::{ClaimDocument, PreApprovalDocument};
pub use pre_approvals::{PreApproval, PreApprovalInput};
pub use rules::link_trips;

use api::{create_claim, get_claim, list_claims, pay_claim, submit_claim, update_claim};
use pre_approvals::{create_pre_approval, get_pre_approval, list_pre_approvals};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::ApiError;
use serde::{Deserialize, Serialize};
use store::AnyConnection;
use store::schema::{expense_claim_lines as el, expense_claims as ec};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::{Validate, ValidationError};
use workflow::Registry;

/// The expense-claim policy's figure above which a claim needs an approved HQ
/// pre-approval (大額費用支出，應提前報公司總部審批). HQ sets it on the policy
/// (`thresholds`); the default policy starts it at 50,000.00 CNY.
pub const PRE_APPROVAL_ABOVE: &str = "pre_approval_above";
const DEFAULT_PRE_APPROVAL_ABOVE: i64 = 5_000_000;

/// The figure in force for claims of `office`.
fn pre_approval_above(
    conn: &mut AnyConnection,
    registry: &Registry,
    office: i64,
) -> Result<i64, ApiError> {
    let doc = registry.get(CLAIM_DOC)?;
    workflow::engine::threshold(conn, doc.as_ref(), Some(office), PRE_APPROVAL_ABOVE)
}

pub const CLAIM_DOC: &str = "expense_claim";
pub const PRE_APPROVAL_DOC: &str = "expense_pre_approval";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_claims)
        .service(create_claim)
        .service(get_claim)
        .service(update_claim)
        .service(submit_claim)
        .service(pay_claim)
        .service(list_pre_approvals)
        .service(create_pre_approval)
        .service(get_pre_approval);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 辦公費
    Office,
    /// 差旅費, by company standards
    Travel,
    /// 業務招待費: necessary, reasonable, moderate
    Entertainment,
    /// 培訓費
    Training,
    /// 市場活動費
    MarketActivity,
    Other,
}

impl Category {
    fn as_str(self) -> &'static str {
        match self {
            Category::Office => "office",
            Category::Travel => "travel",
            Category::Entertainment => "entertainment",
            Category::Training => "training",
            Category::MarketActivity => "market_activity",
            Category::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ec)]
pub struct ClaimRow {
    pub id: i64,
    pub office_id: i64,
    /// `EC-<office>-<year>-<n>`.
    #[schema(example = "EC-GZ01-2026-000001")]
    pub number: String,
    pub claimant_user_id: i64,
    pub department_id: Option<i64>,
    #[schema(value_type = Category)]
    pub category: String,
    pub title: String,
    /// Sum of the lines, minor units; computed by the server.
    pub total: i64,
    pub currency: String,
    pub pre_approval_id: Option<i64>,
    /// `draft`, `in_approval`, `approved`, `rejected`, `withdrawn` or `paid`.
    pub status: String,
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
    pub paid_on: Option<NaiveDate>,
    pub payment_reference: Option<String>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
    /// Set at submission when the claim exceeds what is left of its budget line;
    /// every approver sees it.
    pub over_budget: bool,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = el)]
pub struct LineRow {
    #[serde(skip)]
    pub id: i64,
    #[serde(skip)]
    pub claim_id: i64,
    #[serde(skip)]
    pub office_id: i64,
    pub line_no: i32,
    pub spent_on: NaiveDate,
    pub description: String,
    pub amount: i64,
    pub invoice_number: String,
    pub attachment_name: Option<String>,
    pub attachment_sha256: Option<String>,
    pub attachment_size: Option<i64>,
    /// The business trip the line was spent on (travel claims).
    pub trip_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpenseClaim {
    #[serde(flatten)]
    pub claim: ClaimRow,
    pub lines: Vec<LineRow>,
}

fn validate_sha256(h: &str) -> Result<(), ValidationError> {
    if h.len() == 64
        && h.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        Ok(())
    } else {
        let mut e = ValidationError::new("sha256");
        e.message = Some("must be 64 lower-case hex digits".into());
        Err(e)
    }
}

/// The invoice or voucher file, stored elsewhere; the claim keeps its reference.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    #[validate(length(min = 1, max = 255))]
    #[schema(min_length = 1, max_length = 255, example = "invoice-0001.pdf")]
    pub file_name: String,
    #[validate(custom(function = "validate_sha256"))]
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
    #[validate(range(min = 1, max = 52_428_800))]
    #[schema(minimum = 1, maximum = 52_428_800)]
    pub size: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimLineInput {
    pub spent_on: NaiveDate,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub description: String,
    /// Minor units, more than zero.
    #[validate(range(min = 1, max = 10_000_000_000_i64))]
    #[schema(minimum = 1, maximum = 10_000_000_000_i64)]
    pub amount: i64,
    /// The invoice's number (發票號碼); claimed once in the whole company.
    #[validate(length(min = 4, max = 40))]
    #[schema(min_length = 4, max_length = 40, example = "044001900211-12345678")]
    pub invoice_number: String,
    #[validate(nested)]
    pub attachment: Option<Attachment>,
    /// The approved business trip a travel line was spent on. When not given, a
    /// travel line links itself to the claimant's one approved trip covering its
    /// day, where there is exactly one.
    pub trip_id: Option<i64>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimInput {
    pub category: Category,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// The claimant's department, whose head reviews the claim.
    pub department_id: Option<i64>,
    /// The approved HQ pre-approval a large claim spends against.
    pub pre_approval_id: Option<i64>,
    #[validate(length(min = 1, max = 100), nested)]
    #[schema(min_items = 1, max_items = 100)]
    pub lines: Vec<ClaimLineInput>,
}
