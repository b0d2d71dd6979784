//! Keyset pagination: every list returns at most `limit` items and an opaque cursor for the next
//! page, so no list ever scans past what it returns (no OFFSET).

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{StoreError, StoreResult};

/// The largest page any list returns.
pub const MAX_LIMIT: u32 = 200;
/// The page size when none is asked for.
pub const DEFAULT_LIMIT: u32 = 50;

/// Which page to read.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// Items per page (1–200; default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageRequest {
    /// The first page of the default size.
    pub fn first() -> Self {
        Self::default()
    }

    /// The effective limit.
    pub fn limit(&self) -> u32 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    /// The limit plus one, for fetching: the extra row tells whether there is a next page.
    pub(crate) fn fetch_limit(&self) -> i64 {
        i64::from(self.limit()) + 1
    }

    /// Decodes the cursor into the key it was made from; no cursor, or an empty one, is the
    /// first page.
    pub(crate) fn key<K: DeserializeOwned>(&self) -> StoreResult<Option<K>> {
        let Some(cursor) = self.cursor.as_deref().filter(|c| !c.is_empty()) else {
            return Ok(None);
        };
        let invalid = || StoreError::InvalidCursor;
        let bytes = hex_decode(cursor).ok_or_else(invalid)?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|_| invalid())
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows, keyed by `key` of the last returned item.
    pub(crate) fn from_rows<K: Serialize>(
        mut rows: Vec<T>,
        request: &PageRequest,
        key: impl Fn(&T) -> K,
    ) -> Self {
        let limit = request.limit() as usize;
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last()
                .map(|last| hex_encode(&serde_json::to_vec(&key(last)).unwrap_or_default()))
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }

    /// Converts the items with a conversion that may fail, keeping the cursor.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, E>>()?,
            next_cursor: self.next_cursor,
        })
    }

    /// Converts the items, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 2048 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A `LIKE` pattern matching `text` anywhere, lower-cased, with `%`, `_` and `\` escaped.
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let rows: Vec<i64> = (1..=4).collect();
        let req = PageRequest {
            limit: Some(3),
            cursor: None,
        };
        let page = Page::from_rows(rows, &req, |id| ("name", *id));
        assert_eq!(page.items, vec![1, 2, 3]);
        let next = PageRequest {
            limit: Some(3),
            cursor: page.next_cursor,
        };
        assert_eq!(
            next.key::<(String, i64)>().unwrap(),
            Some(("name".to_owned(), 3))
        );
        let bad = PageRequest {
            limit: None,
            cursor: Some("zz".into()),
        };
        assert!(matches!(bad.key::<i64>(), Err(StoreError::InvalidCursor)));
        let empty = PageRequest {
            limit: None,
            cursor: Some(String::new()),
        };
        assert_eq!(empty.key::<i64>().unwrap(), None);
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("50%_A\\"), "%50\\%\\_a\\\\%");
    }
}
