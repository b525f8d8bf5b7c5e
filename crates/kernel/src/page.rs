//! Cursor pagination: `?limit=&cursor=` in, `{ items, next_cursor }` out.
//!
//! A cursor is the keyset of the last row of a page (for example its sort value and
//! id), encoded as base64url JSON so clients treat it as opaque. Queries ask for
//! `limit + 1` rows: the extra row only says whether another page exists, so a page
//! costs the same wherever it sits in the table, and concurrent inserts never make a
//! page skip or repeat a row.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorCode, FieldError};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// One page of a list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest<K> {
    pub limit: i64,
    /// The keyset of the last row already seen.
    pub after: Option<K>,
}

impl<K: DeserializeOwned> PageRequest<K> {
    /// Checks `limit` (1..=200, default 50) and decodes `cursor`.
    pub fn parse(limit: Option<i64>, cursor: Option<&str>) -> Result<Self, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(param_error(
                "limit",
                "range",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = cursor.map(decode_cursor).transpose()?;
        Ok(PageRequest { limit, after })
    }

    /// How many rows to fetch: one more than the page, to learn whether more exist.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }
}

impl<K> PageRequest<K> {
    /// Cuts the fetched rows to the page and builds the next cursor from the last
    /// row kept.
    pub fn page<T, R>(
        &self,
        mut rows: Vec<R>,
        key: impl Fn(&R) -> K,
        map: impl FnMut(R) -> T,
    ) -> Page<T>
    where
        K: Serialize,
    {
        let more = rows.len() as i64 > self.limit;
        rows.truncate(self.limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| encode_cursor(&key(r)))
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(map).collect(),
            next_cursor,
        }
    }
}

fn param_error(field: &str, code: &str, message: String) -> ApiError {
    let mut e = ApiError::new(
        ErrorCode::InvalidParameter,
        format!("query parameter `{field}` {message}"),
    );
    e.errors = vec![FieldError::new(format!("query.{field}"), code, message)];
    e
}

pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

pub fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> Result<K, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| {
            param_error(
                "cursor",
                "cursor",
                "is not a cursor this list issued".to_owned(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_bounds() {
        assert_eq!(PageRequest::<i64>::parse(None, None).unwrap().limit, 50);
        assert_eq!(
            PageRequest::<i64>::parse(Some(200), None).unwrap().limit,
            200
        );
        let err = PageRequest::<i64>::parse(Some(201), None).unwrap_err();
        assert_eq!(err.status().as_u16(), 400);
        assert_eq!(err.errors[0].field, "query.limit");
        assert!(PageRequest::<i64>::parse(Some(0), None).is_err());
    }

    #[test]
    fn cursor_round_trip_and_garbage() {
        let c = encode_cursor(&("2026-01-01", 42_i64));
        let req = PageRequest::<(String, i64)>::parse(Some(10), Some(&c)).unwrap();
        assert_eq!(req.after, Some(("2026-01-01".to_owned(), 42)));
        let err = PageRequest::<i64>::parse(None, Some("%%%")).unwrap_err();
        assert_eq!(err.errors[0].field, "query.cursor");
    }

    #[test]
    fn page_cuts_and_points_at_last_kept_row() {
        let req = PageRequest::<i64> {
            limit: 2,
            after: None,
        };
        let page = req.page(vec![1_i64, 2, 3], |r| *r, |r| r * 10);
        assert_eq!(page.items, vec![10, 20]);
        assert_eq!(
            decode_cursor::<i64>(page.next_cursor.as_deref().unwrap()).unwrap(),
            2
        );
        let last = req.page(vec![5_i64], |r| *r, |r| r);
        assert_eq!(last.next_cursor, None);
    }
}
