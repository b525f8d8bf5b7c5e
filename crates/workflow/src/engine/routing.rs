//! Submission: resolving a document's policy into the chain of steps kept with
//! it — who holds each role where the document sits, routing a step around its
//! own submitter, merging steps one approver would decide twice — and
//! activating the first step.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use kernel::{Actor, ApiError};
use org::roles::{self, RoleLevel};
use org::scope::role_holders;
use store::audit::{self, Change};
use store::schema::{approval_instances as ai, approval_steps as st, departments};
use store::{AnyConnection, DbResultExt};

use super::{Instance, Registry, instance_of, now_db, policy_for, record};
use crate::policy::{Approver, StepDef};

fn level_str(role: &str) -> &'static str {
    match roles::role(role).map(|r| r.level) {
        Some(RoleLevel::Company) => "hq",
        Some(RoleLevel::Region) => "region",
        _ => "office",
    }
}

pub(super) fn approver_columns(
    approver: &Approver,
    supervisor: Option<i64>,
) -> (String, Option<String>, Option<String>, Option<i64>) {
    match approver {
        Approver::Role { role } => (
            "role".to_owned(),
            Some(role.clone()),
            Some(level_str(role).to_owned()),
            None,
        ),
        Approver::DepartmentSupervisor {} => {
            ("department_supervisor".to_owned(), None, None, supervisor)
        }
    }
}

/// Nobody approves their own document: a role step whose only holder is the
/// submitter goes one level up — to where the step escalates, else to the role
/// above (a director's own document goes to the regional manager).
fn route_around_owner(
    conn: &mut AnyConnection,
    def: &StepDef,
    owner: i64,
    office_id: Option<i64>,
) -> Result<Approver, ApiError> {
    let mut approver = def.approver.clone();
    for _ in 0..3 {
        let Approver::Role { role } = &approver else {
            break;
        };
        let holders = role_holders(conn, role, office_id)?;
        if !(holders.contains(&owner) && holders.len() == 1) {
            break;
        }
        let up = if approver == def.approver {
            def.escalate_to
                .clone()
                .or_else(|| approver.default_escalation())
        } else {
            approver.default_escalation()
        };
        match up {
            Some(next) => approver = next,
            None => break,
        }
    }
    Ok(approver)
}

/// Refuses a submission whose step, even one level up, only the submitter could
/// decide (company leadership's own document under a policy that ends with
/// leadership): it would wait for ever, since nobody approves their own
/// document. 409, naming the step; HQ gives the office a policy with another
/// approver for it.
fn only_the_owner(
    conn: &mut AnyConnection,
    def: &StepDef,
    approver: &Approver,
    owner: i64,
    office_id: Option<i64>,
) -> Result<(), ApiError> {
    let Approver::Role { role } = approver else {
        return Ok(());
    };
    let holders = role_holders(conn, role, office_id)?;
    if holders == [owner] {
        return Err(ApiError::conflict(format!(
            "step `{}` resolves to `{role}`, whose only holder is the submitter, and there is nobody above it: nobody may approve their own document, so the approval policy must name another approver",
            def.name
        ))
        .with_extra("step", def.name.clone().into()));
    }
    Ok(())
}

/// A step of the policy that applies, with the approver it resolved to and, for
/// a supervisor step, the supervisor.
type Resolved<'a> = (&'a StepDef, Approver, Option<i64>);

/// Drops a step whose approver is also a later step's when only one person
/// could decide both: the same supervisor, or a role with at most one holder
/// other than the submitter. One person decides one step, so the earlier copy
/// could only wait; the later one keeps the policy's order (the director after
/// the department head). Where the role has several holders, each step keeps
/// its own decider.
fn merge_same_approvers<'a>(
    conn: &mut AnyConnection,
    steps: Vec<Resolved<'a>>,
    owner: i64,
    office_id: Option<i64>,
) -> Result<Vec<Resolved<'a>>, ApiError> {
    let keys: Vec<_> = steps
        .iter()
        .map(|(_, a, s)| approver_columns(a, *s))
        .collect();
    let mut kept = Vec::with_capacity(steps.len());
    for (i, step) in steps.into_iter().enumerate() {
        let repeated = keys[i + 1..].contains(&keys[i]);
        let one_person = match &step.1 {
            Approver::DepartmentSupervisor {} => true,
            Approver::Role { role } => {
                role_holders(conn, role, office_id)?
                    .iter()
                    .filter(|h| **h != owner)
                    .count()
                    <= 1
            }
        };
        if !(repeated && one_person) {
            kept.push(step);
        }
    }
    Ok(kept)
}

