//! Credit evaluations in the approval engine (document type
//! `credit_evaluation`): the office director decides; above the policy's
//! figure for the new limit (1,000,000.00 by default, a step condition HQ
//! changes through the policy API), HQ finance after them. Approved, the
//! limit, payment terms and rating go on the customer through sales, and the
//! change is kept in the customer's limit history.

use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::{Actor, ApiError};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{credit_evaluations as ce, credit_limit_changes as clc};
use store::{AnyConnection, DbResultExt};
use utoipa::ToSchema;
use workflow::policy::{Condition, PolicyDef, role};
use workflow::{ApprovalDocument, DocumentInfo};

use crate::common::now_db;
use crate::facts::SalesRiskFacts;

/// The engine's document type.
pub const EVALUATION_DOC: &str = "credit_evaluation";
/// Above this new limit (minor units) HQ finance decides after the director.
const DEFAULT_HQ_ABOVE: i64 = 100_000_000;

/// Where an evaluation stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationStatus {
    InApproval,
    Approved,
    Rejected,
    Withdrawn,
}

impl EvaluationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EvaluationStatus::InApproval => "in_approval",
            EvaluationStatus::Approved => "approved",
            EvaluationStatus::Rejected => "rejected",
            EvaluationStatus::Withdrawn => "withdrawn",
        }
    }
}

/// A credit evaluation.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ce)]
pub struct CreditEvaluation {
    pub id: i64,
    pub office_id: i64,
    pub customer_id: i64,
    /// The rating bands it was scored by.
    pub bands_id: i64,
    /// What the scorecard read of the customer.
    #[schema(value_type = Object)]
    #[diesel(deserialize_as = store::JsonText)]
    pub facts: Option<serde_json::Value>,
    /// The points of each factor, and the reviewer's marks.
    #[schema(value_type = Object)]
    #[diesel(deserialize_as = store::JsonText)]
    pub scorecard: Option<serde_json::Value>,
    #[schema(minimum = 0, maximum = 100, example = 69)]
    pub score: i32,
    #[schema(example = "B")]
    pub rating: String,
    /// What the rating earns: the share of the last 12 months' orders.
    pub proposed_limit: i64,
    pub proposed_terms_days: i32,
    /// The limit asked for (the proposal unless the reviewer said otherwise).
    pub credit_limit: i64,
    pub payment_terms_days: i32,
    /// The customer's limit when evaluated.
    pub limit_before: i64,
    pub note: Option<String>,
    #[schema(value_type = EvaluationStatus)]
    pub status: String,
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// One change of a customer's credit terms.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = clc)]
pub struct CreditLimitChange {
    pub id: i64,
    pub office_id: i64,
    pub customer_id: i64,
    pub evaluation_id: i64,
    pub limit_before: i64,
    pub limit_after: i64,
    pub terms_before: i32,
    pub terms_after: i32,
    pub rating_before: Option<String>,
    pub rating_after: String,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub effective_at: NaiveDateTime,
}

/// Credit evaluations in the engine; approved ones go on the customer
/// through sales.
pub struct EvaluationDocument {
    pub sales: Arc<dyn SalesRiskFacts>,
}

impl ApprovalDocument for EvaluationDocument {
    fn doc_type(&self) -> &'static str {
        EVALUATION_DOC
    }

    /// The office director; HQ finance too above 1,000,000.00 of new limit.
    fn default_policy(&self) -> PolicyDef {
        let mut finance = role("hq_finance", "hq_finance");
        finance.condition = Some(Condition {
            amount_above: Some(DEFAULT_HQ_ABOVE),
            ..Condition::default()
        });
        PolicyDef {
            name: "Customer credit terms (客戶信用額度)".to_owned(),
            steps: vec![role("office_director", "office_director"), finance],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let e: CreditEvaluation = ce::table
            .find(doc_id)
            .select(CreditEvaluation::as_select())
            .first(conn)
            .found("credit evaluation")?;
        let name: String = store::schema::customers::table
            .find(e.customer_id)
            .select(store::schema::customers::name)
            .first(conn)
            .api()?;
        Ok(DocumentInfo {
            office_id: Some(e.office_id),
            owner_user_id: e.created_by,
            owner_department_id: None,
            amount: Some(e.credit_limit),
            currency: "CNY".to_owned(),
            category: None,
            summary: format!(
                "credit terms for {name}: rated {} ({} points), limit {} → {}, terms {} days",
                e.rating, e.score, e.limit_before, e.credit_limit, e.payment_terms_days
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
        let now = now_db();
        let e = store::update_audited!(
            conn,
            actor,
            status,
            "credit_evaluation",
            ce,
            CreditEvaluation,
            doc_id,
            (
                ce::status.eq(status),
                ce::rejection_reason.eq(reason),
                ce::updated_at.eq(now),
                ce::version.eq(ce::version + 1),
            )
        )?;
        if status != "approved" {
            return Ok(());
        }
        let (limit_before, terms_before, rating_before) = self.sales.set_credit_terms(
            conn,
            actor,
            e.customer_id,
            e.credit_limit,
            e.payment_terms_days,
            &e.rating,
        )?;
        let change: CreditLimitChange = diesel::insert_into(clc::table)
            .values((
                clc::office_id.eq(e.office_id),
                clc::customer_id.eq(e.customer_id),
                clc::evaluation_id.eq(e.id),
                clc::limit_before.eq(limit_before),
                clc::limit_after.eq(e.credit_limit),
                clc::terms_before.eq(terms_before),
                clc::terms_after.eq(e.payment_terms_days),
                clc::rating_before.eq(rating_before),
                clc::rating_after.eq(&e.rating),
                clc::effective_at.eq(now),
            ))
            .returning(clc::all_columns)
            .get_result(conn)
            .api()?;
        audit::record(
            conn,
            actor,
            Change::new(
                "create",
                "credit_limit_change",
                change.id,
                Some(change.office_id),
            )
            .after(&change),
        )?;
        Ok(())
    }
}
