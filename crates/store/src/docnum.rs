//! Document numbers: per office, per document type, per year, without gaps —
//! `SO-GZ01-2026-000123`. The counter row is incremented inside the caller's
//! transaction, so a number is used exactly when the document is written, and a
//! rolled-back document gives its number back. PostgreSQL serialises concurrent
//! increments on the row lock; SQLite on its write lock (`BEGIN IMMEDIATE`).

use diesel::prelude::*;
use kernel::ApiError;

use crate::conn::AnyConnection;
use crate::db::{DbResultExt, transaction};
use crate::schema::document_sequences as seq;

/// Takes the next number for (office, type, year). Call inside the transaction
/// that writes the document.
pub fn next(
    conn: &mut AnyConnection,
    office_id: i64,
    office_code: &str,
    doc_type: &str,
    year: i32,
) -> Result<String, ApiError> {
    let value = next_value(conn, office_id, doc_type, year)?;
    Ok(format!("{doc_type}-{office_code}-{year:04}-{value:06}"))
}

fn next_value(
    conn: &mut AnyConnection,
    office_id: i64,
    doc_type: &str,
    year: i32,
) -> Result<i64, ApiError> {
    for _ in 0..3 {
        let key = seq::office_id
            .eq(office_id)
            .and(seq::doc_type.eq(doc_type))
            .and(seq::year.eq(year));
        let bumped: Option<i64> = diesel::update(seq::table.filter(key))
            .set(seq::last_value.eq(seq::last_value + 1))
            .returning(seq::last_value)
            .get_result(conn)
            .optional()
            .api()?;
        if let Some(v) = bumped {
            return Ok(v);
        }
        // First number of the year. A concurrent first insert makes this one fail
        // on the primary key; the savepoint keeps the outer transaction usable and
        // the loop takes the increment path instead.
        let inserted = transaction(conn, |c| {
            diesel::insert_into(seq::table)
                .values((
                    seq::office_id.eq(office_id),
                    seq::doc_type.eq(doc_type),
                    seq::year.eq(year),
                    seq::last_value.eq(1_i64),
                ))
                .execute(c)
                .api()
        });
        match inserted {
            Ok(_) => return Ok(1),
            Err(e) if e.code == kernel::ErrorCode::Duplicate => continue,
            Err(e) => return Err(e),
        }
    }
    Err(ApiError::conflict("the document number could not be taken; retry").with_retry_after(1))
}
