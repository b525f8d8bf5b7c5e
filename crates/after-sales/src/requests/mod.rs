//! Inquiries (咨詢), complaints (投訴) and suggestions (建議): what a customer
//! brings by phone, e-mail, on site or online. Each is recorded against the
//! customer, timed by the service level it takes when received, answered —
//! at once, or after it is routed and assigned — while the customer is told
//! of progress, resolved, and closed with the customer's satisfaction.
//!
//! The rules live here, apart from the handlers ([`api`]): the state machine
//! ([`actions`]), what each action changes ([`transition`]) and how a
//! deadline stands ([`deadline`]). Working time is counted on the office's
//! calendar ([`crate::working_time`]); time spent waiting for the customer
//! stops the resolution clock and is added back to the deadline when the
//! customer answers.

pub mod api;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::{ApiError, FieldError};
use serde::{Deserialize, Serialize};
use store::schema::service_requests as sr;
use utoipa::ToSchema;

use crate::common::allow;
use crate::working_time::WorkingCalendar;

/// Where a request stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Recorded; the customer has had no answer yet.
    Open,
    /// Answered and being worked on.
    InProgress,
    /// Waiting for the customer: the resolution clock is stopped.
    WaitingCustomer,
    /// Resolved, with the resolution the customer was told.
    Resolved,
    /// Closed, with the customer's satisfaction where they gave it.
    Closed,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Open => "open",
            RequestStatus::InProgress => "in_progress",
            RequestStatus::WaitingCustomer => "waiting_customer",
            RequestStatus::Resolved => "resolved",
            RequestStatus::Closed => "closed",
        }
    }
}

/// What a customer brings that is not a repair: the kinds of request.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ServiceRequestKind {
    /// A question (咨詢).
    Inquiry,
    /// A complaint (投訴).
    Complaint,
    /// A suggestion (建議).
    Suggestion,
}

impl ServiceRequestKind {
    pub fn as_str(self) -> &'static str {
        self.level().as_str()
    }

    /// The service levels that time it.
    pub fn level(self) -> crate::service_levels::RequestType {
        use crate::service_levels::RequestType;
        match self {
            ServiceRequestKind::Inquiry => RequestType::Inquiry,
            ServiceRequestKind::Complaint => RequestType::Complaint,
            ServiceRequestKind::Suggestion => RequestType::Suggestion,
        }
    }
}

/// What a request in `status` allows.
pub fn actions(status: &str) -> &'static [&'static str] {
    match status {
        "open" | "in_progress" => &["assign", "update", "wait_for_customer", "resolve"],
        "waiting_customer" => &["assign", "update", "resume", "resolve"],
        "resolved" => &["close", "reopen"],
        _ => &[],
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = sr)]
pub struct RequestRow {
    pub id: i64,
    pub office_id: i64,
    #[schema(example = "SR-GZ01-2026-000001")]
    pub number: String,
    #[schema(value_type = ServiceRequestKind)]
    pub kind: String,
    pub customer_id: i64,
    /// The customer's contact who raised it, when known.
    pub contact_id: Option<i64>,
    #[schema(value_type = crate::service_levels::Channel)]
    pub channel: String,
    #[schema(example = "產品質量")]
    pub category: String,
    #[schema(value_type = crate::service_levels::Priority)]
    pub priority: String,
    #[schema(example = "LED 筒燈批量閃爍")]
    pub subject: String,
    #[schema(example = "客戶反映上月交付的 200 套筒燈中約 30 套出現閃爍。")]
    pub content: String,
    #[schema(value_type = RequestStatus)]
    pub status: String,
    /// Who handles it.
    pub assignee_user_id: Option<i64>,
    /// The service-level rule it was timed by.
    pub service_level_id: i64,
    /// When the customer raised it: the clocks start here.
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub received_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub response_due_at: NaiveDateTime,
    /// Moved later by the working time spent waiting for the customer.
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub resolution_due_at: NaiveDateTime,
    /// When the department supervisor is brought in (the resolution deadline
    /// near); moved later by a wait for the customer, as the deadline is.
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub warn_at: NaiveDateTime,
    /// When HQ is brought in (the resolution deadline long past).
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub hq_at: NaiveDateTime,
    /// The first answer the customer was given.
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub responded_at: Option<NaiveDateTime>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<NaiveDateTime>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<NaiveDateTime>,
    /// Since when it waits for the customer.
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub paused_since: Option<NaiveDateTime>,
    /// Working minutes spent waiting for the customer so far.
    pub paused_minutes: i64,
    /// How far up the escalation chain it has gone (0: not escalated).
    pub escalation_level: i32,
    pub resolution: Option<String>,
    /// The customer's satisfaction, 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
    pub satisfaction: Option<i32>,
    pub satisfaction_comment: Option<String>,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// How a deadline stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineStatus {
    /// Not met yet, and not past.
    Due,
    /// Met in time.
    Met,
    /// Past without being met, or met late: it stays so.
    Breached,
    /// The clock is stopped while the request waits for the customer.
    Paused,
}

