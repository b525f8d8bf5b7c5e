//! The audit trail. Every successful write appends one event in the same
//! transaction as the write: who (and for whom, when acting), what, which record,
//! which office, the changed fields before and after, the request id, and when.
//! There is no update or delete path here, and the database refuses both.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use kernel::{Actor, ApiError};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::conn::AnyConnection;
use crate::db::DbResultExt;
use crate::schema::audit_events;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: i64,
    pub occurred_at: NaiveDateTime,
    pub actor_user_id: Option<i64>,
    pub acting_for_user_id: Option<i64>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: i64,
    pub office_id: Option<i64>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = audit_events)]
struct NewAuditEvent<'a> {
    occurred_at: NaiveDateTime,
    actor_user_id: Option<i64>,
    acting_for_user_id: Option<i64>,
    action: &'a str,
    entity_type: &'a str,
    entity_id: i64,
    office_id: Option<i64>,
    before_json: Option<String>,
    after_json: Option<String>,
    request_id: Option<&'a str>,
}

/// One write to record.
pub struct Change<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: i64,
    pub office_id: Option<i64>,
    /// The record before the write (`None` for a create).
    pub before: Option<Value>,
    /// The record after the write (`None` for a removal).
    pub after: Option<Value>,
}

impl<'a> Change<'a> {
    pub fn new(
        action: &'a str,
        entity_type: &'a str,
        entity_id: i64,
        office_id: Option<i64>,
    ) -> Self {
        Change {
            action,
            entity_type,
            entity_id,
            office_id,
            before: None,
            after: None,
        }
    }

    pub fn before(mut self, value: &impl Serialize) -> Self {
        self.before = as_object(value);
        self
    }

    pub fn after(mut self, value: &impl Serialize) -> Self {
        self.after = as_object(value);
        self
    }
}

/// A side of a change as the trail keeps it: always an object (the audit
/// API promises one), anything else under `value`.
fn as_object(value: &impl Serialize) -> Option<Value> {
    match serde_json::to_value(value).ok()? {
        Value::Null => None,
        v @ Value::Object(_) => Some(v),
        v => Some(serde_json::json!({ "value": v })),
    }
}

/// Keeps only the fields that changed; for a create or removal, the whole side.
/// `version` and `updated_at` change on every write and say nothing: left out.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> (Option<Value>, Option<Value>) {
    const NOISE: [&str; 2] = ["version", "updated_at"];
    match (before, after) {
        (Some(Value::Object(b)), Some(Value::Object(a))) => {
            let mut bo = Map::new();
            let mut ao = Map::new();
            for key in b.keys().chain(a.keys()) {
                if NOISE.contains(&key.as_str()) || bo.contains_key(key) || ao.contains_key(key) {
                    continue;
                }
                let (bv, av) = (b.get(key), a.get(key));
                if bv != av {
                    bo.insert(key.clone(), bv.cloned().unwrap_or(Value::Null));
                    ao.insert(key.clone(), av.cloned().unwrap_or(Value::Null));
                }
            }
            (Some(Value::Object(bo)), Some(Value::Object(ao)))
        }
        (b, a) => (b.cloned(), a.cloned()),
    }
}

/// The office an audited record belongs to, whether its column is nullable or not.
pub trait OfficeOf {
    fn office_of(&self) -> Option<i64>;
}

impl OfficeOf for i64 {
    fn office_of(&self) -> Option<i64> {
        Some(*self)
    }
}

impl OfficeOf for Option<i64> {
    fn office_of(&self) -> Option<i64> {
        *self
    }
}

/// Load before → change → audit, written once: loads the record of `$table` by
/// id as `$row`, runs the optional `guard` (given the connection and the row
/// before) on it, applies `$set` (returning the
/// row as it is after), and records `$action` on `$entity` with both sides, in
/// the caller's transaction. Yields `Result<$row>` (the row after). Every status
/// change an approval decides goes through it (the `ApprovalDocument::set_status`
/// of each document type).
#[macro_export]
macro_rules! update_audited {
    ($conn:expr, $actor:expr, $action:expr, $entity:literal, $table:ident, $row:ty, $id:expr, $set:expr $(, guard = $guard:expr)?) => {{
        (|| -> Result<$row, kernel::ApiError> {
            let before: $row = $crate::DbResultExt::found(
                $table::table
                    .find($id)
                    .select(<$row>::as_select())
                    .first($conn),
                $entity,
            )?;
            $( ($guard)(&mut *$conn, &before)?; )?
            let after: $row = $crate::DbResultExt::api(
                diesel::update($table::table.find($id))
                    .set($set)
                    .returning($table::all_columns)
                    .get_result($conn),
            )?;
            $crate::audit::record(
                $conn,
                $actor,
                $crate::audit::Change::new(
                    $action,
                    $entity,
                    $id,
                    $crate::audit::OfficeOf::office_of(&after.office_id),
                )
                .before(&before)
                .after(&after),
            )?;
            Ok(after)
        })()
    }};
}

