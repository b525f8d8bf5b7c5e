//! Demo employee files: every demo user is an employee of their office (HQ's
//! people of HQ), numbered in the office, in the department they work in,
//! with their role as position and the office director as manager; each
//! office's sales representative is on probation and has personal data on
//! file (a resident ID number with a valid check digit). Everyone has a
//! three-year labour contract from their hire day (the sales
//! representative's with three months of probation), but the market
//! specialist, whose one-year contract ends in 25 days.

use chrono::{Days, NaiveDate};
use diesel::prelude::*;
use kernel::{Actor, ApiError};
use store::schema::{offices, role_assignments as ra, users};
use store::{AnyConnection, DbResultExt};

use super::api::{CreateEmployee, open};
use super::contracts::{ContractKind, SignLabourContract, sign};
use super::{EmployeeStatus, PersonalData};

/// 17 digits with their check character.
fn id_number(first17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    format!("{first17}{}", CHECK[(sum % 11) as usize])
}

/// Opens a file for every demo user; returns how many.
pub fn load(conn: &mut AnyConnection, today: NaiveDate) -> Result<usize, ApiError> {
    let mut people: Vec<(i64, String, String, Option<i64>)> = users::table
        .filter(users::active.eq(true))
        .order(users::id.asc())
        .select((
            users::id,
            users::username,
            users::display_name,
            users::office_id,
        ))
        .load(conn)
        .api()?;
    let codes: Vec<(i64, String)> = offices::table
        .select((offices::id, offices::code))
        .load(conn)
        .api()?;
    let actor = Actor::demo_loader(None);
    let mut count = 0;
    let mut numbers: std::collections::BTreeMap<Option<i64>, usize> = Default::default();
    let mut directors: std::collections::BTreeMap<i64, i64> = Default::default();
    // Directors first, so the others can name them as manager.
    people.sort_by_key(|(_, name, _, _)| !name.ends_with(".office_director"));
    for (user, username, display, office) in people {
        let role: Option<String> = ra::table
            .filter(ra::user_id.eq(user))
            .filter(ra::ended_at.is_null())
            .order(ra::id.asc())
            .select(ra::role)
            .first(conn)
            .optional()
            .api()?;
        let position = role
            .as_deref()
            .and_then(org::roles::role)
            .map_or("員工", |r| r.name_zh)
            .to_owned();
        let n = numbers.entry(office).or_insert(0);
        *n += 1;
        let prefix = match office {
            Some(o) => codes
                .iter()
                .find(|(id, _)| *id == o)
                .map_or("OFF".to_owned(), |(_, c)| c.clone()),
            None => "HQ".to_owned(),
        };
        let department = match office {
            Some(o) => org::scope::department_of(conn, user, o)?,
            None => None,
        };
        let rep = username.ends_with(".sales_rep");
        let hired = today
            .checked_sub_days(Days::new(if rep { 40 } else { 400 + 30 * *n as u64 }))
            .unwrap_or(today);
        let personal = rep.then(|| PersonalData {
            id_number: Some(id_number("44010619900307123")),
            birth_date: NaiveDate::from_ymd_opt(1990, 3, 7),
            home_address: Some("廣州市天河區體育西路 100 號".to_owned()),
            phone: Some("13800138000".to_owned()),
            emergency_contact_name: Some("陳大明".to_owned()),
            emergency_contact_phone: Some("13900139000".to_owned()),
            bank_name: Some("中國工商銀行".to_owned()),
            bank_account: Some("6222020200112233445".to_owned()),
        });
        let body = CreateEmployee {
            office_id: office,
            hq: office.is_none(),
            user_id: Some(user),
            employee_number: format!("{prefix}-{:03}", *n),
            name: display,
            department_id: department,
            position,
            grade: None,
            hire_date: hired,
            status: Some(if rep {
                EmployeeStatus::Probation
            } else {
                EmployeeStatus::Regular
            }),
            manager_employee_id: office.and_then(|o| directors.get(&o).copied()),
            personal,
        };
        let now = kernel::time::now_db();
        let row = open(conn, &actor, office, &body, now)?;
        // A three-year contract from the hire day, the probation months on
        // the one on probation; the market specialist's one-year contract
        // ends in 25 days.
        let market = username.ends_with(".market_specialist");
        let (starts_on, ends_on) = if market {
            (
                today.checked_sub_days(Days::new(340)).unwrap_or(today),
                today.checked_add_days(Days::new(25)).unwrap_or(today),
            )
        } else {
            (
                hired,
                hired
                    .checked_add_months(chrono::Months::new(36))
                    .and_then(|d| d.pred_opt())
                    .unwrap_or(hired),
            )
        };
        sign(
            conn,
            &actor,
            &row,
            &SignLabourContract {
                kind: ContractKind::FixedTerm,
                starts_on,
                ends_on: Some(ends_on),
                probation_months: if rep { 3 } else { 0 },
                signed_on: starts_on,
                note: None,
            },
            now,
        )?;
        if let (Some(o), true) = (office, username.ends_with(".office_director")) {
            directors.insert(o, row.id);
        }
        count += 1;
    }
    Ok(count)
}
