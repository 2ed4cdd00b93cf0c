//! The worker: claims queued runs from the database (so queued runs survive a restart),
//! runs them phase by phase, fails runs whose process died, and starts scheduled runs.

use super::apply::apply;
use super::plan::{self, Policy, RunContext};
use super::runs::{self, StartRequest};
use super::settings::{self, Source, SyncSettings};
use super::snapshot::{Coverage, KnownIds, Snapshot};
use crate::directory::now;
use crate::domain::{Error, RunPhase, RunState, Trigger, new_id};
use crate::store::Store;
use crate::store::models::IssueRow;
use crate::store::queries::{roster, runs as q};
use chrono::TimeDelta;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Where sources are read from.
#[derive(Debug, Clone)]
pub struct SourcePaths {
    /// OneRoster CSV sources given by path must lie under this folder.
    pub import_dir: PathBuf,
    /// Uploaded archives live in `data_dir/uploads/<id>.zip`.
    pub data_dir: PathBuf,
}

impl SourcePaths {
    pub fn upload_path(&self, upload_id: i64) -> PathBuf {
        self.data_dir
            .join("uploads")
            .join(format!("{upload_id}.zip"))
    }

    /// A path under the import directory; anything that escapes it (`..`, links) is refused.
    pub fn import_path(&self, relative: &str) -> Result<PathBuf, String> {
        let base = self.import_dir.canonicalize().map_err(|e| {
            format!(
                "import directory {} is not readable: {e}",
                self.import_dir.display()
            )
        })?;
        let full = base
            .join(relative)
            .canonicalize()
            .map_err(|e| format!("{relative}: {e}"))?;
        if full.starts_with(&base) {
            Ok(full)
        } else {
            Err(format!("{relative} is outside the import directory"))
        }
    }
}

/// Wakes the worker when a run is queued.
#[derive(Debug, Clone, Default)]
pub struct WorkerHandle {
    notify: Arc<Notify>,
}

impl WorkerHandle {
    pub fn wake(&self) {
        self.notify.notify_one();
    }
}

/// A RUNNING run whose heartbeat is older than this belongs to a process that died.
const STALE_AFTER: TimeDelta = TimeDelta::seconds(120);
const HEARTBEAT_EVERY: Duration = Duration::from_secs(15);

/// Starts the worker loop in the background.
pub fn spawn(store: Store, paths: SourcePaths) -> WorkerHandle {
    let handle = WorkerHandle::default();
    let notify = handle.notify.clone();
    tokio::spawn(async move {
        loop {
            if let Err(e) = tick(&store, &paths).await {
                tracing::warn!(error = %e, "sync worker tick failed");
            }
            tokio::select! {
                () = notify.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    });
    handle
}

/// One pass: recover dead runs, start due schedules, run what is queued.
async fn tick(store: &Store, paths: &SourcePaths) -> Result<(), Error> {
    fail_stale_runs(store).await?;
    start_due_schedules(store).await?;
    loop {
        let mut conn = store.conn().await?;
        let mut claimed = None;
        for id in q::queued_runs(&mut conn, 10).await? {
            if q::claim_run(&mut conn, id, now()).await? {
                claimed = Some(id);
                break;
            }
        }
        drop(conn);
        match claimed {
            Some(id) => execute(store, paths, id).await,
            None => return Ok(()),
        }
    }
}

/// A run left RUNNING by a process that stopped is failed, never left stuck. Its apply
/// was one transaction, so it wrote nothing.
async fn fail_stale_runs(store: &Store) -> Result<(), Error> {
    let mut conn = store.conn().await?;
    for mut row in q::stale_runs(&mut conn, now() - STALE_AFTER).await? {
        tracing::warn!(run_id = row.id, "failing a run whose worker stopped");
        row.state = RunState::Failed.as_str().into();
        row.finished_at = Some(now());
        row.error_message =
            "interrupted: the server running it stopped; nothing was applied, start it again"
                .into();
        q::finish_run(&mut conn, &row).await?;
    }
    Ok(())
}

async fn start_due_schedules(store: &Store) -> Result<(), Error> {
    let mut conn = store.conn().await?;
    let now = now();
    for row in q::due_schedules(&mut conn, now).await? {
        let settings = SyncSettings::from_row(row)?;
        let started = runs::start(
            store,
            StartRequest {
                district_id: settings.district_id,
                source: None,
                dry_run: false,
                override_threshold: false,
                request_id: None,
                trigger: Trigger::Scheduled,
            },
        )
        .await;
        if let Err(e) = started {
            tracing::warn!(district_id = settings.district_id, error = %e, "scheduled run not started");
        }
        q::set_next_schedule(
            &mut conn,
            settings.district_id,
            settings.schedule.next_after(now),
        )
        .await?;
    }
    Ok(())
}

/// How a run ended, before it is written down.
enum Outcome {
    Succeeded,
    Failed(String),
    Blocked(plan::SafetyBlock),
    Cancelled,
}

async fn execute(store: &Store, paths: &SourcePaths, run_id: i64) {
    let beat = {
        let store = store.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT_EVERY).await;
                if let Ok(mut conn) = store.conn().await {
                    let _ = q::heartbeat(&mut conn, run_id, now()).await;
                }
            }
        })
    };
    let result = run_phases(store, paths, run_id).await;
    beat.abort();
    if let Err(e) = result {
        tracing::error!(run_id, error = %e, "run failed");
        let _ = finish(store, run_id, Outcome::Failed(e.to_string()), None).await;
    }
}

