//! Rows as stored. Timestamps are UTC `NaiveDateTime` (the type both backends map); the
//! roster tables' own, read a million at a time, read through [`Stamp`].
//! Roster rows are also serde types: a run's undo log keeps whole rows (R9.2).

use super::schema::*;
use super::stamp::Stamp;
use crate::domain::{
    AbandonAction, ApiKeyRole, ChangeAction, FamilyPolicy, Origin, RecordKind, RunPhase, RunState,
    ScheduleKind, Severity, SourceId, StaffRole, Text, Trigger,
};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = districts, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub struct District {
    pub id: i64,
    pub display_name: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = sync_settings, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct SettingsRow {
    pub district_id: i64,
    pub source: String,
    pub source_secret: Option<String>,
    pub update_active_users: bool,
    pub abandoned_family_policy: FamilyPolicy,
    pub abandon_threshold_percent: i32,
    pub default_phone_region: String,
    pub schedule_kind: ScheduleKind,
    pub schedule_interval_minutes: i32,
    pub schedule_daily_time: String,
    pub schedule_time_zone: String,
    pub next_scheduled_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    /// The secret sealed under the server's key (`store::sealing`).
    pub source_secret_sealed: Option<String>,
    pub school_abandon_threshold_percent: i32,
    pub require_approval: bool,
    pub plan_ttl_seconds: i64,
    /// RevertSync paused the schedule until ResumeSchedule (R9.2).
    pub schedule_paused: bool,
}

#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = schools, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct School {
    pub id: i64,
    pub district_id: i64,
    pub source_id: Option<String>,
    pub sis_id: String,
    pub name: String,
    pub origin: Origin,
    pub archived_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = Stamp, serialize_as = Stamp)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = Stamp, serialize_as = Stamp)]
    pub updated_at: NaiveDateTime,
}

#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = students, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct Student {
    pub id: i64,
    pub district_id: i64,
    pub source_id: Option<SourceId>,
    pub sis_id: Text,
    pub given_name: Text,
    pub family_name: Text,
    pub email: Text,
    pub grade: Text,
    /// JSON object of attribute name to value (R2.6).
    pub attributes: String,
    pub origin: Origin,
    pub archived_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = Stamp, serialize_as = Stamp)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = Stamp, serialize_as = Stamp)]
    pub updated_at: NaiveDateTime,
}

#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = guardians, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct Guardian {
    pub id: i64,
    pub district_id: i64,
    pub source_id: Option<SourceId>,
    pub sis_id: Text,
    pub given_name: Text,
    pub family_name: Text,
    pub email: Text,
    pub sms_number: Text,
    pub home_phone: Text,
    pub language: Text,
    pub origin: Origin,
    pub activated_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = Stamp, serialize_as = Stamp)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = Stamp, serialize_as = Stamp)]
    pub updated_at: NaiveDateTime,
}

#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = staff, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct Staff {
    pub id: i64,
    pub district_id: i64,
    pub source_id: Option<SourceId>,
    pub sis_id: Text,
    pub given_name: Text,
    pub family_name: Text,
    pub email: Text,
    pub sms_number: Text,
    pub home_phone: Text,
    pub language: Text,
    pub role: StaffRole,
    pub origin: Origin,
    pub activated_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = Stamp, serialize_as = Stamp)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = Stamp, serialize_as = Stamp)]
    pub updated_at: NaiveDateTime,
}

#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = classes, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct Class {
    pub id: i64,
    pub district_id: i64,
    pub school_id: i64,
    pub source_id: Option<String>,
    pub sis_id: String,
    pub name: String,
    /// Grades joined by commas.
    pub grades: String,
    pub origin: Origin,
    pub archived_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = Stamp, serialize_as = Stamp)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = Stamp, serialize_as = Stamp)]
    pub updated_at: NaiveDateTime,
    /// The last day of the class's term, as the source last gave it (R5.10): the latest
    /// end of its academic sessions; `None` when no term is known.
    pub term_end_date: Option<NaiveDate>,
}

#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = school_students, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub struct SchoolStudent {
    pub school_id: i64,
    pub student_id: i64,
    pub district_id: i64,
    pub origin: Origin,
    #[diesel(deserialize_as = Stamp, serialize_as = Stamp)]
    pub created_at: NaiveDateTime,
}

#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = school_staff, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub struct SchoolStaff {
    pub school_id: i64,
    pub staff_id: i64,
    pub district_id: i64,
    pub origin: Origin,
    #[diesel(deserialize_as = Stamp, serialize_as = Stamp)]
    pub created_at: NaiveDateTime,
}

#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = class_students, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct ClassStudent {
    pub class_id: i64,
    pub student_id: i64,
    pub district_id: i64,
    pub source_id: Option<SourceId>,
    pub origin: Origin,
    #[diesel(deserialize_as = Stamp, serialize_as = Stamp)]
    pub created_at: NaiveDateTime,
}

#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = class_teachers, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct ClassTeacher {
    pub class_id: i64,
    pub staff_id: i64,
    pub district_id: i64,
    pub source_id: Option<SourceId>,
    pub origin: Origin,
    #[diesel(deserialize_as = Stamp, serialize_as = Stamp)]
    pub created_at: NaiveDateTime,
}

