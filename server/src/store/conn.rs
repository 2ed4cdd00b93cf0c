//! Connection pools for both backends and the connection enum query code runs on.

use super::checkpoint::Checkpointer;
use super::{StoreError, migrate};
use diesel::SqliteConnection;
use diesel::{ConnectionError, ConnectionResult};
use diesel_async::pooled_connection::bb8::{Pool, PooledConnection};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{
    AnsiTransactionManager, AsyncConnection, AsyncMysqlConnection, SimpleAsyncConnection,
    TransactionManager,
};
use futures::future::{BoxFuture, FutureExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// Runs `$body` with `$c` bound to the concrete connection of either backend. The body is
/// compiled once per backend, so keep it to one statement or a few. The connection counts
/// as busy while the body runs: if the future is dropped there (a client gone, a timeout,
/// an aborted task), the connection may hold half an answer, and it is discarded instead
/// of going back to the pool, where the next query would read that half.
macro_rules! with_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        with_conn!($conn, mysql: $c => $body, sqlite: $c => $body)
    };
    // Where the code differs by backend.
    ($conn:expr, mysql: $m:ident => $mysql:expr, sqlite: $s:ident => $sqlite:expr) => {{
        let db: &mut $crate::store::DbConn = ($conn).this();
        db.busy = true;
        let out = match &mut db.pooled {
            $crate::store::Pooled::Mysql(pooled) => {
                let $m: &mut ::diesel_async::AsyncMysqlConnection = &mut **pooled;
                $mysql
            }
            $crate::store::Pooled::Sqlite(pooled) => {
                let $s: &mut $crate::store::SqliteConn = &mut **pooled;
                $sqlite
            }
        };
        db.busy = false;
        out
    }};
}

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Mysql,
    Sqlite,
}

#[derive(Clone)]
enum Pools {
    Mysql(Pool<AsyncMysqlConnection>),
    Sqlite(Pool<SqliteConn>),
}

impl Pools {
    /// Checks a connection out in a task of its own. The pool tries each connection with
    /// a query before lending it; were the caller to go away during that query, the pool
    /// would take back a connection with half an answer in it. In its own task the check
    /// always finishes, and a connection nobody waits for any more goes back clean.
    async fn lend(&self) -> Result<Pooled, StoreError> {
        let pools = self.clone();
        tokio::spawn(async move {
            match pools {
                Pools::Mysql(p) => p.get_owned().await.map(Pooled::Mysql),
                Pools::Sqlite(p) => p.get_owned().await.map(Pooled::Sqlite),
            }
            .map_err(|e| match e {
                bb8::RunError::TimedOut => {
                    StoreError::Busy("no connection came free in time".into())
                }
                bb8::RunError::User(e) => StoreError::Unavailable(e.to_string()),
            })
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("checkout stopped: {e}")))?
    }
}

/// A pooled store. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pools: Pools,
    url: String,
    /// Whether the last health probe reached the store. While it did not, requests fail
    /// at once with UNAVAILABLE instead of each waiting out the connection timeout.
    up: Arc<AtomicBool>,
    /// SQLite's checkpointing thread, which lives as long as a clone of the store does.
    _checkpoints: Option<Checkpointer>,
    /// The store's clock, which leases are judged by (`store::clock`).
    clock: Arc<super::clock::Clock>,
}

/// A connection checked out of the pool. Query code reaches it through [`with_conn!`].
pub struct DbConn {
    /// The connection itself; outside the store only tests arranging raw rows use it.
    pub pooled: Pooled,
    /// The pool it came from, which replaces it when its transaction state is broken;
    /// see [`DbConn::mend`].
    pools: Pools,
    /// Whether a query is in flight; see [`with_conn!`].
    pub(crate) busy: bool,
    /// Where batched writes count the rows they send, so a long apply shows progress
    /// while it runs; see [`DbConn::count_rows_into`].
    rows_written: Option<Arc<AtomicI64>>,
    /// Set when batched writes must stop; see [`DbConn::stop_writes_when`].
    stop_writes: Option<Arc<AtomicBool>>,
    /// Whether inserts here take MySQL's bulk path (`store::bulk`), once asked.
    loads_in_bulk: Option<bool>,
    /// The store's clock, so that what writes a time through this connection writes the
    /// store's (`store::clock`).
    clock: Arc<super::clock::Clock>,
}

