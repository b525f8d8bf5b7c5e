//! Demo surveys: the company's templates, a round with answers, a ticket's
//! survey and an improvement action.

use chrono::Duration;
use diesel::prelude::*;
use kernel::{Actor, ApiError};
use store::{AnyConnection, DbResultExt};

use super::{Demo, user};
use crate::surveys::api::{
    AnswerSurvey, CustomerGroup, SendRound, SurveyRow, record_answers, send as send_survey_to,
    send_round_at,
};
use crate::surveys::improvements::{CreateImprovement, take as take_improvement};
use crate::surveys::templates::{CreateTemplate, TemplateKind, make_template};
use crate::surveys::{AnswerInput, Question, QuestionKind};

/// Surveys: the company's two templates (once), a round of this quarter to
/// the office's customers with two answered, the closed demo ticket's survey
/// answered, and an improvement action on what the answers showed. Returns
/// how many surveys were sent.
pub(super) fn surveys(
    conn: &mut AnyConnection,
    d: &Demo<'_>,
    engineer: i64,
) -> Result<usize, ApiError> {
    use chrono::Datelike;
    use store::schema::{service_tickets as st, survey_templates as tpl, surveys as sv};
    let template = |conn: &mut AnyConnection, kind: &str| -> Result<Option<i64>, ApiError> {
        tpl::table
            .filter(tpl::office_id.is_null())
            .filter(tpl::kind.eq(kind))
            .filter(tpl::active.eq(true))
            .select(tpl::id)
            .first(conn)
            .optional()
            .api()
    };
    let score = |key: &str, text: &str, required: bool| Question {
        key: key.to_owned(),
        text: text.to_owned(),
        kind: QuestionKind::Score,
        options: Vec::new(),
        required,
    };
    if template(conn, "periodic")?.is_none() {
        let hq = Actor::demo_loader(Some(user(conn, "hq.service")?));
        make_template(
            conn,
            &hq,
            None,
            &CreateTemplate {
                company_wide: true,
                office_id: None,
                name: "年度客戶滿意度調查".to_owned(),
                kind: TemplateKind::Periodic,
                questions: vec![
                    score("overall", "您對我們的整體服務是否滿意？", true),
                    score("product_quality", "產品質量", true),
                    score("response_speed", "響應速度", true),
                    Question {
                        key: "channel".to_owned(),
                        text: "您希望以何種方式獲得服務？".to_owned(),
                        kind: QuestionKind::Choice,
                        options: vec!["電話".to_owned(), "上門".to_owned(), "郵件".to_owned()],
                        required: false,
                    },
                    Question {
                        key: "note".to_owned(),
                        text: "其他意見與建議".to_owned(),
                        kind: QuestionKind::Text,
                        options: Vec::new(),
                        required: false,
                    },
                ],
            },
            d.now,
        )?;
        make_template(
            conn,
            &hq,
            None,
            &CreateTemplate {
                company_wide: true,
                office_id: None,
                name: "維修服務滿意度".to_owned(),
                kind: TemplateKind::Ticket,
                questions: vec![
                    score("repair_quality", "維修質量", true),
                    score("engineer_attitude", "工程師服務態度", true),
                ],
            },
            d.now,
        )?;
    }
    let (Some(periodic), Some(ticket_template)) =
        (template(conn, "periodic")?, template(conn, "ticket")?)
    else {
        return Ok(0);
    };
    let quarter = format!("{}-Q{}", d.now.year(), (d.now.month() - 1) / 3 + 1);
    let round = send_round_at(
        conn,
        d.sales,
        &d.actor,
        d.office,
        &SendRound {
            office_id: Some(d.office),
            template_id: periodic,
            round: quarter,
            group: CustomerGroup::All,
        },
        d.now,
    )?;
    let sent: Vec<SurveyRow> = sv::table
        .filter(sv::office_id.eq(d.office))
        .filter(sv::template_id.eq(periodic))
        .order(sv::id)
        .select(SurveyRow::as_select())
        .limit(2)
        .load(conn)
        .api()?;
    let answer = |key: &str, score: i32| AnswerInput {
        question_key: key.to_owned(),
        score: Some(score),
        choice: None,
        text: None,
    };
    let mut last = None;
    for (n, survey) in sent.into_iter().enumerate() {
        let speed = if n == 0 { 5 } else { 3 };
        let mut answers = vec![
            answer("overall", 5 - i32::try_from(n).unwrap_or(0)),
            answer("product_quality", 5),
            answer("response_speed", speed),
        ];
        if n == 1 {
            answers.push(AnswerInput {
                question_key: "note".to_owned(),
                score: None,
                choice: None,
                text: Some("週末報修電話無人接聽".to_owned()),
            });
        }
        let done = record_answers(
            conn,
            &d.actor,
            survey,
            &AnswerSurvey {
                respondent: Some("客戶聯繫人".to_owned()),
                answers,
            },
            d.now,
        )?;
        last = Some(done.survey.id);
    }
    if let Some(survey) = last {
        take_improvement(
            conn,
            &d.actor,
            d.office,
            &CreateImprovement {
                office_id: Some(d.office),
                survey_id: Some(survey),
                question_key: Some("response_speed".to_owned()),
                description: "響應速度評分偏低：增設週末值班電話".to_owned(),
                owner_user_id: engineer,
                due_on: (d.now + Duration::days(30)).date(),
            },
            d.now,
        )?;
    }
    let closed: Option<(i64, i64)> = st::table
        .filter(st::office_id.eq(d.office))
        .filter(st::status.eq("closed"))
        .select((st::id, st::customer_id))
        .first(conn)
        .optional()
        .api()?;
    let mut ticket_surveys = 0;
    if let Some((ticket, customer)) = closed {
        let survey = send_survey_to(
            conn,
            &d.actor,
            d.office,
            ticket_template,
            customer,
            Some(ticket),
            None,
            d.now,
        )?;
        record_answers(
            conn,
            &d.actor,
            survey,
            &AnswerSurvey {
                respondent: Some("客戶設備科".to_owned()),
                answers: vec![answer("repair_quality", 5), answer("engineer_attitude", 5)],
            },
            d.now,
        )?;
        ticket_surveys = 1;
    }
    Ok(usize::try_from(round.sent).unwrap_or(0) + ticket_surveys)
}
