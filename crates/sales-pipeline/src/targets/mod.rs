//! Sales targets and plans (銷售計劃與目標). HQ sets each office's annual figure
//! (the target, [`api`]); the office's sales department drafts the plan that
//! splits it into quarters, months and persons, the department manager reviews
//! it and the office director approves it through the engine ([`plans`]); only
//! an approved plan's split is in force. The splits must add up — the quarters to
//! the year, each quarter's three months to the quarter, the persons to the year
//! — so execution can be tracked against any of them and achievement can feed
//! the appraisal. The rules the two share are here.

pub mod api;
pub mod demo;
pub mod plans;

use std::collections::HashMap;

use diesel::prelude::*;
use kernel::{ApiError, FieldError};
use serde::{Deserialize, Serialize};
use store::schema::{sales_target_months as stm, sales_target_persons as stp, sales_targets as st};
use store::{AnyConnection, DbResultExt};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::common::user_of_office;

pub use plans::{SALES_PLAN_DOC, SalesPlanDocument};

pub fn configure(cfg: &mut ServiceConfig) {
    api::configure(cfg);
    plans::configure(cfg);
}

/// Largest amount accepted anywhere in a target (minor units): 10,000,000,000,000.00.
/// Sums of up to a thousand of them stay far inside `i64`.
const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// One person's share of the annual target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonShare {
    /// An active user of the target's office.
    pub user_id: i64,
    /// Minor units (分), not negative.
    #[validate(range(min = 0, max = 1_000_000_000_000_000_i64))]
    #[schema(
        minimum = 0,
        maximum = 1_000_000_000_000_000_i64,
        example = 300_000_000
    )]
    pub amount: i64,
}

/// One month's share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MonthShare {
    /// 1 (January) to 12.
    #[schema(minimum = 1, maximum = 12, example = 7)]
    pub month: i32,
    pub amount: i64,
}

/// Q1 to Q4 from twelve months; empty when there are no months (no split yet).
fn quarters_of(months: &[MonthShare]) -> Vec<i64> {
    if months.is_empty() {
        return Vec::new();
    }
    let mut quarters = vec![0_i64; 4];
    for m in months {
        if let Some(q) = usize::try_from(m.month - 1)
            .ok()
            .and_then(|i| quarters.get_mut(i / 3))
        {
            *q += m.amount;
        }
    }
    quarters
}

fn month_shares(months: &[i64]) -> Vec<MonthShare> {
    (1_i32..)
        .zip(months)
        .map(|(month, amount)| MonthShare {
            month,
            amount: *amount,
        })
        .collect()
}

