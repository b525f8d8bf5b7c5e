//! The steps of a risk, as rules over the store — record, assess, respond,
//! assess what remains, review, close — each written with its entry in the
//! risk's file and the audit trail, in the caller's transaction. The
//! handlers ([`super::api`]) and the demo loader both call them.

use actix_web::HttpResponse;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::{Actor, ApiError, etag};
use store::audit::{self, Change};
use store::schema::{risk_measures as rm, risks as r};
use store::{AnyConnection, DbResultExt};
use workflow::Registry;

use super::api::{AssessRisk, CreateRisk, RespondRisk};
use super::decisions::{self, DecisionKind, RiskDecision};
use super::{Needs, Risk, RiskResponse, RiskStatus, close_needs, record_event, response_needs};
use crate::bands::{self, RiskGrade};
use crate::scope::Place;

/// The answer to a step that may go through the engine.
pub enum Outcome {
    /// Taken at once.
    Done(Box<Risk>),
    /// Put to the engine.
    Pending(Box<RiskDecision>),
}

impl Outcome {
    pub fn respond(self) -> HttpResponse {
        match self {
            Outcome::Done(risk) => HttpResponse::Ok()
                .insert_header(etag(risk.version))
                .json(risk),
            Outcome::Pending(d) => HttpResponse::Accepted()
                .insert_header(etag(d.version))
                .json(d),
        }
    }
}

/// Records `after`'s change from `before` by `action`: in its file and the
/// audit trail.
fn changed(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    before: &Risk,
    after: &Risk,
    details: serde_json::Value,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    record_event(
        conn,
        after,
        action,
        Some(&before.status),
        actor.user_id,
        Some(details),
        now,
    )?;
    audit::record(
        conn,
        actor,
        Change::new(action, "risk", after.id, after.office_id)
            .before(before)
            .after(after),
    )?;
    Ok(())
}

/// The priority a risk of `grade` gets: `asked`, if at least as urgent as
/// the grade; the grade's when not asked.
fn priority(grade: RiskGrade, asked: Option<i32>) -> Result<i32, ApiError> {
    match asked {
        None => Ok(grade.priority()),
        Some(p) if p <= grade.priority() => Ok(p),
        Some(_) => Err(ApiError::invalid_field(
            "priority",
            "below_grade",
            format!(
                "a {} risk has priority {} or more urgent",
                grade.as_str(),
                grade.priority()
            ),
        )),
    }
}

/// Records a risk at `place` (also used by the demo loader): the owner
/// checked; assessed at once when likelihood and impact are given.
pub fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    place: Place,
    b: &CreateRisk,
    now: NaiveDateTime,
) -> Result<Risk, ApiError> {
    let user = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a risk is recorded by a user"))?;
    let identified_on = b.identified_on.unwrap_or(now.date());
    if identified_on > now.date() {
        return Err(ApiError::invalid_field(
            "identified_on",
            "future",
            "a risk is recorded once identified",
        ));
    }
    place.check_user(conn, "owner_user_id", b.owner_user_id)?;
    let assessment = match (b.likelihood, b.impact) {
        (Some(l), Some(i)) => {
            let bands = bands::current(conn)?;
            let grade = bands.grade(l * i);
            Some((
                l,
                i,
                grade,
                priority(grade, b.priority)?,
                bands.next_review(grade, identified_on),
                bands.id,
            ))
        }
        (None, None) if b.priority.is_some() => {
            return Err(ApiError::invalid_field(
                "priority",
                "not_allowed",
                "a priority is given with the assessment",
            ));
        }
        (None, None) => None,
        (Some(_), None) => {
            return Err(ApiError::invalid_field(
                "impact",
                "required",
                "likelihood and impact are given together",
            ));
        }
        (None, Some(_)) => {
            return Err(ApiError::invalid_field(
                "likelihood",
                "required",
                "likelihood and impact are given together",
            ));
        }
    };
    let status = if assessment.is_some() {
        RiskStatus::Assessed
    } else {
        RiskStatus::Identified
    };
    let row: Risk = diesel::insert_into(r::table)
        .values((
            r::level.eq(place.level.as_str()),
            r::office_id.eq(place.office_id),
            r::region_id.eq(place.region_id),
            r::category.eq(b.category.as_str()),
            r::title.eq(&b.title),
            r::description.eq(&b.description),
            r::cause.eq(b.cause.as_deref()),
            r::owner_user_id.eq(b.owner_user_id),
            r::identified_by.eq(user),
            r::method.eq(b.method.as_str()),
            r::identified_on.eq(identified_on),
            r::likelihood.eq(assessment.map(|a| a.0)),
            r::impact.eq(assessment.map(|a| a.1)),
            r::score.eq(assessment.map(|a| a.0 * a.1)),
            r::grade.eq(assessment.map(|a| a.2.as_str())),
            r::priority.eq(assessment.map(|a| a.3)),
            r::status.eq(status.as_str()),
            r::band_id.eq(assessment.map(|a| a.5)),
            r::last_reviewed_on.eq(assessment.map(|_| identified_on)),
            r::next_review_on.eq(assessment.map(|a| a.4)),
            r::created_by.eq(user),
            r::created_at.eq(now),
            r::updated_at.eq(now),
            r::version.eq(1_i64),
        ))
        .returning(r::all_columns)
        .get_result(conn)
        .api()?;
    record_event(
        conn,
        &row,
        "create",
        None,
        actor.user_id,
        Some(serde_json::json!({
            "likelihood": row.likelihood, "impact": row.impact,
            "score": row.score, "grade": row.grade,
        })),
        now,
    )?;
    audit::record(
        conn,
        actor,
        Change::new("create", "risk", row.id, row.office_id).after(&row),
    )?;
    Ok(row)
}

