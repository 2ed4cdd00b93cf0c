//! SQLite's write-ahead log, copied back into the database file by a thread of its own.
//!
//! By default, the connection whose commit takes the log past 1,000 pages copies the log
//! back into the database file (a checkpoint) before its commit returns. A first sync's
//! apply leaves about 200 MB of log per 100,000 students, so the next write after it
//! (the next run's start or claim, an edit) waited one to two seconds for that copy.
//! Every pooled connection turns this off (`wal_autocheckpoint = 0`, see `conn.rs`), and
//! this thread checkpoints instead, off every request's path: a `PASSIVE` checkpoint,
//! which waits for no reader or writer and copies what no reader still needs, as the
//! automatic one did. The log is therefore copied back within [`PERIOD`] of a commit.

use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

/// How long a commit's log may wait to be copied back: long enough that the thread costs
/// nothing while the server idles, short enough that the log stays about as small as
/// SQLite's own checkpoints kept it between runs.
const PERIOD: Duration = Duration::from_millis(500);

/// The checkpointing thread of one SQLite store. It stops, after a last checkpoint, once
/// every clone of the store holding it is dropped.
#[derive(Clone)]
pub(super) struct Checkpointer {
    /// Never sent on: dropping its last clone is what tells the thread to stop.
    _alive: Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path`. A database file that does not exist yet
    /// is not created here: the thread waits for the pool's first connection to make it.
    pub(super) fn start(path: &str) -> Checkpointer {
        let (alive, stopped) = channel();
        let path = PathBuf::from(path);
        let spawned = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&path, &stopped));
        if let Err(e) = spawned {
            // The pool still works: its connections checkpoint as SQLite does by default.
            tracing::warn!(error = %e, "no checkpoint thread; SQLite checkpoints on commit");
        }
        Checkpointer { _alive: alive }
    }
}

fn run(path: &std::path::Path, stopped: &Receiver<()>) {
    let mut conn: Option<SqliteConnection> = None;
    loop {
        let last = match stopped.recv_timeout(PERIOD) {
            Err(RecvTimeoutError::Timeout) | Ok(()) => false,
            Err(RecvTimeoutError::Disconnected) => true,
        };
        if conn.is_none() {
            conn = open(path);
        }
        if let Some(c) = conn.as_mut()
            && let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE);")
        {
            // A checkpoint that found the log busy says so in its row, not as an error: this
            // is the file gone or unreadable. The next period tries again, on a fresh
            // connection.
            tracing::debug!(error = %e, "SQLite checkpoint skipped");
            conn = None;
        }
        if last {
            return;
        }
    }
}

/// A connection to the database at `path` that never creates it (`mode=rw`): a store's
/// files removed meanwhile (a test's, after it ends) are not made again, empty.
fn open(path: &std::path::Path) -> Option<SqliteConnection> {
    let mut uri = String::from("file:");
    for c in path.to_str()?.chars() {
        match c {
            '?' | '#' | '%' => uri.push_str(&format!("%{:02X}", c as u32)),
            c => uri.push(c),
        }
    }
    uri.push_str("?mode=rw");
    let mut conn = SqliteConnection::establish(&uri).ok()?;
    conn.batch_execute("PRAGMA busy_timeout = 1000;").ok()?;
    Some(conn)
}

#[cfg(test)]
mod tests {
    use super::PERIOD;
    use crate::store::Store;
    use diesel::sql_types::BigInt;
    use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
    use std::time::{Duration, Instant};

    #[derive(diesel::QueryableByName)]
    struct Pages {
        #[diesel(sql_type = BigInt)]
        wal_autocheckpoint: i64,
    }

    fn temp_db() -> std::path::PathBuf {
        std::env::temp_dir().join(format!("roster_ckpt_{:016x}.db", rand::random::<u64>()))
    }

    /// A store on the SQLite file at `path`, whatever backend the other tests use.
    fn store_at(path: &std::path::Path) -> Store {
        Store::connect(
            &format!("sqlite://{}", path.display()),
            2,
            Duration::from_secs(5),
        )
        .unwrap()
    }

    fn remove(path: &std::path::Path) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    /// A commit does not copy its log back into the database file itself (the next write
    /// would wait for it after a big apply); the store's own thread does, soon after.
    #[tokio::test]
    async fn a_commit_leaves_its_log_to_the_checkpoint_thread() {
        let path = temp_db();
        let store = store_at(&path);
        let mut conn = store.conn().await.unwrap();
        let pages = with_conn!(&mut conn, c => diesel::sql_query("PRAGMA wal_autocheckpoint")
            .get_result::<Pages>(c)
            .await)
        .unwrap();
        assert_eq!(
            pages.wal_autocheckpoint, 0,
            "commits checkpoint by themselves"
        );
        let before = std::fs::metadata(&path).unwrap().len();
        // About 4 MB of log, more than the 1,000 pages at which a commit would copy it.
        with_conn!(&mut conn, c => c.batch_execute(
            "CREATE TABLE filler (b BLOB); BEGIN; \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) \
             INSERT INTO filler SELECT randomblob(4000) FROM n; COMMIT;"
        )
        .await)
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let copied = loop {
            let now = std::fs::metadata(&path).unwrap().len();
            if now > before + 4_000_000 || Instant::now() > deadline {
                break now;
            }
            tokio::time::sleep(PERIOD / 4).await;
        };
        drop(conn);
        drop(store);
        remove(&path);
        assert!(
            copied > before + 4_000_000,
            "the database file stayed at {copied} bytes (from {before}): no checkpoint"
        );
    }

    /// The thread never creates the database: a store that has not connected yet leaves no
    /// file behind.
    #[tokio::test]
    async fn the_checkpoint_thread_creates_no_database() {
        let path = temp_db();
        let store = store_at(&path);
        tokio::time::sleep(PERIOD * 3).await;
        let exists = path.exists();
        drop(store);
        remove(&path);
        assert!(!exists, "{} was created", path.display());
    }
}
