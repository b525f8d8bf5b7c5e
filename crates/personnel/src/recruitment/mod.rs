//! Recruitment (招聘): [000] 三 and [003] 五 have an office recruit against
//! a plan that states the post, headcount, requirements and channels and is
//! approved; the candidates pass resume screening → interview → written test
//! → background check → offer → hired, or are rejected at any step with the
//! reason, with notes per step ([002] 二(一) for the hire and the induction
//! that follows).
//!
//! - A plan ([`plans`]) goes through the approval engine (`recruitment_plan`:
//!   the office director, then HQ HR). It names the stages its candidates
//!   must pass; the offer always comes last.
//! - Candidates ([`candidates`]) of an approved plan pass the plan's stages
//!   in order: a result recorded for any stage but the one the candidate is
//!   at is refused, so no stage is skipped. Each result keeps the
//!   interviewers, the score and the notes.
//! - Hiring ([`hire`]) a candidate at the offer opens their employee file —
//!   and, when asked, their login with a first office role — and starts their
//!   onboarding, in one transaction. The hires never exceed the plan's
//!   headcount: the count and the check are one statement, and the plan is
//!   filled when it is reached.

pub mod candidates;
pub mod demo;
pub mod hire;
pub mod plans;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a plan looks for people (招聘渠道).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RecruitmentChannel {
    /// The company's internal platform (內部招聘平台).
    InternalPlatform,
    /// Job sites (招聘網站).
    JobSite,
    /// A talent market (人才市場).
    TalentMarket,
    /// Campus recruitment (校園招聘).
    Campus,
    /// Referral by an employee (員工推薦).
    Referral,
}

impl RecruitmentChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            RecruitmentChannel::InternalPlatform => "internal_platform",
            RecruitmentChannel::JobSite => "job_site",
            RecruitmentChannel::TalentMarket => "talent_market",
            RecruitmentChannel::Campus => "campus",
            RecruitmentChannel::Referral => "referral",
        }
    }
}

/// A stage a candidate is assessed at, in this order.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentStage {
    /// 簡歷篩選.
    ResumeScreening,
    /// 面試.
    Interview,
    /// 筆試.
    WrittenTest,
    /// 背景調查.
    BackgroundCheck,
}

/// The assessment stages in order.
pub const STAGES: [AssessmentStage; 4] = [
    AssessmentStage::ResumeScreening,
    AssessmentStage::Interview,
    AssessmentStage::WrittenTest,
    AssessmentStage::BackgroundCheck,
];

impl AssessmentStage {
    pub fn as_str(self) -> &'static str {
        match self {
            AssessmentStage::ResumeScreening => "resume_screening",
            AssessmentStage::Interview => "interview",
            AssessmentStage::WrittenTest => "written_test",
            AssessmentStage::BackgroundCheck => "background_check",
        }
    }

    fn rank(self) -> usize {
        STAGES.iter().position(|s| *s == self).unwrap_or_default()
    }
}

/// Where a candidate stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CandidateStage {
    ResumeScreening,
    Interview,
    WrittenTest,
    BackgroundCheck,
    /// Every required stage passed: the offer is made; hiring ends it.
    Offer,
    Hired,
    /// Rejected (or withdrew) at the stage in `rejected_at_stage`.
    Rejected,
}

impl CandidateStage {
    pub fn as_str(self) -> &'static str {
        match self {
            CandidateStage::ResumeScreening => "resume_screening",
            CandidateStage::Interview => "interview",
            CandidateStage::WrittenTest => "written_test",
            CandidateStage::BackgroundCheck => "background_check",
            CandidateStage::Offer => "offer",
            CandidateStage::Hired => "hired",
            CandidateStage::Rejected => "rejected",
        }
    }
}

/// The plan's required stages in order, from what it stored (unknown names
/// are dropped).
pub fn required(stored: &serde_json::Value) -> Vec<AssessmentStage> {
    let names: Vec<&str> = stored
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    STAGES
        .into_iter()
        .filter(|s| names.contains(&s.as_str()))
        .collect()
}

/// The stage a candidate starts at: the first the plan requires, or the
/// offer when it requires none.
pub fn first_stage(required: &[AssessmentStage]) -> &'static str {
    required.first().map_or("offer", |s| s.as_str())
}

/// The stage after passing `passed`: the next the plan requires, else the
/// offer.
pub fn next_stage(required: &[AssessmentStage], passed: AssessmentStage) -> &'static str {
    required
        .iter()
        .find(|s| s.rank() > passed.rank())
        .map_or("offer", |s| s.as_str())
}

/// Whether a result for `stage` may be recorded for a candidate at
/// `current`: only the stage they are at. `Err` says why not, as a rule
/// name and a message.
pub fn check_stage(
    required: &[AssessmentStage],
    current: &str,
    stage: AssessmentStage,
) -> Result<(), (&'static str, String)> {
    if current == stage.as_str() {
        return Ok(());
    }
    if !required.contains(&stage) {
        return Err((
            "not_required",
            format!("the plan does not assess at `{}`", stage.as_str()),
        ));
    }
    let at = STAGES.iter().find(|s| s.as_str() == current);
    match at {
        Some(at) if stage.rank() > at.rank() => Err((
            "skipped",
            format!(
                "the candidate is at `{current}`; no stage is skipped (`{}` comes later)",
                stage.as_str()
            ),
        )),
        _ => Err((
            "passed",
            format!(
                "the candidate is at `{current}`; `{}` is behind them",
                stage.as_str()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AssessmentStage::*;

    #[test]
    fn stages_follow_the_plan_in_order() {
        let plan = required(&serde_json::json!([
            "interview",
            "resume_screening",
            "nonsense"
        ]));
        assert_eq!(plan, vec![ResumeScreening, Interview]);
        assert_eq!(first_stage(&plan), "resume_screening");
        assert_eq!(next_stage(&plan, ResumeScreening), "interview");
        assert_eq!(next_stage(&plan, Interview), "offer");
        assert_eq!(first_stage(&[]), "offer");
        let all = STAGES.to_vec();
        assert_eq!(next_stage(&all, Interview), "written_test");
    }

    #[test]
    fn a_candidate_is_assessed_only_at_their_stage() {
        let all = STAGES.to_vec();
        assert!(check_stage(&all, "interview", Interview).is_ok());
        assert_eq!(
            check_stage(&all, "resume_screening", WrittenTest)
                .unwrap_err()
                .0,
            "skipped"
        );
        assert_eq!(
            check_stage(&all, "written_test", Interview).unwrap_err().0,
            "passed"
        );
        assert_eq!(
            check_stage(&all, "offer", BackgroundCheck).unwrap_err().0,
            "passed"
        );
        let short = vec![Interview];
        assert_eq!(
            check_stage(&short, "interview", WrittenTest).unwrap_err().0,
            "not_required"
        );
    }
}