pub enum Pooled {
    Mysql(PooledConnection<'static, AsyncMysqlConnection>),
    Sqlite(PooledConnection<'static, SqliteConn>),
}

impl Drop for DbConn {
    /// A connection dropped in the middle of a query is marked broken, so the pool closes
    /// it rather than lending it again.
    fn drop(&mut self) {
        if !self.busy {
            return;
        }
        tracing::debug!("a query was cut short: its connection is discarded");
        match &mut self.pooled {
            Pooled::Mysql(c) => mark_broken(&mut **c),
            Pooled::Sqlite(c) => mark_broken(&mut **c),
        }
    }
}

fn mark_broken<C: AsyncConnection>(c: &mut C) {
    <C::TransactionManager as TransactionManager<C>>::transaction_manager_status_mut(c)
        .set_in_error();
}

/// Whether the connection's transaction state is broken (not merely in a transaction).
fn in_error<C: AsyncConnection>(c: &mut C) -> bool {
    <C::TransactionManager as TransactionManager<C>>::transaction_manager_status_mut(c)
        .transaction_state()
        .is_err()
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish()
    }
}

/// Opens a MySQL connection the way the store needs it: `UPDATE` counts the rows it
/// matched (conditional updates decide by that count), and on a Galera cluster every read
/// waits until the node has applied what the cluster committed before it, so a replica
/// reading through one node sees what another wrote through another (causal reads).
fn mysql_setup(url: &str) -> BoxFuture<'_, ConnectionResult<AsyncMysqlConnection>> {
    async move {
        let opts = mysql_async::Opts::from_url(url)
            .map_err(|e| ConnectionError::InvalidConnectionUrl(e.to_string()))?;
        let opts = mysql_async::OptsBuilder::from_opts(opts)
            .stmt_cache_size(0)
            .client_found_rows(true)
            .local_infile_handler(Some(super::bulk::handler()));
        let conn = mysql_async::Conn::new(opts)
            .await
            .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
        let mut conn = AsyncMysqlConnection::try_from(conn).await?;
        if is_galera(&mut conn).await {
            conn.batch_execute("SET SESSION wsrep_sync_wait = 1")
                .await
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
        }
        Ok(conn)
    }
    .boxed()
}

/// Whether the server is a Galera node (`wsrep_on`); a server without the variable is not.
async fn is_galera(conn: &mut AsyncMysqlConnection) -> bool {
    #[derive(diesel::QueryableByName)]
    struct WsrepOn {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        on: i64,
    }
    use diesel_async::RunQueryDsl;
    diesel::sql_query("SELECT CAST(@@wsrep_on AS SIGNED) AS `on`")
        .get_result::<WsrepOn>(conn)
        .await
        .is_ok_and(|r| r.on == 1)
}

/// Sets SQLite's process-wide options, once, before the process opens its first SQLite
/// connection (SQLite refuses them later). The library's defaults lock a mutex on every
/// call into a connection (serialized mode) and on every allocation (to keep memory
/// statistics): a first sync's apply spent 7% of its time in those locks. A diesel
/// connection is never used by two threads at once (it is not `Sync`), which is all the
/// multi-thread mode asks, and the server reads no memory statistics.
fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use libsqlite3_sys::{
            SQLITE_CONFIG_MEMSTATUS, SQLITE_CONFIG_MULTITHREAD, SQLITE_OK, sqlite3_config,
        };
        // SAFETY: both options take the arguments given; sqlite3_config is only unsafe
        // while another thread uses SQLite, and no connection exists before this runs
        // (it runs first in the only place that opens one). Had one opened anyway, SQLite
        // would refuse with SQLITE_MISUSE and keep its defaults, which are safe too.
        let off: std::ffi::c_int = 0;
        let (memstatus, threading) = unsafe {
            (
                sqlite3_config(SQLITE_CONFIG_MEMSTATUS, off),
                sqlite3_config(SQLITE_CONFIG_MULTITHREAD),
            )
        };
        if memstatus != SQLITE_OK || threading != SQLITE_OK {
            tracing::warn!(memstatus, threading, "SQLite kept its default locking");
        }
    });
}

