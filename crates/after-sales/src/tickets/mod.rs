//! Service tickets (售後服務): the repair chain of seed 003 三(三). A customer
//! reports a fault in a unit of one of their orders (客戶反饋); the office
//! judges its nature and severity (初步判斷) and handles it on site, or has the
//! unit returned to the company (返回公司維修); the repair records the fault
//! diagnosis, the work done and every part replaced, with the serials of the
//! new and the old part (維修記錄, 可追溯性); a full inspection passes it or
//! sends it back to repair (全面檢測); it is packed and shipped back with the
//! carrier, tracking number and expected arrival (產品發貨); installed and
//! commissioned on site under the technical handover (技術交底, 現場安裝調試);
//! the customer is trained (培訓) and surveyed (滿意度調查).
//!
//! The unit's warranty is computed when the ticket is opened, from the day
//! the order was installed and the product's warranty term
//! ([`crate::warranty`]). In warranty the repair is free; out of warranty a
//! quotation of parts and labour ([`quotes`]) must be accepted by the customer
//! before the repair, and one above the policy's figure is approved through
//! the engine first. While the customer decides, the resolution clock stops.
//!
//! The rules live here, apart from the handlers ([`api`]): the state machine
//! ([`actions`]) and what each action changes ([`transition`]).

pub mod actions;
pub mod api;
pub mod quotes;
pub mod records;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::ApiError;
use serde::{Deserialize, Serialize};
use store::schema::service_tickets as st;
use utoipa::ToSchema;
use validator::Validate;

use crate::common::allow;
use crate::requests::{Deadline, deadline, shifted};
use crate::working_time::WorkingCalendar;

/// Where a ticket stands in the repair chain.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Recorded from the customer's feedback; not judged yet.
    Received,
    /// Judged to be handled at the customer's site.
    OnSite,
    /// Judged to need repair at the company: the unit is on its way back.
    AwaitingUnit,
    /// The unit is at the company, being repaired.
    InRepair,
    /// Repaired; the full inspection is due.
    Inspection,
    /// Passed the inspection; to be packed and shipped back.
    ReadyToShip,
    /// On its way to the customer.
    Shipped,
    /// Installed and commissioned (or repaired on site): the fault is resolved.
    Commissioned,
    /// The customer was trained; the survey is due.
    Trained,
    /// Surveyed and closed.
    Closed,
    /// Cancelled with a reason before the repair.
    Cancelled,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Received => "received",
            TicketStatus::OnSite => "on_site",
            TicketStatus::AwaitingUnit => "awaiting_unit",
            TicketStatus::InRepair => "in_repair",
            TicketStatus::Inspection => "inspection",
            TicketStatus::ReadyToShip => "ready_to_ship",
            TicketStatus::Shipped => "shipped",
            TicketStatus::Commissioned => "commissioned",
            TicketStatus::Trained => "trained",
            TicketStatus::Closed => "closed",
            TicketStatus::Cancelled => "cancelled",
        }
    }
}

/// Where the fault is handled, decided at the first judgement.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Handling {
    /// At the customer's site (現場處理).
    OnSite,
    /// The unit comes back to the company for repair (返回公司維修).
    Return,
}

impl Handling {
    pub fn as_str(self) -> &'static str {
        match self {
            Handling::OnSite => "on_site",
            Handling::Return => "return",
        }
    }
}

/// How serious the fault is, judged by the office.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Minor,
    Major,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::Major => "major",
            Severity::Critical => "critical",
        }
    }
}

