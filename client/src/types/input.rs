//! What the typed methods take: new records, partial updates, run requests and filters.
//!
//! Every input has `Default`, so only the fields that matter need writing:
//!
//! ```
//! use roster_client::{NewStudent, SettingsUpdate, Schedule};
//!
//! let student = NewStudent {
//!     district_id: "1".into(),
//!     school_id: "2".into(),
//!     given_name: "Lisa".into(),
//!     family_name: "Simpson".into(),
//!     ..Default::default()
//! };
//! let update = SettingsUpdate {
//!     abandon_threshold_percent: Some(10),
//!     schedule: Some(Schedule::Interval { minutes: 60 }),
//!     ..Default::default()
//! };
//! # let _ = (student, update);
//! ```

use super::{
    AbandonedFamilyPolicy, IssueSeverity, PlannedChangeAction, RecordKind, Schedule, StaffRole,
    wire,
};
use crate::pb;
use prost_types::FieldMask;
use std::fmt;
use std::time::Duration;

/// A write-only credential. Its `Debug` output never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The credential itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

fn secret(value: Option<Secret>) -> String {
    value.map(|s| s.0).unwrap_or_default()
}

/// A roster source to configure or to sync from once, with its secret if it has one.
///
/// A `None` secret keeps the one stored in the district's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncSourceInput {
    /// A OneRoster 1.1 CSV zip received by `upload_roster_archive`.
    OneRosterCsvUpload {
        /// The upload's id.
        upload_id: String,
    },
    /// A OneRoster 1.1 CSV folder or zip, relative to the server's import directory.
    OneRosterCsvPath {
        /// The path.
        path: String,
    },
    /// A OneRoster 1.1 REST provider with OAuth 1.0a.
    OneRosterRestOAuth1 {
        /// Base URL ending in `/ims/oneroster/v1p1`.
        base_url: String,
        /// The consumer key.
        consumer_key: String,
        /// The consumer secret.
        consumer_secret: Option<Secret>,
    },
    /// A OneRoster 1.1 REST provider with OAuth 2 client credentials.
    OneRosterRestOAuth2 {
        /// Base URL ending in `/ims/oneroster/v1p1`.
        base_url: String,
        /// The token endpoint.
        token_url: String,
        /// The client id.
        client_id: String,
        /// The client secret.
        client_secret: Option<Secret>,
        /// The scope to ask for.
        scope: Option<String>,
    },
    /// The Clever API v3.0.
    Clever {
        /// The API's base URL; `None` is `https://api.clever.com`.
        base_url: Option<String>,
        /// The district token.
        district_token: Option<Secret>,
    },
}

impl SyncSourceInput {
    /// A OneRoster CSV folder or zip under the server's import directory.
    pub fn csv_path(path: impl Into<String>) -> Self {
        SyncSourceInput::OneRosterCsvPath { path: path.into() }
    }

    /// A OneRoster CSV zip received by `upload_roster_archive`.
    pub fn upload(upload_id: impl Into<String>) -> Self {
        SyncSourceInput::OneRosterCsvUpload {
            upload_id: upload_id.into(),
        }
    }

    /// The Clever API at its default address, with a district token.
    pub fn clever(district_token: impl Into<Secret>) -> Self {
        SyncSourceInput::Clever {
            base_url: None,
            district_token: Some(district_token.into()),
        }
    }
}

