//! What every record's handlers share when they act: the state check that
//! names the allowed actions, the answer to a create, and the check that a date
//! a person reports has happened.

use actix_web::HttpResponse;
use chrono::NaiveDate;

use crate::concurrency::etag;
use crate::error::ApiError;

/// Refuses `action` unless the record's state allows it: 409
/// `invalid_transition` naming the state and what it allows.
pub fn allow(action: &str, state: &str, allowed: &[&str]) -> Result<(), ApiError> {
    if allowed.contains(&action) {
        Ok(())
    } else {
        Err(ApiError::invalid_transition(action, state, allowed))
    }
}

/// 201 with `Location` (a path under `/api/v1`, as given) and the first `ETag`.
pub fn created(path: String, version: i64) -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::Created();
    res.insert_header((actix_web::http::header::LOCATION, path))
        .insert_header(etag(version));
    res
}

/// 422 on `field` when `date` lies after today (UTC).
pub fn not_in_future(field: &str, date: NaiveDate) -> Result<(), ApiError> {
    if date > crate::time::today() {
        Err(ApiError::invalid_field(
            field,
            "future",
            "cannot be in the future",
        ))
    } else {
        Ok(())
    }
}
