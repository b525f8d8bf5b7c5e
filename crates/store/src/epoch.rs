//! The principal epoch: a counter in the database (`principal_epoch`, migration
//! 000020) that triggers bump in the same transaction as any change to what a
//! token resolves to — a user's activity, office or name, a role assignment, a
//! department's office, an office's region or status. Each process keeps the
//! highest value it has seen in [`Epoch`]; a cache of callers compares its
//! entries against it. The process sees the counter move at once after its own
//! write transactions (`Db::tx` reads it before committing) and, for other
//! processes' writes, within the interval of [`Epoch::watch`].

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use diesel::prelude::*;
use kernel::ApiError;

use crate::conn::AnyConnection;
use crate::db::DbResultExt;

diesel::table! {
    principal_epoch (id) {
        id -> Integer,
        generation -> BigInt,
    }
}

/// How often a process reads the counter for other processes' changes.
pub const WATCH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(250);

/// The highest counter value this process has seen.
#[derive(Clone, Debug, Default)]
pub struct Epoch(Arc<AtomicI64>);

impl Epoch {
    /// The current value (0 before the first read).
    pub fn current(&self) -> i64 {
        self.0.load(Ordering::Acquire)
    }

    /// Records a value read from the database; the counter only grows.
    pub fn observe(&self, generation: i64) {
        self.0.fetch_max(generation, Ordering::AcqRel);
    }
}

/// Reads the counter (inside a transaction, it includes that transaction's own
/// bumps).
pub fn read(conn: &mut AnyConnection) -> Result<i64, ApiError> {
    principal_epoch::table
        .find(1)
        .select(principal_epoch::generation)
        .first::<i64>(conn)
        .optional()
        .api()
        .map(|g| g.unwrap_or(0))
}
