//! Review before apply (R9.1). A planned run (awaiting approval, blocked, or dry) keeps
//! its changes for ListPlannedChanges; one that may still be approved also keeps the
//! snapshot it planned from. ApproveSync plans again from that snapshot against the
//! roster as it is now: the same digest means the same changes over the same stored rows
//! (`plan::changes`), and the run is queued to apply exactly that; another digest is
//! PLAN_STALE. RejectSync and expiry end the run CANCELLED and drop the snapshot.

use super::plan::changes::{self, Change};
use super::plan::{self, Plan};
use crate::domain::{
    ChangeAction, Error, Page, PageRequest, RecordKind, Result, Run, RunState, SyncSettings,
    Trigger,
};
use crate::snapshot::Snapshot;
use crate::store::fields::FieldChange;
use crate::store::models::PlannedChangeRow;
use crate::store::queries::{plans as q, roster, runs, settings};
use crate::store::{DbConn, Store};
use std::sync::Arc;

/// A change as ListPlannedChanges returns it.
pub type PlannedChange = PlannedChangeRow;

/// Keeps a run's changes (and, for a plan that may be approved, its snapshot), replacing
/// what an earlier attempt of the same run kept, all or nothing.
pub async fn keep(
    conn: &mut DbConn,
    run_id: i64,
    changes: &[Change],
    snapshot: Option<&Snapshot>,
) -> Result<()> {
    let rows: Vec<PlannedChangeRow> = changes
        .iter()
        .enumerate()
        .map(|(seq, c)| PlannedChangeRow {
            run_id,
            seq: seq as i64,
            record_kind: c.kind,
            action: c.action,
            record_id: c.record_id,
            source_id: c.source_id.clone(),
            display_name: c.display_name.clone(),
            school_id: c.school_id,
            fields: FieldChange::to_json(&c.fields),
        })
        .collect();
    let bytes = snapshot
        .map(Snapshot::encode)
        .transpose()
        .map_err(Error::Internal)?;
    let (rows, bytes) = (Arc::new(rows), Arc::new(bytes));
    conn.transaction::<_, Error, _>(|c| {
        let (rows, bytes) = (rows.clone(), bytes.clone());
        Box::pin(async move {
            q::discard(c, run_id).await?;
            q::save_changes(c, &rows).await?;
            if let Some(bytes) = bytes.as_ref() {
                q::save_snapshot(c, run_id, bytes).await?;
            }
            Ok(())
        })
    })
    .await
}

/// The kept snapshot of an approved run; FAILED_PRECONDITION PLAN_STALE when none is
/// kept any more (an erasure dropped it).
pub async fn kept_snapshot(conn: &mut DbConn, run_id: i64) -> Result<Snapshot> {
    let bytes = q::load_snapshot(conn, run_id).await?.ok_or_else(|| {
        Error::precondition(
            "PLAN_STALE",
            format!("the plan of sync run {run_id} is no longer kept (a person in it was erased); start a new run"),
        )
    })?;
    Snapshot::decode(&bytes).map_err(Error::Internal)
}

/// The plan of `run` made again from its kept snapshot (a revert: from the reverted run's
/// undo log) against the roster now, with its digest.
async fn replan(store: &Store, run: &Run, settings: &SyncSettings) -> Result<(Plan, String)> {
    if run.trigger == Trigger::Revert {
        return super::revert::replan(store, run, settings).await;
    }
    let mut snapshot = kept_snapshot(&mut store.conn().await?, run.id).await?;
    let state = roster::load_state(store, run.district_id).await?;
    plan::validate(&mut snapshot, &state);
    let policy = plan::Policy::of(settings, true);
    let ctx = plan::RunContext {
        district_id: run.district_id,
        run_id: run.id,
        now: store.now(),
    };
    tokio::task::spawn_blocking(move || {
        let plan = plan::plan(&state, &snapshot, &policy, &ctx);
        let (_, digest) = changes::review(&plan, &state);
        (plan, digest)
    })
    .await
    .map_err(|e| Error::Internal(format!("planning stopped: {e}")))
}

/// Whether the plan made now is the plan that was approved; PLAN_STALE when not.
pub fn check_digest(run_id: i64, kept: &str, now_digest: &str) -> Result<()> {
    if kept == now_digest {
        return Ok(());
    }
    Err(Error::precondition(
        "PLAN_STALE",
        format!(
            "the roster changed since sync run {run_id} was planned (a record its plan touches was edited or synced); start a new run and review its plan"
        ),
    ))
}

