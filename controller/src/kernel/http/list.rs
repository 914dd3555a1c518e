//! One shape for every list: `?after=<id>&limit=<n>` in, `{items, next_after}` out (keyset
//! pagination, so the hundredth page is as fast as the first). Logs, read newest first, page
//! backwards the same way: `?before=<id>` in, `next_before` out. `limit` defaults to 50 and is
//! capped at [`MAX_LIMIT`].

use serde::{Deserialize, Serialize};

/// Most rows one page may ask for.
pub const MAX_LIMIT: i64 = 500;
const DEFAULT_LIMIT: i64 = 50;

/// Which page: rows with an id above `after`, at most `limit` of them.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next_after` of the previous page (lists in id order).
    pub after: Option<i64>,
    /// The `next_before` of the previous page (logs, newest first).
    pub before: Option<i64>,
    /// 1 to 500; 50 when absent.
    pub limit: Option<i64>,
}

impl PageQuery {
    pub fn first(limit: i64) -> PageQuery {
        PageQuery {
            limit: Some(limit),
            ..PageQuery::default()
        }
    }

    /// The limit to use: within 1..=MAX_LIMIT whatever was asked.
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    /// The lower id bound (exclusive).
    pub fn after(&self) -> i64 {
        self.after.unwrap_or(0).max(0)
    }

    /// The upper id bound (exclusive) of a newest-first log.
    pub fn before(&self) -> i64 {
        self.before.unwrap_or(i64::MAX)
    }
}

/// A page of rows and where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Paged<T> {
    pub items: Vec<T>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<i64>,
    /// Logs: pass as `before` for the next (older) page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before: Option<i64>,
}

impl<T> Default for Paged<T> {
    fn default() -> Self {
        Paged {
            items: Vec::new(),
            next_after: None,
            next_before: None,
        }
    }
}

impl<T> Paged<T> {
    /// `rows` fetched with `limit + 1`: the extra row only says whether there is a next page.
    pub fn from_rows(mut rows: Vec<T>, page: &PageQuery, id: impl Fn(&T) -> i64) -> Paged<T> {
        let limit = page.limit() as usize;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_after = if more { rows.last().map(&id) } else { None };
        Paged {
            items: rows,
            next_after,
            next_before: None,
        }
    }

    /// Like [`Paged::from_rows`], for a newest-first log.
    pub fn older(rows: Vec<T>, page: &PageQuery, id: impl Fn(&T) -> i64) -> Paged<T> {
        let paged = Paged::from_rows(rows, page, id);
        Paged {
            next_before: paged.next_after,
            next_after: None,
            items: paged.items,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            next_after: self.next_after,
            next_before: self.next_before,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_capped_and_the_extra_row_marks_a_next_page() {
        assert_eq!(PageQuery::default().limit(), 50);
        assert_eq!(
            PageQuery {
                limit: Some(1_000_000),
                ..PageQuery::default()
            }
            .limit(),
            MAX_LIMIT
        );
        assert_eq!(
            PageQuery {
                limit: Some(-3),
                ..PageQuery::default()
            }
            .limit(),
            1
        );
        let page = PageQuery::first(2);
        assert_eq!(
            Paged::from_rows(vec![1, 2, 3], &page, |r| *r).next_after,
            Some(2)
        );
        let last = Paged::from_rows(vec![1, 2], &page, |r| *r);
        assert_eq!((last.items, last.next_after), (vec![1, 2], None));
    }
}
