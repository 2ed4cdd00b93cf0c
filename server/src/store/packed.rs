//! Values kept as one compressed blob: a planned run's snapshot (R9.1) and a run's undo
//! log (R9.2). postcard (a compact serde binary format) under zlib at its fast level:
//! the blob is written inside a run and read back only by the same release line.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::io::{Read, Write};

/// `value` packed; `what` names it in the error.
pub fn pack<T: Serialize>(value: &T, what: &str) -> Result<Vec<u8>, String> {
    // Encoded whole, then compressed in one call: `postcard::to_io` hands the encoder a
    // byte or two at a time, and those calls cost more than the compression.
    let raw = postcard::to_allocvec(value).map_err(|e| format!("{what} not encoded: {e}"))?;
    let mut out = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    out.write_all(&raw)
        .and_then(|()| out.finish())
        .map_err(|e| format!("{what} not encoded: {e}"))
}

/// A value [`pack`] wrote; `what` names it in the error.
pub fn unpack<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, String> {
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(bytes)
        .read_to_end(&mut raw)
        .map_err(|e| format!("stored {what} unreadable: {e}"))?;
    postcard::from_bytes(&raw).map_err(|e| format!("stored {what} unreadable: {e}"))
}
