//! The approval engine's side of budgets: the budget document type with its
//! default HQ policy and description, and the status changes the engine makes,
//! keeping one active budget per office and year.

use diesel::prelude::*;
use kernel::{Actor, ApiError};
use store::schema::{budget_lines as bl, budgets as bg};
use store::{AnyConnection, DbResultExt};
use workflow::policy::{PolicyDef, role};
use workflow::{ApprovalDocument, DocumentInfo};

use super::{BUDGET_DOC, BudgetRow};

fn set_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    // An office has one active budget a year.
    let one_active = |conn: &mut AnyConnection, before: &BudgetRow| {
        if status != "active" {
            return Ok(());
        }
        let other: i64 = bg::table
            .filter(
                bg::office_id
                    .eq(before.office_id)
                    .and(bg::year.eq(before.year))
                    .and(bg::status.eq("active")),
            )
            .count()
            .get_result(conn)
            .api()?;
        if other > 0 {
            return Err(ApiError::conflict(
                "the office already has an active budget for this year",
            ));
        }
        Ok(())
    };
    store::update_audited!(
        conn,
        actor,
        status,
        "budget",
        bg,
        BudgetRow,
        id,
        (
            bg::status.eq(status),
            bg::rejection_reason.eq(reason),
            bg::version.eq(bg::version + 1),
        ),
        guard = one_active
    )?;
    Ok(())
}

/// Budgets in the approval engine.
pub struct BudgetDocument;

impl ApprovalDocument for BudgetDocument {
    fn doc_type(&self) -> &'static str {
        BUDGET_DOC
    }

    /// 預算經公司審批: HQ finance reviews, company leadership approves.
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Office budgets (預算)".to_owned(),
            steps: vec![
                role("hq_finance", "finance_review"),
                role("hq_executive", "leadership_approval"),
            ],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let b: BudgetRow = bg::table
            .find(doc_id)
            .select(BudgetRow::as_select())
            .first(conn)
            .found("budget")?;
        let total: Option<i64> = bl::table
            .filter(bl::budget_id.eq(doc_id).and(bl::kind.eq("expense")))
            .select(bl::amount)
            .load::<i64>(conn)
            .api()?
            .into_iter()
            .reduce(|a, b| a.saturating_add(b));
        Ok(DocumentInfo {
            office_id: Some(b.office_id),
            owner_user_id: b.created_by.unwrap_or_default(),
            owner_department_id: None,
            amount: total,
            currency: "CNY".to_owned(),
            category: None,
            summary: format!("{} budget {}", b.number, b.year),
        })
    }

    fn on_approved(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        set_status(conn, actor, doc_id, "active", None)
    }

    fn set_status(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        status: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        set_status(conn, actor, doc_id, status, reason)
    }
}