/// ApproveSync: queues the run to apply exactly its kept plan.
pub async fn approve(store: &Store, run_id: i64) -> Result<Run> {
    let mut conn = store.conn().await?;
    let run = runs::require(&mut conn, run_id).await?;
    if run.approved {
        return Ok(run); // approved already: the same answer again
    }
    if !run.state.is_approvable() {
        return Err(not_approvable(&run));
    }
    if run.plan_expires_at.is_none_or(|at| at <= conn.now()) {
        if run.state == RunState::AwaitingApproval {
            close(
                &mut conn,
                &run,
                "PLAN_EXPIRED: the plan was not approved in time",
            )
            .await?;
        }
        return Err(Error::precondition(
            "PLAN_EXPIRED",
            format!("the plan of sync run {run_id} expired unapproved; start a new run"),
        ));
    }
    let settings = settings::load(&mut conn, run.district_id).await?;
    let kept = runs::plan_digest(&mut conn, run_id).await?;
    let (_, digest) = replan(store, &run, &settings).await?;
    check_digest(run_id, &kept, &digest)?;
    match runs::approve(&mut conn, &run).await {
        Ok(true) => runs::require(&mut conn, run_id).await,
        Ok(false) => Err(Error::Conflict(format!(
            "sync run {run_id} changed while it was being approved"
        ))),
        Err(Error::AlreadyExists { .. }) => {
            let active = runs::active(&mut conn, run.district_id).await?;
            Err(Error::AlreadyExists {
                message: format!(
                    "district {} has an active run {}; approve this plan once it ends",
                    run.district_id,
                    active.map_or_else(|| "now".to_owned(), |a| a.id.to_string())
                ),
            })
        }
        Err(e) => Err(e),
    }
}

/// RejectSync: the plan is dropped and the run ends CANCELLED.
pub async fn reject(store: &Store, run_id: i64) -> Result<Run> {
    let mut conn = store.conn().await?;
    let run = runs::require(&mut conn, run_id).await?;
    if run.approved || !run.state.is_approvable() {
        return Err(not_approvable(&run));
    }
    close(&mut conn, &run, "rejected: the plan was not applied").await?;
    runs::require(&mut conn, run_id).await
}

fn not_approvable(run: &Run) -> Error {
    Error::precondition(
        "RUN_NOT_AWAITING_APPROVAL",
        format!(
            "sync run {} is {}{}: only a run awaiting approval, or blocked, has a plan to approve or reject",
            run.id,
            run.state,
            if run.approved { " (approved)" } else { "" }
        ),
    )
}

/// Ends a run whose plan will not be applied, and drops its snapshot.
async fn close(conn: &mut DbConn, run: &Run, message: &str) -> Result<()> {
    let at = conn.now();
    if !runs::close_plan(conn, run, at, message).await? {
        return Err(Error::Conflict(format!(
            "sync run {} changed meanwhile",
            run.id
        )));
    }
    q::discard_snapshot(conn, run.id).await?;
    Ok(())
}

/// Ends the runs awaiting approval whose plan expired, and drops the snapshots of plans
/// (blocked ones too) no one can approve any more; how many runs it ended.
pub async fn expire(store: &Store) -> Result<usize> {
    let mut conn = store.conn().await?;
    let at = conn.now();
    let mut ended = 0;
    for run in runs::expired_awaiting(&mut conn, at).await? {
        if runs::close_plan(
            &mut conn,
            &run,
            at,
            "PLAN_EXPIRED: the plan was not approved in time",
        )
        .await?
        {
            tracing::info!(run_id = run.id, "plan expired unapproved");
            ended += 1;
        }
    }
    for run_id in q::expired_snapshots(&mut conn, at).await? {
        q::discard_snapshot(&mut conn, run_id).await?;
    }
    Ok(ended)
}

/// Filters of ListPlannedChanges.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChangeFilter {
    pub kind: Option<RecordKind>,
    pub action: Option<ChangeAction>,
}

/// A planned run's changes, in plan order.
pub async fn list(
    store: &Store,
    run_id: i64,
    filter: ChangeFilter,
    page: PageRequest,
) -> Result<Page<(PlannedChange, Vec<FieldChange>)>> {
    let mut conn = store.conn().await?;
    let run = runs::require(&mut conn, run_id).await?;
    let keeps_plan = run.dry_run || run.approved || run.plan_expires_at.is_some();
    if !keeps_plan {
        return Err(Error::precondition(
            "NO_PLAN",
            format!(
                "sync run {run_id} kept no plan: only dry runs, blocked runs and runs awaiting approval keep theirs"
            ),
        ));
    }
    let rows = q::list_changes(&mut conn, run_id, filter.kind, filter.action, &page).await?;
    let rows = rows
        .into_iter()
        .map(|row| {
            let fields = FieldChange::from_json(&row.fields);
            (row, fields)
        })
        .collect();
    Ok(page.finish(rows, |(r, _)| r.seq))
}
