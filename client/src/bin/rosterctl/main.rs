//! `rosterctl`: the operator CLI of roster-sync.
//!
//! Exit codes: 0 when the command did what it was asked; 1 when it could not (the reason
//! is printed on stderr as `error: ...`); 2 when `sync start --wait`, `sync approve
//! --wait` or `sync revert --wait` followed a run that ended `FAILED` or `BLOCKED`; 3 when
//! it stopped `AWAITING_APPROVAL` (see `sync plan`, `sync approve`).

mod access_cmd;
mod cli;
mod commands;
mod directory_cmd;
mod output;
mod progress;
mod secrets;
mod sync_cmd;

use clap::Parser;
use std::process::ExitCode;

/// Why a command failed: printed as `error: ...`, exit code 1.
#[derive(Debug)]
pub enum Failure {
    /// The server refused the call, or could not be reached.
    Client(roster_client::Error),
    /// Something on this side: a file that cannot be read, nothing to do.
    Local(String),
}

impl From<roster_client::Error> for Failure {
    fn from(error: roster_client::Error) -> Self {
        Failure::Client(error)
    }
}

impl Failure {
    fn report(&self) {
        match self {
            Failure::Client(error) => {
                eprintln!("error: {error}");
                for violation in error.violations() {
                    eprintln!("  {}: {}", violation.field, violation.description);
                }
            }
            Failure::Local(message) => eprintln!("error: {message}"),
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(usage) => {
            // --help and --version print to stdout and succeed; usage errors fail with 1.
            let code = if usage.use_stderr() { 1 } else { 0 };
            let _ = usage.print();
            return ExitCode::from(code);
        }
    };
    match commands::run(cli).await {
        Ok(code) => code,
        Err(failure) => {
            failure.report();
            ExitCode::from(1)
        }
    }
}
