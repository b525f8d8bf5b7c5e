//! Notifications, written once: what a person is told the system did for them
//! to act on — a request escalated to them, later a risk warning they own. A
//! notice is written in the transaction of the change it announces, so it
//! exists exactly when the change does; its addressee reads it and marks it
//! read (`/api/v1/me/notifications`).

use diesel::prelude::*;
use kernel::ApiError;

use crate::conn::AnyConnection;
use crate::db::DbResultExt;
use crate::schema::notifications as n;

/// What the addressees are told, about which record.
#[derive(Debug, Clone)]
pub struct Notice<'a> {
    /// A stable machine word: `service_request_escalated`, …
    pub kind: &'a str,
    pub entity_type: &'a str,
    pub entity_id: i64,
    /// The record's office, when it has one.
    pub office_id: Option<i64>,
    pub title: String,
    pub body: Option<String>,
}

/// Tells each of `users` (duplicates once) in the caller's transaction.
/// Returns how many were told.
pub fn send(
    conn: &mut AnyConnection,
    users: &[i64],
    notice: &Notice<'_>,
) -> Result<usize, ApiError> {
    let mut users = users.to_vec();
    users.sort_unstable();
    users.dedup();
    let now = kernel::time::now_db();
    for user in &users {
        diesel::insert_into(n::table)
            .values((
                n::user_id.eq(user),
                n::office_id.eq(notice.office_id),
                n::kind.eq(notice.kind),
                n::entity_type.eq(notice.entity_type),
                n::entity_id.eq(notice.entity_id),
                n::title.eq(&notice.title),
                n::body.eq(notice.body.as_deref()),
                n::created_at.eq(now),
            ))
            .execute(conn)
            .api()?;
    }
    Ok(users.len())
}
