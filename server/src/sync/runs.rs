//! Sync runs as callers see them: start (idempotent by request id, one active run per
//! district), revert (R9.2), read, list, cancel.

use super::keeper::LiveRuns;
use crate::domain::{Error, Page, PageRequest, Result, Run, RunState, Source, Trigger, new_id};
use crate::store::queries::runs::{self as q, NewRun};
use crate::store::queries::{districts, settings, undo};
use crate::store::{DbConn, Store};
use futures::FutureExt;

/// What StartSync asks for.
#[derive(Debug, Clone)]
pub struct StartRequest {
    pub district_id: i64,
    /// Replaces the district's configured source for this run.
    pub source: Option<Source>,
    pub dry_run: bool,
    pub override_threshold: bool,
    pub request_id: Option<String>,
    pub trigger: Trigger,
    /// For a revert run (R9.2): the run it reverses.
    pub reverts_run_id: Option<i64>,
}

/// Starts a run: QUEUED for a worker. The same request id returns the same run; a second
/// active run for the district is refused with ALREADY_EXISTS naming the first.
///
/// In a transaction, so a start that loses a race is tried again and then finds the
/// winner: on a multi-primary Galera cluster two nodes can both insert a run for one
/// district and one loses certification at commit; the caller should hear the answer it
/// would have had on one server (the winner's run, or ALREADY_EXISTS), not "retry".
pub async fn start(store: &Store, req: StartRequest) -> Result<Run> {
    let mut conn = store.conn().await?;
    conn.transaction(|c| start_on(c, req.clone()).boxed()).await
}

/// [`start`] on a given connection, so a caller can start a run inside its transaction.
pub async fn start_on(conn: &mut DbConn, req: StartRequest) -> Result<Run> {
    districts::require(conn, req.district_id).await?;
    if let Some(request_id) = &req.request_id
        && let Some(run) = q::by_request(conn, req.district_id, request_id).await?
    {
        return Ok(run);
    }
    let source = match req.source.clone() {
        Some(source) => source,
        None => settings::load(conn, req.district_id)
            .await?
            .source
            .ok_or_else(|| {
                Error::precondition(
                    "NO_SOURCE",
                    format!(
                        "district {} has no roster source: set one in its sync settings or pass `source`",
                        req.district_id
                    ),
                )
            })?,
    };
    let new = NewRun {
        id: new_id(),
        district_id: req.district_id,
        trigger: req.trigger,
        dry_run: req.dry_run,
        override_threshold: req.override_threshold,
        request_id: req.request_id.clone(),
        source,
        created_at: conn.now(),
        reverts_run_id: req.reverts_run_id,
    };
    match q::insert(conn, &new).await {
        Ok(()) => q::require(conn, new.id).await,
        Err(Error::AlreadyExists { .. }) => already_active(conn, &req).await,
        Err(e) => Err(e),
    }
}

/// The insert hit a unique key: either the same request raced us, or another run is active.
async fn already_active(conn: &mut DbConn, req: &StartRequest) -> Result<Run> {
    if let Some(request_id) = &req.request_id
        && let Some(run) = q::by_request(conn, req.district_id, request_id).await?
    {
        return Ok(run);
    }
    match q::active(conn, req.district_id).await? {
        Some(active) => Err(Error::AlreadyExists {
            message: format!(
                "district {} already has an active run {} ({}); wait for it or cancel it",
                req.district_id, active.id, active.state
            ),
        }),
        None => Err(Error::Conflict(
            "the district's active run just changed; retry".into(),
        )),
    }
}

/// RevertSync (R9.2): queues the run that reverses `run_id` (trigger `revert`), and
/// pauses the district's schedule, in one transaction. The same request id returns the same run.
pub async fn revert(store: &Store, run_id: i64, request_id: Option<String>) -> Result<Run> {
    let mut conn = store.conn().await?;
    conn.transaction(|c| revert_on(c, run_id, request_id.clone()).boxed())
        .await
}

async fn revert_on(c: &mut DbConn, run_id: i64, request_id: Option<String>) -> Result<Run> {
    let target = q::require(c, run_id).await?;
    if let Some(id) = &request_id
        && let Some(run) = q::by_request(c, target.district_id, id).await?
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
    match undo::logged_run(c, target.district_id).await? {
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

pub async fn get(store: &Store, run_id: i64) -> Result<Run> {
    q::require(&mut store.conn().await?, run_id).await
}

pub async fn list(store: &Store, district_id: i64, page: PageRequest) -> Result<Page<Run>> {
    let mut conn = store.conn().await?;
    districts::require(&mut conn, district_id).await?;
    let runs = q::list(&mut conn, district_id, &page).await?;
    Ok(page.finish(runs, |r| r.id))
}

/// Cancels a queued or running run. A queued run ends at once; a running one stops at
/// its next step, and always before it applies anything: a cancel that reaches the
/// apply before its commit wins (R7.6). A run this server works is told first, in
/// memory (`live`): its apply rolls back at its next statement, which on SQLite is what
/// frees the write lock the cancel's own write then takes.
///
/// The write is a transaction of its own, so a cancel that meets the run's own end (or
/// its keeper's write) in a lock is tried again, not answered ABORTED: the caller asked
/// for one thing, and the run ends CANCELLED or says why it could not.
pub async fn cancel(store: &Store, live: &LiveRuns, run_id: i64) -> Result<Run> {
    let mut conn = store.conn().await?;
    match q::require(&mut conn, run_id).await?.state {
        // A plan waiting for a person: cancelling it is rejecting it.
        RunState::AwaitingApproval => return super::review::reject(store, run_id).await,
        // Told once its state is read: the run may end CANCELLED at once, and this
        // cancel is still the one that ended it, not one too late.
        RunState::Queued | RunState::Running => live.cancel(run_id),
        state => {
            return Err(Error::precondition(
                "RUN_FINISHED",
                format!("sync run {run_id} already ended ({state})"),
            ));
        }
    }
    conn.transaction::<_, Error, _>(|c| {
        async move {
            let at = c.now();
            if !q::cancel_queued(c, run_id, at).await? {
                q::request_cancel(c, run_id).await?;
            }
            Ok(())
        }
        .boxed()
    })
    .await?;
    q::require(&mut conn, run_id).await
}
