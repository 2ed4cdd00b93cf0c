//! The clock as stored: UTC with microseconds, which is what `DATETIME(6)` keeps, so a
//! value read back equals the value written.

use chrono::{DurationRound, NaiveDateTime, TimeDelta, Utc};

/// The current time, truncated to microseconds.
pub fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}

/// `2h`, `30m`, `90s`, `1500ms`: a limit as an operator writes it on the command line,
/// for messages that name it.
pub fn short_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    match (secs, d.subsec_millis()) {
        (s, 0) if s >= 3600 && s % 3600 == 0 => format!("{}h", s / 3600),
        (s, 0) if s >= 60 && s % 60 == 0 => format!("{}m", s / 60),
        (s, 0) => format!("{s}s"),
        _ => format!("{}ms", d.as_millis()),
    }
}
