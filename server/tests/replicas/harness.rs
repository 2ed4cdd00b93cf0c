//! Server processes, a shared database, generated rosters, and reading back what runs did.

use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl, SimpleAsyncConnection};
use roster_proto::v1 as pb;
use roster_proto::v1::directory_service_client::DirectoryServiceClient;
use roster_proto::v1::sync_service_client::SyncServiceClient;
use roster_server::store::Store;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tonic::transport::Channel;

/// One database every server of a test shares, reached through one URL per server (the
/// same URL, or each Galera node in turn).
pub struct Database {
    urls: Vec<String>,
    cleanup: Option<(String, String)>,
    sqlite: Option<PathBuf>,
}

fn unique(prefix: &str) -> String {
    format!("{prefix}_{:016x}", rand::random::<u64>())
}

impl Database {
    pub async fn new() -> Self {
        let galera: Vec<String> = std::env::var("ROSTER_TEST_GALERA_URLS")
            .unwrap_or_default()
            .split(',')
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .filter(|u| !u.is_empty())
            .collect();
        let mysql = std::env::var("ROSTER_TEST_MYSQL_URL")
            .ok()
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .filter(|u| !u.is_empty());
        let servers = if galera.is_empty() {
            mysql.into_iter().collect()
        } else {
            galera
        };
        if servers.is_empty() {
            let path = std::env::temp_dir().join(format!("{}.db", unique("roster_r")));
            return Database {
                urls: vec![format!("sqlite://{}", path.display())],
                cleanup: None,
                sqlite: Some(path),
            };
        }
        let name = unique("roster_r");
        let mut conn = AsyncMysqlConnection::establish(&servers[0])
            .await
            .expect("MySQL reachable");
        conn.batch_execute(&format!(
            "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        ))
        .await
        .expect("test database");
        Database {
            urls: servers.iter().map(|s| format!("{s}/{name}")).collect(),
            cleanup: Some((servers[0].clone(), name)),
            sqlite: None,
        }
    }

    /// The URL server number `n` uses.
    pub fn url(&self, n: usize) -> &str {
        &self.urls[n % self.urls.len()]
    }

    pub fn is_mysql(&self) -> bool {
        self.sqlite.is_none()
    }

    pub fn store(&self) -> Store {
        Store::connect(self.url(0), 2, Duration::from_secs(10)).expect("store")
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(path) = &self.sqlite {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        if let Some((server, name)) = self.cleanup.clone() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async {
                    let mut conn = AsyncMysqlConnection::establish(&server).await.ok()?;
                    conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
                        .await
                        .ok()
                })
            })
            .join();
        }
    }
}

/// A running `roster-server` process.
pub struct Server {
    child: Child,
    pub endpoint: String,
}

/// Files the servers of a test share: the import directory and the data directory.
pub struct Files(pub PathBuf);

impl Files {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(unique("roster_files"));
        std::fs::create_dir_all(dir.join("import")).unwrap();
        Files(dir)
    }
}

