//! Access and erasure records: API keys, audit events, suppressions, erased districts,
//! and what creating a key or listing the audit log takes.

use super::enums::wire_enum;
use super::{RecordKind, count, serialize_time, text, time};
use crate::{Error, PageRequest, pb};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::SystemTime;

wire_enum! {
    /// What an API key may do (docs/security.md, S1.1).
    ///
    /// The default is the least the server grants: `Reader`.
    #[derive(Default)]
    ApiKeyRole => ApiKeyRole {
        /// Everything, in every district: create districts, manage keys, read the audit log.
        Admin = "ADMIN",
        /// In its districts: read everything, change settings, run syncs, edit manual
        /// records, erase people.
        Operator = "OPERATOR",
        /// In its districts: read everything, change nothing.
        #[default]
        Reader = "READER",
    }
}

/// An API key as the server lists it: never with its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    /// Server-assigned id, to revoke the key or filter the audit log by.
    pub id: String,
    /// The name it was given.
    pub display_name: String,
    /// What it may do.
    pub role: ApiKeyRole,
    /// The districts an operator or reader key covers; empty for an admin key or one for
    /// all districts.
    pub district_ids: Vec<String>,
    /// An operator or reader key for every district (the product's own backend).
    pub all_districts: bool,
    /// Calls per second the key may make; `None` is the server's default.
    pub rate_limit_per_second: Option<u32>,
    /// When it was created.
    #[serde(serialize_with = "serialize_time")]
    pub create_time: Option<SystemTime>,
    /// When it was last used (kept to the minute); `None` if never.
    #[serde(serialize_with = "serialize_time")]
    pub last_use_time: Option<SystemTime>,
    /// When it was revoked; `None` while it is valid.
    #[serde(serialize_with = "serialize_time")]
    pub revoke_time: Option<SystemTime>,
}

impl ApiKey {
    /// Whether the key has been revoked (calls made with it fail `Unauthenticated`).
    pub fn is_revoked(&self) -> bool {
        self.revoke_time.is_some()
    }
}

impl TryFrom<pb::ApiKey> for ApiKey {
    type Error = Error;

    fn try_from(k: pb::ApiKey) -> Result<Self, Error> {
        Ok(ApiKey {
            id: k.key_id,
            display_name: k.display_name,
            role: k.role.try_into()?,
            district_ids: k.district_ids,
            all_districts: k.all_districts,
            rate_limit_per_second: u32::try_from(k.rate_limit_per_second)
                .ok()
                .filter(|rate| *rate > 0),
            create_time: time(k.create_time),
            last_use_time: time(k.last_use_time),
            revoke_time: time(k.revoke_time),
        })
    }
}

/// An API key to create. An operator or reader key names its districts or is for all
/// districts (one of the two); an admin key does neither.
///
/// ```
/// use roster_client::{ApiKeyRole, NewApiKey};
///
/// let backend = NewApiKey {
///     all_districts: true,
///     ..NewApiKey::new("backend", ApiKeyRole::Operator)
/// };
/// let import = NewApiKey {
///     district_ids: vec!["42".into()],
///     rate_limit_per_second: Some(20),
///     ..NewApiKey::new("springfield-import", ApiKeyRole::Operator)
/// };
/// # let _ = (backend, import);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewApiKey {
    /// Its name, shown when keys are listed (required).
    pub display_name: String,
    /// What it may do (default `Reader`).
    pub role: ApiKeyRole,
    /// The districts an operator or reader key covers.
    pub district_ids: Vec<String>,
    /// An operator or reader key for every district instead of a list.
    pub all_districts: bool,
    /// Calls per second; `None` is the server's default.
    pub rate_limit_per_second: Option<u32>,
}

impl NewApiKey {
    /// A key named `display_name` with `role`, no districts yet and the default rate.
    pub fn new(display_name: impl Into<String>, role: ApiKeyRole) -> Self {
        NewApiKey {
            display_name: display_name.into(),
            role,
            ..Default::default()
        }
    }
}

impl From<NewApiKey> for pb::CreateApiKeyRequest {
    fn from(k: NewApiKey) -> Self {
        pb::CreateApiKeyRequest {
            display_name: k.display_name,
            role: k.role.into(),
            district_ids: k.district_ids,
            all_districts: k.all_districts,
            rate_limit_per_second: k
                .rate_limit_per_second
                .map_or(0, |rate| i32::try_from(rate).unwrap_or(i32::MAX)),
        }
    }
}

