//! The HTTP side of surveys: send one after a ticket, send a round to a
//! group, list, read with answers, record the customer's answers. Templates
//! are in [`super::templates`]. `service:read` shows those of the company
//! and of the offices it reaches; `service:manage` makes and sends them (the
//! company's templates: company-wide).

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::concurrency::version_conflict;
use kernel::responses::{ChangeErrors, ReadErrors, WriteErrors};
use kernel::{Actor, ApiError, IfMatch, Page, PageRequest, Principal, ValidJson, ValidQuery, etag};
use org::roles::{SERVICE_MANAGE, SERVICE_READ};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{
    service_tickets as st, survey_answers as sa, survey_templates as tpl, surveys as sv,
};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::templates::{TemplateKind, TemplateRow, usable_template};
use super::{AnswerInput, Question, check_answers};
use crate::common::{allow, created, now_db};
use crate::facts::{Sales, SalesFacts};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_surveys)
        .service(send_survey)
        .service(send_round)
        .service(get_survey)
        .service(answer_survey);
}

/// A survey as stored.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = sv)]
pub struct SurveyRow {
    pub id: i64,
    pub office_id: i64,
    pub template_id: i64,
    pub customer_id: i64,
    /// The service ticket it follows.
    pub ticket_id: Option<i64>,
    /// The round of a periodic survey.
    #[schema(example = "2026-Q4")]
    pub round: Option<String>,
    /// `sent`, `answered` or `cancelled`.
    #[schema(example = "answered")]
    pub status: String,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub sent_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub answered_at: Option<NaiveDateTime>,
    /// Who answered for the customer.
    pub respondent: Option<String>,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// An answer as stored.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = sa)]
pub struct SurveyAnswer {
    #[serde(skip)]
    pub id: i64,
    #[serde(skip)]
    pub survey_id: i64,
    #[serde(skip)]
    pub office_id: i64,
    pub question_key: String,
    pub score: Option<i32>,
    pub choice: Option<String>,
    pub text: Option<String>,
}

/// A survey with its answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Survey {
    #[serde(flatten)]
    pub survey: SurveyRow,
    pub answers: Vec<SurveyAnswer>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendSurvey {
    /// An active `ticket` template of the company or of the ticket's office.
    pub template_id: i64,
    /// A service ticket repaired and commissioned (or further on): its
    /// customer is surveyed, once per ticket.
    pub ticket_id: i64,
}

/// Who of the office's active customers a round goes to.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CustomerGroup {
    All,
    Potential,
    Intent,
    KeyAccount,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRound {
    /// The office; the caller's own when left out.
    pub office_id: Option<i64>,
    /// An active `periodic` template of the company or of the office.
    pub template_id: i64,
    /// The round's name: one survey per customer and round.
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40, example = "2026-Q4")]
    pub round: String,
    pub group: CustomerGroup,
}

