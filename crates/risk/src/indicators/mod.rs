//! Risk indicators and early warnings (風險監控與預警): [000] 總則 asks for
//! 「建立健全風險預警機制」, and the monitoring it names reads the company's own
//! data — overdue receivables, customers over their credit limit, budgets
//! overrun, complaints past their deadline. An indicator is data: a metric,
//! where it is read (an office, a region as a whole, the company), which way
//! is bad, a warning and an alarm threshold, how often it is evaluated, an
//! owner. The evaluation ([`evaluate`]) reads each metric with one query
//! through the gateway-wired [`crate::facts::Sources`], keeps the value
//! history, and raises, escalates and clears warnings ([`warnings`]).

pub mod api;
pub mod evaluate;
pub mod warnings;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::ApiError;
use serde::{Deserialize, Serialize};
use store::AnyConnection;
use store::schema::risk_indicators as ri;
use utoipa::ToSchema;

use crate::facts::Sources;
use crate::scope::Place;

/// What an indicator measures, and in which unit.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Overdue receivables over all outstanding, basis points (signed
    /// contracts; due on or before the day).
    OverdueReceivablesRatio,
    /// Receivables more than 90 days past due, minor units.
    ReceivablesOver90Days,
    /// Active customers over their credit limit, a count.
    CustomersOverCreditLimit,
    /// What active key accounts owe or have on order, minor units.
    KeyAccountExposure,
    /// Budget categories of this year's active budgets whose approved and
    /// paid claims exceed the budget, a count.
    BudgetCategoriesOver,
    /// Expense claims flagged over budget filed this month, a count.
    ClaimsOverBudget,
    /// Complaints past their resolution deadline and not resolved, a count.
    ComplaintsPastDeadline,
    /// Requests of the last 30 days resolved in time, basis points (bad when
    /// below).
    ResolutionTimeliness,
    /// Absent working days this month, basis points (read once personnel
    /// records attendance; until then no value).
    AbsenceRate,
}

impl Metric {
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::OverdueReceivablesRatio => "overdue_receivables_ratio",
            Metric::ReceivablesOver90Days => "receivables_over_90_days",
            Metric::CustomersOverCreditLimit => "customers_over_credit_limit",
            Metric::KeyAccountExposure => "key_account_exposure",
            Metric::BudgetCategoriesOver => "budget_categories_over",
            Metric::ClaimsOverBudget => "claims_over_budget",
            Metric::ComplaintsPastDeadline => "complaints_past_deadline",
            Metric::ResolutionTimeliness => "resolution_timeliness",
            Metric::AbsenceRate => "absence_rate",
        }
    }

    pub fn parse(s: &str) -> Option<Metric> {
        [
            Metric::OverdueReceivablesRatio,
            Metric::ReceivablesOver90Days,
            Metric::CustomersOverCreditLimit,
            Metric::KeyAccountExposure,
            Metric::BudgetCategoriesOver,
            Metric::ClaimsOverBudget,
            Metric::ComplaintsPastDeadline,
            Metric::ResolutionTimeliness,
            Metric::AbsenceRate,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }

    /// Reads the metric over `offices` (`None`: every office) at `now`: one
    /// query through the source that owns it. `None`: no value yet.
    pub fn read(
        self,
        sources: &Sources,
        conn: &mut AnyConnection,
        offices: Option<&[i64]>,
        now: NaiveDateTime,
    ) -> Result<Option<i64>, ApiError> {
        let today = now.date();
        let month_start = today.with_day(1).unwrap_or(today);
        Ok(match self {
            Metric::OverdueReceivablesRatio => {
                let r = sources.sales.receivables(conn, offices, today)?;
                Some(ratio_bp(r.overdue, r.outstanding))
            }
            Metric::ReceivablesOver90Days => Some(
                sources
                    .sales
                    .receivables(conn, offices, today)?
                    .over_90_days,
            ),
            Metric::CustomersOverCreditLimit => {
                Some(sources.sales.credit(conn, offices)?.over_limit)
            }
            Metric::KeyAccountExposure => {
                Some(sources.sales.credit(conn, offices)?.key_account_exposure)
            }
            Metric::BudgetCategoriesOver => Some(
                sources
                    .finance
                    .budget_categories_over(conn, offices, today)?,
            ),
            Metric::ClaimsOverBudget => Some(sources.finance.claims_over_budget(
                conn,
                offices,
                month_start,
                today,
            )?),
            Metric::ComplaintsPastDeadline => Some(
                sources
                    .service
                    .complaints_past_deadline(conn, offices, now)?,
            ),
            Metric::ResolutionTimeliness => sources.service.resolution_timeliness_bp(
                conn,
                offices,
                now - Duration::days(30),
                now,
            )?,
            Metric::AbsenceRate => {
                sources
                    .attendance
                    .absence_rate_bp(conn, offices, month_start, today)?
            }
        })
    }
}

