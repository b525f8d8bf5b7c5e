//! Satisfaction surveys (客戶滿意度調查): [004] 客戶滿意度調查 —
//! 「定期開展客戶滿意度調查活動,了解客戶對公司產品或服務質量、客戶服務水平等方面的評價」;
//! 「對客戶滿意度調查結果進行分析總結,針對存在的問題制定改進措施,並跟蹤改進效果」 —
//! and [003] 三(三): after installation and training, 「對客戶進行滿意度調查」.
//!
//! A **template** holds the questions: a score from 1 to 5, one choice of
//! given options, or free text; each required or not. It is the company's (HQ)
//! or an office's, for surveys after a service ticket or for periodic rounds,
//! and is never edited once made (a new template replaces it; the old one is
//! deactivated). A **survey** is sent to a customer — after one of their
//! service tickets, or in a round to a group of the office's customers (all,
//! or one classification) — and answered once, every required question
//! answered and each answer of its question's kind. The **results** of a
//! template over a period give, per office and question, how many answered,
//! the average score and how often each option was chosen. An **improvement
//! action** ([`improvements`]) taken on what a survey showed has an owner and
//! a due day, and is tracked until someone other than its owner verifies it
//! worked.
//!
//! The rules are here; the handlers are in [`templates`], [`api`],
//! [`results`] and [`improvements`].

pub mod api;
pub mod improvements;
pub mod results;
pub mod templates;

use std::collections::BTreeSet;

use kernel::{ApiError, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// What a question asks for.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// A score from 1 (very unsatisfied) to 5 (very satisfied).
    Score,
    /// One of the question's options.
    Choice,
    /// Free text.
    Text,
}

/// A question of a template.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// How answers name it: lower-case letters, digits and `_`, unique in the
    /// template.
    #[validate(length(min = 1, max = 40))]
    #[schema(
        min_length = 1,
        max_length = 40,
        pattern = "^[a-z0-9_]+$",
        example = "response_speed"
    )]
    pub key: String,
    #[validate(length(min = 1, max = 500))]
    #[schema(
        min_length = 1,
        max_length = 500,
        example = "您對我們的響應速度是否滿意?"
    )]
    pub text: String,
    pub kind: QuestionKind,
    /// For a choice: 2 to 20 options, each different.
    #[validate(length(max = 20))]
    #[schema(max_items = 20, example = json!([]))]
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

/// Checks a template's questions: 1 to 50, keys well-formed and unique, a
/// choice with 2 to 20 distinct options (each 1 to 100 characters), no options
/// on other kinds. Errors name `questions[i].<field>`.
pub fn check_questions(questions: &[Question]) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if questions.is_empty() {
        errors.push(FieldError::new(
            "questions",
            "length",
            "a template has at least one question",
        ));
    }
    let mut keys = BTreeSet::new();
    for (i, q) in questions.iter().enumerate() {
        let at = |f: &str| format!("questions[{i}].{f}");
        if !q
            .key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            errors.push(FieldError::new(
                at("key"),
                "pattern",
                "lower-case letters, digits and _",
            ));
        } else if !keys.insert(q.key.clone()) {
            errors.push(FieldError::new(
                at("key"),
                "duplicate",
                "each question has its own key",
            ));
        }
        match q.kind {
            QuestionKind::Choice => {
                let distinct: BTreeSet<&String> = q.options.iter().collect();
                if q.options.len() < 2
                    || distinct.len() != q.options.len()
                    || q.options
                        .iter()
                        .any(|o| o.trim().is_empty() || o.chars().count() > 100)
                {
                    errors.push(FieldError::new(
                        at("options"),
                        "invalid",
                        "a choice has 2 to 20 different options of 1 to 100 characters",
                    ));
                }
            }
            _ if !q.options.is_empty() => errors.push(FieldError::new(
                at("options"),
                "not_allowed",
                "only a choice has options",
            )),
            _ => {}
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// An answer to one question.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40, example = "response_speed")]
    pub question_key: String,
    /// For a score question, 1 to 5.
    #[schema(minimum = 1, maximum = 5, example = 5)]
    pub score: Option<i32>,
    /// For a choice question: one of its options.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub choice: Option<String>,
    /// For a text question.
    #[validate(length(min = 1, max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub text: Option<String>,
}

