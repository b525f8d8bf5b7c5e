//! Demo return visits: plans with a visit done and one overdue.

use chrono::Duration;
use diesel::prelude::*;
use kernel::ApiError;
use store::{AnyConnection, DbResultExt};

use super::Demo;
use crate::visits::api::{CompleteVisit, complete as complete_visit};
use crate::visits::follow_ups::FollowUpInput;
use crate::visits::plans::{CreatePlan, make_plan};
use crate::visits::{PlanKind, VisitMethod, VisitRow};

/// Return-visit plans: a quarterly one for the first customer whose first
/// visit was made (with a follow-up for the sales department) and whose next
/// is ahead, a monthly one for the second whose last visit is overdue, and an
/// after-ticket plan for the third. Returns how many visits there are.
pub(super) fn visits(
    conn: &mut AnyConnection,
    d: &Demo<'_>,
    custs: &[i64],
    engineer: i64,
) -> Result<usize, ApiError> {
    use store::schema::{departments, return_visits as rv};
    let today = d.now.date();
    let plan =
        |conn: &mut AnyConnection, customer, kind, months, days_ago: i64, owner, note: &str| {
            make_plan(
                conn,
                d.sales,
                d.office,
                &d.actor,
                &CreatePlan {
                    office_id: Some(d.office),
                    customer_id: customer,
                    kind,
                    interval_months: months,
                    starts_on: months.map(|_| today - Duration::days(days_ago)),
                    days_after: if months.is_none() { Some(7) } else { None },
                    method: VisitMethod::Phone,
                    owner_user_id: owner,
                    note: Some(note.to_owned()),
                },
                d.now - Duration::days(days_ago + 1),
            )
        };
    let open_of = |conn: &mut AnyConnection, plan: i64| {
        rv::table
            .filter(rv::plan_id.eq(plan))
            .filter(rv::status.eq("due"))
            .select(VisitRow::as_select())
            .first::<VisitRow>(conn)
            .api()
    };
    let sales_dept: Option<i64> = departments::table
        .filter(departments::office_id.eq(d.office))
        .filter(departments::kind.eq("sales"))
        .select(departments::id)
        .first(conn)
        .optional()
        .api()?;
    let quarterly = plan(
        conn,
        custs[0],
        PlanKind::Periodic,
        Some(3),
        80,
        d.agent,
        "重點客戶，每季度回訪",
    )?;
    let first = open_of(conn, quarterly.id)?;
    complete_visit(
        conn,
        &d.actor,
        first,
        &CompleteVisit {
            method: VisitMethod::Visit,
            done_on: Some(today - Duration::days(78)),
            findings: "燈具運行正常，客戶希望增加節能改造方案".to_owned(),
            satisfaction: Some(4),
            follow_ups: sales_dept
                .map(|dept| FollowUpInput {
                    department_id: dept,
                    description: "客戶希望提供節能改造方案，請銷售部報價".to_owned(),
                    due_on: Some(today - Duration::days(60)),
                })
                .into_iter()
                .collect(),
        },
        d.now - Duration::days(78),
    )?;
    let monthly = plan(
        conn,
        custs[1],
        PlanKind::Periodic,
        Some(1),
        45,
        engineer,
        "新客戶，首半年每月回訪",
    )?;
    let first = open_of(conn, monthly.id)?;
    complete_visit(
        conn,
        &d.actor,
        first,
        &CompleteVisit {
            method: VisitMethod::Phone,
            done_on: Some(today - Duration::days(44)),
            findings: "客戶反饋安裝後使用良好".to_owned(),
            satisfaction: Some(5),
            follow_ups: Vec::new(),
        },
        d.now - Duration::days(44),
    )?;
    plan(
        conn,
        custs[2],
        PlanKind::AfterTicket,
        None,
        30,
        d.agent,
        "每次維修結案後 7 天回訪",
    )?;
    Ok(4)
}
