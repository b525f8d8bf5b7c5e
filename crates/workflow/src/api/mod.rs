//! HTTP endpoints of the engine: the caller's inbox, the approvals they may see,
//! overdue steps, one approval's chain and history, the decisions, and the
//! policies HQ configures. This file mounts them and holds the approval's
//! response shapes; the handlers live in `approvals` and `policies`.

mod approvals;
mod policies;

use chrono::NaiveDateTime;
use kernel::Principal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::engine::{self, Decision, Instance, Step};

pub use approvals::{
    ApproveRequest, InboxItem, ListApprovals, OverdueItem, RejectRequest, ReturnRequest,
};
use approvals::{
    approve_approval, get_approval, get_inbox, list_approvals, list_overdue_approvals,
    reject_approval, return_approval, withdraw_approval,
};
pub use policies::{CreatePolicy, ListPolicies, Policy};
use policies::{create_policy, get_policy, list_policies, update_policy};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_inbox)
        .service(list_overdue_approvals)
        .service(list_approvals)
        .service(list_policies)
        .service(create_policy)
        .service(get_policy)
        .service(update_policy)
        .service(get_approval)
        .service(approve_approval)
        .service(reject_approval)
        .service(return_approval)
        .service(withdraw_approval);
}

type Ts = NaiveDateTime;

#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    pub id: i64,
    pub round: i32,
    pub position: i32,
    pub name: String,
    /// `role` or `department_supervisor`.
    pub approver_kind: String,
    pub approver_role: Option<String>,
    /// `office`, `region` or `hq` for a role.
    pub approver_level: Option<String>,
    pub approver_user_id: Option<i64>,
    /// `waiting`, `pending`, `approved`, `rejected`, `returned`, `cancelled` or `withdrawn`.
    pub status: String,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub activated_at: Option<Ts>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Ts>,
    pub escalation_level: i32,
    pub decided_by: Option<i64>,
    pub acting_for_user_id: Option<i64>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<Ts>,
    pub comment: Option<String>,
}

impl From<Step> for StepView {
    fn from(s: Step) -> Self {
        StepView {
            id: s.id,
            round: s.round,
            position: s.position,
            name: s.name,
            approver_kind: s.approver_kind,
            approver_role: s.approver_role,
            approver_level: s.approver_level,
            approver_user_id: s.approver_user_id,
            status: s.status,
            activated_at: s.activated_at,
            due_at: s.due_at,
            escalation_level: s.escalation_level,
            decided_by: s.decided_by,
            acting_for_user_id: s.acting_for_user_id,
            decided_at: s.decided_at,
            comment: s.comment,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    pub id: i64,
    pub step_id: Option<i64>,
    pub round: i32,
    /// `submit`, `resubmit`, `approve`, `reject`, `return`, `withdraw` or `escalate`.
    pub action: String,
    pub actor_user_id: Option<i64>,
    pub acting_for_user_id: Option<i64>,
    pub comment: Option<String>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
}

impl From<Decision> for DecisionView {
    fn from(d: Decision) -> Self {
        DecisionView {
            id: d.id,
            step_id: d.step_id,
            round: d.round,
            action: d.action,
            actor_user_id: d.actor_user_id,
            acting_for_user_id: d.acting_for_user_id,
            comment: d.comment,
            created_at: d.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalSummary {
    pub id: i64,
    pub doc_type: String,
    pub doc_id: i64,
    pub office_id: Option<i64>,
    pub submitter_user_id: i64,
    pub amount: Option<i64>,
    pub currency: String,
    pub category: Option<String>,
    pub summary: String,
    /// `pending`, `approved`, `rejected` or `withdrawn`.
    pub status: String,
    /// Position of the step now waiting, while pending.
    pub current_step: Option<i32>,
    /// 1 for the first submission, +1 for each resubmission.
    pub round: i32,
    pub policy_id: i64,
    /// The policy version the chain was resolved from.
    pub policy_version: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Ts,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<Ts>,
    pub version: i64,
}

impl From<Instance> for ApprovalSummary {
    fn from(i: Instance) -> Self {
        ApprovalSummary {
            id: i.id,
            doc_type: i.doc_type,
            doc_id: i.doc_id,
            office_id: i.office_id,
            submitter_user_id: i.submitter_user_id,
            amount: i.amount,
            currency: i.currency,
            category: i.category,
            summary: i.summary,
            status: i.status,
            current_step: i.current_position,
            round: i.round,
            policy_id: i.policy_id,
            policy_version: i.policy_version,
            created_at: i.created_at,
            updated_at: i.updated_at,
            decided_at: i.decided_at,
            version: i.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Approval {
    #[serde(flatten)]
    pub approval: ApprovalSummary,
    /// Every step of every round, in order.
    pub steps: Vec<StepView>,
    /// Every decision: who, when, comment.
    pub history: Vec<DecisionView>,
    /// What the caller may do now.
    pub allowed_actions: Vec<String>,
}

fn view(p: &Principal, instance: Instance, steps: Vec<Step>, history: Vec<Decision>) -> Approval {
    let allowed = engine::allowed_actions(p, &instance, &steps)
        .into_iter()
        .map(str::to_owned)
        .collect();
    Approval {
        approval: instance.into(),
        steps: steps.into_iter().map(Into::into).collect(),
        history: history.into_iter().map(Into::into).collect(),
        allowed_actions: allowed,
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}
