//! The risk register (風險檔案): each risk of an office, a region or the
//! company, identified by a method the regulations name, scored likelihood ×
//! impact into a grade by the bands in force ([`crate::bands`]), answered
//! by a response, worked down by measures ([`crate::measures`]), assessed
//! again for what remains, reviewed on a cadence set by its grade, and
//! closed. Every change is kept in the risk's file ([`RiskEvent`]).
//!
//! The rules, from [003] 七 and [000] 七:
//! - a high risk is avoided, reduced or transferred — never accepted;
//! - a medium one is reduced and monitored: accepting it needs approval
//!   through the engine ([`decisions`]);
//! - a low one may be accepted;
//! - closing a high risk needs approval too.
//!
//! The grade a response is judged by is the risk's grade now: the residual
//! one once it has been assessed after measures, else the inherent one.
//! Closing is judged by the inherent grade: a risk that was high is closed
//! on approval however far its measures brought it down.

pub mod api;
pub mod decisions;
pub mod steps;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::{ApiError, Authority, Permission, Principal};
use serde::{Deserialize, Serialize};
use store::schema::{risk_events as re, risks as r};
use store::{AnyConnection, DbResultExt};
use utoipa::ToSchema;

use crate::bands::{GradeBands, RiskGrade};
use crate::scope::{Place, Sight};

/// What a risk is about.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RiskCategory {
    Market,
    Sales,
    Credit,
    Financial,
    Legal,
    Operational,
    Technical,
    Personnel,
}

impl RiskCategory {
    pub const ALL: [RiskCategory; 8] = [
        RiskCategory::Market,
        RiskCategory::Sales,
        RiskCategory::Credit,
        RiskCategory::Financial,
        RiskCategory::Legal,
        RiskCategory::Operational,
        RiskCategory::Technical,
        RiskCategory::Personnel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RiskCategory::Market => "market",
            RiskCategory::Sales => "sales",
            RiskCategory::Credit => "credit",
            RiskCategory::Financial => "financial",
            RiskCategory::Legal => "legal",
            RiskCategory::Operational => "operational",
            RiskCategory::Technical => "technical",
            RiskCategory::Personnel => "personnel",
        }
    }
}

/// How a risk was found (風險識別方法).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum IdentificationMethod {
    Questionnaire,
    Interview,
    DataAnalysis,
}

impl IdentificationMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentificationMethod::Questionnaire => "questionnaire",
            IdentificationMethod::Interview => "interview",
            IdentificationMethod::DataAnalysis => "data_analysis",
        }
    }
}

/// Where a risk stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RiskStatus {
    /// Recorded, not yet scored.
    Identified,
    /// Scored; no response chosen yet.
    Assessed,
    /// A response chosen; measures under way.
    Responding,
    /// Measures done and what remains assessed, or the risk accepted:
    /// watched and reviewed.
    Monitoring,
    Closed,
}

impl RiskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskStatus::Identified => "identified",
            RiskStatus::Assessed => "assessed",
            RiskStatus::Responding => "responding",
            RiskStatus::Monitoring => "monitoring",
            RiskStatus::Closed => "closed",
        }
    }
}

/// How a risk is answered (風險應對).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RiskResponse {
    Avoid,
    Reduce,
    Transfer,
    Accept,
}

impl RiskResponse {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskResponse::Avoid => "avoid",
            RiskResponse::Reduce => "reduce",
            RiskResponse::Transfer => "transfer",
            RiskResponse::Accept => "accept",
        }
    }
}

/// What a risk in `status` allows.
pub fn actions(status: &str) -> &'static [&'static str] {
    match status {
        "identified" => &["assess", "close"],
        "assessed" => &["assess", "respond", "add_measure", "review", "close"],
        "responding" | "monitoring" => &[
            "assess",
            "respond",
            "add_measure",
            "assess_residual",
            "review",
            "close",
        ],
        _ => &[],
    }
}

/// What a response needs, given the grade the risk has now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// It takes effect at once.
    Nothing,
    /// It goes through the engine first.
    Approval,
}

/// The seeds' response rule: a high risk may not be accepted (422 naming
/// `response`); accepting a medium one needs approval; anything else takes
/// effect at once.
pub fn response_needs(grade: RiskGrade, response: RiskResponse) -> Result<Needs, ApiError> {
    match (grade, response) {
        (RiskGrade::High, RiskResponse::Accept) => Err(ApiError::invalid_field(
            "response",
            "not_allowed_for_grade",
            "a high risk is avoided, reduced or transferred, never accepted",
        )),
        (RiskGrade::Medium, RiskResponse::Accept) => Ok(Needs::Approval),
        _ => Ok(Needs::Nothing),
    }
}

