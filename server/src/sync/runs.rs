//! Sync runs as callers see them: start (idempotent by request id, one active run per
//! district), read, list, cancel; and the report a finished run keeps.

use super::plan::{Counts, SafetyBlock};
use super::settings::{self, Source};
use crate::directory::{now, require_district};
use crate::domain::{
    Error, Page, PageRequest, RecordKind, Result, RunPhase, RunState, Trigger, new_id,
};
use crate::store::models::RunRow;
use crate::store::queries::runs as q;
use crate::store::{DbConn, Store};
use std::collections::BTreeMap;

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
}

/// A run as stored, with its report decoded.
#[derive(Debug, Clone)]
pub struct Run {
    pub row: RunRow,
    pub state: RunState,
    pub phase: RunPhase,
    pub trigger: Trigger,
    pub source: Option<Source>,
    pub counts: BTreeMap<RecordKind, Counts>,
    pub safety_block: Option<SafetyBlock>,
}

impl Run {
    /// Whether the run reached a final state.
    pub fn is_final(&self) -> bool {
        self.state.is_final()
    }

    pub fn from_row(row: RunRow) -> Result<Self> {
        Ok(Run {
            state: RunState::parse(&row.state)?,
            phase: RunPhase::parse(&row.phase)?,
            trigger: Trigger::parse(&row.trigger_kind)?,
            source: serde_json::from_str(&row.source).ok(),
            counts: serde_json::from_str(&row.counts).unwrap_or_default(),
            safety_block: serde_json::from_str(&row.safety_block).ok(),
            row,
        })
    }
}

/// Starts a run: QUEUED for the worker. The same request id returns the same run; a
/// second active run for the district is refused with ALREADY_EXISTS naming the first.
pub async fn start(store: &Store, req: StartRequest) -> Result<Run> {
    let mut conn = store.conn().await?;
    require_district(&mut conn, req.district_id).await?;
    if let Some(request_id) = &req.request_id
        && let Some(row) = q::run_by_request(&mut conn, req.district_id, request_id).await?
    {
        return Run::from_row(row);
    }
    let source = match req.source.clone() {
        Some(source) => source,
        None => settings::load(&mut conn, req.district_id)
            .await?
            .source
            .ok_or_else(|| {
                Error::precondition(
                    "NO_SOURCE",
                    format!("district {} has no roster source: set one in its sync settings or pass `source`", req.district_id),
                )
            })?,
    };
    let now = now();
    let row = RunRow {
        id: new_id(),
        district_id: req.district_id,
        active_district_id: Some(req.district_id),
        state: RunState::Queued.as_str().into(),
        phase: RunPhase::None.as_str().into(),
        trigger_kind: req.trigger.as_str().into(),
        dry_run: req.dry_run,
        override_threshold: req.override_threshold,
        request_id: req.request_id.clone(),
        source: serde_json::to_string(&source).map_err(|e| Error::Internal(e.to_string()))?,
        created_at: now,
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
    };
    match q::insert_run(&mut conn, &row).await.map_err(Error::from) {
        Ok(()) => Run::from_row(row),
        Err(Error::AlreadyExists { .. }) => already_active(&mut conn, &req).await,
        Err(e) => Err(e),
    }
}

/// The insert hit a unique key: either the same request raced us, or another run is active.
async fn already_active(conn: &mut DbConn, req: &StartRequest) -> Result<Run> {
    if let Some(request_id) = &req.request_id
        && let Some(row) = q::run_by_request(conn, req.district_id, request_id).await?
    {
        return Run::from_row(row);
    }
    match q::active_run(conn, req.district_id).await? {
        Some(active) => Err(Error::AlreadyExists {
            message: format!(
                "district {} already has an active run {} ({}); wait for it or cancel it",
                req.district_id, active.id, active.state
            ),
        }),
        None => Err(Error::Unavailable(
            "the district's active run just changed; retry".into(),
        )),
    }
}

pub async fn get(store: &Store, run_id: i64) -> Result<Run> {
    let mut conn = store.conn().await?;
    let row = q::get_run(&mut conn, run_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("sync run {run_id}")))?;
    Run::from_row(row)
}

pub async fn list(store: &Store, district_id: i64, page: PageRequest) -> Result<Page<Run>> {
    let mut conn = store.conn().await?;
    require_district(&mut conn, district_id).await?;
    let rows = q::list_runs(&mut conn, district_id, &page).await?;
    let page = page.finish(rows, |r| r.id);
    let items = page
        .items
        .into_iter()
        .map(Run::from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        items,
        next_page_token: page.next_page_token,
    })
}

/// Cancels a queued or running run. A queued run ends at once; a running one stops at
/// its next phase boundary, and always before it applies anything.
pub async fn cancel(store: &Store, run_id: i64) -> Result<Run> {
    let mut conn = store.conn().await?;
    let run = get(store, run_id).await?;
    match run.state {
        RunState::Queued | RunState::Running => {
            if !q::cancel_queued(&mut conn, run_id, now()).await? {
                // Claimed by a worker: the flag stops it at its next phase boundary.
                q::request_cancel(&mut conn, run_id).await?;
            }
        }
        state => {
            return Err(Error::precondition(
                "RUN_FINISHED",
                format!("sync run {run_id} already ended ({state})"),
            ));
        }
    }
    get(store, run_id).await
}
