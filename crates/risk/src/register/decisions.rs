//! Decisions on a risk that go through the approval engine: accepting a
//! medium risk, and closing a high one ([`super::response_needs`],
//! [`super::close_needs`]). The decision is its own record; the risk takes it
//! when it is approved, and its file says how it ended either way. One
//! decision is in the engine per risk at a time.
//!
//! The default chain: the office director for an office's risk; company
//! leadership for a region's or the company's (the engine's category is the
//! risk's level).

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::responses::ReadErrors;
use kernel::{Actor, ApiError, Page, PageRequest, Principal, ValidQuery, etag};
use org::roles::RISK_READ;
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{risk_decisions as rd, risks as r};
use store::{AnyConnection, Db, DbResultExt};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;
use workflow::policy::{Condition, PolicyDef, role};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

use super::{Risk, RiskStatus, record_event};
use crate::bands::RiskGrade;
use crate::common::now_db;
use crate::scope::Sight;

/// The engine's document type.
pub const DECISION_DOC: &str = "risk_decision";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_decisions).service(get_decision);
}

/// What is decided.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// Accept a medium risk.
    Accept,
    /// Close a high risk.
    Close,
}

impl DecisionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Accept => "accept",
            DecisionKind::Close => "close",
        }
    }
}

/// Where a decision stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DecisionStatus {
    InApproval,
    Approved,
    Rejected,
    Withdrawn,
}

impl DecisionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionStatus::InApproval => "in_approval",
            DecisionStatus::Approved => "approved",
            DecisionStatus::Rejected => "rejected",
            DecisionStatus::Withdrawn => "withdrawn",
        }
    }
}

/// A decision put to the engine.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = rd)]
pub struct RiskDecision {
    pub id: i64,
    pub risk_id: i64,
    pub office_id: Option<i64>,
    pub region_id: Option<i64>,
    #[schema(value_type = crate::scope::RiskLevel)]
    pub level: String,
    #[schema(value_type = DecisionKind)]
    pub kind: String,
    /// Why: the acceptance's plan, the closing's reason.
    pub note: String,
    #[schema(value_type = DecisionStatus)]
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

/// 409 when `risk` has a decision in the engine.
pub fn none_pending(conn: &mut AnyConnection, risk: &Risk) -> Result<(), ApiError> {
    let pending: Option<i64> = rd::table
        .filter(rd::risk_id.eq(risk.id))
        .filter(rd::status.eq("in_approval"))
        .select(rd::id)
        .first(conn)
        .optional()
        .api()?;
    match pending {
        None => Ok(()),
        Some(id) => Err(ApiError::conflict(
            "a decision on this risk is in approval: wait for it or withdraw it",
        )
        .with_extra("decision_id", id.into())),
    }
}

/// Puts `kind` on `risk` to the engine, with `note`; the risk's file says
/// so.
pub fn submit(
    conn: &mut AnyConnection,
    registry: &Registry,
    actor: &Actor,
    risk: &Risk,
    kind: DecisionKind,
    note: &str,
    now: NaiveDateTime,
) -> Result<RiskDecision, ApiError> {
    none_pending(conn, risk)?;
    let user = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a decision is asked for by a user"))?;
    let row: RiskDecision = diesel::insert_into(rd::table)
        .values((
            rd::risk_id.eq(risk.id),
            rd::office_id.eq(risk.office_id),
            rd::region_id.eq(risk.region_id),
            rd::level.eq(&risk.level),
            rd::kind.eq(kind.as_str()),
            rd::note.eq(note),
            rd::status.eq("in_approval"),
            rd::created_by.eq(user),
            rd::created_at.eq(now),
            rd::updated_at.eq(now),
            rd::version.eq(1_i64),
        ))
        .returning(rd::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("create", "risk_decision", row.id, row.office_id).after(&row),
    )?;
    let row = workflow::submit_and_keep!(
        conn,
        registry,
        DECISION_DOC,
        rd,
        RiskDecision,
        row.id,
        actor
    )?;
    record_event(
        conn,
        risk,
        "decision_submitted",
        Some(&risk.status),
        actor.user_id,
        Some(serde_json::json!({
            "decision_id": row.id,
            "kind": row.kind,
            "approval_id": row.approval_id,
            "note": note,
        })),
        now,
    )?;
    Ok(row)
}

/// Decisions on risks in the engine.
pub struct DecisionDocument;

impl ApprovalDocument for DecisionDocument {
    fn doc_type(&self) -> &'static str {
        DECISION_DOC
    }

