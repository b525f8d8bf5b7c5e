//! The principal epoch: a counter in the database (`principal_epoch`, migration
//! 000020) that triggers bump in the same transaction as any change to what a
//! token resolves to — a user's activity, office or name, a role assignment, a
//! department's office, an office's region or status. Each process keeps the
//! highest value it has seen in [`Epoch`]; a cache of callers compares its
//! entries against it. The process sees the counter move at once after its own
//! write transactions (`Db::tx` reads it before committing) and, for other
//! processes' writes, within [`WATCH_INTERVAL`]. A write transaction reads the
//! counter only when it recorded a change to such a record ([`touched`], called
//! by the audit writer, which every write goes through), so other writes pay
//! nothing for it.

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

thread_local! {
    static TOUCHED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The audit entity types whose records decide what a token resolves to.
pub const PRINCIPAL_ENTITIES: [&str; 5] =
    ["user", "role_assignment", "department", "office", "region"];

/// Marks the transaction running on this thread as one that changed who may do
/// what (`audit::record` calls it for [`PRINCIPAL_ENTITIES`]).
pub fn touched() {
    TOUCHED.with(|t| t.set(true));
}

/// Whether the transaction on this thread was marked, clearing the mark.
pub fn take_touched() -> bool {
    TOUCHED.with(|t| t.replace(false))
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
