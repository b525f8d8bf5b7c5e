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

/// Reserves `key` for `user_id`, or says what an earlier request with it did.
/// The common case — a new key — is one statement, `INSERT … ON CONFLICT DO
/// NOTHING RETURNING id`, outside any transaction. Only when the key exists is
/// the earlier record read: replayed, refused, or (expired, or abandoned by a
/// process that died) taken over in a transaction.
pub fn reserve(
    conn: &mut AnyConnection,
    user_id: i64,
    key: &str,
    method: &str,
    path: &str,
    hash: &str,
) -> Result<Reservation, ApiError> {
    let now = kernel::time::to_db(kernel::time::now());
    if let Some(id) = insert_new(conn, user_id, key, method, path, hash, now)? {
        return Ok(Reservation::Reserved(id));
    }
    crate::db::transaction(conn, |conn| {
        if let Some(rec) = find(conn, user_id, key)? {
            let abandoned = rec.state == "in_progress" && rec.created_at + ABANDONED_AFTER < now;
            if rec.expires_at > now && !abandoned {
                return Ok(classify(&rec, hash));
            }
            diesel::delete(ik::table.find(rec.id)).execute(conn).api()?;
        }
        Ok(insert_new(conn, user_id, key, method, path, hash, now)?
            .map_or(Reservation::InProgress, Reservation::Reserved))
    })
}

#[derive(QueryableByName)]
struct NewId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// The reservation row, unless (user, key) exists: `None` then, whoever won.
/// Spelt per backend only for the placeholders.
fn insert_new(
    conn: &mut AnyConnection,
    user_id: i64,
    key: &str,
    method: &str,
    path: &str,
    hash: &str,
    now: NaiveDateTime,
) -> Result<Option<i64>, ApiError> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    const SQL: &str = "INSERT INTO idempotency_keys \
         (user_id, idempotency_key, method, path, request_hash, state, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, 'in_progress', $6, $7) \
         ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING id";
    macro_rules! run {
        ($conn:expr, $sql:expr) => {
            diesel::sql_query($sql)
                .bind::<BigInt, _>(user_id)
                .bind::<Text, _>(key)
                .bind::<Text, _>(method)
                .bind::<Text, _>(path)
                .bind::<Text, _>(hash)
                .bind::<Timestamp, _>(now)
                .bind::<Timestamp, _>(now + RETENTION)
                .get_results::<NewId>($conn)
        };
    }
    let rows = match conn {
        AnyConnection::Postgresql(pg) => run!(pg, SQL),
        AnyConnection::Sqlite(lite) => run!(lite, SQL.replace('$', "?")),
    }
    .api()?;
    Ok(rows.first().map(|r| r.id))
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
