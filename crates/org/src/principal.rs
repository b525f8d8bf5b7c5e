//! Resolving a bearer token into a `Principal`: the token must verify, the user
//! must exist and be active, and each role assignment valid today becomes a grant
//! whose reach is computed from its scope — company; a region's offices; one
//! office; a department's office.
//!
//! Resolved callers are kept in a per-process [`PrincipalCache`], so the
//! steady-state request verifies its token and goes to the database once, for
//! its own work. An entry holds while the principal epoch it was loaded under is
//! still the one this process has seen, and only on the day it was loaded (an
//! assignment's `valid_from` / `valid_to` are days). Any change to users, role
//! assignments, departments' or offices' placement bumps the epoch in the
//! database, in the changing transaction (`store::epoch`): the process that made
//! it drops its entries as the transaction commits, every other process within
//! `store::epoch::WATCH_INTERVAL` of its watch.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

use chrono::NaiveDate;
use diesel::prelude::*;
use futures_util::future::LocalBoxFuture;
use kernel::principal::ResolvePrincipal;
use kernel::{ApiError, Grant, Principal, Reach};
use store::schema::{departments, offices, role_assignments as ra, users};
use store::{AnyConnection, Db, DbResultExt};

use crate::common::today;
use crate::roles;
use crate::tokens::{TokenSettings, verify_access};

pub struct DbResolver {
    pub db: Db,
    pub tokens: TokenSettings,
    pub cache: Arc<PrincipalCache>,
}

impl ResolvePrincipal for DbResolver {
    fn resolve(&self, token: String) -> LocalBoxFuture<'static, Result<Principal, ApiError>> {
        let user_id = match verify_access(&self.tokens, &token) {
            Ok(id) => id,
            Err(e) => return Box::pin(std::future::ready(Err(e))),
        };
        // The epoch is read before loading, so an entry loaded while a change
        // was committing carries the older epoch and is not served once the
        // change is seen.
        let generation = self.db.epoch().current();
        let day = today();
        if let Some(hit) = self.cache.get(user_id, generation, day) {
            return Box::pin(std::future::ready(Ok(hit)));
        }
        let db = self.db.clone();
        let cache = self.cache.clone();
        Box::pin(async move {
            let principal = db.run(move |conn| load_principal(conn, user_id)).await?;
            cache.put(user_id, &principal, generation, day);
            Ok(principal)
        })
    }
}

/// Callers resolved by this process, by user id.
#[derive(Debug, Default)]
pub struct PrincipalCache {
    inner: RwLock<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    /// The epoch every entry was loaded under; entries of an older one are gone.
    generation: i64,
    day: Option<NaiveDate>,
    by_user: HashMap<i64, Principal>,
}

/// Beyond this many callers the cache starts afresh (a process serves far
/// fewer distinct users between two changes).
const MAX_ENTRIES: usize = 100_000;

impl PrincipalCache {
    /// The caller as cached under `generation` on `day`, if still valid.
    pub fn get(&self, user_id: i64, generation: i64, day: NaiveDate) -> Option<Principal> {
        let entries = self.inner.read().unwrap_or_else(|e| e.into_inner());
        if entries.generation != generation || entries.day != Some(day) {
            return None;
        }
        entries.by_user.get(&user_id).cloned()
    }

    /// Keeps a caller loaded under `generation` on `day`. An entry of an epoch
    /// or a day older than the cache's is not kept; a newer one starts the cache
    /// afresh.
    pub fn put(&self, user_id: i64, principal: &Principal, generation: i64, day: NaiveDate) {
        let mut entries = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let newer = (generation, Some(day)) > (entries.generation, entries.day);
        if newer || entries.by_user.len() >= MAX_ENTRIES {
            entries.by_user.clear();
            entries.generation = entries.generation.max(generation);
            entries.day = entries.day.max(Some(day));
        }
        if entries.generation == generation && entries.day == Some(day) {
            let mut kept = principal.clone();
            kept.request_id = None;
            entries.by_user.insert(user_id, kept);
        }
    }

    /// Forgets every caller (the epoch cannot be read: nothing cached is
    /// trusted until it can).
    pub fn clear(&self) {
        let mut entries = self.inner.write().unwrap_or_else(|e| e.into_inner());
        entries.by_user.clear();
    }