async fn phase(
    store: &Store,
    run_id: i64,
    phase: RunPhase,
    done: usize,
    total: usize,
) -> Result<bool, Error> {
    let mut conn = store.conn().await?;
    q::set_phase(
        &mut conn,
        run_id,
        phase.as_str(),
        done as i64,
        total as i64,
        now(),
    )
    .await?;
    let run = q::get_run(&mut conn, run_id)
        .await?
        .ok_or_else(|| Error::not_found("run"))?;
    Ok(run.cancel_requested)
}

async fn run_phases(store: &Store, paths: &SourcePaths, run_id: i64) -> Result<(), Error> {
    let run = runs::get(store, run_id).await?;
    tracing::info!(
        run_id,
        district_id = run.row.district_id,
        dry_run = run.row.dry_run,
        "run started"
    );
    if phase(store, run_id, RunPhase::Fetching, 0, 0).await? {
        return finish(store, run_id, Outcome::Cancelled, None).await;
    }
    let Some(source) = run.source.clone() else {
        return finish(
            store,
            run_id,
            Outcome::Failed("the run's source is unreadable".into()),
            None,
        )
        .await;
    };
    let secret = stored_secret(store, run.row.district_id, &source).await?;
    // A live source can take minutes: a cancel stops the fetch, not only the next phase.
    let fetched = tokio::select! {
        fetched = super::fetch::fetch(store, run_id, &source, secret, paths) => fetched,
        () = cancel_requested(store, run_id) => {
            return finish(store, run_id, Outcome::Cancelled, None).await;
        }
    };
    let mut snapshot = match fetched {
        Ok(s) => s,
        Err(message) => return finish(store, run_id, Outcome::Failed(message), None).await,
    };

    if phase(
        store,
        run_id,
        RunPhase::Validating,
        0,
        snapshot.record_count(),
    )
    .await?
    {
        return finish(store, run_id, Outcome::Cancelled, None).await;
    }
    let state = roster::load_state(store, run.row.district_id).await?;
    let settings = settings::load(&mut store.conn().await?, run.row.district_id).await?;
    snapshot.check_references(&known_ids(&snapshot, &state));

    let total = snapshot.record_count();
    if phase(store, run_id, RunPhase::Planning, 0, total).await? {
        return finish(store, run_id, Outcome::Cancelled, None).await;
    }
    let policy = Policy {
        update_active_users: settings.update_active_users,
        family_policy: settings.abandoned_family_policy,
        threshold_percent: settings.abandon_threshold_percent,
        phone_region: settings.default_phone_region.clone(),
        override_threshold: run.row.override_threshold,
    };
    let ctx = RunContext {
        district_id: run.row.district_id,
        run_id,
        now: now(),
    };
    let plan = Arc::new(
        tokio::task::spawn_blocking(move || plan::plan(&state, &snapshot, &policy, &ctx))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?,
    );
    if let Some(block) = plan.safety_block.clone() {
        return finish(store, run_id, Outcome::Blocked(block), Some(&plan)).await;
    }
    if run.row.dry_run {
        return finish(store, run_id, Outcome::Succeeded, Some(&plan)).await;
    }
    if phase(store, run_id, RunPhase::Applying, 0, plan.change_count()).await? {
        return finish(store, run_id, Outcome::Cancelled, Some(&plan)).await;
    }
    let mut conn = store.conn().await?;
    apply(&mut conn, plan.clone(), run_id, ctx.now).await?;
    drop(conn);
    finish(store, run_id, Outcome::Succeeded, Some(&plan)).await
}

