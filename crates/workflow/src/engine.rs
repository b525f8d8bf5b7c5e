//! The engine: submitting a document resolves its policy into a chain of steps
//! (kept with the document, so later policy changes never touch it), and each
//! decision moves the chain on — approve, reject (back to the owner, with a
//! reason), return to an earlier step, or the submitter's withdrawal before anyone
//! decided. The domain that owns the document is called inside the same
//! transaction when the chain completes or is rejected, so a document's status and
//! its approval never disagree.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use kernel::{Actor, ApiError, Authority, Principal, Reach};
use org::roles::{self, RoleLevel};
use serde::Serialize;
use store::audit::{self, Change};
use store::schema::{
    approval_decisions as ad, approval_instances as ai, approval_policies as ap,
    approval_steps as st, departments,
};
use store::{AnyConnection, DbResultExt};

use crate::policy::{Approver, PolicyDef, StepDef};

/// What the engine needs to know of a document.
#[derive(Debug, Clone)]
pub struct DocumentInfo {
    /// The office the document belongs to; `None` for a company-level document.
    pub office_id: Option<i64>,
    /// The owner (submitter).
    pub owner_user_id: i64,
    /// The owner's department, for `department_supervisor` steps.
    pub owner_department_id: Option<i64>,
    pub amount: Option<i64>,
    pub currency: String,
    pub category: Option<String>,
    pub summary: String,
}

/// The small trait a domain implements to put a document type through approval.
pub trait ApprovalDocument: Send + Sync {
    /// Stable snake_case name, e.g. `expense_claim`.
    fn doc_type(&self) -> &'static str;
    /// The HQ default policy, used until HQ configures one.
    fn default_policy(&self) -> PolicyDef;
    /// Reads the document inside the submitting transaction.
    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError>;
    /// Moves the document's own status as its approval ends — `approved`,
    /// `rejected` (with the reason) or `withdrawn` — inside the deciding
    /// transaction. The hooks below call it; a document that needs more than a
    /// status change overrides the hook.
    fn set_status(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        status: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), ApiError>;
    /// The chain completed; called inside the deciding transaction.
    fn on_approved(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        self.set_status(conn, doc_id, "approved", None, actor)
    }
    /// Rejected with a reason: the document goes back to its owner.
    fn on_rejected(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        actor: &Actor,
        reason: &str,
    ) -> Result<(), ApiError> {
        self.set_status(conn, doc_id, "rejected", Some(reason), actor)
    }
    /// Withdrawn by the submitter before the first decision.
    fn on_withdrawn(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        self.set_status(conn, doc_id, "withdrawn", None, actor)
    }
}

/// Every document type the engine knows, keyed by `doc_type`.
#[derive(Clone, Default)]
pub struct Registry {
    docs: BTreeMap<&'static str, Arc<dyn ApprovalDocument>>,
}

impl Registry {
    pub fn with(mut self, doc: Arc<dyn ApprovalDocument>) -> Self {
        self.docs.insert(doc.doc_type(), doc);
        self
    }

    pub fn get(&self, doc_type: &str) -> Result<&Arc<dyn ApprovalDocument>, ApiError> {
        self.docs.get(doc_type).ok_or_else(|| {
            ApiError::internal(std::io::Error::other(format!(
                "unknown document type {doc_type}"
            )))
        })
    }

    pub fn types(&self) -> impl Iterator<Item = &Arc<dyn ApprovalDocument>> {
        self.docs.values()
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = ai)]
pub struct Instance {
    pub id: i64,
    pub doc_type: String,
    pub doc_id: i64,
    pub office_id: Option<i64>,
    pub submitter_user_id: i64,
    pub submitter_department_id: Option<i64>,
    pub amount: Option<i64>,
    pub currency: String,
    pub category: Option<String>,
    pub summary: String,
    pub status: String,
    pub current_position: Option<i32>,
    pub round: i32,
    pub policy_id: i64,
    pub policy_version: i64,
    pub allow_same_approver: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
    pub version: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = st)]
