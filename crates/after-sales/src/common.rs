//! What the after-sales records share: the shape of a created response, the
//! state check, the time, and who may change configuration that is either the
//! company's (no office) or one office's.

pub use kernel::actions::{allow, created};
pub use kernel::time::now_db;

use kernel::{ApiError, Authority, Principal};
use org::roles::SERVICE_LEVEL_MANAGE;

/// Who may change a calendar or a service level of `office_id` (`None`: the
/// company's): `service_level:manage` company-wide for the company's, or over
/// the office for an office's. A company record the caller reads but may not
/// change is 403; an office outside their reach, 404 as `what`.
pub fn config_authority(
    p: &Principal,
    office_id: Option<i64>,
    what: &str,
) -> Result<Authority, ApiError> {
    match office_id {
        None => p.require_company(SERVICE_LEVEL_MANAGE),
        Some(office) => p
            .authorize(SERVICE_LEVEL_MANAGE, Some(office))
            .map_err(|e| {
                if e.code == kernel::ErrorCode::NotFound {
                    ApiError::not_found(what)
                } else {
                    e
                }
            }),
    }
}