impl From<SyncSourceInput> for pb::SyncSource {
    fn from(source: SyncSourceInput) -> Self {
        use pb::one_roster_rest::Auth;
        use pb::sync_source::Kind;
        let kind = match source {
            SyncSourceInput::OneRosterCsvUpload { upload_id } => {
                Kind::OnerosterCsvUpload(pb::OneRosterCsvUpload { upload_id })
            }
            SyncSourceInput::OneRosterCsvPath { path } => {
                Kind::OnerosterCsvPath(pb::OneRosterCsvPath { path })
            }
            SyncSourceInput::OneRosterRestOAuth1 {
                base_url,
                consumer_key,
                consumer_secret,
            } => Kind::OnerosterRest(pb::OneRosterRest {
                base_url,
                auth: Some(Auth::Oauth1(pb::OAuth1 {
                    consumer_key,
                    consumer_secret: secret(consumer_secret),
                    consumer_secret_set: false,
                })),
            }),
            SyncSourceInput::OneRosterRestOAuth2 {
                base_url,
                token_url,
                client_id,
                client_secret,
                scope,
            } => Kind::OnerosterRest(pb::OneRosterRest {
                base_url,
                auth: Some(Auth::Oauth2(pb::OAuth2ClientCredentials {
                    token_url,
                    client_id,
                    client_secret: secret(client_secret),
                    scope: scope.unwrap_or_default(),
                    client_secret_set: false,
                })),
            }),
            SyncSourceInput::Clever {
                base_url,
                district_token,
            } => Kind::Clever(pb::Clever {
                base_url: base_url.unwrap_or_default(),
                district_token: secret(district_token),
                district_token_set: false,
            }),
        };
        pb::SyncSource { kind: Some(kind) }
    }
}

/// A request to start a sync run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartSync {
    /// The district to sync.
    pub district_id: String,
    /// A source for this run only (OneRoster CSV); `None` uses the configured source.
    pub source: Option<SyncSourceInput>,
    /// Compute and report the plan without writing roster data.
    pub dry_run: bool,
    /// Apply even if the run would abandon more than the district's threshold.
    pub override_safety_threshold: bool,
    /// Idempotency key: starting again with the same id returns the same run.
    pub request_id: Option<String>,
}

impl StartSync {
    /// A run of the district's configured source.
    pub fn new(district_id: impl Into<String>) -> Self {
        StartSync {
            district_id: district_id.into(),
            ..Default::default()
        }
    }
}

impl From<StartSync> for pb::StartSyncRequest {
    fn from(s: StartSync) -> Self {
        pb::StartSyncRequest {
            district_id: s.district_id,
            source: s.source.map(pb::SyncSource::from),
            dry_run: s.dry_run,
            override_safety_threshold: s.override_safety_threshold,
            request_id: s.request_id.unwrap_or_default(),
        }
    }
}

/// Which issues of a run to list; `None` fields do not filter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IssueFilter {
    /// Only issues of this severity.
    pub severity: Option<IssueSeverity>,
    /// Only issues about this kind of record.
    pub record_kind: Option<RecordKind>,
}

/// Which changes of a run's plan to list; `None` fields do not filter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlannedChangeFilter {
    /// Only changes of this kind of record.
    pub record_kind: Option<RecordKind>,
    /// Only changes with this action.
    pub action: Option<PlannedChangeAction>,
}

/// Which abandoned records to list; `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AbandonedFilter {
    /// Only records of this kind.
    pub record_kind: Option<RecordKind>,
    /// Only records abandoned by this run.
    pub run_id: Option<String>,
    /// Only restored (`Some(true)`) or not restored (`Some(false)`) records.
    pub restored: Option<bool>,
}

impl AbandonedFilter {
    pub(crate) fn restored_filter(&self) -> i32 {
        match self.restored {
            None => pb::RestoredFilter::Unspecified as i32,
            Some(true) => pb::RestoredFilter::Restored as i32,
            Some(false) => pb::RestoredFilter::NotRestored as i32,
        }
    }
}