/// Submits a document (or resubmits it after a rejection or withdrawal): resolves
/// the policy for its office into steps and activates the first. Call it inside
/// the domain's own submit transaction.
pub fn submit(
    conn: &mut AnyConnection,
    registry: &Registry,
    doc_type: &str,
    doc_id: i64,
    actor: &Actor,
) -> Result<Instance, ApiError> {
    let doc = registry.get(doc_type)?.clone();
    let info = doc.describe(conn, doc_id)?;
    let existing = instance_of(conn, doc_type, doc_id)?;
    if let Some(inst) = &existing
        && (inst.status == "pending" || inst.status == "approved")
    {
        return Err(ApiError::invalid_transition("submit", &inst.status, &[]));
    }
    let (policy_id, policy_version, policy) = policy_for(conn, doc.as_ref(), info.office_id)?;
    let supervisor: Option<i64> = match info.owner_department_id {
        Some(dept) => departments::table
            .find(dept)
            .select(departments::supervisor_user_id)
            .first(conn)
            .optional()
            .api()?
            .flatten(),
        None => None,
    };
    let now = now_db();
    let instance: Instance = match existing {
        None => diesel::insert_into(ai::table)
            .values((
                ai::doc_type.eq(doc_type),
                ai::doc_id.eq(doc_id),
                ai::office_id.eq(info.office_id),
                ai::submitter_user_id.eq(info.owner_user_id),
                ai::submitter_department_id.eq(info.owner_department_id),
                ai::amount.eq(info.amount),
                ai::currency.eq(&info.currency),
                ai::category.eq(&info.category),
                ai::summary.eq(&info.summary),
                ai::status.eq("pending"),
                ai::round.eq(1),
                ai::policy_id.eq(policy_id),
                ai::policy_version.eq(policy_version),
                ai::allow_same_approver.eq(policy.allow_same_approver),
                ai::created_at.eq(now),
                ai::updated_at.eq(now),
                ai::version.eq(1_i64),
            ))
            .returning(ai::all_columns)
            .get_result(conn)
            .api()?,
        Some(prev) => diesel::update(ai::table.find(prev.id))
            .set((
                ai::office_id.eq(info.office_id),
                ai::amount.eq(info.amount),
                ai::currency.eq(&info.currency),
                ai::category.eq(&info.category),
                ai::summary.eq(&info.summary),
                ai::status.eq("pending"),
                ai::round.eq(prev.round + 1),
                ai::policy_id.eq(policy_id),
                ai::policy_version.eq(policy_version),
                ai::allow_same_approver.eq(policy.allow_same_approver),
                ai::decided_at.eq(None::<NaiveDateTime>),
                ai::updated_at.eq(now),
                ai::version.eq(ai::version + 1),
            ))
            .returning(ai::all_columns)
            .get_result(conn)
            .api()?,
    };

    // Resolve every step that applies first, then insert them: a step whose
    // approver is the same as a later step's (a role routed one level up onto the
    // next step's role) is merged into that later step, so no step waits for
    // someone who may not decide two steps.
    let mut resolved: Vec<Resolved> = Vec::new();
    for def in &policy.steps {
        if !def
            .condition
            .as_ref()
            .is_none_or(|c| c.holds(info.amount, info.category.as_deref()))
        {
            continue;
        }
        let supervisor_for_step = match def.approver {
            // A submitter outside any department (a director, HQ staff) has no
            // department head to review.
            Approver::DepartmentSupervisor {} if info.owner_department_id.is_none() => continue,
            Approver::DepartmentSupervisor {} => {
                let Some(s) = supervisor else {
                    return Err(ApiError::conflict(format!(
                        "step `{}` needs the submitter's department supervisor, and there is none",
                        def.name
                    )));
                };
                // Nobody approves their own document: a supervisor's own claim
                // skips their own step.
                if s == info.owner_user_id {
                    continue;
                }
                Some(s)
            }
            Approver::Role { .. } => None,
        };
        let approver = match def.approver {
            Approver::Role { .. } => {
                let approver = route_around_owner(conn, def, info.owner_user_id, info.office_id)?;
                only_the_owner(conn, def, &approver, info.owner_user_id, info.office_id)?;
                approver
            }
            Approver::DepartmentSupervisor {} => def.approver.clone(),
        };
        resolved.push((def, approver, supervisor_for_step));
    }
    if !policy.allow_same_approver {
        resolved = merge_same_approvers(conn, resolved, info.owner_user_id, info.office_id)?;
    }

    let mut position = 0;
    let mut first: Option<i32> = None;
    for (def, approver, supervisor_for_step) in resolved {
        position += 1;
        let active = first.is_none();
        if active {
            first = Some(position);
        }
        let (kind, role, level, user) = approver_columns(&approver, supervisor_for_step);
        let due = def
            .time_limit_hours
            .filter(|_| active)
            .map(|h| now + Duration::hours(i64::from(h)));
        diesel::insert_into(st::table)
            .values((
                st::instance_id.eq(instance.id),
                st::round.eq(instance.round),
                st::position.eq(position),
                st::name.eq(&def.name),
                st::approver_kind.eq(kind),
                st::approver_role.eq(role),
                st::approver_level.eq(level),
                st::approver_user_id.eq(user),
                st::status.eq(if active { "pending" } else { "waiting" }),
                st::time_limit_hours.eq(def.time_limit_hours),
                st::escalate_json.eq(def
                    .escalate_to
                    .as_ref()
                    .map(|e| serde_json::to_string(e).unwrap_or_default())),
                st::activated_at.eq(active.then_some(now)),
                st::due_at.eq(due),
            ))
            .execute(conn)
            .api()?;
    }
    let action = if instance.round == 1 {
        "submit"
    } else {
        "resubmit"
    };
    record(conn, &instance, None, action, actor, None)?;
    let instance: Instance = match first {
        Some(pos) => diesel::update(ai::table.find(instance.id))
            .set(ai::current_position.eq(Some(pos)))
            .returning(ai::all_columns)
            .get_result(conn)
            .api()?,
        None => {
            // A policy that routes a document to nobody would approve it unseen.
            return Err(ApiError::conflict(
                "no step of the approval policy applies to this document; HQ must correct the policy",
            ));
        }
    };
    audit::record(
        conn,
        actor,
        Change::new(action, "approval", instance.id, instance.office_id).after(&serde_json::json!({
            "doc_type": doc_type, "doc_id": doc_id, "status": instance.status, "round": instance.round
        })),
    )?;
    Ok(instance)
}