/// Closing needs approval for a risk graded high when assessed.
pub fn close_needs(inherent: Option<RiskGrade>) -> Needs {
    if inherent == Some(RiskGrade::High) {
        Needs::Approval
    } else {
        Needs::Nothing
    }
}

/// A risk.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = r)]
pub struct Risk {
    pub id: i64,
    #[schema(value_type = crate::scope::RiskLevel)]
    pub level: String,
    /// The office, for an office's risk.
    pub office_id: Option<i64>,
    /// The region, for a region's risk.
    pub region_id: Option<i64>,
    #[schema(value_type = RiskCategory)]
    pub category: String,
    #[schema(example = "二網經銷商應收賬款逾期集中")]
    pub title: String,
    pub description: String,
    pub cause: Option<String>,
    /// Who answers for it.
    pub owner_user_id: i64,
    pub identified_by: i64,
    #[schema(value_type = IdentificationMethod)]
    pub method: String,
    pub identified_on: NaiveDate,
    /// 1 (rare) to 5 (almost certain); none until assessed.
    #[schema(minimum = 1, maximum = 5, example = 4)]
    pub likelihood: Option<i32>,
    /// 1 (negligible) to 5 (severe).
    #[schema(minimum = 1, maximum = 5, example = 4)]
    pub impact: Option<i32>,
    /// Likelihood × impact.
    #[schema(example = 16)]
    pub score: Option<i32>,
    /// By the bands in force.
    #[schema(value_type = Option<RiskGrade>)]
    pub grade: Option<String>,
    /// 1 first, 3 last: at least as urgent as the grade says (high 1,
    /// medium 2, low 3).
    #[schema(minimum = 1, maximum = 3)]
    pub priority: Option<i32>,
    /// What remains after the measures.
    #[schema(minimum = 1, maximum = 5)]
    pub residual_likelihood: Option<i32>,
    #[schema(minimum = 1, maximum = 5)]
    pub residual_impact: Option<i32>,
    #[schema(value_type = Option<RiskGrade>)]
    pub residual_grade: Option<String>,
    #[schema(value_type = Option<RiskResponse>)]
    pub response: Option<String>,
    pub response_plan: Option<String>,
    #[schema(value_type = RiskStatus)]
    pub status: String,
    /// The band set it was graded by.
    pub band_id: Option<i64>,
    pub last_reviewed_on: Option<NaiveDate>,
    /// When it is next reviewed, by its grade's interval.
    pub next_review_on: Option<NaiveDate>,
    pub closed_reason: Option<String>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<NaiveDateTime>,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

impl Risk {
    pub fn place(&self) -> Place {
        Place::at(self.office_id, self.region_id)
    }

    /// The grade it has now: the residual one once assessed, else the
    /// inherent one.
    pub fn grade_now(&self) -> Option<RiskGrade> {
        self.residual_grade
            .as_deref()
            .or(self.grade.as_deref())
            .and_then(RiskGrade::parse)
    }

    pub fn inherent_grade(&self) -> Option<RiskGrade> {
        self.grade.as_deref().and_then(RiskGrade::parse)
    }
}

/// A risk's grades, priority and next review by a band set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessed {
    pub grade: RiskGrade,
    pub residual_grade: Option<RiskGrade>,
    pub priority: i32,
    pub next_review_on: Option<NaiveDate>,
}

impl Assessed {
    /// `risk` (scored) graded by `bands`; its priority is kept where it is
    /// more urgent than the grade's.
    pub fn of(risk: &Risk, bands: &GradeBands) -> Assessed {
        let grade = bands.grade(risk.score.unwrap_or(0));
        let residual_grade = match (risk.residual_likelihood, risk.residual_impact) {
            (Some(l), Some(i)) => Some(bands.grade(l * i)),
            _ => None,
        };
        let priority = risk
            .priority
            .unwrap_or(grade.priority())
            .min(grade.priority());
        let from = risk.last_reviewed_on.unwrap_or(risk.identified_on);
        Assessed {
            grade,
            residual_grade,
            priority,
            next_review_on: Some(bands.next_review(residual_grade.unwrap_or(grade), from)),
        }
    }

    pub fn unchanged(&self, risk: &Risk) -> bool {
        risk.grade.as_deref() == Some(self.grade.as_str())
            && risk.residual_grade.as_deref() == self.residual_grade.map(RiskGrade::as_str)
            && risk.priority == Some(self.priority)
            && risk.next_review_on == self.next_review_on
    }
}

