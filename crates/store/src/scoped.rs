//! Scope, written once. Every list, every load by id and every report that reads
//! a domain's records puts the caller's reach into its SQL through this module:
//!
//! - [`list_scoped!`](crate::list_scoped): a page of a table — the reach filter
//!   (`office_id IN (…)`, or "mine or in reach" for records a caller owns), the
//!   handler's own filters, the keyset on `id` and the limit;
//! - [`load_scoped!`](crate::load_scoped): one record by id, the reach in the
//!   `WHERE`; a record outside it is 404 like a missing one;
//! - [`sql_in_reach`]: the same clause for a report's hand-written SQL.
//!
//! `Reach::office_ids()` is read here and nowhere else, so a handler cannot
//! build a query of its own that forgets the scope: it has no other way to turn
//! a reach into SQL.

use kernel::{ApiError, Reach};

/// The office ids a reach allows, for an `IN (…)` clause; `None`: every office.
pub fn office_ids(reach: &Reach) -> Option<Vec<i64>> {
    reach.office_ids()
}

/// `AND <column> IN (…)` for a report's own SQL (empty for a company-wide
/// reach, `AND 1 = 0` for none). The ids are integers from the server's own
/// principal, never from a request's text.
pub fn sql_in_reach(column: &str, reach: &Reach) -> String {
    match reach.office_ids() {
        None => String::new(),
        Some(ids) if ids.is_empty() => " AND 1 = 0".to_owned(),
        Some(ids) => {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            format!(" AND {column} IN ({})", list.join(", "))
        }
    }
}

/// `AND (<column> IS NULL OR <column> IN (…))`: the records of the offices
/// `reach` covers and the company's own (no office), for a report's SQL.
pub fn sql_in_reach_or_company(column: &str, reach: &Reach) -> String {
    match reach.office_ids() {
        None => String::new(),
        Some(ids) if ids.is_empty() => format!(" AND {column} IS NULL"),
        Some(ids) => {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            format!(
                " AND ({column} IS NULL OR {column} IN ({}))",
                list.join(", ")
            )
        }
    }
}

/// One page's rows of `$table` within `$reach`: the reach filter on
/// `$table::office_id`, then the handler's filters (a closure-like block that
/// takes and returns the boxed query), then the keyset on `$table::id`
/// (`asc`: ids after the cursor, oldest first; `desc`: newest first) and one row
/// more than the page. Hand the rows to `PageRequest::page`.
///
/// ```ignore
/// let rows = store::list_scoped!(conn, reach, so, Order, req, asc, |q| {
///     if let Some(v) = f.status { q = q.filter(so::status.eq(v.as_str())); }
///     q
/// })?;
/// ```
///
/// With `owner = (column, user_id)` a row is also visible to the user it names
/// (a claimant's own claims) wherever its office is. `from = (query, office
/// column, id column)` lists a join, scoped on the column named; adding
/// `also = predicate` lets rows matching it through whatever their office (the
/// company's default policies, which belong to no office).
#[macro_export]
macro_rules! list_scoped {
    (@page $conn:expr, $q:expr, $id:expr, $row:ty, $req:expr, asc) => {{
        let mut q = $q;
        if let Some(after) = $req.after {
            q = q.filter($id.gt(after));
        }
        $crate::DbResultExt::api(q.order($id.asc()).limit($req.fetch()).load::<$row>($conn))
    }};
    (@page $conn:expr, $q:expr, $id:expr, $row:ty, $req:expr, desc) => {{
        let mut q = $q;
        if let Some(before) = $req.after {
            q = q.filter($id.lt(before));
        }
        $crate::DbResultExt::api(q.order($id.desc()).limit($req.fetch()).load::<$row>($conn))
    }};
    ($conn:expr, $reach:expr, from = ($from:expr, $office:expr, $id:expr), $row:ty, $req:expr, $dir:ident, |$q:ident| $filters:block) => {{
        let mut $q = $from.into_boxed::<$crate::MultiBackend>();
        if let Some(ids) = $crate::scoped::office_ids(&$reach) {
            $q = $q.filter($office.eq_any(ids));
        }
        $q = $filters;
        $crate::list_scoped!(@page $conn, $q, $id, $row, $req, $dir)
    }};
    ($conn:expr, $reach:expr, from = ($from:expr, $office:expr, $id:expr), also = $also:expr, $row:ty, $req:expr, $dir:ident, |$q:ident| $filters:block) => {{
        let mut $q = $from.into_boxed::<$crate::MultiBackend>();
        if let Some(ids) = $crate::scoped::office_ids(&$reach) {
            $q = $q.filter($also.or($office.eq_any(ids)));
        }
        $q = $filters;
        $crate::list_scoped!(@page $conn, $q, $id, $row, $req, $dir)
    }};
    ($conn:expr, $reach:expr, $table:ident, $row:ty, $req:expr, $dir:ident, owner = ($owner:expr, $user:expr), |$q:ident| $filters:block) => {{
        let mut $q = $table::table
            .select(<$row>::as_select())
            .into_boxed::<$crate::MultiBackend>();
        if let Some(ids) = $crate::scoped::office_ids(&$reach) {
            $q = $q.filter($owner.eq($user).or($table::office_id.eq_any(ids)));
        }
        $q = $filters;
        $crate::list_scoped!(@page $conn, $q, $table::id, $row, $req, $dir)
    }};
    ($conn:expr, $reach:expr, $table:ident, $row:ty, $req:expr, $dir:ident, |$q:ident| $filters:block) => {
        $crate::list_scoped!($conn, $reach,
            from = ($table::table.select(<$row>::as_select()), $table::office_id, $table::id),
            $row, $req, $dir, |$q| $filters)
    };
}

