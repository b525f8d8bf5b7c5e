//! The scheduled evaluation: every active indicator (of an open office, a
//! region or the company) is read once per period — daily, weekly or monthly
//! — and its value kept; a value past a threshold raises a warning, or
//! moves the open one, and a value back within them clears it
//! ([`super::warnings::follow`]). Several replicas may run it at once: the
//! value of an indicator and period is written once (unique key), and only
//! the transaction that wrote it goes on to the warnings; the others roll
//! back and leave nothing behind.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::{ApiError, ErrorCode};
use store::schema::{offices, risk_indicator_values as riv, risk_indicators as ri};
use store::{AnyConnection, DbResultExt};

use super::{Indicator, Metric, classify, period_key, warnings};
use crate::facts::Sources;

/// Evaluates every indicator not yet evaluated in its current period at
/// `now`, each in its own transaction. Returns how many values were written
/// here; an indicator that failed does not stop the others, and the first
/// failure is returned once all were tried.
pub fn evaluate_due(
    conn: &mut AnyConnection,
    sources: &Sources,
    now: NaiveDateTime,
) -> Result<usize, ApiError> {
    let open_offices = offices::table
        .filter(offices::status.eq("active"))
        .select(offices::id.nullable());
    let indicators: Vec<Indicator> = ri::table
        .filter(ri::active.eq(true))
        .filter(
            ri::office_id
                .is_null()
                .or(ri::office_id.eq_any(open_offices)),
        )
        .order(ri::id.asc())
        .select(Indicator::as_select())
        .load(conn)
        .api()?;
    let mut written = 0;
    let mut first_failure = None;
    for indicator in indicators {
        let key = period_key(&indicator.period, now.date());
        let done: Option<i64> = riv::table
            .filter(riv::indicator_id.eq(indicator.id))
            .filter(riv::period_key.eq(&key))
            .select(riv::id)
            .first(conn)
            .optional()
            .api()?;
        if done.is_some() {
            continue;
        }
        match store::transaction(conn, |conn| {
            evaluate_one(conn, sources, &indicator, &key, now)
        }) {
            Ok(true) => written += 1,
            Ok(false) => {}
            // Another replica wrote this period's value first.
            Err(e) if e.code == ErrorCode::Duplicate => {}
            Err(e) => {
                first_failure.get_or_insert(e);
            }
        }
    }
    match first_failure {
        Some(e) => Err(e),
        None => Ok(written),
    }
}

/// Reads `indicator` and writes its value for the period `key`, then follows
/// its warning. `false`: the metric has no value yet. A value another
/// replica wrote first is 409 `duplicate`, and the transaction rolls back.
pub fn evaluate_one(
    conn: &mut AnyConnection,
    sources: &Sources,
    indicator: &Indicator,
    key: &str,
    now: NaiveDateTime,
) -> Result<bool, ApiError> {
    let metric = Metric::parse(&indicator.metric)
        .ok_or_else(|| ApiError::internal(format!("unknown metric {}", indicator.metric)))?;
    let offices = indicator.offices(conn)?;
    let Some(value) = metric.read(sources, conn, offices.as_deref(), now)? else {
        return Ok(false);
    };
    let standing = classify(
        &indicator.comparison,
        indicator.warning_threshold,
        indicator.alarm_threshold,
        value,
    );
    diesel::insert_into(riv::table)
        .values((
            riv::indicator_id.eq(indicator.id),
            riv::period_key.eq(key),
            riv::value.eq(value),
            riv::level.eq(standing.as_str()),
            riv::evaluated_at.eq(now),
        ))
        .execute(conn)
        .api()?;
    warnings::follow(conn, indicator, standing, value, key, now)?;
    Ok(true)
}
