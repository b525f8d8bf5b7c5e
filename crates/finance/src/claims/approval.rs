//! Expense claims and pre-approvals in the approval engine: their default
//! review chains (and the claim policy's pre-approval threshold), how each
//! describes itself to approvers, and the status the engine writes back.

use diesel::prelude::*;
use kernel::{Actor, ApiError};
use store::schema::{expense_claims as ec, expense_pre_approvals as pa, users};
use store::{AnyConnection, DbResultExt};
use workflow::policy::{PolicyDef, StepDef, role, supervisor};
use workflow::{ApprovalDocument, DocumentInfo};

use super::pre_approvals::PreApproval;
use super::{
    CLAIM_DOC, ClaimRow, DEFAULT_PRE_APPROVAL_ABOVE, PRE_APPROVAL_ABOVE, PRE_APPROVAL_DOC,
};

fn set_claim_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    store::update_audited!(
        conn,
        actor,
        status,
        "expense_claim",
        ec,
        ClaimRow,
        id,
        (
            ec::status.eq(status),
            ec::rejection_reason.eq(reason),
            ec::version.eq(ec::version + 1),
        )
    )?;
    Ok(())
}

/// Expense claims in the approval engine.
pub struct ClaimDocument;

impl ApprovalDocument for ClaimDocument {
    fn doc_type(&self) -> &'static str {
        CLAIM_DOC
    }

    /// The seeds' chain: 運營專員初審 → 部門負責人審核 → 辦事處經理審批 → 財務部門終審.
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Expense claims (費用報銷)".to_owned(),
            steps: vec![
                StepDef {
                    time_limit_hours: Some(48),
                    ..role("operations_specialist", "preliminary_review")
                },
                StepDef {
                    time_limit_hours: Some(48),
                    ..supervisor("department_head")
                },
                StepDef {
                    time_limit_hours: Some(72),
                    ..role("office_director", "office_director")
                },
                role("hq_finance", "hq_finance_final_review"),
            ],
            allow_same_approver: false,
            thresholds: [(PRE_APPROVAL_ABOVE.to_owned(), DEFAULT_PRE_APPROVAL_ABOVE)].into(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let c: ClaimRow = ec::table
            .find(doc_id)
            .select(ClaimRow::as_select())
            .first(conn)
            .found("expense claim")?;
        let name: String = users::table
            .find(c.claimant_user_id)
            .select(users::display_name)
            .first(conn)
            .api()?;
        Ok(DocumentInfo {
            office_id: Some(c.office_id),
            owner_user_id: c.claimant_user_id,
            owner_department_id: c.department_id,
            amount: Some(c.total),
            currency: c.currency,
            category: Some(c.category),
            summary: format!(
                "{}{} {} — {}",
                if c.over_budget { "[OVER BUDGET] " } else { "" },
                c.number,
                c.title,
                name
            ),
        })
    }

    fn set_status(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        status: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        set_claim_status(conn, actor, doc_id, status, reason)
    }
}

fn set_pre_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    store::update_audited!(
        conn,
        actor,
        status,
        "expense_pre_approval",
        pa,
        PreApproval,
        id,
        (
            pa::status.eq(status),
            pa::rejection_reason.eq(reason),
            pa::version.eq(pa::version + 1),
        )
    )?;
    Ok(())
}

/// Pre-approvals in the approval engine.
pub struct PreApprovalDocument;

impl ApprovalDocument for PreApprovalDocument {
    fn doc_type(&self) -> &'static str {
        PRE_APPROVAL_DOC
    }

    /// Large spending is approved by the office director and then HQ
    /// (公司領導審批大額支出).
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Large expense pre-approval (大額費用事前審批)".to_owned(),
            steps: vec![
                role("office_director", "office_director"),
                role("hq_executive", "hq_approval"),
            ],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let r: PreApproval = pa::table
            .find(doc_id)
            .select(PreApproval::as_select())
            .first(conn)
            .found("pre-approval")?;
        Ok(DocumentInfo {
            office_id: Some(r.office_id),
            owner_user_id: r.requester_user_id,
            owner_department_id: None,
            amount: Some(r.estimated_amount),
            currency: r.currency,
            category: Some(r.category),
            summary: format!("{} {}", r.number, r.purpose),
        })
    }

    fn set_status(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        status: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        set_pre_status(conn, actor, doc_id, status, reason)
    }
}
