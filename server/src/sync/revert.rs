//! Undo (R9.2). A revert run (trigger `revert`, started by `runs::revert`) reverses the
//! district's latest run that changed something, planned from that run's undo log
//! (`plan::revert`), with its own report, safety check and, where the district requires
//! it, approval. Reverting pauses the district's schedule, so the next scheduled run does
//! not apply again what was undone, until ResumeSchedule.

use super::plan::{self, Plan, Policy, RunContext, changes, undo::Undo};
use crate::domain::{Error, Result, Run, SyncSettings};
use crate::store::Store;
use crate::store::queries::{roster, settings, undo as q};

/// ResumeSchedule: the district's schedule runs again, from now.
pub async fn resume(store: &Store, district_id: i64) -> Result<SyncSettings> {
    let mut conn = store.conn().await?;
    crate::store::queries::districts::require(&mut conn, district_id).await?;
    let mut s = settings::load(&mut conn, district_id).await?;
    if s.schedule_paused {
        s.schedule_paused = false;
        s.updated_at = conn.now();
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
        now: store.now(),
    };
    tokio::task::spawn_blocking(move || {
        let plan = plan::revert(&undo, &state, &policy, &ctx);
        let (_, digest) = changes::review(&plan, &state);
        (plan, digest)
    })
    .await
    .map_err(|e| Error::Internal(format!("planning stopped: {e}")))
}
