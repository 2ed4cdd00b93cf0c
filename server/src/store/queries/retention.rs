//! What is deleted once it is old (S2.2): run reports (the issues and kept plans of runs
//! that ended before a cutoff) and audit events. In batches, like a district's erasure.

use super::erase::delete_batched;
use crate::store::{DbConn, StoreError};
use chrono::NaiveDateTime;

/// A time as both backends compare it in SQL. Ours, never a caller's text.
fn literal(at: NaiveDateTime) -> String {
    at.format("'%Y-%m-%d %H:%M:%S%.6f'").to_string()
}

/// Deletes the issues of runs that ended before `cutoff`; how many.
pub async fn old_issues(conn: &mut DbConn, cutoff: NaiveDateTime) -> Result<i64, StoreError> {
    let condition = format!(
        "run_id IN (SELECT id FROM sync_runs WHERE finished_at < {})",
        literal(cutoff)
    );
    delete_batched(conn, "sync_issues", &condition).await
}

/// Deletes the kept plans (R9.1) of runs that ended before `cutoff`; how many changes.
pub async fn old_planned_changes(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
) -> Result<i64, StoreError> {
    let runs = format!(
        "run_id IN (SELECT id FROM sync_runs WHERE finished_at < {})",
        literal(cutoff)
    );
    delete_batched(conn, "run_snapshots", &runs).await?;
    delete_batched(conn, "planned_changes", &runs).await
}

/// Deletes audit events older than `cutoff`; how many.
pub async fn old_audit_events(conn: &mut DbConn, cutoff: NaiveDateTime) -> Result<i64, StoreError> {
    delete_batched(conn, "audit_events", &format!("at < {}", literal(cutoff))).await
}
