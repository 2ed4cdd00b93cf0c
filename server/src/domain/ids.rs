//! Application-generated ids: time-ordered 63-bit integers, so a batch of parents and the
//! rows pointing at them can be written without reading ids back (MySQL has no RETURNING),
//! and "newest first" is simply "highest id first".
//!
//! An id is `milliseconds since 2024 | node | sequence`. The node is a number the process
//! holds by a lease in the database (`store::queries::nodes`), so two live processes never
//! share one; within a process the sequence counts up and never runs ahead of the clock,
//! so a process that takes over a node after its lease lapsed (tens of seconds later)
//! cannot repeat an id the previous holder made. That holds across hosts whose clocks
//! disagree because the milliseconds are the database's, as the node leases are
//! (`store::clock`): the server sets how far the database's clock is from its host's
//! ([`set_clock_offset`]). Ids therefore cannot collide across replicas; a write of a new
//! row is an INSERT all the same, which would fail rather than overwrite if one ever did.

use super::{Error, Result};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Bits of the node number: 1,024 live processes.
pub const NODE_BITS: u32 = 10;
/// Bits of the per-millisecond sequence: 4,096 ids per millisecond per process.
const SEQUENCE_BITS: u32 = 12;
/// 2024-01-01T00:00:00Z in Unix milliseconds; ids count from here.
const EPOCH_MS: i64 = 1_704_067_200_000;

/// The node this process generates ids with. Until a server leases one (tests of pure
/// code), a random one.
static NODE: AtomicI64 = AtomicI64::new(-1);

/// (millisecond, next sequence) of the last id.
static LAST: Mutex<(i64, i64)> = Mutex::new((0, 0));

/// Sets the node this process generates ids with.
pub fn set_node(node: i64) {
    NODE.store(node & ((1 << NODE_BITS) - 1), Ordering::SeqCst);
}

/// How far the database's clock is ahead of this host's, in milliseconds.
static CLOCK_OFFSET_MS: AtomicI64 = AtomicI64::new(0);

/// Sets how far the database's clock is ahead of this host's: ids count the database's
/// milliseconds from now on, never fewer than the last id's (a smaller offset waits).
pub fn set_clock_offset(offset: chrono::TimeDelta) {
    CLOCK_OFFSET_MS.store(offset.num_milliseconds(), Ordering::Relaxed);
}

fn node() -> i64 {
    match NODE.load(Ordering::Relaxed) {
        n if n >= 0 => n,
        _ => {
            let random = i64::from(rand::random::<u16>()) & ((1 << NODE_BITS) - 1);
            let _ = NODE.compare_exchange(-1, random, Ordering::SeqCst, Ordering::SeqCst);
            NODE.load(Ordering::Relaxed)
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(EPOCH_MS)
        - EPOCH_MS
        + CLOCK_OFFSET_MS.load(Ordering::Relaxed)
}

/// A new id, strictly greater than every id this process generated before.
pub fn new_id() -> i64 {
    let node = node();
    let mut last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    loop {
        let ms = now_ms().max(last.0);
        let sequence = if ms == last.0 { last.1 } else { 0 };
        if sequence < (1 << SEQUENCE_BITS) {
            *last = (ms, sequence + 1);
            return (ms << (NODE_BITS + SEQUENCE_BITS)) | (node << SEQUENCE_BITS) | sequence;
        }
        // This millisecond is used up: wait for the clock rather than run ahead of it.
        std::thread::yield_now();
        if now_ms() > last.0 {
            *last = (now_ms(), 0);
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

/// Bytes (a digest, a key id) as lowercase hex: how a digest is shown and compared.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_strictly_and_carry_the_node() {
        let ids: Vec<i64> = (0..20_000).map(|_| new_id()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert!(ids[0] > 0);
        let node = node();
        assert!(
            ids.iter()
                .all(|id| (id >> SEQUENCE_BITS) & ((1 << NODE_BITS) - 1) == node)
        );
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
