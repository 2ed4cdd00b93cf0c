//! A stored timestamp read and written without chrono's format strings, for the roster's
//! big tables.
//!
//! SQLite keeps a timestamp as text, and diesel reads each one by trying chrono format
//! strings in turn: parsing the format costs more than parsing the value, and loading a
//! district reads about 1.4 million of them per 100,000 students (a tenth of an unchanged
//! resync on SQLite). Writing them went through chrono's formatter the same way (6% of a
//! first sync's apply). The store writes one shape, `YYYY-MM-DD HH:MM:SS[.fraction]`, the
//! one diesel writes, digit by digit here and read back so; any other text a hand or an
//! older release wrote still reads through diesel. MySQL sends timestamps as binary, read
//! and written by diesel as before.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::mysql::Mysql;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Timestamp;
use diesel::sqlite::Sqlite;

/// A non-null timestamp column, as a model field reads and writes it:
/// `#[diesel(deserialize_as = Stamp, serialize_as = Stamp)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow, AsExpression)]
#[diesel(sql_type = Timestamp)]
pub struct Stamp(pub NaiveDateTime);

impl From<Stamp> for NaiveDateTime {
    fn from(stamp: Stamp) -> NaiveDateTime {
        stamp.0
    }
}

impl From<NaiveDateTime> for Stamp {
    fn from(at: NaiveDateTime) -> Stamp {
        Stamp(at)
    }
}

impl ToSql<Timestamp, Sqlite> for Stamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(format(&self.0));
        Ok(IsNull::No)
    }
}

impl ToSql<Timestamp, Mysql> for Stamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Mysql>) -> serialize::Result {
        <NaiveDateTime as ToSql<Timestamp, Mysql>>::to_sql(&self.0, out)
    }
}

/// `at` as diesel writes it to SQLite (chrono's `%F %T%.f`): the fraction of a second in
/// 3, 6 or 9 digits, as many as it needs, and none when it is zero. A year of other than
/// four digits, or a leap second, is left to chrono.
fn format(at: &NaiveDateTime) -> String {
    let (year, nanos) = (at.year(), at.nanosecond());
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return at.format("%F %T%.f").to_string();
    }
    let mut text = String::with_capacity(29);
    push_digits(&mut text, year as u32, 4);
    let fields = [
        ('-', at.month()),
        ('-', at.day()),
        (' ', at.hour()),
        (':', at.minute()),
        (':', at.second()),
    ];
    for (separator, n) in fields {
        text.push(separator);
        push_digits(&mut text, n, 2);
    }
    let fraction = match nanos {
        0 => None,
        n if n % 1_000_000 == 0 => Some((n / 1_000_000, 3)),
        n if n % 1_000 == 0 => Some((n / 1_000, 6)),
        n => Some((n, 9)),
    };
    if let Some((n, digits)) = fraction {
        text.push('.');
        push_digits(&mut text, n, digits);
    }
    text
}

/// `n`'s last `digits` decimal digits, zero-padded.
fn push_digits(text: &mut String, n: u32, digits: u32) {
    for place in (0..digits).rev() {
        text.push(char::from(b'0' + (n / 10u32.pow(place) % 10) as u8));
    }
}

impl FromSql<Timestamp, Sqlite> for Stamp {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        if let Some(at) = parse(value.read_text().as_bytes()) {
            return Ok(Stamp(at));
        }
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(Stamp)
    }
}

impl FromSql<Timestamp, Mysql> for Stamp {
    fn from_sql(value: <Mysql as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Mysql>>::from_sql(value).map(Stamp)
    }
}

/// `YYYY-MM-DD HH:MM:SS`, then optionally `.` and 1 to 9 digits of a second; `None` for
/// anything else, or a date or time that does not exist.
fn parse(text: &[u8]) -> Option<NaiveDateTime> {
    let (main, fraction) = match text.len() {
        19 => (text, &[][..]),
        21..=29 if text[19] == b'.' => (&text[..19], &text[20..]),
        _ => return None,
    };
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        main[range].iter().try_fold(0u32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':')];
    if separators.iter().any(|&(at, byte)| main[at] != byte) {
        return None;
    }
    let mut nanos = 0u32;
    for (place, &b) in fraction.iter().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        nanos += u32::from(b - b'0') * 10u32.pow(8 - place as u32);
    }
    NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)?.and_hms_nano_opt(
        number(11..13)?,
        number(14..16)?,
        number(17..19)?,
        nanos,
    )
}

#[cfg(test)]
mod tests {
    use super::{format, parse};
    use chrono::{DateTime, NaiveDateTime};
    use proptest::prelude::*;

    proptest! {
        /// What is written is what diesel wrote through chrono, and reads back the same.
        #[test]
        fn writes_what_chrono_writes(seconds in -70_000_000_000i64..300_000_000_000, nanos in prop_oneof![
            Just(0u32),
            (0u32..1000).prop_map(|ms| ms * 1_000_000),
            (0u32..1_000_000).prop_map(|us| us * 1_000),
            0u32..1_000_000_000,
        ]) {
            let at = DateTime::from_timestamp(seconds, nanos).unwrap().naive_utc();
            let text = format(&at);
            prop_assert_eq!(&text, &at.format("%F %T%.f").to_string());
            if (0..=9999).contains(&chrono::Datelike::year(&at)) {
                prop_assert_eq!(parse(text.as_bytes()), Some(at));
            }
        }
    }

    /// What the fast path reads is what chrono reads with diesel's first format, and text
    /// of any other shape is left to diesel.
    #[test]
    fn reads_the_stored_shape_as_chrono_does() {
        for text in [
            "2026-12-02 10:49:42",
            "2026-12-02 10:49:42.5",
            "2026-12-02 10:49:42.123456",
            "2024-02-29 23:59:59.999999999",
            "1999-01-01 00:00:00.000001",
        ] {
            let chrono = NaiveDateTime::parse_from_str(text, "%F %T%.f").unwrap();
            assert_eq!(parse(text.as_bytes()), Some(chrono), "{text}");
        }
        for text in [
            "2026-12-02T10:49:42",
            "2026-12-02 10:49",
            "2026-02-30 10:49:42",
            "2026-12-02 24:00:00",
            "2026-12-02 10:49:42.",
            "2026-12-02 10:49:42.1234567890",
            "2026-12-02 10:49:42+01:00",
            "20x6-12-02 10:49:42",
            "",
        ] {
            assert_eq!(parse(text.as_bytes()), None, "{text}");
        }
    }
}
