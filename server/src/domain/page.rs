//! Paging: `page_size` / `page_token` in, `next_page_token` out. A token is opaque to
//! callers: it carries the last id seen and which list it belongs to, so a token from
//! another list (or a hand-made one) is refused with INVALID_ARGUMENT, not misread.

use super::{Error, Result};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 1000;

/// A validated page request: how many rows, and the id to continue after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub size: i64,
    /// Continue after this id (in the list's own order).
    pub after: Option<i64>,
    /// Which list the token belongs to, including its filters.
    scope: String,
}

/// A page of results and the token of the next page (None at the end).
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: Option<String>,
}

impl PageRequest {
    /// `scope` names the list and its filters, e.g. `students:42:active`.
    pub fn parse(page_size: i32, page_token: &str, scope: impl Into<String>) -> Result<Self> {
        let scope = scope.into();
        if page_size < 0 {
            return Err(Error::invalid("page_size", "must not be negative"));
        }
        let size = match i64::from(page_size) {
            0 => DEFAULT_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        };
        let after = if page_token.is_empty() {
            None
        } else {
            let bad = || Error::invalid("page_token", "is not a token this list returned");
            let bytes = URL_SAFE_NO_PAD.decode(page_token).map_err(|_| bad())?;
            let text = String::from_utf8(bytes).map_err(|_| bad())?;
            let (token_scope, id) = text.rsplit_once('|').ok_or_else(bad)?;
            if token_scope != scope {
                return Err(Error::invalid(
                    "page_token",
                    "belongs to another list or other filters",
                ));
            }
            Some(id.parse::<i64>().map_err(|_| bad())?)
        };
        Ok(PageRequest { size, after, scope })
    }

    /// How many rows to fetch: one more than the page, to know whether another follows.
    pub fn limit(&self) -> i64 {
        self.size + 1
    }

    /// Cuts the extra row off `rows` (fetched with [`Self::limit`]) and makes the token.
    pub fn finish<T>(&self, mut rows: Vec<T>, id_of: impl Fn(&T) -> i64) -> Page<T> {
        let more = rows.len() as i64 > self.size;
        rows.truncate(self.size as usize);
        let next_page_token = match rows.last() {
            Some(last) if more => {
                Some(URL_SAFE_NO_PAD.encode(format!("{}|{}", self.scope, id_of(last)).as_bytes()))
            }
            _ => None,
        };
        Page {
            items: rows,
            next_page_token,
        }
    }
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_page_token: self.next_page_token,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_end() {
        let first = PageRequest::parse(2, "", "l").unwrap();
        let page = first.finish(vec![1, 2, 3], |x| *x);
        assert_eq!(page.items, vec![1, 2]);
        let token = page.next_page_token.unwrap();
        let second = PageRequest::parse(2, &token, "l").unwrap();
        assert_eq!(second.after, Some(2));
        assert!(second.finish(vec![3], |x| *x).next_page_token.is_none());
    }

    #[test]
    fn bad_tokens_and_sizes_are_refused() {
        assert!(PageRequest::parse(-1, "", "l").is_err());
        assert!(PageRequest::parse(10, "garbage!", "l").is_err());
        let token = PageRequest::parse(1, "", "a")
            .unwrap()
            .finish(vec![1, 2], |x| *x);
        let err = PageRequest::parse(1, &token.next_page_token.unwrap(), "b").unwrap_err();
        assert!(err.to_string().starts_with("page_token:"));
        assert_eq!(
            PageRequest::parse(5000, "", "l").unwrap().size,
            MAX_PAGE_SIZE
        );
        assert_eq!(
            PageRequest::parse(0, "", "l").unwrap().size,
            DEFAULT_PAGE_SIZE
        );
    }
}
