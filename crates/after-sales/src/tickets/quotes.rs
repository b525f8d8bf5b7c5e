//! Quotations for a repair out of warranty (報價): parts and labour, put to the
//! customer, who accepts or declines them before any repair is done. A
//! quotation up to the figure `approval_above` of the `service_quote` policy
//! (HQ data, 2,000.00 by default; an office may have its own) goes to the
//! customer at once; one above it is approved through the engine first (the
//! office director by default). From when it goes to the customer until they
//! decide, the ticket's resolution clock stands still.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::{Actor, ApiError};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{service_ticket_quotes as q, service_tickets as st};
use store::{AnyConnection, DbResultExt};
use utoipa::ToSchema;
use validator::Validate;
use workflow::policy::{PolicyDef, role};
use workflow::{ApprovalDocument, DocumentInfo, Registry};

use super::api::record_step;
use super::{Step, TicketRow, TicketStatus, actions};
use crate::common::{allow, now_db};

/// The engine's document type of a quotation.
pub const QUOTE_DOC: &str = "service_quote";
/// The policy figure above which a quotation is approved before the
/// customer sees it, minor units.
pub const APPROVAL_ABOVE: &str = "approval_above";
const DEFAULT_APPROVAL_ABOVE: i64 = 200_000;

/// Where a quotation stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum QuoteStatus {
    /// Above the policy's figure: in the approval engine.
    InApproval,
    /// Put to the customer, who has not decided.
    Approved,
    /// Refused in approval.
    Rejected,
    /// Withdrawn from approval.
    Withdrawn,
    /// Accepted by the customer: the repair may go ahead.
    Accepted,
    /// Declined by the customer.
    Declined,
}

/// A quotation.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = q)]
pub struct Quote {
    pub id: i64,
    pub ticket_id: i64,
    pub office_id: i64,
    /// Minor units.
    #[schema(example = 38_000)]
    pub parts_amount: i64,
    #[schema(example = 20_000)]
    pub labour_amount: i64,
    /// Parts and labour.
    #[schema(example = 58_000)]
    pub total: i64,
    /// The order's currency.
    #[schema(example = "CNY")]
    pub currency: String,
    pub note: Option<String>,
    #[schema(value_type = QuoteStatus)]
    pub status: String,
    pub approval_id: Option<i64>,
    pub rejection_reason: Option<String>,
    /// When the customer accepted or declined it.
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<NaiveDateTime>,
    /// Who accepted it for the customer.
    pub customer_signatory: Option<String>,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// A quotation of parts and labour for a repair out of warranty.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRepair {
    /// Minor units.
    #[validate(range(min = 0, max = 1_000_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64, example = 38_000)]
    pub parts_amount: i64,
    #[validate(range(min = 0, max = 1_000_000_000_000_i64))]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64, example = 20_000)]
    pub labour_amount: i64,
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "更換驅動電源一隻,含上門工時"
    )]
    pub note: Option<String>,
}

/// The current quotation of a ticket, if any.
pub fn current(conn: &mut AnyConnection, ticket: &TicketRow) -> Result<Option<Quote>, ApiError> {
    match ticket.quote_id {
        None => Ok(None),
        Some(id) => q::table
            .find(id)
            .select(Quote::as_select())
            .first(conn)
            .optional()
            .api(),
    }
}

/// Records `step` on a ticket about its quotation `quote_id` (made current):
/// with `pause`, the quotation has gone to the customer and the clock stops.
fn quote_step(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket: &TicketRow,
    quote_id: i64,
    step: Step,
    pause: bool,
    now: NaiveDateTime,
) -> Result<TicketRow, ApiError> {
    let paused = if pause && ticket.resolved_at.is_none() {
        ticket.paused_since.or(Some(now))
    } else {
        ticket.paused_since
    };
    let after: TicketRow = store::update_versioned!(
        conn,
        st,
        TicketRow,
        ticket,
        now,
        (st::quote_id.eq(Some(quote_id)), st::paused_since.eq(paused),)
    )?;
    record_step(
        conn,
        &after,
        &step,
        Some(&ticket.status),
        &after.status,
        actor.user_id,
        now,
    )?;
    audit::record(
        conn,
        actor,
        Change::new(
            step.action,
            "service_ticket",
            after.id,
            Some(after.office_id),
        )
        .before(ticket)
        .after(&after),
    )?;
    Ok(after)
}