/// Stored ids a delta source may refer to without listing them again.
fn known_ids(snapshot: &Snapshot, state: &super::state::State) -> KnownIds {
    let ids = |coverage: Coverage, it: &mut dyn Iterator<Item = Option<&String>>| -> Vec<String> {
        if coverage == Coverage::Bulk {
            Vec::new()
        } else {
            it.flatten().cloned().collect()
        }
    };
    KnownIds {
        schools: ids(
            snapshot.orgs,
            &mut state.schools.iter().map(|s| s.source_id.as_ref()),
        ),
        students: ids(
            snapshot.users,
            &mut state.students.iter().map(|s| s.source_id.as_ref()),
        ),
        guardians: ids(
            snapshot.users,
            &mut state.guardians.iter().map(|s| s.source_id.as_ref()),
        ),
        staff: ids(
            snapshot.users,
            &mut state.staff.iter().map(|s| s.source_id.as_ref()),
        ),
        classes: ids(
            snapshot.class_coverage,
            &mut state.classes.iter().map(|s| s.source_id.as_ref()),
        ),
    }
}

/// Resolves once CancelSync has flagged the run.
async fn cancel_requested(store: &Store, run_id: i64) {
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if let Ok(mut conn) = store.conn().await
            && let Ok(Some(run)) = q::get_run(&mut conn, run_id).await
            && run.cancel_requested
        {
            return;
        }
    }
}

/// The district's stored secret, when the run reads the district's configured source.
/// A per-run source carries no secret (only CSV sources can be given per run).
async fn stored_secret(
    store: &Store,
    district_id: i64,
    source: &Source,
) -> Result<Option<String>, Error> {
    let settings = settings::load(&mut store.conn().await?, district_id).await?;
    Ok(match settings.source {
        Some(configured) if &configured == source => settings.secret,
        _ => None,
    })
}

/// Writes the end of a run: issues, counts, state. The district is free again.
async fn finish(
    store: &Store,
    run_id: i64,
    outcome: Outcome,
    plan: Option<&plan::Plan>,
) -> Result<(), Error> {
    let mut conn = store.conn().await?;
    let mut row = q::get_run(&mut conn, run_id)
        .await?
        .ok_or_else(|| Error::not_found("run"))?;
    if let Some(plan) = plan {
        let issues: Vec<IssueRow> = plan
            .issues
            .iter()
            .map(|i| IssueRow {
                id: new_id(),
                run_id,
                severity: i.severity.as_str().into(),
                record_kind: i.record_kind.as_str().into(),
                code: i.code.clone(),
                message: i.message.clone(),
                source_file: i.at.file.clone(),
                source_line: i.at.line as i64,
                source_resource: i.at.resource.clone(),
                source_id: i.source_id.clone(),
                field: i.field.clone(),
            })
            .collect();
        roster::insert_issues(&mut conn, &issues).await?;
        row.issue_count = issues.len() as i64;
        row.counts =
            serde_json::to_string(&plan.counts).map_err(|e| Error::Internal(e.to_string()))?;
        row.progress_total = plan.change_count() as i64;
    }
    let (state, message) = match outcome {
        Outcome::Succeeded => {
            row.progress_done = row.progress_total;
            (RunState::Succeeded, String::new())
        }
        Outcome::Failed(m) => (RunState::Failed, m),
        Outcome::Cancelled => (RunState::Cancelled, String::new()),
        Outcome::Blocked(block) => {
            row.safety_block =
                serde_json::to_string(&block).map_err(|e| Error::Internal(e.to_string()))?;
            (RunState::Blocked, String::new())
        }
    };
    row.state = state.as_str().into();
    row.error_message = message;
    row.finished_at = Some(now());
    q::finish_run(&mut conn, &row).await?;
    tracing::info!(run_id, state = %state, issues = row.issue_count, "run finished");
    Ok(())
}
