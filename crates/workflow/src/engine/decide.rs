//! Deciding the current step — approve (the next step starts, or the chain
//! completes), reject with a reason, or return to an earlier step — telling a
//! lost race from a stale read, and the submitter's withdrawal before anyone
//! decided. The owning domain's hook runs in the same transaction.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use kernel::{ApiError, Authority, Principal};
use store::audit::{self, Change};
use store::schema::{approval_decisions as ad, approval_instances as ai, approval_steps as st};
use store::{AnyConnection, DbResultExt};

use super::{
    Decision, Instance, Registry, Step, approver_authority, load_steps, load_visible, now_db,
    record,
};

/// A decision on the current step.
#[derive(Debug, Clone)]
pub enum Decide {
    Approve { comment: Option<String> },
    Reject { reason: String },
    Return { to_position: i32, comment: String },
}

impl Decide {
    fn action(&self) -> &'static str {
        match self {
            Decide::Approve { .. } => "approve",
            Decide::Reject { .. } => "reject",
            Decide::Return { .. } => "return",
        }
    }
}

/// 412 for a stale `If-Match` — unless what changed the document since it was
/// read was another approver's decision on a step the caller could decide too:
/// that is the lost race of two approvers on one step, a 409.
fn stale(
    conn: &mut AnyConnection,
    p: &Principal,
    instance: &Instance,
    steps: &[Step],
    read_version: i64,
) -> Result<ApiError, ApiError> {
    let next: Option<Decision> = ad::table
        .filter(
            ad::instance_id
                .eq(instance.id)
                .and(ad::instance_version.eq(read_version)),
        )
        .filter(ad::action.eq_any(["approve", "reject", "return"]))
        .select(Decision::as_select())
        .order(ad::id.asc())
        .first(conn)
        .optional()
        .api()?;
    let raced = next.as_ref().is_some_and(|d| {
        matches!(d.action.as_str(), "approve" | "reject" | "return")
            && steps
                .iter()
                .find(|s| Some(s.id) == d.step_id)
                .is_some_and(|s| approver_authority(p, s, instance.office_id).is_some())
    });
    Ok(match next {
        Some(d) if raced => ApiError::conflict("another approver decided this step first")
            .with_extra("decided_by", d.actor_user_id.into()),
        _ => kernel::concurrency::version_conflict(instance.version),
    })
}

