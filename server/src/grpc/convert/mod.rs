//! Conversions between domain values and wire messages, in one place: the adapters only
//! call these.

mod access;
mod enums;
mod records;
mod runs;

pub use access::*;
pub use enums::{Wire, status_filter};
pub use records::*;
pub use runs::*;

use crate::domain::{Page, PageRequest, Result, parse_id};
use chrono::NaiveDateTime;
use roster_proto::prost_types::Timestamp;

pub fn timestamp(t: NaiveDateTime) -> Option<Timestamp> {
    let utc = t.and_utc();
    Some(Timestamp {
        seconds: utc.timestamp(),
        nanos: utc.timestamp_subsec_nanos() as i32,
    })
}

pub fn id(id: i64) -> String {
    id.to_string()
}

fn ids(ids: &[i64]) -> Vec<String> {
    ids.iter().map(|i| i.to_string()).collect()
}

/// Parses paging fields for a list named by `scope` (the list and its filters).
pub fn page(page_size: i32, page_token: &str, scope: String) -> Result<PageRequest> {
    PageRequest::parse(page_size, page_token, scope)
}

/// A page's items converted, and its token ("" at the end).
pub fn paged<T, U>(page: Page<T>, f: impl FnMut(T) -> U) -> (Vec<U>, String) {
    let page = page.map(f);
    (page.items, page.next_page_token.unwrap_or_default())
}

/// Parses a required id field.
pub fn req_id(field: &str, value: &str) -> Result<i64> {
    parse_id(field, value)
}

/// Parses an optional id field: empty is None.
pub fn opt_id(field: &str, value: &str) -> Result<Option<i64>> {
    match value.trim() {
        "" => Ok(None),
        text => parse_id(field, text).map(Some),
    }
}
