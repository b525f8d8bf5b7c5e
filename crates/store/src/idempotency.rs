//! Idempotency records: a POST with `Idempotency-Key` is reserved per caller and
//! key before its work runs, and its response is kept for 24 hours, so a retry gets
//! the first answer instead of doing the work twice. The gateway's middleware
//! drives it; this module only keeps the records.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use kernel::ApiError;

use crate::conn::AnyConnection;
use crate::db::DbResultExt;
use crate::schema::idempotency_keys as ik;

/// How long a key is remembered.
pub const RETENTION: Duration = Duration::hours(24);
/// A reservation older than this whose work never finished (a crashed replica)
/// may be taken over by a retry.
pub const ABANDONED_AFTER: Duration = Duration::minutes(5);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ik)]
pub struct Record {
    pub id: i64,
    pub user_id: i64,
    pub idempotency_key: String,
    pub method: String,
    pub path: String,
    pub request_hash: String,
    pub state: String,
    pub response_status: Option<i32>,
    pub response_headers: Option<String>,
    pub response_body: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// What a reservation found.
#[derive(Debug)]
pub enum Reservation {
    /// The key is new: do the work, then `complete` or `release`.
    Reserved(i64),
    /// The key was used with another request.
    Mismatch,
    /// The first request with this key is still running.
    InProgress,
    /// The first request finished: replay its response.
    Done(Box<Record>),
}

/// Reserves (user, key) for a request whose method, path and body hash to `hash`.
pub fn reserve(
    conn: &mut AnyConnection,
    user_id: i64,
    key: &str,
    method: &str,
    path: &str,
    hash: &str,
) -> Result<Reservation, ApiError> {
    let now = kernel::time::to_db(kernel::time::now());
    crate::db::transaction(conn, |conn| {
        if let Some(rec) = find(conn, user_id, key)? {
            let abandoned = rec.state == "in_progress" && rec.created_at + ABANDONED_AFTER < now;
            if rec.expires_at > now && !abandoned {
                return Ok(classify(&rec, hash));
            }
            diesel::delete(ik::table.find(rec.id)).execute(conn).api()?;
        }
        // Two first requests with one key both find nothing; the unique key lets one
        // insert and makes the other wait for it, then fail. The insert runs in a
        // savepoint so that the loser can read the winner's reservation and answer
        // as a retry would (in progress, a replay, or a mismatch).
        let inserted = crate::db::transaction(conn, |conn| {
            diesel::insert_into(ik::table)
                .values((
                    ik::user_id.eq(user_id),
                    ik::idempotency_key.eq(key),
                    ik::method.eq(method),
                    ik::path.eq(path),
                    ik::request_hash.eq(hash),
                    ik::state.eq("in_progress"),
                    ik::created_at.eq(now),
                    ik::expires_at.eq(now + RETENTION),
                ))
                .returning(ik::id)
                .get_result::<i64>(conn)
                .map_err(Lost::from)
        });
        match inserted {
            Ok(id) => Ok(Reservation::Reserved(id)),
            Err(Lost::Race) => Ok(find(conn, user_id, key)?
                .map_or(Reservation::InProgress, |rec| classify(&rec, hash))),
            Err(Lost::Other(e)) => Err(e),
        }
    })
}

fn find(conn: &mut AnyConnection, user_id: i64, key: &str) -> Result<Option<Record>, ApiError> {
    ik::table
        .filter(ik::user_id.eq(user_id).and(ik::idempotency_key.eq(key)))
        .select(Record::as_select())
        .first(conn)
        .optional()
        .api()
}

fn classify(rec: &Record, hash: &str) -> Reservation {
    if rec.request_hash != hash {
        Reservation::Mismatch
    } else if rec.state == "done" {
        Reservation::Done(Box::new(rec.clone()))
    } else {
        Reservation::InProgress
    }
}

/// Why the reservation insert failed: another request took the key first, or
/// anything else.
enum Lost {
    Race,
    Other(ApiError),
}

impl From<diesel::result::Error> for Lost {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => Lost::Race,
            other => Lost::Other(crate::db::db_error(other)),
        }
    }
}

impl From<ApiError> for Lost {
    fn from(e: ApiError) -> Self {
        Lost::Other(e)
    }
}

/// Stores the response of a reserved request.
pub fn complete(
    conn: &mut AnyConnection,
    id: i64,
    status: u16,
    headers: &str,
    body: &str,
) -> Result<(), ApiError> {
    diesel::update(ik::table.find(id))
        .set((
            ik::state.eq("done"),
            ik::response_status.eq(i32::from(status)),
            ik::response_headers.eq(headers),
            ik::response_body.eq(body),
        ))
        .execute(conn)
        .api()
        .map(drop)
}

/// Forgets a reservation whose work failed on the server, so a retry runs again.
pub fn release(conn: &mut AnyConnection, id: i64) -> Result<(), ApiError> {
    diesel::delete(ik::table.find(id))
        .execute(conn)
        .api()
        .map(drop)
}

/// Removes expired records; returns how many.
pub fn purge_expired(conn: &mut AnyConnection) -> Result<usize, ApiError> {
    let now = kernel::time::to_db(kernel::time::now());
    diesel::delete(ik::table.filter(ik::expires_at.lt(now)))
        .execute(conn)
        .api()
}

/// The request fingerprint: method, path with query, and body.
pub fn request_hash(method: &str, path_and_query: &str, body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update([0]);
    h.update(path_and_query.as_bytes());
    h.update([0]);
    h.update(body);
    hex::encode(h.finalize())
}
