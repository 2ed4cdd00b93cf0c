//! MySQL's own bulk path for the rows an apply inserts: rows are written as tab-separated
//! text in memory and sent with `LOAD DATA LOCAL INFILE`, which the server parses and
//! inserts about four times faster than multi-row `INSERT`s of bound parameters (a
//! 100k-student first sync inserts over a million rows). It runs on the apply's own
//! connection, inside its transaction: the single-transaction promise (R7.1, R7.6) is
//! unchanged.
//!
//! `LOAD DATA LOCAL` is known for letting a server make its client send any file the
//! client can read. Here the "file" is never a file: the connection's handler
//! ([`handler`]) serves only buffers this process registered, each once, under a random
//! name, and refuses every other name; nothing is read from disk.
//!
//! Where the server does not allow it (`local_infile` off, as MySQL 8 ships), or on
//! SQLite, [`load`] says so and the caller inserts with statements as before.

use super::models::*;
use super::{DbConn, StoreError};
use crate::domain::{AbandonAction, ChangeAction, Origin, RecordKind, Severity, StaffRole};
use bytes::Bytes;
use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncMysqlConnection, RunQueryDsl, SimpleAsyncConnection};
use foldhash::HashMap;
use futures::SinkExt;
use futures::channel::mpsc;
use futures::future::{BoxFuture, FutureExt};
use mysql_async::LocalInfileError;
use mysql_async::prelude::GlobalHandler;
use std::sync::{LazyLock, Mutex};

/// Rows per `LOAD DATA` statement: a few megabytes of text, and the run's progress moves
/// after each.
const ROWS_PER_LOAD: usize = 20_000;

/// Rows per piece of a statement's text: the server parses one piece while the next is
/// written.
const ROWS_PER_PIECE: usize = 500;

/// The pieces of a statement's text, as they are written.
type Pieces = mpsc::Receiver<std::io::Result<Bytes>>;

/// Text waiting for the server to ask for it, by its one-time name.
static BUFFERS: LazyLock<Mutex<HashMap<String, Pieces>>> = LazyLock::new(Default::default);

/// The connection's `LOCAL INFILE` handler: the text registered under the name the server
/// asks for, once. Any other name gets an error in place of data, which still ends the
/// request by the protocol (an empty file), so the connection stays usable; a handler
/// failing outright would leave the server waiting for the file.
pub(super) fn handler() -> impl GlobalHandler {
    |name: &[u8]| -> BoxFuture<'static, Result<mysql_async::InfileData, LocalInfileError>> {
        let name = String::from_utf8_lossy(name).into_owned();
        let pieces = BUFFERS.lock().map(|mut b| b.remove(&name)).ok().flatten();
        let stream: mysql_async::InfileData = match pieces {
            Some(pieces) => Box::pin(pieces),
            None => Box::pin(futures::stream::once(async {
                Err(std::io::Error::other(
                    "roster-sync sends only the rows it is loading, never a file",
                ))
            })),
        };
        futures::future::ready(Ok(stream)).boxed()
    }
}

/// What `LOAD DATA` does with a row whose key exists already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDuplicate {
    /// The load fails: new records must be new (as a plain `INSERT`).
    Fail,
    /// The row is skipped (as `INSERT IGNORE`): a link made meanwhile wins.
    Skip,
}

/// A value as one cell of `LOAD DATA`'s default text format: tab-separated, `\N` for
/// NULL, a backslash escaping the tab, newline, backslash and NUL.
pub trait Cell {
    fn put(&self, out: &mut Vec<u8>);
}

/// Integers by `itoa`: `core::fmt` took a sixth of the time spent writing a first sync's
/// rows.
impl Cell for i64 {
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(itoa::Buffer::new().format(*self).as_bytes());
    }
}

/// Two digits, zero-padded: the fields of a date or a time.
fn two_digits(n: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(&[b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8]);
}

impl Cell for str {
    fn put(&self, out: &mut Vec<u8>) {
        let bytes = self.as_bytes();
        // Most cells hold nothing to escape: copied whole.
        if !bytes
            .iter()
            .any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r' | 0))
        {
            out.extend_from_slice(bytes);
            return;
        }
        for &b in bytes {
            match b {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\t' => out.extend_from_slice(b"\\t"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                0 => out.extend_from_slice(b"\\0"),
                _ => out.push(b),
            }
        }
    }
}

impl Cell for String {
    fn put(&self, out: &mut Vec<u8>) {
        self.as_str().put(out);
    }
}

impl Cell for crate::domain::SourceId {
    fn put(&self, out: &mut Vec<u8>) {
        self.as_str().put(out);
    }
}

/// `DATETIME(6)`, written field by field: chrono's `format` parses its pattern on every
/// call, and a first sync writes millions of timestamps.
impl Cell for NaiveDateTime {
    fn put(&self, out: &mut Vec<u8>) {
        self.date().put(out);
        let time = self.time();
        let micros = (time.nanosecond() / 1_000).min(999_999);
        out.push(b' ');
        two_digits(time.hour(), out);
        out.push(b':');
        two_digits(time.minute(), out);
        out.push(b':');
        two_digits(time.second(), out);
        out.push(b'.');
        two_digits(micros / 10_000, out);
        two_digits(micros / 100 % 100, out);
        two_digits(micros % 100, out);
    }
}

