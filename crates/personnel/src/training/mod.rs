//! Training (培訓): [000] 三(二) has the office make a training plan from
//! its people's needs, on the company, its culture, rules, business and
//! skills, by internal, external, online and practical training; [004] 七
//! asks for needs analysis, an annual plan, sessions, assessment of each
//! participant and of the effect; the domain spec adds that certificates
//! earned are rewarded and that training counts in promotion, pay and
//! rewards.
//!
//! - Needs ([`plans`]) are collected per office and year.
//! - The office's annual plan — goals, budget, and items each with content,
//!   method, lecturer, schedule and budget, covering named needs — goes
//!   through the approval engine (`training_plan`: the office director, then
//!   HQ HR); one plan per office and year is in approval or approved.
//! - Sessions ([`sessions`]) of an approved plan's items have attendees of
//!   the office; after the day, attendance and each person's result (exam
//!   score, passed, the participant's rating of the session, a certificate
//!   earned); after the weeks the session names, the supervisor's
//!   assessment. The session's effectiveness is computed from them.
//! - Each employee's training history and certificates are on their file
//!   ([`certificates`]); [`crate::facts::training_record`] gives appraisal
//!   the completion.

pub mod certificates;
pub mod demo;
pub mod plans;
pub mod sessions;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How a plan item is taught.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TrainingMethod {
    /// 內部培訓.
    Internal,
    /// 外部培訓.
    External,
    /// 在線學習.
    Online,
    /// 實踐操作.
    Practical,
}

impl TrainingMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            TrainingMethod::Internal => "internal",
            TrainingMethod::External => "external",
            TrainingMethod::Online => "online",
            TrainingMethod::Practical => "practical",
        }
    }
}

/// A session's effectiveness, from its people's results.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Effectiveness {
    pub attendees: i64,
    pub attended: i64,
    pub passed: i64,
    /// Passed of those who attended, in basis points (10000 = all).
    pub pass_rate_bp: Option<i64>,
    /// The exam scores' mean, of those who sat it.
    pub average_exam_score: Option<f64>,
    /// The participants' rating of the session, 1–5, its mean.
    pub average_participant_score: Option<f64>,
    /// Supervisors' assessments recorded so far.
    pub assessed: i64,
    pub average_supervisor_score: Option<f64>,
}

/// One person's result, as the effectiveness reads it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome {
    pub attended: Option<bool>,
    pub exam_score: Option<i32>,
    pub passed: Option<bool>,
    pub participant_score: Option<i32>,
    pub supervisor_score: Option<i32>,
}

fn mean(values: &[i32]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        let sum: i64 = values.iter().map(|v| i64::from(*v)).sum();
        Some((sum as f64 / values.len() as f64 * 100.0).round() / 100.0)
    }
}

/// The effectiveness of a session whose people had `outcomes`.
pub fn effectiveness(outcomes: &[Outcome]) -> Effectiveness {
    let attended: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.attended == Some(true))
        .collect();
    let passed = attended.iter().filter(|o| o.passed == Some(true)).count() as i64;
    let scores = |f: fn(&Outcome) -> Option<i32>| -> Vec<i32> {
        attended.iter().filter_map(|o| f(o)).collect()
    };
    let supervisor = scores(|o| o.supervisor_score);
    Effectiveness {
        attendees: outcomes.len() as i64,
        attended: attended.len() as i64,
        passed,
        pass_rate_bp: (!attended.is_empty()).then(|| passed * 10_000 / attended.len() as i64),
        average_exam_score: mean(&scores(|o| o.exam_score)),
        average_participant_score: mean(&scores(|o| o.participant_score)),
        assessed: supervisor.len() as i64,
        average_supervisor_score: mean(&supervisor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(attended: bool, exam: Option<i32>, passed: bool, rating: Option<i32>) -> Outcome {
        Outcome {
            attended: Some(attended),
            exam_score: exam,
            passed: Some(passed),
            participant_score: rating,
            supervisor_score: None,
        }
    }

    #[test]
    fn effectiveness_counts_those_who_attended() {
        // Three attend (92, 75 passed; 48 failed), one is absent: 2 of 3
        // passed = 6666 bp; exams (92 + 75 + 48) / 3 = 71.67; ratings
        // (5 + 4) / 2 = 4.5.
        let e = effectiveness(&[
            o(true, Some(92), true, Some(5)),
            o(true, Some(75), true, Some(4)),
            o(true, Some(48), false, None),
            o(false, None, false, None),
        ]);
        assert_eq!((e.attendees, e.attended, e.passed), (4, 3, 2));
        assert_eq!(e.pass_rate_bp, Some(6666));
        assert_eq!(e.average_exam_score, Some(71.67));
        assert_eq!(e.average_participant_score, Some(4.5));
        assert_eq!((e.assessed, e.average_supervisor_score), (0, None));
        assert_eq!(effectiveness(&[]).pass_rate_bp, None);
    }
}
