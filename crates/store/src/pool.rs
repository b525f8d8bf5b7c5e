//! The connection pool: r2d2 over a manager that connects by the URL's scheme.
//!
//! Connecting is checked once, directly, before the pool is built, so a bad or
//! unreachable database fails start-up within seconds with libpq's or SQLite's
//! own message, instead of a pool time-out that hides the cause.
//!
//! A connection is checked (`SELECT 1`) when it is taken from the pool only if
//! it has not proved alive within [`TRUSTED_FOR`]: a connection the previous
//! request used without a connection error is handed out as it is. Checking
//! every one cost a round trip per request, as much as a primary-key read. A
//! connection whose work ended in a connection error is dropped when it is
//! returned, and every other connection is checked again before its next use,
//! so an outage costs each client at most one failed request per pooled
//! connection that had just worked, never a stream of them.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};

use crate::conn::{AnyConnection, DatabaseUrl};

/// Every SQLite connection: foreign keys enforced, WAL so readers never block the
/// writer, and a busy timeout so concurrent writers queue instead of failing.
const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 15000; \
     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";

/// Seconds libpq waits for a TCP connection before giving up.
const PG_CONNECT_TIMEOUT_SECS: u64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot connect to {url}: {source}")]
    Connect {
        url: String,
        source: diesel::ConnectionError,
    },
    #[error("cannot prepare {url}: {source}")]
    Setup {
        url: String,
        source: diesel::result::Error,
    },
    #[error("cannot create the directory for {url}: {source}")]
    Directory { url: String, source: std::io::Error },
    #[error("connection check failed: {0}")]
    Check(diesel::result::Error),
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// How long a connection that worked is handed out without a check.
pub const TRUSTED_FOR: Duration = Duration::from_secs(1);

/// A pooled connection, with when it last proved alive and whether its last
/// work ended in a connection error.
pub struct Checked {
    conn: AnyConnection,
    alive_at: Instant,
    broken: bool,
    /// The pool's last connection error, shared by its connections.
    failed_at: Arc<Mutex<Option<Instant>>>,
}

impl Checked {
    /// What a piece of work on this connection ended with: a connection error
    /// (`database_unavailable`) has it dropped on return and every other
    /// connection checked before its next use; anything else (a result, a
    /// constraint violation) proves it alive.
    pub fn settle(&mut self, unavailable: bool) {
        if unavailable {
            self.broken = true;
            *self.failed_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        } else {
            self.alive_at = Instant::now();
        }
    }

    /// Proved alive recently, and since the pool's last connection error.
    fn trusted(&self) -> bool {
        let failed_at = *self.failed_at.lock().unwrap_or_else(|e| e.into_inner());
        self.alive_at.elapsed() < TRUSTED_FOR && failed_at.is_none_or(|f| self.alive_at > f)
    }
}

impl Deref for Checked {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl DerefMut for Checked {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
    failed_at: Arc<Mutex<Option<Instant>>>,
}

impl Manager {
    pub fn new(url: DatabaseUrl) -> Self {
        Manager {
            url,
            failed_at: Arc::default(),
        }
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Opens one connection the way the pool does.
    pub fn open(&self) -> Result<AnyConnection, ConnectError> {
        match &self.url {
            DatabaseUrl::Postgres(raw) => {
                let url = with_connect_timeout(raw);
                PgConnection::establish(&url)
                    .map(AnyConnection::Postgresql)
                    .map_err(|source| ConnectError::Connect {
                        url: self.url.redacted(),
                        source,
                    })
            }
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|source| ConnectError::Directory {
                        url: self.url.redacted(),
                        source,
                    })?;
                }
                let path_str = path.to_string_lossy();
                let mut conn = SqliteConnection::establish(&path_str).map_err(|source| {
                    ConnectError::Connect {
                        url: self.url.redacted(),
                        source,
                    }
                })?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(|source| ConnectError::Setup {
                        url: self.url.redacted(),
                        source,
                    })?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }
}

/// Adds libpq's `connect_timeout` unless the URL sets one.
fn with_connect_timeout(url: &str) -> String {
    if url.contains("connect_timeout=") {
        return url.to_owned();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}connect_timeout={PG_CONNECT_TIMEOUT_SECS}")
}

impl r2d2::ManageConnection for Manager {
    type Connection = Checked;
    type Error = ConnectError;

    fn connect(&self) -> Result<Checked, ConnectError> {
        Ok(Checked {
            conn: self.open()?,
            alive_at: Instant::now(),
            broken: false,
            failed_at: self.failed_at.clone(),
        })
    }

    fn is_valid(&self, conn: &mut Checked) -> Result<(), ConnectError> {
        if conn.trusted() {
            return Ok(());
        }
        conn.conn
            .batch_execute("SELECT 1")
            .map_err(ConnectError::Check)?;
        conn.alive_at = Instant::now();
        Ok(())
    }

    fn has_broken(&self, conn: &mut Checked) -> bool {
        conn.broken
    }
}

#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    /// How long a request waits for a connection before answering 503.
    pub checkout_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 10,
            checkout_timeout: Duration::from_secs(5),
        }
    }
}

/// Connects once (failing fast with the real cause), then builds the pool.
pub fn connect(url: DatabaseUrl, opts: &PoolOptions) -> Result<Pool, ConnectError> {
    let manager = Manager::new(url);
    let first = manager.open()?;
    drop(first);
    let pool = r2d2::Pool::builder()
        .max_size(opts.max_size)
        .min_idle(Some(0))
        .connection_timeout(opts.checkout_timeout)
        .test_on_check_out(true)
        .error_handler(Box::new(LogErrors))
        .build_unchecked(manager);
    Ok(pool)
}

/// r2d2 reports connection failures here; they go to the log, never to clients.
#[derive(Debug)]
struct LogErrors;

impl r2d2::HandleError<ConnectError> for LogErrors {
    fn handle_error(&self, error: ConnectError) {
        tracing::warn!(error = %error, "database connection failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_that_just_worked_is_trusted_until_one_fails() {
        use r2d2::ManageConnection;
        let dir = std::env::temp_dir().join(format!("branchline-pool-{}", std::process::id()));
        let url = DatabaseUrl::parse(&format!("sqlite://{}", dir.join("t.db").display())).unwrap();
        let manager = Manager::new(url);
        let (mut a, mut b) = (manager.connect().unwrap(), manager.connect().unwrap());
        a.settle(false);
        b.settle(false);
        assert!(a.trusted() && b.trusted());
        assert!(manager.is_valid(&mut a).is_ok());
        // A connection error on one: it is dropped, the other is checked again.
        b.settle(true);
        assert!(manager.has_broken(&mut b));
        assert!(!manager.has_broken(&mut a));
        assert!(!a.trusted());
        // The check succeeds and trusts it again.
        assert!(manager.is_valid(&mut a).is_ok());
        assert!(a.trusted());
        // Idle past the window: checked again.
        a.alive_at = Instant::now() - TRUSTED_FOR;
        assert!(!a.trusted());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn connect_timeout_is_added_once() {
        assert_eq!(
            with_connect_timeout("postgres://h/db"),
            "postgres://h/db?connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?a=b"),
            "postgres://h/db?a=b&connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?connect_timeout=1"),
            "postgres://h/db?connect_timeout=1"
        );
    }
}
