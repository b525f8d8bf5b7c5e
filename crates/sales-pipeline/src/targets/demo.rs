//! The demo's targets: in December HQ has set every office's figure for next
//! year, and each office's sales department has drafted the plan splitting it
//! (all to the office's sales representative), not yet submitted.

use diesel::prelude::*;
use kernel::{Actor, ApiError};
use store::audit::{self, Change};
use store::schema::{sales_plans as sp, sales_targets as st};
use store::{AnyConnection, DbResultExt};

use super::PersonShare;

/// The demo figure: 12,000,000.00 CNY.
const AMOUNT: i64 = 1_200_000_000;
const MONTHS: [i64; 12] = [
    60_000_000,
    80_000_000,
    100_000_000,
    100_000_000,
    100_000_000,
    100_000_000,
    100_000_000,
    100_000_000,
    100_000_000,
    100_000_000,
    120_000_000,
    140_000_000,
];

/// Adds next year's target and a draft plan to every office with a sales
/// representative and no target for that year. Returns how many.
pub fn load(conn: &mut AnyConnection, year: i32) -> Result<usize, ApiError> {
    let actor = Actor::demo_loader(None);
    let now = kernel::time::to_db(kernel::time::now());
    let mut made = 0;
    for (office, _, rep) in crate::demo::offices_and_reps(conn)? {
        let taken: i64 = st::table
            .filter(st::office_id.eq(office).and(st::year.eq(year)))
            .count()
            .get_result(conn)
            .api()?;
        let Some(rep) = rep.filter(|_| taken == 0) else {
            continue;
        };
        let target: i64 = diesel::insert_into(st::table)
            .values((
                st::office_id.eq(office),
                st::year.eq(year),
                st::amount.eq(AMOUNT),
                st::currency.eq("CNY"),
                st::created_by.eq(rep),
                st::created_at.eq(now),
                st::updated_at.eq(now),
                st::version.eq(1_i64),
            ))
            .returning(st::id)
            .get_result(conn)
            .api()?;
        audit::record(
            conn,
            &actor,
            Change::new("create", "sales_target", target, Some(office)),
        )?;
        let persons = vec![PersonShare {
            user_id: rep,
            amount: AMOUNT,
        }];
        let months =
            serde_json::to_string(&MONTHS).map_err(|e| ApiError::internal(e.to_string()))?;
        let persons =
            serde_json::to_string(&persons).map_err(|e| ApiError::internal(e.to_string()))?;
        let plan: i64 = diesel::insert_into(sp::table)
            .values((
                sp::target_id.eq(target),
                sp::office_id.eq(office),
                sp::year.eq(year),
                sp::amount.eq(AMOUNT),
                sp::months_json.eq(months),
                sp::persons_json.eq(persons),
                sp::note.eq(Some(
                    "Key accounts first; the second-tier network carries 40%",
                )),
                sp::status.eq("draft"),
                sp::created_by.eq(rep),
                sp::created_at.eq(now),
                sp::updated_at.eq(now),
                sp::version.eq(1_i64),
            ))
            .returning(sp::id)
            .get_result(conn)
            .api()?;
        audit::record(
            conn,
            &actor,
            Change::new("create", "sales_plan", plan, Some(office)),
        )?;
        made += 1;
    }
    Ok(made)
}
