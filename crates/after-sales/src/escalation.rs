//! Escalation (升級): a request whose deadline is near or past moves up a chain
//! — its handler's department supervisor, then the office director, then HQ's
//! customer service — and each one brought in is told and the step recorded.
//!
//! The points are kept on each request, counted in working time when it is
//! received and moved with every wait for the customer: level 1 when the
//! response deadline passes unanswered or `warn_minutes` of the resolution time
//! are left (`warn_at`), level 2 when the resolution deadline passes, level 3
//! when it is `hq_after_minutes` past (`hq_at`). A request waiting for the
//! customer (its clock stopped), resolved or closed is not escalated.
//!
//! The server runs [`escalate_due`] every minute in every process. Each request
//! is claimed with a compare-and-set on its level, so when replicas race, one
//! of them escalates it and the others find it done: each level is reached
//! once, with one history entry, one audit event and one notice per person.
//!
//! Service tickets go up the same chain ([`escalate_tickets`]): their points
//! are worked out from the deadlines and the service level's figures on the
//! office's calendar, and their level is kept beside them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::{Actor, ApiError};
use store::audit::{self, Change};
use store::notify::{self, Notice};
use store::schema::{departments, service_requests as sr};
use store::{AnyConnection, DbResultExt};

use crate::requests::api::record_steps;
use crate::requests::{RequestRow, RequestStatus, Step};
use crate::tickets::TicketRow;
use crate::working_time::WorkingCalendar;

/// Who each level brings in, by role.
pub const CHAIN: [&str; 3] = ["department_supervisor", "office_director", "hq_service"];

/// How many requests one run looks at; the next run takes the rest.
const BATCH: i64 = 200;

/// The level a request should have reached at `now` (0: none).
pub fn target_level(row: &RequestRow, now: NaiveDateTime) -> i32 {
    if row.hq_at <= now {
        3
    } else if row.resolution_due_at <= now {
        2
    } else if row.warn_at <= now || (row.responded_at.is_none() && row.response_due_at <= now) {
        1
    } else {
        0
    }
}

/// The role level `level` (1 to 3) brings in.
fn role_at(level: i32) -> &'static str {
    CHAIN[usize::try_from(level - 1).unwrap_or(0).min(2)]
}

fn reason(level: i32) -> &'static str {
    match level {
        1 => "its deadline is near, or its first answer is late",
        2 => "past its resolution deadline",
        _ => "long past its resolution deadline",
    }
}

/// The people level `level` brings in at `office_id` for what `handler`
/// handles: for 1, the supervisor of the handler's department (the department holders of the role where it has
/// none); for 2, the office's directors; for 3, HQ's customer service.
fn recipients(
    conn: &mut AnyConnection,
    office_id: i64,
    handler: i64,
    level: i32,
) -> Result<Vec<i64>, ApiError> {
    let role = role_at(level);
    if level == 1
        && let Some(department) = org::scope::department_of(conn, handler, office_id)?
    {
        let supervisor: Option<Option<i64>> = departments::table
            .find(department)
            .select(departments::supervisor_user_id)
            .first(conn)
            .optional()
            .api()?;
        if let Some(Some(user)) = supervisor {
            return Ok(vec![user]);
        }
    }
    org::scope::role_holders(conn, role, Some(office_id))
}

/// Escalates every request due for it at `now`, up to [`BATCH`] of them:
/// returns the ids and the levels reached. Safe to run in several processes at
/// once.
pub fn escalate_due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
) -> Result<Vec<(i64, i32)>, ApiError> {
    let open = [
        RequestStatus::Open.as_str(),
        RequestStatus::InProgress.as_str(),
    ];
    let due: Vec<RequestRow> = sr::table
        .filter(sr::status.eq_any(open))
        .filter(
            sr::escalation_level
                .lt(3)
                .and(sr::hq_at.le(now))
                .or(sr::escalation_level
                    .lt(2)
                    .and(sr::resolution_due_at.le(now)))
                .or(sr::escalation_level.lt(1).and(
                    sr::warn_at
                        .le(now)
                        .or(sr::responded_at.is_null().and(sr::response_due_at.le(now))),
                )),
        )
        .order(sr::id.asc())
        .limit(BATCH)
        .select(RequestRow::as_select())
        .load(conn)
        .api()?;
    let system = Actor::job("service-escalation");
    let mut escalated = Vec::new();
    for row in due {
        let target = target_level(&row, now);
        if target <= row.escalation_level {
            continue;
        }
        let done = store::transaction(conn, |conn| {
            // The compare-and-set: only the process that moves the level from
            // what it read goes on; a replica that lost finds nothing to do.
            let claimed: Option<RequestRow> = diesel::update(
                sr::table
                    .find(row.id)
                    .filter(sr::escalation_level.eq(row.escalation_level))
                    .filter(sr::status.eq(&row.status)),
            )
            .set((
                sr::escalation_level.eq(target),
                sr::updated_at.eq(now),
                sr::version.eq(sr::version + 1),
            ))
            .returning(sr::all_columns)
            .get_result(conn)
            .optional()
            .api()?;
            let Some(after) = claimed else {
                return Ok::<_, ApiError>(false);
            };
            for level in row.escalation_level + 1..=target {
                let handler = row.assignee_user_id.unwrap_or(row.created_by);
                let who = recipients(conn, row.office_id, handler, level)?;
                let why = reason(level);
                let role = role_at(level);
                record_steps(
                    conn,
                    &after,
                    &[Step {
                        kind: "escalated",
                        customer_facing: false,
                        message: Some(format!("level {level} ({role}): {why}")),
                        minutes: None,
                    }],
                    Some(&row.status),
                    Some(&after.status),
                    None,
                    now,
                )?;
                notify::send(
                    conn,
                    &who,
                    &Notice {
                        kind: "service_request_escalated",
                        entity_type: "service_request",
                        entity_id: row.id,
                        office_id: Some(row.office_id),
                        title: format!("{} escalated to you: {why}", row.number),
                        body: Some(row.subject.clone()),
                    },
                )?;
            }
            audit::record(
                conn,
                &system,
                Change::new("escalate", "service_request", row.id, Some(row.office_id))
                    .before(&row)
                    .after(&after),
            )?;
            Ok(true)
        })?;
        if done {
            escalated.push((row.id, target));
        }
    }
    Ok(escalated)
}

