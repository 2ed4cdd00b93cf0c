//! Sync records: runs, their counts, issues and planned changes, abandoned records,
//! settings, sources.

use super::{
    AbandonAction, AbandonedFamilyPolicy, IssueSeverity, PlannedChangeAction, RecordKind,
    ScheduleKind, SyncPhase, SyncState, SyncTrigger,
};
use super::{
    ParseError, count, optional, required, serialize_duration, serialize_time, text, time,
};
use crate::{Error, pb};
use serde::Serialize;
use std::fmt;
use std::time::{Duration, SystemTime};

/// One sync run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncRun {
    /// The run's id.
    pub id: String,
    /// The district it syncs.
    pub district_id: String,
    /// Where the run is.
    pub state: SyncState,
    /// The phase while `Running`.
    pub phase: Option<SyncPhase>,
    /// What started it.
    pub trigger: SyncTrigger,
    /// A dry run computes and reports the plan and writes no roster data.
    pub dry_run: bool,
    /// Whether the run applies even past the abandon threshold.
    pub override_safety_threshold: bool,
    /// The idempotency key it was started with.
    pub request_id: Option<String>,
    /// The source the run reads (secrets removed).
    pub source: Option<SyncSource>,
    /// When it was started.
    #[serde(serialize_with = "serialize_time")]
    pub create_time: Option<SystemTime>,
    /// When a worker took it up.
    #[serde(serialize_with = "serialize_time")]
    pub start_time: Option<SystemTime>,
    /// When it reached its final state.
    #[serde(serialize_with = "serialize_time")]
    pub finish_time: Option<SystemTime>,
    /// Records done out of records to do.
    pub progress: Progress,
    /// What the run did, per record kind.
    pub counts: Vec<RecordCounts>,
    /// How many issues the run reported (see `list_sync_issues`).
    pub issue_count: u64,
    /// For `Failed`: what went wrong.
    pub error_message: Option<String>,
    /// For `Blocked`: which threshold was crossed and by how much.
    pub safety_block: Option<SafetyBlock>,
    /// For `AwaitingApproval` or `Blocked`: until when `approve_sync` may apply the plan.
    #[serde(serialize_with = "serialize_time")]
    pub plan_expire_time: Option<SystemTime>,
    /// Whether `approve_sync` approved the run's plan: the run applies that plan.
    pub approved: bool,
    /// For a revert run (trigger `Revert`): the run it reverses (R9.2).
    pub reverted_run_id: Option<String>,
}

impl SyncRun {
    /// The counts of one record kind, if the run has any.
    pub fn counts_for(&self, kind: RecordKind) -> Option<&RecordCounts> {
        self.counts.iter().find(|c| c.record_kind == kind)
    }
}

impl TryFrom<pb::SyncRun> for SyncRun {
    type Error = Error;

    fn try_from(r: pb::SyncRun) -> Result<Self, Error> {
        let progress = r.progress.unwrap_or_default();
        Ok(SyncRun {
            id: r.run_id,
            district_id: r.district_id,
            state: r.state.try_into()?,
            phase: optional(r.phase)?,
            trigger: r.trigger.try_into()?,
            dry_run: r.dry_run,
            override_safety_threshold: r.override_safety_threshold,
            request_id: text(r.request_id),
            source: r.source.map(SyncSource::try_from).transpose()?,
            create_time: time(r.create_time),
            start_time: time(r.start_time),
            finish_time: time(r.finish_time),
            progress: Progress {
                records_done: count(progress.records_done),
                records_total: count(progress.records_total),
            },
            counts: super::all(r.counts)?,
            issue_count: count(r.issue_count),
            error_message: text(r.error_message),
            safety_block: r.safety_block.map(SafetyBlock::try_from).transpose()?,
            plan_expire_time: time(r.plan_expire_time),
            approved: r.approved,
            reverted_run_id: text(r.reverted_run_id),
        })
    }
}

/// How far a run is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Records processed so far.
    pub records_done: u64,
    /// Records to process (0 until known).
    pub records_total: u64,
}

/// What a run did to one kind of record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordCounts {
    /// The kind of record counted.
    pub record_kind: RecordKind,
    /// Records created.
    pub created: u64,
    /// Records updated.
    pub updated: u64,
    /// Records left as they were.
    pub unchanged: u64,
    /// Records abandoned (gone from the source).
    pub abandoned: u64,
    /// Abandoned records restored (back in the source).
    pub restored: u64,
    /// Rows skipped (see the run's issues).
    pub skipped: u64,
    /// Invalid rows (see the run's issues).
    pub invalid: u64,
}

