//! Office budgets (預算). Each office's annual budget of income, cost and expense,
//! by category, split into months (so quarters follow) and optionally by
//! department, is approved by HQ; once approved it is the office's active budget for
//! that year — one per office and year. Budget vs actual compares the expense lines
//! with approved expense claims, in SQL, one query per report; a claim that would
//! exceed what is left of its category is marked for every approver, and refused
//! where the budget blocks overruns.
//!
//! This file owns the budget's types (kind, category, line inputs, the budget
//! row and its lines), the route table, and loading one budget within the
//! caller's reach. The line and claim checks are in `rules`, the budget
//! endpoints in `api`, budget vs actual in `report`, and the approval engine's
//! side in `approval`.

mod api;
mod approval;
pub mod report;
mod rules;

pub use api::{ListBudgets, draft_budget};
pub use approval::BudgetDocument;
pub use report::{
    IncomeLine, VsActual, VsActualBy, VsActualLine, VsActualQuery, VsActualRow, income_vs_actual,
    vs_actual,
};
pub use rules::check_claim;

use api::{create_budget, get_budget, list_budgets, submit_budget};
use report::budget_vs_actual;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::{ApiError, Principal};
use serde::{Deserialize, Serialize};
use store::AnyConnection;
use store::schema::budgets as bg;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

pub const BUDGET_DOC: &str = "budget";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_budgets)
        .service(create_budget)
        .service(get_budget)
        .service(submit_budget)
        .service(budget_vs_actual);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Income,
    Cost,
    Expense,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BudgetCategory {
    Office,
    Travel,
    Entertainment,
    Training,
    MarketActivity,
    Salaries,
    Rent,
    Other,
}

pub fn kind_str(k: Kind) -> &'static str {
    match k {
        Kind::Income => "income",
        Kind::Cost => "cost",
        Kind::Expense => "expense",
    }
}

pub fn category_str(c: BudgetCategory) -> &'static str {
    match c {
        BudgetCategory::Office => "office",
        BudgetCategory::Travel => "travel",
        BudgetCategory::Entertainment => "entertainment",
        BudgetCategory::Training => "training",
        BudgetCategory::MarketActivity => "market_activity",
        BudgetCategory::Salaries => "salaries",
        BudgetCategory::Rent => "rent",
        BudgetCategory::Other => "other",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetLineInput {
    pub kind: Kind,
    pub category: BudgetCategory,
    /// Optional: the department this line is for.
    pub department_id: Option<i64>,
    /// The year's amount, minor units.
    #[validate(range(min = 0, max = 1_000_000_000_000_i64))]
    #[schema(minimum = 0)]
    pub annual: i64,
    /// January to December; must add up to `annual`. Quarters are their sums.
    #[validate(length(equal = 12))]
    #[schema(min_items = 12, max_items = 12)]
    pub months: Vec<i64>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetInput {
    /// The office; defaults to the caller's.
    pub office_id: Option<i64>,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100, example = 2026)]
    pub year: i32,
    /// Refuse expense claims that exceed their line (otherwise they are only marked).
    #[serde(default)]
    pub block_overruns: bool,
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<BudgetLineInput>,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = bg)]
pub struct BudgetRow {
    pub id: i64,
    pub office_id: i64,
    pub year: i32,
    #[schema(example = "BG-GZ01-2026-000001")]
    pub number: String,
    /// `draft`, `in_approval`, `active`, `rejected` or `withdrawn`.
    pub status: String,
    pub block_overruns: bool,
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
    pub created_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BudgetLine {
    pub kind: String,
    pub category: String,
    pub department_id: Option<i64>,
    pub annual: i64,
    pub quarters: [i64; 4],
    pub months: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Budget {
    #[serde(flatten)]
    pub budget: BudgetRow,
    pub lines: Vec<BudgetLine>,
}

/// One budget by id within the caller's reach for `perm` (404 outside it).
pub(crate) fn load_budget(
    conn: &mut AnyConnection,
    p: &Principal,
    perm: &'static str,
    id: i64,
) -> Result<BudgetRow, ApiError> {
    let (row, _) = store::load_scoped!(conn, p, perm, bg, BudgetRow, id, "budget");
    Ok(row)
}
