//! Deadlines: the job that moves every overdue pending step one level up, as
//! its policy says or to the default next level, once even when several
//! replicas run it at the same time.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use kernel::{Actor, ApiError};
use store::audit::{self, Change};
use store::schema::{approval_instances as ai, approval_steps as st};
use store::{AnyConnection, DbResultExt};

use super::routing::approver_columns;
use super::{Instance, Step, record};
use crate::policy::Approver;

/// Moves every overdue pending step one level up, as its policy says (or to the
/// default next level). Several replicas may run this at once: each step is
/// claimed with a compare-and-set on its escalation level, so it escalates once.
/// Returns the ids of the steps this call escalated.
pub fn escalate_overdue(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
) -> Result<Vec<i64>, ApiError> {
    let overdue: Vec<(Step, i64)> = st::table
        .inner_join(ai::table)
        .filter(st::status.eq("pending").and(ai::status.eq("pending")))
        .filter(st::due_at.lt(now))
        .select((Step::as_select(), ai::id))
        .order(st::id.asc())
        .limit(200)
        .load(conn)
        .api()?;
    let mut escalated = Vec::new();
    for (step, instance_id) in overdue {
        let current = match step.approver_kind.as_str() {
            "department_supervisor" => Approver::DepartmentSupervisor {},
            _ => Approver::Role {
                role: step.approver_role.clone().unwrap_or_default(),
            },
        };
        let configured = if step.escalation_level == 0 {
            step.escalate_json
                .as_deref()
                .and_then(|j| serde_json::from_str::<Approver>(j).ok())
        } else {
            None
        };
        let Some(next) = configured.or_else(|| current.default_escalation()) else {
            continue;
        };
        let (kind, role, level, _) = approver_columns(&next, None);
        let due = now + Duration::hours(i64::from(step.time_limit_hours.unwrap_or(24)));
        let done = store::transaction(conn, |conn| {
            let claimed = diesel::update(
                st::table
                    .find(step.id)
                    .filter(st::status.eq("pending"))
                    .filter(st::escalation_level.eq(step.escalation_level)),
            )
            .set((
                st::approver_kind.eq(&kind),
                st::approver_role.eq(&role),
                st::approver_level.eq(&level),
                st::approver_user_id.eq(None::<i64>),
                st::escalation_level.eq(step.escalation_level + 1),
                st::due_at.eq(Some(due)),
                st::escalate_json.eq(None::<String>),
            ))
            .execute(conn)
            .api()?;
            if claimed == 0 {
                return Ok(false);
            }
            let instance: Instance = diesel::update(ai::table.find(instance_id))
                .set(ai::version.eq(ai::version + 1))
                .returning(ai::all_columns)
                .get_result(conn)
                .api()?;
            let system = Actor::job("escalation-job");
            let mut before = instance.clone();
            before.version -= 1;
            record(
                conn,
                &before,
                Some(step.id),
                "escalate",
                &system,
                Some(&format!("overdue; now waits for {}", next.describe())),
            )?;
            audit::record(
                conn,
                &system,
                Change::new("escalate", "approval", instance.id, instance.office_id)
                    .before(&serde_json::json!({"approver": current.describe()}))
                    .after(&serde_json::json!({"approver": next.describe()})),
            )?;
            Ok::<bool, ApiError>(true)
        })?;
        if done {
            escalated.push(step.id);
        }
    }
    Ok(escalated)
}
