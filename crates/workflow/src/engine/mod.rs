//! The engine: submitting a document resolves its policy into a chain of steps
//! (kept with the document, so later policy changes never touch it), and each
//! decision moves the chain on — approve, reject (back to the owner, with a
//! reason), return to an earlier step, or the submitter's withdrawal before anyone
//! decided. The domain that owns the document is called inside the same
//! transaction when the chain completes or is rejected, so a document's status and
//! its approval never disagree. This file holds the records, the trait a domain
//! implements, the registry, and who may see and decide an approval; policies
//! live in `policies`, submission in `routing`, decisions in `decide`, deadlines
//! in `escalation`.

mod decide;
mod escalation;
mod policies;
mod routing;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::{Actor, ApiError, Authority, Principal, Reach};
use org::roles::{self, RoleLevel};
use serde::Serialize;
use store::schema::{approval_decisions as ad, approval_instances as ai, approval_steps as st};
use store::{AnyConnection, DbResultExt};

use crate::policy::PolicyDef;

pub use decide::{Decide, decide, withdraw};
pub use escalation::escalate_overdue;
pub use policies::{
    ensure_default_policies, insert_policy, policy_for, threshold, thresholds_with_defaults,
};
pub use routing::submit;

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

/// An approval the caller may see — one they submitted, one of an office their
/// `approval:read` reaches, or one whose steps they decided or may decide — with
/// the reach in the query; any other answers 404 like a missing one.
pub fn load_visible(
    conn: &mut AnyConnection,
    p: &Principal,
    id: i64,
) -> Result<Instance, ApiError> {
    store::load_scoped!(
        conn,
        reach = p.reach(org::roles::APPROVAL_READ),
        from = (
            ai::table.select(Instance::as_select()),
            ai::office_id,
            ai::id
        ),
        also = ai::submitter_user_id
            .eq(p.user_id)
            .or(ai::id.eq_any(crate::visibility::approver_instance_ids(conn, p, id)?)),
        Instance,
        id,
        "approval"
    )
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
