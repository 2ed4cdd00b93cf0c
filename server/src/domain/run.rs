//! A sync run as callers see it: its state, what it did per record kind, and why it
//! stopped when it did not succeed.

use super::{RecordKind, RunPhase, RunState, Source, Trigger};
use chrono::NaiveDateTime;
use std::collections::BTreeMap;

/// What a run did (or would do) to one kind of record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub abandoned: i64,
    pub restored: i64,
    pub skipped: i64,
    pub invalid: i64,
}

/// Counts of one kind made in parts (a plan's steps on two threads) add up.
impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.abandoned += other.abandoned;
        self.restored += other.restored;
        self.skipped += other.skipped;
        self.invalid += other.invalid;
    }
}

/// Counts per record kind.
pub type CountsByKind = BTreeMap<RecordKind, Counts>;

/// Which threshold a run crossed, and by how much (R7.2).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SafetyBlock {
    pub record_kind: RecordKind,
    pub threshold_percent: i32,
    pub abandon_count: i64,
    pub stored_count: i64,
    pub abandon_percent: f64,
    /// The school whose own threshold was crossed (R7.5); None for the district's (R7.2).
    #[serde(default)]
    pub school_id: Option<i64>,
}

/// One run.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub id: i64,
    pub district_id: i64,
    pub state: RunState,
    pub phase: RunPhase,
    pub trigger: Trigger,
    pub dry_run: bool,
    pub override_threshold: bool,
    pub request_id: Option<String>,
    /// None only for a run whose stored source no longer reads (an older format).
    pub source: Option<Source>,
    pub created_at: NaiveDateTime,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub progress_done: i64,
    pub progress_total: i64,
    pub counts: CountsByKind,
    pub issue_count: i64,
    pub error_message: String,
    pub safety_block: Option<SafetyBlock>,
    /// CancelSync asked the run to stop; it stops before it applies anything.
    pub cancel_requested: bool,
    /// ApproveSync approved the run's stored plan: the run applies exactly that (R9.1).
    pub approved: bool,
    /// Until when the plan of a run awaiting approval, or blocked, can be approved.
    pub plan_expires_at: Option<NaiveDateTime>,
    /// For a revert run (trigger `revert`, R9.2): the run it reverses.
    pub reverts_run_id: Option<i64>,
}

/// Filters of ListAbandonedRecords.
#[derive(Debug, Clone, Default)]
pub struct AbandonedFilter {
    pub kind: Option<RecordKind>,
    pub run_id: Option<i64>,
    /// Some(true): only restored; Some(false): only not restored.
    pub restored: Option<bool>,
}
