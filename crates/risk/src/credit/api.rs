//! The credit endpoints: HQ's rating bands (data with history), credit
//! evaluations of an office's customers (`risk:manage` there) put to the
//! engine as they are made, and each customer's limit history.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::responses::{ReadErrors, WriteErrors};
use kernel::{
    Actor, ApiError, FieldError, Page, PageRequest, Principal, ValidJson, ValidQuery, etag,
};
use org::roles::{RISK_MANAGE, RISK_READ};
use serde::Deserialize;
use store::audit::{self, Change};
use store::schema::{
    credit_evaluations as ce, credit_limit_changes as clc, credit_rating_bands as cb,
};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::Registry;

use super::approval::{CreditEvaluation, CreditLimitChange, EVALUATION_DOC, EvaluationStatus};
use super::{Judgement, RatingBands, current, rate, score};
use crate::common::{created, now_db};
use crate::facts::Sources;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_rating_bands)
        .service(current_rating_bands)
        .service(set_rating_bands)
        .service(get_rating_bands)
        .service(list_evaluations)
        .service(create_evaluation)
        .service(get_evaluation)
        .service(list_limit_changes);
}

/// A new set of rating bands and scorecard weights.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRatingBands {
    #[validate(range(min = 3, max = 100))]
    #[schema(minimum = 3, maximum = 100, example = 80)]
    pub a_from: i32,
    #[validate(range(min = 2, max = 99))]
    #[schema(minimum = 2, maximum = 99, example = 65)]
    pub b_from: i32,
    #[validate(range(min = 1, max = 98))]
    #[schema(minimum = 1, maximum = 98, example = 50)]
    pub c_from: i32,
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100, example = 30)]
    pub w_payment_history: i32,
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100, example = 20)]
    pub w_overdue: i32,
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100, example = 15)]
    pub w_exposure: i32,
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100, example = 10)]
    pub w_tenure: i32,
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100, example = 10)]
    pub w_size: i32,
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100, example = 15)]
    pub w_qualitative: i32,
    #[validate(range(min = 1, max = 1_000_000_000_000_i64))]
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64, example = 100_000_000)]
    pub size_full_at: i64,
    #[validate(range(min = 0, max = 100_000))]
    #[schema(minimum = 0, maximum = 100_000, example = 3000)]
    pub a_limit_bp: i32,
    #[validate(range(min = 0, max = 100_000))]
    #[schema(minimum = 0, maximum = 100_000, example = 2000)]
    pub b_limit_bp: i32,
    #[validate(range(min = 0, max = 100_000))]
    #[schema(minimum = 0, maximum = 100_000, example = 1000)]
    pub c_limit_bp: i32,
    #[validate(range(min = 0, max = 100_000))]
    #[schema(minimum = 0, maximum = 100_000, example = 0)]
    pub d_limit_bp: i32,
    #[validate(range(min = 0, max = 365))]
    #[schema(minimum = 0, maximum = 365, example = 60)]
    pub a_terms_days: i32,
    #[validate(range(min = 0, max = 365))]
    #[schema(minimum = 0, maximum = 365, example = 45)]
    pub b_terms_days: i32,
    #[validate(range(min = 0, max = 365))]
    #[schema(minimum = 0, maximum = 365, example = 30)]
    pub c_terms_days: i32,
    #[validate(range(min = 0, max = 365))]
    #[schema(minimum = 0, maximum = 365, example = 0)]
    pub d_terms_days: i32,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub note: Option<String>,
}