    /// The office director for an office's risk; company leadership for a
    /// region's or the company's.
    fn default_policy(&self) -> PolicyDef {
        let when = |levels: &[&str]| {
            Some(Condition {
                categories: Some(levels.iter().map(|l| (*l).to_owned()).collect()),
                ..Condition::default()
            })
        };
        let mut director = role("office_director", "office_director");
        director.condition = when(&["office"]);
        let mut leadership = role("hq_executive", "company_leadership");
        leadership.condition = when(&["region", "company"]);
        PolicyDef {
            name: "Risk decisions (風險接受與關閉)".to_owned(),
            steps: vec![director, leadership],
            allow_same_approver: false,
            thresholds: Default::default(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let d: RiskDecision = rd::table
            .find(doc_id)
            .select(RiskDecision::as_select())
            .first(conn)
            .found("risk decision")?;
        let (title, grade): (String, Option<String>) = r::table
            .find(d.risk_id)
            .select((r::title, r::grade))
            .first(conn)
            .api()?;
        let what = match d.kind.as_str() {
            "accept" => "accept",
            _ => "close",
        };
        Ok(DocumentInfo {
            office_id: d.office_id,
            owner_user_id: d.created_by,
            owner_department_id: None,
            amount: None,
            currency: String::new(),
            category: Some(d.level.clone()),
            summary: format!(
                "{what} the {} risk \"{title}\": {}",
                grade.as_deref().unwrap_or("unassessed"),
                d.note
            ),
        })
    }

    /// The decision takes the engine's outcome; approved, the risk takes it
    /// (accepted: monitored; closed), unless the risk has since become high
    /// where acceptance is asked — then the file says it lapsed.
    fn set_status(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        status: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        let now = now_db();
        let d = store::update_audited!(
            conn,
            actor,
            status,
            "risk_decision",
            rd,
            RiskDecision,
            doc_id,
            (
                rd::status.eq(status),
                rd::rejection_reason.eq(reason),
                rd::updated_at.eq(now),
                rd::version.eq(rd::version + 1),
            )
        )?;
        let before: Risk = r::table
            .find(d.risk_id)
            .select(Risk::as_select())
            .first(conn)
            .api()?;
        let details = serde_json::json!({
            "decision_id": d.id, "kind": d.kind, "reason": reason,
        });
        if status != "approved" {
            let action = format!("decision_{status}");
            return record_event(
                conn,
                &before,
                &action,
                Some(&before.status),
                actor.user_id,
                Some(details),
                now,
            );
        }
        let after: Risk = match d.kind.as_str() {
            "accept" if before.grade_now() == Some(RiskGrade::High) => {
                return record_event(
                    conn,
                    &before,
                    "decision_lapsed",
                    Some(&before.status),
                    actor.user_id,
                    Some(details),
                    now,
                );
            }
            "accept" => store::update_versioned!(
                conn,
                r,
                Risk,
                before,
                now,
                (
                    r::response.eq(Some("accept")),
                    r::response_plan.eq(Some(&d.note)),
                    r::status.eq(RiskStatus::Monitoring.as_str()),
                )
            )?,
            _ => store::update_versioned!(
                conn,
                r,
                Risk,
                before,
                now,
                (
                    r::status.eq(RiskStatus::Closed.as_str()),
                    r::closed_reason.eq(Some(&d.note)),
                    r::closed_at.eq(Some(now)),
                    r::next_review_on.eq(None::<chrono::NaiveDate>),
                )
            )?,
        };
        record_event(
            conn,
            &after,
            "decision_approved",
            Some(&before.status),
            actor.user_id,
            Some(details),
            now,
        )?;
        audit::record(
            conn,
            actor,
            Change::new(d.kind.as_str(), "risk", after.id, after.office_id)
                .before(&before)
                .after(&after),
        )?;
        Ok(())
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListDecisions {
    pub risk_id: Option<i64>,
    pub status: Option<DecisionStatus>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Decisions on the risks the caller sees, newest first.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(ListDecisions),
    responses((status = 200, description = "A page of decisions", body = Page<RiskDecision>), ReadErrors)
)]
#[get("/risk/decisions")]
async fn list_decisions(
    db: web::Data<Db>,
    p: Principal,
    q: ValidQuery<ListDecisions>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_READ)?;
    let f = q.into_inner();
    let req = PageRequest::<i64>::parse(f.limit, f.cursor.as_deref())?;
    let page = db
        .run(move |conn| {
            let sight = Sight::of(conn, &p, RISK_READ)?;
            let mut query = crate::in_sight!(
                rd::table
                    .select(RiskDecision::as_select())
                    .into_boxed::<store::MultiBackend>(),
                sight,
                rd::office_id,
                rd::region_id
            );
            if let Some(v) = f.risk_id {
                query = query.filter(rd::risk_id.eq(v));
            }
            if let Some(v) = f.status {
                query = query.filter(rd::status.eq(v.as_str()));
            }
            let rows = store::list_scoped!(@page conn, query, rd::id, RiskDecision, req, desc)?;
            Ok(req.page(rows, |r| r.id, |r| r))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One decision.
#[utoipa::path(
    tag = "risk",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Decision id")),
    responses((status = 200, description = "The decision", body = RiskDecision, headers(("ETag" = String))), ReadErrors)
)]
#[get("/risk/decisions/{id}")]
async fn get_decision(
    db: web::Data<Db>,
    p: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    p.require(RISK_READ)?;
    let id = id.into_inner();
    let row = db
        .run(move |conn| {
            // A decision is seen where its risk is.
            let sight = Sight::of(conn, &p, RISK_READ)?;
            crate::load_in_sight!(conn, sight, rd, RiskDecision, id, "risk decision")
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(row))
}
