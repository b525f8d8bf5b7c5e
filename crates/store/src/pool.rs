//! The connection pool: r2d2 over a manager that connects by the URL's scheme.
//!
//! Connecting is checked once, directly, before the pool is built, so a bad or
//! unreachable database fails start-up within seconds with libpq's or SQLite's
//! own message, instead of a pool time-out that hides the cause.

use std::time::Duration;

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

#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
}

impl Manager {
    pub fn new(url: DatabaseUrl) -> Self {
        Manager { url }
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
    type Connection = AnyConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<AnyConnection, ConnectError> {
        self.open()
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), ConnectError> {
        conn.batch_execute("SELECT 1").map_err(ConnectError::Check)
    }

    fn has_broken(&self, _conn: &mut AnyConnection) -> bool {
        false
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
