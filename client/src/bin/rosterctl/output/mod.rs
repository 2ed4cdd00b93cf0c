//! Printing results: aligned tables for people, JSON for scripts, CSV for spreadsheets.
//! The renderers of each area live in a module of their own.

mod access;
mod directory;
mod runs;

pub use access::*;
pub use directory::*;
pub use runs::*;

use crate::Failure;
use crate::cli::{DURATION_UNITS, OutputFormat};
use roster_client::prost_types::Timestamp;
use serde::Serialize;
use std::fmt;
use std::time::{Duration, SystemTime};

/// Rows of cells under a header, printed in aligned columns.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<const N: usize>(header: [&str; N]) -> Self {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row<const N: usize>(&mut self, cells: [String; N]) {
        self.rows.push(cells.into());
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        for line in std::iter::once(&self.header).chain(&self.rows) {
            let last = line.len().saturating_sub(1);
            for (i, (cell, width)) in line.iter().zip(widths.iter().copied()).enumerate() {
                if i == last {
                    writeln!(f, "{cell}")?;
                } else {
                    write!(f, "{cell:<width$}  ")?;
                }
            }
        }
        Ok(())
    }
}

/// What a command prints for people: tables (a record's fields, then its lists), or a
/// sentence.
pub enum Report {
    Tables(Vec<Table>),
    Text(String),
}

impl From<Table> for Report {
    fn from(table: Table) -> Self {
        Report::Tables(vec![table])
    }
}

impl From<Vec<Table>> for Report {
    fn from(tables: Vec<Table>) -> Self {
        Report::Tables(tables)
    }
}

impl From<String> for Report {
    fn from(text: String) -> Self {
        Report::Text(text)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::Tables(tables) => {
                for (i, table) in tables.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{table}")?;
                }
                Ok(())
            }
            Report::Text(text) => write!(f, "{text}"),
        }
    }
}

impl Report {
    /// The tables as CSV, a blank line between two; a sentence as a one-cell `message`
    /// table.
    fn to_csv(&self) -> Result<String, csv::Error> {
        let message;
        let tables = match self {
            Report::Tables(tables) => tables.as_slice(),
            Report::Text(text) => {
                let mut table = Table::new(["MESSAGE"]);
                table.row([text.trim_end().to_owned()]);
                message = [table];
                &message[..]
            }
        };
        let mut out = Vec::new();
        for (i, table) in tables.iter().enumerate() {
            if i > 0 {
                out.push(b'\n');
            }
            let mut writer = csv::Writer::from_writer(&mut out);
            for line in std::iter::once(&table.header).chain(&table.rows) {
                writer.write_record(line.iter().map(|cell| spreadsheet_safe(cell)))?;
            }
            writer.flush()?;
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

/// A cell a spreadsheet would read as a formula (`=`, `@`, or `+`/`-` not starting a
/// number or phone number) gets a leading `'`, so a name in a district's file cannot run
/// in the admin's spreadsheet; `-` alone (no value) stays as it is.
fn spreadsheet_safe(cell: &str) -> String {
    let numeric = |rest: &str| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_digit() || " ()-.+".contains(c))
    };
    let risky = match cell.chars().next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => cell.len() > 1 && !numeric(&cell[1..]),
        _ => false,
    };
    if risky {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// Prints `value` as JSON, or as the tables (or text) `render` makes of it, aligned or
/// as CSV.
pub fn print<T, R>(
    format: OutputFormat,
    value: &T,
    render: impl FnOnce(&T) -> R,
) -> Result<(), Failure>
where
    T: Serialize + ?Sized,
    R: Into<Report>,
{
    match format {
        OutputFormat::Json => {
            let json = serde_json::to_string_pretty(value)
                .map_err(|e| Failure::Local(format!("cannot print JSON: {e}")))?;
            println!("{json}");
        }
        OutputFormat::Table => print!("{}", render(value).into()),
        OutputFormat::Csv => {
            let csv = render(value)
                .into()
                .to_csv()
                .map_err(|e| Failure::Local(format!("cannot print CSV: {e}")))?;
            print!("{csv}");
        }
    }
    Ok(())
}

/// A timestamp for people: RFC 3339 in UTC, or `-`.
pub fn when(time: Option<SystemTime>) -> String {
    time.map(|t| Timestamp::from(t).to_string())
        .unwrap_or_else(|| "-".to_owned())
}

/// A duration for people in the largest unit that divides it (`90m`, `12h`, `7d`), the
/// way `--plan-ttl` reads it back.
pub(crate) fn span(duration: Duration) -> String {
    let seconds = duration.as_secs();
    DURATION_UNITS
        .iter()
        .find(|(_, size)| seconds.is_multiple_of(*size))
        .map_or_else(
            || format!("{seconds}s"),
            |(unit, size)| format!("{}{unit}", seconds / size),
        )
}

pub(crate) fn or_dash(value: Option<&str>) -> String {
    value.unwrap_or("-").to_owned()
}

/// Labelled values, one per line.
pub(crate) fn fields(pairs: &[(&str, String)]) -> Table {
    let mut table = Table::new(["FIELD", "VALUE"]);
    for (label, value) in pairs {
        table.row([(*label).to_owned(), value.clone()]);
    }
    table
}