impl TryFrom<pb::RecordCounts> for RecordCounts {
    type Error = Error;

    fn try_from(c: pb::RecordCounts) -> Result<Self, Error> {
        Ok(RecordCounts {
            record_kind: c.record_kind.try_into()?,
            created: count(c.created),
            updated: count(c.updated),
            unchanged: count(c.unchanged),
            abandoned: count(c.abandoned),
            restored: count(c.restored),
            skipped: count(c.skipped),
            invalid: count(c.invalid),
        })
    }
}

/// Why a run was `Blocked`: it would abandon too many records of one kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SafetyBlock {
    /// The kind of record whose abandonments crossed the threshold.
    pub record_kind: RecordKind,
    /// The district's threshold, in percent.
    pub threshold_percent: u32,
    /// How many records of that kind the run would abandon.
    pub abandon_count: u64,
    /// How many sis records of that kind are stored.
    pub stored_count: u64,
    /// `abandon_count` as a share of `stored_count`, in percent.
    pub abandon_percent: f64,
    /// The school whose threshold was crossed (R7.5); `None` for the district's (R7.2).
    pub school_id: Option<String>,
}

impl TryFrom<pb::SafetyBlock> for SafetyBlock {
    type Error = Error;

    fn try_from(b: pb::SafetyBlock) -> Result<Self, Error> {
        Ok(SafetyBlock {
            record_kind: b.record_kind.try_into()?,
            threshold_percent: u32::try_from(b.threshold_percent).unwrap_or(0),
            abandon_count: count(b.abandon_count),
            stored_count: count(b.stored_count),
            abandon_percent: b.abandon_percent,
            school_id: Some(b.school_id).filter(|id| !id.is_empty()),
        })
    }
}

impl fmt::Display for SafetyBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "would abandon {} of {} {} records",
            self.abandon_count, self.stored_count, self.record_kind,
        )?;
        if let Some(school) = &self.school_id {
            write!(f, " of school {school}")?;
        }
        write!(
            f,
            " ({:.1}%), over the {}% threshold",
            self.abandon_percent, self.threshold_percent
        )
    }
}

/// A row-level issue of a run: a skipped guardian, an invalid row, a warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncIssue {
    /// The issue's id.
    pub id: String,
    /// The run that reported it.
    pub run_id: String,
    /// How bad it is.
    pub severity: IssueSeverity,
    /// The kind of record concerned, when there is one.
    pub record_kind: Option<RecordKind>,
    /// Stable machine-readable code, e.g. `NO_CONTACT` or `DUPLICATE_EMAIL`.
    pub code: String,
    /// What happened, for people.
    pub message: String,
    /// Source file (CSV sources), e.g. `users.csv`.
    pub source_file: Option<String>,
    /// 1-based line in `source_file` (the header is line 1).
    pub source_line: Option<u64>,
    /// API resource (REST and Clever sources).
    pub source_resource: Option<String>,
    /// The source id of the record concerned.
    pub source_id: Option<String>,
    /// The field concerned, where one is.
    pub field: Option<String>,
}

impl TryFrom<pb::SyncIssue> for SyncIssue {
    type Error = Error;

    fn try_from(i: pb::SyncIssue) -> Result<Self, Error> {
        Ok(SyncIssue {
            id: i.issue_id,
            run_id: i.run_id,
            severity: i.severity.try_into()?,
            record_kind: optional(i.record_kind)?,
            code: i.code,
            message: i.message,
            source_file: text(i.source_file),
            source_line: u64::try_from(i.source_line).ok().filter(|line| *line > 0),
            source_resource: text(i.source_resource),
            source_id: text(i.source_id),
            field: text(i.field),
        })
    }
}

/// One change of a run's plan (see `list_planned_changes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedChange {
    /// The kind of record; memberships are `StudentEnrollment`, `TeacherEnrollment` or
    /// `FamilyRelationship`, while a school membership is a change of the `Student` or
    /// `Staff` record (field `school`).
    pub record_kind: RecordKind,
    /// What the change does.
    pub action: PlannedChangeAction,
    /// The stored record (for memberships, the person concerned); `None` for a record
    /// the plan creates.
    pub record_id: Option<String>,
    /// The record's source id.
    pub source_id: Option<String>,
    /// The name to show.
    pub display_name: String,
    /// The school concerned, where there is one and it is stored already.
    pub school_id: Option<String>,
    /// The fields that change, with their old and new values.
    pub field_changes: Vec<FieldChange>,
}

