//! Sync runs and their leases. Every change of a running run is conditional on the lease
//! token the worker claimed it with, so a worker that lost its run (taken over after its
//! lease lapsed) can no longer change it, and a run is applied at most once (R7.6).

use crate::domain::{Error, PageRequest, Run, RunPhase, RunState, SafetyBlock, Source, Trigger};
use crate::store::models::RunRow;
use crate::store::schema::sync_runs;
use crate::store::{DbConn, StoreError};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

type R<T> = Result<T, StoreError>;

/// The run row while `lease` holds it: still running, under the token it was claimed with.
macro_rules! held {
    ($lease:expr) => {
        sync_runs::table.find($lease.run_id).filter(
            sync_runs::lease_token
                .eq($lease.token)
                .and(sync_runs::state.eq(RunState::Running)),
        )
    };
}

/// A running run whose lease lapsed. A run of the previous release has no lease: its
/// heartbeat stands in, with that release's two minutes.
macro_rules! lapsed {
    ($now:expr) => {
        sync_runs::state.eq(RunState::Running).and(
            sync_runs::lease_expires_at
                .lt($now)
                .or(sync_runs::lease_expires_at.is_null().and(
                    sync_runs::heartbeat_at
                        .lt($now - TimeDelta::seconds(120))
                        .or(sync_runs::heartbeat_at.is_null()),
                )),
        )
    };
}

/// A run held by this process: the token it was claimed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    pub run_id: i64,
    pub token: i64,
}

/// A new queued run.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub id: i64,
    pub district_id: i64,
    pub trigger: Trigger,
    pub dry_run: bool,
    pub override_threshold: bool,
    pub request_id: Option<String>,
    pub source: Source,
    pub created_at: NaiveDateTime,
    /// For a revert run (R9.2): the run it reverses.
    pub reverts_run_id: Option<i64>,
}

pub async fn insert(conn: &mut DbConn, run: &NewRun) -> Result<(), Error> {
    let row = RunRow {
        id: run.id,
        district_id: run.district_id,
        active_district_id: Some(run.district_id),
        state: RunState::Queued,
        phase: RunPhase::None,
        trigger_kind: run.trigger,
        dry_run: run.dry_run,
        override_threshold: run.override_threshold,
        request_id: run.request_id.clone(),
        source: serde_json::to_string(&run.source).map_err(|e| Error::Internal(e.to_string()))?,
        created_at: run.created_at,
        started_at: None,
        finished_at: None,
        heartbeat_at: None,
        cancel_requested: false,
        progress_done: 0,
        progress_total: 0,
        counts: "{}".into(),
        issue_count: 0,
        error_message: String::new(),
        safety_block: String::new(),
        lease_owner: None,
        lease_token: 0,
        lease_expires_at: None,
        attempts: 0,
        approved: false,
        plan_expires_at: None,
        plan_digest: String::new(),
        reverts_run_id: run.reverts_run_id,
    };
    with_conn!(conn, c => diesel::insert_into(sync_runs::table).values(&row).execute(c).await)
        .map_err(StoreError::from)?;
    Ok(())
}

/// The run as callers see it; stored JSON that no longer reads becomes `None`, never an
/// error, so an old run stays listable.
pub(super) fn to_run(row: RunRow) -> Run {
    Run {
        id: row.id,
        district_id: row.district_id,
        state: row.state,
        phase: row.phase,
        trigger: row.trigger_kind,
        dry_run: row.dry_run,
        override_threshold: row.override_threshold,
        request_id: row.request_id,
        source: serde_json::from_str(&row.source).ok(),
        created_at: row.created_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
        progress_done: row.progress_done,
        progress_total: row.progress_total,
        counts: serde_json::from_str(&row.counts).unwrap_or_default(),
        issue_count: row.issue_count,
        error_message: row.error_message,
        safety_block: serde_json::from_str::<SafetyBlock>(&row.safety_block).ok(),
        cancel_requested: row.cancel_requested,
        approved: row.approved,
        plan_expires_at: row.plan_expires_at,
        reverts_run_id: row.reverts_run_id,
    }
}

