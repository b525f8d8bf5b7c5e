//! What the personnel records share: the shape of a created response and the
//! state check; the time, today's date and the department a user works in (for
//! the department supervisor's approval step) are re-exported from where every
//! domain shares them.

use actix_web::HttpResponse;
use kernel::{ApiError, etag};

pub use kernel::time::{now_db, today};
pub use org::scope::department_of;

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