impl TryFrom<pb::PlannedChange> for PlannedChange {
    type Error = Error;

    fn try_from(c: pb::PlannedChange) -> Result<Self, Error> {
        Ok(PlannedChange {
            record_kind: c.record_kind.try_into()?,
            action: c.action.try_into()?,
            record_id: text(c.record_id),
            source_id: text(c.source_id),
            display_name: c.display_name,
            school_id: text(c.school_id),
            field_changes: c.field_changes.into_iter().map(FieldChange::from).collect(),
        })
    }
}

/// One field of a planned change, or of a change in a record's history. References (a
/// school, a class, a student) are given by source id where the record has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// The field's name, e.g. `email` or `school`.
    pub field: String,
    /// The value before the change; `None` for a create.
    pub old_value: Option<String>,
    /// The value the change sets; `None` for a removal.
    pub new_value: Option<String>,
}

impl From<pb::FieldChange> for FieldChange {
    fn from(f: pb::FieldChange) -> Self {
        FieldChange {
            field: f.field,
            old_value: text(f.old_value),
            new_value: text(f.new_value),
        }
    }
}

/// A record abandoned by a sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AbandonedRecord {
    /// The entry's id.
    pub id: String,
    /// The district.
    pub district_id: String,
    /// The kind of record abandoned.
    pub record_kind: RecordKind,
    /// The product's id of the record (for relationships and enrollments: the person).
    pub record_id: String,
    /// The source id the record had.
    pub source_id: Option<String>,
    /// The name to show.
    pub display_name: String,
    /// The school concerned, where one is.
    pub school_id: Option<String>,
    /// What the sync did.
    pub action: AbandonAction,
    /// The run that abandoned it.
    pub run_id: String,
    /// When it was abandoned.
    #[serde(serialize_with = "serialize_time")]
    pub abandon_time: Option<SystemTime>,
    /// When a later sync restored it, if one did.
    #[serde(serialize_with = "serialize_time")]
    pub restore_time: Option<SystemTime>,
    /// The run that restored it.
    pub restore_run_id: Option<String>,
}

impl TryFrom<pb::AbandonedRecord> for AbandonedRecord {
    type Error = Error;

    fn try_from(a: pb::AbandonedRecord) -> Result<Self, Error> {
        Ok(AbandonedRecord {
            id: a.id,
            district_id: a.district_id,
            record_kind: a.record_kind.try_into()?,
            record_id: a.record_id,
            source_id: text(a.source_id),
            display_name: a.display_name,
            school_id: text(a.school_id),
            action: a.action.try_into()?,
            run_id: a.run_id,
            abandon_time: time(a.abandon_time),
            restore_time: time(a.restore_time),
            restore_run_id: text(a.restore_run_id),
        })
    }
}

/// A district's sync settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncSettings {
    /// The district.
    pub district_id: String,
    /// Where the roster comes from; `None` until configured.
    pub source: Option<SyncSource>,
    /// Whether the sync manages active users' contact details (default off).
    pub update_active_users: bool,
    /// What happens to abandoned families (default `Soft`).
    pub abandoned_family_policy: AbandonedFamilyPolicy,
    /// Share of the stored records of one kind a run may abandon, 0 to 100 (default 20).
    pub abandon_threshold_percent: u32,
    /// Share of one school's students or staff a run may abandon, 0 to 100 (default 30,
    /// R7.5).
    pub school_abandon_threshold_percent: u32,
    /// ISO 3166 region for phone numbers without a country code (default `US`).
    pub default_phone_region: String,
    /// When runs start by themselves.
    pub schedule: Schedule,
    /// Whether every run (scheduled ones too) stops after planning, `AwaitingApproval`,
    /// until its plan is approved or rejected (default off).
    pub require_approval: bool,
    /// How long a plan (awaiting approval, or blocked) can be approved: 1 minute to 30
    /// days (default 24 hours). Serialized as seconds, e.g. `"86400s"`.
    #[serde(serialize_with = "serialize_duration")]
    pub plan_ttl: Duration,
    /// Whether `revert_sync` paused the schedule (R9.2): no scheduled run starts until
    /// `resume_schedule`, so the next one does not apply again what was undone. Output
    /// only: [`SettingsUpdate`](crate::SettingsUpdate) cannot set it.
    pub schedule_paused: bool,
    /// When the settings last changed.
    #[serde(serialize_with = "serialize_time")]
    pub update_time: Option<SystemTime>,
}