pub async fn get(conn: &mut DbConn, id: i64) -> R<Option<Run>> {
    let row = with_conn!(conn, c => sync_runs::table
        .find(id)
        .select(RunRow::as_select())
        .first(c)
        .await
        .optional())?;
    Ok(row.map(to_run))
}

/// The run, or NOT_FOUND naming it.
pub async fn require(conn: &mut DbConn, id: i64) -> Result<Run, Error> {
    get(conn, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("sync run {id}")))
}

/// The district's queued or running run, if any.
pub async fn active(conn: &mut DbConn, district_id: i64) -> R<Option<Run>> {
    let row = with_conn!(conn, c => sync_runs::table
        .filter(sync_runs::active_district_id.eq(district_id))
        .select(RunRow::as_select())
        .first(c)
        .await
        .optional())?;
    Ok(row.map(to_run))
}

pub async fn by_request(conn: &mut DbConn, district_id: i64, request_id: &str) -> R<Option<Run>> {
    let row = with_conn!(conn, c => sync_runs::table
        .filter(sync_runs::district_id.eq(district_id).and(sync_runs::request_id.eq(request_id)))
        .select(RunRow::as_select())
        .first(c)
        .await
        .optional())?;
    Ok(row.map(to_run))
}

/// A district's runs, newest first.
pub async fn list(conn: &mut DbConn, district_id: i64, page: &PageRequest) -> R<Vec<Run>> {
    let before = page.after.unwrap_or(i64::MAX);
    let rows = with_conn!(conn, c => sync_runs::table
        .filter(sync_runs::district_id.eq(district_id).and(sync_runs::id.lt(before)))
        .order(sync_runs::id.desc())
        .limit(page.limit())
        .select(RunRow::as_select())
        .load(c)
        .await)?;
    Ok(rows.into_iter().map(to_run).collect())
}

/// Runs a worker may claim, oldest first, with how often they were claimed: queued ones,
/// and running ones whose lease lapsed (their process died or lost the database).
pub async fn claimable(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> R<Vec<(i64, i32)>> {
    Ok(with_conn!(conn, c => sync_runs::table
        .filter(sync_runs::state.eq(RunState::Queued).or(lapsed!(now)))
        .order(sync_runs::id.asc())
        .limit(limit)
        .select((sync_runs::id, sync_runs::attempts))
        .load(c)
        .await)?)
}

/// Claims a run for `owner` when it is queued or its lease lapsed; the lease, or None
/// when another worker was first. One conditional update decides, on both backends.
pub async fn claim(
    conn: &mut DbConn,
    id: i64,
    owner: &str,
    now: NaiveDateTime,
    lease: TimeDelta,
) -> R<Option<Lease>> {
    let n = with_conn!(conn, c => diesel::update(sync_runs::table.find(id).filter(
            sync_runs::state.eq(RunState::Queued).or(lapsed!(now)),
        ))
        .set((
            sync_runs::state.eq(RunState::Running),
            sync_runs::phase.eq(RunPhase::None),
            sync_runs::started_at.eq(now),
            sync_runs::heartbeat_at.eq(now),
            sync_runs::lease_owner.eq(owner),
            sync_runs::lease_token.eq(sync_runs::lease_token + 1),
            sync_runs::lease_expires_at.eq(now + lease),
            sync_runs::attempts.eq(sync_runs::attempts + 1),
        ))
        .execute(c)
        .await)?;
    if n != 1 {
        return Ok(None);
    }
    let held: Option<(i64, Option<String>)> = with_conn!(conn, c => sync_runs::table
        .find(id)
        .select((sync_runs::lease_token, sync_runs::lease_owner))
        .first(c)
        .await
        .optional())?;
    Ok(match held {
        Some((token, Some(by))) if by == owner => Some(Lease { run_id: id, token }),
        _ => None,
    })
}

/// What renewing a lease found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// Still ours; `cancel` says whether CancelSync asked the run to stop.
    Held { cancel: bool },
    /// Taken over or ended elsewhere: the worker stops, and writes nothing more.
    Lost,
}

