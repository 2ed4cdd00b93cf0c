//! Domain types: what the typed methods take and return instead of the generated messages.
//!
//! Ids are strings, empty strings are `None`, enums are Rust enums, timestamps are
//! [`SystemTime`]s and durations [`Duration`]s. Every output type serializes to JSON (enums
//! as `"SUCCEEDED"`-style names, timestamps as RFC 3339 strings, durations as seconds like
//! `"86400s"`, the API's own JSON mapping of both).

mod access;
mod directory;
mod enums;
mod health;
mod history;
mod input;
mod sync;

pub use access::{
    ApiKey, ApiKeyRole, AuditEvent, AuditFilter, ErasedDistrict, NewApiKey, Suppression,
};
pub use directory::{
    AnnouncementRecipient, Class, ClassDetail, ClassMember, District, Guardian, GuardianAccess,
    GuardianDetail, Person, School, StaffMember, StaffMemberDetail, Student, StudentDetail, User,
};
pub use enums::{
    AbandonAction, AbandonedFamilyPolicy, AccountState, ClassMemberRole, IssueSeverity, Origin,
    ParseError, PlannedChangeAction, RecipientKind, RecordKind, RecordStatus, ScheduleKind,
    StaffRole, StatusFilter, SyncPhase, SyncState, SyncTrigger,
};
pub use health::{AttentionReason, SyncHealth};
pub use history::HistoryEntry;
pub use input::{
    AbandonedFilter, AccountUpdate, ClassUpdate, ContactUpdate, IssueFilter, NewClass, NewGuardian,
    NewStaffMember, NewStudent, PlannedChangeFilter, Secret, SettingsUpdate, StartSync,
    StudentUpdate, SyncSourceInput,
};
pub use sync::{
    AbandonedRecord, FieldChange, PlannedChange, Progress, RecordCounts, RestAuth, SafetyBlock,
    Schedule, SyncIssue, SyncRun, SyncSettings, SyncSource, Upload,
};

pub(crate) use enums::{optional, wire};

use crate::Error;
use std::time::{Duration, SystemTime};

/// An empty string is an unset field.
pub(crate) fn text(value: String) -> Option<String> {
    if value.is_empty() { None } else { Some(value) }
}

/// A wire timestamp as a `SystemTime` (unset, or out of the platform's range, is `None`).
pub(crate) fn time(value: Option<prost_types::Timestamp>) -> Option<SystemTime> {
    value.and_then(|t| SystemTime::try_from(t).ok())
}

/// A wire count; a negative one (never sent) reads as 0.
pub(crate) fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// A message field the API always sets.
pub(crate) fn required<T>(value: Option<T>, what: &str) -> Result<T, Error> {
    value.ok_or_else(|| Error::Protocol(format!("the response has no {what}")))
}

/// Converts every element, failing on the first that does not convert.
pub(crate) fn all<P, T>(items: Vec<P>) -> Result<Vec<T>, Error>
where
    T: TryFrom<P, Error = Error>,
{
    items.into_iter().map(T::try_from).collect()
}

/// Serializes an optional timestamp as an RFC 3339 string (or `null`).
pub(crate) fn serialize_time<S>(
    value: &Option<SystemTime>,
    serializer: S,
) -> Result<S::Ok, S::Error>
where
    S: serde::Serializer,
{
    match value {
        Some(t) => serializer.collect_str(&prost_types::Timestamp::from(*t)),
        None => serializer.serialize_none(),
    }
}

/// Serializes a duration as the API's JSON mapping does, in seconds: `"86400s"`.
pub(crate) fn serialize_duration<S>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error>
where
    S: serde::Serializer,
{
    let wire = prost_types::Duration::try_from(*value).map_err(serde::ser::Error::custom)?;
    serializer.collect_str(&wire)
}
