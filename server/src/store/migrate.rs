//! Embedded migrations, one folder per backend with the same migration names.
//!
//! Replicas starting together must not race them: the first takes a lock row (a lease,
//! so a replica killed while migrating does not block the others for ever), the others
//! wait for it, then find nothing left to do. A row rather than `GET_LOCK`, because a
//! Galera cluster does not support named locks. The lease is judged by the database's own
//! clock, in the statements: replicas' clocks may disagree (`store::clock`), and none has
//! measured the store's yet when it migrates.

use super::{Backend, StoreError};
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
            with_lock(&mut lock, backend, &owner, async {
                let conn = AsyncMysqlConnection::establish(url)
                    .await
                    .map_err(unreachable)?;
                apply(AsyncMigrationHarness::new(conn), MYSQL)
            })
            .await
        }
        Backend::Sqlite => {
            let mut lock = sqlite(url).await?;
            with_lock(&mut lock, backend, &owner, async {
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
    backend: Backend,
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
        let taken = conn
            .batch_execute(&format!(
                "INSERT INTO roster_migration_lock (id, owner, expires_at) VALUES (1, '{owner}', {})",
                store_now(backend, LOCK_LEASE)
            ))
            .await;
        if taken.is_ok() {
            break;
        }
        // A lock whose holder died long ago is cleared; a live one is waited for.
        conn.batch_execute(&format!(
            "DELETE FROM roster_migration_lock WHERE id = 1 AND expires_at < {}",
            store_now(backend, TimeDelta::zero())
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

/// SQL for the database's now, `later` on, as text that sorts as the time does.
fn store_now(backend: Backend, later: TimeDelta) -> String {
    let seconds = later.num_seconds();
    match backend {
        Backend::Mysql => format!(
            "DATE_FORMAT(UTC_TIMESTAMP(6) + INTERVAL {seconds} SECOND, '%Y-%m-%d %H:%i:%S.%f')"
        ),
        Backend::Sqlite => format!("strftime('%Y-%m-%d %H:%M:%f', 'now', '{seconds:+} seconds')"),
    }
}

#[cfg(test)]
mod tests {
    use super::{Backend, run, store_now};
    use crate::store::Store;
    use crate::store::testing::TestStore;
    use chrono::TimeDelta;
    use diesel::connection::SimpleConnection;
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    use diesel::{Connection, SqliteConnection};
    use diesel_async::SimpleAsyncConnection;
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

    /// Writes the lock row of another replica, its lease ending `later` by the database's
    /// clock, as the lock itself writes it.
    async fn held_by_another(store: &Store, later: TimeDelta) {
        let sql = format!(
            "INSERT INTO roster_migration_lock (id, owner, expires_at) VALUES (1, 'another', {})",
            store_now(store.backend(), later)
        );
        let mut conn = store.conn().await.unwrap();
        with_conn!(&mut conn, c => c.batch_execute(&sql).await).unwrap();
    }

    async fn lock_rows(store: &Store) -> i64 {
        use diesel_async::RunQueryDsl;
        let mut conn = store.conn().await.unwrap();
        with_conn!(&mut conn, c => diesel::select(sql::<BigInt>(
            "(SELECT COUNT(*) FROM roster_migration_lock)"
        )).get_result::<i64>(c).await)
        .unwrap()
    }

    /// A replica killed while migrating leaves its lock row: once its lease has run out by
    /// the database's clock, the next replica to start clears it and migrates.
    #[tokio::test(flavor = "multi_thread")]
    async fn r7_6_a_migration_lock_whose_lease_ran_out_is_cleared() {
        let db = TestStore::new().await;
        held_by_another(&db.store, TimeDelta::seconds(-60)).await;
        db.store
            .migrate()
            .await
            .expect("a lapsed lock is taken over");
        assert_eq!(lock_rows(&db.store).await, 0, "the lock is released after");
    }

    /// A replica migrating now holds its lock for its lease: another starting meanwhile
    /// waits for it to let go, and then finds nothing left to do.
    #[tokio::test(flavor = "multi_thread")]
    async fn r7_6_a_live_migration_lock_is_waited_for() {
        let db = TestStore::new().await;
        held_by_another(&db.store, TimeDelta::minutes(5)).await;
        let released = Arc::new(AtomicBool::new(false));
        let releasing = tokio::spawn({
            let (store, released) = (db.store.clone(), released.clone());
            async move {
                tokio::time::sleep(Duration::from_millis(700)).await;
                released.store(true, Ordering::SeqCst);
                let mut conn = store.conn().await.unwrap();
                with_conn!(&mut conn, c => c.batch_execute(
                    "DELETE FROM roster_migration_lock WHERE owner = 'another'"
                ).await)
                .unwrap();
            }
        });
        db.store
            .migrate()
            .await
            .expect("migrates once the lock is let go");
        assert!(
            released.load(Ordering::SeqCst),
            "migrated while another replica held the lock"
        );
        releasing.await.unwrap();
        assert_eq!(lock_rows(&db.store).await, 0);
    }
}
