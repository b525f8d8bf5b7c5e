//! A template's results over a period: per office and question, how many
//! answered, the average score of a score question, and how often each option
//! of a choice was chosen — in one SQL statement, the same on both backends,
//! over the surveys answered in the period in the offices the caller reads.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, web};
use chrono::Duration;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use kernel::period::Period;
use kernel::responses::ReadErrors;
use kernel::{ApiError, Principal, ValidQuery};
use org::roles::SERVICE_READ;
use serde::{Deserialize, Serialize};
use store::Db;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::templates::load_template;
use super::{Question, QuestionKind};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(survey_results);
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResultsQuery {
    pub template_id: i64,
    /// A month (`2026-11`), quarter (`2026-Q4`) or year (`2026`): surveys
    /// answered in it.
    #[param(value_type = String, pattern = r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$", example = "2026-Q4")]
    pub period: Period,
    /// One office; all the caller reads when left out.
    pub office_id: Option<i64>,
}

/// How one question was answered.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct QuestionResult {
    pub key: String,
    pub text: String,
    pub kind: QuestionKind,
    /// Surveys that answered it.
    pub answered: i64,
    /// For a score question: the average, 1.00 to 5.00, as a decimal string.
    #[schema(example = "4.50")]
    pub average_score: Option<String>,
    /// For a choice question: how often each option was chosen.
    pub choices: BTreeMap<String, i64>,
}

/// The results at one office.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct OfficeResults {
    pub office_id: i64,
    /// Surveys answered in the period.
    pub surveys: i64,
    pub questions: Vec<QuestionResult>,
}

/// A template's results over a period, per office.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct SurveyResults {
    pub template_id: i64,
    #[schema(value_type = String, example = "2026-Q4")]
    pub period: Period,
    pub offices: Vec<OfficeResults>,
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    office_id: i64,
    #[diesel(sql_type = Text)]
    question_key: String,
    #[diesel(sql_type = Nullable<Text>)]
    choice: Option<String>,
    #[diesel(sql_type = BigInt)]
    answered: i64,
    #[diesel(sql_type = BigInt)]
    scored: i64,
    #[diesel(sql_type = BigInt)]
    score_sum: i64,
    #[diesel(sql_type = BigInt)]
    surveys: i64,
}

/// `sum / count` with two places, rounded half up.
fn average(sum: i64, count: i64) -> Option<String> {
    (count > 0).then(|| {
        let hundredths = (sum * 200 + count) / (count * 2);
        format!("{}.{:02}", hundredths / 100, hundredths % 100)
    })
}

/// One question's answers so far: answered, scored, the sum of scores, and
/// each option's count.
type Tally = (i64, i64, i64, BTreeMap<String, i64>);

/// Assembles the rows of the statement into results, the template's
/// questions in their order.
fn assemble(questions: &[Question], rows: Vec<Row>) -> Vec<OfficeResults> {
    let mut offices: BTreeMap<i64, (i64, BTreeMap<String, Tally>)> = BTreeMap::new();
    for r in rows {
        let office = offices.entry(r.office_id).or_default();
        office.0 = r.surveys;
        let q = office.1.entry(r.question_key).or_default();
        q.0 += r.answered;
        q.1 += r.scored;
        q.2 += r.score_sum;
        if let Some(choice) = r.choice {
            *q.3.entry(choice).or_default() += r.answered;
        }
    }
    offices
        .into_iter()
        .map(|(office_id, (surveys, by_key))| OfficeResults {
            office_id,
            surveys,
            questions: questions
                .iter()
                .map(|q| {
                    let (answered, scored, sum, choices) =
                        by_key.get(&q.key).cloned().unwrap_or_default();
                    QuestionResult {
                        key: q.key.clone(),
                        text: q.text.clone(),
                        kind: q.kind,
                        answered,
                        average_score: average(sum, scored),
                        choices,
                    }
                })
                .collect(),
        })
        .collect()
}

/// A template's results over a period, per office the caller reads with
/// `service:read` (or one of them).
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(ResultsQuery),
    responses(
        (status = 200, description = "The results", body = SurveyResults),
        ReadErrors,
        (status = 422, response = kernel::responses::UnprocessableEntity),
    )
)]
#[get("/after-sales/survey-results")]
async fn survey_results(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ResultsQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SERVICE_READ)?;
    let q = q.into_inner();
    if let Some(office) = q.office_id
        && !reach.contains(office)
    {
        return Err(ApiError::not_found("office"));
    }
    let report = db
        .run(move |conn| {
            let template = load_template(conn, reach.clone(), q.template_id)?;
            let questions: Vec<Question> =
                serde_json::from_str(&template.questions).map_err(ApiError::internal)?;
            let from = q.period.first_day().and_hms_opt(0, 0, 0).unwrap_or_default();
            let to = q.period.last_day().and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::days(1);
            let scope = store::scoped::sql_in_reach("s.office_id", &reach);
            let office = if q.office_id.is_some() { " AND s.office_id = $4" } else { "" };
            // Per office, question and choice; the office's count of surveys
            // alongside, from the same surveys.
            let sql = format!(
                "SELECT s.office_id AS office_id, a.question_key AS question_key, a.choice AS choice, \
                 CAST(COUNT(*) AS BIGINT) AS answered, CAST(COUNT(a.score) AS BIGINT) AS scored, \
                 CAST(COALESCE(SUM(a.score), 0) AS BIGINT) AS score_sum, \
                 (SELECT CAST(COUNT(*) AS BIGINT) FROM surveys t WHERE t.office_id = s.office_id \
                  AND t.template_id = $1 AND t.status = 'answered' AND t.answered_at >= $2 AND t.answered_at < $3) AS surveys \
                 FROM survey_answers a JOIN surveys s ON s.id = a.survey_id \
                 WHERE s.template_id = $1 AND s.status = 'answered' AND s.answered_at >= $2 AND s.answered_at < $3{scope}{office} \
                 GROUP BY s.office_id, a.question_key, a.choice \
                 ORDER BY s.office_id, a.question_key, a.choice"
            );
            let rows: Vec<Row> = match q.office_id {
                Some(o) => store::load_sql!(conn, sql, Row,
                    BigInt => q.template_id, Timestamp => from, Timestamp => to, BigInt => o),
                None => store::load_sql!(conn, sql, Row,
                    BigInt => q.template_id, Timestamp => from, Timestamp => to),
            }?;
            Ok(SurveyResults {
                template_id: template.id,
                period: q.period,
                offices: assemble(&questions, rows),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_round_half_up() {
        assert_eq!(average(9, 2), Some("4.50".into()));
        assert_eq!(average(13, 3), Some("4.33".into()));
        assert_eq!(average(0, 0), None);
    }
}
