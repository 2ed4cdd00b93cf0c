//! Stored plans (R9.1): a planned run's changes, for review, and the snapshot it was
//! planned from, for its approval to plan again from. Changes are written in batches,
//! by the apply's bulk path; the snapshot in parts under the packet limit.

use super::roster::BATCH;
use crate::domain::{ChangeAction, PageRequest, RecordKind};
use crate::store::models::PlannedChangeRow;
use crate::store::schema::{planned_changes, run_snapshots};
use crate::store::{DbConn, StoreError};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

type R<T> = Result<T, StoreError>;

/// Bytes per stored snapshot part: well under MySQL's default 16 MiB packet.
pub const PART_BYTES: usize = 4 << 20;

/// Stores a run's changes, many rows per statement.
pub async fn save_changes(conn: &mut DbConn, rows: &[PlannedChangeRow]) -> R<()> {
    insert!(conn, rows, planned_changes);
    Ok(())
}

/// Stores the snapshot a run planned from, `bytes` cut in parts.
pub async fn save_snapshot(conn: &mut DbConn, run_id: i64, bytes: &[u8]) -> R<()> {
    for (part, data) in bytes.chunks(PART_BYTES).enumerate() {
        let row = (
            run_snapshots::run_id.eq(run_id),
            run_snapshots::part.eq(part as i32),
            run_snapshots::data.eq(data),
        );
        with_conn!(conn, c => diesel::insert_into(run_snapshots::table).values(row).execute(c).await)?;
    }
    Ok(())
}

/// The stored snapshot of a run, parts joined; None when none is kept (discarded, expired
/// or erased).
pub async fn load_snapshot(conn: &mut DbConn, run_id: i64) -> R<Option<Vec<u8>>> {
    let parts: Vec<Vec<u8>> = with_conn!(conn, c => run_snapshots::table
        .filter(run_snapshots::run_id.eq(run_id))
        .order(run_snapshots::part.asc())
        .select(run_snapshots::data)
        .load(c)
        .await)?;
    Ok((!parts.is_empty()).then(|| parts.concat()))
}

/// Drops all a run kept: changes and snapshot.
pub async fn discard(conn: &mut DbConn, run_id: i64) -> R<()> {
    with_conn!(conn, c => diesel::delete(planned_changes::table.filter(planned_changes::run_id.eq(run_id))).execute(c).await)?;
    discard_snapshot(conn, run_id).await
}

/// Drops the snapshot of a run; its changes stay listable.
pub async fn discard_snapshot(conn: &mut DbConn, run_id: i64) -> R<()> {
    with_conn!(conn, c => diesel::delete(run_snapshots::table.filter(run_snapshots::run_id.eq(run_id))).execute(c).await)?;
    Ok(())
}

/// A run's changes in plan order, after `page.after` (a seq).
pub async fn list_changes(
    conn: &mut DbConn,
    run_id: i64,
    kind: Option<RecordKind>,
    action: Option<ChangeAction>,
    page: &PageRequest,
) -> R<Vec<PlannedChangeRow>> {
    let after = page.after.unwrap_or(-1);
    Ok(with_conn!(conn, c => {
        let mut q = planned_changes::table
            .filter(planned_changes::run_id.eq(run_id).and(planned_changes::seq.gt(after)))
            .into_boxed();
        if let Some(k) = kind {
            q = q.filter(planned_changes::record_kind.eq(k));
        }
        if let Some(a) = action {
            q = q.filter(planned_changes::action.eq(a));
        }
        q.order(planned_changes::seq.asc()).limit(page.limit()).select(PlannedChangeRow::as_select()).load(c).await
    })?)
}

/// Runs whose plan lifetime ended while their snapshot is still kept.
pub async fn expired_snapshots(conn: &mut DbConn, now: chrono::NaiveDateTime) -> R<Vec<i64>> {
    use crate::store::schema::sync_runs;
    let kept = run_snapshots::table
        .filter(run_snapshots::part.eq(0))
        .select(run_snapshots::run_id);
    Ok(with_conn!(conn, c => sync_runs::table
        .filter(sync_runs::plan_expires_at.lt(now).and(sync_runs::id.eq_any(kept)))
        .select(sync_runs::id)
        .limit(BATCH as i64)
        .load(c)
        .await)?)
}
