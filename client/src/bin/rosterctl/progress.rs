//! The live progress line of `sync start --wait`, on stderr.
//!
//! On a terminal the line is redrawn in place (carriage return); otherwise each change is
//! printed on a line of its own, so logs stay readable.

use roster_client::SyncRun;
use std::io::{IsTerminal, Write};

/// Width of the bar, in characters.
const BAR_WIDTH: u64 = 30;

pub struct ProgressLine {
    terminal: bool,
    last: String,
}

impl ProgressLine {
    pub fn on_stderr() -> Self {
        ProgressLine {
            terminal: std::io::stderr().is_terminal(),
            last: String::new(),
        }
    }

    /// Shows a snapshot of the run, if it changes what is shown.
    pub fn show(&mut self, run: &SyncRun) {
        let line = describe(run);
        if line == self.last {
            return;
        }
        let mut stderr = std::io::stderr().lock();
        // A progress line that cannot be written is not worth failing the command for.
        let _ = if self.terminal {
            let width = self.last.chars().count();
            write!(stderr, "\r{line:<width$}").and_then(|()| stderr.flush())
        } else {
            writeln!(stderr, "{line}")
        };
        self.last = line;
    }

    /// Ends the in-place line so that what follows starts on a new one.
    pub fn finish(&self) {
        if self.terminal && !self.last.is_empty() {
            eprintln!();
        }
    }
}

/// `APPLYING   [##########--------------------]  120/360 records`
fn describe(run: &SyncRun) -> String {
    let stage = run.phase.map_or(run.state.as_str(), |phase| phase.as_str());
    let done = run.progress.records_done;
    let total = run.progress.records_total;
    if total == 0 {
        return format!("run {} {stage}", run.id);
    }
    let filled = done.min(total) * BAR_WIDTH / total;
    let bar: String = (0..BAR_WIDTH)
        .map(|i| if i < filled { '#' } else { '-' })
        .collect();
    format!("run {} {stage:<10} [{bar}] {done}/{total} records", run.id)
}
