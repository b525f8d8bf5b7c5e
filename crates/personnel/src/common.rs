//! What the personnel records share: the time as stored, today's date, the
//! department a user works in (for the department supervisor's approval step),
//! and the shape of a created response. Copied from the sales pipeline's
//! `common.rs` where the logic is the same: domain crates never depend on each
//! other.

use actix_web::HttpResponse;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::{ApiError, etag};
use store::schema::{departments, role_assignments as ra};
use store::{AnyConnection, DbResultExt};

pub fn now_db() -> NaiveDateTime {
    kernel::time::to_db(kernel::time::now())
}

/// Today's date (UTC), as every other domain reckons it.
pub fn today() -> NaiveDate {
    kernel::time::now().date_naive()
}

/// 201 with `Location` and the first `ETag`.
pub fn created(path: String, version: i64) -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::Created();
    res.insert_header((actix_web::http::header::LOCATION, path))
        .insert_header(etag(version));
    res
}

/// Refuses `action` unless the record's state allows it, naming what it allows.
pub fn allow(action: &str, state: &str, allowed: &[&str]) -> Result<(), ApiError> {
    if allowed.contains(&action) {
        Ok(())
    } else {
        Err(ApiError::invalid_transition(action, state, allowed))
    }
}

/// The department a user works in at `office_id`, for the department
/// supervisor's step. Users carry no department of their own: it is the
/// department of a department-scoped role assignment valid today, else the
/// department they supervise, else the office's sales department (the business
/// department most staff of a branch office work in). `None` only in an office
/// without one; the approval engine then skips the department step.
pub fn department_of(
    conn: &mut AnyConnection,
    user_id: i64,
    office_id: i64,
) -> Result<Option<i64>, ApiError> {
    let today = today();
    let assigned: Vec<Option<i64>> = ra::table
        .filter(ra::user_id.eq(user_id))
        .filter(ra::scope_kind.eq("department"))
        .filter(ra::acting_for_user_id.is_null())
        .filter(ra::ended_at.is_null())
        .filter(ra::valid_from.le(today))
        .filter(ra::valid_to.is_null().or(ra::valid_to.ge(today)))
        .order(ra::id.asc())
        .select(ra::department_id)
        .load(conn)
        .api()?;
    let assigned: Vec<i64> = assigned.into_iter().flatten().collect();
    let in_office = departments::table
        .filter(departments::office_id.eq(office_id))
        .filter(departments::status.eq("active"));
    if !assigned.is_empty() {
        let dept: Option<i64> = in_office
            .filter(departments::id.eq_any(&assigned))
            .order(departments::id.asc())
            .select(departments::id)
            .first(conn)
            .optional()
            .api()?;
        if dept.is_some() {
            return Ok(dept);
        }
    }
    let supervised: Option<i64> = in_office
        .filter(departments::supervisor_user_id.eq(user_id))
        .order(departments::id.asc())
        .select(departments::id)
        .first(conn)
        .optional()
        .api()?;
    if supervised.is_some() {
        return Ok(supervised);
    }
    in_office
        .filter(departments::kind.eq("sales"))
        .order(departments::id.asc())
        .select(departments::id)
        .first(conn)
        .optional()
        .api()
}
