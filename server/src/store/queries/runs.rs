//! Sync runs, their issues, abandoned records and uploads.

use crate::domain::{PageRequest, RecordKind, RunState, Severity};
use crate::store::models::*;
use crate::store::schema::*;
use crate::store::{DbConn, StoreError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

type R<T> = Result<T, StoreError>;

pub async fn insert_run(conn: &mut DbConn, row: &RunRow) -> R<()> {
    with_conn!(conn, c => diesel::insert_into(sync_runs::table).values(row).execute(c).await)?;
    Ok(())
}

pub async fn get_run(conn: &mut DbConn, id: i64) -> R<Option<RunRow>> {
    Ok(
        with_conn!(conn, c => sync_runs::table.find(id).select(RunRow::as_select()).first(c).await.optional())?,
    )
}

/// The district's queued or running run, if any.
pub async fn active_run(conn: &mut DbConn, district_id: i64) -> R<Option<RunRow>> {
    Ok(with_conn!(conn, c => sync_runs::table
        .filter(sync_runs::active_district_id.eq(district_id))
        .select(RunRow::as_select())
        .first(c)
        .await
        .optional())?)
}

pub async fn run_by_request(
    conn: &mut DbConn,
    district_id: i64,
    request_id: &str,
) -> R<Option<RunRow>> {
    Ok(with_conn!(conn, c => sync_runs::table
        .filter(sync_runs::district_id.eq(district_id).and(sync_runs::request_id.eq(request_id)))
        .select(RunRow::as_select())
        .first(c)
        .await
        .optional())?)
}

/// A district's runs, newest first.
pub async fn list_runs(conn: &mut DbConn, district_id: i64, page: &PageRequest) -> R<Vec<RunRow>> {
    let before = page.after.unwrap_or(i64::MAX);
    Ok(with_conn!(conn, c => sync_runs::table
        .filter(sync_runs::district_id.eq(district_id).and(sync_runs::id.lt(before)))
        .order(sync_runs::id.desc())
        .limit(page.limit())
        .select(RunRow::as_select())
        .load(c)
        .await)?)
}

/// Ids of queued runs, oldest first.
pub async fn queued_runs(conn: &mut DbConn, limit: i64) -> R<Vec<i64>> {
    Ok(with_conn!(conn, c => sync_runs::table
        .filter(sync_runs::state.eq(RunState::Queued.as_str()))
        .order(sync_runs::id.asc())
        .limit(limit)
        .select(sync_runs::id)
        .load(c)
        .await)?)
}

/// Claims a queued run for this worker; false when another worker was first. A
/// conditional update works the same on both backends and needs no lock held.
pub async fn claim_run(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> R<bool> {
    let n = with_conn!(conn, c => diesel::update(sync_runs::table.find(id).filter(sync_runs::state.eq(RunState::Queued.as_str())))
        .set((
            sync_runs::state.eq(RunState::Running.as_str()),
            sync_runs::started_at.eq(now),
            sync_runs::heartbeat_at.eq(now),
        ))
        .execute(c)
        .await)?;
    Ok(n == 1)
}

/// Records phase and progress of a running run (and proves it alive).
pub async fn set_phase(
    conn: &mut DbConn,
    id: i64,
    phase: &str,
    done: i64,
    total: i64,
    now: NaiveDateTime,
) -> R<()> {
    with_conn!(conn, c => diesel::update(sync_runs::table.find(id))
        .set((
            sync_runs::phase.eq(phase),
            sync_runs::progress_done.eq(done),
            sync_runs::progress_total.eq(total),
            sync_runs::heartbeat_at.eq(now),
        ))
        .execute(c)
        .await)?;
    Ok(())
}

/// The end of a run: its final state and report; the district is free again.
pub async fn finish_run(conn: &mut DbConn, row: &RunRow) -> R<()> {
    // Only a run still going ends here: a run another process already ended (failed as
    // stale, cancelled) keeps the state it was given.
    let live = [RunState::Queued.as_str(), RunState::Running.as_str()];
    with_conn!(conn, c => diesel::update(sync_runs::table.find(row.id).filter(sync_runs::state.eq_any(live)))
        .set((
            sync_runs::state.eq(&row.state),
            sync_runs::phase.eq(""),
            sync_runs::active_district_id.eq(None::<i64>),
            sync_runs::finished_at.eq(row.finished_at),
            sync_runs::progress_done.eq(row.progress_done),
            sync_runs::progress_total.eq(row.progress_total),
            sync_runs::counts.eq(&row.counts),
            sync_runs::issue_count.eq(row.issue_count),
            sync_runs::error_message.eq(&row.error_message),
            sync_runs::safety_block.eq(&row.safety_block),
        ))
        .execute(c)
        .await)?;
    Ok(())
}

pub async fn request_cancel(conn: &mut DbConn, id: i64) -> R<()> {
    with_conn!(conn, c => diesel::update(sync_runs::table.find(id))
        .set(sync_runs::cancel_requested.eq(true))
        .execute(c)
        .await)?;
    Ok(())
}

/// Runs RUNNING whose worker stopped proving itself alive before `stale`.
pub async fn stale_runs(conn: &mut DbConn, stale: NaiveDateTime) -> R<Vec<RunRow>> {
    Ok(with_conn!(conn, c => sync_runs::table
        .filter(sync_runs::state.eq(RunState::Running.as_str()))
        .filter(sync_runs::heartbeat_at.lt(stale).or(sync_runs::heartbeat_at.is_null()))
        .select(RunRow::as_select())
        .load(c)
        .await)?)
}

pub async fn list_issues(
    conn: &mut DbConn,
    run_id: i64,
    severity: Option<Severity>,
    kind: Option<RecordKind>,
    page: &PageRequest,
) -> R<Vec<IssueRow>> {
    let after = page.after.unwrap_or(0);
    let severity = severity.map(|s| s.as_str().to_owned());
    let kind = kind.map(|k| k.as_str().to_owned());
    Ok(with_conn!(conn, c => {
        let mut q = sync_issues::table
            .filter(sync_issues::run_id.eq(run_id).and(sync_issues::id.gt(after)))
            .into_boxed();
        if let Some(s) = &severity {
            q = q.filter(sync_issues::severity.eq(s));
        }
        if let Some(k) = &kind {
            q = q.filter(sync_issues::record_kind.eq(k));
        }
        q.order(sync_issues::id.asc()).limit(page.limit()).select(IssueRow::as_select()).load(c).await
    })?)
}

/// Filters of ListAbandonedRecords.
#[derive(Debug, Clone, Default)]
pub struct AbandonedFilter {
    pub kind: Option<RecordKind>,
    pub run_id: Option<i64>,
    /// Some(true): only restored; Some(false): only not restored.
    pub restored: Option<bool>,
}

/// A district's abandoned records, newest first.
pub async fn list_abandoned(
    conn: &mut DbConn,
    district_id: i64,
    filter: &AbandonedFilter,
    page: &PageRequest,
) -> R<Vec<AbandonedRow>> {
    let before = page.after.unwrap_or(i64::MAX);
    let kind = filter.kind.map(|k| k.as_str().to_owned());
    Ok(with_conn!(conn, c => {
        let mut q = abandoned_records::table
            .filter(abandoned_records::district_id.eq(district_id).and(abandoned_records::id.lt(before)))
            .into_boxed();
        if let Some(k) = &kind {
            q = q.filter(abandoned_records::record_kind.eq(k));
        }
        if let Some(run) = filter.run_id {
            q = q.filter(abandoned_records::run_id.eq(run));
        }
        match filter.restored {
            Some(true) => q = q.filter(abandoned_records::restored_at.is_not_null()),
            Some(false) => q = q.filter(abandoned_records::restored_at.is_null()),
            None => {}
        }
        q.order(abandoned_records::id.desc()).limit(page.limit()).select(AbandonedRow::as_select()).load(c).await
    })?)
}

pub async fn insert_upload(conn: &mut DbConn, row: &UploadRow) -> R<()> {
    with_conn!(conn, c => diesel::insert_into(uploads::table).values(row).execute(c).await)?;
    Ok(())
}

pub async fn get_upload(conn: &mut DbConn, id: i64) -> R<Option<UploadRow>> {
    Ok(
        with_conn!(conn, c => uploads::table.find(id).select(UploadRow::as_select()).first(c).await.optional())?,
    )
}

/// Settings rows whose schedule is due.
pub async fn due_schedules(conn: &mut DbConn, now: NaiveDateTime) -> R<Vec<SettingsRow>> {
    Ok(with_conn!(conn, c => sync_settings::table
        .filter(sync_settings::next_scheduled_at.le(now))
        .select(SettingsRow::as_select())
        .load(c)
        .await)?)
}

pub async fn set_next_schedule(
    conn: &mut DbConn,
    district_id: i64,
    next: Option<NaiveDateTime>,
) -> R<()> {
    with_conn!(conn, c => diesel::update(sync_settings::table.find(district_id))
        .set(sync_settings::next_scheduled_at.eq(next))
        .execute(c)
        .await)?;
    Ok(())
}

/// Ends a run that is still queued as CANCELLED; false when a worker claimed it first.
pub async fn cancel_queued(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> R<bool> {
    let n = with_conn!(conn, c => diesel::update(sync_runs::table.find(id).filter(sync_runs::state.eq(RunState::Queued.as_str())))
        .set((
            sync_runs::state.eq(RunState::Cancelled.as_str()),
            sync_runs::active_district_id.eq(None::<i64>),
            sync_runs::finished_at.eq(now),
            sync_runs::cancel_requested.eq(true),
        ))
        .execute(c)
        .await)?;
    Ok(n == 1)
}

pub async fn heartbeat(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> R<()> {
    with_conn!(conn, c => diesel::update(sync_runs::table.find(id))
        .set(sync_runs::heartbeat_at.eq(now))
        .execute(c)
        .await)?;
    Ok(())
}

/// Inside the apply transaction: proves the run is still RUNNING (a run failed as stale
/// by another process must not apply) and keeps the row locked until commit.
pub async fn fence(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> R<bool> {
    let n = with_conn!(conn, c => diesel::update(sync_runs::table.find(id).filter(sync_runs::state.eq(RunState::Running.as_str())))
        .set(sync_runs::heartbeat_at.eq(now))
        .execute(c)
        .await)?;
    Ok(n == 1)
}
