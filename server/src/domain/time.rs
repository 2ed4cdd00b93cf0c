//! The clock as stored: UTC with microseconds, which is what `DATETIME(6)` keeps, so a
//! value read back equals the value written.

use chrono::{DurationRound, NaiveDateTime, TimeDelta, Utc};

/// The current time, truncated to microseconds.
pub fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}