/// A partial update of a district's sync settings: only the `Some` fields change.
///
/// `schedule_paused` has no field here: it is output only, set by
/// [`revert_sync`](crate::RosterClient::revert_sync) and cleared by
/// [`resume_schedule`](crate::RosterClient::resume_schedule) (R9.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsUpdate {
    /// The roster source.
    pub source: Option<SyncSourceInput>,
    /// Whether the sync manages active users' contact details.
    pub update_active_users: Option<bool>,
    /// What happens to abandoned families.
    pub abandoned_family_policy: Option<AbandonedFamilyPolicy>,
    /// Share of the stored records of one kind a run may abandon, 0 to 100.
    pub abandon_threshold_percent: Option<u32>,
    /// Share of one school's students or staff a run may abandon, 0 to 100 (R7.5).
    pub school_abandon_threshold_percent: Option<u32>,
    /// ISO 3166 region for phone numbers without a country code, e.g. `US`.
    pub default_phone_region: Option<String>,
    /// When runs start by themselves.
    pub schedule: Option<Schedule>,
    /// Whether every run stops after planning until its plan is approved or rejected.
    pub require_approval: Option<bool>,
    /// How long a plan can be approved: whole seconds, 1 minute to 30 days (the server
    /// refuses anything else).
    pub plan_ttl: Option<Duration>,
}

impl SettingsUpdate {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        *self == SettingsUpdate::default()
    }

    /// The request, with an update mask naming the `Some` fields (never the output-only
    /// `schedule_paused`, left at its default).
    pub(crate) fn into_request(self, district_id: &str) -> pb::UpdateSyncSettingsRequest {
        let mut paths = Vec::new();
        let mut settings = pb::SyncSettings {
            district_id: district_id.to_owned(),
            ..Default::default()
        };
        if let Some(source) = self.source {
            settings.source = Some(source.into());
            paths.push("source");
        }
        if let Some(on) = self.update_active_users {
            settings.update_active_users = on;
            paths.push("update_active_users");
        }
        if let Some(policy) = self.abandoned_family_policy {
            settings.abandoned_family_policy = policy.into();
            paths.push("abandoned_family_policy");
        }
        if let Some(percent) = self.abandon_threshold_percent {
            settings.abandon_threshold_percent = i32::try_from(percent).unwrap_or(i32::MAX);
            paths.push("abandon_threshold_percent");
        }
        if let Some(percent) = self.school_abandon_threshold_percent {
            settings.school_abandon_threshold_percent = i32::try_from(percent).unwrap_or(i32::MAX);
            paths.push("school_abandon_threshold_percent");
        }
        if let Some(region) = self.default_phone_region {
            settings.default_phone_region = region;
            paths.push("default_phone_region");
        }
        if let Some(schedule) = self.schedule {
            settings.schedule = Some(schedule.into());
            paths.push("schedule");
        }
        if let Some(on) = self.require_approval {
            settings.require_approval = on;
            paths.push("require_approval");
        }
        if let Some(ttl) = self.plan_ttl {
            // Past the wire's range only for absurd values, which the server then refuses
            // as out of range rather than the client failing here.
            settings.plan_ttl = Some(ttl.try_into().unwrap_or(prost_types::Duration {
                seconds: i64::MAX,
                nanos: 0,
            }));
            paths.push("plan_ttl");
        }
        pb::UpdateSyncSettingsRequest {
            settings: Some(settings),
            update_mask: Some(FieldMask {
                paths: paths.into_iter().map(str::to_owned).collect(),
            }),
        }
    }
}

/// New contact details of a guardian or staff member: only the `Some` fields change, and
/// `Some("")` clears a field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactUpdate {
    /// Email address.
    pub email: Option<String>,
    /// SMS-capable number, read with the district's default phone region.
    pub sms_number: Option<String>,
    /// Home phone number.
    pub home_phone: Option<String>,
}

impl ContactUpdate {
    /// The request, with an update mask naming the `Some` fields.
    pub(crate) fn into_request(self, user_id: &str) -> pb::UpdateContactDetailsRequest {
        let mut paths = Vec::new();
        for (path, value) in [
            ("email", &self.email),
            ("sms_number", &self.sms_number),
            ("home_phone", &self.home_phone),
        ] {
            if value.is_some() {
                paths.push(path.to_owned());
            }
        }
        pb::UpdateContactDetailsRequest {
            user_id: user_id.to_owned(),
            contact_details: Some(pb::ContactDetails {
                email: self.email.unwrap_or_default(),
                sms_number: self.sms_number.unwrap_or_default(),
                home_phone: self.home_phone.unwrap_or_default(),
            }),
            update_mask: Some(FieldMask { paths }),
        }
    }
}

