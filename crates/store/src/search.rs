//! Free-text `?q=` filters, written once: `lower(column) LIKE pattern(q)`,
//! the same on both backends (PostgreSQL's `ILIKE` is not SQLite's).

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// The `LIKE` pattern that finds `q` anywhere, case aside.
pub fn pattern(q: &str) -> String {
    format!("%{}%", q.to_lowercase())
}
