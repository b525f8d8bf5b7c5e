//! Contracts and amendments in the approval engine: the review chain they
//! share (department, office director, HQ above the large-contract threshold),
//! how each document describes itself, the status the engine writes back, and
//! applying an approved amendment to its contract.

use diesel::prelude::*;
use kernel::{Actor, ApiError};
use store::audit::{self, Change};
use store::schema::{contract_amendments as am, contract_instalments as ci, contracts as ct};
use store::{AnyConnection, DbResultExt};
use workflow::policy::{Condition, PolicyDef, StepDef, role, supervisor};
use workflow::{ApprovalDocument, DocumentInfo};

use super::amendments::Amendment;
use super::schedule::{InstalmentInput, check_against_paid, instalments_of};
use super::{
    AMENDMENT_DOC, BINDING, CONTRACT_DOC, Contract, ContractChange, LARGE_CONTRACT, LINES,
    load_view, require_status, set_fields,
};
use crate::common::{PricedLineInput, insert_lines, now_db};

/// The review chain of contracts and their amendments: 部門審核 → 辦事處主任審批,
/// and company leadership for large contracts.
fn contract_policy(name: &str) -> PolicyDef {
    PolicyDef {
        name: name.to_owned(),
        steps: vec![
            StepDef {
                time_limit_hours: Some(48),
                ..supervisor("department_review")
            },
            StepDef {
                time_limit_hours: Some(72),
                ..role("office_director", "office_director")
            },
            StepDef {
                condition: Some(Condition {
                    amount_above: Some(LARGE_CONTRACT),
                    ..Default::default()
                }),
                ..role("hq_executive", "hq_review")
            },
        ],
        allow_same_approver: false,
        thresholds: Default::default(),
    }
}

/// Contracts in the approval engine.
pub struct ContractDocument;

impl ApprovalDocument for ContractDocument {
    fn doc_type(&self) -> &'static str {
        CONTRACT_DOC
    }

    fn default_policy(&self) -> PolicyDef {
        contract_policy("Sales contracts (合同評審)")
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let c: Contract = ct::table
            .find(doc_id)
            .select(Contract::as_select())
            .first(conn)
            .found("contract")?;
        Ok(DocumentInfo {
            office_id: Some(c.office_id),
            owner_user_id: c.created_by,
            owner_department_id: crate::common::department_of(conn, c.created_by, c.office_id)?,
            amount: Some(c.total),
            currency: c.currency.clone(),
            category: None,
            summary: format!("{} {}", c.number, c.title),
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
        let before: Contract = ct::table
            .find(doc_id)
            .select(Contract::as_select())
            .first(conn)
            .found("contract")?;
        set_fields(
            conn,
            actor,
            &before,
            status,
            ContractChange {
                status,
                rejection_reason: reason,
                ..Default::default()
            },
        )
        .map(drop)
    }
}

fn load_amendment(conn: &mut AnyConnection, id: i64) -> Result<Amendment, ApiError> {
    am::table
        .find(id)
        .select(Amendment::as_select())
        .first(conn)
        .found("amendment")
}

fn set_amendment_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<Amendment, ApiError> {
    store::update_audited!(
        conn,
        actor,
        status,
        "contract_amendment",
        am,
        Amendment,
        id,
        (
            am::status.eq(status),
            am::rejection_reason.eq(reason),
            am::updated_at.eq(now_db()),
            am::version.eq(am::version + 1),
        )
    )
}

/// Amendments in the approval engine; approval applies them to the contract.
pub struct AmendmentDocument;

impl ApprovalDocument for AmendmentDocument {
    fn doc_type(&self) -> &'static str {
        AMENDMENT_DOC
    }

    fn default_policy(&self) -> PolicyDef {
        contract_policy("Contract amendments (合同變更)")
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let a = load_amendment(conn, doc_id)?;
        let (number, currency): (String, String) = ct::table
            .find(a.contract_id)
            .select((ct::number, ct::currency))
            .first(conn)
            .api()?;
        Ok(DocumentInfo {
            office_id: Some(a.office_id),
            owner_user_id: a.created_by,
            owner_department_id: crate::common::department_of(conn, a.created_by, a.office_id)?,
            amount: Some(a.new_total),
            currency,
            category: None,
            summary: format!("{} amends {number}: {}", a.number, a.reason),
        })
    }

    /// Applies the new total, terms and schedule in the deciding transaction.
    fn on_approved(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        let a = set_amendment_status(conn, actor, doc_id, "approved", None)?;
        let before: Contract = ct::table
            .find(a.contract_id)
            .select(Contract::as_select())
            .first(conn)
            .found("contract")?;
        require_status(&before, "amend", &BINDING)?;
        let schedule: Vec<InstalmentInput> =
            serde_json::from_str(&a.new_schedule).map_err(|e| ApiError::internal(e.to_string()))?;
        let current = instalments_of(conn, before.id)?;
        check_against_paid(&current, &schedule)?;
        let before_view = load_view(conn, before.clone())?;
        for (i, inst) in schedule.iter().enumerate() {
            let seq = i32::try_from(i + 1).unwrap_or(i32::MAX);
            let updated = diesel::update(
                ci::table.filter(ci::contract_id.eq(before.id).and(ci::seq.eq(seq))),
            )
            .set((ci::due_on.eq(inst.due_on), ci::amount.eq(inst.amount)))
            .execute(conn)
            .api()?;
            if updated == 0 {
                diesel::insert_into(ci::table)
                    .values((
                        ci::contract_id.eq(before.id),
                        ci::office_id.eq(before.office_id),
                        ci::seq.eq(seq),
                        ci::due_on.eq(inst.due_on),
                        ci::amount.eq(inst.amount),
                        ci::paid.eq(0_i64),
                    ))
                    .execute(conn)
                    .api()?;
            }
        }
        let keep = i32::try_from(schedule.len()).unwrap_or(i32::MAX);
        diesel::delete(
            ci::table.filter(
                ci::contract_id
                    .eq(before.id)
                    .and(ci::seq.gt(keep))
                    .and(ci::paid.eq(0_i64)),
            ),
        )
        .execute(conn)
        .api()?;
        if let Some(lines) = &a.new_lines {
            let lines: Vec<PricedLineInput> =
                serde_json::from_str(lines).map_err(|e| ApiError::internal(e.to_string()))?;
            diesel::delete(
                store::schema::sales_lines::table.filter(
                    store::schema::sales_lines::doc_type
                        .eq(LINES)
                        .and(store::schema::sales_lines::doc_id.eq(before.id)),
                ),
            )
            .execute(conn)
            .api()?;
            insert_lines(conn, LINES, before.id, before.office_id, &lines)?;
        }
        let after: Contract = diesel::update(ct::table.find(before.id))
            .set((
                ct::total.eq(a.new_total),
                ct::terms.eq(a.new_terms.as_deref().unwrap_or(&before.terms)),
                ct::updated_at.eq(now_db()),
                ct::version.eq(ct::version + 1),
            ))
            .returning(ct::all_columns)
            .get_result(conn)
            .api()?;
        let after_view = load_view(conn, after)?;
        audit::record(
            conn,
            actor,
            Change::new("amend", "contract", before.id, Some(before.office_id))
                .before(&before_view)
                .after(&after_view),
        )?;
        Ok(())
    }

    fn set_status(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        status: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        set_amendment_status(conn, actor, doc_id, status, reason).map(drop)
    }
}
