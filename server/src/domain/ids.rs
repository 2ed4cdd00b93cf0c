//! Application-generated ids: time-ordered 63-bit integers, so a batch of parents and the
//! rows pointing at them can be written without reading ids back (MySQL has no RETURNING),
//! and "newest first" is simply "highest id first".

use super::{Error, Result};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Bits below the millisecond timestamp: 4,194,304 ids per millisecond per process.
const SEQUENCE_BITS: u32 = 22;
/// 2024-01-01T00:00:00Z in Unix milliseconds; ids count from here.
const EPOCH_MS: i64 = 1_704_067_200_000;

static LAST: AtomicI64 = AtomicI64::new(0);

/// A new id, strictly greater than every id this process generated before. A random
/// start within the first millisecond keeps two processes started together apart.
pub fn new_id() -> i64 {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(EPOCH_MS)
        - EPOCH_MS;
    let floor = (now_ms << SEQUENCE_BITS) | i64::from(rand::random::<u16>());
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = floor.max(last + 1);
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

/// Parses an id from the wire. `field` names the request field for the error.
pub fn parse_id(field: &str, text: &str) -> Result<i64> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    match text.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(Error::invalid(field, format!("`{text}` is not a valid id"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_strictly() {
        let ids: Vec<i64> = (0..10_000).map(|_| new_id()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert!(ids[0] > 0);
    }

    #[test]
    fn bad_ids_name_the_field() {
        let err = parse_id("district_id", "abc").unwrap_err();
        assert_eq!(err.to_string(), "district_id: `abc` is not a valid id");
        assert!(parse_id("district_id", "").is_err());
        assert!(parse_id("district_id", "-4").is_err());
        assert_eq!(parse_id("x", " 42 ").unwrap(), 42);
    }
}
