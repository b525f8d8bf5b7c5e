//! Return visits (回訪): the office calls on its customers on a plan, records
//! what it found, and routes what needs doing to the department concerned.
//!
//! A **plan** is per customer: `periodic` (every so many months from a first
//! day — quarterly for a key account, say) or `after_ticket` (so many days
//! after each service ticket of the customer is closed). A periodic plan always
//! has its next visit open: the first is due on the plan's first day, and
//! completing or cancelling one opens the next, the interval after the one
//! before (the cadence holds when a visit is late). Ending a plan cancels its
//! open visit. A visit may also be made without a plan.
//!
//! A visit is due until it is done — with the method used, the findings, the
//! customer's satisfaction where they gave it, and follow-ups, each routed to a
//! department of the office and assigned to its supervisor, who is told — or
//! cancelled with a reason. A visit past its day and not done is overdue. The
//! completion rate (visits due in a period done by its end) is one of the
//! office's service indicators ([`crate::indicators`]).
//!
//! The rules are here; the handlers are in [`plans`], [`api`] and
//! [`follow_ups`].

pub mod api;
pub mod follow_ups;
pub mod plans;

use chrono::{Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::{Actor, ApiError};
use serde::{Deserialize, Serialize};
use store::audit::{self, Change};
use store::schema::{return_visit_plans as vp, return_visits as rv};
use store::{AnyConnection, DbResultExt};
use utoipa::ToSchema;

/// How a plan's visits fall due.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    /// Every `interval_months` from `starts_on`.
    Periodic,
    /// `days_after` each closed service ticket of the customer.
    AfterTicket,
}

impl PlanKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanKind::Periodic => "periodic",
            PlanKind::AfterTicket => "after_ticket",
        }
    }
}

/// How a visit is made ([004] 客戶回訪: 「電話回訪、郵件回訪、上門回訪」).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum VisitMethod {
    Phone,
    Email,
    Visit,
}

impl VisitMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            VisitMethod::Phone => "phone",
            VisitMethod::Email => "email",
            VisitMethod::Visit => "visit",
        }
    }
}

/// Where a visit stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum VisitStatus {
    /// To be made; overdue once its day has passed.
    Due,
    Done,
    Cancelled,
}

/// A return-visit plan.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = vp)]
pub struct Plan {
    pub id: i64,
    pub office_id: i64,
    pub customer_id: i64,
    #[schema(value_type = PlanKind)]
    pub kind: String,
    /// For a periodic plan: months between visits.
    #[schema(example = 3)]
    pub interval_months: Option<i32>,
    /// For an after-ticket plan: days after the ticket is closed.
    #[schema(example = 7)]
    pub days_after: Option<i32>,
    /// For a periodic plan: the first visit's day.
    pub starts_on: Option<NaiveDate>,
    /// How its visits are planned to be made.
    #[schema(value_type = VisitMethod)]
    pub method: String,
    /// Who makes its visits.
    pub owner_user_id: i64,
    pub active: bool,
    pub note: Option<String>,
    pub ended_reason: Option<String>,
    pub created_by: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// A return visit.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = rv)]
pub struct VisitRow {
    pub id: i64,
    pub office_id: i64,
    pub customer_id: i64,
    /// The plan it comes from; `null` for a one-off visit.
    pub plan_id: Option<i64>,
    /// The service ticket it follows up.
    pub ticket_id: Option<i64>,
    pub due_on: NaiveDate,
    pub assignee_user_id: i64,
    /// Planned, then as made.
    #[schema(value_type = VisitMethod)]
    pub method: String,
    #[schema(value_type = VisitStatus)]
    pub status: String,
    pub done_on: Option<NaiveDate>,
    #[schema(example = "燈具運行正常,客戶希望增加節能改造方案")]
    pub findings: Option<String>,
    /// The customer's satisfaction, 1 to 5, where they gave it.
    #[schema(minimum = 1, maximum = 5)]
    pub satisfaction: Option<i32>,
    pub cancel_reason: Option<String>,
    /// `null` for a visit a plan opened by itself.
    pub created_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// A visit with whether it is overdue today and what it allows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReturnVisit {
    #[serde(flatten)]
    pub visit: VisitRow,
    /// Due, and its day has passed.
    pub overdue: bool,
    pub allowed_actions: Vec<String>,
}

/// What a visit in `status` allows.
pub fn actions(status: &str) -> &'static [&'static str] {
    match status {
        "due" => &["complete", "cancel"],
        _ => &[],
    }
}

/// A visit as the API shows it on `today`.
pub fn view(visit: VisitRow, today: NaiveDate) -> ReturnVisit {
    ReturnVisit {
        overdue: visit.status == "due" && visit.due_on < today,
        allowed_actions: actions(&visit.status)
            .iter()
            .map(|a| (*a).to_owned())
            .collect(),
        visit,
    }
}

/// The day after `due_on` by `months`: the same date, or the month's last
/// day when it is too short (31 January + 1 month: 28 February).
pub fn next_due(due_on: NaiveDate, months: i32) -> Option<NaiveDate> {
    due_on.checked_add_months(Months::new(months.max(1).unsigned_abs()))
}