/// Scores `before` (inherent) by `b`, at `now` (also used by the demo).
pub fn assess(
    conn: &mut AnyConnection,
    actor: &Actor,
    before: &Risk,
    b: &AssessRisk,
    now: NaiveDateTime,
) -> Result<Risk, ApiError> {
    let bands = bands::current(conn)?;
    let score = b.likelihood * b.impact;
    let grade = bands.grade(score);
    let priority = priority(grade, b.priority)?;
    let today = now.date();
    let residual = before
        .residual_likelihood
        .zip(before.residual_impact)
        .map(|(l, i)| bands.grade(l * i));
    let status = if before.status == RiskStatus::Identified.as_str() {
        RiskStatus::Assessed.as_str()
    } else {
        before.status.as_str()
    };
    let after: Risk = store::update_versioned!(
        conn,
        r,
        Risk,
        before,
        now,
        (
            r::likelihood.eq(Some(b.likelihood)),
            r::impact.eq(Some(b.impact)),
            r::score.eq(Some(score)),
            r::grade.eq(Some(grade.as_str())),
            r::priority.eq(Some(priority)),
            r::residual_grade.eq(residual.map(RiskGrade::as_str)),
            r::status.eq(status),
            r::band_id.eq(Some(bands.id)),
            r::last_reviewed_on.eq(Some(today)),
            r::next_review_on.eq(Some(bands.next_review(residual.unwrap_or(grade), today))),
        )
    )?;
    changed(
        conn,
        actor,
        "assess",
        before,
        &after,
        serde_json::json!({
            "likelihood": b.likelihood, "impact": b.impact, "score": score,
            "grade": grade.as_str(), "priority": priority, "note": b.note,
        }),
        now,
    )?;
    Ok(after)
}

/// Chooses `b`'s response for `before` (also used by the demo): the seeds'
/// rule by the grade it has now.
pub fn respond(
    conn: &mut AnyConnection,
    registry: &Registry,
    actor: &Actor,
    before: &Risk,
    b: &RespondRisk,
    now: NaiveDateTime,
) -> Result<Outcome, ApiError> {
    let grade = before
        .grade_now()
        .ok_or_else(|| ApiError::invalid_transition("respond", &before.status, &["assess"]))?;
    decisions::none_pending(conn, before)?;
    if response_needs(grade, b.response)? == Needs::Approval {
        let d = decisions::submit(
            conn,
            registry,
            actor,
            before,
            DecisionKind::Accept,
            &b.plan,
            now,
        )?;
        return Ok(Outcome::Pending(Box::new(d)));
    }
    let status = if b.response == RiskResponse::Accept {
        RiskStatus::Monitoring
    } else {
        RiskStatus::Responding
    };
    let after: Risk = store::update_versioned!(
        conn,
        r,
        Risk,
        before,
        now,
        (
            r::response.eq(Some(b.response.as_str())),
            r::response_plan.eq(Some(&b.plan)),
            r::status.eq(status.as_str()),
        )
    )?;
    changed(
        conn,
        actor,
        "respond",
        before,
        &after,
        serde_json::json!({ "response": b.response.as_str(), "plan": b.plan }),
        now,
    )?;
    Ok(Outcome::Done(Box::new(after)))
}