#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = family_links, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub struct FamilyLink {
    pub student_id: i64,
    pub guardian_id: i64,
    pub district_id: i64,
    pub origin: Origin,
    #[diesel(deserialize_as = Stamp, serialize_as = Stamp)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = abandoned_records, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct AbandonedRow {
    pub id: i64,
    pub district_id: i64,
    pub run_id: i64,
    pub record_kind: RecordKind,
    pub record_id: i64,
    pub related_id: Option<i64>,
    pub source_id: String,
    pub display_name: String,
    pub school_id: Option<i64>,
    pub action: AbandonAction,
    pub abandoned_at: NaiveDateTime,
    pub restored_at: Option<NaiveDateTime>,
    pub restore_run_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sync_issues, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub struct IssueRow {
    pub id: i64,
    pub run_id: i64,
    pub severity: Severity,
    pub record_kind: RecordKind,
    pub code: String,
    pub message: String,
    pub source_file: String,
    pub source_line: i64,
    pub source_resource: String,
    pub source_id: String,
    pub field: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sync_runs, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct RunRow {
    pub id: i64,
    pub district_id: i64,
    pub active_district_id: Option<i64>,
    pub state: RunState,
    pub phase: RunPhase,
    pub trigger_kind: Trigger,
    pub dry_run: bool,
    pub override_threshold: bool,
    pub request_id: Option<String>,
    /// The source as JSON, without its secret.
    pub source: String,
    pub created_at: NaiveDateTime,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub heartbeat_at: Option<NaiveDateTime>,
    pub cancel_requested: bool,
    pub progress_done: i64,
    pub progress_total: i64,
    /// Counts per record kind as JSON.
    pub counts: String,
    pub issue_count: i64,
    pub error_message: String,
    /// The safety block as JSON, or empty.
    pub safety_block: String,
    /// The process holding the run's lease while it runs.
    pub lease_owner: Option<String>,
    /// Grows at every claim: the apply commits only under the token it claimed with.
    pub lease_token: i64,
    pub lease_expires_at: Option<NaiveDateTime>,
    /// How many times a worker claimed the run.
    pub attempts: i32,
    /// ApproveSync approved the run's stored plan: it applies that plan (R9.1).
    pub approved: bool,
    /// Until when a plan awaiting approval, or blocked, can be approved.
    pub plan_expires_at: Option<NaiveDateTime>,
    /// What the plan changes and the stored rows it touches, hashed (`sync::review`).
    pub plan_digest: String,
    /// For a revert run (R9.2): the run it reverses.
    pub reverts_run_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = uploads, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct UploadRow {
    pub id: i64,
    pub district_id: i64,
    pub size_bytes: i64,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct ApiKeyRow {
    pub id: i64,
    pub display_name: String,
    pub role: ApiKeyRole,
    pub all_districts: bool,
    /// SHA-256 of the key, in hex: the key itself is never stored.
    pub secret_hash: String,
    pub rate_limit_per_second: i32,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct AuditRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub key_id: Option<i64>,
    pub actor: String,
    pub method: String,
    pub district_id: Option<i64>,
    pub target_id: Option<i64>,
    /// Field names joined by commas.
    pub changed_fields: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = suppressions, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub struct SuppressionRow {
    pub id: i64,
    pub district_id: i64,
    pub record_kind: RecordKind,
    pub source_id: String,
    pub created_at: NaiveDateTime,
}

/// One change of a planned run, as ListPlannedChanges reads it (R9.1).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = planned_changes, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct PlannedChangeRow {
    pub run_id: i64,
    /// The change's place in the plan's listing order.
    pub seq: i64,
    pub record_kind: RecordKind,
    pub action: ChangeAction,
    pub record_id: Option<i64>,
    pub source_id: String,
    pub display_name: String,
    pub school_id: Option<i64>,
    /// JSON array of `[field, old, new]`.
    pub fields: String,
}

/// One change in a record's history (R9.3).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = record_history, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct HistoryRow {
    pub id: i64,
    pub district_id: i64,
    pub record_kind: RecordKind,
    /// The record; for a membership, the person.
    pub record_id: i64,
    /// The other side of a membership: school, class or student.
    pub related_id: Option<i64>,
    pub run_id: Option<i64>,
    pub key_id: Option<i64>,
    pub actor: String,
    pub action: ChangeAction,
    /// JSON array of `[field, old, new]`.
    pub fields: String,
    pub at: NaiveDateTime,
}

/// A membership row (a person in a school or a class, a family link): the pair of ids it
/// links is its key, and its creation time is what a revert puts back (R9.2).
pub trait Membership {
    /// The two ids it links, in the order of the table's primary key.
    fn key(&self) -> (i64, i64);
    fn created_at(&self) -> NaiveDateTime;
}

macro_rules! membership {
    ($($row:ident ($a:ident, $b:ident)),+ $(,)?) => {$(
        impl Membership for $row {
            fn key(&self) -> (i64, i64) {
                (self.$a, self.$b)
            }
            fn created_at(&self) -> NaiveDateTime {
                self.created_at
            }
        }
    )+};
}

membership!(
    SchoolStudent(school_id, student_id),
    SchoolStaff(school_id, staff_id),
    ClassStudent(class_id, student_id),
    ClassTeacher(class_id, staff_id),
    FamilyLink(student_id, guardian_id),
);

/// The source a district's roster is known to be in step with: a run of a source with
/// this digest plans nothing while the row stands, and reports what run `run_id` did.
/// An empty digest is a claim: run `run_id` is planning and may settle it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = settled_sources, check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub struct SettledRow {
    pub district_id: i64,
    pub run_id: i64,
    pub digest: String,
    /// The counts of run `run_id`, as its report keeps them (JSON).
    pub counts: String,
    pub issue_count: i64,
}
