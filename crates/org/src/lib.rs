//! Organization and identity: the company's regions, offices (opened, changed and
//! closed as recorded actions), departments and users; the built-in roles and
//! scoped role assignments; authentication (login, rotating refresh tokens,
//! logout, password change) and the `Principal` resolver every other module's
//! endpoints rely on for scope. Also the audit-trail reader and the demo company.

pub mod audit_api;
pub mod auth;
pub mod demo;
pub mod departments;
pub mod notifications;
pub mod offices;
pub mod password;
pub mod principal;
pub mod regions;
pub mod roles;
pub mod scope;
pub mod tokens;
pub mod users;

use std::time::Duration;

use utoipa_actix_web::service_config::ServiceConfig;

pub use principal::DbResolver;
pub use tokens::TokenSettings;

/// Settings the organization module takes from configuration.
#[derive(Debug, Clone)]
pub struct OrgSettings {
    pub tokens: TokenSettings,
    /// Failed logins for one username from one client address within
    /// `lockout_window` before that address gets 429 for that username.
    pub max_failures_per_user: i64,
    /// Failed logins from one address (any usernames), or for one username (any
    /// addresses), within `lockout_window` before each attempt is slowed by
    /// `throttle_pause` — never refused, so a correct password still works.
    pub max_failures_before_pause: i64,
    pub throttle_pause: Duration,
    pub lockout_window: Duration,
}

impl OrgSettings {
    pub fn new(tokens: TokenSettings) -> Self {
        OrgSettings {
            tokens,
            max_failures_per_user: 5,
            max_failures_before_pause: 20,
            throttle_pause: Duration::from_secs(1),
            lockout_window: Duration::from_secs(15 * 60),
        }
    }
}

/// Mounts every organization and identity route (under the gateway's `/api/v1`).
pub fn configure(cfg: &mut ServiceConfig) {
    auth::configure(cfg);
    regions::configure(cfg);
    offices::configure(cfg);
    departments::configure(cfg);
    users::configure(cfg);
    audit_api::configure(cfg);
    notifications::configure(cfg);
}

/// Helpers shared by the organization's aggregates.
pub(crate) mod common {
    use chrono::NaiveDate;
    use diesel::prelude::*;
    use kernel::{ApiError, PageRequest};
    use store::schema::offices;
    use store::{AnyConnection, DbResultExt};

    /// Today in UTC, the date role validity and effective dates compare against.
    pub fn today() -> NaiveDate {
        kernel::time::today()
    }

    pub fn now_db() -> chrono::NaiveDateTime {
        kernel::time::now_db()
    }

    /// A page request keyed on ascending id.
    pub fn page(limit: Option<i64>, cursor: Option<&str>) -> Result<PageRequest<i64>, ApiError> {
        PageRequest::parse(limit, cursor)
    }

    /// The code of the office a new record goes to (for its document number); 404
    /// when there is no such office. Whether the office is open is not checked
    /// here: the database refuses every new row of a closed office (the
    /// open-office triggers, mapped by `store::db_error`).
    pub fn office_code(conn: &mut AnyConnection, office_id: i64) -> Result<String, ApiError> {
        offices::table
            .find(office_id)
            .select(offices::code)
            .first(conn)
            .found("office")
    }

    /// The office exists and is open: for changes to an office's existing
    /// records and requests about the office itself, which the insert triggers
    /// do not see. A closed office keeps its history readable (409
    /// `invalid_transition`).
    pub fn require_open_office(
        conn: &mut AnyConnection,
        office_id: i64,
    ) -> Result<String, ApiError> {
        let (code, status): (String, String) = offices::table
            .find(office_id)
            .select((offices::code, offices::status))
            .first(conn)
            .found("office")?;
        if status != "active" {
            return Err(
                ApiError::invalid_transition("create a record in", &status, &[])
                    .with_extra("office_id", office_id.into()),
            );
        }
        Ok(code)
    }

    /// An open office named by `office_id` in a request body, for a record of
    /// the company's that one office overrides (an approval policy, a service
    /// level, a working calendar): 422 `not_found` on the field when no such
    /// office exists, 409 when it is closed.
    pub fn open_office_in_body(
        conn: &mut AnyConnection,
        office_id: i64,
    ) -> Result<String, ApiError> {
        require_open_office(conn, office_id).map_err(|e| {
            if e.code == kernel::ErrorCode::NotFound {
                ApiError::invalid_field("office_id", "not_found", "no such office")
            } else {
                e
            }
        })
    }

    /// `Location` header for a created resource.
    pub fn location(path: &str) -> (actix_web::http::header::HeaderName, String) {
        (actix_web::http::header::LOCATION, format!("/api/v1{path}"))
    }
}

pub use common::{office_code, open_office_in_body, require_open_office};