/// A credit evaluation to make.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEvaluation {
    /// The customer's office; the caller's own when left out.
    pub office_id: Option<i64>,
    /// An active customer of the office.
    pub customer_id: i64,
    #[validate(nested)]
    pub judgement: Judgement,
    /// The limit asked for, minor units; what the rating earns when left
    /// out. More than that needs a `note`.
    #[validate(range(min = 0, max = 1_000_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub credit_limit: Option<i64>,
    /// The terms asked for, days; the rating's when left out. Longer needs a
    /// `note`.
    #[validate(range(min = 0, max = 365))]
    #[schema(minimum = 0, maximum = 365)]
    pub payment_terms_days: Option<i32>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "客戶經營穩定,近期逾期已結清"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListPage {
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListEvaluations {
    pub office_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub status: Option<EvaluationStatus>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListLimitChanges {
    pub office_id: Option<i64>,
    pub customer_id: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Writes a new set of rating bands, in force now (HQ).
pub fn set(
    conn: &mut AnyConnection,
    actor: &Actor,
    b: &SetRatingBands,
    now: NaiveDateTime,
) -> Result<RatingBands, ApiError> {
    let mut errors = Vec::new();
    if !(b.a_from > b.b_from && b.b_from > b.c_from) {
        errors.push(FieldError::new(
            "b_from",
            "range",
            "a_from > b_from > c_from",
        ));
    }
    let weights =
        b.w_payment_history + b.w_overdue + b.w_exposure + b.w_tenure + b.w_size + b.w_qualitative;
    if weights != 100 {
        errors.push(FieldError::new(
            "w_qualitative",
            "sum",
            format!("the weights add up to 100, not {weights}"),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let row: RatingBands = diesel::insert_into(cb::table)
        .values((
            cb::a_from.eq(b.a_from),
            cb::b_from.eq(b.b_from),
            cb::c_from.eq(b.c_from),
            cb::w_payment_history.eq(b.w_payment_history),
            cb::w_overdue.eq(b.w_overdue),
            cb::w_exposure.eq(b.w_exposure),
            cb::w_tenure.eq(b.w_tenure),
            cb::w_size.eq(b.w_size),
            cb::w_qualitative.eq(b.w_qualitative),
            cb::size_full_at.eq(b.size_full_at),
            cb::a_limit_bp.eq(b.a_limit_bp),
            cb::b_limit_bp.eq(b.b_limit_bp),
            cb::c_limit_bp.eq(b.c_limit_bp),
            cb::d_limit_bp.eq(b.d_limit_bp),
            cb::a_terms_days.eq(b.a_terms_days),
            cb::b_terms_days.eq(b.b_terms_days),
            cb::c_terms_days.eq(b.c_terms_days),
            cb::d_terms_days.eq(b.d_terms_days),
            cb::note.eq(b.note.as_deref()),
            cb::effective_at.eq(now),
            cb::created_by.eq(actor.user_id),
            cb::created_at.eq(now),
        ))
        .returning(cb::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("create", "credit_rating_bands", row.id, None).after(&row),
    )?;
    Ok(row)
}

/// Scores the customer of `b` at `office` and puts the evaluation to the
/// engine (also used by the demo loader).
pub fn evaluate(
    conn: &mut AnyConnection,
    registry: &Registry,
    sources: &Sources,
    actor: &Actor,
    office: i64,
    b: &CreateEvaluation,
    now: NaiveDateTime,
) -> Result<CreditEvaluation, ApiError> {
    let user = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("an evaluation is made by a user"))?;
    let today = now.date();
    let facts = sources
        .sales
        .customer_credit(conn, office, b.customer_id, today)?
        .ok_or_else(|| store::scoped::no_such("customer_id", "active customer"))?;
    let pending: Option<i64> = ce::table
        .filter(ce::customer_id.eq(b.customer_id))
        .filter(ce::status.eq("in_approval"))
        .select(ce::id)
        .first(conn)
        .optional()
        .api()?;
    if let Some(id) = pending {
        return Err(ApiError::conflict(
            "an evaluation of this customer is in approval: wait for it or withdraw it",
        )
        .with_extra("evaluation_id", id.into()));
    }
    let bands = current(conn)?;
    let card = score(&bands, &facts, &b.judgement, today);
    let total = card.total();
    let (rating, limit_bp, terms) = rate(&bands, total);
    let proposed = facts.orders_last_year.saturating_mul(i64::from(limit_bp)) / 10_000;
    let limit = b.credit_limit.unwrap_or(proposed);
    let terms_days = b.payment_terms_days.unwrap_or(terms);
    if (limit > proposed || terms_days > terms) && b.note.is_none() {
        return Err(ApiError::invalid_field(
            "note",
            "required",
            format!(
                "asking more than the rating {rating} earns (limit {proposed}, {terms} days) needs a note"
            ),
        ));
    }
    let facts_json = serde_json::json!({
        "classification": facts.classification,
        "credit_limit": facts.credit_limit,
        "payment_terms_days": facts.payment_terms_days,
        "credit_rating": facts.credit_rating,
        "customer_since": facts.customer_since,
        "instalments_due": facts.instalments_due,
        "paid_on_time": facts.paid_on_time,
        "max_days_overdue": facts.max_days_overdue,
        "exposure": facts.exposure,
        "orders_last_year": facts.orders_last_year,
    });
    let card_json = serde_json::json!({ "points": card, "judgement": b.judgement });
    let row: CreditEvaluation = diesel::insert_into(ce::table)
        .values((
            ce::office_id.eq(office),
            ce::customer_id.eq(b.customer_id),
            ce::bands_id.eq(bands.id),
            ce::facts.eq(facts_json.to_string()),
            ce::scorecard.eq(card_json.to_string()),
            ce::score.eq(total),
            ce::rating.eq(rating),
            ce::proposed_limit.eq(proposed),
            ce::proposed_terms_days.eq(terms),
            ce::credit_limit.eq(limit),
            ce::payment_terms_days.eq(terms_days),
            ce::limit_before.eq(facts.credit_limit),
            ce::note.eq(b.note.as_deref()),
            ce::status.eq("in_approval"),
            ce::created_by.eq(user),
            ce::created_at.eq(now),
            ce::updated_at.eq(now),
            ce::version.eq(1_i64),
        ))
        .returning(ce::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("create", "credit_evaluation", row.id, Some(office)).after(&row),
    )?;
    workflow::submit_and_keep!(
        conn,
        registry,
        EVALUATION_DOC,
        ce,
        CreditEvaluation,
        row.id,
        actor
    )
}

/// Every set of rating bands, oldest first; the last is in force.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(ListPage),
    responses((status = 200, description = "A page of band sets", body = Page<RatingBands>), ReadErrors)
)]
#[get("/risk/credit-rating-bands")]
async fn list_rating_bands(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListPage>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_READ)?;
    let q = q.into_inner();
    let req = PageRequest::<i64>::parse(q.limit, q.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let query = cb::table
                .select(RatingBands::as_select())
                .into_boxed::<store::MultiBackend>();
            let rows = store::list_scoped!(@page conn, query, cb::id, RatingBands, req, asc)?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// The rating bands in force.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    responses((status = 200, description = "The bands in force", body = RatingBands), ReadErrors)
)]
#[get("/risk/credit-rating-bands/current")]
async fn current_rating_bands(db: web::Data<Db>, p: Principal) -> Result<HttpResponse, ApiError> {
    p.require(RISK_READ)?;
    let bands = db.run(current).await?;
    Ok(HttpResponse::Ok().json(bands))
}

/// One set of rating bands.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Band set id")),
    responses((status = 200, description = "The band set", body = RatingBands, headers(("ETag" = String))), ReadErrors)
)]
#[get("/risk/credit-rating-bands/{id}")]
async fn get_rating_bands(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_READ)?;
    let id = id.into_inner();
    let row: RatingBands = db
        .run(move |conn| {
            cb::table
                .find(id)
                .select(RatingBands::as_select())
                .first(conn)
                .found("rating band set")
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(1)).json(row))
}