/// A manual student (origin `MANUAL`) to create in a school.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewStudent {
    /// The district.
    pub district_id: String,
    /// The school the student joins.
    pub school_id: String,
    /// Given name (required).
    pub given_name: String,
    /// Family name (required).
    pub family_name: String,
    /// Email address.
    pub email: Option<String>,
    /// Grade level, e.g. `04`.
    pub grade: Option<String>,
    /// The human SIS ID.
    pub sis_id: Option<String>,
}

impl From<NewStudent> for pb::CreateStudentRequest {
    fn from(s: NewStudent) -> Self {
        pb::CreateStudentRequest {
            district_id: s.district_id,
            school_id: s.school_id,
            given_name: s.given_name,
            family_name: s.family_name,
            email: s.email.unwrap_or_default(),
            grade: s.grade.unwrap_or_default(),
            sis_id: s.sis_id.unwrap_or_default(),
        }
    }
}

/// A manual guardian (origin `MANUAL`) to create in a district.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewGuardian {
    /// The district.
    pub district_id: String,
    /// Given name (required).
    pub given_name: String,
    /// Family name (required).
    pub family_name: String,
    /// Email address.
    pub email: Option<String>,
    /// SMS-capable number, read with the district's default phone region.
    pub sms_number: Option<String>,
    /// Home phone number.
    pub home_phone: Option<String>,
    /// Preferred language (a BCP 47 tag such as `en`).
    pub language: Option<String>,
    /// The human SIS ID.
    pub sis_id: Option<String>,
}

impl From<NewGuardian> for pb::CreateGuardianRequest {
    fn from(g: NewGuardian) -> Self {
        pb::CreateGuardianRequest {
            district_id: g.district_id,
            given_name: g.given_name,
            family_name: g.family_name,
            email: g.email.unwrap_or_default(),
            sms_number: g.sms_number.unwrap_or_default(),
            home_phone: g.home_phone.unwrap_or_default(),
            language: g.language.unwrap_or_default(),
            sis_id: g.sis_id.unwrap_or_default(),
        }
    }
}

/// A manual staff member (origin `MANUAL`) to create in a school.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewStaffMember {
    /// The district.
    pub district_id: String,
    /// The school the staff member joins.
    pub school_id: String,
    /// Given name (required).
    pub given_name: String,
    /// Family name (required).
    pub family_name: String,
    /// Email address.
    pub email: Option<String>,
    /// SMS-capable number, read with the district's default phone region.
    pub sms_number: Option<String>,
    /// Home phone number.
    pub home_phone: Option<String>,
    /// Preferred language (a BCP 47 tag such as `en`).
    pub language: Option<String>,
    /// The role; `None` leaves the server's default.
    pub role: Option<StaffRole>,
    /// The human SIS ID.
    pub sis_id: Option<String>,
}

impl From<NewStaffMember> for pb::CreateStaffMemberRequest {
    fn from(s: NewStaffMember) -> Self {
        pb::CreateStaffMemberRequest {
            district_id: s.district_id,
            school_id: s.school_id,
            given_name: s.given_name,
            family_name: s.family_name,
            email: s.email.unwrap_or_default(),
            sms_number: s.sms_number.unwrap_or_default(),
            home_phone: s.home_phone.unwrap_or_default(),
            language: s.language.unwrap_or_default(),
            role: wire(s.role),
            sis_id: s.sis_id.unwrap_or_default(),
        }
    }
}

/// A manual class (origin `MANUAL`) to create in a school.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewClass {
    /// The district.
    pub district_id: String,
    /// The school of the class.
    pub school_id: String,
    /// Its name (required).
    pub name: String,
    /// Grade levels of the class.
    pub grades: Vec<String>,
    /// The human SIS ID.
    pub sis_id: Option<String>,
}

