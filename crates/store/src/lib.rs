//! Storage for every domain: one diesel code path over SQLite (the embedded
//! default) and PostgreSQL (production). It owns the portable schema, the
//! connection type and pool, embedded migrations for both backends, and the
//! transaction helper every unit of work runs in. It knows nothing of HTTP
//! handlers; it speaks `kernel::ApiError` so services can use `?` throughout.

pub mod audit;
pub mod conn;
pub mod db;
pub mod docnum;
pub mod idempotency;
pub mod migrate;
pub mod pool;
pub mod schema;

pub use conn::{AnyConnection, Backend, DatabaseUrl, MultiBackend};
pub use db::{Db, DbResultExt, db_error, transaction};
pub use pool::{ConnectError, PoolOptions};

/// Loads one record of `$table` by id within the caller's reach for `$perm`:
/// the scope is in the query, and a record outside it is 404 like a missing
/// one. Yields `(row, authority)`; the caller has `diesel::prelude::*` in scope.
#[macro_export]
macro_rules! load_scoped {
    ($conn:expr, $p:expr, $perm:expr, $table:ident, $row:ty, $id:expr, $what:literal) => {{
        $p.require($perm)?;
        let mut query = $table::table
            .filter($table::id.eq($id))
            .select(<$row>::as_select())
            .into_boxed::<$crate::MultiBackend>();
        if let Some(ids) = $p.reach($perm).office_ids() {
            query = query.filter($table::office_id.eq_any(ids));
        }
        let row: $row = $crate::DbResultExt::found(query.first($conn), $what)?;
        let authority = $p.authorize($perm, Some(row.office_id))?;
        (row, authority)
    }};
}