/// Decides the current step of an approval.
pub fn decide(
    conn: &mut AnyConnection,
    registry: &Registry,
    p: &Principal,
    id: i64,
    read_version: i64,
    decision: Decide,
) -> Result<Instance, ApiError> {
    let instance = load_visible(conn, p, id)?;
    let steps = load_steps(conn, id)?;
    // A stale read first: a lost race reads better as "decided by another"
    // than as the state that race produced.
    if instance.version != read_version {
        return Err(stale(conn, p, &instance, &steps, read_version)?);
    }
    if instance.status != "pending" {
        return Err(ApiError::invalid_transition(
            decision.action(),
            &instance.status,
            &[],
        ));
    }
    let round_steps: Vec<&Step> = steps.iter().filter(|s| s.round == instance.round).collect();
    let current = round_steps
        .iter()
        .find(|s| Some(s.position) == instance.current_position)
        .copied()
        .ok_or_else(|| {
            ApiError::internal(std::io::Error::other(
                "pending approval without a current step",
            ))
        })?;
    if p.user_id == instance.submitter_user_id {
        return Err(ApiError::forbidden("nobody approves their own document"));
    }
    let authority = approver_authority(p, current, instance.office_id).ok_or_else(|| {
        ApiError::forbidden(format!(
            "step `{}` waits for {}, not for you",
            current.name,
            describe_step(current)
        ))
    })?;
    if authority.acting_for == Some(instance.submitter_user_id) {
        return Err(ApiError::forbidden(
            "nobody approves their own document, acting or not",
        ));
    }
    if !instance.allow_same_approver
        && round_steps.iter().any(|s| {
            s.id != current.id && s.status == "approved" && s.decided_by == Some(p.user_id)
        })
    {
        return Err(ApiError::forbidden(
            "you already approved another step of this chain; the policy needs someone else",
        ));
    }
    let actor = p.actor(authority);
    let now = now_db();
    let (step_status, comment) = match &decision {
        Decide::Approve { comment } => ("approved", comment.clone()),
        Decide::Reject { reason } => ("rejected", Some(reason.clone())),
        Decide::Return {
            to_position,
            comment,
        } => {
            if *to_position >= current.position
                || !round_steps.iter().any(|s| s.position == *to_position)
            {
                return Err(ApiError::invalid_field(
                    "to_step",
                    "range",
                    "must be an earlier step of this chain",
                ));
            }
            ("returned", Some(comment.clone()))
        }
    };
    // Claim the step and the document version; losing either is a lost race.
    let claimed = diesel::update(st::table.find(current.id).filter(st::status.eq("pending")))
        .set((
            st::status.eq(step_status),
            st::decided_by.eq(Some(p.user_id)),
            st::acting_for_user_id.eq(authority.acting_for),
            st::decided_at.eq(Some(now)),
            st::comment.eq(comment.as_deref()),
        ))
        .execute(conn)
        .api()?;
    let bumped = diesel::update(ai::table.find(id).filter(ai::version.eq(read_version)))
        .set((ai::version.eq(ai::version + 1), ai::updated_at.eq(now)))
        .execute(conn)
        .api()?;
    if claimed == 0 || bumped == 0 {
        return Err(ApiError::conflict(
            "another approver decided this step first",
        ));
    }
    record(
        conn,
        &instance,
        Some(current.id),
        decision.action(),
        &actor,
        comment.as_deref(),
    )?;
    let doc = registry.get(&instance.doc_type)?.clone();

    let after = match &decision {
        Decide::Approve { .. } => {
            match round_steps.iter().find(|s| s.position > current.position) {
                Some(next) => activate(conn, id, next, now)?,
                None => {
                    let done = finish(conn, &instance, "approved")?;
                    doc.on_approved(conn, instance.doc_id, &actor)?;
                    done
                }
            }
        }
        Decide::Reject { reason } => {
            diesel::update(
                st::table.filter(
                    st::instance_id
                        .eq(id)
                        .and(st::round.eq(instance.round))
                        .and(st::status.eq("waiting")),
                ),
            )
            .set(st::status.eq("cancelled"))
            .execute(conn)
            .api()?;
            let done = finish(conn, &instance, "rejected")?;
            doc.on_rejected(conn, instance.doc_id, &actor, reason)?;
            done
        }
        Decide::Return { to_position, .. } => {
            // Steps from the target on run again.
            diesel::update(
                st::table.filter(
                    st::instance_id
                        .eq(id)
                        .and(st::round.eq(instance.round))
                        .and(st::position.ge(*to_position))
                        .and(st::position.lt(current.position)),
                ),
            )
            .set((
                st::status.eq("waiting"),
                st::decided_by.eq(None::<i64>),
                st::decided_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)
            .api()?;
            diesel::update(st::table.find(current.id))
                .set(st::status.eq("waiting"))
                .execute(conn)
                .api()?;
            let target = round_steps
                .iter()
                .find(|s| s.position == *to_position)
                .copied()
                .ok_or_else(|| ApiError::not_found("step"))?;
            activate(conn, id, target, now)?
        }
    };
    audit::record(
        conn,
        &actor,
        Change::new(decision.action(), "approval", id, instance.office_id)
            .before(
                &serde_json::json!({"status": instance.status, "step": instance.current_position}),
            )
            .after(&serde_json::json!({"status": after.status, "step": after.current_position})),
    )?;
    Ok(after)
}

fn describe_step(step: &Step) -> String {
    match step.approver_kind.as_str() {
        "department_supervisor" => "the submitter's department supervisor".to_owned(),
        _ => format!("`{}`", step.approver_role.as_deref().unwrap_or("?")),
    }
}

fn activate(
    conn: &mut AnyConnection,
    instance_id: i64,
    step: &Step,
    now: NaiveDateTime,
) -> Result<Instance, ApiError> {
    let due = step
        .time_limit_hours
        .map(|h| now + Duration::hours(i64::from(h)));
    diesel::update(st::table.find(step.id))
        .set((
            st::status.eq("pending"),
            st::activated_at.eq(Some(now)),
            st::due_at.eq(due),
            st::decided_by.eq(None::<i64>),
            st::acting_for_user_id.eq(None::<i64>),
            st::decided_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .api()?;
    diesel::update(ai::table.find(instance_id))
        .set(ai::current_position.eq(Some(step.position)))
        .returning(ai::all_columns)
        .get_result(conn)
        .api()
}

fn finish(
    conn: &mut AnyConnection,
    instance: &Instance,
    status: &str,
) -> Result<Instance, ApiError> {
    diesel::update(ai::table.find(instance.id))
        .set((
            ai::status.eq(status),
            ai::current_position.eq(None::<i32>),
            ai::decided_at.eq(Some(now_db())),
            ai::updated_at.eq(now_db()),
        ))
        .returning(ai::all_columns)
        .get_result(conn)
        .api()
}

/// The submitter takes the document back before anyone decided.
pub fn withdraw(
    conn: &mut AnyConnection,
    registry: &Registry,
    p: &Principal,
    id: i64,
    read_version: i64,
) -> Result<Instance, ApiError> {
    let instance = load_visible(conn, p, id)?;
    let steps = load_steps(conn, id)?;
    if instance.submitter_user_id != p.user_id {
        return Err(ApiError::forbidden("only the submitter may withdraw"));
    }
    if instance.status != "pending" {
        return Err(ApiError::invalid_transition(
            "withdraw",
            &instance.status,
            &[],
        ));
    }
    if instance.version != read_version {
        return Err(kernel::concurrency::version_conflict(instance.version));
    }
    let decided = steps
        .iter()
        .any(|s| s.round == instance.round && s.decided_by.is_some());
    if decided {
        return Err(ApiError::invalid_transition(
            "withdraw",
            "decided",
            &["approve", "reject", "return"],
        )
        .with_extra("detail_reason", "a decision was already made".into()));
    }
    let actor = p.actor(Authority::default());
    let bumped = diesel::update(ai::table.find(id).filter(ai::version.eq(read_version)))
        .set(ai::version.eq(ai::version + 1))
        .execute(conn)
        .api()?;
    if bumped == 0 {
        return Err(ApiError::conflict("the approval changed while withdrawing"));
    }
    diesel::update(st::table.filter(st::instance_id.eq(id).and(st::round.eq(instance.round))))
        .set(st::status.eq("withdrawn"))
        .execute(conn)
        .api()?;
    record(conn, &instance, None, "withdraw", &actor, None)?;
    let after = finish(conn, &instance, "withdrawn")?;
    registry
        .get(&instance.doc_type)?
        .on_withdrawn(conn, instance.doc_id, &actor)?;
    audit::record(
        conn,
        &actor,
        Change::new("withdraw", "approval", id, instance.office_id)
            .before(&serde_json::json!({"status": "pending"}))
            .after(&serde_json::json!({"status": "withdrawn"})),
    )?;
    Ok(after)
}
