//! Running database work from async handlers: a unit of work is one closure, run on
//! actix's blocking pool, inside one transaction. Diesel errors become API errors
//! here, in one place: a missing row is 404, a unique violation 409, a lost or
//! unreachable database 503, anything else a logged 500.

use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use kernel::{ApiError, ErrorCode};

use crate::conn::{AnyConnection, Backend, DatabaseUrl};
use crate::epoch::Epoch;
use crate::idempotency::{self, Claim, Reservation, Slot};
use crate::pool::{ConnectError, Pool, PoolOptions, connect};

/// The application's handle on its database.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    url: DatabaseUrl,
    epoch: Epoch,
}

impl Db {
    pub fn connect(url: DatabaseUrl, opts: &PoolOptions) -> Result<Db, ConnectError> {
        let pool = connect(url.clone(), opts)?;
        Ok(Db {
            pool,
            url,
            epoch: Epoch::default(),
        })
    }

    /// The principal epoch as this process last saw it (see [`crate::epoch`]).
    pub fn epoch(&self) -> &Epoch {
        &self.epoch
    }

    /// Reads the principal epoch from the database into [`Db::epoch`]: what a
    /// process runs every [`crate::epoch::WATCH_INTERVAL`] to learn of other
    /// processes' changes.
    pub async fn refresh_epoch(&self) -> Result<i64, ApiError> {
        let epoch = self.epoch.clone();
        self.run(move |conn| {
            let generation = crate::epoch::read(conn)?;
            epoch.observe(generation);
            Ok(generation)
        })
        .await
    }

    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Readiness: a connection can be had within `wait`, answers a query, the
    /// SQLite file is still where it was opened (a deleted or unmounted file
    /// leaves open connections writing to nowhere), and no migration is pending.
    pub async fn check_ready(&self, wait: std::time::Duration) -> Result<(), ApiError> {
        let pool = self.pool.clone();
        let file = self.url.sqlite_path().map(std::path::Path::to_path_buf);
        actix_web::web::block(move || {
            if let Some(path) = &file {
                std::fs::metadata(path).map_err(|e| {
                    ApiError::unavailable(e).with_extra("check", "database_file".into())
                })?;
            }
            let mut conn = pool.get_timeout(wait).map_err(ApiError::unavailable)?;
            let checked =
                diesel::connection::SimpleConnection::batch_execute(&mut **conn, "SELECT 1");
            conn.settle(checked.is_err());
            checked.map_err(ApiError::unavailable)?;
            let pending =
                crate::migrate::pending_count(&mut conn).map_err(ApiError::unavailable)?;
            if pending > 0 {
                return Err(ApiError::new(
                    ErrorCode::NotReady,
                    format!("{pending} migrations are not applied"),
                )
                .with_retry_after(5));
            }
            Ok(())
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// Runs `f` with a connection on the blocking pool, keeping the caller's span.
    /// When `f` is the first hop of a request with `Idempotency-Key`, the key is
    /// reserved in a statement of its own before `f` runs (see
    /// [`crate::idempotency`]); a key already taken stops it before any work.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let Claim::Reserve(slot) = Slot::claim()? else {
            return self.hop(f).await;
        };
        let claimed = slot.clone();
        let outcome = self
            .hop(move |conn| {
                let r = claimed.request();
                match idempotency::reserve(conn, r.user_id, &r.key, &r.method, &r.path, &r.hash)? {
                    Reservation::Reserved(id) => Ok((Reservation::Reserved(id), Some(f(conn)))),
                    found => Ok((found, None)),
                }
            })
            .await;
        match outcome {
            Err(e) => {
                slot.settle(None, false);
                Err(e)
            }
            Ok((found, result)) => {
                slot.settle(Some(found), false);
                result.unwrap_or_else(|| Err(idempotency::taken()))
            }
        }
    }

    /// One closure on the blocking pool, with a pooled connection.
    async fn hop<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _guard = span.enter();
            let mut conn = pool.get().map_err(ApiError::unavailable)?;
            let result = f(&mut conn);
            conn.settle(matches!(&result, Err(e) if e.code == ErrorCode::DatabaseUnavailable));
            result
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// Runs `f` inside one write transaction: committed when it returns `Ok`,
    /// rolled back when it returns `Err`. When it is the first hop of a request
    /// with `Idempotency-Key`, the key is reserved as the transaction's first
    /// statement, so the reservation, the work and its audit row commit
    /// together (see [`crate::idempotency`]). When it changed who may do what
    /// (see [`crate::epoch`]) it reads the principal epoch before committing, so
    /// this process sees the change as soon as the transaction has committed.
    pub async fn tx<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let epoch = self.epoch.clone();
        let slot = match Slot::claim()? {
            Claim::Reserve(slot) => Some(slot),
            Claim::None => None,
        };
        let claimed = slot.clone();
        let outcome = self
            .hop(move |conn| {
                crate::epoch::take_touched();
                let mut found = None;
                let result = transaction(conn, |conn| {
                    if let Some(slot) = &claimed {
                        let id = idempotency::reserve_with_work(conn, slot, &mut found)?;
                        found = Some(Reservation::Reserved(id));
                    }
                    let value = f(conn)?;
                    let generation = if crate::epoch::take_touched() {
                        Some(crate::epoch::read(conn)?)
                    } else {
                        None
                    };
                    Ok::<_, ApiError>((value, generation))
                });
                let value = result.map(|(value, generation)| {
                    if let Some(generation) = generation {
                        epoch.observe(generation);
                    }
                    value
                });
                // A reservation that rolled back with the work is no reservation.
                if value.is_err() && matches!(found, Some(Reservation::Reserved(_))) {
                    found = None;
                }
                Ok((found, value))
            })
            .await;
        match (slot, outcome) {
            (None, outcome) => outcome.and_then(|(_, value)| value),
            (Some(slot), Err(e)) => {
                slot.settle(None, true);
                Err(e)
            }
            (Some(slot), Ok((found, value))) => {
                slot.settle(found, true);
                value
            }
        }
    }
}

