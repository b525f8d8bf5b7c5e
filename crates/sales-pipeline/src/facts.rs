//! The sales facts other domains read. Domain crates never depend on each
//! other: a consumer declares a small trait for what it needs, and the gateway
//! wires these functions into it. Finance reads receipts for the income side of
//! budget vs actual, risk reads credit exposure and overdue receivables, and
//! appraisal reads achievement against target.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text};
use kernel::{ApiError, Reach};
use store::{AnyConnection, DbResultExt};

use crate::analysis::{self, load_sql};

/// What a customer owes or has on order, minor units: the totals of their
/// orders not cancelled, less every payment received from them.
pub fn credit_exposure(conn: &mut AnyConnection, customer_id: i64) -> Result<i64, ApiError> {
    crate::orders::credit_exposure(conn, customer_id)
}

/// What is overdue at an office on `as_of` (due before that day and unpaid, on
/// signed contracts), minor units.
pub fn overdue_receivables(
    conn: &mut AnyConnection,
    office_id: i64,
    as_of: NaiveDate,
) -> Result<i64, ApiError> {
    use store::schema::{contract_instalments as ci, contracts as ct};
    let open: Vec<(i64, i64)> = ci::table
        .inner_join(ct::table.on(ct::id.eq(ci::contract_id)))
        .filter(
            ci::office_id
                .eq(office_id)
                .and(ci::due_on.lt(as_of))
                .and(ci::paid.lt(ci::amount))
                .and(ct::status.eq_any(crate::contracts::BINDING)),
        )
        .select((ci::amount, ci::paid))
        .load(conn)
        .api()?;
    Ok(open.iter().map(|(amount, paid)| amount - paid).sum())
}

#[derive(QueryableByName)]
struct MonthAmount {
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = BigInt)]
    amount: i64,
}

/// Payments received by an office, by month `YYYY-MM`, between two days
/// inclusive: the income side of budget vs actual.
pub fn receipts_by_month(
    conn: &mut AnyConnection,
    office_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, i64)>, ApiError> {
    let month = if matches!(conn, AnyConnection::Postgresql(_)) {
        "to_char(received_on, 'YYYY-MM')"
    } else {
        "strftime('%Y-%m', received_on)"
    };
    let rows = load_sql!(
        conn,
        format!(
            "SELECT {month} AS month, CAST(SUM(amount) AS BIGINT) AS amount \
             FROM payments_received WHERE office_id = $1 AND received_on >= $2 \
             AND received_on <= $3 GROUP BY {month} ORDER BY month"
        ),
        MonthAmount,
        BigInt => office_id,
        Date => from,
        Date => to
    )?;
    Ok(rows.into_iter().map(|r| (r.month, r.amount)).collect())
}

/// An office's target and actual sales for a year, and each person's.
pub fn achievement(
    conn: &mut AnyConnection,
    office_id: i64,
    year: i32,
) -> Result<analysis::AchievementReport, ApiError> {
    analysis::achievement(conn, &Reach::Company, year, Some(office_id))
}
