//! Sync health: how each district's sync is doing, for people on call.

use super::enums::wire_enum;
use super::{SyncState, optional, serialize_time, text, time};
use crate::{Error, pb};
use serde::Serialize;
use std::time::SystemTime;

wire_enum! {
    /// Why a district's sync needs someone to look at it.
    AttentionReason => AttentionReason {
        /// Its last run (dry runs aside) failed: see `last_error_message`.
        LastRunFailed = "LAST_RUN_FAILED",
        /// Its last run was blocked by a safety threshold and waits for an override.
        LastRunBlocked = "LAST_RUN_BLOCKED",
        /// It runs on a schedule, yet no run succeeded in three schedule periods.
        NoRecentSuccess = "NO_RECENT_SUCCESS",
        /// A plan waits for `approve_sync` or `reject_sync`.
        AwaitingApproval = "AWAITING_APPROVAL",
        /// A revert paused the district's schedule (R9.2) until `resume_schedule`.
        SchedulePaused = "SCHEDULE_PAUSED",
    }
}

/// How a district's sync is doing. Dry runs are left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncHealth {
    /// The district.
    pub district_id: String,
    /// Its display name.
    pub display_name: String,
    /// The newest run, if it ever ran.
    pub last_run_id: Option<String>,
    /// That run's state.
    pub last_run_state: Option<SyncState>,
    /// When that run ended (or was created, while active).
    #[serde(serialize_with = "serialize_time")]
    pub last_run_time: Option<SystemTime>,
    /// That run's failure message, when it failed.
    pub last_error_message: Option<String>,
    /// When a run last succeeded.
    #[serde(serialize_with = "serialize_time")]
    pub last_success_time: Option<SystemTime>,
    /// Failed or blocked runs since the last success.
    pub consecutive_failures: u32,
    /// When the schedule starts the next run.
    #[serde(serialize_with = "serialize_time")]
    pub next_scheduled_time: Option<SystemTime>,
    /// Whether someone should look at it.
    pub needs_attention: bool,
    /// Why.
    pub attention_reasons: Vec<AttentionReason>,
}

impl TryFrom<pb::SyncHealth> for SyncHealth {
    type Error = Error;

    fn try_from(h: pb::SyncHealth) -> Result<Self, Error> {
        Ok(SyncHealth {
            district_id: h.district_id,
            display_name: h.display_name,
            last_run_id: text(h.last_run_id),
            last_run_state: optional(h.last_run_state)?,
            last_run_time: time(h.last_run_time),
            last_error_message: text(h.last_error_message),
            last_success_time: time(h.last_success_time),
            consecutive_failures: h.consecutive_failures.max(0) as u32,
            next_scheduled_time: time(h.next_scheduled_time),
            needs_attention: h.needs_attention,
            attention_reasons: h
                .attention_reasons
                .into_iter()
                .map(AttentionReason::try_from)
                .collect::<Result<_, _>>()?,
        })
    }
}
