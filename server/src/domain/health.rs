//! A district's sync health, for the people on call: its last run, its last success, the
//! failures since, its next scheduled run, and whether it needs attention and why. Plain
//! logic over the district's recent runs, tested here.

use super::{Run, RunState, ScheduleKind, SyncSettings};
use chrono::{NaiveDateTime, TimeDelta};

/// Why a district needs someone to look at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AttentionReason {
    /// Its last run (dry runs aside) ended FAILED.
    LastRunFailed,
    /// Its last run ended BLOCKED by a safety threshold and waits for an override.
    LastRunBlocked,
    /// It is scheduled, yet no run succeeded in three schedule periods.
    NoRecentSuccess,
    /// A plan waits for a person to approve or reject it (R9.1).
    AwaitingApproval,
    /// A revert paused its schedule (R9.2) until an operator resumes it.
    SchedulePaused,
}

/// How a district's sync is doing.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncHealth {
    pub district_id: i64,
    pub display_name: String,
    /// The newest run that is not a dry run.
    pub last_run: Option<Run>,
    pub last_success_at: Option<NaiveDateTime>,
    /// FAILED or BLOCKED runs since the last success (cancelled ones aside).
    pub consecutive_failures: i32,
    pub next_scheduled_at: Option<NaiveDateTime>,
    pub reasons: Vec<AttentionReason>,
}

impl SyncHealth {
    pub fn needs_attention(&self) -> bool {
        !self.reasons.is_empty()
    }
}

/// How long three schedule periods are, or None for a district without a schedule.
fn three_periods(settings: &SyncSettings) -> Option<TimeDelta> {
    match settings.schedule.kind {
        ScheduleKind::Off => None,
        ScheduleKind::Interval => Some(TimeDelta::minutes(
            3 * i64::from(settings.schedule.interval_minutes.max(1)),
        )),
        ScheduleKind::Daily => Some(TimeDelta::days(3)),
    }
}

/// The health of a district from its runs since its last success (that one included),
/// newest first, dry runs left out; `since` is when the district was made, for a district
/// that never succeeded.
pub fn assess(
    (district_id, display_name, since): (i64, &str, NaiveDateTime),
    runs: &[Run],
    settings: &SyncSettings,
    next_scheduled_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> SyncHealth {
    let last_run = runs.first().cloned();
    let last_success = runs.iter().find(|r| r.state == RunState::Succeeded);
    let last_success_at = last_success.and_then(|r| r.finished_at);
    let consecutive_failures = runs
        .iter()
        .take_while(|r| r.state != RunState::Succeeded)
        .filter(|r| matches!(r.state, RunState::Failed | RunState::Blocked))
        .count() as i32;
    let mut reasons = Vec::new();
    match last_run.as_ref().map(|r| r.state) {
        Some(RunState::Failed) => reasons.push(AttentionReason::LastRunFailed),
        Some(RunState::Blocked) => reasons.push(AttentionReason::LastRunBlocked),
        Some(RunState::AwaitingApproval) => reasons.push(AttentionReason::AwaitingApproval),
        _ => {}
    }
    // A paused schedule starts nothing: that is the reason to show, not a missed success.
    if settings.schedule_paused {
        reasons.push(AttentionReason::SchedulePaused);
    } else if let Some(window) = three_periods(settings)
        && last_success_at.unwrap_or(since) + window < now
    {
        reasons.push(AttentionReason::NoRecentSuccess);
    }
    SyncHealth {
        district_id,
        display_name: display_name.to_owned(),
        last_run,
        last_success_at,
        consecutive_failures,
        next_scheduled_at: next_scheduled_at.filter(|_| !settings.schedule_paused),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Schedule, Trigger};

    fn at(hours: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc()
            + TimeDelta::hours(hours)
    }

    fn run(id: i64, state: RunState, hours: i64) -> Run {
        Run {
            id,
            district_id: 1,
            state,
            phase: crate::domain::RunPhase::None,
            trigger: Trigger::Scheduled,
            dry_run: false,
            override_threshold: false,
            request_id: None,
            source: None,
            created_at: at(hours),
            started_at: Some(at(hours)),
            finished_at: Some(at(hours)),
            progress_done: 0,
            progress_total: 0,
            counts: Default::default(),
            issue_count: 0,
            error_message: String::new(),
            safety_block: None,
            cancel_requested: false,
            approved: false,
            plan_expires_at: None,
            reverts_run_id: None,
        }
    }

    fn daily() -> SyncSettings {
        let mut s = SyncSettings::defaults(1, at(0));
        s.schedule = Schedule {
            kind: ScheduleKind::Daily,
            interval_minutes: 0,
            daily_time: "06:00".into(),
            time_zone: "UTC".into(),
        };
        s
    }

    #[test]
    fn failures_since_the_last_success_need_attention() {
        let runs = [
            run(4, RunState::Failed, 50),
            run(3, RunState::Cancelled, 40),
            run(2, RunState::Blocked, 30),
            run(1, RunState::Succeeded, 24),
        ];
        let h = assess((1, "D", at(0)), &runs, &daily(), Some(at(72)), at(51));
        assert_eq!(h.consecutive_failures, 2);
        assert_eq!(h.last_success_at, Some(at(24)));
        assert_eq!(h.reasons, [AttentionReason::LastRunFailed]);
        assert_eq!(h.last_run.unwrap().id, 4);
    }

    #[test]
    fn a_schedule_without_a_success_in_three_periods_needs_attention() {
        let runs = [run(1, RunState::Succeeded, 0)];
        let fine = assess((1, "D", at(0)), &runs, &daily(), None, at(71));
        assert!(!fine.needs_attention());
        let stale = assess((1, "D", at(0)), &runs, &daily(), None, at(73));
        assert_eq!(stale.reasons, [AttentionReason::NoRecentSuccess]);
        let never = assess((1, "D", at(0)), &[], &daily(), None, at(73));
        assert_eq!(never.reasons, [AttentionReason::NoRecentSuccess]);
        let unscheduled = SyncSettings::defaults(1, at(0));
        assert!(!assess((1, "D", at(0)), &[], &unscheduled, None, at(999)).needs_attention());
    }

    // R9.2: a schedule a revert paused runs nothing: the district needs attention for
    // that (not for a missed success), and shows no next scheduled run.
    #[test]
    fn r9_2_a_paused_schedule_needs_attention_and_has_no_next_run() {
        let runs = [run(1, RunState::Succeeded, 0)];
        let paused = SyncSettings {
            schedule_paused: true,
            ..daily()
        };
        let h = assess((1, "D", at(0)), &runs, &paused, Some(at(80)), at(73));
        assert_eq!(h.reasons, [AttentionReason::SchedulePaused]);
        assert_eq!(h.next_scheduled_at, None);
    }
}