/// Extends the lease. Touches only the lease columns (and the heartbeat the previous
/// release reads), never what an apply writes, so it never waits behind one on MySQL.
pub async fn renew(
    conn: &mut DbConn,
    lease: Lease,
    now: NaiveDateTime,
    length: TimeDelta,
) -> R<Renewal> {
    let n = with_conn!(conn, c => diesel::update(held!(lease))
        .set((
            sync_runs::lease_expires_at.eq(now + length),
            sync_runs::heartbeat_at.eq(now),
        ))
        .execute(c)
        .await)?;
    if n != 1 {
        return Ok(Renewal::Lost);
    }
    let cancel: bool = with_conn!(conn, c => sync_runs::table
        .find(lease.run_id)
        .select(sync_runs::cancel_requested)
        .first(c)
        .await)?;
    Ok(Renewal::Held { cancel })
}

/// Whether the lease still holds, and whether CancelSync asked the run to stop; reads only.
pub async fn check(conn: &mut DbConn, lease: Lease) -> R<Renewal> {
    let row: Option<bool> = with_conn!(conn, c => held!(lease)
        .select(sync_runs::cancel_requested)
        .first(c)
        .await
        .optional())?;
    Ok(match row {
        Some(cancel) => Renewal::Held { cancel },
        None => Renewal::Lost,
    })
}

/// Records phase and progress; false when the lease is gone.
pub async fn set_progress(
    conn: &mut DbConn,
    lease: Lease,
    phase: RunPhase,
    done: i64,
    total: i64,
) -> R<bool> {
    let n = with_conn!(conn, c => diesel::update(held!(lease))
        .set((
            sync_runs::phase.eq(phase),
            sync_runs::progress_done.eq(done),
            sync_runs::progress_total.eq(total),
        ))
        .execute(c)
        .await)?;
    Ok(n == 1)
}

/// How a run ends: its final state and report.
#[derive(Debug, Clone)]
pub struct RunEnd {
    pub state: RunState,
    pub progress_done: i64,
    pub progress_total: i64,
    /// Counts per record kind as JSON.
    pub counts: String,
    pub issue_count: i64,
    pub error_message: String,
    /// The safety block as JSON, or empty.
    pub safety_block: String,
    /// The district a run awaiting approval keeps holding; None frees it.
    pub holds_district: Option<i64>,
    /// For a kept plan (R9.1): until when it may be approved, and its digest.
    pub plan_expires_at: Option<NaiveDateTime>,
    pub plan_digest: String,
}

/// Ends a run held by `lease`; the district is free again. With `unless_cancelled`
/// (an apply ending SUCCEEDED) it ends only if CancelSync did not ask first: a cancel
/// before the commit wins. False when nothing was ended: the caller's transaction, if
/// any, must roll back. The run's finish time is the store's time of this write: an apply
/// ends its run in its last statement, long after its end was made.
pub async fn end(conn: &mut DbConn, lease: Lease, end: &RunEnd, unless_cancelled: bool) -> R<bool> {
    let finished_at = conn.now();
    // `cancel_requested = false OR cancel_requested = true` when a cancel does not matter.
    let n = with_conn!(conn, c => diesel::update(held!(lease).filter(
            sync_runs::cancel_requested.eq(false).or(sync_runs::cancel_requested.eq(!unless_cancelled)),
        ))
        .set((
            sync_runs::state.eq(end.state),
            sync_runs::phase.eq(RunPhase::None),
            sync_runs::active_district_id.eq(end.holds_district),
            sync_runs::finished_at.eq(finished_at),
            sync_runs::progress_done.eq(end.progress_done),
            sync_runs::progress_total.eq(end.progress_total),
            sync_runs::counts.eq(&end.counts),
            sync_runs::issue_count.eq(end.issue_count),
            sync_runs::error_message.eq(&end.error_message),
            sync_runs::safety_block.eq(&end.safety_block),
            sync_runs::lease_expires_at.eq(None::<NaiveDateTime>),
            sync_runs::plan_expires_at.eq(end.plan_expires_at),
            sync_runs::plan_digest.eq(&end.plan_digest),
        ))
        .execute(c)
        .await)?;
    Ok(n == 1)
}

/// The digest of the plan a run kept (R9.1); empty when it kept none.
pub async fn plan_digest(conn: &mut DbConn, id: i64) -> R<String> {
    Ok(with_conn!(conn, c => sync_runs::table
        .find(id)
        .select(sync_runs::plan_digest)
        .first(c)
        .await)?)
}

