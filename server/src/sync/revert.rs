//! Undo (R9.2). RevertSync starts a run (trigger `revert`) that reverses the district's
//! latest run that changed something, planned from that run's undo log
//! (`plan::revert`), with its own report, safety check and, where the district requires
//! it, approval. Reverting pauses the district's schedule, so the next scheduled run does
//! not apply again what was undone, until ResumeSchedule.

use super::plan::{self, Plan, Policy, RunContext, changes, undo::Undo};
use super::runs::{StartRequest, start_on};
use crate::domain::{Error, Result, Run, RunState, SyncSettings, Trigger, now};
use crate::store::queries::{roster, runs, settings, undo as q};
use crate::store::{DbConn, Store};
use futures::FutureExt;

/// RevertSync: queues the run that reverses `run_id`, and pauses the schedule, in one
/// transaction. The same request id returns the same run.
pub async fn start(store: &Store, run_id: i64, request_id: Option<String>) -> Result<Run> {
    let mut conn = store.conn().await?;
    conn.transaction(|c| start_on_conn(c, run_id, request_id.clone()).boxed())
        .await
}

async fn start_on_conn(c: &mut DbConn, run_id: i64, request_id: Option<String>) -> Result<Run> {
    let target = runs::require(c, run_id).await?;
    if let Some(id) = &request_id
        && let Some(run) = runs::by_request(c, target.district_id, id).await?
    {
        return Ok(run);
    }
    revertible(c, &target).await?;
    let run = start_on(
        c,
        StartRequest {
            district_id: target.district_id,
            source: target.source.clone(),
            dry_run: false,
            override_threshold: false,
            request_id,
            trigger: Trigger::Revert,
            reverts_run_id: Some(run_id),
        },
    )
    .await?;
    // Paused in the settings a caller reads, saved even where none were saved before.
    let mut s = settings::load(c, target.district_id).await?;
    if !s.schedule_paused {
        s.schedule_paused = true;
        settings::save(c, &s).await?;
    }
    Ok(run)
}

/// Whether `target` can be reverted: it is the district's latest run that changed
/// something, and its undo log is kept.
async fn revertible(c: &mut DbConn, target: &Run) -> Result<()> {
    let id = target.id;
    if target.state != RunState::Succeeded || target.dry_run {
        return Err(Error::precondition(
            "NOTHING_TO_REVERT",
            format!(
                "sync run {id} applied nothing ({}{}): only an applied run can be reverted",
                target.state,
                if target.dry_run { ", dry run" } else { "" }
            ),
        ));
    }
    match q::logged_run(c, target.district_id).await? {
        Some(logged) if logged == id => Ok(()),
        // Only the district's latest run that changed something keeps its log.
        Some(later) => Err(Error::precondition(
            "NOT_LATEST_RUN",
            format!(
                "sync run {later} changed district {} after sync run {id}: revert it first; an earlier run cannot be reverted while a later one stands",
                target.district_id
            ),
        )),
        None => Err(Error::precondition(
            "NOTHING_TO_REVERT",
            format!(
                "sync run {id} has nothing to revert: it changed nothing, or its undo log is gone (applied before this release, or dropped by an erasure)"
            ),
        )),
    }
}

/// ResumeSchedule: the district's schedule runs again, from now.
pub async fn resume(store: &Store, district_id: i64) -> Result<SyncSettings> {
    let mut conn = store.conn().await?;
    crate::store::queries::districts::require(&mut conn, district_id).await?;
    let mut s = settings::load(&mut conn, district_id).await?;
    if s.schedule_paused {
        s.schedule_paused = false;
        s.updated_at = now();
        settings::save(&mut conn, &s).await?;
    }
    Ok(s)
}

/// The undo log of the run a revert run reverses; PLAN_STALE when it is gone (a later
/// run, or an erasure, replaced or dropped it).
pub async fn log_of(store: &Store, run: &Run) -> Result<Undo<'static>> {
    let target = run
        .reverts_run_id
        .ok_or_else(|| Error::Internal(format!("revert run {} names no run", run.id)))?;
    let bytes = q::load(&mut store.conn().await?, target).await?.ok_or_else(|| {
        Error::precondition(
            "PLAN_STALE",
            format!(
                "the undo log of sync run {target} is no longer kept (a later run changed the district, or an erasure dropped it)"
            ),
        )
    })?;
    Undo::unpack(&bytes).map_err(Error::Internal)
}

/// The reverse plan of a revert run made again against the roster now, with its digest,
/// for its approval (R9.1): the same digest means the same changes over the same rows.
pub async fn replan(store: &Store, run: &Run, settings: &SyncSettings) -> Result<(Plan, String)> {
    let undo = log_of(store, run).await?;
    let state = roster::load_state(store, run.district_id).await?;
    let policy = Policy::of(settings, true);
    let ctx = RunContext {
        district_id: run.district_id,
        run_id: run.id,
        now: now(),
    };
    tokio::task::spawn_blocking(move || {
        let plan = plan::revert(&undo, &state, &policy, &ctx);
        let (_, digest) = changes::review(&plan, &state);
        (plan, digest)
    })
    .await
    .map_err(|e| Error::Internal(format!("planning stopped: {e}")))
}