    /// How many callers are cached (for tests and metrics).
    pub fn len(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .by_user
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Queryable)]
struct AssignmentRow {
    role: String,
    scope_kind: String,
    region_id: Option<i64>,
    office_id: Option<i64>,
    department_id: Option<i64>,
    acting_for_user_id: Option<i64>,
}

/// Loads the user and their grants valid today; 401 for an unknown or inactive user.
pub fn load_principal(conn: &mut AnyConnection, user_id: i64) -> Result<Principal, ApiError> {
    let user: Option<(String, String, bool, Option<i64>)> = users::table
        .find(user_id)
        .select((
            users::username,
            users::display_name,
            users::active,
            users::office_id,
        ))
        .first(conn)
        .optional()
        .api()?;
    let Some((username, display_name, active, office_id)) = user else {
        return Err(ApiError::unauthenticated(
            "the access token's user no longer exists",
        ));
    };
    if !active {
        return Err(ApiError::unauthenticated(
            "this user account is deactivated",
        ));
    }
    let today = today();
    let rows: Vec<AssignmentRow> = ra::table
        .filter(ra::user_id.eq(user_id))
        .filter(ra::ended_at.is_null())
        .filter(ra::valid_from.le(today))
        .filter(ra::valid_to.is_null().or(ra::valid_to.ge(today)))
        .select((
            ra::role,
            ra::scope_kind,
            ra::region_id,
            ra::office_id,
            ra::department_id,
            ra::acting_for_user_id,
        ))
        .order(ra::id.asc())
        .load(conn)
        .api()?;
    let mut grants = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(def) = roles::role(&row.role) else {
            continue;
        };
        let reach = match row.scope_kind.as_str() {
            "company" => Reach::Company,
            "region" => {
                let ids: Vec<i64> = offices::table
                    .filter(offices::region_id.eq(row.region_id.unwrap_or(-1)))
                    .select(offices::id)
                    .load(conn)
                    .api()?;
                Reach::Offices(ids.into_iter().collect())
            }
            "office" => Reach::Offices(row.office_id.into_iter().collect()),
            "department" => {
                let office: Option<i64> = departments::table
                    .find(row.department_id.unwrap_or(-1))
                    .select(departments::office_id)
                    .first(conn)
                    .optional()
                    .api()?;
                Reach::Offices(office.into_iter().collect::<BTreeSet<_>>())
            }
            _ => continue,
        };
        grants.push(Grant {
            role: def.code,
            permissions: def.permissions,
            reach,
            acting_for: row.acting_for_user_id,
        });
    }
    Ok(Principal {
        user_id,
        username,
        display_name,
        office_id,
        grants,
        request_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn someone(id: i64) -> Principal {
        Principal {
            user_id: id,
            username: format!("u{id}"),
            display_name: "U".into(),
            office_id: None,
            grants: Vec::new(),
            request_id: Some("r".into()),
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    #[test]
    fn an_entry_holds_for_its_epoch_and_day_only() {
        let cache = PrincipalCache::default();
        cache.put(1, &someone(1), 5, day(4));
        let hit = cache.get(1, 5, day(4)).expect("cached");
        assert_eq!((hit.user_id, hit.request_id), (1, None));
        // A change seen (epoch 6) or the next day: reloaded.
        assert!(cache.get(1, 6, day(4)).is_none());
        assert!(cache.get(1, 5, day(5)).is_none());
        assert!(cache.get(2, 5, day(4)).is_none());
    }

    #[test]
    fn a_newer_epoch_starts_afresh_and_an_older_load_is_not_kept() {
        let cache = PrincipalCache::default();
        cache.put(1, &someone(1), 5, day(4));
        cache.put(2, &someone(2), 6, day(4));
        assert_eq!(cache.len(), 1);
        assert!(cache.get(1, 6, day(4)).is_none());
        // Loaded before the change was seen: not kept under the newer epoch.
        cache.put(1, &someone(1), 5, day(4));
        assert!(cache.get(1, 6, day(4)).is_none());
        assert!(cache.get(1, 5, day(4)).is_none());
        assert!(cache.get(2, 6, day(4)).is_some());
        // The next day starts afresh too.
        cache.put(3, &someone(3), 6, day(5));
        assert_eq!(cache.len(), 1);
        assert!(cache.get(3, 6, day(5)).is_some());
    }
}