impl Drop for Files {
    /// Removes the files, but for a test that failed: its servers' logs say why.
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("the servers' logs are kept in {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Server {
    /// Starts a server on `url` with a run lease of `lease`, and waits until it listens.
    // The child is waited on by `Server`'s drop (or before the panic), which the lint
    // cannot follow.
    #[allow(clippy::zombie_processes)]
    pub fn start(url: &str, files: &Files, lease: &str) -> Server {
        let log = files.0.join(format!("{}.log", unique("server")));
        let out = std::fs::File::create(&log).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_roster-server"))
            .args([
                "--database-url",
                url,
                "--listen",
                "127.0.0.1:0",
                "--log-format",
                "json",
                "--run-lease",
                lease,
                "--health-interval",
                "200ms",
            ])
            .arg("--import-dir")
            .arg(files.0.join("import"))
            .arg("--data-dir")
            .arg(files.0.join("data"))
            .env("RUST_LOG", "info")
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .expect("roster-server starts");
        let started = Instant::now();
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(addr) = listening_addr(&text) {
                return Server {
                    child,
                    endpoint: format!("http://{addr}"),
                };
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("server did not start:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the process at once (SIGKILL): no shutdown, no cleanup.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub async fn sync(&self) -> SyncServiceClient<Channel> {
        SyncServiceClient::connect(self.endpoint.clone())
            .await
            .expect("connects")
    }

    pub async fn dir(&self) -> DirectoryServiceClient<Channel> {
        DirectoryServiceClient::connect(self.endpoint.clone())
            .await
            .expect("connects")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn listening_addr(log: &str) -> Option<String> {
    log.lines()
        .filter(|l| l.contains("roster-server listening"))
        .find_map(|l| {
            let value: serde_json::Value = serde_json::from_str(l).ok()?;
            value["fields"]["addr"].as_str().map(str::to_owned)
        })
}

/// Writes a OneRoster CSV export of a district with `students` students (one school,
/// a guardian each, a teacher and a class per 20 students) under `import/<name>`.
/// `version` changes the names, so a second version updates every student.
pub fn write_roster(files: &Files, name: &str, students: usize, version: u32) {
    let dir = files.0.join("import").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let w = |file: &str, text: String| std::fs::write(dir.join(file), text).unwrap();
    w(
        "manifest.csv",
        "propertyName,value\noneroster.version,1.1\nfile.orgs,bulk\nfile.users,bulk\n\
         file.classes,bulk\nfile.enrollments,bulk\n"
            .into(),
    );
    w(
        "orgs.csv",
        "sourcedId,name,type\nsch-1,North School,school\n".into(),
    );
    let mut users =
        String::from("sourcedId,role,givenName,familyName,orgSourcedIds,agentSourcedIds,email\n");
    let mut classes = String::from("sourcedId,title,schoolSourcedId\n");
    let mut enrollments = String::from("sourcedId,classSourcedId,userSourcedId,role\n");
    for s in 0..students {
        let class = s / 20;
        let _ = writeln!(users, "stu-{s},student,Kid{version},S{s},sch-1,par-{s},");
        let _ = writeln!(
            users,
            "par-{s},parent,Parent,P{s},,stu-{s},par{s}.{name}@example.org"
        );
        let _ = writeln!(enrollments, "e-s-{s},cls-{class},stu-{s},student");
        if s % 20 == 0 {
            let _ = writeln!(classes, "cls-{class},Class {class},sch-1");
            let _ = writeln!(
                users,
                "tch-{class},teacher,Teacher,T{class},sch-1,,tch{class}.{name}@example.org"
            );
            let _ = writeln!(enrollments, "e-t-{class},cls-{class},tch-{class},teacher");
        }
    }
    w("users.csv", users);
    w("classes.csv", classes);
    w("enrollments.csv", enrollments);
}

/// Creates a district whose source is the CSV folder `import/<folder>`.
/// A server just started on a busy Galera node may answer UNAVAILABLE ("retry later") for
/// a moment: setting up, the harness retries as a client should.
pub async fn district(server: &Server, name: &str, folder: &str) -> String {
    let mut attempt = 0;
    let created = loop {
        let result = server
            .dir()
            .await
            .create_district(pb::CreateDistrictRequest {
                display_name: name.into(),
            })
            .await;
        match result {
            Err(e) if e.code() == tonic::Code::Unavailable && attempt < 20 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            other => break other.unwrap(),
        }
    };
    let id = created.into_inner().district.unwrap().id;
    server
        .sync()
        .await
        .update_sync_settings(pb::UpdateSyncSettingsRequest {
            settings: Some(pb::SyncSettings {
                district_id: id.clone(),
                abandon_threshold_percent: 100,
                school_abandon_threshold_percent: 100,
                source: Some(pb::SyncSource {
                    kind: Some(pb::sync_source::Kind::OnerosterCsvPath(
                        pb::OneRosterCsvPath {
                            path: folder.into(),
                        },
                    )),
                }),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec![
                    "source".into(),
                    "abandon_threshold_percent".into(),
                    "school_abandon_threshold_percent".into(),
                ],
            }),
        })
        .await
        .unwrap();
    id
}

/// Every run of a district, newest first.
pub async fn runs(server: &Server, district: &str) -> Vec<pb::SyncRun> {
    server
        .sync()
        .await
        .list_sync_runs(pb::ListSyncRunsRequest {
            district_id: district.into(),
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .runs
}

pub fn is_final(run: &pb::SyncRun) -> bool {
    !matches!(
        pb::SyncState::try_from(run.state),
        Ok(pb::SyncState::Queued | pb::SyncState::Running)
    )
}

/// Waits until every run of the district is final; panics after `limit`.
pub async fn settle(server: &Server, district: &str, limit: Duration) -> Vec<pb::SyncRun> {
    let started = Instant::now();
    loop {
        let runs = runs(server, district).await;
        if runs.iter().all(is_final) {
            return runs;
        }
        assert!(
            started.elapsed() < limit,
            "runs still active after {limit:?}: {runs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn created(run: &pb::SyncRun, kind: pb::RecordKind) -> i64 {
    run.counts
        .iter()
        .find(|c| c.record_kind == kind as i32)
        .map_or(0, |c| c.created)
}

/// A number the store answers to `sql` (`SELECT COUNT(*) AS n ...`).
pub async fn count(store: &Store, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = store.conn().await.unwrap();
    let q = diesel::sql_query(sql);
    let n: N = match &mut conn.pooled {
        roster_server::store::Pooled::Mysql(c) => q.get_result(&mut **c).await.unwrap(),
        roster_server::store::Pooled::Sqlite(c) => q.get_result(&mut **c).await.unwrap(),
    };
    n.n
}

/// The students stored for a district.
pub async fn students(store: &Store, district: &str) -> i64 {
    count(
        store,
        &format!("SELECT COUNT(*) AS n FROM students WHERE district_id = {district}"),
    )
    .await
}

/// Runs a statement on the store, for arranging what only time would make.
pub async fn exec(store: &Store, sql: &str) {
    let mut conn = store.conn().await.unwrap();
    match &mut conn.pooled {
        roster_server::store::Pooled::Mysql(c) => c.batch_execute(sql).await.unwrap(),
        roster_server::store::Pooled::Sqlite(c) => c.batch_execute(sql).await.unwrap(),
    }
}

/// Starts a run of a district through `server`; its id.
pub async fn start(server: &Server, district: &str) -> String {
    server
        .sync()
        .await
        .start_sync(pb::StartSyncRequest {
            district_id: district.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .run
        .unwrap()
        .run_id
}