impl TryFrom<pb::SyncSettings> for SyncSettings {
    type Error = Error;

    fn try_from(s: pb::SyncSettings) -> Result<Self, Error> {
        Ok(SyncSettings {
            district_id: s.district_id,
            source: s.source.map(SyncSource::try_from).transpose()?,
            update_active_users: s.update_active_users,
            abandoned_family_policy: s.abandoned_family_policy.try_into()?,
            abandon_threshold_percent: u32::try_from(s.abandon_threshold_percent).unwrap_or(0),
            school_abandon_threshold_percent: u32::try_from(s.school_abandon_threshold_percent)
                .unwrap_or(0),
            default_phone_region: s.default_phone_region,
            schedule: s
                .schedule
                .map(Schedule::try_from)
                .transpose()?
                .unwrap_or_default(),
            require_approval: s.require_approval,
            plan_ttl: required(s.plan_ttl, "plan_ttl")?
                .try_into()
                .map_err(|e| Error::Protocol(format!("settings plan_ttl: {e}")))?,
            schedule_paused: s.schedule_paused,
            update_time: time(s.update_time),
        })
    }
}

/// When runs start by themselves.
///
/// Reads and prints as `off`, `every:MINUTES` or `daily:HH:MM@TIME_ZONE`:
///
/// ```
/// use roster_client::Schedule;
///
/// let daily: Schedule = "daily:06:30@America/New_York".parse()?;
/// assert_eq!(
///     daily,
///     Schedule::Daily { time: "06:30".into(), time_zone: "America/New_York".into() }
/// );
/// assert_eq!("every:60".parse::<Schedule>()?, Schedule::Interval { minutes: 60 });
/// assert_eq!(daily.to_string(), "daily:06:30@America/New_York");
/// # Ok::<(), roster_client::ParseError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Schedule {
    /// No automatic runs (the default).
    #[default]
    Off,
    /// Every `minutes` minutes (5 to 10080).
    Interval {
        /// Minutes between runs.
        minutes: u32,
    },
    /// Daily at a local time of day.
    Daily {
        /// `HH:MM`, 24-hour clock.
        time: String,
        /// IANA time zone, e.g. `America/New_York`.
        time_zone: String,
    },
}

impl Schedule {
    /// The kind of schedule.
    pub fn kind(&self) -> ScheduleKind {
        match self {
            Schedule::Off => ScheduleKind::Off,
            Schedule::Interval { .. } => ScheduleKind::Interval,
            Schedule::Daily { .. } => ScheduleKind::Daily,
        }
    }
}

impl TryFrom<pb::SyncSchedule> for Schedule {
    type Error = Error;

    fn try_from(s: pb::SyncSchedule) -> Result<Self, Error> {
        Ok(match optional::<ScheduleKind>(s.kind)? {
            None | Some(ScheduleKind::Off) => Schedule::Off,
            Some(ScheduleKind::Interval) => Schedule::Interval {
                minutes: u32::try_from(s.interval_minutes).unwrap_or(0),
            },
            Some(ScheduleKind::Daily) => Schedule::Daily {
                time: s.daily_time,
                time_zone: s.time_zone,
            },
        })
    }
}

impl From<Schedule> for pb::SyncSchedule {
    fn from(s: Schedule) -> Self {
        let kind = i32::from(s.kind());
        match s {
            Schedule::Off => pb::SyncSchedule {
                kind,
                ..Default::default()
            },
            Schedule::Interval { minutes } => pb::SyncSchedule {
                kind,
                interval_minutes: i32::try_from(minutes).unwrap_or(i32::MAX),
                ..Default::default()
            },
            Schedule::Daily { time, time_zone } => pb::SyncSchedule {
                kind,
                daily_time: time,
                time_zone,
                ..Default::default()
            },
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Off => f.write_str("off"),
            Schedule::Interval { minutes } => write!(f, "every:{minutes}"),
            Schedule::Daily { time, time_zone } => write!(f, "daily:{time}@{time_zone}"),
        }
    }
}

impl std::str::FromStr for Schedule {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Self, ParseError> {
        let text = text.trim();
        let bad = || {
            ParseError(format!(
                "`{text}` is not a schedule; expected off, every:MINUTES or daily:HH:MM@TIME_ZONE"
            ))
        };
        if text.eq_ignore_ascii_case("off") {
            return Ok(Schedule::Off);
        }
        if let Some(minutes) = text.strip_prefix("every:") {
            let minutes: u32 = minutes.trim_end_matches('m').parse().map_err(|_| bad())?;
            return Ok(Schedule::Interval { minutes });
        }
        let daily = text.strip_prefix("daily:").ok_or_else(bad)?;
        let (time, time_zone) = daily.split_once('@').ok_or_else(bad)?;
        if time.is_empty() || time_zone.is_empty() {
            return Err(bad());
        }
        Ok(Schedule::Daily {
            time: time.to_owned(),
            time_zone: time_zone.to_owned(),
        })
    }
}

