//! Storage for every domain: one diesel code path over SQLite (the embedded
//! default) and PostgreSQL (production). It owns the portable schema, the
//! connection type and pool, embedded migrations for both backends, and the
//! transaction helper every unit of work runs in. It knows nothing of HTTP
//! handlers; it speaks `kernel::ApiError` so services can use `?` throughout.

pub mod audit;
pub mod conn;
pub mod db;
pub mod docnum;
pub mod epoch;
pub mod idempotency;
pub mod json_text;
pub mod migrate;
pub mod notify;
pub mod pool;
pub mod schema;
pub mod scoped;
pub mod search;

pub use conn::{AnyConnection, Backend, DatabaseUrl, MultiBackend};
pub use db::{Db, DbResultExt, db_error, transaction};
pub use json_text::JsonText;
pub use pool::{ConnectError, PoolOptions};