/// A ticket as stored.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = st)]
pub struct TicketRow {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "ST-GZ01-2026-000001")]
    pub number: String,
    pub customer_id: i64,
    /// The order the unit came from.
    pub order_id: i64,
    /// The product, as named on the order's lines.
    #[schema(example = "LED 筒燈 DL-200")]
    pub product: String,
    /// The unit's serial number.
    #[schema(example = "DL200-2025-004417")]
    pub serial_number: String,
    #[schema(value_type = crate::service_levels::Channel)]
    pub channel: String,
    #[schema(value_type = crate::service_levels::Priority)]
    pub priority: String,
    /// What the customer reported.
    #[schema(example = "筒燈通電後不亮,指示燈閃爍")]
    pub feedback: String,
    #[schema(value_type = TicketStatus)]
    pub status: String,
    #[schema(value_type = Option<Handling>)]
    pub handling: Option<String>,
    /// The nature of the fault, as judged.
    #[schema(example = "驅動電源故障")]
    pub nature: Option<String>,
    #[schema(value_type = Option<Severity>)]
    pub severity: Option<String>,
    pub assignee_user_id: Option<i64>,
    /// Under warranty when the ticket was opened: the repair is free.
    pub in_warranty: bool,
    /// The day the order was installed; `null` when it was not yet (the
    /// warranty has not started, and the unit counts as under warranty).
    pub installed_on: Option<NaiveDate>,
    /// The last day under warranty.
    pub warranty_until: Option<NaiveDate>,
    /// The current quotation (out of warranty).
    pub quote_id: Option<i64>,
    /// The service-level rule it was timed by.
    pub service_level_id: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub received_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub response_due_at: NaiveDateTime,
    /// Moved later by the working time the customer took over a quotation.
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub resolution_due_at: NaiveDateTime,
    /// The first judgement: the customer's first answer.
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub responded_at: Option<NaiveDateTime>,
    /// Repaired and commissioned (or cancelled).
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<NaiveDateTime>,
    /// Since when it waits for the customer's decision on a quotation.
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub paused_since: Option<NaiveDateTime>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<NaiveDateTime>,
    /// The customer's satisfaction from the survey, 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
    pub satisfaction: Option<i32>,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// A ticket with its deadlines as they stand, its current quotation and what
/// it allows now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceTicket {
    #[serde(flatten)]
    pub ticket: TicketRow,
    /// The first judgement.
    pub response: Deadline,
    /// Repaired and commissioned.
    pub resolution_deadline: Deadline,
    pub quote: Option<quotes::Quote>,
    /// What the ticket allows now.
    pub allowed_actions: Vec<String>,
}

/// What a ticket in `status` allows, given its warranty and the status of
/// its current quotation: out of warranty, a repair waits for an accepted
/// quotation.
pub fn actions(status: &str, in_warranty: bool, quote: Option<&str>) -> Vec<&'static str> {
    let mut out = Vec::new();
    let repairing = matches!(status, "on_site" | "in_repair");
    match status {
        "received" => out.extend(["judge", "assign"]),
        "awaiting_unit" => out.extend(["assign", "receive_unit"]),
        "on_site" | "in_repair" => out.push("assign"),
        "inspection" => out.extend(["assign", "inspect"]),
        "ready_to_ship" => out.extend(["assign", "ship"]),
        "shipped" => out.extend(["assign", "install"]),
        "commissioned" => out.extend(["assign", "train"]),
        "trained" => out.extend(["assign", "survey"]),
        _ => {}
    }
    if repairing {
        if in_warranty || quote == Some("accepted") {
            out.push("repair");
        } else {
            match quote {
                None | Some("rejected" | "declined" | "withdrawn") => out.push("quote"),
                Some("approved") => out.extend(["accept_quote", "decline_quote"]),
                _ => {}
            }
        }
    }
    // Cancelled before the repair; not while a quotation is in approval.
    if matches!(
        status,
        "received" | "awaiting_unit" | "on_site" | "in_repair"
    ) && quote != Some("in_approval")
    {
        out.push("cancel");
    }
    out
}

/// A part replaced in a repair.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartUsed {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "PSU-24V-60W")]
    pub part_code: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "驅動電源 24V 60W")]
    pub part_name: String,
    #[validate(range(min = 1, max = 10000))]
    #[schema(minimum = 1, maximum = 10000, example = 1)]
    pub quantity: i32,
    /// The serial of the part put in.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "PSU-2026-118873")]
    pub new_serial: Option<String>,
    /// The serial of the part taken out.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "PSU-2025-030201")]
    pub old_serial: Option<String>,
}

/// The technical handover (技術交底) the installation is done under: what
/// technical support told the service staff before they installed.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Handover {
    /// Who gave it (technical support): an active user of the office.
    pub given_by_user_id: i64,
    /// Installation requirements, commissioning steps and precautions.
    #[validate(length(min = 1, max = 20000))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "安裝高度 2.8 米;先接地線;調試時逐路通電,記錄電流。"
    )]
    pub content: String,
    /// The technical documents and drawings handed over.
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "安裝說明書 v3;接線圖 DL-200-W2"
    )]
    pub documents: Option<String>,
}