/// Loads one record of `$table` by id within the caller's reach for `$perm`:
/// the scope is in the query, and a record outside it is 404 like a missing
/// one. Yields `(row, authority)`; the caller has `diesel::prelude::*` in scope.
/// The `reach = …, from = (query, office column, id column)` form loads from a
/// query within a reach the handler already holds and yields `Result<row>`.
#[macro_export]
macro_rules! load_scoped {
    // The same, also finding rows that match `$also` whatever their office (one's
    // own record, one one approves).
    ($conn:expr, reach = $reach:expr, from = ($from:expr, $office:expr, $idcol:expr), also = $also:expr, $row:ty, $id:expr, $what:literal) => {{
        let mut query = $from
            .filter($idcol.eq($id))
            .into_boxed::<$crate::MultiBackend>();
        if let Some(ids) = $crate::scoped::office_ids(&$reach) {
            query = query.filter($also.or($office.eq_any(ids)));
        }
        $crate::DbResultExt::found(query.first::<$row>($conn), $what)
    }};
    // Within a reach already required, without an authority: `Result<row>`.
    ($conn:expr, reach = $reach:expr, from = ($from:expr, $office:expr, $idcol:expr), $row:ty, $id:expr, $what:literal) => {{
        let mut query = $from
            .filter($idcol.eq($id))
            .into_boxed::<$crate::MultiBackend>();
        if let Some(ids) = $crate::scoped::office_ids(&$reach) {
            query = query.filter($office.eq_any(ids));
        }
        $crate::DbResultExt::found(query.first::<$row>($conn), $what)
    }};
    ($conn:expr, $p:expr, $perm:expr, $table:ident, $row:ty, $id:expr, $what:literal) => {{
        $p.require($perm)?;
        // Three fixed query shapes rather than one boxed query, so that each is
        // a prepared statement the connection keeps: company-wide, one office
        // (the common case), several offices.
        let id: i64 = $id;
        let found = match $crate::scoped::office_ids(&$p.reach($perm)) {
            None => $table::table
                .filter($table::id.eq(id))
                .select(<$row>::as_select())
                .first::<$row>($conn),
            Some(ids) if ids.len() == 1 => $table::table
                .filter($table::id.eq(id))
                .filter($table::office_id.eq(ids[0]))
                .select(<$row>::as_select())
                .first::<$row>($conn),
            Some(ids) => $table::table
                .filter($table::id.eq(id))
                .filter($table::office_id.eq_any(ids))
                .select(<$row>::as_select())
                .first::<$row>($conn),
        };
        let row: $row = $crate::DbResultExt::found(found, $what)?;
        let authority = $p.authorize($perm, Some(row.office_id))?;
        (row, authority)
    }};
}

/// The answer to a reference in a request body that names no record of the
/// office being written: the same whether the record does not exist, belongs to
/// another office or lies outside the caller's reach, so a body cannot be used
/// to learn what exists elsewhere.
pub fn no_such(field: &str, what: &str) -> ApiError {
    ApiError::invalid_field(
        field,
        "not_found",
        format!("no such {what} in the record's office"),
    )
}

/// A record named in a request body (`$field`, e.g. `"pre_approval_id"` or
/// `"lines[2].department_id"`) that must belong to `$office`, the office of the
/// record being written: yields the row, or 422 [`no_such`] on the field. The
/// office is already one the caller may write in, so the reach holds too.
#[macro_export]
macro_rules! reference {
    ($conn:expr, $table:ident, $row:ty, $id:expr, $office:expr, $field:expr, $what:literal) => {{
        let found: Option<$row> = $crate::DbResultExt::api(
            $table::table
                .filter($table::id.eq($id))
                .filter($table::office_id.eq($office))
                .select(<$row>::as_select())
                .first($conn)
                .optional(),
        )?;
        found.ok_or_else(|| $crate::scoped::no_such($field, $what))
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_clause_follows_the_reach() {
        assert_eq!(sql_in_reach("o.office_id", &Reach::Company), "");
        assert_eq!(sql_in_reach("o.office_id", &Reach::none()), " AND 1 = 0");
        let two = Reach::Offices([3, 1].into_iter().collect());
        assert_eq!(
            sql_in_reach("o.office_id", &two),
            " AND o.office_id IN (1, 3)"
        );
    }
}