pub struct Step {
    pub id: i64,
    pub instance_id: i64,
    pub round: i32,
    pub position: i32,
    pub name: String,
    pub approver_kind: String,
    pub approver_role: Option<String>,
    pub approver_level: Option<String>,
    pub approver_user_id: Option<i64>,
    pub status: String,
    pub time_limit_hours: Option<i32>,
    pub escalate_json: Option<String>,
    pub activated_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub escalation_level: i32,
    pub decided_by: Option<i64>,
    pub acting_for_user_id: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = ad)]
pub struct Decision {
    pub id: i64,
    pub instance_id: i64,
    pub step_id: Option<i64>,
    pub round: i32,
    pub action: String,
    pub instance_version: i64,
    pub actor_user_id: Option<i64>,
    pub acting_for_user_id: Option<i64>,
    pub comment: Option<String>,
    pub created_at: NaiveDateTime,
}

fn now_db() -> NaiveDateTime {
    kernel::time::to_db(kernel::time::now())
}

fn level_str(role: &str) -> &'static str {
    match roles::role(role).map(|r| r.level) {
        Some(RoleLevel::Company) => "hq",
        Some(RoleLevel::Region) => "region",
        _ => "office",
    }
}

/// The policy for a document type at an office: the office's override, else the
/// HQ default (created from the document type's default on first use).
pub fn policy_for(
    conn: &mut AnyConnection,
    doc: &dyn ApprovalDocument,
    office_id: Option<i64>,
) -> Result<(i64, i64, PolicyDef), ApiError> {
    let parse = |row: (i64, i64, String, String, bool)| -> Result<(i64, i64, PolicyDef), ApiError> {
        let steps: Vec<StepDef> = serde_json::from_str(&row.3).map_err(ApiError::internal)?;
        Ok((
            row.0,
            row.1,
            PolicyDef {
                name: row.2,
                steps,
                allow_same_approver: row.4,
            },
        ))
    };
    let columns = (
        ap::id,
        ap::version,
        ap::name,
        ap::steps_json,
        ap::allow_same_approver,
    );
    if let Some(office) = office_id {
        let row = ap::table
            .filter(
                ap::doc_type
                    .eq(doc.doc_type())
                    .and(ap::office_id.eq(office)),
            )
            .select(columns)
            .first(conn)
            .optional()
            .api()?;
        if let Some(row) = row {
            return parse(row);
        }
    }
    let hq_default = |conn: &mut AnyConnection| {
        ap::table
            .filter(ap::doc_type.eq(doc.doc_type()).and(ap::office_id.is_null()))
            .select(columns)
            .first(conn)
            .optional()
            .api()
    };
    if let Some(row) = hq_default(conn)? {
        return parse(row);
    }
    // First use: store the type's default. Replicas starting together, or two
    // first submissions at once, may race to insert it; the loser (unique index,
    // inside a savepoint so the outer transaction stays usable) reads the winner's.
    let def = doc.default_policy();
    match store::transaction(conn, |c| insert_policy(c, doc.doc_type(), None, &def)) {
        Ok(id) => Ok((id, 1, def)),
        Err(e) if e.code == kernel::ErrorCode::Duplicate => {
            hq_default(conn)?.map_or_else(|| Err(e), parse)
        }
        Err(e) => Err(e),
    }
}

pub fn insert_policy(
    conn: &mut AnyConnection,
    doc_type: &str,
    office_id: Option<i64>,
    def: &PolicyDef,
) -> Result<i64, ApiError> {
    let now = now_db();
    diesel::insert_into(ap::table)
        .values((
            ap::doc_type.eq(doc_type),
            ap::office_id.eq(office_id),
            ap::name.eq(&def.name),
            ap::steps_json.eq(serde_json::to_string(&def.steps).map_err(ApiError::internal)?),
            ap::allow_same_approver.eq(def.allow_same_approver),
            ap::created_at.eq(now),
            ap::updated_at.eq(now),
            ap::version.eq(1_i64),
        ))
        .returning(ap::id)
        .get_result(conn)
        .api()
}

/// Creates the HQ default policy of every registered type that has none.
pub fn ensure_default_policies(
    conn: &mut AnyConnection,
    registry: &Registry,
) -> Result<(), ApiError> {
    for doc in registry.types() {
        policy_for(conn, doc.as_ref(), None)?;
    }
    Ok(())
}

