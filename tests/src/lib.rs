//! The end-to-end harness: a real `roster-server` on 127.0.0.1:0 over a fresh database,
//! called through the real `roster-client` over gRPC.
//!
//! The backend is SQLite (a new file per test) unless `ROSTER_TEST_MYSQL_URL` is set
//! (e.g. `mysql://root@127.0.0.1:3306`), in which case every test gets a new MySQL
//! database on that server. If MySQL is named but cannot be reached, tests fail; they
//! never fall back to SQLite silently.

use diesel_async::{AsyncConnection, AsyncMysqlConnection, SimpleAsyncConnection};
use roster_client::pb;
use roster_client::{DirectoryStub, RosterClient, SyncStub};
use roster_server::access::keys::{self, NewKey};
use roster_server::config::ServeConfig;
use roster_server::domain::ApiKeyRole;
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

pub mod lookup;
pub mod mock_clever;
pub mod mock_oneroster;
pub mod roster;

/// A running server on a fresh database, and a client connected to it.
pub struct TestServer {
    pub client: RosterClient,
    pub endpoint: String,
    pub db: TestDb,
    /// The server's import directory (OneRoster CSV sources by path) and data directory.
    pub files: PathBuf,
    server: Option<Running>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.files);
    }
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts with a configuration adjusted by `tweak`.
    pub async fn start_with(tweak: impl FnOnce(&mut ServeConfig)) -> Self {
        if let Ok(filter) = std::env::var("ROSTER_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        let db = TestDb::new().await;
        let files = std::env::temp_dir().join(format!("{}_files", unique_name()));
        std::fs::create_dir_all(files.join("import")).expect("import dir");
        let mut config = ServeConfig::for_database(&db.url);
        config.health_interval = Duration::from_millis(200);
        config.import_dir = files.join("import");
        config.data_dir = files.join("data");
        // The mock providers listen on plain http on loopback: allowed as an operator would.
        config.allow_source_hosts = vec!["127.0.0.1".into()];
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
            files,
            server: Some(server),
        }
    }

    /// Where the server serves `/metrics`, when started with `metrics_listen`.
    pub fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        self.server.as_ref().and_then(|s| s.metrics_addr)
    }

    pub fn dir(&self) -> DirectoryStub {
        self.client.directory()
    }

    pub fn sync(&self) -> SyncStub {
        self.client.sync()
    }

    /// A second handle on the server's store, for arranging what only a sync can make.
    pub fn store(&self) -> Store {
        Store::connect(&self.db.url, 2, Duration::from_secs(5)).expect("store")
    }

    /// Makes an API key the way `roster-server keys create` does, on the server's store:
    /// an admin key without districts, or a key of `role` for `districts` (all when
    /// empty and `role` is not admin).
    pub async fn key(&self, role: ApiKeyRole, districts: &[&str]) -> String {
        let district_ids: Vec<i64> = districts.iter().map(|d| d.parse().unwrap()).collect();
        let (_, secret) = keys::create(
            &self.store(),
            NewKey {
                display_name: format!("{role} key"),
                role,
                all_districts: role != ApiKeyRole::Admin && district_ids.is_empty(),
                district_ids,
                rate_limit_per_second: 0,
            },
        )
        .await
        .expect("key");
        secret
    }

    /// A client of this server calling with `key`.
    pub async fn client_with(&self, key: &str) -> RosterClient {
        RosterClient::builder()
            .endpoint(self.endpoint.as_str())
            .bearer_token(key)
            .connect()
            .await
            .expect("client connects")
    }

    /// Points the district's sync settings at a Clever API, with `token` as its token.
    pub async fn use_clever(&self, district: &str, base_url: &str, token: &str) {
        let settings = pb::SyncSettings {
            district_id: district.into(),
            source: Some(pb::SyncSource {
                kind: Some(pb::sync_source::Kind::Clever(pb::Clever {
                    base_url: base_url.into(),
                    district_token: token.into(),
                    district_token_set: false,
                })),
            }),
            ..Default::default()
        };
        self.set(settings, &["source"]).await;
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

    /// Writes `roster` into the import directory under a new name and returns that name.
    pub fn put_roster(&self, roster: &roster::Roster) -> String {
        let name = unique_name();
        roster.write(&self.files.join("import").join(&name));
        name
    }

    /// Copies a folder of CSV files into the import directory; returns its name there.
    pub fn put_folder(&self, from: &std::path::Path) -> String {
        let name = unique_name();
        let to = self.files.join("import").join(&name);
        std::fs::create_dir_all(&to).expect("folder");
        for entry in std::fs::read_dir(from).expect("fixture folder") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
        name
    }

    /// Starts a run on a folder of the import directory.
    pub async fn start_sync(
        &self,
        district_id: &str,
        folder: &str,
        dry_run: bool,
        override_threshold: bool,
    ) -> pb::SyncRun {
        self.sync()
            .start_sync(pb::StartSyncRequest {
                district_id: district_id.into(),
                source: Some(pb::SyncSource {
                    kind: Some(pb::sync_source::Kind::OnerosterCsvPath(
                        pb::OneRosterCsvPath {
                            path: folder.into(),
                        },
                    )),
                }),
                dry_run,
                override_safety_threshold: override_threshold,
                request_id: String::new(),
            })
            .await
            .expect("StartSync")
            .into_inner()
            .run
            .expect("run")
    }

    /// Waits until the run reaches a final state (at most 60 s) and returns it.
    pub async fn wait(&self, run_id: &str) -> pb::SyncRun {
        for _ in 0..1200 {
            let run = self
                .sync()
                .get_sync_status(pb::GetSyncStatusRequest {
                    run_id: run_id.into(),
                })
                .await
                .expect("GetSyncStatus")
                .into_inner()
                .run
                .expect("run");
            if run.state >= pb::SyncState::Succeeded as i32 {
                return run;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("run {run_id} did not finish");
    }

    /// Syncs `roster` into the district and waits for the run to end.
    pub async fn sync_roster(&self, district_id: &str, roster: &roster::Roster) -> pb::SyncRun {
        let folder = self.put_roster(roster);
        let run = self.start_sync(district_id, &folder, false, false).await;
        self.wait(&run.run_id).await
    }

    /// Like [`Self::sync_roster`], asserting the run succeeded.
    pub async fn sync_ok(&self, district_id: &str, roster: &roster::Roster) -> pb::SyncRun {
        let run = self.sync_roster(district_id, roster).await;
        assert_eq!(
            run.state,
            pb::SyncState::Succeeded as i32,
            "run did not succeed: {run:?}"
        );
        run
    }

    /// Updates sync settings fields named by `paths`.
    pub async fn set(&self, settings: pb::SyncSettings, paths: &[&str]) {
        self.sync()
            .update_sync_settings(pb::UpdateSyncSettingsRequest {
                settings: Some(settings),
                update_mask: Some(roster_client::prost_types::FieldMask {
                    paths: paths.iter().map(|p| p.to_string()).collect(),
                }),
            })
            .await
            .expect("UpdateSyncSettings");
    }

    /// All issues of a run.
    pub async fn issues(&self, run_id: &str) -> Vec<pb::SyncIssue> {
        self.sync()
            .list_sync_issues(pb::ListSyncIssuesRequest {
                run_id: run_id.into(),
                page_size: 1000,
                ..Default::default()
            })
            .await
            .expect("ListSyncIssues")
            .into_inner()
            .issues
    }

    /// Counts of one record kind in a run.
    pub fn counts(run: &pb::SyncRun, kind: pb::RecordKind) -> pb::RecordCounts {
        run.counts
            .iter()
            .find(|c| c.record_kind == kind as i32)
            .cloned()
            .unwrap_or_default()
    }

    /// Creates a manual guardian reached by `email` and returns it.
    pub async fn manual_guardian(
        &self,
        district_id: &str,
        given: &str,
        family: &str,
        email: &str,
    ) -> pb::Guardian {
        self.dir()
            .create_guardian(pb::CreateGuardianRequest {
                district_id: district_id.into(),
                given_name: given.into(),
                family_name: family.into(),
                email: email.into(),
                ..Default::default()
            })
            .await
            .expect("CreateGuardian")
            .into_inner()
            .guardian
            .expect("guardian in response")
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
    use roster_server::store::Pooled;
    let mut conn = store.conn().await.expect("store connection");
    let result = match &mut conn.pooled {
        Pooled::Mysql(c) => c.batch_execute(sql).await,
        Pooled::Sqlite(c) => c.batch_execute(sql).await,
    };
    result.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[derive(diesel::QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// The product id of a record by its source id (`table` is students, guardians, staff,
/// classes or schools): what a caller would learn from a listing.
pub async fn id_of(store: &Store, table: &str, source_id: &str) -> String {
    use diesel_async::RunQueryDsl;
    use roster_server::store::Pooled;
    let sql = format!("SELECT id FROM {table} WHERE source_id = '{source_id}' ORDER BY id");
    let mut conn = store.conn().await.expect("store connection");
    let rows: Vec<IdRow> = match &mut conn.pooled {
        Pooled::Mysql(c) => diesel::sql_query(&sql).load(&mut **c).await,
        Pooled::Sqlite(c) => diesel::sql_query(&sql).load(&mut **c).await,
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
    <[IdRow]>::first(&rows)
        .map(|r| r.id.to_string())
        .unwrap_or_else(|| panic!("no {table} row with source id {source_id}"))
}

/// Stores a run RUNNING for `district` as another server process would hold it, with
/// its last heartbeat at `heartbeat` (`YYYY-MM-DD HH:MM:SS`).
pub async fn insert_running_run(store: &Store, run_id: i64, district: &str, heartbeat: &str) {
    exec_sql(
        store,
        &format!(
            "INSERT INTO sync_runs (id, district_id, active_district_id, state, phase, trigger_kind, dry_run, \
             override_threshold, request_id, source, created_at, started_at, finished_at, heartbeat_at, \
             cancel_requested, progress_done, progress_total, counts, issue_count, error_message, safety_block) \
             VALUES ({run_id}, {district}, {district}, 'running', 'fetching', 'manual', FALSE, FALSE, NULL, '', \
             '{heartbeat}', '{heartbeat}', NULL, '{heartbeat}', FALSE, 0, 0, '{{}}', 0, '', '')"
        ),
    )
    .await;
}