/// Checks answers against the template's questions: each names a question
/// once and carries the one value its kind takes (a score 1–5, one of the
/// options, text); every required question is answered. Errors name
/// `answers[i].<field>`, or `answers` for a required question left out.
pub fn check_answers(questions: &[Question], answers: &[AnswerInput]) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, a) in answers.iter().enumerate() {
        let at = |f: &str| format!("answers[{i}].{f}");
        let Some(q) = questions.iter().find(|q| q.key == a.question_key) else {
            errors.push(FieldError::new(
                at("question_key"),
                "unknown",
                "no such question in the template",
            ));
            continue;
        };
        if !seen.insert(a.question_key.clone()) {
            errors.push(FieldError::new(
                at("question_key"),
                "duplicate",
                "a question is answered once",
            ));
        }
        let given = (a.score.is_some(), a.choice.is_some(), a.text.is_some());
        match q.kind {
            QuestionKind::Score => match a.score {
                Some(s) if (1..=5).contains(&s) && given == (true, false, false) => {}
                Some(_) if given == (true, false, false) => {
                    errors.push(FieldError::new(at("score"), "range", "a score is 1 to 5"))
                }
                _ => errors.push(FieldError::new(
                    at("score"),
                    "required",
                    "a score question takes a score, and only that",
                )),
            },
            QuestionKind::Choice => match &a.choice {
                Some(c) if given == (false, true, false) && q.options.contains(c) => {}
                Some(_) if given == (false, true, false) => errors.push(FieldError::new(
                    at("choice"),
                    "not_an_option",
                    "not one of the question's options",
                )),
                _ => errors.push(FieldError::new(
                    at("choice"),
                    "required",
                    "a choice question takes a choice, and only that",
                )),
            },
            QuestionKind::Text => {
                if given != (false, false, true) {
                    errors.push(FieldError::new(
                        at("text"),
                        "required",
                        "a text question takes text, and only that",
                    ));
                }
            }
        }
    }
    for q in questions.iter().filter(|q| q.required) {
        if !answers.iter().any(|a| a.question_key == q.key) {
            errors.push(FieldError::new(
                "answers",
                "required",
                format!("question `{}` must be answered", q.key),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(key: &str, kind: QuestionKind, options: &[&str], required: bool) -> Question {
        Question {
            key: key.into(),
            text: "?".into(),
            kind,
            options: options.iter().map(|o| (*o).to_owned()).collect(),
            required,
        }
    }

    fn a(key: &str, score: Option<i32>, choice: Option<&str>, text: Option<&str>) -> AnswerInput {
        AnswerInput {
            question_key: key.into(),
            score,
            choice: choice.map(str::to_owned),
            text: text.map(str::to_owned),
        }
    }

    fn fields(e: ApiError) -> Vec<String> {
        e.errors.iter().map(|f| f.field.clone()).collect()
    }

    #[test]
    fn questions_have_their_own_keys_and_a_choice_its_options() {
        let bad = [
            q("speed", QuestionKind::Score, &[], true),
            q("speed", QuestionKind::Choice, &["a"], false),
            q("Note", QuestionKind::Text, &["x", "y"], false),
        ];
        assert_eq!(
            fields(check_questions(&bad).unwrap_err()),
            [
                "questions[1].key",
                "questions[1].options",
                "questions[2].key",
                "questions[2].options"
            ]
        );
        assert!(check_questions(&[]).is_err());
    }

    #[test]
    fn each_answer_is_of_its_questions_kind_and_required_ones_are_answered() {
        let questions = [
            q("speed", QuestionKind::Score, &[], true),
            q("channel", QuestionKind::Choice, &["電話", "上門"], false),
            q("note", QuestionKind::Text, &[], false),
        ];
        assert!(check_answers(&questions, &[a("speed", Some(5), None, None)]).is_ok());
        let bad = [
            a("speed", Some(6), None, None),
            a("channel", None, Some("郵件"), None),
            a("note", Some(3), None, None),
            a("other", Some(3), None, None),
        ];
        assert_eq!(
            fields(check_answers(&questions, &bad).unwrap_err()),
            [
                "answers[0].score",
                "answers[1].choice",
                "answers[2].text",
                "answers[3].question_key"
            ]
        );
        assert_eq!(
            fields(check_answers(&questions, &[a("note", None, None, Some("好"))]).unwrap_err()),
            ["answers"]
        );
    }
}