/// Sets the pragmas every SQLite connection needs: WAL so readers never wait for the
/// writer, a busy timeout so writers queue instead of failing, and foreign keys on.
fn sqlite_setup(url: &str) -> BoxFuture<'_, ConnectionResult<SqliteConn>> {
    async move {
        let mut conn = SqliteConn::establish(url).await?;
        for pragma in [
            "PRAGMA busy_timeout = 10000;",
            "PRAGMA journal_mode = WAL;",
            "PRAGMA synchronous = NORMAL;",
            // The log is copied back into the file by a thread of its own, not by the
            // commit that fills it (`checkpoint.rs`).
            "PRAGMA wal_autocheckpoint = 0;",
            "PRAGMA foreign_keys = ON;",
            // What is deleted or overwritten (an erased person, a cleared secret) is
            // zeroed in the file, not left in free pages.
            "PRAGMA secure_delete = ON;",
        ] {
            conn.batch_execute(pragma)
                .await
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
        }
        Ok(conn)
    }
    .boxed()
}

impl Store {
    /// Builds the pool for `url` (`mysql://...` or `sqlite://path`). Connections open
    /// lazily: a store that is down makes requests fail with UNAVAILABLE, not start-up.
    pub fn connect(url: &str, max_size: u32, timeout: Duration) -> Result<Self, StoreError> {
        let mut checkpoints = None;
        let pools = match Self::backend_of(url)? {
            Backend::Mysql => {
                let mut config = ManagerConfig::<AsyncMysqlConnection>::default();
                config.custom_setup = Box::new(mysql_setup);
                Pools::Mysql(
                    Pool::builder()
                        .max_size(max_size)
                        .connection_timeout(timeout)
                        .build_unchecked(AsyncDieselConnectionManager::new_with_config(
                            url, config,
                        )),
                )
            }
            Backend::Sqlite => {
                let path = url.trim_start_matches("sqlite://");
                if path.is_empty() {
                    return Err(StoreError::Config(
                        "sqlite:// URL has no path (try sqlite://./roster.db)".into(),
                    ));
                }
                if let Some(parent) = std::path::Path::new(path).parent()
                    && !parent.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        StoreError::Config(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
                configure_sqlite();
                checkpoints = Some(Checkpointer::start(path));
                let mut config = ManagerConfig::<SqliteConn>::default();
                config.custom_setup = Box::new(sqlite_setup);
                // One writer at a time in SQLite anyway; a few connections serve readers.
                Pools::Sqlite(
                    Pool::builder()
                        .max_size(max_size.min(4))
                        .connection_timeout(timeout)
                        .build_unchecked(AsyncDieselConnectionManager::new_with_config(
                            path, config,
                        )),
                )
            }
        };
        Ok(Store {
            pools,
            url: url.to_owned(),
            up: Arc::new(AtomicBool::new(true)),
            _checkpoints: checkpoints,
            clock: Default::default(),
        })
    }

    /// Now, by the store's clock as last measured (`store::clock`): what every replica
    /// judges leases by.
    pub fn now(&self) -> chrono::NaiveDateTime {
        self.clock.now()
    }

    /// Measures the store's clock again through `conn` (`store::clock`); how far ahead of
    /// this process's it is, `None` when the round trip was too slow to tell.
    pub async fn measure_clock(
        &self,
        conn: &mut DbConn,
    ) -> Result<Option<chrono::TimeDelta>, StoreError> {
        self.clock.measure(conn).await
    }

    /// The same store, seen by a process whose clock is `skew` off (and not measured yet).
    #[cfg(test)]
    pub fn with_skewed_clock(&self, skew: chrono::TimeDelta) -> Store {
        let store = Store {
            clock: Default::default(),
            ..self.clone()
        };
        store.step_clock(skew);
        store
    }

    /// This process's clock, as this store sees it, steps `by`.
    #[cfg(test)]
    pub fn step_clock(&self, by: chrono::TimeDelta) {
        self.clock.skew.fetch_add(
            by.num_microseconds().unwrap_or(0),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// The backend a URL names, or a clear error for any other scheme.
    pub fn backend_of(url: &str) -> Result<Backend, StoreError> {
        let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or("");
        match scheme {
            "mysql" => Ok(Backend::Mysql),
            "sqlite" => Ok(Backend::Sqlite),
            _ => Err(StoreError::Config(format!(
                "unsupported database URL `{}`: use mysql://user:pass@host:port/db or sqlite://path",
                redact(url)
            ))),
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Mysql(_) => Backend::Mysql,
            Pools::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Checks out a connection; UNAVAILABLE when the store cannot be reached in time or
    /// the last health probe found it down.
    pub async fn conn(&self) -> Result<DbConn, StoreError> {
        if !self.up.load(Ordering::Relaxed) {
            return Err(StoreError::Unavailable(
                "the last health check could not reach it".into(),
            ));
        }
        self.checkout().await
    }

    async fn checkout(&self) -> Result<DbConn, StoreError> {
        Ok(DbConn {
            pooled: self.pools.lend().await?,
            pools: self.pools.clone(),
            busy: false,
            rows_written: None,
            stop_writes: None,
            loads_in_bulk: None,
            clock: self.clock.clone(),
        })
    }

    /// Applies pending migrations of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrate::run(self.backend(), self.url.trim_start_matches("sqlite://")).await
    }

    /// Whether the store answers a trivial query within `timeout`: `Some(true)` when it
    /// answered (the store is marked up for [`Store::conn`]), `Some(false)` when it failed
    /// (refused, broken: marked down), `None` when it was only slow, which changes nothing.
    /// A busy pool, or a Galera node still applying a large write set from another node
    /// (its reads wait for it), answers late but answers: refusing every request then
    /// would turn a slow moment into an outage.
    pub async fn probe(&self, timeout: Duration) -> Option<bool> {
        let ping = async {
            let mut conn = self.checkout().await?;
            with_conn!(&mut conn, c => c.batch_execute("SELECT 1").await)?;
            Ok::<_, StoreError>(())
        };
        let up = match tokio::time::timeout(timeout, ping).await {
            Ok(Ok(())) => true,
            Ok(Err(StoreError::Busy(_))) | Err(_) => return None,
            Ok(Err(_)) => false,
        };
        self.up.store(up, Ordering::Relaxed);
        Some(up)
    }
}

impl DbConn {
    /// Now, by the store's clock as last measured: [`Store::now`].
    pub fn now(&self) -> chrono::NaiveDateTime {
        self.clock.now()
    }

    /// From now on the batched writes on this connection add the rows they send to
    /// `counter` (restarted at 0); `None` stops counting.
    pub fn count_rows_into(&mut self, counter: Option<Arc<AtomicI64>>) {
        if let Some(counter) = &counter {
            counter.store(0, Ordering::Relaxed);
        }
        self.rows_written = counter;
    }

    /// From now on the batched writes on this connection fail with
    /// [`StoreError::Stopped`] at their next statement once `flag` is set, so the
    /// transaction they are in rolls back; `None` stops watching.
    pub fn stop_writes_when(&mut self, flag: Option<Arc<AtomicBool>>) {
        self.stop_writes = flag;
    }

    /// Whether inserts on this connection can take MySQL's bulk path (`store::bulk`):
    /// never on SQLite; on MySQL when the server allows `LOAD DATA LOCAL`, asked once per
    /// checkout.
    pub(crate) async fn loads_in_bulk(&mut self) -> Result<bool, StoreError> {
        if let Some(known) = self.loads_in_bulk {
            return Ok(known);
        }
        let allowed = with_conn!(&mut *self,
            mysql: c => super::bulk::server_allows(c).await?,
            sqlite: _c => false
        );
        self.loads_in_bulk = Some(allowed);
        Ok(allowed)
    }

    /// Counts `rows` written, when someone counts; fails when the writes must stop.
    pub(crate) fn wrote(&self, rows: usize) -> Result<(), StoreError> {
        if let Some(counter) = &self.rows_written {
            counter.fetch_add(rows as i64, Ordering::Relaxed);
        }
        match &self.stop_writes {
            Some(stop) if stop.load(Ordering::Relaxed) => Err(StoreError::Stopped),
            _ => Ok(()),
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pooled {
            Pooled::Mysql(_) => Backend::Mysql,
            Pooled::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Itself: lets [`with_conn!`] take a connection or a reference to one alike.
    pub fn this(&mut self) -> &mut Self {
        self
    }

    /// Runs `f` in a transaction: committed when it returns Ok, rolled back otherwise.
    /// A write conflict (a deadlock, a lock wait timeout, a Galera certification failure
    /// at commit) rolls the whole transaction back and runs `f` again, a few times, so
    /// `f` must be safe to repeat. SQLite takes the write lock at BEGIN (IMMEDIATE), so
    /// two writers queue on the busy timeout instead of failing when one upgrades a read
    /// lock. A dropped future leaves the transaction open, so the pool discards the connection.
    pub async fn transaction<T, E, F>(&mut self, mut f: F) -> Result<T, E>
    where
        F: for<'c> FnMut(&'c mut DbConn) -> BoxFuture<'c, Result<T, E>> + Send,
        E: From<StoreError> + Conflict + Send,
        T: Send,
    {
        let mut attempt = 1;
        loop {
            match self.transaction_once(&mut f).await {
                Err(e) if e.is_conflict() && attempt < CONFLICT_ATTEMPTS => {
                    tracing::warn!(attempt, "write conflict: retrying the transaction");
                    tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn transaction_once<T, E, F>(&mut self, f: &mut F) -> Result<T, E>
    where
        F: for<'c> FnMut(&'c mut DbConn) -> BoxFuture<'c, Result<T, E>> + Send,
        E: From<StoreError> + Send,
        T: Send,
    {
        self.mend().await?;
        with_conn!(self,
            mysql: c => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN").await,
            sqlite: c => c
                .spawn_blocking(|inner| {
                    diesel::connection::AnsiTransactionManager::begin_transaction_sql(
                        inner,
                        "BEGIN IMMEDIATE",
                    )
                })
                .await
        )
        .map_err(StoreError::from)?;
        let out = match f(self).await {
            Ok(value) => with_conn!(self, c => commit(c).await)
                .map(|()| value)
                .map_err(|e| StoreError::from(e).into()),
            Err(e) => {
                if let Err(rollback) = with_conn!(self, c => rollback(c).await) {
                    tracing::warn!(error = %rollback, "rollback failed");
                }
                Err(e)
            }
        };
        // A failed COMMIT or ROLLBACK can leave the connection broken: replaced now, so
        // nothing the caller sends next runs inside what it may have left open.
        if out.is_err()
            && let Err(lend) = self.mend().await
        {
            tracing::warn!(error = %lend, "no connection to replace a broken one yet");
        }
        out
    }

    /// Replaces the connection with a fresh one from the pool when its transaction state
    /// is broken: a ROLLBACK (or the one after a failed COMMIT) that failed, as one can on
    /// Galera right after a certification conflict. Such a connection may still hold the
    /// transaction open on the server, so a statement sent on it later would run inside
    /// that transaction and never commit, and the transaction manager refuses to begin
    /// another. The pool closes the old one (it reports itself broken), which makes the
    /// server roll back whatever it still held.
    async fn mend(&mut self) -> Result<(), StoreError> {
        let broken = match &mut self.pooled {
            Pooled::Mysql(c) => in_error(&mut **c),
            Pooled::Sqlite(c) => in_error(&mut **c),
        };
        if broken {
            self.pooled = self.pools.lend().await?;
            self.loads_in_bulk = None;
        }
        Ok(())
    }
}

/// How often a transaction that lost a write conflict is tried in all.
const CONFLICT_ATTEMPTS: u32 = 5;

/// Errors that can say they were a write conflict, worth running the transaction again.
pub trait Conflict {
    fn is_conflict(&self) -> bool;
}

impl Conflict for StoreError {
    fn is_conflict(&self) -> bool {
        StoreError::is_conflict(self)
    }
}

impl Conflict for crate::domain::Error {
    fn is_conflict(&self) -> bool {
        matches!(self, crate::domain::Error::Conflict(_))
    }
}

async fn commit<C: AsyncConnection>(c: &mut C) -> diesel::QueryResult<()> {
    <C::TransactionManager as TransactionManager<C>>::commit_transaction(c).await
}

async fn rollback<C: AsyncConnection>(c: &mut C) -> diesel::QueryResult<()> {
    <C::TransactionManager as TransactionManager<C>>::rollback_transaction(c).await
}

/// A database URL with any password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    /// R7.6: a checkout whose caller went away while the pool was trying the connection
    /// must not leave that try's answer for the next query.
    #[tokio::test(flavor = "multi_thread")]
    async fn r7_6_a_checkout_cut_short_leaves_the_pool_clean() {
        use diesel_async::RunQueryDsl;
        let test = crate::store::testing::TestStore::new().await;
        for round in 0..20_i64 {
            // Polled once: the pool lends a connection and sends its check, then the
            // caller is gone.
            drop(test.store.conn().now_or_never());
            let mut conn = test.store.conn().await.unwrap();
            let sql = format!("SELECT CAST({round} AS SIGNED) AS n");
            let n = with_conn!(&mut conn, c => diesel::sql_query(&sql).get_result::<N>(c).await);
            assert_eq!(n.map(|r| r.n).ok(), Some(round), "round {round}");
        }
    }

    /// R7.6: a query whose caller went away (a client hung up, a deadline, an aborted
    /// task) must not leave its half-read answer for the next query on that connection.
    #[tokio::test(flavor = "multi_thread")]
    async fn r7_6_a_query_cut_short_never_answers_the_next_one() {
        use diesel_async::RunQueryDsl;
        let test = crate::store::testing::TestStore::new().await;
        let slow = match test.store.backend() {
            Backend::Mysql => "SELECT CAST(SLEEP(0.3) AS SIGNED) AS n",
            Backend::Sqlite => {
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
                 WHERE x < 1000000) SELECT COUNT(*) AS n FROM c"
            }
        };
        for round in 0..8_i64 {
            let mut conn = test.store.conn().await.unwrap();
            let cut = tokio::time::timeout(Duration::from_millis(30), async {
                with_conn!(&mut conn, c => diesel::sql_query(slow).get_result::<N>(c).await)
            })
            .await;
            assert!(cut.is_err(), "the slow query was cut short");
            drop(conn);
            let mut conn = test.store.conn().await.unwrap();
            let sql = format!("SELECT CAST({round} AS SIGNED) AS n");
            let n = with_conn!(&mut conn, c => diesel::sql_query(&sql).get_result::<N>(c).await);
            assert_eq!(n.map(|r| r.n).ok(), Some(round), "round {round}");
        }
    }

    /// R7.6: a write conflict whose ROLLBACK failed too (as on Galera right after a
    /// certification failure) is tried again on a fresh connection: the retry neither
    /// fails on the broken one nor runs inside the transaction it may have left open, and
    /// what the lost try wrote never commits.
    #[tokio::test(flavor = "multi_thread")]
    async fn r7_6_a_conflict_whose_rollback_failed_is_retried_on_a_fresh_connection() {
        use diesel::result::{DatabaseErrorKind, Error as DieselError};
        use diesel_async::RunQueryDsl;
        let test = crate::store::testing::TestStore::new().await;
        let mut conn = test.store.conn().await.unwrap();
        let mut tries = 0_i64;
        let out = conn
            .transaction(|c| {
                tries += 1;
                let id = tries;
                async move {
                    let sql = format!(
                        "INSERT INTO districts (id, display_name, created_at, updated_at) \
                         VALUES ({id}, 'd', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    );
                    with_conn!(c, db => diesel::sql_query(&sql).execute(db).await)?;
                    if id == 1 {
                        with_conn!(c, db => mark_broken(db));
                        let lost = "Deadlock found when trying to get lock; try restarting \
                                    transaction";
                        return Err(StoreError::Query(DieselError::DatabaseError(
                            DatabaseErrorKind::Unknown,
                            Box::new(lost.to_owned()),
                        )));
                    }
                    Ok(id)
                }
                .boxed()
            })
            .await;
        assert_eq!(out.ok(), Some(2), "the second try committed");
        let count = "SELECT COUNT(*) AS n FROM districts";
        let n = with_conn!(&mut conn, c => diesel::sql_query(count).get_result::<N>(c).await);
        assert_eq!(n.map(|r| r.n).ok(), Some(1), "the same connection goes on");
        drop(conn);
        let mut other = test.store.conn().await.unwrap();
        let ids = "SELECT MIN(id) AS n FROM districts";
        let n = with_conn!(&mut other, c => diesel::sql_query(ids).get_result::<N>(c).await);
        assert_eq!(
            n.map(|r| r.n).ok(),
            Some(2),
            "only the second try's row committed"
        );
    }

    #[test]
    fn backend_follows_the_scheme() {
        assert_eq!(
            Store::backend_of("mysql://root@h/db").unwrap(),
            Backend::Mysql
        );
        assert_eq!(
            Store::backend_of("sqlite://./x.db").unwrap(),
            Backend::Sqlite
        );
        let err = Store::backend_of("postgres://u:secret@h/db")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unsupported database URL"), "{err}");
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("mysql://root:pw@h:3306/db"),
            "mysql://root:***@h:3306/db"
        );
        assert_eq!(redact("mysql://root@h/db"), "mysql://root@h/db");
        assert_eq!(redact("sqlite://./a.db"), "sqlite://./a.db");
    }
}
