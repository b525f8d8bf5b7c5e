//! What the after-sales records share: the shape of a created response, the
//! state check, the time, and who may make or change a record that is either
//! the company's (no office) or one office's — configuration, articles,
//! survey templates.

pub use kernel::actions::{allow, created};
pub use kernel::time::now_db;

use kernel::{ApiError, Authority, FieldError, Principal};
use org::roles::SERVICE_LEVEL_MANAGE;

/// Who may change a record of `office_id` (`None`: the company's) under
/// `perm`: company-wide for the company's, or over the office. A company
/// record the caller reads but may not change is 403; an office outside their
/// reach, 404 as `what`.
pub fn authority_over(
    p: &Principal,
    perm: kernel::Permission,
    office_id: Option<i64>,
    what: &'static str,
) -> Result<Authority, ApiError> {
    match office_id {
        None => p.require_company(perm),
        Some(office) => p.authorize(perm, Some(office)).map_err(|e| {
            if e.code == kernel::ErrorCode::NotFound {
                ApiError::not_found(what)
            } else {
                e
            }
        }),
    }
}

/// Who may change a calendar or a service level of `office_id` (`None`: the
/// company's): `service_level:manage`, as [`authority_over`].
pub fn config_authority(
    p: &Principal,
    office_id: Option<i64>,
    what: &'static str,
) -> Result<Authority, ApiError> {
    authority_over(p, SERVICE_LEVEL_MANAGE, office_id, what)
}

/// Where a new record that may be the company's goes, and on whose authority:
/// `company_wide` (with no `office_id`: 422 otherwise) needs `perm`
/// company-wide; else the office named, or the caller's own, as any create.
pub fn company_or_office_for_create(
    p: &Principal,
    perm: kernel::Permission,
    company_wide: bool,
    office_id: Option<i64>,
) -> Result<(Option<i64>, Authority), ApiError> {
    if company_wide {
        if office_id.is_some() {
            return Err(ApiError::invalid_field(
                "office_id",
                "not_allowed",
                "a company record belongs to no office",
            ));
        }
        Ok((None, p.require_company(perm)?))
    } else {
        let (office, authority) = org::scope::office_for_create(p, perm, office_id)?;
        Ok((Some(office), authority))
    }
}

/// How far back a request or ticket may be recorded as received: a call noted
/// afterwards, not a back-dated record.
pub const RECEIVED_WITHIN_DAYS: i64 = 7;

/// The problem with `received_at` recorded at `now`, if any: in the future,
/// or more than [`RECEIVED_WITHIN_DAYS`] ago. The clocks start there.
pub fn received_at_problem(
    received_at: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::NaiveDateTime,
) -> Option<FieldError> {
    let t = kernel::time::to_db(received_at?);
    if t > now {
        Some(FieldError::new(
            "received_at",
            "future",
            "it is received before it is recorded",
        ))
    } else if t < now - chrono::Duration::days(RECEIVED_WITHIN_DAYS) {
        Some(FieldError::new(
            "received_at",
            "too_old",
            format!("it is recorded within {RECEIVED_WITHIN_DAYS} days of being received"),
        ))
    } else {
        None
    }
}