type MultiTm = <AnyConnection as Connection>::TransactionManager;

/// A write transaction. On SQLite the outermost one starts with `BEGIN IMMEDIATE`,
/// taking the write lock up front: a deferred transaction that reads and then
/// writes can fail with SQLITE_BUSY at once when another writer got in between,
/// where an immediate one waits its turn under the busy timeout. Nested calls
/// become savepoints, through diesel's own transaction manager.
pub fn transaction<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<ApiError>,
{
    let depth = MultiTm::transaction_manager_status_mut(conn)
        .transaction_depth()
        .map_err(db_error)?
        .map_or(0, |d| d.get());
    match conn {
        AnyConnection::Sqlite(lite) if depth == 0 => {
            AnsiTransactionManager::begin_transaction_sql(lite, "BEGIN IMMEDIATE")
                .map_err(db_error)?
        }
        _ => MultiTm::begin_transaction(conn).map_err(db_error)?,
    }
    match f(conn) {
        Ok(value) => {
            MultiTm::commit_transaction(conn).map_err(db_error)?;
            Ok(value)
        }
        Err(err) => {
            if let Err(rollback) = MultiTm::rollback_transaction(conn) {
                tracing::error!(error = %rollback, "rollback failed");
            }
            Err(err)
        }
    }
}

/// Maps a diesel error to what the client should see.
pub fn db_error(err: DieselError) -> ApiError {
    match &err {
        DieselError::NotFound => ApiError::new(ErrorCode::NotFound, "record not found"),
        // The constraint's name is an internal detail: it goes to the log with the
        // cause, never to the client.
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => ApiError::new(
            ErrorCode::Duplicate,
            "a record with the same unique key already exists",
        )
        .with_cause(err),
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => ApiError::new(
            ErrorCode::ValidationFailed,
            "a referenced record does not exist",
        )
        .with_cause(err),
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => ApiError::new(
            ErrorCode::Conflict,
            "a concurrent change won; retry the request",
        )
        .with_cause(err)
        .with_retry_after(1),
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
        | DieselError::BrokenTransactionManager => ApiError::unavailable(err),
        // Raised by the open-office triggers (migration 000017): a closed office
        // takes no new records, whatever code path tried to write one.
        DieselError::DatabaseError(_, info) if info.message().contains("office_closed") => {
            office_closed().with_cause(err)
        }
        DieselError::DatabaseError(_, info) if is_busy(info.message()) => {
            ApiError::unavailable(err)
        }
        _ => ApiError::internal(err),
    }
}

/// The answer to a write into an office that is not active.
pub fn office_closed() -> ApiError {
    let mut e = ApiError::invalid_transition("create a record in", "closed", &[]);
    e.detail = "the office is closed: it takes no new records".into();
    e
}

fn is_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database is busy")
}

/// `.api()` on a diesel result: the error mapped by [`db_error`].
pub trait DbResultExt<T> {
    fn api(self) -> Result<T, ApiError>;
    /// Like `api`, with a 404 that names the record.
    fn found(self, what: &str) -> Result<T, ApiError>;
}

impl<T> DbResultExt<T> for Result<T, DieselError> {
    fn api(self) -> Result<T, ApiError> {
        self.map_err(db_error)
    }

    fn found(self, what: &str) -> Result<T, ApiError> {
        self.map_err(|e| match e {
            DieselError::NotFound => ApiError::not_found(what),
            other => db_error(other),
        })
    }
}

/// Runs one hand-written statement with `$1, $2…` placeholders on either
/// backend (SQLite reads them as `?1, ?2…`), binding the values in order, and
/// loads its rows (`QueryableByName`): the one way a report's SQL runs.
///
/// ```ignore
/// let rows: Vec<Row> = store::load_sql!(conn, sql, Row, BigInt => office, Date => from)?;
/// ```
#[macro_export]
macro_rules! load_sql {
    ($conn:expr, $sql:expr, $row:ty $(, $t:ty => $v:expr)*) => {{
        let sql: String = $sql;
        let rows: Result<Vec<$row>, diesel::result::Error> = match $conn {
            $crate::AnyConnection::Postgresql(c) => {
                diesel::RunQueryDsl::load(diesel::sql_query(sql)$(.bind::<$t, _>($v))*, c)
            }
            $crate::AnyConnection::Sqlite(c) => diesel::RunQueryDsl::load(
                diesel::sql_query(sql.replace('$', "?"))$(.bind::<$t, _>($v))*,
                c,
            ),
        };
        $crate::DbResultExt::api(rows)
    }};
}