/// An action on a ticket (a quotation is put through [`quotes`]).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Action {
    Judge {
        nature: String,
        severity: Severity,
        handling: Handling,
        note: Option<String>,
    },
    Assign {
        assignee_user_id: i64,
        note: Option<String>,
    },
    ReceiveUnit {
        condition: String,
    },
    AcceptQuote {
        customer_signatory: String,
        note: Option<String>,
    },
    DeclineQuote {
        reason: String,
    },
    Repair {
        diagnosis: String,
        work_done: String,
        parts: Vec<PartUsed>,
    },
    Inspect {
        passed: bool,
        findings: String,
    },
    Ship {
        carrier: String,
        tracking_number: String,
        expected_arrival: NaiveDate,
    },
    Install {
        handover: Handover,
        commissioning: String,
    },
    Train {
        trainees: String,
        content: String,
        assessment: Option<String>,
    },
    Survey {
        satisfaction: i32,
        comment: Option<String>,
    },
    Cancel {
        reason: String,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Judge { .. } => "judge",
            Action::Assign { .. } => "assign",
            Action::ReceiveUnit { .. } => "receive_unit",
            Action::AcceptQuote { .. } => "accept_quote",
            Action::DeclineQuote { .. } => "decline_quote",
            Action::Repair { .. } => "repair",
            Action::Inspect { .. } => "inspect",
            Action::Ship { .. } => "ship",
            Action::Install { .. } => "install",
            Action::Train { .. } => "train",
            Action::Survey { .. } => "survey",
            Action::Cancel { .. } => "cancel",
        }
    }
}

/// What an action changes on a ticket; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, AsChangeset, PartialEq, Eq)]
#[diesel(table_name = st)]
pub struct Patch {
    pub status: Option<String>,
    pub handling: Option<Option<String>>,
    pub nature: Option<Option<String>>,
    pub severity: Option<Option<String>>,
    pub assignee_user_id: Option<Option<i64>>,
    pub resolution_due_at: Option<NaiveDateTime>,
    pub responded_at: Option<Option<NaiveDateTime>>,
    pub resolved_at: Option<Option<NaiveDateTime>>,
    pub paused_since: Option<Option<NaiveDateTime>>,
    pub closed_at: Option<Option<NaiveDateTime>>,
    pub satisfaction: Option<Option<i32>>,
}

/// The step an action adds to the ticket's history: what it recorded, and
/// for a wait that ended, the working minutes it stood.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub action: &'static str,
    pub note: Option<String>,
    pub details: Option<serde_json::Value>,
    pub minutes: Option<i64>,
}

/// The clock runs again after a wait for the customer that began at `since`:
/// the resolution deadline moves by the working time it stood, which is
/// returned.
pub fn resume(
    cal: &WorkingCalendar,
    row: &TicketRow,
    now: NaiveDateTime,
    patch: &mut Patch,
) -> Result<Option<i64>, ApiError> {
    let Some(since) = row.paused_since else {
        return Ok(None);
    };
    let stood = cal.between(since.and_utc(), now.and_utc());
    patch.paused_since = Some(None);
    patch.resolution_due_at = Some(shifted(cal, row.resolution_due_at, since, now)?);
    Ok(Some(stood))
}

