//! Idempotency records: a POST with `Idempotency-Key` is reserved per caller and
//! key before its work runs, and its response is kept for 24 hours, so a retry gets
//! the first answer instead of doing the work twice.
//!
//! The gateway's middleware opens a [`Slot`] for the request; the request's first
//! database hop takes it ([`crate::Db::tx`], [`crate::Db::run`]). In a transaction
//! the reservation is the transaction's first statement, so it commits or rolls
//! back with the work and the audit row: a visible reservation made that way
//! (`committed`) means the work is done. A hop outside a transaction reserves in
//! a statement of its own first (`in_progress`), as any reservation did before.
//! When the key is already taken, the hop does no work and the slot holds what
//! the earlier request did, for the middleware to answer with.

use std::sync::{Arc, Mutex};

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
    /// The first request's work was committed, but the process stopped before
    /// its response was kept: it cannot be replayed, and must not run again.
    Lost,
}

/// A reservation's state: taken before the work in a statement of its own.
pub const IN_PROGRESS: &str = "in_progress";
/// A reservation's state: taken in the work's own transaction, so the work is
/// committed; the response is being stored.
pub const COMMITTED: &str = "committed";
/// A reservation's state: the response is kept.
pub const DONE: &str = "done";

/// What identifies a request for its key.
#[derive(Debug, Clone)]
pub struct Request {
    pub user_id: i64,
    pub key: String,
    pub method: String,
    pub path: String,
    pub hash: String,
}

/// Where a request's key stands, as its database hops see it.
#[derive(Debug)]
pub enum SlotState {
    /// Not reserved yet: the next hop reserves it.
    Pending,
    /// A hop is reserving it now; others in the same request go on without.
    Claiming,
    /// Reserved: row `id`, in the work's own transaction when `with_work`.
    Reserved { id: i64, with_work: bool },
    /// Taken by an earlier request: no work was done.
    Found(Reservation),
}

/// The idempotency key of the request being served, shared between the
/// gateway's middleware and the request's database hops.
#[derive(Debug, Clone)]
pub struct Slot {
    request: Arc<Request>,
    state: Arc<Mutex<SlotState>>,
}

tokio::task_local! {
    static SLOT: Slot;
}

/// What a hop is to do with the slot.
pub(crate) enum Claim {
    /// No key, or reserved already: the hop does its work as it is.
    None,
    /// Reserve this request first.
    Reserve(Slot),
}

impl Slot {
    pub fn new(request: Request) -> Slot {
        Slot {
            request: Arc::new(request),
            state: Arc::new(Mutex::new(SlotState::Pending)),
        }
    }

    /// Runs `fut` (the request's handler) with this slot as the current one.
    pub async fn scope<F: std::future::Future>(self, fut: F) -> F::Output {
        SLOT.scope(self, fut).await
    }

    pub fn request(&self) -> &Request {
        &self.request
    }

