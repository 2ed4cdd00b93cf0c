//! `rosterctl sync ...`: start (and follow) runs, show them, cancel them, list issues,
//! review plans: list, approve (and follow) or reject them, and undo: revert a run (and
//! follow the revert), resume the schedule the revert paused.

use crate::Failure;
use crate::cli::{OutputFormat, SyncCommand, SyncStartArgs, WaitArgs};
use crate::output;
use crate::progress::ProgressLine;
use futures::{StreamExt, TryStreamExt};
use roster_client::{
    Error, IssueFilter, PlannedChangeFilter, RosterClient, StartSync, SyncHandle, SyncRun,
    SyncSourceInput, SyncState, SyncTrigger,
};
use std::process::ExitCode;
use std::time::Duration;

pub async fn run(
    client: &RosterClient,
    command: SyncCommand,
    format: OutputFormat,
) -> Result<ExitCode, Failure> {
    match command {
        SyncCommand::Start(args) => return start(client, args, format).await,
        SyncCommand::Status { run_id } => {
            let run = client.get_sync_status(&run_id).await?;
            output::print(format, &run, output::run)?;
        }
        SyncCommand::List { district_id, limit } => {
            let runs = client.list_sync_runs(&district_id);
            let runs: Vec<SyncRun> = match limit {
                Some(n) => runs.take(n).try_collect().await?,
                None => runs.try_collect().await?,
            };
            output::print(format, runs.as_slice(), output::runs)?;
        }
        SyncCommand::Cancel { run_id } => {
            let run = client.cancel_sync(&run_id).await?;
            output::print(format, &run, output::run)?;
        }
        SyncCommand::Issues {
            run_id,
            severity,
            kind,
        } => {
            let filter = IssueFilter {
                severity,
                record_kind: kind,
            };
            let issues: Vec<_> = client
                .list_sync_issues(&run_id, filter)
                .try_collect()
                .await?;
            output::print(format, issues.as_slice(), output::issues)?;
        }
        SyncCommand::Plan {
            run_id,
            kind,
            action,
        } => {
            let filter = PlannedChangeFilter {
                record_kind: kind,
                action,
            };
            let changes: Vec<_> = client
                .list_planned_changes(&run_id, filter)
                .try_collect()
                .await?;
            output::print(format, changes.as_slice(), output::planned_changes)?;
        }
        SyncCommand::Approve {
            run_id,
            request_id,
            waiting,
        } => {
            let handle = client.approve_sync(&run_id, request_id.as_deref()).await?;
            return print_or_wait(&handle, waiting, format).await;
        }
        SyncCommand::Reject { run_id } => {
            let run = client.reject_sync(&run_id).await?;
            output::print(format, &run, output::run)?;
        }
        SyncCommand::Revert {
            run_id,
            request_id,
            waiting,
        } => {
            let handle = client.revert_sync(&run_id, request_id.as_deref()).await?;
            let code = print_or_wait(&handle, waiting, format).await?;
            if format == OutputFormat::Table {
                eprintln!(
                    "reverting paused the schedule of district {district}; resume it with: \
                     rosterctl sync resume-schedule {district}",
                    district = handle.run().district_id
                );
            }
            return Ok(code);
        }
        SyncCommand::ResumeSchedule { district_id } => {
            let settings = client.resume_schedule(&district_id).await?;
            output::print(format, &settings, output::settings)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn start(
    client: &RosterClient,
    args: SyncStartArgs,
    format: OutputFormat,
) -> Result<ExitCode, Failure> {
    let source = match (args.csv_path, args.upload_id) {
        (Some(path), _) => Some(SyncSourceInput::csv_path(path)),
        (None, Some(upload_id)) => Some(SyncSourceInput::upload(upload_id)),
        (None, None) => None,
    };
    let handle = client
        .start_sync(StartSync {
            district_id: args.district_id,
            source,
            dry_run: args.dry_run,
            override_safety_threshold: args.override_threshold,
            request_id: args.request_id,
        })
        .await?;
    print_or_wait(&handle, args.waiting, format).await
}

/// Prints the run of a handle at once or, with `--wait`, once it stops moving, with the
/// exit code of where it stopped.
async fn print_or_wait(
    handle: &SyncHandle,
    waiting: WaitArgs,
    format: OutputFormat,
) -> Result<ExitCode, Failure> {
    if !waiting.wait {
        output::print(format, handle.run(), output::run)?;
        return Ok(ExitCode::SUCCESS);
    }
    let timeout = Duration::from_secs(waiting.timeout);
    let run = match format {
        OutputFormat::Table => follow(handle, timeout).await?,
        OutputFormat::Json | OutputFormat::Csv => handle.wait(timeout).await?,
    };
    output::print(format, &run, output::run)?;
    Ok(outcome(&run))
}

/// Waits until the run stops moving (its end, or AWAITING_APPROVAL), drawing its phase
/// and progress on stderr.
async fn follow(handle: &SyncHandle, timeout: Duration) -> Result<SyncRun, Error> {
    let mut line = ProgressLine::on_stderr();
    line.show(handle.run());
    let watching = async {
        let mut snapshots = handle.watch();
        let mut last = handle.run().clone();
        while let Some(run) = snapshots.try_next().await? {
            line.show(&run);
            let done = !run.state.moves_on();
            last = run;
            if done {
                break;
            }
        }
        Ok::<_, Error>(last)
    };
    let watched = tokio::time::timeout(timeout, watching).await;
    line.finish();
    let last = watched.map_err(|_| Error::Timeout {
        message: format!(
            "sync run {} did not end within {timeout:?}; it goes on (see `rosterctl sync status {}`)",
            handle.id(),
            handle.id()
        ),
    })??;
    if !last.state.moves_on() {
        Ok(last)
    } else {
        // The stream ended early: fall back to polling.
        handle.wait(timeout).await
    }
}

/// Exit code 2 for a run that ended `FAILED` or `BLOCKED`, 3 for one that stopped
/// `AWAITING_APPROVAL` (a script can tell "needs a person" from "went wrong"), with the
/// reason and what to do next on stderr.
fn outcome(run: &SyncRun) -> ExitCode {
    let id = &run.id;
    match run.state {
        SyncState::Failed => {
            let message = run.error_message.as_deref().unwrap_or("no error message");
            eprintln!("run {id} FAILED: {message}");
            ExitCode::from(2)
        }
        SyncState::Blocked => {
            let why = run.safety_block.as_ref().map_or_else(
                || "over the abandon threshold".to_owned(),
                |b| b.to_string(),
            );
            // A revert run cannot be started again past the thresholds: approving is the
            // only override.
            let or_override = if run.trigger == SyncTrigger::Revert {
                ""
            } else {
                ", or start it again with --override-threshold"
            };
            eprintln!(
                "run {id} BLOCKED: {why}; nothing was written. Review its plan with \
                 `rosterctl sync plan {id}` and apply it with `rosterctl sync approve \
                 {id}`{or_override}."
            );
            ExitCode::from(2)
        }
        SyncState::AwaitingApproval => {
            let until = run
                .plan_expire_time
                .map(|t| format!(" (until {})", output::when(Some(t))))
                .unwrap_or_default();
            eprintln!(
                "run {id} AWAITING_APPROVAL: planned, nothing written yet. Review the plan \
                 with `rosterctl sync plan {id}`, then apply it with `rosterctl sync approve \
                 {id}`{until} or discard it with `rosterctl sync reject {id}`."
            );
            ExitCode::from(3)
        }
        _ => ExitCode::SUCCESS,
    }
}