/// One deadline of a request, as it stands now.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct Deadline {
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub due_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub met_at: Option<NaiveDateTime>,
    pub status: DeadlineStatus,
    /// Working minutes left before `due_at` (from when the clock stopped,
    /// while paused); `null` once met or breached.
    pub minutes_left: Option<i64>,
}

/// A request with its two deadlines as they stand.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceRequest {
    #[serde(flatten)]
    pub request: RequestRow,
    /// The first answer to the customer.
    pub response: Deadline,
    /// The resolution.
    pub resolution_deadline: Deadline,
    /// What the request's status allows now.
    pub allowed_actions: Vec<String>,
}

/// How the deadline `due` stands at `now`: met (in time or late) once
/// `met`; while the clock is stopped (`paused_since`), paused — unless it was
/// already past when it stopped; else due or breached.
pub fn deadline(
    cal: &WorkingCalendar,
    due: NaiveDateTime,
    met: Option<NaiveDateTime>,
    paused_since: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Deadline {
    let utc = |t: NaiveDateTime| t.and_utc();
    let (status, minutes_left) = match (met, paused_since) {
        (Some(m), _) if m <= due => (DeadlineStatus::Met, None),
        (Some(_), _) => (DeadlineStatus::Breached, None),
        (None, Some(p)) if p > due => (DeadlineStatus::Breached, None),
        (None, Some(p)) => (DeadlineStatus::Paused, Some(cal.between(utc(p), utc(due)))),
        (None, None) if now > due => (DeadlineStatus::Breached, None),
        (None, None) => (DeadlineStatus::Due, Some(cal.between(utc(now), utc(due)))),
    };
    Deadline {
        due_at: due,
        met_at: met,
        status,
        minutes_left,
    }
}

/// A request as the API shows it, its deadlines computed at `now`.
pub fn view(cal: &WorkingCalendar, row: RequestRow, now: NaiveDateTime) -> ServiceRequest {
    let response = deadline(cal, row.response_due_at, row.responded_at, None, now);
    let paused = if row.status == RequestStatus::WaitingCustomer.as_str() {
        row.paused_since
    } else {
        None
    };
    let resolution_deadline = deadline(cal, row.resolution_due_at, row.resolved_at, paused, now);
    let allowed_actions = actions(&row.status)
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    ServiceRequest {
        request: row,
        response,
        resolution_deadline,
        allowed_actions,
    }
}

/// What an action changes on a request; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, AsChangeset, PartialEq, Eq)]
#[diesel(table_name = sr)]
pub struct Patch {
    pub status: Option<String>,
    pub assignee_user_id: Option<Option<i64>>,
    pub resolution_due_at: Option<NaiveDateTime>,
    pub warn_at: Option<NaiveDateTime>,
    pub hq_at: Option<NaiveDateTime>,
    pub responded_at: Option<Option<NaiveDateTime>>,
    pub resolved_at: Option<Option<NaiveDateTime>>,
    pub closed_at: Option<Option<NaiveDateTime>>,
    pub paused_since: Option<Option<NaiveDateTime>>,
    pub paused_minutes: Option<i64>,
    pub resolution: Option<Option<String>>,
    pub satisfaction: Option<Option<i32>>,
    pub satisfaction_comment: Option<Option<String>>,
}

/// A step in a request's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub kind: &'static str,
    pub customer_facing: bool,
    pub message: Option<String>,
    pub minutes: Option<i64>,
}

impl Step {
    fn new(kind: &'static str, customer_facing: bool, message: Option<String>) -> Step {
        Step {
            kind,
            customer_facing,
            message,
            minutes: None,
        }
    }
}

