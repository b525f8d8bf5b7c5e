//! Full-text search of the knowledge base, ranked, in Chinese and English.
//! The query is cut into the same tokens as the articles ([`super::tokens`]);
//! an article matches when it holds every one. PostgreSQL matches with
//! `to_tsvector('simple', …) @@ plainto_tsquery('simple', …)` over a GIN
//! index and ranks with `ts_rank`; SQLite matches in the FTS5 table
//! `kb_articles_fts` the migration keeps in step with the articles, and ranks
//! with `bm25`. Only published articles are found, and only those the caller
//! reads: the company's, and those of the offices in their reach — in the
//! query.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use kernel::{ApiError, Reach};
use store::schema::kb_articles as ka;
use store::{AnyConnection, Backend, DbResultExt};

use super::{ArticleRow, tokens};

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The published articles `reach` reads that hold every token of `query`,
/// best first, at most `limit`.
pub fn find(
    conn: &mut AnyConnection,
    reach: &Reach,
    query: &str,
    limit: i64,
) -> Result<Vec<ArticleRow>, ApiError> {
    let words = tokens(query);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let scope = store::scoped::sql_in_reach_or_company("a.office_id", reach);
    let hits: Vec<Hit> = match conn.backend() {
        Backend::Postgres => {
            let sql = format!(
                "SELECT a.id AS id FROM kb_articles a \
                 WHERE a.status = 'published'{scope} \
                 AND to_tsvector('simple', a.search_text) @@ plainto_tsquery('simple', $1) \
                 ORDER BY ts_rank(to_tsvector('simple', a.search_text), plainto_tsquery('simple', $1)) DESC, a.id DESC \
                 LIMIT $2"
            );
            store::load_sql!(conn, sql, Hit, Text => words.join(" "), BigInt => limit)?
        }
        Backend::Sqlite => {
            let sql = format!(
                "SELECT a.id AS id FROM kb_articles_fts f JOIN kb_articles a ON a.id = f.rowid \
                 WHERE kb_articles_fts MATCH $1 AND a.status = 'published'{scope} \
                 ORDER BY bm25(kb_articles_fts), a.id DESC \
                 LIMIT $2"
            );
            // Each token quoted: a phrase of one word, never an operator.
            let phrase: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
            store::load_sql!(conn, sql, Hit, Text => phrase.join(" "), BigInt => limit)?
        }
    };
    let ids: Vec<i64> = hits.iter().map(|h| h.id).collect();
    let mut rows: Vec<ArticleRow> = ka::table
        .filter(ka::id.eq_any(&ids))
        .select(ArticleRow::as_select())
        .load(conn)
        .api()?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok(rows)
}