/// A visit to be made.
pub struct NewVisit {
    pub office_id: i64,
    pub customer_id: i64,
    pub plan_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub due_on: NaiveDate,
    pub assignee_user_id: i64,
    pub method: String,
}

/// Opens a visit, audited: by `actor`, or by the plan itself (`created_by`
/// null) when it follows from another change.
pub fn open_visit(
    conn: &mut AnyConnection,
    actor: &Actor,
    by_plan: bool,
    v: NewVisit,
    now: NaiveDateTime,
) -> Result<VisitRow, ApiError> {
    let row: VisitRow = diesel::insert_into(rv::table)
        .values((
            rv::office_id.eq(v.office_id),
            rv::customer_id.eq(v.customer_id),
            rv::plan_id.eq(v.plan_id),
            rv::ticket_id.eq(v.ticket_id),
            rv::due_on.eq(v.due_on),
            rv::assignee_user_id.eq(v.assignee_user_id),
            rv::method.eq(&v.method),
            rv::status.eq("due"),
            rv::created_by.eq(if by_plan { None } else { actor.user_id }),
            rv::created_at.eq(now),
            rv::updated_at.eq(now),
            rv::version.eq(1_i64),
        ))
        .returning(rv::all_columns)
        .get_result(conn)
        .api()?;
    audit::record(
        conn,
        actor,
        Change::new("create", "return_visit", row.id, Some(row.office_id)).after(&row),
    )?;
    Ok(row)
}

/// After a visit of a periodic plan is done or cancelled: the plan's next
/// visit, the interval after this one's day, while the plan is active.
pub fn open_next(
    conn: &mut AnyConnection,
    actor: &Actor,
    visit: &VisitRow,
    now: NaiveDateTime,
) -> Result<Option<VisitRow>, ApiError> {
    let Some(plan_id) = visit.plan_id.filter(|_| visit.ticket_id.is_none()) else {
        return Ok(None);
    };
    let plan: Plan = vp::table
        .find(plan_id)
        .select(Plan::as_select())
        .first(conn)
        .api()?;
    let Some(months) = plan.interval_months.filter(|_| plan.active) else {
        return Ok(None);
    };
    let due_on = next_due(visit.due_on, months)
        .ok_or_else(|| ApiError::internal("a visit date out of range"))?;
    open_visit(
        conn,
        actor,
        true,
        NewVisit {
            office_id: plan.office_id,
            customer_id: plan.customer_id,
            plan_id: Some(plan.id),
            ticket_id: None,
            due_on,
            assignee_user_id: plan.owner_user_id,
            method: plan.method.clone(),
        },
        now,
    )
    .map(Some)
}

/// A service ticket of `customer_id` at `office_id` was closed on `closed_on`:
/// each active after-ticket plan of the customer opens its visit.
pub fn after_ticket_closed(
    conn: &mut AnyConnection,
    actor: &Actor,
    office_id: i64,
    customer_id: i64,
    ticket_id: i64,
    closed_on: NaiveDate,
    now: NaiveDateTime,
) -> Result<usize, ApiError> {
    let plans: Vec<Plan> = vp::table
        .filter(vp::office_id.eq(office_id))
        .filter(vp::customer_id.eq(customer_id))
        .filter(vp::kind.eq(PlanKind::AfterTicket.as_str()))
        .filter(vp::active.eq(true))
        .select(Plan::as_select())
        .load(conn)
        .api()?;
    for plan in &plans {
        let due_on = closed_on + chrono::Duration::days(i64::from(plan.days_after.unwrap_or(0)));
        open_visit(
            conn,
            actor,
            true,
            NewVisit {
                office_id,
                customer_id,
                plan_id: Some(plan.id),
                ticket_id: Some(ticket_id),
                due_on,
                assignee_user_id: plan.owner_user_id,
                method: plan.method.clone(),
            },
            now,
        )?;
    }
    Ok(plans.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn quarterly_visits_keep_their_day() {
        assert_eq!(next_due(d(2026, 1, 15), 3), Some(d(2026, 4, 15)));
        assert_eq!(next_due(d(2025, 11, 30), 3), Some(d(2026, 2, 28)));
        assert_eq!(next_due(d(2026, 12, 1), 1), Some(d(2027, 1, 1)));
    }

    #[test]
    fn a_due_visit_past_its_day_is_overdue() {
        let visit = |status: &str| VisitRow {
            id: 1,
            office_id: 1,
            customer_id: 1,
            plan_id: None,
            ticket_id: None,
            due_on: d(2026, 9, 10),
            assignee_user_id: 1,
            method: "phone".into(),
            status: status.into(),
            done_on: None,
            findings: None,
            satisfaction: None,
            cancel_reason: None,
            created_by: None,
            created_at: d(2026, 9, 1).and_hms_opt(0, 0, 0).unwrap(),
            updated_at: d(2026, 9, 1).and_hms_opt(0, 0, 0).unwrap(),
            version: 1,
        };
        assert!(!view(visit("due"), d(2026, 9, 10)).overdue);
        assert!(view(visit("due"), d(2026, 9, 11)).overdue);
        assert!(!view(visit("done"), d(2026, 9, 11)).overdue);
        assert_eq!(
            view(visit("due"), d(2026, 9, 11)).allowed_actions,
            ["complete", "cancel"]
        );
    }
}