/// 409 while `risk` has measures open.
fn no_open_measures(conn: &mut AnyConnection, risk: &Risk, what: &str) -> Result<(), ApiError> {
    let open: Vec<i64> = rm::table
        .filter(rm::risk_id.eq(risk.id))
        .filter(rm::status.eq("open"))
        .order(rm::id.asc())
        .select(rm::id)
        .load(conn)
        .api()?;
    if open.is_empty() {
        Ok(())
    } else {
        Err(ApiError::conflict(format!(
            "measures are still open: complete or cancel them before {what}"
        ))
        .with_extra("open_measure_ids", serde_json::json!(open)))
    }
}

/// Assesses what remains of `before` after its measures (also used by the
/// demo): none may be open; the risk is then monitored, reviewed by the
/// residual grade.
pub fn assess_remaining(
    conn: &mut AnyConnection,
    actor: &Actor,
    before: &Risk,
    b: &AssessRisk,
    now: NaiveDateTime,
) -> Result<Risk, ApiError> {
    if b.priority.is_some() {
        return Err(ApiError::invalid_field(
            "priority",
            "not_allowed",
            "the priority is set with the inherent assessment",
        ));
    }
    no_open_measures(conn, before, "the residual assessment")?;
    let bands = bands::current(conn)?;
    let residual = bands.grade(b.likelihood * b.impact);
    let today = now.date();
    let after: Risk = store::update_versioned!(
        conn,
        r,
        Risk,
        before,
        now,
        (
            r::residual_likelihood.eq(Some(b.likelihood)),
            r::residual_impact.eq(Some(b.impact)),
            r::residual_grade.eq(Some(residual.as_str())),
            r::status.eq(RiskStatus::Monitoring.as_str()),
            r::band_id.eq(Some(bands.id)),
            r::last_reviewed_on.eq(Some(today)),
            r::next_review_on.eq(Some(bands.next_review(residual, today))),
        )
    )?;
    changed(
        conn,
        actor,
        "assess_residual",
        before,
        &after,
        serde_json::json!({
            "likelihood": b.likelihood, "impact": b.impact,
            "score": b.likelihood * b.impact, "grade": residual.as_str(), "note": b.note,
        }),
        now,
    )?;
    Ok(after)
}

/// Records a periodic review of `before` (also used by the demo): the next
/// one is due an interval of its grade from today.
pub fn review(
    conn: &mut AnyConnection,
    actor: &Actor,
    before: &Risk,
    note: &str,
    now: NaiveDateTime,
) -> Result<Risk, ApiError> {
    let grade = before
        .grade_now()
        .ok_or_else(|| ApiError::invalid_transition("review", &before.status, &["assess"]))?;
    let bands = bands::current(conn)?;
    let today = now.date();
    let after: Risk = store::update_versioned!(
        conn,
        r,
        Risk,
        before,
        now,
        (
            r::last_reviewed_on.eq(Some(today)),
            r::next_review_on.eq(Some(bands.next_review(grade, today))),
        )
    )?;
    changed(
        conn,
        actor,
        "review",
        before,
        &after,
        serde_json::json!({ "note": note }),
        now,
    )?;
    Ok(after)
}

/// Closes `before` with `reason` (also used by the demo): none of its
/// measures open; a risk graded high goes to the engine first.
pub fn close(
    conn: &mut AnyConnection,
    registry: &Registry,
    actor: &Actor,
    before: &Risk,
    reason: &str,
    now: NaiveDateTime,
) -> Result<Outcome, ApiError> {
    no_open_measures(conn, before, "closing")?;
    decisions::none_pending(conn, before)?;
    if close_needs(before.inherent_grade()) == Needs::Approval {
        let d = decisions::submit(
            conn,
            registry,
            actor,
            before,
            DecisionKind::Close,
            reason,
            now,
        )?;
        return Ok(Outcome::Pending(Box::new(d)));
    }
    let after: Risk = store::update_versioned!(
        conn,
        r,
        Risk,
        before,
        now,
        (
            r::status.eq(RiskStatus::Closed.as_str()),
            r::closed_reason.eq(Some(reason)),
            r::closed_at.eq(Some(now)),
            r::next_review_on.eq(None::<NaiveDate>),
        )
    )?;
    changed(
        conn,
        actor,
        "close",
        before,
        &after,
        serde_json::json!({ "reason": reason }),
        now,
    )?;
    Ok(Outcome::Done(Box::new(after)))
}