/// Quotes a repair of `ticket` (its state must allow `quote`): within the
/// policy's figure it goes to the customer at once and the clock stops;
/// above it, to the engine. Returns the ticket as it now stands.
pub fn propose(
    conn: &mut AnyConnection,
    registry: &Registry,
    actor: &Actor,
    ticket: TicketRow,
    currency: &str,
    body: &QuoteRepair,
    now: NaiveDateTime,
) -> Result<TicketRow, ApiError> {
    let standing = current(conn, &ticket)?;
    allow(
        "quote",
        &ticket.status,
        &actions(
            &ticket.status,
            ticket.in_warranty,
            standing.as_ref().map(|q| q.status.as_str()),
        ),
    )?;
    let user = actor
        .user_id
        .ok_or_else(|| ApiError::forbidden("a quotation is made by a user"))?;
    let total = body
        .parts_amount
        .checked_add(body.labour_amount)
        .ok_or_else(|| {
            ApiError::invalid_field("labour_amount", "range", "the total is too large")
        })?;
    let doc = registry.get(QUOTE_DOC)?.clone();
    let limit =
        workflow::engine::threshold(conn, doc.as_ref(), Some(ticket.office_id), APPROVAL_ABOVE)?;
    let needs_approval = total > limit;
    let quote: Quote = diesel::insert_into(q::table)
        .values((
            q::ticket_id.eq(ticket.id),
            q::office_id.eq(ticket.office_id),
            q::parts_amount.eq(body.parts_amount),
            q::labour_amount.eq(body.labour_amount),
            q::total.eq(total),
            q::currency.eq(currency),
            q::note.eq(body.note.as_deref()),
            q::status.eq(if needs_approval {
                "in_approval"
            } else {
                "approved"
            }),
            q::created_by.eq(user),
            q::created_at.eq(now),
            q::updated_at.eq(now),
            q::version.eq(1_i64),
        ))
        .returning(q::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new(
            "create",
            "service_ticket_quote",
            quote.id,
            Some(quote.office_id),
        )
        .after(&quote),
    )?;
    let quote = if needs_approval {
        workflow::submit_and_keep!(conn, registry, QUOTE_DOC, q, Quote, quote.id, actor)?
    } else {
        quote
    };
    let step = Step {
        action: "quote",
        note: body.note.clone(),
        details: Some(serde_json::json!({
            "quote_id": quote.id,
            "parts_amount": quote.parts_amount,
            "labour_amount": quote.labour_amount,
            "total": quote.total,
            "status": quote.status,
        })),
        minutes: None,
    };
    quote_step(conn, actor, &ticket, quote.id, step, !needs_approval, now)
}

/// The customer's decision on the ticket's current quotation, recorded on it.
pub fn decide(
    conn: &mut AnyConnection,
    actor: &Actor,
    quote_id: i64,
    accepted: bool,
    signatory: Option<&str>,
    now: NaiveDateTime,
) -> Result<Quote, ApiError> {
    store::update_audited!(
        conn,
        actor,
        if accepted { "accept" } else { "decline" },
        "service_ticket_quote",
        q,
        Quote,
        quote_id,
        (
            q::status.eq(if accepted { "accepted" } else { "declined" }),
            q::decided_at.eq(Some(now)),
            q::customer_signatory.eq(signatory),
            q::updated_at.eq(now),
            q::version.eq(q::version + 1),
        )
    )
}

/// Quotations in the approval engine.
pub struct QuoteDocument;

impl ApprovalDocument for QuoteDocument {
    fn doc_type(&self) -> &'static str {
        QUOTE_DOC
    }

    /// A repair quotation above the policy's figure: the office director.
    fn default_policy(&self) -> PolicyDef {
        PolicyDef {
            name: "Repair quotations (維修報價)".to_owned(),
            steps: vec![role("office_director", "office_director")],
            allow_same_approver: false,
            thresholds: [(APPROVAL_ABOVE.to_owned(), DEFAULT_APPROVAL_ABOVE)].into(),
        }
    }

    fn describe(&self, conn: &mut AnyConnection, doc_id: i64) -> Result<DocumentInfo, ApiError> {
        let quote: Quote = q::table
            .find(doc_id)
            .select(Quote::as_select())
            .first(conn)
            .found("quotation")?;
        let (number, product): (String, String) = st::table
            .find(quote.ticket_id)
            .select((st::number, st::product))
            .first(conn)
            .api()?;
        Ok(DocumentInfo {
            office_id: Some(quote.office_id),
            owner_user_id: quote.created_by,
            owner_department_id: None,
            amount: Some(quote.total),
            currency: quote.currency.clone(),
            category: None,
            summary: format!(
                "repair quotation for {number} ({product}): parts {} + labour {}",
                quote.parts_amount, quote.labour_amount
            ),
        })
    }

    /// The quotation takes the engine's outcome; approved, it goes to the
    /// customer and the ticket's clock stops; either way the ticket's history
    /// says so.
    fn set_status(
        &self,
        conn: &mut AnyConnection,
        doc_id: i64,
        status: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), ApiError> {
        let now = now_db();
        let quote = store::update_audited!(
            conn,
            actor,
            status,
            "service_ticket_quote",
            q,
            Quote,
            doc_id,
            (
                q::status.eq(status),
                q::rejection_reason.eq(reason),
                q::updated_at.eq(now),
                q::version.eq(q::version + 1),
            )
        )?;
        let ticket: TicketRow = st::table
            .find(quote.ticket_id)
            .select(TicketRow::as_select())
            .first(conn)
            .api()?;
        if ticket.quote_id != Some(quote.id) || ticket.status == TicketStatus::Cancelled.as_str() {
            return Ok(());
        }
        let step = Step {
            action: match status {
                "approved" => "quote_approved",
                "rejected" => "quote_rejected",
                _ => "quote_withdrawn",
            },
            note: reason.map(str::to_owned),
            details: Some(serde_json::json!({ "quote_id": quote.id })),
            minutes: None,
        };
        quote_step(
            conn,
            actor,
            &ticket,
            quote.id,
            step,
            status == "approved",
            now,
        )?;
        Ok(())
    }
}
