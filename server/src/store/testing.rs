//! A fresh, migrated store for one test: SQLite in a temporary file, or a new database
//! on the MySQL server `ROSTER_TEST_MYSQL_URL` names (never a silent fall-back to
//! SQLite when it is set). Dropped with the test.

use super::Store;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, SimpleAsyncConnection};
use std::time::Duration;

pub struct TestStore {
    pub store: Store,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(std::path::PathBuf),
    Mysql { server: String, name: String },
}

impl TestStore {
    pub async fn new() -> Self {
        let name = format!("roster_u_{:016x}", rand::random::<u64>());
        let (url, cleanup) = match std::env::var("ROSTER_TEST_MYSQL_URL") {
            Ok(server) if !server.trim().is_empty() => {
                let server = server.trim().trim_end_matches('/').to_owned();
                let mut conn = AsyncMysqlConnection::establish(&server)
                    .await
                    .expect("ROSTER_TEST_MYSQL_URL is set but MySQL cannot be reached");
                conn.batch_execute(&format!(
                    "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                ))
                .await
                .expect("test database");
                (format!("{server}/{name}"), Cleanup::Mysql { server, name })
            }
            _ => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                (
                    format!("sqlite://{}", path.display()),
                    Cleanup::Sqlite(path),
                )
            }
        };
        let store = Store::connect(&url, 4, Duration::from_secs(5)).expect("store");
        store.migrate().await.expect("migrations");
        TestStore { store, cleanup }
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Mysql { server, name } => {
                let (server, name) = (server.clone(), name.clone());
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
}