/// Set new rating bands and scorecard weights (`risk:manage` company-wide),
/// in force for evaluations made from now on.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    request_body = SetRatingBands,
    responses((status = 201, description = "In force", body = RatingBands, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/risk/credit-rating-bands")]
async fn set_rating_bands(
    db: web::Data<Db>,
    p: Principal,
    body: ValidJson<SetRatingBands>,
) -> Result<HttpResponse, ApiError> {
    let actor = p.actor(p.require_company(RISK_MANAGE)?);
    let b = body.into_inner();
    let row = db.tx(move |conn| set(conn, &actor, &b, now_db())).await?;
    Ok(created(format!("/api/v1/risk/credit-rating-bands/{}", row.id), 1).json(row))
}

/// Evaluate a customer's credit (`risk:manage` at the customer's office):
/// the scorecard, the rating and the limit and terms it earns, put to
/// approval at once (the office director; HQ finance too above the policy's
/// figure). Approved, the terms go on the customer.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    request_body = CreateEvaluation,
    responses((status = 201, description = "Scored and put to approval", body = CreditEvaluation, headers(("Location" = String), ("ETag" = String))), WriteErrors)
)]
#[post("/risk/credit-evaluations")]
async fn create_evaluation(
    db: web::Data<Db>,
    registry: web::Data<Registry>,
    sources: web::Data<Sources>,
    p: Principal,
    body: ValidJson<CreateEvaluation>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let (office, authority) = org::scope::office_for_create(&p, RISK_MANAGE, b.office_id)?;
    let actor = p.actor(authority);
    let registry = registry.get_ref().clone();
    let sources = sources.get_ref().clone();
    let row = db
        .tx(move |conn| evaluate(conn, &registry, &sources, &actor, office, &b, now_db()))
        .await?;
    Ok(created(
        format!("/api/v1/risk/credit-evaluations/{}", row.id),
        row.version,
    )
    .json(row))
}

/// Credit evaluations of the offices the caller reaches, newest first.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(ListEvaluations),
    responses((status = 200, description = "A page of evaluations", body = Page<CreditEvaluation>), ReadErrors)
)]
#[get("/risk/credit-evaluations")]
async fn list_evaluations(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListEvaluations>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(RISK_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, ce, CreditEvaluation, req, desc, |q| {
                if let Some(v) = f.office_id {
                    q = q.filter(ce::office_id.eq(v));
                }
                if let Some(v) = f.customer_id {
                    q = q.filter(ce::customer_id.eq(v));
                }
                if let Some(v) = f.status {
                    q = q.filter(ce::status.eq(v.as_str()));
                }
                q
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One credit evaluation.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Evaluation id")),
    responses((status = 200, description = "The evaluation", body = CreditEvaluation, headers(("ETag" = String))), ReadErrors)
)]
#[get("/risk/credit-evaluations/{id}")]
async fn get_evaluation(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db
        .run(move |conn| {
            let (row, _) = store::load_scoped!(
                conn,
                p,
                RISK_READ,
                ce,
                CreditEvaluation,
                id,
                "credit evaluation"
            );
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}

/// Customers' credit limit history: every change an approved evaluation
/// made, newest first.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(ListLimitChanges),
    responses((status = 200, description = "A page of changes", body = Page<CreditLimitChange>), ReadErrors)
)]
#[get("/risk/credit-limit-changes")]
async fn list_limit_changes(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListLimitChanges>,
) -> Result<HttpResponse, ApiError> {
    let reach = p.require(RISK_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let rows = store::list_scoped!(conn, reach, clc, CreditLimitChange, req, desc, |q| {
                if let Some(v) = f.office_id {
                    q = q.filter(clc::office_id.eq(v));
                }
                if let Some(v) = f.customer_id {
                    q = q.filter(clc::customer_id.eq(v));
                }
                q
            })?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