    /// Takes the state out, leaving `Pending`: what the middleware reads after
    /// the handler.
    pub fn take(&self) -> SlotState {
        std::mem::replace(&mut *self.lock(), SlotState::Pending)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What the next hop of the current request does about its key. A key an
    /// earlier request holds stops the hop before any work.
    pub(crate) fn claim() -> Result<Claim, ApiError> {
        let Ok(slot) = SLOT.try_with(Slot::clone) else {
            return Ok(Claim::None);
        };
        let mut state = slot.lock();
        match &*state {
            SlotState::Pending => {
                *state = SlotState::Claiming;
                drop(state);
                Ok(Claim::Reserve(slot))
            }
            SlotState::Found(_) => Err(taken()),
            SlotState::Claiming | SlotState::Reserved { .. } => Ok(Claim::None),
        }
    }

    /// Records what the hop that claimed the slot found; `None` when its
    /// transaction rolled back (the reservation went with it).
    pub(crate) fn settle(&self, outcome: Option<Reservation>, with_work: bool) {
        *self.lock() = match outcome {
            None => SlotState::Pending,
            Some(Reservation::Reserved(id)) => SlotState::Reserved { id, with_work },
            Some(found) => SlotState::Found(found),
        };
    }
}

/// The error a hop stops with when the key is taken; the middleware answers
/// from the slot instead.
pub(crate) fn taken() -> ApiError {
    ApiError::new(
        kernel::ErrorCode::IdempotencyInProgress,
        "a request with this Idempotency-Key was made before",
    )
}

/// Reserves the slot's request inside the caller's transaction (the work's own):
/// `Err` with the slot settled as found when the key is taken, so the work does
/// not run. Used by [`crate::Db::tx`].
pub(crate) fn reserve_with_work(
    conn: &mut AnyConnection,
    slot: &Slot,
    found: &mut Option<Reservation>,
) -> Result<i64, ApiError> {
    let r = slot.request();
    match reserve_as(conn, r, COMMITTED)? {
        Reservation::Reserved(id) => Ok(id),
        other => {
            *found = Some(other);
            Err(taken())
        }
    }
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
    let request = Request {
        user_id,
        key: key.into(),
        method: method.into(),
        path: path.into(),
        hash: hash.into(),
    };
    reserve_as(conn, &request, IN_PROGRESS)
}

/// [`reserve`], the new row in `state`. A `committed` row (taken inside the
/// work's transaction) is never taken over: its work is done.
fn reserve_as(conn: &mut AnyConnection, r: &Request, state: &str) -> Result<Reservation, ApiError> {
    let now = kernel::time::to_db(kernel::time::now());
    if let Some(id) = insert_new(conn, r, state, now)? {
        return Ok(Reservation::Reserved(id));
    }
    crate::db::transaction(conn, |conn| {
        if let Some(rec) = find(conn, r.user_id, &r.key)? {
            let stale = rec.created_at + ABANDONED_AFTER < now;
            let abandoned = rec.state == IN_PROGRESS && stale;
            if rec.expires_at > now && !abandoned {
                return Ok(classify(&rec, &r.hash, stale));
            }
            diesel::delete(ik::table.find(rec.id)).execute(conn).api()?;
        }
        Ok(insert_new(conn, r, state, now)?.map_or(Reservation::InProgress, Reservation::Reserved))
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
    r: &Request,
    state: &str,
    now: NaiveDateTime,
) -> Result<Option<i64>, ApiError> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    const SQL: &str = "INSERT INTO idempotency_keys \
         (user_id, idempotency_key, method, path, request_hash, state, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING id";
    macro_rules! run {
        ($conn:expr, $sql:expr) => {
            diesel::sql_query($sql)
                .bind::<BigInt, _>(r.user_id)
                .bind::<Text, _>(&r.key)
                .bind::<Text, _>(&r.method)
                .bind::<Text, _>(&r.path)
                .bind::<Text, _>(&r.hash)
                .bind::<Text, _>(state)
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

fn classify(rec: &Record, hash: &str, stale: bool) -> Reservation {
    if rec.request_hash != hash {
        Reservation::Mismatch
    } else if rec.state == DONE {
        Reservation::Done(Box::new(rec.clone()))
    } else if rec.state == COMMITTED && stale {
        Reservation::Lost
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
            ik::state.eq(DONE),
            ik::response_status.eq(i32::from(status)),
            ik::response_headers.eq(headers),
            ik::response_body.eq(body),
        ))
        .execute(conn)
        .api()
        .map(drop)
}

/// Keeps the answer to a request that reserved nothing (its work never reached
/// the database, or its transaction rolled back), so a retry gets it too. When
/// the key is taken after all, returns what the earlier request did: that, not
/// this request's answer (it did no work), is what the caller is to get.
pub fn record_done(
    conn: &mut AnyConnection,
    r: &Request,
    status: u16,
    headers: &str,
    body: &str,
) -> Result<Option<Reservation>, ApiError> {
    crate::db::transaction(conn, |conn| match reserve_as(conn, r, DONE)? {
        Reservation::Reserved(id) => complete(conn, id, status, headers, body).map(|()| None),
        found => Ok(Some(found)),
    })
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