/// Checks that the splits add up, listing every field that does not. Lengths
/// are checked by the request's validation already.
pub fn check_split(
    amount: i64,
    quarters: &[i64],
    months: &[i64],
    persons: &[PersonShare],
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let in_range = |v: i64| (0..=MAX_AMOUNT).contains(&v);
    for (i, q) in quarters.iter().enumerate() {
        if !in_range(*q) {
            errors.push(FieldError::new(
                format!("quarters[{i}]"),
                "range",
                format!("must be between 0 and {MAX_AMOUNT}"),
            ));
        }
    }
    for (i, m) in months.iter().enumerate() {
        if !in_range(*m) {
            errors.push(FieldError::new(
                format!("months[{i}]"),
                "range",
                format!("must be between 0 and {MAX_AMOUNT}"),
            ));
        }
    }
    for (i, person) in persons.iter().enumerate() {
        if persons[..i].iter().any(|p| p.user_id == person.user_id) {
            errors.push(FieldError::new(
                format!("persons[{i}].user_id"),
                "duplicate",
                "each person once",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }

    let quarter_sum: i64 = quarters.iter().sum();
    if quarter_sum != amount {
        errors.push(FieldError::new(
            "quarters",
            "sum",
            format!("the quarters add up to {quarter_sum}, not the annual amount {amount}"),
        ));
    }
    for (q, (three, quarter)) in months.chunks(3).zip(quarters).enumerate() {
        let sum: i64 = three.iter().sum();
        if sum != *quarter {
            let first = q * 3 + 1;
            errors.push(FieldError::new(
                "months",
                "sum",
                format!(
                    "months {first}–{} add up to {sum}, not quarter {}'s {quarter}",
                    first + 2,
                    q + 1
                ),
            ));
        }
    }
    let person_sum: i64 = persons.iter().map(|p| p.amount).sum();
    if person_sum != amount {
        errors.push(FieldError::new(
            "persons",
            "sum",
            format!("the persons' shares add up to {person_sum}, not the annual amount {amount}"),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Each person named in a split is an active user of the office: a user of
/// another office is answered as one that does not exist.
fn check_persons(
    conn: &mut AnyConnection,
    office_id: i64,
    persons: &[PersonShare],
) -> Result<(), ApiError> {
    for (i, person) in persons.iter().enumerate() {
        user_of_office(
            conn,
            &format!("persons[{i}].user_id"),
            person.user_id,
            office_id,
        )?;
    }
    Ok(())
}

/// A target's months and persons.
type Splits = (Vec<MonthShare>, Vec<PersonShare>);

/// The splits in force of the given targets, two queries whatever their number.
fn splits_of(conn: &mut AnyConnection, ids: &[i64]) -> Result<HashMap<i64, Splits>, ApiError> {
    let months: Vec<(i64, i32, i64)> = stm::table
        .filter(stm::target_id.eq_any(ids))
        .order((stm::target_id.asc(), stm::month.asc()))
        .select((stm::target_id, stm::month, stm::amount))
        .load(conn)
        .api()?;
    let persons: Vec<(i64, i64, i64)> = stp::table
        .filter(stp::target_id.eq_any(ids))
        .order((stp::target_id.asc(), stp::id.asc()))
        .select((stp::target_id, stp::user_id, stp::amount))
        .load(conn)
        .api()?;
    let mut out: HashMap<i64, Splits> = HashMap::new();
    for (target, month, amount) in months {
        out.entry(target)
            .or_default()
            .0
            .push(MonthShare { month, amount });
    }
    for (target, user_id, amount) in persons {
        out.entry(target)
            .or_default()
            .1
            .push(PersonShare { user_id, amount });
    }
    Ok(out)
}

/// Replaces the split in force of a target with the given one (already checked).
fn replace_splits(
    conn: &mut AnyConnection,
    target_id: i64,
    office_id: i64,
    months: &[MonthShare],
    persons: &[PersonShare],
) -> Result<(), ApiError> {
    diesel::delete(stm::table.filter(stm::target_id.eq(target_id)))
        .execute(conn)
        .api()?;
    diesel::delete(stp::table.filter(stp::target_id.eq(target_id)))
        .execute(conn)
        .api()?;
    // One statement per row: batch inserts are not available over the
    // multi-backend connection. Thirteen-odd rows per target, written rarely.
    for m in months {
        diesel::insert_into(stm::table)
            .values((
                stm::target_id.eq(target_id),
                stm::office_id.eq(office_id),
                stm::month.eq(m.month),
                stm::amount.eq(m.amount),
            ))
            .execute(conn)
            .api()?;
    }
    for p in persons {
        diesel::insert_into(stp::table)
            .values((
                stp::target_id.eq(target_id),
                stp::office_id.eq(office_id),
                stp::user_id.eq(p.user_id),
                stp::amount.eq(p.amount),
            ))
            .execute(conn)
            .api()?;
    }
    Ok(())
}

/// `(annual amount, [(user id, amount)])`, in minor units.
pub type AnnualTarget = (i64, Vec<(i64, i64)>);

/// The annual amount of an office's target for `year` and each person's share
/// in the plan in force, for the modules that track achievement; `None` when
/// no target is set.
pub fn target_for(
    conn: &mut AnyConnection,
    office_id: i64,
    year: i32,
) -> Result<Option<AnnualTarget>, ApiError> {
    let target: Option<(i64, i64)> = st::table
        .filter(st::office_id.eq(office_id).and(st::year.eq(year)))
        .select((st::id, st::amount))
        .first(conn)
        .optional()
        .api()?;
    let Some((id, amount)) = target else {
        return Ok(None);
    };
    let persons: Vec<(i64, i64)> = stp::table
        .filter(stp::target_id.eq(id))
        .order(stp::id.asc())
        .select((stp::user_id, stp::amount))
        .load(conn)
        .api()?;
    Ok(Some((amount, persons)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(user_id: i64, amount: i64) -> PersonShare {
        PersonShare { user_id, amount }
    }

    fn fields(err: ApiError) -> Vec<String> {
        err.errors.iter().map(|e| e.field.clone()).collect()
    }

    const MONTHS: [i64; 12] = [10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40];

    #[test]
    fn a_split_that_adds_up_passes() {
        assert!(
            check_split(
                300,
                &[30, 60, 90, 120],
                &MONTHS,
                &[person(1, 100), person(2, 200)]
            )
            .is_ok()
        );
    }

    #[test]
    fn each_mismatch_names_its_field() {
        let err = check_split(300, &[30, 60, 90, 100], &MONTHS, &[person(1, 300)]).unwrap_err();
        assert_eq!(fields(err), vec!["quarters", "months"]);
        let err = check_split(300, &[30, 60, 90, 120], &MONTHS, &[person(1, 299)]).unwrap_err();
        assert_eq!(fields(err), vec!["persons"]);
        let mut months = MONTHS;
        months[4] = 21;
        months[5] = 19;
        assert!(check_split(300, &[30, 60, 90, 120], &months, &[person(1, 300)]).is_ok());
        months[5] = 20;
        let err = check_split(300, &[30, 60, 90, 120], &months, &[person(1, 300)]).unwrap_err();
        assert!(err.errors[0].message.contains("quarter 2"));
    }

    #[test]
    fn negative_shares_and_repeated_persons_are_refused() {
        let err =
            check_split(0, &[0, 0, 0, 0], &[0; 12], &[person(1, 0), person(1, 0)]).unwrap_err();
        assert_eq!(fields(err), vec!["persons[1].user_id"]);
        let mut months = [0; 12];
        months[0] = -1;
        months[1] = 1;
        let err = check_split(0, &[0, 0, 0, 0], &months, &[]).unwrap_err();
        assert_eq!(fields(err), vec!["months[0]"]);
    }

    #[test]
    fn quarters_come_from_the_months() {
        assert_eq!(quarters_of(&month_shares(&MONTHS)), vec![30, 60, 90, 120]);
        assert!(quarters_of(&[]).is_empty());
    }
}
