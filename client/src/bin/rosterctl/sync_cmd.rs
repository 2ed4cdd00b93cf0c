//! `rosterctl sync ...`: start (and follow) runs, show them, cancel them, list issues.

use crate::Failure;
use crate::cli::{OutputFormat, SyncCommand, SyncStartArgs};
use crate::output;
use crate::progress::ProgressLine;
use futures::{StreamExt, TryStreamExt};
use roster_client::{
    Error, IssueFilter, RosterClient, StartSync, SyncHandle, SyncRun, SyncSourceInput, SyncState,
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
    if !args.wait {
        output::print(format, handle.run(), output::run)?;
        return Ok(ExitCode::SUCCESS);
    }
    let timeout = Duration::from_secs(args.timeout);
    let run = match format {
        OutputFormat::Table => follow(&handle, timeout).await?,
        OutputFormat::Json | OutputFormat::Csv => handle.wait(timeout).await?,
    };
    output::print(format, &run, output::run)?;
    Ok(outcome(&run))
}

/// Waits for the run's end, drawing its phase and progress on stderr.
async fn follow(handle: &SyncHandle, timeout: Duration) -> Result<SyncRun, Error> {
    let mut line = ProgressLine::on_stderr();
    line.show(handle.run());
    let watching = async {
        let mut snapshots = handle.watch();
        let mut last = handle.run().clone();
        while let Some(run) = snapshots.try_next().await? {
            line.show(&run);
            let done = run.state.is_final();
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
    if last.state.is_final() {
        Ok(last)
    } else {
        // The stream ended early: fall back to polling.
        handle.wait(timeout).await
    }
}

/// Exit code 2, with the reason on stderr, for a run that ended `FAILED` or `BLOCKED`.
fn outcome(run: &SyncRun) -> ExitCode {
    match run.state {
        SyncState::Failed => {
            let message = run.error_message.as_deref().unwrap_or("no error message");
            eprintln!("run {} FAILED: {message}", run.id);
            ExitCode::from(2)
        }
        SyncState::Blocked => {
            let why = run.safety_block.as_ref().map_or_else(
                || "over the abandon threshold".to_owned(),
                |b| b.to_string(),
            );
            eprintln!(
                "run {} BLOCKED: {why}; nothing was written. Start it again with \
                 --override-threshold to apply it anyway.",
                run.id
            );
            ExitCode::from(2)
        }
        _ => ExitCode::SUCCESS,
    }
}