impl From<NewClass> for pb::CreateClassRequest {
    fn from(c: NewClass) -> Self {
        pb::CreateClassRequest {
            district_id: c.district_id,
            school_id: c.school_id,
            name: c.name,
            grades: c.grades,
            sis_id: c.sis_id.unwrap_or_default(),
        }
    }
}

/// The paths of the `Some` values, for an update mask.
fn mask_of(fields: &[(&str, bool)]) -> Option<FieldMask> {
    let paths = fields
        .iter()
        .filter(|(_, set)| *set)
        .map(|(path, _)| (*path).to_owned())
        .collect();
    Some(FieldMask { paths })
}

/// Changes to a student: only the `Some` fields change; `Some("")` clears the grade.
///
/// A sis student's names and grade are the sync's: `update_student` fails with
/// [`Error::FailedPrecondition`](crate::Error::FailedPrecondition), reason
/// `MANAGED_BY_SYNC`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StudentUpdate {
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Grade level, e.g. `04`.
    pub grade: Option<String>,
}

impl StudentUpdate {
    pub(crate) fn into_request(self, student_id: &str) -> pb::UpdateStudentRequest {
        let update_mask = mask_of(&[
            ("given_name", self.given_name.is_some()),
            ("family_name", self.family_name.is_some()),
            ("grade", self.grade.is_some()),
        ]);
        pb::UpdateStudentRequest {
            student_id: student_id.to_owned(),
            given_name: self.given_name.unwrap_or_default(),
            family_name: self.family_name.unwrap_or_default(),
            grade: self.grade.unwrap_or_default(),
            update_mask,
        }
    }
}

/// Changes to a guardian or staff member: only the `Some` fields change; `Some("")`
/// clears the language.
///
/// A sis guardian's or staff member's names are the sync's (`MANAGED_BY_SYNC`); its
/// language is not: the sync sets it only when it creates the account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountUpdate {
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Preferred language, a BCP 47 tag such as `en` or `pt-BR`.
    pub language: Option<String>,
}

impl AccountUpdate {
    fn paths(&self) -> Option<FieldMask> {
        mask_of(&[
            ("given_name", self.given_name.is_some()),
            ("family_name", self.family_name.is_some()),
            ("language", self.language.is_some()),
        ])
    }

    pub(crate) fn into_guardian_request(self, guardian_id: &str) -> pb::UpdateGuardianRequest {
        pb::UpdateGuardianRequest {
            guardian_id: guardian_id.to_owned(),
            update_mask: self.paths(),
            given_name: self.given_name.unwrap_or_default(),
            family_name: self.family_name.unwrap_or_default(),
            language: self.language.unwrap_or_default(),
        }
    }

    pub(crate) fn into_staff_request(self, staff_id: &str) -> pb::UpdateStaffMemberRequest {
        pb::UpdateStaffMemberRequest {
            staff_id: staff_id.to_owned(),
            update_mask: self.paths(),
            given_name: self.given_name.unwrap_or_default(),
            family_name: self.family_name.unwrap_or_default(),
            language: self.language.unwrap_or_default(),
        }
    }
}

/// Changes to a class: only the `Some` fields change; `Some(vec![])` clears the grades.
///
/// A sis class's name and grades are the sync's (`MANAGED_BY_SYNC`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassUpdate {
    /// Its name.
    pub name: Option<String>,
    /// Grade levels, replacing all of them.
    pub grades: Option<Vec<String>>,
}

impl ClassUpdate {
    pub(crate) fn into_request(self, class_id: &str) -> pb::UpdateClassRequest {
        let update_mask = mask_of(&[
            ("name", self.name.is_some()),
            ("grades", self.grades.is_some()),
        ]);
        pb::UpdateClassRequest {
            class_id: class_id.to_owned(),
            name: self.name.unwrap_or_default(),
            grades: self.grades.unwrap_or_default(),
            update_mask,
        }
    }
}
