//! What the finance records added with the asset purchase, custody, maintenance
//! and supply-stocktake routes share: the scoped load of one record, the office a
//! new record goes to, and the checks on a user named in a request body.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::{ApiError, Authority, ErrorCode, Permission, Principal};
use store::schema::users;
use store::{AnyConnection, DbResultExt};

/// Loads one record of `$table` by id within the caller's reach for `$perm`:
/// the scope is in the query, and a record outside it is 404 like a missing
/// one. Yields `(row, authority)`.
macro_rules! load_scoped {
    ($conn:expr, $p:expr, $perm:expr, $table:ident, $row:ty, $id:expr, $what:literal) => {{
        $p.require($perm)?;
        let mut query = $table::table
            .filter($table::id.eq($id))
            .select(<$row>::as_select())
            .into_boxed::<store::MultiBackend>();
        if let Some(ids) = $p.reach($perm).office_ids() {
            query = query.filter($table::office_id.eq_any(ids));
        }
        let row: $row = store::DbResultExt::found(query.first($conn), $what)?;
        let authority = $p.authorize($perm, Some(row.office_id))?;
        (row, authority)
    }};
}
pub(crate) use load_scoped;

pub fn now_db() -> NaiveDateTime {
    kernel::time::to_db(kernel::time::now())
}

pub fn today() -> NaiveDate {
    kernel::time::now().date_naive()
}

/// The office a new record belongs to: the one named, else the caller's own;
/// 403 without `perm`, 404 for an office outside the caller's reach.
pub fn office_for_create(
    p: &Principal,
    perm: Permission,
    named: Option<i64>,
) -> Result<(i64, Authority), ApiError> {
    let office = named.or(p.office_id).ok_or_else(|| {
        ApiError::invalid_field(
            "office_id",
            "required",
            "is required for callers outside an office",
        )
    })?;
    let authority = p.authorize(perm, Some(office)).map_err(|e| {
        if e.code == ErrorCode::NotFound {
            ApiError::not_found("office")
        } else {
            e
        }
    })?;
    Ok((office, authority))
}

/// A user named in a request body: must be active and work in `office_id`;
/// otherwise 422 on `field` (a user of another office is refused the same way,
/// whoever asks).
pub fn user_of_office(
    conn: &mut AnyConnection,
    field: &str,
    user_id: i64,
    office_id: i64,
) -> Result<(), ApiError> {
    let row: Option<(bool, Option<i64>)> = users::table
        .find(user_id)
        .select((users::active, users::office_id))
        .first(conn)
        .optional()
        .api()?;
    match row {
        Some((true, Some(o))) if o == office_id => Ok(()),
        Some((true, _)) => Err(ApiError::invalid_field(
            field,
            "office",
            "must be a user of the record's office",
        )),
        _ => Err(ApiError::invalid_field(
            field,
            "not_found",
            "no such active user",
        )),
    }
}

/// 422 on `field` when `date` lies after today.
pub fn not_in_future(field: &str, date: NaiveDate) -> Result<(), ApiError> {
    if date > today() {
        Err(ApiError::invalid_field(
            field,
            "future",
            "cannot be in the future",
        ))
    } else {
        Ok(())
    }
}
