//! The janitor (S2.2): run reports (issues, kept plans) and audit events are deleted once older than
//! `--report-retention`; uploads once unused for `--upload-retention` (a run reading one
//! counts as a use), and upload files left half-written by a server that died. Every
//! replica sweeps; the deletes are idempotent and batched, so they never hold locks long.

use crate::domain::Result;
use crate::sources::SourcePaths;
use crate::store::Store;
use crate::store::queries::{retention as q, runs, uploads};
use chrono::{NaiveDateTime, TimeDelta};
use std::time::Duration;

/// How long things are kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub reports: Duration,
    pub uploads: Duration,
}

/// What one sweep deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub issues: i64,
    pub planned_changes: i64,
    pub audit_events: i64,
    pub uploads: i64,
}

/// How often the janitor sweeps.
const EVERY: Duration = Duration::from_secs(3600);

/// A `.part` file older than this is the leftover of an upload whose server died.
const PART_LEFTOVER: Duration = Duration::from_secs(86_400);

/// Sweeps once soon after start, then every hour.
pub fn spawn(store: Store, paths: SourcePaths, retention: Retention) {
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        loop {
            match sweep(&store, &paths, retention, store.now()).await {
                Ok(swept) if swept != Swept::default() => {
                    tracing::info!(?swept, "deleted what outlived its retention")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "retention sweep failed"),
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}

fn before(at: NaiveDateTime, age: Duration) -> NaiveDateTime {
    at - TimeDelta::from_std(age).unwrap_or(TimeDelta::MAX)
}

/// Deletes what is older than its retention at `at`.
pub async fn sweep(
    store: &Store,
    paths: &SourcePaths,
    retention: Retention,
    at: NaiveDateTime,
) -> Result<Swept> {
    let mut conn = store.conn().await?;
    let cutoff = before(at, retention.reports);
    let mut swept = Swept {
        issues: q::old_issues(&mut conn, cutoff).await?,
        planned_changes: q::old_planned_changes(&mut conn, cutoff).await?,
        audit_events: q::old_audit_events(&mut conn, cutoff).await?,
        uploads: 0,
    };
    for upload in uploads::unused_since(&mut conn, before(at, retention.uploads)).await? {
        // A run waiting to read it keeps it.
        if runs::active(&mut conn, upload.district_id).await?.is_some() {
            continue;
        }
        uploads::delete(&mut conn, upload.id).await?;
        let _ = tokio::fs::remove_file(paths.upload_path(upload.id)).await;
        swept.uploads += 1;
    }
    remove_leftover_parts(paths).await;
    Ok(swept)
}

async fn remove_leftover_parts(paths: &SourcePaths) {
    let Ok(mut dir) = tokio::fs::read_dir(paths.data_dir.join("uploads")).await else {
        return;
    };
    while let Ok(Some(entry)) = dir.next_entry().await {
        let path = entry.path();
        let old = entry
            .metadata()
            .await
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > PART_LEFTOVER);
        if old && path.extension().is_some_and(|e| e == "part") {
            let _ = tokio::fs::remove_file(&path).await;
        }
    }
}

#[cfg(test)]
mod tests;