/// The level a ticket should have reached at `now` (0: none), its clock
/// running: 3 when the resolution deadline is `hq_after` working minutes
/// past, 2 when it has passed, 1 when `warn` working minutes of it are left
/// or the first judgement is late.
pub fn ticket_target_level(
    cal: &WorkingCalendar,
    ticket: &TicketRow,
    warn: i64,
    hq_after: i64,
    now: NaiveDateTime,
) -> i32 {
    let due = ticket.resolution_due_at;
    if due <= now {
        if cal.between(due.and_utc(), now.and_utc()) >= hq_after {
            3
        } else {
            2
        }
    } else if cal.between(now.and_utc(), due.and_utc()) <= warn
        || (ticket.responded_at.is_none() && ticket.response_due_at <= now)
    {
        1
    } else {
        0
    }
}

/// Escalates the service tickets due for it at `now`, as requests are: the
/// same chain, one history entry per level, a notice to each person brought
/// in, one audit event by the system. A ticket's level is kept beside it
/// (`service_ticket_escalations`, written when it is opened) and claimed with
/// a compare-and-set, so
/// replicas racing escalate it once. A ticket waiting for the customer's
/// decision on a quotation, or repaired, is not escalated.
pub fn escalate_tickets(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
) -> Result<Vec<(i64, i32)>, ApiError> {
    use store::schema::{
        service_levels as sl, service_ticket_escalations as te, service_tickets as st,
    };
    let running = [
        "received",
        "on_site",
        "awaiting_unit",
        "in_repair",
        "inspection",
        "ready_to_ship",
        "shipped",
    ];
    // The most urgent first: those whose first judgement is late, then by
    // their resolution deadline.
    let candidates: Vec<(TicketRow, i32, i32, i32)> = st::table
        .inner_join(sl::table.on(sl::id.eq(st::service_level_id)))
        .inner_join(te::table.on(te::ticket_id.eq(st::id)))
        .filter(st::status.eq_any(running))
        .filter(st::resolved_at.is_null())
        .filter(st::paused_since.is_null())
        .filter(te::level.lt(3))
        .order((
            st::responded_at.is_not_null(),
            st::resolution_due_at.asc(),
            st::id.asc(),
        ))
        .limit(BATCH)
        .select((
            TicketRow::as_select(),
            sl::warn_minutes,
            sl::hq_after_minutes,
            te::level,
        ))
        .load(conn)
        .api()?;
    let system = Actor::job("service-escalation");
    let mut cals = crate::calendars::Calendars::new();
    let mut escalated = Vec::new();
    for (ticket, warn, hq_after, current) in candidates {
        let target = ticket_target_level(
            cals.of(conn, ticket.office_id)?,
            &ticket,
            i64::from(warn),
            i64::from(hq_after),
            now,
        );
        if target <= current {
            continue;
        }
        let done = store::transaction(conn, |conn| {
            // The compare-and-set: only the process that moves the level from
            // what it read goes on.
            let claimed = diesel::update(
                te::table
                    .filter(te::ticket_id.eq(ticket.id))
                    .filter(te::level.eq(current)),
            )
            .set((te::level.eq(target), te::updated_at.eq(now)))
            .execute(conn)
            .api()?;
            if claimed == 0 {
                return Ok::<_, ApiError>(false);
            }
            let handler = ticket.assignee_user_id.unwrap_or(ticket.created_by);
            for step in current + 1..=target {
                let who = recipients(conn, ticket.office_id, handler, step)?;
                let why = reason(step);
                let role = role_at(step);
                crate::tickets::api::record_step(
                    conn,
                    &ticket,
                    &crate::tickets::Step {
                        action: "escalated",
                        note: Some(format!("level {step} ({role}): {why}")),
                        details: None,
                        minutes: None,
                    },
                    Some(&ticket.status),
                    &ticket.status,
                    None,
                    now,
                )?;
                notify::send(
                    conn,
                    &who,
                    &Notice {
                        kind: "service_ticket_escalated",
                        entity_type: "service_ticket",
                        entity_id: ticket.id,
                        office_id: Some(ticket.office_id),
                        title: format!("{} escalated to you: {why}", ticket.number),
                        body: Some(ticket.feedback.clone()),
                    },
                )?;
            }
            audit::record(
                conn,
                &system,
                Change::new(
                    "escalate",
                    "service_ticket",
                    ticket.id,
                    Some(ticket.office_id),
                )
                .before(&serde_json::json!({ "escalation_level": current }))
                .after(&serde_json::json!({ "escalation_level": target })),
            )?;
            Ok(true)
        })?;
        if done {
            escalated.push((ticket.id, target));
        }
    }
    Ok(escalated)
}