/// Appends one event. Call it inside the write's transaction.
pub fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    change: Change<'_>,
) -> Result<i64, ApiError> {
    if crate::epoch::PRINCIPAL_ENTITIES.contains(&change.entity_type) {
        crate::epoch::touched();
    }
    let (before, after) = diff(change.before.as_ref(), change.after.as_ref());
    diesel::insert_into(audit_events::table)
        .values(NewAuditEvent {
            occurred_at: kernel::time::to_db(kernel::time::now()),
            actor_user_id: actor.user_id,
            acting_for_user_id: actor.acting_for,
            action: change.action,
            entity_type: change.entity_type,
            entity_id: change.entity_id,
            office_id: change.office_id,
            before_json: before.map(|v| v.to_string()),
            after_json: after.map(|v| v.to_string()),
            request_id: actor.request_id.as_deref(),
        })
        .returning(audit_events::id)
        .get_result(conn)
        .api()
}

/// Filters for reading the trail.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub office_id: Option<i64>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    /// The caller's reach: company-wide sees every office and company-level
    /// events; otherwise these offices' events only.
    pub reach: kernel::Reach,
}

/// Newest first, scoped in the query; `req.after` is the last id already seen.
pub fn list(
    conn: &mut AnyConnection,
    f: &AuditFilter,
    req: &kernel::PageRequest<i64>,
) -> Result<Vec<AuditEvent>, ApiError> {
    crate::list_scoped!(conn, f.reach, audit_events, AuditEvent, req, desc, |q| {
        if let Some(v) = &f.entity_type {
            q = q.filter(audit_events::entity_type.eq(v.clone()));
        }
        if let Some(v) = f.entity_id {
            q = q.filter(audit_events::entity_id.eq(v));
        }
        if let Some(v) = f.actor_user_id {
            q = q.filter(audit_events::actor_user_id.eq(v));
        }
        if let Some(v) = f.office_id {
            q = q.filter(audit_events::office_id.eq(v));
        }
        if let Some(v) = f.from {
            q = q.filter(audit_events::occurred_at.ge(v));
        }
        if let Some(v) = f.to {
            q = q.filter(audit_events::occurred_at.lt(v));
        }
        q
    })
}

/// Changes the row `$before` of `$table` (as read, at its `version`) with
/// `$set`, setting `updated_at` to `$now` and bumping `version` — only if no
/// one changed it since: else 409 `version_conflict`. Yields `Result<$row>`;
/// the caller has `diesel::prelude::*` in scope. The one way an action writes
/// a record it read under `If-Match`; the caller records the audit event with
/// both sides.
#[macro_export]
macro_rules! update_versioned {
    ($conn:expr, $table:ident, $row:ty, $before:expr, $now:expr, $set:expr) => {{
        let read_version: i64 = $before.version;
        $crate::DbResultExt::api(
            diesel::update(
                $table::table
                    .find($before.id)
                    .filter($table::version.eq(read_version)),
            )
            .set((
                $set,
                $table::updated_at.eq($now),
                $table::version.eq($table::version + 1),
            ))
            .returning($table::all_columns)
            .get_result::<$row>($conn)
            .optional(),
        )
        .and_then(|row: Option<$row>| {
            row.ok_or_else(|| kernel::concurrency::version_conflict(read_version + 1))
        })
    }};
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_keeps_changed_fields_only() {
        let (b, a) = diff(
            Some(&json!({"name": "A", "code": "GZ01", "version": 1})),
            Some(&json!({"name": "B", "code": "GZ01", "version": 2})),
        );
        assert_eq!(b, Some(json!({"name": "A"})));
        assert_eq!(a, Some(json!({"name": "B"})));
        let (b, a) = diff(None, Some(&json!({"name": "A"})));
        assert_eq!((b, a), (None, Some(json!({"name": "A"}))));
    }

    #[test]
    fn a_side_is_always_an_object() {
        let c = Change::new("create", "x", 1, None)
            .before(&json!([1, 2]))
            .after(&json!({"a": 1}));
        assert_eq!(c.before, Some(json!({"value": [1, 2]})));
        assert_eq!(c.after, Some(json!({"a": 1})));
        assert_eq!(
            Change::new("x", "y", 1, None).after(&Value::Null).after,
            None
        );
    }
}