/// `part / whole` in basis points (0 when there is no whole).
pub fn ratio_bp(part: i64, whole: i64) -> i64 {
    if whole > 0 {
        part.saturating_mul(10_000) / whole
    } else {
        0
    }
}

/// Which way is bad.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// A value at or above a threshold crosses it.
    Above,
    /// A value at or below a threshold crosses it.
    Below,
}

impl Comparison {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Above => "above",
            Comparison::Below => "below",
        }
    }
}

/// How often an indicator is evaluated: once per calendar day, ISO week or
/// month (UTC).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationPeriod {
    Daily,
    Weekly,
    Monthly,
}

impl EvaluationPeriod {
    pub fn as_str(self) -> &'static str {
        match self {
            EvaluationPeriod::Daily => "daily",
            EvaluationPeriod::Weekly => "weekly",
            EvaluationPeriod::Monthly => "monthly",
        }
    }
}

/// The key of the period `day` falls in: `2026-12-05`, `2026-W49`,
/// `2026-12`.
pub fn period_key(period: &str, day: NaiveDate) -> String {
    match period {
        "weekly" => {
            let w = day.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
        "monthly" => format!("{}-{:02}", day.year(), day.month()),
        _ => day.to_string(),
    }
}

/// Where a value stands against the thresholds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Normal,
    Warning,
    Alarm,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Normal => "normal",
            Standing::Warning => "warning",
            Standing::Alarm => "alarm",
        }
    }
}

/// `value` against the thresholds: at or past the alarm one, alarm; at or
/// past the warning one, warning; else normal.
pub fn classify(comparison: &str, warning: i64, alarm: i64, value: i64) -> Standing {
    let past = |t: i64| {
        if comparison == "below" {
            value <= t
        } else {
            value >= t
        }
    };
    if past(alarm) {
        Standing::Alarm
    } else if past(warning) {
        Standing::Warning
    } else {
        Standing::Normal
    }
}

/// An indicator.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ri)]
pub struct Indicator {
    pub id: i64,
    /// For an office's indicator.
    pub office_id: Option<i64>,
    /// For a region's.
    pub region_id: Option<i64>,
    #[schema(example = "應收賬款逾期率")]
    pub name: String,
    #[schema(value_type = Metric)]
    pub metric: String,
    #[schema(value_type = Comparison)]
    pub comparison: String,
    /// In the metric's unit (basis points, minor units or a count).
    #[schema(example = 2000)]
    pub warning_threshold: i64,
    #[schema(example = 3500)]
    pub alarm_threshold: i64,
    #[schema(value_type = EvaluationPeriod)]
    pub period: String,
    pub owner_user_id: i64,
    /// The category of a risk opened from its warnings.
    #[schema(value_type = crate::register::RiskCategory)]
    pub category: String,
    pub active: bool,
    pub note: Option<String>,
    pub created_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

impl Indicator {
    pub fn place(&self) -> Place {
        Place::at(self.office_id, self.region_id)
    }

    /// The offices the metric is read over: the office, the region's, or
    /// every office (`None`).
    pub fn offices(&self, conn: &mut AnyConnection) -> Result<Option<Vec<i64>>, ApiError> {
        Ok(match (self.office_id, self.region_id) {
            (Some(o), _) => Some(vec![o]),
            (None, Some(r)) => Some(org::scope::region_offices(conn, r)?),
            (None, None) => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_and_periods() {
        assert_eq!(classify("above", 2000, 3500, 1999), Standing::Normal);
        assert_eq!(classify("above", 2000, 3500, 2000), Standing::Warning);
        assert_eq!(classify("above", 2000, 3500, 3500), Standing::Alarm);
        assert_eq!(classify("below", 9000, 8000, 9500), Standing::Normal);
        assert_eq!(classify("below", 9000, 8000, 8500), Standing::Warning);
        assert_eq!(classify("below", 9000, 8000, 7000), Standing::Alarm);
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(period_key("daily", day), "2026-12-05");
        assert_eq!(period_key("weekly", day), "2026-W49");
        assert_eq!(period_key("monthly", day), "2026-12");
        // 1 January 2027 is in ISO week 53 of 2026.
        let jan1 = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        assert_eq!(period_key("weekly", jan1), "2026-W53");
        assert_eq!(ratio_bp(1, 3), 3333);
        assert_eq!(ratio_bp(5, 0), 0);
    }
}
