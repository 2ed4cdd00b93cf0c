//! Embedded migrations, one folder per backend with the same migration names.

use super::{Backend, StoreError};
use diesel::SqliteConnection;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncMigrationHarness, AsyncMysqlConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const MYSQL: EmbeddedMigrations = embed_migrations!("../migrations/mysql");
const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");

/// Applies pending migrations on a dedicated connection. Needs a multi-thread runtime
/// (the harness blocks in place).
pub async fn run(backend: Backend, url: &str) -> Result<(), StoreError> {
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Migration(e.to_string());
    let applied = match backend {
        Backend::Mysql => {
            let conn = AsyncMysqlConnection::establish(url)
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            let mut harness = AsyncMigrationHarness::new(conn);
            harness.run_pending_migrations(MYSQL).map_err(failed)?.len()
        }
        Backend::Sqlite => {
            let conn = SyncConnectionWrapper::<SqliteConnection>::establish(url)
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            let mut harness = AsyncMigrationHarness::new(conn);
            harness
                .run_pending_migrations(SQLITE)
                .map_err(failed)?
                .len()
        }
    };
    tracing::info!(applied, "migrations up to date");
    Ok(())
}
