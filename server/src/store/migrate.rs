//! Embedded migrations, one folder per backend with the same migration names.
//!
//! Replicas starting together must not race them: the first takes a lock row (a lease,
//! so a replica killed while migrating does not block the others for ever), the others
//! wait for it, then find nothing left to do. A row rather than `GET_LOCK`, because a
//! Galera cluster does not support named locks.

use super::{Backend, StoreError};
use crate::domain::now;
use chrono::TimeDelta;
use diesel::SqliteConnection;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{
    AsyncConnection, AsyncMigrationHarness, AsyncMysqlConnection, SimpleAsyncConnection,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::time::Duration;

const MYSQL: EmbeddedMigrations = embed_migrations!("../migrations/mysql");
const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");

/// How long a migrating replica may hold the lock before another may take it.
const LOCK_LEASE: TimeDelta = TimeDelta::minutes(10);
/// How long a replica waits for another's migrations before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(600);

/// Applies pending migrations of this backend under the migration lock. Needs a
/// multi-thread runtime (the harness blocks in place).
pub async fn run(backend: Backend, url: &str) -> Result<(), StoreError> {
    let owner = format!("{}-{:016x}", std::process::id(), rand::random::<u64>());
    match backend {
        Backend::Mysql => {
            let mut lock = AsyncMysqlConnection::establish(url)
                .await
                .map_err(unreachable)?;
            with_lock(&mut lock, &owner, async {
                let conn = AsyncMysqlConnection::establish(url)
                    .await
                    .map_err(unreachable)?;
                apply(AsyncMigrationHarness::new(conn), MYSQL)
            })
            .await
        }
        Backend::Sqlite => {
            let mut lock = sqlite(url).await?;
            with_lock(&mut lock, &owner, async {
                apply(AsyncMigrationHarness::new(sqlite(url).await?), SQLITE)
            })
            .await
        }
    }
}

/// A SQLite connection for migrating that waits its turn on a lock instead of failing at
/// once: another connection may hold one for a moment, such as the store's checkpoint
/// thread (`checkpoint.rs`), which opens the file as soon as it exists.
async fn sqlite(url: &str) -> Result<SyncConnectionWrapper<SqliteConnection>, StoreError> {
    let mut conn = SyncConnectionWrapper::<SqliteConnection>::establish(url)
        .await
        .map_err(unreachable)?;
    conn.batch_execute("PRAGMA busy_timeout = 10000;").await?;
    Ok(conn)
}

fn unreachable(e: diesel::ConnectionError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn apply<H: MigrationHarness<B>, B: diesel::backend::Backend>(
    mut harness: H,
    migrations: EmbeddedMigrations,
) -> Result<(), StoreError> {
    let applied = harness
        .run_pending_migrations(migrations)
        .map_err(|e| StoreError::Migration(e.to_string()))?
        .len();
    tracing::info!(applied, "migrations up to date");
    Ok(())
}

/// Runs `work` while holding the migration lock row.
async fn with_lock<C: SimpleAsyncConnection + Send>(
    conn: &mut C,
    owner: &str,
    work: impl Future<Output = Result<(), StoreError>>,
) -> Result<(), StoreError> {
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS roster_migration_lock (\
         id INTEGER NOT NULL PRIMARY KEY, owner VARCHAR(128) NOT NULL, \
         expires_at VARCHAR(32) NOT NULL)",
    )
    .await?;
    let waited = std::time::Instant::now();
    loop {
        let at = now();
        let taken = conn
            .batch_execute(&format!(
                "INSERT INTO roster_migration_lock (id, owner, expires_at) VALUES (1, '{owner}', '{}')",
                stamp(at + LOCK_LEASE)
            ))
            .await;
        if taken.is_ok() {
            break;
        }
        // A lock whose holder died long ago is cleared; a live one is waited for.
        conn.batch_execute(&format!(
            "DELETE FROM roster_migration_lock WHERE id = 1 AND expires_at < '{}'",
            stamp(at)
        ))
        .await?;
        if waited.elapsed() > LOCK_WAIT {
            return Err(StoreError::Migration(
                "another replica has been migrating the database for too long".into(),
            ));
        }
        tracing::info!("another replica is migrating the database: waiting");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let result = work.await;
    let released = conn
        .batch_execute(&format!(
            "DELETE FROM roster_migration_lock WHERE owner = '{owner}'"
        ))
        .await;
    result?;
    released?;
    Ok(())
}

/// A time as text that sorts as the time does.
fn stamp(at: chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

#[cfg(test)]
mod tests {
    use super::{Backend, run};
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, SqliteConnection};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    /// Another connection reading the file now and then (the store's checkpoint thread, a
    /// second replica's start, an operator's `sqlite3`) holds a lock for a moment: the
    /// migration waits for it rather than failing the server's start with "database is
    /// locked".
    #[tokio::test(flavor = "multi_thread")]
    async fn migrating_waits_for_a_reader_of_the_same_file() {
        let path =
            std::env::temp_dir().join(format!("roster_mig_{:016x}.db", rand::random::<u64>()));
        let url = path.display().to_string();
        // An empty file in SQLite's default (rollback) mode, where a reader holds off a
        // writer's commit: as on a first start, before any pooled connection sets WAL.
        std::fs::File::create(&path).unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let reader = std::thread::spawn({
            let (url, done) = (url.clone(), done.clone());
            move || {
                let mut reads = 0;
                while !done.load(Ordering::Relaxed) {
                    let Ok(mut c) = SqliteConnection::establish(&url) else {
                        continue;
                    };
                    if c.batch_execute("BEGIN; SELECT count(*) FROM sqlite_master;")
                        .is_ok()
                    {
                        reads += 1;
                        std::thread::sleep(Duration::from_millis(40));
                    }
                    let _ = c.batch_execute("COMMIT;");
                    drop(c);
                    std::thread::sleep(Duration::from_millis(2));
                }
                reads
            }
        });
        let migrated = run(Backend::Sqlite, &url).await;
        done.store(true, Ordering::Relaxed);
        let reads = reader.join().unwrap();
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{url}{suffix}"));
        }
        assert!(reads > 0, "the reader never held its lock");
        migrated.expect("migrations wait for the reader's lock");
    }
}