fn record(
    conn: &mut AnyConnection,
    instance: &Instance,
    step_id: Option<i64>,
    action: &str,
    actor: &Actor,
    comment: Option<&str>,
) -> Result<(), ApiError> {
    diesel::insert_into(ad::table)
        .values((
            ad::instance_id.eq(instance.id),
            ad::step_id.eq(step_id),
            ad::round.eq(instance.round),
            ad::action.eq(action),
            ad::instance_version.eq(instance.version),
            ad::actor_user_id.eq(actor.user_id),
            ad::acting_for_user_id.eq(actor.acting_for),
            ad::comment.eq(comment),
            ad::created_at.eq(now_db()),
        ))
        .execute(conn)
        .api()
        .map(drop)
}

pub fn load_instance(conn: &mut AnyConnection, id: i64) -> Result<Option<Instance>, ApiError> {
    ai::table
        .find(id)
        .select(Instance::as_select())
        .first(conn)
        .optional()
        .api()
}

pub fn load_steps(conn: &mut AnyConnection, instance_id: i64) -> Result<Vec<Step>, ApiError> {
    st::table
        .filter(st::instance_id.eq(instance_id))
        .select(Step::as_select())
        .order((st::round.asc(), st::position.asc()))
        .load(conn)
        .api()
}

pub fn load_decisions(
    conn: &mut AnyConnection,
    instance_id: i64,
) -> Result<Vec<Decision>, ApiError> {
    ad::table
        .filter(ad::instance_id.eq(instance_id))
        .select(Decision::as_select())
        .order(ad::id.asc())
        .load(conn)
        .api()
}

/// The instance of a document, if it was ever submitted.
pub fn instance_of(
    conn: &mut AnyConnection,
    doc_type: &str,
    doc_id: i64,
) -> Result<Option<Instance>, ApiError> {
    ai::table
        .filter(ai::doc_type.eq(doc_type).and(ai::doc_id.eq(doc_id)))
        .select(Instance::as_select())
        .first(conn)
        .optional()
        .api()
}

