//! What the engine records for dashboards (the `roster_sync_*` series, `roster_runs_active`):
//! runs by final state and trigger, the rosters kept loaded between runs, the time of each phase, the records a run changed and
//! the issues it reported. Recorded once a run's end is committed, so a count never
//! includes a run that rolled back. No-ops unless the server serves metrics.

use super::plan::Plan;
use crate::domain::{CountsByKind, RunPhase, RunState, Trigger};
use std::time::Duration;

/// A run ended (its end committed) in `state`.
pub fn run_ended(state: RunState, trigger: Trigger, plan: Option<&Plan>, dry_run: bool) {
    let Some(plan) = plan else {
        return ended(state, trigger, [], None);
    };
    let codes = plan.issues.iter().map(|i| i.code.as_str());
    let applied = (state == RunState::Succeeded && !dry_run).then_some(&plan.counts);
    ended(state, trigger, codes, applied);
}

/// A run of a settled source ended SUCCEEDED with the report of the run that settled it
/// (`settled`): it reports those issues and records again, like a run that planned them.
pub fn settled_run_ended<'a>(
    trigger: Trigger,
    codes: impl IntoIterator<Item = &'a str>,
    counts: &CountsByKind,
) {
    ended(RunState::Succeeded, trigger, codes, Some(counts));
}

fn ended<'a>(
    state: RunState,
    trigger: Trigger,
    codes: impl IntoIterator<Item = &'a str>,
    applied: Option<&CountsByKind>,
) {
    metrics::counter!(
        "roster_sync_runs_total",
        "state" => state.as_str(),
        "trigger" => trigger.as_str()
    )
    .increment(1);
    for code in codes {
        metrics::counter!("roster_sync_issues_total", "code" => code.to_owned()).increment(1);
    }
    for (kind, counts) in applied.into_iter().flatten() {
        for (action, n) in [
            ("created", counts.created),
            ("updated", counts.updated),
            ("unchanged", counts.unchanged),
            ("abandoned", counts.abandoned),
            ("restored", counts.restored),
            ("skipped", counts.skipped),
            ("invalid", counts.invalid),
        ] {
            if n > 0 {
                metrics::counter!(
                    "roster_sync_records_total",
                    "kind" => kind.as_str(),
                    "action" => action
                )
                .increment(n as u64);
            }
        }
    }
}

/// A phase of a run took `elapsed`.
pub fn phase_done(phase: RunPhase, elapsed: Duration) {
    metrics::histogram!("roster_sync_phase_duration_seconds", "phase" => phase.as_str())
        .record(elapsed.as_secs_f64());
}

/// The roster rows this process keeps loaded between runs (`super::warm`): what its
/// memory holds beyond the runs it works.
pub fn warm_roster_rows(rows: usize) {
    metrics::gauge!("roster_warm_roster_rows").set(rows as f64);
}

/// Counts a run as active on this server while it lives.
pub struct Active;

impl Active {
    pub fn start() -> Self {
        metrics::gauge!("roster_runs_active").increment(1.0);
        Active
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        metrics::gauge!("roster_runs_active").decrement(1.0);
    }
}
