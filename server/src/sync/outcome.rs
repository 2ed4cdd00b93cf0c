//! How a run ends: the one place that writes a run's end. A run that applied its plan
//! ends inside the apply's own transaction (`apply`), every other run here, and both
//! through [`write`], under the run's lease: a worker that lost its run writes nothing.

use super::plan::Plan;
use crate::domain::{Error, Result, RunState, SafetyBlock, new_id};
use crate::store::models::{IssueRow, SettledRow};
use crate::store::queries::roster;
use crate::store::queries::runs::{self as q, Lease, RunEnd};
use crate::store::{DbConn, Store, StoreError};
use chrono::NaiveDateTime;
use std::sync::Arc;

/// How a run ended, before it is written down.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The plan was computed; a dry run stops here, a real run applied it.
    Succeeded,
    Failed(String),
    /// Over a threshold; the plan is kept, so an approval can apply it past the block.
    Blocked(SafetyBlock, Kept),
    Cancelled,
    /// Planned, the plan kept; the run holds the district until a person decides (R9.1).
    AwaitingApproval {
        district_id: i64,
        kept: Kept,
    },
}

/// A plan kept for approval (R9.1): until when it may be approved, and its digest.
#[derive(Debug, Clone)]
pub struct Kept {
    pub expires_at: NaiveDateTime,
    pub digest: String,
}

impl Outcome {
    /// The state the run ends in.
    pub fn state(&self) -> RunState {
        match self {
            Outcome::Succeeded => RunState::Succeeded,
            Outcome::Failed(_) => RunState::Failed,
            Outcome::Blocked(..) => RunState::Blocked,
            Outcome::Cancelled => RunState::Cancelled,
            Outcome::AwaitingApproval { .. } => RunState::AwaitingApproval,
        }
    }
}

/// Longest failure message kept: enough for any message the engine writes.
const MESSAGE_LIMIT: usize = 4000;

/// The run's end as stored: state, counts, issues and progress from the plan if any.
pub fn run_end(outcome: &Outcome, plan: Option<&Plan>) -> Result<RunEnd> {
    let json = |value: &dyn erased::Json| value.to_json();
    let state = outcome.state();
    let (error_message, safety_block) = match outcome {
        Outcome::Failed(m) => (clip(m), String::new()),
        Outcome::Blocked(block, _) => (String::new(), json(block)?),
        _ => (String::new(), String::new()),
    };
    let (holds_district, kept) = match outcome {
        Outcome::AwaitingApproval { district_id, kept } => (Some(*district_id), Some(kept)),
        Outcome::Blocked(_, kept) => (None, Some(kept)),
        _ => (None, None),
    };
    let total = plan.map_or(0, |p| p.change_count() as i64);
    Ok(RunEnd {
        state,
        progress_done: if state == RunState::Succeeded {
            total
        } else {
            0
        },
        progress_total: total,
        counts: match plan {
            Some(p) => json(&p.counts)?,
            None => "{}".into(),
        },
        issue_count: plan.map_or(0, |p| p.issues.len() as i64),
        error_message,
        safety_block,
        holds_district,
        plan_expires_at: kept.map(|k| k.expires_at),
        plan_digest: kept.map(|k| k.digest.clone()).unwrap_or_default(),
    })
}

fn clip(message: &str) -> String {
    match message.char_indices().nth(MESSAGE_LIMIT) {
        Some((at, _)) => format!("{}…", &message[..at]),
        None => message.to_owned(),
    }
}

/// JSON for the report columns, without a generic parameter at each call.
mod erased {
    use crate::domain::{Error, Result};

    pub trait Json {
        fn to_json(&self) -> Result<String>;
    }

    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> Result<String> {
            serde_json::to_string(self).map_err(|e| Error::Internal(e.to_string()))
        }
    }
}

/// Writes the end of a run and its issues on `conn`, which may be inside the apply's
/// transaction. False when the run was not the lease's any more, or (with
/// `unless_cancelled`) CancelSync asked first: the caller's transaction must roll back.
pub async fn write(
    conn: &mut DbConn,
    lease: Lease,
    end: &RunEnd,
    issues: &[IssueRow],
    unless_cancelled: bool,
) -> Result<bool, StoreError> {
    if !q::end(conn, lease, end, unless_cancelled).await? {
        return Ok(false);
    }
    roster::insert_issues(conn, issues).await?;
    Ok(true)
}

/// The plan's issues as the run keeps them.
pub fn issue_rows(plan: Option<&Plan>, run_id: i64) -> Vec<IssueRow> {
    let Some(plan) = plan else {
        return Vec::new();
    };
    plan.issues
        .iter()
        .map(|i| IssueRow {
            id: new_id(),
            run_id,
            severity: i.severity,
            record_kind: i.record_kind,
            code: i.code.as_str().to_owned(),
            message: clip(&i.message),
            source_file: i.at.file().to_string(),
            source_line: i.at.line() as i64,
            source_resource: i.at.resource().to_string(),
            source_id: i.source_id.clone(),
            field: i.field.clone(),
        })
        .collect()
}

/// Ends a run that applied nothing, in a transaction of its own; true when this worker
/// ended it (false: another holds the run now).
pub async fn end(
    store: &Store,
    lease: Lease,
    outcome: Outcome,
    plan: Option<&Plan>,
) -> Result<bool> {
    let record = run_end(&outcome, plan)?;
    let issues = issue_rows(plan, lease.run_id);
    end_with(store, lease, record, issues).await
}

/// Ends a run whose source the district was settled on (`settled`): SUCCEEDED with
/// nothing applied, the counts and issues those of the run that settled it (`issues`,
/// kept under this run's id).
pub async fn end_settled(
    store: &Store,
    lease: Lease,
    settled: &SettledRow,
    issues: &[IssueRow],
) -> Result<bool> {
    let record = RunEnd {
        state: RunState::Succeeded,
        progress_done: 0,
        progress_total: 0,
        counts: settled.counts.clone(),
        issue_count: issues.len() as i64,
        error_message: String::new(),
        safety_block: String::new(),
        holds_district: None,
        plan_expires_at: None,
        plan_digest: String::new(),
    };
    let issues = issues
        .iter()
        .map(|issue| IssueRow {
            id: new_id(),
            run_id: lease.run_id,
            ..issue.clone()
        })
        .collect();
    end_with(store, lease, record, issues).await
}

async fn end_with(
    store: &Store,
    lease: Lease,
    record: RunEnd,
    issues: Vec<IssueRow>,
) -> Result<bool> {
    let (record, issues) = (Arc::new(record), Arc::new(issues));
    let mut conn = store.conn().await?;
    let ended = conn
        .transaction::<_, Error, _>(|c| {
            let (record, issues) = (record.clone(), issues.clone());
            Box::pin(async move { Ok(write(c, lease, &record, &issues, false).await?) })
        })
        .await?;
    if ended {
        tracing::info!(run_id = lease.run_id, state = %record.state, issues = record.issue_count, "run finished");
    } else {
        tracing::warn!(
            run_id = lease.run_id,
            "run not ended here: another worker holds it"
        );
    }
    Ok(ended)
}
