//! Resolving a bearer token into a `Principal`: the token must verify, the user
//! must exist and be active, and each role assignment valid today becomes a grant
//! whose reach is computed from its scope — company; a region's offices; one
//! office; a department's office.

use std::collections::BTreeSet;

use diesel::prelude::*;
use futures_util::future::LocalBoxFuture;
use kernel::principal::ResolvePrincipal;
use kernel::{ApiError, Grant, Principal, Reach};
use store::schema::{departments, offices, role_assignments as ra, users};
use store::{AnyConnection, Db, DbResultExt};

use crate::common::today;
use crate::roles;
use crate::tokens::{TokenSettings, verify_access};

pub struct DbResolver {
    pub db: Db,
    pub tokens: TokenSettings,
}

impl ResolvePrincipal for DbResolver {
    fn resolve(&self, token: String) -> LocalBoxFuture<'static, Result<Principal, ApiError>> {
        let verified = verify_access(&self.tokens, &token);
        let db = self.db.clone();
        Box::pin(async move {
            let user_id = verified?;
            db.run(move |conn| load_principal(conn, user_id)).await
        })
    }
}

#[derive(Queryable)]
struct AssignmentRow {
    role: String,
    scope_kind: String,
    region_id: Option<i64>,
    office_id: Option<i64>,
    department_id: Option<i64>,
    acting_for_user_id: Option<i64>,
}

/// Loads the user and their grants valid today; 401 for an unknown or inactive user.
pub fn load_principal(conn: &mut AnyConnection, user_id: i64) -> Result<Principal, ApiError> {
    let user: Option<(String, String, bool, Option<i64>)> = users::table
        .find(user_id)
        .select((
            users::username,
            users::display_name,
            users::active,
            users::office_id,
        ))
        .first(conn)
        .optional()
        .api()?;
    let Some((username, display_name, active, office_id)) = user else {
        return Err(ApiError::unauthenticated(
            "the access token's user no longer exists",
        ));
    };
    if !active {
        return Err(ApiError::unauthenticated(
            "this user account is deactivated",
        ));
    }
    let today = today();
    let rows: Vec<AssignmentRow> = ra::table
        .filter(ra::user_id.eq(user_id))
        .filter(ra::ended_at.is_null())
        .filter(ra::valid_from.le(today))
        .filter(ra::valid_to.is_null().or(ra::valid_to.ge(today)))
        .select((
            ra::role,
            ra::scope_kind,
            ra::region_id,
            ra::office_id,
            ra::department_id,
            ra::acting_for_user_id,
        ))
        .order(ra::id.asc())
        .load(conn)
        .api()?;
    let mut grants = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(def) = roles::role(&row.role) else {
            continue;
        };
        let reach = match row.scope_kind.as_str() {
            "company" => Reach::Company,
            "region" => {
                let ids: Vec<i64> = offices::table
                    .filter(offices::region_id.eq(row.region_id.unwrap_or(-1)))
                    .select(offices::id)
                    .load(conn)
                    .api()?;
                Reach::Offices(ids.into_iter().collect())
            }
            "office" => Reach::Offices(row.office_id.into_iter().collect()),
            "department" => {
                let office: Option<i64> = departments::table
                    .find(row.department_id.unwrap_or(-1))
                    .select(departments::office_id)
                    .first(conn)
                    .optional()
                    .api()?;
                Reach::Offices(office.into_iter().collect::<BTreeSet<_>>())
            }
            _ => continue,
        };
        grants.push(Grant {
            role: def.code,
            permissions: def.permissions,
            reach,
            acting_for: row.acting_for_user_id,
        });
    }
    Ok(Principal {
        user_id,
        username,
        display_name,
        office_id,
        grants,
        request_id: None,
    })
}
