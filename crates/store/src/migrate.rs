//! Embedded migrations, one folder per backend with the same names in both,
//! chosen by the connection's variant. On PostgreSQL an advisory lock makes
//! concurrent start-ups of several replicas apply each migration once.

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::conn::AnyConnection;

pub const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
pub const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Arbitrary, fixed key of the migration advisory lock.
const PG_MIGRATION_LOCK: i64 = 0x6272_616e_6368;

pub type MigrationError = Box<dyn std::error::Error + Send + Sync>;

/// Applies pending migrations; returns the names of those applied.
pub fn run_pending(conn: &mut AnyConnection) -> Result<Vec<String>, MigrationError> {
    match conn {
        AnyConnection::Postgresql(pg) => {
            pg.batch_execute(&format!("SELECT pg_advisory_lock({PG_MIGRATION_LOCK})"))?;
            let result = pg
                .run_pending_migrations(POSTGRES)
                .map(|v| v.iter().map(ToString::to_string).collect::<Vec<_>>());
            pg.batch_execute(&format!("SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})"))?;
            result
        }
        AnyConnection::Sqlite(lite) => lite
            .run_pending_migrations(SQLITE)
            .map(|v| v.iter().map(ToString::to_string).collect()),
    }
}

/// How many migrations the binary knows that the database has not applied.
pub fn pending_count(conn: &mut AnyConnection) -> Result<usize, MigrationError> {
    match conn {
        AnyConnection::Postgresql(pg) => Ok(pg.pending_migrations(POSTGRES)?.len()),
        AnyConnection::Sqlite(lite) => Ok(lite.pending_migrations(SQLITE)?.len()),
    }
}

/// Reverts every applied migration (tests use it to prove `down.sql` works).
pub fn revert_all(conn: &mut AnyConnection) -> Result<usize, MigrationError> {
    match conn {
        AnyConnection::Postgresql(pg) => Ok(pg.revert_all_migrations(POSTGRES)?.len()),
        AnyConnection::Sqlite(lite) => Ok(lite.revert_all_migrations(SQLITE)?.len()),
    }
}