/// What `action` does to `row` at `now`, its current quotation standing at
/// `quote`: the columns it changes and the step it records. 409
/// `invalid_transition` with the allowed actions when the ticket does not
/// allow it (a repair out of warranty before the quotation is accepted, too).
pub fn transition(
    cal: &WorkingCalendar,
    row: &TicketRow,
    quote: Option<&str>,
    action: &Action,
    now: NaiveDateTime,
) -> Result<(Patch, Step), ApiError> {
    allow(
        action.name(),
        &row.status,
        &actions(&row.status, row.in_warranty, quote),
    )?;
    let mut patch = Patch::default();
    let mut minutes = None;
    let set = |patch: &mut Patch, s: TicketStatus| patch.status = Some(s.as_str().to_owned());
    let mut note = None;
    match action {
        Action::Judge {
            nature,
            severity,
            handling,
            note: n,
        } => {
            patch.nature = Some(Some(nature.clone()));
            patch.severity = Some(Some(severity.as_str().to_owned()));
            patch.handling = Some(Some(handling.as_str().to_owned()));
            patch.responded_at = Some(Some(now));
            set(
                &mut patch,
                match handling {
                    Handling::OnSite => TicketStatus::OnSite,
                    Handling::Return => TicketStatus::AwaitingUnit,
                },
            );
            note = n.clone();
        }
        Action::Assign {
            assignee_user_id,
            note: n,
        } => {
            patch.assignee_user_id = Some(Some(*assignee_user_id));
            note = n.clone();
        }
        Action::ReceiveUnit { condition } => {
            set(&mut patch, TicketStatus::InRepair);
            note = Some(condition.clone());
        }
        Action::AcceptQuote { note: n, .. } => {
            minutes = resume(cal, row, now, &mut patch)?;
            note = n.clone();
        }
        Action::DeclineQuote { reason } => {
            minutes = resume(cal, row, now, &mut patch)?;
            note = Some(reason.clone());
        }
        Action::Repair { diagnosis, .. } => {
            if row.status == TicketStatus::OnSite.as_str() {
                // Repaired where it stands: commissioned there and then.
                set(&mut patch, TicketStatus::Commissioned);
                patch.resolved_at = Some(Some(now));
            } else {
                set(&mut patch, TicketStatus::Inspection);
            }
            note = Some(diagnosis.clone());
        }
        Action::Inspect { passed, findings } => {
            set(
                &mut patch,
                if *passed {
                    TicketStatus::ReadyToShip
                } else {
                    TicketStatus::InRepair
                },
            );
            note = Some(findings.clone());
        }
        Action::Ship { .. } => set(&mut patch, TicketStatus::Shipped),
        Action::Install { commissioning, .. } => {
            set(&mut patch, TicketStatus::Commissioned);
            patch.resolved_at = Some(Some(now));
            note = Some(commissioning.clone());
        }
        Action::Train { .. } => set(&mut patch, TicketStatus::Trained),
        Action::Survey {
            satisfaction,
            comment,
        } => {
            set(&mut patch, TicketStatus::Closed);
            patch.closed_at = Some(Some(now));
            patch.satisfaction = Some(Some(*satisfaction));
            note = comment.clone();
        }
        Action::Cancel { reason } => {
            minutes = resume(cal, row, now, &mut patch)?;
            set(&mut patch, TicketStatus::Cancelled);
            if row.responded_at.is_none() {
                patch.responded_at = Some(Some(now));
            }
            patch.resolved_at = Some(Some(now));
            patch.closed_at = Some(Some(now));
            note = Some(reason.clone());
        }
    }
    let details = serde_json::to_value(action).map_err(ApiError::internal)?;
    Ok((
        patch,
        Step {
            action: action.name(),
            note,
            details: Some(details),
            minutes,
        },
    ))
}