/// One call that changed something, from the audit log. It names the changed fields,
/// never their values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// The event's id.
    pub id: String,
    /// When the call was made.
    #[serde(serialize_with = "serialize_time")]
    pub time: Option<SystemTime>,
    /// The key that made the call; `None` for calls made before any key existed.
    pub key_id: Option<String>,
    /// The end user the caller acted for (`x-roster-actor`), when it named one.
    pub actor: Option<String>,
    /// The full RPC name, e.g. `/roster.v1.SyncService/UpdateSyncSettings`.
    pub method: String,
    /// The district concerned, when there is one (not for key management).
    pub district_id: Option<String>,
    /// The record the call changed, when it names one.
    pub target_id: Option<String>,
    /// The names of the fields the call changed.
    pub changed_fields: Vec<String>,
}

impl From<pb::AuditEvent> for AuditEvent {
    fn from(e: pb::AuditEvent) -> Self {
        AuditEvent {
            id: e.event_id,
            time: time(e.time),
            key_id: text(e.key_id),
            actor: text(e.actor),
            method: e.method,
            district_id: text(e.district_id),
            target_id: text(e.target_id),
            changed_fields: e.changed_fields,
        }
    }
}

/// Which audit events to list; `None` fields do not filter.
///
/// ```
/// use roster_client::AuditFilter;
/// use std::time::{Duration, SystemTime};
///
/// let last_day = AuditFilter {
///     district_id: Some("42".into()),
///     start_time: Some(SystemTime::now() - Duration::from_secs(24 * 3600)),
///     ..Default::default()
/// };
/// # let _ = last_day;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only events of this district.
    pub district_id: Option<String>,
    /// Only events of calls made with this key.
    pub key_id: Option<String>,
    /// Only events at or after this time.
    pub start_time: Option<SystemTime>,
    /// Only events before this time.
    pub end_time: Option<SystemTime>,
}

impl AuditFilter {
    /// The request for one page of the events that pass the filter.
    pub(crate) fn request(&self, page: &PageRequest) -> pb::ListAuditEventsRequest {
        pb::ListAuditEventsRequest {
            page_size: page.size(),
            page_token: page.token(),
            district_id: self.district_id.clone().unwrap_or_default(),
            key_id: self.key_id.clone().unwrap_or_default(),
            start_time: self.start_time.map(prost_types::Timestamp::from),
            end_time: self.end_time.map(prost_types::Timestamp::from),
        }
    }
}

/// A source id later syncs of a district skip, left by erasing a person (S6.1). It
/// holds nothing else about the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// The suppression's id, to lift it by.
    pub id: String,
    /// The district whose syncs skip the source id.
    pub district_id: String,
    /// The kind of record erased: student, guardian or staff.
    pub record_kind: RecordKind,
    /// The source id syncs skip.
    pub source_id: String,
    /// When the person was erased.
    #[serde(serialize_with = "serialize_time")]
    pub create_time: Option<SystemTime>,
}

impl TryFrom<pb::Suppression> for Suppression {
    type Error = Error;

    fn try_from(s: pb::Suppression) -> Result<Self, Error> {
        Ok(Suppression {
            id: s.suppression_id,
            district_id: s.district_id,
            record_kind: s.record_kind.try_into()?,
            source_id: s.source_id,
            create_time: time(s.create_time),
        })
    }
}

/// What erasing a district removed (S6.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErasedDistrict {
    /// The district that was erased.
    pub district_id: String,
    /// Rows removed, by table, e.g. `"students": 100000`.
    pub removed: BTreeMap<String, u64>,
}

impl ErasedDistrict {
    pub(crate) fn new(district_id: &str, response: pb::EraseDistrictResponse) -> Self {
        ErasedDistrict {
            district_id: district_id.to_owned(),
            removed: response
                .removed
                .into_iter()
                .map(|(table, rows)| (table, count(rows)))
                .collect(),
        }
    }

    /// Rows removed from one table (0 if none).
    ///
    /// ```
    /// # let erased = roster_client::ErasedDistrict {
    /// #     district_id: "42".into(),
    /// #     removed: [("students".to_owned(), 5)].into(),
    /// # };
    /// assert_eq!(erased.removed_from("students"), 5);
    /// assert_eq!(erased.removed_from("uploads"), 0);
    /// assert_eq!(erased.total(), 5);
    /// ```
    pub fn removed_from(&self, table: &str) -> u64 {
        self.removed.get(table).copied().unwrap_or(0)
    }

    /// Rows removed in all.
    pub fn total(&self) -> u64 {
        self.removed.values().sum()
    }
}