/// An action on a request.
#[derive(Debug, Clone)]
pub enum Action {
    Assign {
        assignee_user_id: i64,
        note: Option<String>,
    },
    Update {
        message: String,
        customer_facing: bool,
    },
    WaitForCustomer {
        message: String,
    },
    Resume {
        message: Option<String>,
    },
    Resolve {
        resolution: String,
    },
    Close {
        satisfaction: Option<i32>,
        comment: Option<String>,
    },
    Reopen {
        reason: String,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Assign { .. } => "assign",
            Action::Update { .. } => "update",
            Action::WaitForCustomer { .. } => "wait_for_customer",
            Action::Resume { .. } => "resume",
            Action::Resolve { .. } => "resolve",
            Action::Close { .. } => "close",
            Action::Reopen { .. } => "reopen",
        }
    }
}

/// An instant `t` of a request whose clock stopped at `since` and runs again
/// at `now`: the working time that was left before `t` at `since` counts again
/// from `now`. An instant already past when the clock stopped stays where it
/// was (a deadline then was breached).
pub fn shifted(
    cal: &WorkingCalendar,
    t: NaiveDateTime,
    since: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<NaiveDateTime, ApiError> {
    let utc = |t: NaiveDateTime| t.and_utc();
    if t <= since {
        return Ok(t);
    }
    let left = cal.between(utc(since), utc(t));
    cal.add(utc(now.max(since)), left)
        .map(|t| t.naive_utc())
        .map_err(|_| no_working_time())
}

pub fn no_working_time() -> ApiError {
    ApiError::conflict(
        "the office's working calendar has no working time ahead: HQ or the office director sets its week",
    )
}

/// What `action` does to `row` at `now`: the columns it changes and the steps
/// it records. 409 `invalid_transition` when the status does not allow it.
pub fn transition(
    cal: &WorkingCalendar,
    row: &RequestRow,
    action: &Action,
    now: NaiveDateTime,
) -> Result<(Patch, Vec<Step>), ApiError> {
    allow(action.name(), &row.status, actions(&row.status))?;
    let mut patch = Patch::default();
    let mut steps = Vec::new();
    let answered = |patch: &mut Patch| {
        if row.responded_at.is_none() {
            patch.responded_at = Some(Some(now));
        }
    };
    // The clock runs again (an answer from the customer, or the work ending
    // while it waited): the deadline moves by the working time it stood.
    let resume = |patch: &mut Patch, steps: &mut Vec<Step>, message: Option<String>| {
        if let Some(since) = row.paused_since {
            let stood = cal.between(since.and_utc(), now.and_utc());
            patch.paused_since = Some(None);
            patch.paused_minutes = Some(row.paused_minutes + stood);
            patch.resolution_due_at = Some(shifted(cal, row.resolution_due_at, since, now)?);
            patch.warn_at = Some(shifted(cal, row.warn_at, since, now)?);
            patch.hq_at = Some(shifted(cal, row.hq_at, since, now)?);
            steps.push(Step {
                minutes: Some(stood),
                ..Step::new("resumed", false, message)
            });
        }
        Ok::<_, ApiError>(())
    };
    match action {
        Action::Assign {
            assignee_user_id,
            note,
        } => {
            patch.assignee_user_id = Some(Some(*assignee_user_id));
            steps.push(Step::new("assigned", false, note.clone()));
        }
        Action::Update {
            message,
            customer_facing,
        } => {
            if *customer_facing {
                answered(&mut patch);
                if row.status == RequestStatus::Open.as_str() {
                    patch.status = Some(RequestStatus::InProgress.as_str().into());
                }
            }
            steps.push(Step::new("update", *customer_facing, Some(message.clone())));
        }
        Action::WaitForCustomer { message } => {
            // Asking the customer for what is missing answers them too.
            answered(&mut patch);
            patch.status = Some(RequestStatus::WaitingCustomer.as_str().into());
            patch.paused_since = Some(Some(now));
            steps.push(Step::new("waiting_customer", true, Some(message.clone())));
        }
        Action::Resume { message } => {
            resume(&mut patch, &mut steps, message.clone())?;
            patch.status = Some(RequestStatus::InProgress.as_str().into());
        }
        Action::Resolve { resolution } => {
            resume(&mut patch, &mut steps, None)?;
            answered(&mut patch);
            patch.status = Some(RequestStatus::Resolved.as_str().into());
            patch.resolved_at = Some(Some(now));
            patch.resolution = Some(Some(resolution.clone()));
            steps.push(Step::new("resolved", true, Some(resolution.clone())));
        }
        Action::Close {
            satisfaction,
            comment,
        } => {
            if row.resolution.is_none() {
                return Err(ApiError::validation(vec![FieldError::new(
                    "resolution",
                    "required",
                    "a request is closed with its resolution",
                )]));
            }
            patch.status = Some(RequestStatus::Closed.as_str().into());
            patch.closed_at = Some(Some(now));
            patch.satisfaction = Some(*satisfaction);
            patch.satisfaction_comment = Some(comment.clone());
            let said = satisfaction.map(|s| match comment {
                Some(c) => format!("{s}/5: {c}"),
                None => format!("{s}/5"),
            });
            steps.push(Step::new("closed", false, said));
        }
        Action::Reopen { reason } => {
            // The resolution did not hold: it is worked on again, against the
            // deadline it already had (past by now, most likely: a breach).
            patch.status = Some(RequestStatus::InProgress.as_str().into());
            patch.resolved_at = Some(None);
            steps.push(Step::new("reopened", false, Some(reason.clone())));
        }
    }
    Ok((patch, steps))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::working_time::fixtures::{at, cal};

    fn row(status: &str) -> RequestRow {
        RequestRow {
            id: 1,
            office_id: 1,
            number: "SR-GZ01-2026-000001".into(),
            kind: "complaint".into(),
            customer_id: 1,
            contact_id: None,
            channel: "phone".into(),
            category: "quality".into(),
            priority: "normal".into(),
            subject: "s".into(),
            content: "c".into(),
            status: status.into(),
            assignee_user_id: None,
            service_level_id: 1,
            // Received Tue 15 Sep 10:00; answer by 12:00, resolve by Thu 17 Sep 10:00.
            received_at: at(15, 10, 0),
            response_due_at: at(15, 12, 0),
            resolution_due_at: at(17, 10, 0),
            warn_at: at(16, 16, 0),
            hq_at: at(18, 10, 0),
            responded_at: None,
            resolved_at: None,
            closed_at: None,
            paused_since: None,
            paused_minutes: 0,
            escalation_level: 0,
            resolution: None,
            satisfaction: None,
            satisfaction_comment: None,
            created_by: 1,
            created_at: at(15, 10, 0),
            updated_at: at(15, 10, 0),
            version: 1,
        }
    }

    #[test]
    fn deadlines_stand_due_met_breached_or_paused() {
        let c = cal();
        let due = at(15, 12, 0);
        let d = deadline(&c, due, None, None, at(15, 11, 0));
        assert_eq!((d.status, d.minutes_left), (DeadlineStatus::Due, Some(60)));
        // Over lunch only the morning's remaining minutes count.
        let d = deadline(&c, at(15, 14, 0), None, None, at(15, 11, 30));
        assert_eq!(d.minutes_left, Some(60));
        assert_eq!(
            deadline(&c, due, Some(at(15, 11, 59)), None, at(16, 9, 0)).status,
            DeadlineStatus::Met
        );
        // Met late stays breached.
        assert_eq!(
            deadline(&c, due, Some(at(15, 12, 1)), None, at(16, 9, 0)).status,
            DeadlineStatus::Breached
        );
        assert_eq!(
            deadline(&c, due, None, None, at(15, 12, 1)).status,
            DeadlineStatus::Breached
        );
        // Paused an hour before it: an hour left, however long it waits.
        let d = deadline(&c, due, None, Some(at(15, 11, 0)), at(18, 17, 0));
        assert_eq!(
            (d.status, d.minutes_left),
            (DeadlineStatus::Paused, Some(60))
        );
        // Paused after it was past: breached.
        assert_eq!(
            deadline(&c, due, None, Some(at(15, 13, 0)), at(15, 14, 0)).status,
            DeadlineStatus::Breached
        );
    }

    #[test]
    fn waiting_for_the_customer_stops_the_clock_and_moves_the_deadline() {
        let c = cal();
        let mut r = row("in_progress");
        r.responded_at = Some(at(15, 10, 30));
        // Wed 16 Sep 11:00: 390 working minutes are left until Thu 10:00
        // (11–12 and 13:30–18 on Wednesday, 9–10 on Thursday).
        let (patch, steps) = transition(
            &c,
            &r,
            &Action::WaitForCustomer {
                message: "請提供批次號".into(),
            },
            at(16, 11, 0),
        )
        .unwrap();
        assert_eq!(patch.status.as_deref(), Some("waiting_customer"));
        assert_eq!(patch.paused_since, Some(Some(at(16, 11, 0))));
        assert_eq!(patch.responded_at, None, "answered already");
        assert!(steps[0].customer_facing);
        // The customer answers on Fri 18 Sep at 15:00. The clock stood from
        // Wed 11:00: 60 + 270 (Wed) + 450 (Thu) + 180 + 90 (Fri) = 1,050
        // minutes; the 390 that were left count from Fri 15:00: 180 on
        // Friday, then Monday 21 Sep 09:00–12:00 (180) and 13:30–14:00 (30).
        r.status = "waiting_customer".into();
        r.paused_since = Some(at(16, 11, 0));
        let (patch, steps) =
            transition(&c, &r, &Action::Resume { message: None }, at(18, 15, 0)).unwrap();
        assert_eq!(patch.paused_minutes, Some(1_050));
        assert_eq!(patch.resolution_due_at, Some(at(21, 14, 0)));
        // The escalation points move alike: 210 working minutes were left
        // before the supervisor's (Wed 16:00: 11–12, 13:30–16), counted from
        // Fri 15:00 — 180 on Friday, 30 on Monday; 840 before HQ's (Fri 18
        // Sep 10:00) — Fri 180, Mon 450, Tue 210.
        assert_eq!(patch.warn_at, Some(at(21, 9, 30)));
        assert_eq!(patch.hq_at, Some(at(22, 14, 0)));
        assert_eq!(patch.paused_since, Some(None));
        assert_eq!(patch.status.as_deref(), Some("in_progress"));
        assert_eq!(steps[0].minutes, Some(1_050));
        let left = c.between(at(16, 11, 0).and_utc(), at(17, 10, 0).and_utc());
        assert_eq!(left, 390);
    }

    #[test]
    fn resolving_while_waiting_ends_the_pause_first() {
        let c = cal();
        let mut r = row("waiting_customer");
        r.responded_at = Some(at(15, 10, 30));
        r.paused_since = Some(at(15, 16, 0));
        let (patch, steps) = transition(
            &c,
            &r,
            &Action::Resolve {
                resolution: "更換驅動電源".into(),
            },
            at(16, 10, 0),
        )
        .unwrap();
        // Stood 120 (Tue 16–18) + 60 (Wed 9–10).
        assert_eq!(patch.paused_minutes, Some(180));
        assert_eq!(patch.resolved_at, Some(Some(at(16, 10, 0))));
        assert_eq!(
            steps.iter().map(|s| s.kind).collect::<Vec<_>>(),
            vec!["resumed", "resolved"]
        );
    }

    #[test]
    fn the_first_customer_facing_word_is_the_response() {
        let c = cal();
        let r = row("open");
        let (internal, _) = transition(
            &c,
            &r,
            &Action::Update {
                message: "查庫存".into(),
                customer_facing: false,
            },
            at(15, 10, 5),
        )
        .unwrap();
        assert_eq!((internal.responded_at, internal.status), (None, None));
        let (told, _) = transition(
            &c,
            &r,
            &Action::Update {
                message: "已受理".into(),
                customer_facing: true,
            },
            at(15, 10, 5),
        )
        .unwrap();
        assert_eq!(told.responded_at, Some(Some(at(15, 10, 5))));
        assert_eq!(told.status.as_deref(), Some("in_progress"));
    }

    #[test]
    fn out_of_order_actions_are_refused_with_the_allowed_ones() {
        let c = cal();
        let err = transition(
            &c,
            &row("open"),
            &Action::Close {
                satisfaction: Some(5),
                comment: None,
            },
            at(15, 11, 0),
        )
        .unwrap_err();
        assert_eq!(err.code, kernel::ErrorCode::InvalidTransition);
        assert!(
            transition(
                &c,
                &row("closed"),
                &Action::Reopen { reason: "x".into() },
                at(15, 11, 0)
            )
            .is_err()
        );
        assert!(
            transition(
                &c,
                &row("open"),
                &Action::Resume { message: None },
                at(15, 11, 0)
            )
            .is_err()
        );
    }

    #[test]
    fn a_request_is_closed_with_its_resolution() {
        let c = cal();
        let mut r = row("resolved");
        r.resolved_at = Some(at(15, 11, 0));
        let err = transition(
            &c,
            &r,
            &Action::Close {
                satisfaction: None,
                comment: None,
            },
            at(15, 11, 0),
        )
        .unwrap_err();
        assert_eq!(err.errors[0].field, "resolution");
        r.resolution = Some("done".into());
        let (patch, _) = transition(
            &c,
            &r,
            &Action::Close {
                satisfaction: Some(4),
                comment: None,
            },
            at(15, 12, 0),
        )
        .unwrap();
        assert_eq!(patch.satisfaction, Some(Some(4)));
        assert_eq!(patch.status.as_deref(), Some("closed"));
    }
}
