//! The end-to-end harness: a real `roster-server` on 127.0.0.1:0 over a fresh database,
//! called through the real `roster-client` over gRPC.
//!
//! The backend is SQLite (a new file per test) unless `ROSTER_TEST_MYSQL_URL` is set
//! (e.g. `mysql://root@127.0.0.1:3306`), in which case every test gets a new MySQL
//! database on that server. If MySQL is named but cannot be reached, tests fail; they
//! never fall back to SQLite silently.

use diesel_async::{AsyncConnection, AsyncMysqlConnection, SimpleAsyncConnection};
use roster_client::RosterClient;
use roster_client::pb;
use roster_client::pb::directory_service_client::DirectoryServiceClient;
use roster_client::pb::sync_service_client::SyncServiceClient;
use roster_client::tonic::transport::Channel;
use roster_server::config::ServeConfig;
use roster_server::server::{Running, start};
use roster_server::store::Store;
use std::path::PathBuf;
use std::time::Duration;

/// A database made for one test and removed after it.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(PathBuf),
    Mysql { server_url: String, name: String },
}

fn unique_name() -> String {
    format!("roster_t_{:016x}", rand::random::<u64>())
}

impl TestDb {
    /// A fresh, empty database on the backend the environment selects.
    pub async fn new() -> Self {
        match std::env::var("ROSTER_TEST_MYSQL_URL") {
            Ok(server_url) if !server_url.trim().is_empty() => Self::mysql(server_url.trim()).await,
            _ => Self::sqlite(),
        }
    }

    fn sqlite() -> Self {
        let path = std::env::temp_dir().join(format!("{}.db", unique_name()));
        TestDb {
            url: format!("sqlite://{}", path.display()),
            cleanup: Cleanup::Sqlite(path),
        }
    }

    async fn mysql(server_url: &str) -> Self {
        let server_url = server_root(server_url);
        let name = unique_name();
        let mut conn = AsyncMysqlConnection::establish(&server_url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "ROSTER_TEST_MYSQL_URL is set but MySQL at {server_url} cannot be reached: {e}"
                )
            });
        conn.batch_execute(&format!(
            "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        ))
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        TestDb {
            url: format!("{server_url}/{name}"),
            cleanup: Cleanup::Mysql { server_url, name },
        }
    }

    /// Whether this test runs on MySQL.
    pub fn is_mysql(&self) -> bool {
        matches!(self.cleanup, Cleanup::Mysql { .. })
    }
}

/// `mysql://user@host:port/anything` -> `mysql://user@host:port`.
fn server_root(url: &str) -> String {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find('/') {
        Some(slash) => url[..after_scheme + slash].to_owned(),
        None => url.to_owned(),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Mysql { server_url, name } => {
                let (server_url, name) = (server_url.clone(), name.clone());
                // Drop runs outside async: use a private runtime on a plain thread.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    rt.block_on(async {
                        let mut conn = AsyncMysqlConnection::establish(&server_url).await.ok()?;
                        conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
                            .await
                            .ok()
                    })
                })
                .join();
            }
        }
    }
}

/// A running server on a fresh database, and a client connected to it.
pub struct TestServer {
    pub client: RosterClient,
    pub endpoint: String,
    pub db: TestDb,
    server: Option<Running>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts with a configuration adjusted by `tweak`.
    pub async fn start_with(tweak: impl FnOnce(&mut ServeConfig)) -> Self {
        let db = TestDb::new().await;
        let mut config = ServeConfig::for_database(&db.url);
        config.health_interval = Duration::from_millis(200);
        tweak(&mut config);
        let server = start(config).await.expect("server starts");
        let endpoint = format!("http://{}", server.addr);
        let client = RosterClient::connect(endpoint.clone())
            .await
            .expect("client connects");
        TestServer {
            client,
            endpoint,
            db,
            server: Some(server),
        }
    }

    pub fn dir(&self) -> DirectoryServiceClient<Channel> {
        self.client.directory()
    }

    pub fn sync(&self) -> SyncServiceClient<Channel> {
        self.client.sync()
    }

    /// A second handle on the server's store, for arranging what only a sync can make.
    pub fn store(&self) -> Store {
        Store::connect(&self.db.url, 2, Duration::from_secs(5)).expect("store")
    }

    /// Creates a district and returns its id.
    pub async fn district(&self, name: &str) -> String {
        self.client
            .create_district(name)
            .await
            .expect("district")
            .id
    }

    /// Creates a school in a district and returns its id.
    pub async fn school(&self, district_id: &str, name: &str) -> String {
        self.dir()
            .create_school(pb::CreateSchoolRequest {
                district_id: district_id.into(),
                name: name.into(),
                sis_id: String::new(),
            })
            .await
            .expect("school")
            .into_inner()
            .school
            .expect("school in response")
            .id
    }

    /// Stops the server gracefully.
    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }
}

/// Asserts an INVALID_ARGUMENT naming `field` among its violations.
#[track_caller]
pub fn assert_invalid(status: &roster_client::tonic::Status, field: &str) {
    assert_eq!(
        status.code(),
        roster_client::tonic::Code::InvalidArgument,
        "{status:?}"
    );
    let err = roster_client::Error::from(status.clone());
    assert!(
        err.violations().iter().any(|v| v.field == field),
        "expected a violation of `{field}`, got {:?}",
        err.violations()
    );
}

/// Runs one SQL statement on the server's store, on either backend: for arranging states
/// that only the sync engine produces (sis records, archived students).
pub async fn exec_sql(store: &Store, sql: &str) {
    use roster_server::store::DbConn;
    let mut conn = store.conn().await.expect("store connection");
    let result = match &mut conn {
        DbConn::Mysql(c) => c.batch_execute(sql).await,
        DbConn::Sqlite(c) => c.batch_execute(sql).await,
    };
    result.unwrap_or_else(|e| panic!("{sql}: {e}"));
}