/// One entry of a risk's file.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = re)]
pub struct RiskEvent {
    pub id: i64,
    pub risk_id: i64,
    #[schema(example = "assess")]
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    /// What changed, as the action recorded it.
    #[schema(value_type = Option<Object>)]
    #[diesel(deserialize_as = store::JsonText)]
    pub details: Option<serde_json::Value>,
    pub user_id: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub at: NaiveDateTime,
}

/// Adds an entry to `risk`'s file: `action` took it from `from` to its
/// status now.
pub fn record_event(
    conn: &mut AnyConnection,
    risk: &Risk,
    action: &str,
    from: Option<&str>,
    user_id: Option<i64>,
    details: Option<serde_json::Value>,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::insert_into(re::table)
        .values((
            re::risk_id.eq(risk.id),
            re::action.eq(action),
            re::from_status.eq(from),
            re::to_status.eq(&risk.status),
            re::details.eq(details.map(|d| d.to_string())),
            re::user_id.eq(user_id),
            re::at.eq(now),
        ))
        .execute(conn)
        .api()?;
    Ok(())
}

/// The risk `id` as the caller sees it under `perm`: 403 without `perm`,
/// 404 outside sight.
pub fn load(
    conn: &mut AnyConnection,
    p: &Principal,
    perm: Permission,
    id: i64,
) -> Result<Risk, ApiError> {
    p.require(perm)?;
    let sight = Sight::of(conn, p, perm)?;
    load_in(conn, &sight, id)
}

/// The risk `id` within `sight`.
pub fn load_in(conn: &mut AnyConnection, sight: &Sight, id: i64) -> Result<Risk, ApiError> {
    crate::load_in_sight!(conn, sight, r, Risk, id, "risk")
}

/// The risk `id` the caller may change under `perm`, with their authority:
/// in sight, at the version read, in a state that allows `action`.
pub fn for_change(
    conn: &mut AnyConnection,
    p: &Principal,
    perm: Permission,
    id: i64,
    read_version: i64,
    action: &str,
) -> Result<(Risk, Authority), ApiError> {
    let risk = load(conn, p, perm, id)?;
    let authority = risk.place().authorize(conn, p, perm)?;
    if risk.version != read_version {
        return Err(kernel::concurrency::version_conflict(risk.version));
    }
    crate::common::allow(action, &risk.status, actions(&risk.status))?;
    Ok((risk, authority))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bands() -> GradeBands {
        GradeBands {
            id: 1,
            high_from: 15,
            medium_from: 8,
            high_review_months: 1,
            medium_review_months: 3,
            low_review_months: 12,
            note: None,
            effective_at: NaiveDateTime::default(),
            created_by: None,
            created_at: NaiveDateTime::default(),
        }
    }

    #[test]
    fn default_bands_grade_the_matrix() {
        let b = bands();
        // By hand: 3×5 = 15 high; 2×7 cannot occur; 2×4 = 8 medium; 7 is no
        // product of 1..5 but would be low; 1×5 = 5 low; 4×4 = 16 high.
        assert_eq!(b.grade(15), RiskGrade::High);
        assert_eq!(b.grade(14), RiskGrade::Medium);
        assert_eq!(b.grade(8), RiskGrade::Medium);
        assert_eq!(b.grade(7), RiskGrade::Low);
        assert_eq!(b.grade(1), RiskGrade::Low);
        let day = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        assert_eq!(
            b.next_review(RiskGrade::High, day),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
        assert_eq!(
            b.next_review(RiskGrade::Medium, day),
            NaiveDate::from_ymd_opt(2026, 4, 30).unwrap()
        );
    }

    #[test]
    fn responses_follow_the_grade() {
        assert!(response_needs(RiskGrade::High, RiskResponse::Accept).is_err());
        assert_eq!(
            response_needs(RiskGrade::High, RiskResponse::Reduce).unwrap(),
            Needs::Nothing
        );
        assert_eq!(
            response_needs(RiskGrade::Medium, RiskResponse::Accept).unwrap(),
            Needs::Approval
        );
        assert_eq!(
            response_needs(RiskGrade::Low, RiskResponse::Accept).unwrap(),
            Needs::Nothing
        );
        assert_eq!(close_needs(Some(RiskGrade::High)), Needs::Approval);
        assert_eq!(close_needs(Some(RiskGrade::Medium)), Needs::Nothing);
        assert_eq!(close_needs(None), Needs::Nothing);
    }
}
