//! Demo personnel: every demo user's employee file ([`crate::employees::demo`]),
//! each office's recruitment ([`crate::recruitment::demo`]), the sales
//! representative's probation evaluated and put up for conversion, the staff
//! member resigning with the handover under way, the year's training plan
//! with a session held ([`crate::training::demo`]), and trips: in every office the sales representative has one trip approved by
//! the department supervisor and the director, starting in a week, and one
//! waiting for the supervisor — both applied for and decided through the same
//! functions and the real approval engine. A trip that already took place
//! cannot be demonstrated this way: applying needs a start today or later.

use chrono::Days;
use diesel::prelude::*;
use kernel::{Actor, ApiError};
use store::schema::{business_trips as bt, offices, users};
use store::{AnyConnection, DbResultExt, transaction};
use workflow::Registry;
use workflow::engine::{Decide, decide, load_instance};

use crate::common::today;
use crate::employees::Employee;
use crate::facts::PersonnelSources;
use crate::leaving::{LeavingKind, RecordHandover, hand_over, open_leaving};
use crate::probation::{
    EvaluateProbation, EvaluatorRole, ProbationOutcome, RequestConversion, record_evaluation,
    request,
};
use crate::trips::{CreateBusinessTrip, apply};

pub(crate) fn user(conn: &mut AnyConnection, name: &str) -> Result<i64, ApiError> {
    users::table
        .filter(users::username.eq(name))
        .select(users::id)
        .first(conn)
        .found("demo user")
}

pub(crate) fn approve(
    conn: &mut AnyConnection,
    registry: &Registry,
    username: &str,
    approval: i64,
) -> Result<(), ApiError> {
    approve_saying(conn, registry, username, approval, "同意出差")
}

/// `username` approves the step of `approval` waiting for them, with
/// `comment`.
pub(crate) fn approve_saying(
    conn: &mut AnyConnection,
    registry: &Registry,
    username: &str,
    approval: i64,
    comment: &str,
) -> Result<(), ApiError> {
    let user_id = user(conn, username)?;
    let principal = org::principal::load_principal(conn, user_id)?;
    let version = load_instance(conn, approval)?
        .ok_or_else(|| ApiError::not_found("approval"))?
        .version;
    let decision = Decide::Approve {
        comment: Some(comment.to_owned()),
    };
    decide(conn, registry, &principal, approval, version, decision).map(drop)
}

/// Where each demo office's people travel: (first trip, second trip).
fn destinations(code: &str) -> (&'static str, &'static str) {
    match code {
        "GZ01" => ("上海", "佛山"),
        "SZ01" => ("杭州", "東莞"),
        "SH01" => ("廣州", "蘇州"),
        _ => ("深圳", "寧波"),
    }
}

fn in_days(n: u64) -> Result<chrono::NaiveDate, ApiError> {
    today()
        .checked_add_days(Days::new(n))
        .ok_or_else(|| ApiError::internal(std::io::Error::other("date out of range")))
}