fn approver_columns(
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

/// The users who hold `role` directly (not acting) today where a step of a
/// document of `office_id` sits: at the office, over its region, or company-wide,
/// as the role's level says.
fn role_holders(
    conn: &mut AnyConnection,
    role: &str,
    office_id: Option<i64>,
) -> Result<Vec<i64>, ApiError> {
    use store::schema::{offices, role_assignments as ra, users};
    let Some(level) = roles::role(role).map(|r| r.level) else {
        return Ok(Vec::new());
    };
    let today = kernel::time::now().date_naive();
    let mut q = ra::table
        .inner_join(users::table.on(users::id.eq(ra::user_id)))
        .filter(ra::role.eq(role))
        .filter(ra::acting_for_user_id.is_null())
        .filter(ra::ended_at.is_null())
        .filter(ra::valid_from.le(today))
        .filter(ra::valid_to.is_null().or(ra::valid_to.ge(today)))
        .filter(users::active.eq(true))
        .select(ra::user_id)
        .into_boxed::<store::MultiBackend>();
    q = match (level, office_id) {
        (RoleLevel::Company, _) => q.filter(ra::scope_kind.eq("company")),
        (RoleLevel::Region, Some(office)) => {
            let region = offices::table
                .find(office)
                .select(offices::region_id)
                .single_value();
            q.filter(ra::region_id.nullable().eq(region))
        }
        (RoleLevel::Office, Some(office)) => q.filter(ra::office_id.eq(office)),
        (_, None) => return Ok(Vec::new()),
    };
    let mut holders: Vec<i64> = q.load(conn).api()?;
    holders.sort_unstable();
    holders.dedup();
    Ok(holders)
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

/// Drops every step whose approver (the same role, or the same supervisor) also
/// decides a later step: one person decides one step, so the earlier copy could
/// only wait; the later one keeps the policy's order (the director after the
/// department head).
fn merge_same_approvers(
    steps: Vec<(&StepDef, Approver, Option<i64>)>,
) -> Vec<(&StepDef, Approver, Option<i64>)> {
    let keys: Vec<_> = steps
        .iter()
        .map(|(_, a, s)| approver_columns(a, *s))
        .collect();
    steps
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !keys[i + 1..].contains(&keys[*i]))
        .map(|(_, step)| step)
        .collect()
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
    let mut resolved: Vec<(&StepDef, Approver, Option<i64>)> = Vec::new();
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
                route_around_owner(conn, def, info.owner_user_id, info.office_id)?
            }
            Approver::DepartmentSupervisor {} => def.approver.clone(),
        };
        resolved.push((def, approver, supervisor_for_step));
    }
    if !policy.allow_same_approver {
        resolved = merge_same_approvers(resolved);
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

/// How the caller may decide `step` of a document at `office_id`, if at all:
/// directly, or through an acting assignment (then `acting_for` is set).
pub fn approver_authority(p: &Principal, step: &Step, office_id: Option<i64>) -> Option<Authority> {
    match step.approver_kind.as_str() {
        "department_supervisor" => {
            let target = step.approver_user_id?;
            if p.user_id == target {
                return Some(Authority { acting_for: None });
            }
            p.grants
                .iter()
                .find(|g| g.acting_for == Some(target) && g.role == "department_supervisor")
                .map(|g| Authority {
                    acting_for: g.acting_for,
                })
        }
        "role" => {
            let role = step.approver_role.as_deref()?;
            let level = roles::role(role)?.level;
            p.grants
                .iter()
                .filter(|g| g.role == role)
                .filter(|g| match level {
                    RoleLevel::Company => g.reach == Reach::Company,
                    _ => office_id.is_some_and(|o| g.reach.contains(o)),
                })
                .min_by_key(|g| g.acting_for.is_some())
                .map(|g| Authority {
                    acting_for: g.acting_for,
                })
        }
        _ => None,
    }
}

/// May the caller see this approval at all?
pub fn can_see(p: &Principal, instance: &Instance, steps: &[Step]) -> bool {
    instance.submitter_user_id == p.user_id
        || match instance.office_id {
            Some(o) => p.reach(org::roles::APPROVAL_READ).contains(o),
            None => p.reach(org::roles::APPROVAL_READ) == Reach::Company,
        }
        || steps.iter().any(|s| {
            s.decided_by == Some(p.user_id)
                || approver_authority(p, s, instance.office_id).is_some()
        })
}

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
    let instance = load_instance(conn, id)?.ok_or_else(|| ApiError::not_found("approval"))?;
    let steps = load_steps(conn, id)?;
    if !can_see(p, &instance, &steps) {
        return Err(ApiError::not_found("approval"));
    }
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

/// The submitter takes the document back before anyone decided.
pub fn withdraw(
    conn: &mut AnyConnection,
    registry: &Registry,
    p: &Principal,
    id: i64,
    read_version: i64,
) -> Result<Instance, ApiError> {
    let instance = load_instance(conn, id)?.ok_or_else(|| ApiError::not_found("approval"))?;
    let steps = load_steps(conn, id)?;
    if !can_see(p, &instance, &steps) {
        return Err(ApiError::not_found("approval"));
    }
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

/// The actions the caller may take on an approval now.
pub fn allowed_actions(p: &Principal, instance: &Instance, steps: &[Step]) -> Vec<&'static str> {
    if instance.status != "pending" {
        return Vec::new();
    }
    let mut out = Vec::new();
    let current = steps
        .iter()
        .find(|s| s.round == instance.round && Some(s.position) == instance.current_position);
    if let Some(step) = current
        && p.user_id != instance.submitter_user_id
        && approver_authority(p, step, instance.office_id).is_some()
    {
        out.extend(["approve", "reject"]);
        if step.position > 1 {
            out.push("return");
        }
    }
    let decided = steps
        .iter()
        .any(|s| s.round == instance.round && s.decided_by.is_some());
    if p.user_id == instance.submitter_user_id && !decided {
        out.push("withdraw");
    }
    out
}

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
            let system = Actor {
                user_id: None,
                acting_for: None,
                request_id: Some("escalation-job".to_owned()),
            };
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
