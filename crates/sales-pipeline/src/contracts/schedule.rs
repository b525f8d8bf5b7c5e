//! The payment schedule (付款計劃) of a contract: the instalment input, the
//! rules a schedule keeps (it adds up to the total, runs in due-date order,
//! and an amended schedule keeps what was already received), and storing and
//! loading the instalment rows.

use chrono::NaiveDate;
use diesel::prelude::*;
use kernel::{ApiError, FieldError};
use serde::{Deserialize, Serialize};
use store::schema::contract_instalments as ci;
use store::{AnyConnection, DbResultExt};
use utoipa::ToSchema;
use validator::Validate;

use super::{Contract, Instalment};

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstalmentInput {
    pub due_on: NaiveDate,
    /// Minor units, more than 0.
    #[validate(range(min = 1, max = 1_000_000_000_000_000_i64))]
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64, example = 867_000)]
    pub amount: i64,
}

/// The schedule must add up to the total, every date in order.
pub fn check_schedule(total: i64, schedule: &[InstalmentInput]) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if schedule.is_empty() {
        errors.push(FieldError::new(
            "instalments",
            "length",
            "at least one instalment",
        ));
    }
    let sum: i64 = schedule.iter().map(|i| i.amount).sum();
    if !schedule.is_empty() && sum != total {
        errors.push(FieldError::new(
            "instalments",
            "sum_mismatch",
            format!("the instalments add up to {sum}, the contract total is {total}"),
        ));
    }
    for (i, w) in schedule.windows(2).enumerate() {
        if w[1].due_on < w[0].due_on {
            errors.push(FieldError::new(
                format!("instalments[{}].due_on", i + 1),
                "order",
                "instalments are listed in due-date order",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

pub(super) fn insert_schedule(
    conn: &mut AnyConnection,
    contract: &Contract,
    schedule: &[InstalmentInput],
) -> Result<Vec<Instalment>, ApiError> {
    let mut out = Vec::with_capacity(schedule.len());
    for (i, inst) in schedule.iter().enumerate() {
        out.push(
            diesel::insert_into(ci::table)
                .values((
                    ci::contract_id.eq(contract.id),
                    ci::office_id.eq(contract.office_id),
                    ci::seq.eq(i32::try_from(i + 1).unwrap_or(i32::MAX)),
                    ci::due_on.eq(inst.due_on),
                    ci::amount.eq(inst.amount),
                    ci::paid.eq(0_i64),
                ))
                .returning((
                    ci::id,
                    ci::contract_id,
                    ci::office_id,
                    ci::seq,
                    ci::due_on,
                    ci::amount,
                    ci::paid,
                ))
                .get_result(conn)
                .api()?,
        );
    }
    Ok(out)
}

pub fn instalments_of(
    conn: &mut AnyConnection,
    contract_id: i64,
) -> Result<Vec<Instalment>, ApiError> {
    ci::table
        .filter(ci::contract_id.eq(contract_id))
        .order(ci::seq.asc())
        .select(Instalment::as_select())
        .load(conn)
        .api()
}

/// The new schedule must keep what was already received.
pub(super) fn check_against_paid(
    current: &[Instalment],
    schedule: &[InstalmentInput],
) -> Result<(), ApiError> {
    for inst in current.iter().filter(|i| i.paid > 0) {
        let idx = usize::try_from(inst.seq - 1).unwrap_or(usize::MAX);
        match schedule.get(idx) {
            Some(new) if new.amount >= inst.paid => {}
            _ => {
                return Err(ApiError::invalid_field(
                    &format!("instalments[{idx}].amount"),
                    "below_paid",
                    format!(
                        "instalment {} has {} received already; its new amount cannot be less",
                        inst.seq, inst.paid
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::ErrorCode;

    fn inst(y: i32, m: u32, amount: i64) -> InstalmentInput {
        InstalmentInput {
            due_on: NaiveDate::from_ymd_opt(y, m, 1).unwrap(),
            amount,
        }
    }

    #[test]
    fn schedules_must_add_up_and_run_in_order() {
        assert!(check_schedule(100, &[inst(2026, 1, 30), inst(2026, 3, 70)]).is_ok());
        let e = check_schedule(100, &[inst(2026, 1, 30), inst(2026, 3, 60)]).unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationFailed);
        assert!(check_schedule(100, &[inst(2026, 3, 30), inst(2026, 1, 70)]).is_err());
        assert!(check_schedule(100, &[]).is_err());
    }

    #[test]
    fn amendments_keep_what_was_received() {
        let paid = |seq, amount, paid| Instalment {
            id: 1,
            contract_id: 1,
            office_id: 1,
            seq,
            due_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            amount,
            paid,
        };
        let current = [paid(1, 50, 50), paid(2, 50, 0)];
        assert!(check_against_paid(&current, &[inst(2026, 1, 50), inst(2026, 6, 80)]).is_ok());
        assert!(check_against_paid(&current, &[inst(2026, 1, 40), inst(2026, 6, 90)]).is_err());
        assert!(
            check_against_paid(&[paid(1, 50, 0), paid(2, 50, 10)], &[inst(2026, 1, 100)]).is_err()
        );
    }
}