impl Cell for NaiveDate {
    fn put(&self, out: &mut Vec<u8>) {
        match u32::try_from(self.year()) {
            Ok(year) if year <= 9999 => {
                two_digits(year / 100, out);
                two_digits(year % 100, out);
            }
            // Outside what a DATE column holds: written as it is, for the server to refuse.
            _ => out.extend_from_slice(self.year().to_string().as_bytes()),
        }
        out.push(b'-');
        two_digits(self.month(), out);
        out.push(b'-');
        two_digits(self.day(), out);
    }
}

impl<T: Cell> Cell for Option<T> {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            Some(value) => value.put(out),
            None => out.extend_from_slice(b"\\N"),
        }
    }
}

/// Stored enums are stored as their words.
macro_rules! word_cells {
    ($($t:ty),+) => {$(
        impl Cell for $t {
            fn put(&self, out: &mut Vec<u8>) {
                self.as_str().put(out);
            }
        }
    )+};
}

word_cells!(
    Origin,
    StaffRole,
    RecordKind,
    AbandonAction,
    ChangeAction,
    Severity
);

/// A row type `LOAD DATA` can insert: its table, its columns, its primary key and one line
/// per row.
pub trait Loadable {
    const TABLE: &'static str;
    /// The columns, comma-separated, in the order [`Loadable::put_row`] writes them.
    const COLUMNS: &'static str;
    /// The primary key (a one-column key is `(id, 0)`): rows are loaded in its order.
    fn key(&self) -> (i64, i64);
    fn put_row(&self, out: &mut Vec<u8>);
}

/// Declares a row type loadable. The row is destructured without `..`, so a field added
/// to the model and not here fails to compile rather than load as its column's default.
macro_rules! loadable {
    ($($row:ident => $table:ident by |$r:ident| $key:expr, { $first:ident $(, $field:ident)* $(,)? })+) => {$(
        impl Loadable for $row {
            const TABLE: &'static str = stringify!($table);
            const COLUMNS: &'static str = concat!(stringify!($first) $(, ",", stringify!($field))*);
            fn key(&self) -> (i64, i64) {
                let $r = self;
                $key
            }
            fn put_row(&self, out: &mut Vec<u8>) {
                let $row { $first $(, $field)* } = self;
                $first.put(out);
                $(
                    out.push(b'\t');
                    $field.put(out);
                )*
                out.push(b'\n');
            }
        }
    )+};
}

loadable! {
    School => schools by |r| (r.id, 0), { id, district_id, source_id, sis_id, name, origin, archived_at, created_at, updated_at }
    Student => students by |r| (r.id, 0), {
        id, district_id, source_id, sis_id, given_name, family_name, email, grade, attributes,
        origin, archived_at, created_at, updated_at
    }
    Guardian => guardians by |r| (r.id, 0), {
        id, district_id, source_id, sis_id, given_name, family_name, email, sms_number,
        home_phone, language, origin, activated_at, created_at, updated_at
    }
    Staff => staff by |r| (r.id, 0), {
        id, district_id, source_id, sis_id, given_name, family_name, email, sms_number,
        home_phone, language, role, origin, activated_at, created_at, updated_at
    }
    Class => classes by |r| (r.id, 0), {
        id, district_id, school_id, source_id, sis_id, name, grades, origin, archived_at,
        created_at, updated_at, term_end_date
    }
    SchoolStudent => school_students by |r| Membership::key(r), { school_id, student_id, district_id, origin, created_at }
    SchoolStaff => school_staff by |r| Membership::key(r), { school_id, staff_id, district_id, origin, created_at }
    ClassStudent => class_students by |r| Membership::key(r), { class_id, student_id, district_id, source_id, origin, created_at }
    ClassTeacher => class_teachers by |r| Membership::key(r), { class_id, staff_id, district_id, source_id, origin, created_at }
    FamilyLink => family_links by |r| Membership::key(r), { student_id, guardian_id, district_id, origin, created_at }
    AbandonedRow => abandoned_records by |r| (r.id, 0), {
        id, district_id, run_id, record_kind, record_id, related_id, source_id, display_name,
        school_id, action, abandoned_at, restored_at, restore_run_id
    }
    IssueRow => sync_issues by |r| (r.id, 0), {
        id, run_id, severity, record_kind, code, message, source_file, source_line,
        source_resource, source_id, field
    }
    PlannedChangeRow => planned_changes by |r| (r.run_id, r.seq), {
        run_id, seq, record_kind, action, record_id, source_id, display_name, school_id, fields
    }
    HistoryRow => record_history by |r| (r.id, 0), {
        id, district_id, record_kind, record_id, related_id, run_id, key_id, actor, action,
        fields, at
    }
}