/// Queues a run whose plan was approved: it applies its kept plan (R9.1), past the
/// threshold when it was BLOCKED, and holds the district again. Conditional on the state
/// it was read in; false when it changed meanwhile. ALREADY_EXISTS when another run of
/// the district is active.
pub async fn approve(conn: &mut DbConn, run: &Run) -> Result<bool, Error> {
    let n = with_conn!(conn, c => diesel::update(sync_runs::table.find(run.id).filter(
            sync_runs::state.eq(run.state).and(sync_runs::approved.eq(false)),
        ))
        .set((
            sync_runs::state.eq(RunState::Queued),
            sync_runs::phase.eq(RunPhase::None),
            sync_runs::approved.eq(true),
            sync_runs::override_threshold.eq(run.override_threshold || run.state == RunState::Blocked),
            sync_runs::active_district_id.eq(Some(run.district_id)),
            sync_runs::finished_at.eq(None::<NaiveDateTime>),
            sync_runs::cancel_requested.eq(false),
        ))
        .execute(c)
        .await)
    .map_err(StoreError::from)?;
    Ok(n == 1)
}

/// Ends a run whose kept plan is rejected or expired: CANCELLED with `message`, the
/// district free. Conditional on the state it was read in; false when it changed.
pub async fn close_plan(
    conn: &mut DbConn,
    run: &Run,
    now: NaiveDateTime,
    message: &str,
) -> R<bool> {
    let n = with_conn!(conn, c => diesel::update(sync_runs::table.find(run.id).filter(
            sync_runs::state.eq(run.state).and(sync_runs::approved.eq(false)),
        ))
        .set((
            sync_runs::state.eq(RunState::Cancelled),
            sync_runs::active_district_id.eq(None::<i64>),
            sync_runs::finished_at.eq(now),
            sync_runs::error_message.eq(message),
        ))
        .execute(c)
        .await)?;
    Ok(n == 1)
}

/// Runs awaiting approval whose plan lifetime ended.
pub async fn expired_awaiting(conn: &mut DbConn, now: NaiveDateTime) -> R<Vec<Run>> {
    let rows = with_conn!(conn, c => sync_runs::table
        .filter(sync_runs::state.eq(RunState::AwaitingApproval).and(sync_runs::plan_expires_at.lt(now)))
        .select(RunRow::as_select())
        .load(c)
        .await)?;
    Ok(rows.into_iter().map(to_run).collect())
}

/// Fails a run whose lease lapsed once too often: its server keeps dying on it. False
/// when a worker claimed it meanwhile.
pub async fn fail_abandoned(
    conn: &mut DbConn,
    id: i64,
    now: NaiveDateTime,
    message: &str,
) -> R<bool> {
    let n = with_conn!(conn, c => diesel::update(sync_runs::table.find(id).filter(lapsed!(now)))
        .set((
            sync_runs::state.eq(RunState::Failed),
            sync_runs::phase.eq(RunPhase::None),
            sync_runs::active_district_id.eq(None::<i64>),
            sync_runs::finished_at.eq(now),
            sync_runs::error_message.eq(message),
            sync_runs::lease_expires_at.eq(None::<NaiveDateTime>),
        ))
        .execute(c)
        .await)?;
    Ok(n == 1)
}

/// Ends a run that is still queued as CANCELLED; false when a worker claimed it first.
pub async fn cancel_queued(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> R<bool> {
    let n = with_conn!(conn, c => diesel::update(sync_runs::table.find(id).filter(sync_runs::state.eq(RunState::Queued)))
        .set((
            sync_runs::state.eq(RunState::Cancelled),
            sync_runs::active_district_id.eq(None::<i64>),
            sync_runs::finished_at.eq(now),
            sync_runs::cancel_requested.eq(true),
        ))
        .execute(c)
        .await)?;
    Ok(n == 1)
}

/// Asks a running run to stop before it applies anything.
pub async fn request_cancel(conn: &mut DbConn, id: i64) -> R<()> {
    with_conn!(conn, c => diesel::update(sync_runs::table.find(id).filter(sync_runs::state.eq(RunState::Running)))
        .set(sync_runs::cancel_requested.eq(true))
        .execute(c)
        .await)?;
    Ok(())
}