/// Loads the demo employee files (when there are none), and the demo trips
/// and recruitment ([`crate::recruitment::demo`]) into offices that have
/// none. Returns how many trips.
pub fn load(
    conn: &mut AnyConnection,
    registry: &Registry,
    sources: &PersonnelSources,
) -> Result<usize, ApiError> {
    let files: i64 = store::schema::employees::table
        .count()
        .get_result(conn)
        .api()?;
    if files == 0 {
        transaction(conn, |conn| crate::employees::demo::load(conn, today()))?;
    }
    let offices: Vec<(i64, String)> = offices::table
        .filter(offices::status.eq("active"))
        .select((offices::id, offices::code))
        .order(offices::id)
        .load(conn)
        .api()?;
    for (office, code) in &offices {
        transaction(conn, |conn| {
            if crate::recruitment::demo::load_office(conn, registry, sources, *office, code)? {
                probation_and_leaving(conn, registry, code)?;
                crate::training::demo::load_office(conn, registry, *office, code)?;
            }
            Ok::<_, ApiError>(())
        })?;
    }
    transaction(conn, |conn| {
        let mut count = 0;
        for (office, code) in offices {
            let existing: i64 = bt::table
                .filter(bt::office_id.eq(office))
                .count()
                .get_result(conn)
                .api()?;
            if existing > 0 {
                continue;
            }
            let prefix = code.to_lowercase();
            let traveller = user(conn, &format!("{prefix}.sales_rep"))?;
            let actor = Actor::demo_loader(Some(traveller));
            let (first, second) = destinations(&code);

            let approved = apply(
                conn,
                registry,
                office,
                &actor,
                &CreateBusinessTrip {
                    destination: first.to_owned(),
                    purpose: "參加區域經銷商大會，拜訪三家重點客戶，洽談年度框架協議".to_owned(),
                    starts_on: in_days(7)?,
                    ends_on: in_days(9)?,
                    estimated_cost: 680_000,
                },
            )?;
            let approval = approved
                .approval_id
                .ok_or_else(|| ApiError::internal(std::io::Error::other("trip not submitted")))?;
            approve(
                conn,
                registry,
                &format!("{prefix}.department_supervisor"),
                approval,
            )?;
            approve(
                conn,
                registry,
                &format!("{prefix}.office_director"),
                approval,
            )?;

            apply(
                conn,
                registry,
                office,
                &actor,
                &CreateBusinessTrip {
                    destination: second.to_owned(),
                    purpose: "到客戶工地查看工礦燈安裝條件，配合技術支持確定改造方案".to_owned(),
                    starts_on: in_days(21)?,
                    ends_on: in_days(22)?,
                    estimated_cost: 120_000,
                },
            )?;
            count += 2;
        }
        Ok(count)
    })
}

/// The employee file of demo user `username`.
pub(crate) fn file_of(conn: &mut AnyConnection, username: &str) -> Result<Employee, ApiError> {
    let user_id = user(conn, username)?;
    store::schema::employees::table
        .filter(store::schema::employees::user_id.eq(user_id))
        .select(Employee::as_select())
        .first(conn)
        .found("demo employee")
}

/// In office `code`: the sales representative on probation evaluated by the
/// director (their manager) and put up for an early conversion, waiting for
/// the director; the office's staff member resigning in two weeks, the
/// handover named but not complete.
fn probation_and_leaving(
    conn: &mut AnyConnection,
    registry: &Registry,
    code: &str,
) -> Result<(), ApiError> {
    let prefix = code.to_lowercase();
    let rep = file_of(conn, &format!("{prefix}.sales_rep"))?;
    let director = user(conn, &format!("{prefix}.office_director"))?;
    let director = org::principal::load_principal(conn, director)?;
    record_evaluation(
        conn,
        &director,
        &rep,
        &EvaluateProbation {
            evaluator_role: EvaluatorRole::Supervisor,
            score: 88,
            comments: "熟悉產品，已獨立跟進三個重點客戶，回款及時".to_owned(),
            recommendation: ProbationOutcome::Convert,
        },
    )?;
    let ops = user(conn, &format!("{prefix}.operations_specialist"))?;
    let ops_actor = Actor::demo_loader(Some(ops));
    request(
        conn,
        registry,
        &ops_actor,
        &rep,
        &RequestConversion {
            outcome: ProbationOutcome::Convert,
            extend_months: None,
            last_day: None,
            reason: "試用期表現優秀，主管建議提前轉正".to_owned(),
        },
    )?;
    let staff = file_of(conn, &format!("{prefix}.staff"))?;
    let leaving = open_leaving(
        conn,
        &ops_actor,
        &staff,
        LeavingKind::Resignation,
        "個人發展原因",
        today().checked_add_days(Days::new(14)).unwrap_or(today()),
    )?;
    let colleague = file_of(conn, &format!("{prefix}.operations_specialist"))?;
    hand_over(
        conn,
        &ops_actor,
        &leaving,
        &RecordHandover {
            archives_to_employee_id: Some(colleague.id),
            customers_to_employee_id: None,
            note: Some("文件檔案已交接；客戶待定".to_owned()),
        },
    )?;
    Ok(())
}