/// Inserts `rows` with `LOAD DATA LOCAL INFILE`, counting them into the connection's
/// progress as each statement completes. `false`, having written nothing, when this
/// connection cannot: SQLite, or a MySQL server with `local_infile` off.
pub async fn load<T: Loadable>(
    conn: &mut DbConn,
    rows: &[&T],
    on_duplicate: OnDuplicate,
) -> Result<bool, StoreError> {
    if rows.is_empty() {
        return Ok(true);
    }
    if !conn.loads_in_bulk().await? {
        return Ok(false);
    }
    for piece in rows.chunks(ROWS_PER_LOAD) {
        let loaded = with_conn!(&mut *conn,
            mysql: c => Some(load_rows(c, piece).await),
            sqlite: _c => None
        );
        let Some(loaded) = loaded.transpose()? else {
            return Ok(false);
        };
        if on_duplicate == OnDuplicate::Fail && (loaded.rows != piece.len() || loaded.warnings != 0)
        {
            return Err(StoreError::Query(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                Box::new(format!(
                    "loading {}: {} of {} rows inserted, {} warnings (an existing key, or a \
                     value the column cannot hold)",
                    T::TABLE,
                    loaded.rows,
                    piece.len(),
                    loaded.warnings
                )),
            )));
        }
        conn.wrote(piece.len())?;
    }
    Ok(true)
}

/// What one `LOAD DATA` statement did.
struct Loaded {
    rows: usize,
    warnings: usize,
}

/// One `LOAD DATA` statement of `rows`. Their text is written piece by piece while the
/// statement runs, on this task: the server parses and inserts one piece while the next
/// is written. A whole text written first kept the server waiting for each statement's:
/// 0.8 s of a 100k-student first sync's apply, 0.2-0.4 s now.
async fn load_rows<T: Loadable>(
    c: &mut AsyncMysqlConnection,
    rows: &[&T],
) -> Result<Loaded, StoreError> {
    // Two pieces ahead at most: the rows' text is never held whole.
    let (mut tx, pieces) = mpsc::channel(2);
    let write = async move {
        for piece in rows.chunks(ROWS_PER_PIECE) {
            let mut text = Vec::with_capacity(piece.len() * 128);
            piece.iter().for_each(|row| row.put_row(&mut text));
            // Refused once the statement is over without reading it all (it failed):
            // its own error says why.
            if tx.send(Ok(Bytes::from(text))).await.is_err() {
                return;
            }
        }
    };
    let (loaded, ()) = futures::join!(load_text(c, T::TABLE, T::COLUMNS, pieces), write);
    loaded
}

async fn load_text(
    c: &mut AsyncMysqlConnection,
    table: &str,
    columns: &str,
    text: Pieces,
) -> Result<Loaded, StoreError> {
    #[derive(diesel::QueryableByName)]
    struct Counts {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        loaded: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        warnings: i64,
    }
    let name = format!("roster-sync-rows-{:032x}", rand::random::<u128>());
    if let Ok(mut buffers) = BUFFERS.lock() {
        buffers.insert(name.clone(), text);
    }
    // Table and column names are this module's constants; the name is ours and hex.
    let sql = format!(
        "LOAD DATA LOCAL INFILE '{name}' IGNORE INTO TABLE {table} CHARACTER SET utf8mb4 ({columns})"
    );
    let sent = c.batch_execute(&sql).await;
    if let Ok(mut buffers) = BUFFERS.lock() {
        // Still there if the server never asked for it (the statement failed first);
        // dropped, it stops the writing.
        buffers.remove(&name);
    }
    sent?;
    // Read by the next statement, which does not touch a table and so leaves both in
    // place; a prepared SELECT might not.
    c.batch_execute("SET @roster_loaded = ROW_COUNT(), @roster_warnings = @@warning_count")
        .await?;
    let counts: Counts = diesel::sql_query(
        "SELECT CAST(@roster_loaded AS SIGNED) AS loaded, \
         CAST(@roster_warnings AS SIGNED) AS warnings",
    )
    .get_result(c)
    .await?;
    Ok(Loaded {
        rows: counts.loaded.max(0) as usize,
        warnings: counts.warnings.max(0) as usize,
    })
}

/// Whether the server of `c` accepts `LOAD DATA LOCAL` (`local_infile`).
pub(super) async fn server_allows(c: &mut AsyncMysqlConnection) -> Result<bool, StoreError> {
    #[derive(diesel::QueryableByName)]
    struct LocalInfile {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        on: i64,
    }
    let found: LocalInfile =
        diesel::sql_query("SELECT CAST(@@GLOBAL.local_infile AS SIGNED) AS `on`")
            .get_result(c)
            .await?;
    let allowed = found.on == 1;
    // Said once per process: the statement path is correct, only several times slower,
    // and nothing else would tell an operator why a large district applies slowly.
    static SAID: std::sync::Once = std::sync::Once::new();
    if !allowed {
        SAID.call_once(|| {
            tracing::warn!(
                "the MySQL server has local_infile off: applies insert by multi-row \
                 statements, several times slower than LOAD DATA LOCAL; set \
                 local_infile=ON on the server for large districts"
            )
        });
    }
    Ok(allowed)
}

#[cfg(test)]
mod tests;