/// What a round sent.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoundSent {
    pub round: String,
    /// Surveys sent now.
    pub sent: i64,
    /// Customers of the group already surveyed in this round.
    pub already: i64,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerSurvey {
    /// Who answered for the customer.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "王經理")]
    pub respondent: Option<String>,
    #[validate(length(min = 1, max = 50), nested)]
    #[schema(min_items = 1, max_items = 50)]
    pub answers: Vec<AnswerInput>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListSurveys {
    pub office_id: Option<i64>,
    pub template_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub ticket_id: Option<i64>,
    #[validate(length(min = 1, max = 40))]
    #[param(min_length = 1, max_length = 40)]
    pub round: Option<String>,
    pub answered: Option<bool>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Sends a survey to `customer` at `office`, audited.
#[allow(clippy::too_many_arguments)]
pub fn send(
    conn: &mut AnyConnection,
    actor: &Actor,
    office: i64,
    template: i64,
    customer: i64,
    ticket: Option<i64>,
    round: Option<&str>,
    now: NaiveDateTime,
) -> Result<SurveyRow, ApiError> {
    let user = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a survey is sent by a user"))?;
    let row: SurveyRow = diesel::insert_into(sv::table)
        .values((
            sv::office_id.eq(office),
            sv::template_id.eq(template),
            sv::customer_id.eq(customer),
            sv::ticket_id.eq(ticket),
            sv::round.eq(round),
            sv::status.eq("sent"),
            sv::sent_at.eq(now),
            sv::created_by.eq(user),
            sv::created_at.eq(now),
            sv::updated_at.eq(now),
            sv::version.eq(1_i64),
        ))
        .returning(sv::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("create", "survey", row.id, Some(office)).after(&row),
    )?;
    Ok(row)
}

/// Survey the customer of a service ticket that was repaired and
/// commissioned, once per ticket (`service:manage` over its office).
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    request_body = SendSurvey,
    responses((status = 201, description = "Sent", body = Survey, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/after-sales/surveys")]
async fn send_survey(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<SendSurvey>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let reach = p.require(SERVICE_MANAGE)?;
    let row = db
        .tx(move |conn| {
            // The ticket decides the office; one outside the caller's reach is
            // answered as one that does not exist.
            let ticket: Option<(i64, i64, i64, String)> = st::table
                .filter(st::id.eq(b.ticket_id))
                .select((st::id, st::office_id, st::customer_id, st::status))
                .first(conn)
                .optional()
                .api()?;
            let (ticket, office, customer, status) = ticket
                .filter(|t| reach.contains(t.1))
                .ok_or_else(|| store::scoped::no_such("ticket_id", "service ticket"))?;
            let actor = p.actor(p.authorize(SERVICE_MANAGE, Some(office))?);
            if !["commissioned", "trained", "closed"].contains(&status.as_str()) {
                return Err(ApiError::invalid_field(
                    "ticket_id",
                    "not_resolved",
                    "a ticket is surveyed once repaired and commissioned",
                ));
            }
            usable_template(conn, office, b.template_id, TemplateKind::Ticket)?;
            let taken: i64 = sv::table
                .filter(sv::ticket_id.eq(ticket))
                .count()
                .get_result(conn)
                .api()?;
            if taken > 0 {
                return Err(ApiError::conflict(
                    "the ticket's customer is surveyed already",
                ));
            }
            send(
                conn,
                &actor,
                office,
                b.template_id,
                customer,
                Some(ticket),
                None,
                now_db(),
            )
        })
        .await?;
    Ok(created(
        format!("/api/v1/after-sales/surveys/{}", row.id),
        row.version,
    )
    .json(Survey {
        survey: row,
        answers: Vec::new(),
    }))
}

/// Send a round of a periodic template to a group of the office's active
/// customers (all, or one classification): one survey per customer and round;
/// those already surveyed in the round are left as they are.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    request_body = SendRound,
    responses((status = 201, description = "Sent", body = RoundSent), WriteErrors)
)]
#[post("/after-sales/survey-rounds")]
async fn send_round(
    db: web::Data<Db>,
    sales: web::Data<Sales>,
    p: Principal,
    body: ValidJson<SendRound>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let (office, authority) = org::scope::office_for_create(&p, SERVICE_MANAGE, b.office_id)?;
    let actor = p.actor(authority);
    let sales = sales.get_ref().clone();
    let sent = db
        .tx(move |conn| send_round_at(conn, sales.as_ref(), &actor, office, &b, now_db()))
        .await?;
    Ok(HttpResponse::Created().json(sent))
}

/// Sends a round (also used by the demo loader).
pub fn send_round_at(
    conn: &mut AnyConnection,
    sales: &dyn SalesFacts,
    actor: &Actor,
    office: i64,
    b: &SendRound,
    now: NaiveDateTime,
) -> Result<RoundSent, ApiError> {
    org::open_office_in_body(conn, office)?;
    usable_template(conn, office, b.template_id, TemplateKind::Periodic)?;
    let group = match b.group {
        CustomerGroup::All => None,
        CustomerGroup::Potential => Some("potential"),
        CustomerGroup::Intent => Some("intent"),
        CustomerGroup::KeyAccount => Some("key_account"),
    };
    let customers = sales.active_customers(conn, office, group)?;
    let surveyed: Vec<i64> = sv::table
        .filter(sv::template_id.eq(b.template_id))
        .filter(sv::round.eq(&b.round))
        .filter(sv::office_id.eq(office))
        .select(sv::customer_id)
        .load(conn)
        .api()?;
    let (mut sent, mut already) = (0, 0);
    for customer in customers {
        if surveyed.contains(&customer) {
            already += 1;
            continue;
        }
        send(
            conn,
            actor,
            office,
            b.template_id,
            customer,
            None,
            Some(&b.round),
            now,
        )?;
        sent += 1;
    }
    Ok(RoundSent {
        round: b.round.clone(),
        sent,
        already,
    })
}

/// Surveys of the offices `service:read` reaches.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(ListSurveys),
    responses((status = 200, description = "A page of surveys (without their answers)", body = Page<SurveyRow>), ReadErrors)
)]
#[get("/after-sales/surveys")]
async fn list_surveys(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListSurveys>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SERVICE_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(
                conn,
                reach,
                from = (
                    sv::table.select(SurveyRow::as_select()),
                    sv::office_id,
                    sv::id
                ),
                SurveyRow,
                req,
                asc,
                |query| {
                    if let Some(v) = f.office_id {
                        query = query.filter(sv::office_id.eq(v));
                    }
                    if let Some(v) = f.template_id {
                        query = query.filter(sv::template_id.eq(v));
                    }
                    if let Some(v) = f.customer_id {
                        query = query.filter(sv::customer_id.eq(v));
                    }
                    if let Some(v) = f.ticket_id {
                        query = query.filter(sv::ticket_id.eq(v));
                    }
                    if let Some(v) = &f.round {
                        query = query.filter(sv::round.eq(v.clone()));
                    }
                    if let Some(v) = f.answered {
                        query = if v {
                            query.filter(sv::status.eq("answered"))
                        } else {
                            query.filter(sv::status.ne("answered"))
                        };
                    }
                    query
                }
            )?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

fn with_answers(conn: &mut AnyConnection, row: SurveyRow) -> Result<Survey, ApiError> {
    let answers = sa::table
        .filter(sa::survey_id.eq(row.id))
        .order(sa::id.asc())
        .select(SurveyAnswer::as_select())
        .load(conn)
        .api()?;
    Ok(Survey {
        survey: row,
        answers,
    })
}

fn load(conn: &mut AnyConnection, reach: kernel::Reach, id: i64) -> Result<SurveyRow, ApiError> {
    store::load_scoped!(
        conn,
        reach = reach,
        from = (
            sv::table.select(SurveyRow::as_select()),
            sv::office_id,
            sv::id
        ),
        SurveyRow,
        id,
        "survey"
    )
}

/// One survey, with its answers.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Survey id")),
    responses((status = 200, description = "The survey", body = Survey, headers(("ETag" = String))), ReadErrors)
)]
#[get("/after-sales/surveys/{id}")]
async fn get_survey(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(SERVICE_READ)?;
    let id = id.into_inner();
    let item = db
        .run(move |conn| {
            let row = load(conn, reach, id)?;
            with_answers(conn, row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(item.survey.version))
        .json(item))
}

/// Records a survey's answers (also used by the demo loader): checked
/// against the template's questions, stored, the survey answered, audited.
pub fn record_answers(
    conn: &mut AnyConnection,
    actor: &Actor,
    before: SurveyRow,
    b: &AnswerSurvey,
    now: NaiveDateTime,
) -> Result<Survey, ApiError> {
    allow(
        "answer",
        &before.status,
        if before.status == "sent" {
            &["answer"]
        } else {
            &[]
        },
    )?;
    let template: TemplateRow = tpl::table
        .find(before.template_id)
        .select(TemplateRow::as_select())
        .first(conn)
        .api()?;
    let questions: Vec<Question> =
        serde_json::from_str(&template.questions).map_err(ApiError::internal)?;
    check_answers(&questions, &b.answers)?;
    let after: SurveyRow = store::update_versioned!(
        conn,
        sv,
        SurveyRow,
        before,
        now,
        (
            sv::status.eq("answered"),
            sv::answered_at.eq(Some(now)),
            sv::respondent.eq(b.respondent.as_deref()),
        )
    )?;
    for a in &b.answers {
        diesel::insert_into(sa::table)
            .values((
                sa::survey_id.eq(after.id),
                sa::office_id.eq(after.office_id),
                sa::question_key.eq(&a.question_key),
                sa::score.eq(a.score),
                sa::choice.eq(a.choice.as_deref()),
                sa::text.eq(a.text.as_deref()),
            ))
            .execute(conn)
            .api()?;
    }
    let item = with_answers(conn, after)?;
    audit::record(
        conn,
        actor,
        Change::new(
            "answer",
            "survey",
            item.survey.id,
            Some(item.survey.office_id),
        )
        .before(&before)
        .after(&item),
    )?;
    Ok(item)
}

/// Record the customer's answers: every required question, each of its
/// question's kind. A survey is answered once.
#[utoipa::path(
    tag = "after-sales",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Survey id"), ("If-Match" = String, Header, description = "ETag last read")),
    request_body = AnswerSurvey,
    responses((status = 200, description = "Answered", body = Survey, headers(("ETag" = String))), ChangeErrors)
)]
#[post("/after-sales/surveys/{id}/responses")]
async fn answer_survey(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<AnswerSurvey>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let id = id.into_inner();
    let item = db
        .tx(move |conn| {
            let (before, authority) =
                store::load_scoped!(conn, p, SERVICE_MANAGE, sv, SurveyRow, id, "survey");
            let actor = p.actor(authority);
            if before.version != if_match.0 {
                return Err(version_conflict(before.version));
            }
            record_answers(conn, &actor, before, &b, now_db())
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(item.survey.version))
        .json(item))
}