/// Where a district's roster comes from, as the server reports it: secrets are never
/// returned, only whether one is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SyncSource {
    /// A OneRoster 1.1 CSV zip received by `upload_roster_archive`.
    OneRosterCsvUpload {
        /// The upload's id.
        upload_id: String,
    },
    /// A OneRoster 1.1 CSV folder or zip under the server's import directory.
    OneRosterCsvPath {
        /// The path, relative to the import directory.
        path: String,
    },
    /// A OneRoster 1.1 REST provider.
    OneRosterRest {
        /// Base URL ending in `/ims/oneroster/v1p1`.
        base_url: String,
        /// How the client authenticates.
        auth: RestAuth,
    },
    /// The Clever API v3.0.
    Clever {
        /// The API's base URL.
        base_url: String,
        /// Whether a district token is stored.
        district_token_set: bool,
    },
}

/// How a OneRoster REST source authenticates (secrets removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
pub enum RestAuth {
    /// OAuth 1.0a two-legged, HMAC-SHA256 signatures.
    #[serde(rename = "OAUTH1")]
    OAuth1 {
        /// The consumer key.
        consumer_key: String,
        /// Whether a consumer secret is stored.
        consumer_secret_set: bool,
    },
    /// OAuth 2 client credentials grant.
    #[serde(rename = "OAUTH2")]
    OAuth2 {
        /// The token endpoint.
        token_url: String,
        /// The client id.
        client_id: String,
        /// The scope asked for.
        scope: Option<String>,
        /// Whether a client secret is stored.
        client_secret_set: bool,
    },
}

impl TryFrom<pb::SyncSource> for SyncSource {
    type Error = Error;

    fn try_from(s: pb::SyncSource) -> Result<Self, Error> {
        use pb::sync_source::Kind;
        Ok(match required(s.kind, "source kind")? {
            Kind::OnerosterCsvUpload(u) => SyncSource::OneRosterCsvUpload {
                upload_id: u.upload_id,
            },
            Kind::OnerosterCsvPath(p) => SyncSource::OneRosterCsvPath { path: p.path },
            Kind::OnerosterRest(r) => SyncSource::OneRosterRest {
                base_url: r.base_url,
                auth: match required(r.auth, "REST source auth")? {
                    pb::one_roster_rest::Auth::Oauth1(a) => RestAuth::OAuth1 {
                        consumer_key: a.consumer_key,
                        consumer_secret_set: a.consumer_secret_set,
                    },
                    pb::one_roster_rest::Auth::Oauth2(a) => RestAuth::OAuth2 {
                        token_url: a.token_url,
                        client_id: a.client_id,
                        scope: text(a.scope),
                        client_secret_set: a.client_secret_set,
                    },
                },
            },
            Kind::Clever(c) => SyncSource::Clever {
                base_url: c.base_url,
                district_token_set: c.district_token_set,
            },
        })
    }
}

impl fmt::Display for SyncSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyncSource::OneRosterCsvUpload { upload_id } => {
                write!(f, "OneRoster CSV upload {upload_id}")
            }
            SyncSource::OneRosterCsvPath { path } => write!(f, "OneRoster CSV at {path}"),
            SyncSource::OneRosterRest { base_url, .. } => write!(f, "OneRoster REST {base_url}"),
            SyncSource::Clever {
                base_url,
                district_token_set,
            } => {
                let token = if *district_token_set {
                    "token set"
                } else {
                    "no token"
                };
                write!(f, "Clever {base_url} ({token})")
            }
        }
    }
}

/// A received roster archive, usable as a sync source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upload {
    /// Pass as [`SyncSourceInput::OneRosterCsvUpload`](crate::SyncSourceInput).
    pub upload_id: String,
    /// The archive's size.
    pub size_bytes: u64,
}

impl From<pb::UploadRosterArchiveResponse> for Upload {
    fn from(r: pb::UploadRosterArchiveResponse) -> Self {
        Upload {
            upload_id: r.upload_id,
            size_bytes: count(r.size_bytes),
        }
    }
}