/// A ticket as the API shows it, its deadlines computed at `now`.
pub fn view(
    cal: &WorkingCalendar,
    row: TicketRow,
    quote: Option<quotes::Quote>,
    now: NaiveDateTime,
) -> ServiceTicket {
    let response = deadline(cal, row.response_due_at, row.responded_at, None, now);
    let resolution_deadline = deadline(
        cal,
        row.resolution_due_at,
        row.resolved_at,
        row.paused_since,
        now,
    );
    let allowed_actions = actions(
        &row.status,
        row.in_warranty,
        quote.as_ref().map(|q| q.status.as_str()),
    )
    .into_iter()
    .map(str::to_owned)
    .collect();
    ServiceTicket {
        ticket: row,
        response,
        resolution_deadline,
        quote,
        allowed_actions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::working_time::fixtures::{at, cal};

    fn ticket(status: &str, paused_since: Option<NaiveDateTime>, due: NaiveDateTime) -> TicketRow {
        TicketRow {
            id: 1,
            office_id: 1,
            number: "ST-GZ01-2026-000001".into(),
            customer_id: 1,
            order_id: 1,
            product: "p".into(),
            serial_number: "s".into(),
            channel: "phone".into(),
            priority: "normal".into(),
            feedback: "f".into(),
            status: status.into(),
            handling: Some("on_site".into()),
            nature: None,
            severity: None,
            assignee_user_id: None,
            in_warranty: false,
            installed_on: None,
            warranty_until: None,
            quote_id: Some(1),
            service_level_id: 1,
            received_at: at(1, 9, 0),
            response_due_at: at(1, 13, 0),
            resolution_due_at: due,
            responded_at: Some(at(1, 10, 0)),
            resolved_at: None,
            paused_since,
            closed_at: None,
            satisfaction: None,
            created_by: 1,
            created_at: at(1, 9, 0),
            updated_at: at(1, 9, 0),
            version: 3,
        }
    }

    /// Quoted Friday 4 September at 17:00 with the deadline on Monday at
    /// 10:00 (120 working minutes left); accepted Tuesday at 09:30 after 540
    /// working minutes (Friday 60, Monday 450, Tuesday 30): due Tuesday 11:30.
    #[test]
    fn the_customers_decision_moves_the_deadline_by_the_time_it_took() {
        let row = ticket("on_site", Some(at(4, 17, 0)), at(7, 10, 0));
        let accept = Action::AcceptQuote {
            customer_signatory: "王經理".into(),
            note: None,
        };
        let (patch, step) =
            transition(&cal(), &row, Some("approved"), &accept, at(8, 9, 30)).unwrap();
        assert_eq!(patch.resolution_due_at, Some(at(8, 11, 30)));
        assert_eq!(patch.paused_since, Some(None));
        assert_eq!(step.minutes, Some(540));
        assert_eq!(patch.status, None);
        // While it waits, the deadline shows paused with what was left.
        let shown = view(&cal(), row, None, at(8, 9, 0));
        assert_eq!(
            shown.resolution_deadline.status,
            crate::requests::DeadlineStatus::Paused
        );
        assert_eq!(shown.resolution_deadline.minutes_left, Some(120));
    }

    #[test]
    fn a_repair_on_site_is_commissioned_there_and_resolves_the_fault() {
        let row = ticket("on_site", None, at(7, 10, 0));
        let repair = Action::Repair {
            diagnosis: "d".into(),
            work_done: "w".into(),
            parts: vec![],
        };
        let (patch, step) =
            transition(&cal(), &row, Some("accepted"), &repair, at(2, 9, 0)).unwrap();
        assert_eq!(patch.status.as_deref(), Some("commissioned"));
        assert_eq!(patch.resolved_at, Some(Some(at(2, 9, 0))));
        assert_eq!(step.details.unwrap()["work_done"], "w");
        let err = transition(&cal(), &row, Some("approved"), &repair, at(2, 9, 0)).unwrap_err();
        assert_eq!(err.code, kernel::ErrorCode::InvalidTransition);
    }

    #[test]
    fn a_repair_out_of_warranty_waits_for_an_accepted_quotation() {
        assert_eq!(
            actions("in_repair", true, None),
            vec!["assign", "repair", "cancel"]
        );
        assert_eq!(
            actions("in_repair", false, None),
            vec!["assign", "quote", "cancel"]
        );
        assert_eq!(
            actions("in_repair", false, Some("in_approval")),
            vec!["assign"]
        );
        assert_eq!(
            actions("on_site", false, Some("approved")),
            vec!["assign", "accept_quote", "decline_quote", "cancel"]
        );
        assert_eq!(
            actions("on_site", false, Some("declined")),
            vec!["assign", "quote", "cancel"]
        );
        assert_eq!(
            actions("in_repair", false, Some("accepted")),
            vec!["assign", "repair", "cancel"]
        );
    }

    #[test]
    fn the_chain_after_the_repair_is_one_step_at_a_time() {
        assert_eq!(
            actions("received", false, None),
            vec!["judge", "assign", "cancel"]
        );
        assert_eq!(actions("inspection", true, None), vec!["assign", "inspect"]);
        assert_eq!(actions("ready_to_ship", true, None), vec!["assign", "ship"]);
        assert_eq!(actions("shipped", true, None), vec!["assign", "install"]);
        assert_eq!(actions("commissioned", true, None), vec!["assign", "train"]);
        assert_eq!(actions("trained", true, None), vec!["assign", "survey"]);
        assert!(actions("closed", true, None).is_empty());
        assert!(actions("cancelled", true, None).is_empty());
    }
}
