//! A district's sync settings: the source, the policies of R4.6, R6 and R7.2, the phone
//! region of R3.1, and the schedule. Secrets are kept apart from the rest of the source
//! so that nothing that serializes the source can leak one.

use crate::directory::{now, require_district};
use crate::domain::{Error, FamilyPolicy, Result, ScheduleKind, is_phone_region};
use crate::store::models::SettingsRow;
use crate::store::queries::settings as q;
use crate::store::{DbConn, Store};
use chrono::{NaiveDateTime, NaiveTime, TimeDelta, TimeZone};
use serde::{Deserialize, Serialize};

pub const DEFAULT_THRESHOLD_PERCENT: i32 = 20;
pub const DEFAULT_PHONE_REGION: &str = "US";
pub const DEFAULT_CLEVER_BASE_URL: &str = "https://api.clever.com";

/// Where a district's roster comes from, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    OneRosterCsvUpload { upload_id: i64 },
    OneRosterCsvPath { path: String },
    OneRosterRest { base_url: String, auth: RestAuth },
    Clever { base_url: String },
}

/// How a OneRoster REST provider is authenticated; the secret is stored apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RestAuth {
    OAuth1 {
        consumer_key: String,
    },
    OAuth2 {
        token_url: String,
        client_id: String,
        scope: String,
    },
}

impl Source {
    /// Whether this kind of source authenticates with a secret.
    pub fn needs_secret(&self) -> bool {
        matches!(self, Source::OneRosterRest { .. } | Source::Clever { .. })
    }

    /// Whether `other` keeps the same credentials (so a stored secret still applies).
    fn same_credentials(&self, other: &Source) -> bool {
        match (self, other) {
            // A stored secret only ever goes back to the host it was given for.
            (Source::Clever { base_url: a }, Source::Clever { base_url: b }) => a == b,
            (
                Source::OneRosterRest {
                    base_url: a_url,
                    auth: a,
                },
                Source::OneRosterRest {
                    base_url: b_url,
                    auth: b,
                },
            ) => a_url == b_url && a == b,
            _ => false,
        }
    }

    /// Checks the source's fields; errors name them under `source`.
    pub fn validate(&self) -> Result<()> {
        match self {
            Source::OneRosterCsvUpload { upload_id } if *upload_id <= 0 => Err(Error::invalid(
                "source.oneroster_csv_upload.upload_id",
                "is required",
            )),
            Source::OneRosterCsvUpload { .. } => Ok(()),
            Source::OneRosterCsvPath { path } => validate_relative_path(path),
            Source::OneRosterRest { base_url, auth } => {
                validate_url("source.oneroster_rest.base_url", base_url)?;
                match auth {
                    RestAuth::OAuth1 { consumer_key } if consumer_key.trim().is_empty() => Err(
                        Error::invalid("source.oneroster_rest.oauth1.consumer_key", "is required"),
                    ),
                    RestAuth::OAuth1 { .. } => Ok(()),
                    RestAuth::OAuth2 {
                        token_url,
                        client_id,
                        ..
                    } => {
                        validate_url("source.oneroster_rest.oauth2.token_url", token_url)?;
                        if client_id.trim().is_empty() {
                            return Err(Error::invalid(
                                "source.oneroster_rest.oauth2.client_id",
                                "is required",
                            ));
                        }
                        Ok(())
                    }
                }
            }
            Source::Clever { base_url } => validate_url("source.clever.base_url", base_url),
        }
    }
}

fn validate_url(field: &str, url: &str) -> Result<()> {
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > "https://".len()
        && !url.chars().any(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("`{url}` is not an http(s) URL"),
        ))
    }
}

/// A CSV path must stay under the import directory: relative, without `..`.
fn validate_relative_path(path: &str) -> Result<()> {
    let field = "source.oneroster_csv_path.path";
    let p = std::path::Path::new(path);
    if path.trim().is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    if p.is_absolute()
        || p.components().any(|c| {
            !matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
    {
        return Err(Error::invalid(
            field,
            format!("`{path}` must be relative to the import directory, without `..`"),
        ));
    }
    Ok(())
}

/// When runs start by themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub kind: ScheduleKind,
    pub interval_minutes: i32,
    pub daily_time: String,
    pub time_zone: String,
}

impl Schedule {
    pub fn off() -> Self {
        Schedule {
            kind: ScheduleKind::Off,
            interval_minutes: 0,
            daily_time: String::new(),
            time_zone: String::new(),
        }
    }

    /// The first time after `now` (UTC) a scheduled run is due; None when off. A daily
    /// time that does not exist locally (a DST gap) moves to the next day.
    pub fn next_after(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        match self.kind {
            ScheduleKind::Off => None,
            ScheduleKind::Interval => {
                Some(now + TimeDelta::minutes(i64::from(self.interval_minutes.max(1))))
            }
            ScheduleKind::Daily => {
                let time = NaiveTime::parse_from_str(&self.daily_time, "%H:%M").ok()?;
                let tz: chrono_tz::Tz = self.time_zone.parse().ok()?;
                let local_today = now.and_utc().with_timezone(&tz).date_naive();
                (0..=2).find_map(|days| {
                    let date = local_today + TimeDelta::days(days);
                    let at = tz.from_local_datetime(&date.and_time(time)).earliest()?;
                    let utc = at.naive_utc();
                    (utc > now).then_some(utc)
                })
            }
        }
    }

    pub fn validate(&self) -> Result<()> {
        match self.kind {
            ScheduleKind::Off => Ok(()),
            ScheduleKind::Interval if !(5..=10_080).contains(&self.interval_minutes) => Err(
                Error::invalid("schedule.interval_minutes", "must be between 5 and 10080"),
            ),
            ScheduleKind::Interval => Ok(()),
            ScheduleKind::Daily => {
                if chrono::NaiveTime::parse_from_str(&self.daily_time, "%H:%M").is_err() {
                    return Err(Error::invalid(
                        "schedule.daily_time",
                        format!("`{}` is not a time like 06:30", self.daily_time),
                    ));
                }
                if self.time_zone.parse::<chrono_tz::Tz>().is_err() {
                    return Err(Error::invalid(
                        "schedule.time_zone",
                        format!("`{}` is not an IANA time zone", self.time_zone),
                    ));
                }
                Ok(())
            }
        }
    }
}

/// A district's sync settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSettings {
    pub district_id: i64,
    pub source: Option<Source>,
    /// The source's secret. Never leaves the server: the API shows only whether it is set.
    pub secret: Option<String>,
    pub update_active_users: bool,
    pub abandoned_family_policy: FamilyPolicy,
    pub abandon_threshold_percent: i32,
    pub default_phone_region: String,
    pub schedule: Schedule,
    pub updated_at: NaiveDateTime,
}

impl SyncSettings {
    pub fn defaults(district_id: i64) -> Self {
        SyncSettings {
            district_id,
            source: None,
            secret: None,
            update_active_users: false,
            abandoned_family_policy: FamilyPolicy::Soft,
            abandon_threshold_percent: DEFAULT_THRESHOLD_PERCENT,
            default_phone_region: DEFAULT_PHONE_REGION.into(),
            schedule: Schedule::off(),
            updated_at: now(),
        }
    }

    pub(crate) fn from_row(row: SettingsRow) -> Result<Self> {
        let source = if row.source.is_empty() {
            None
        } else {
            Some(serde_json::from_str(&row.source).map_err(|e| {
                Error::Internal(format!(
                    "stored source of district {} is unreadable: {e}",
                    row.district_id
                ))
            })?)
        };
        Ok(SyncSettings {
            district_id: row.district_id,
            source,
            secret: row.source_secret,
            update_active_users: row.update_active_users,
            abandoned_family_policy: FamilyPolicy::parse(&row.abandoned_family_policy)?,
            abandon_threshold_percent: row.abandon_threshold_percent,
            default_phone_region: row.default_phone_region,
            schedule: Schedule {
                kind: ScheduleKind::parse(&row.schedule_kind)?,
                interval_minutes: row.schedule_interval_minutes,
                daily_time: row.schedule_daily_time,
                time_zone: row.schedule_time_zone,
            },
            updated_at: row.updated_at,
        })
    }

    fn to_row(&self) -> Result<SettingsRow> {
        let source = match &self.source {
            Some(s) => serde_json::to_string(s).map_err(|e| Error::Internal(e.to_string()))?,
            None => String::new(),
        };
        Ok(SettingsRow {
            district_id: self.district_id,
            source,
            source_secret: self.secret.clone(),
            update_active_users: self.update_active_users,
            abandoned_family_policy: self.abandoned_family_policy.as_str().into(),
            abandon_threshold_percent: self.abandon_threshold_percent,
            default_phone_region: self.default_phone_region.clone(),
            schedule_kind: self.schedule.kind.as_str().into(),
            schedule_interval_minutes: self.schedule.interval_minutes,
            schedule_daily_time: self.schedule.daily_time.clone(),
            schedule_time_zone: self.schedule.time_zone.clone(),
            next_scheduled_at: self.schedule.next_after(self.updated_at),
            updated_at: self.updated_at,
        })
    }
}

/// A district's settings, or the defaults when none were ever saved.
pub async fn load(conn: &mut DbConn, district_id: i64) -> Result<SyncSettings> {
    match q::get(conn, district_id).await? {
        Some(row) => SyncSettings::from_row(row),
        None => Ok(SyncSettings::defaults(district_id)),
    }
}

pub async fn get(store: &Store, district_id: i64) -> Result<SyncSettings> {
    let mut conn = store.conn().await?;
    require_district(&mut conn, district_id).await?;
    load(&mut conn, district_id).await
}

/// The fields an update may change, each with its new value.
#[derive(Debug, Clone, Default)]
pub struct SettingsUpdate {
    /// `Some(None)` clears the source.
    pub source: Option<Option<(Source, Option<String>)>>,
    pub update_active_users: Option<bool>,
    pub abandoned_family_policy: Option<FamilyPolicy>,
    pub abandon_threshold_percent: Option<i32>,
    pub default_phone_region: Option<String>,
    pub schedule: Option<Schedule>,
}

/// Applies an update. A new source of the same kind and credentials without a secret
/// keeps the stored secret, so a caller can change a URL without re-sending a token.
pub async fn update(
    store: &Store,
    district_id: i64,
    update: SettingsUpdate,
) -> Result<SyncSettings> {
    let mut conn = store.conn().await?;
    require_district(&mut conn, district_id).await?;
    let existed = q::get(&mut conn, district_id).await?.is_some();
    let mut settings = load(&mut conn, district_id).await?;
    if let Some(source) = update.source {
        match source {
            None => {
                settings.source = None;
                settings.secret = None;
            }
            Some((source, secret)) => {
                source.validate().map_err(|e| e.within("settings"))?;
                if let Source::OneRosterCsvUpload { upload_id } = source {
                    super::uploads::require(store, district_id, upload_id).await?;
                }
                let secret = match secret {
                    Some(s) if !s.is_empty() => Some(s),
                    _ => match &settings.source {
                        Some(old) if old.same_credentials(&source) => settings.secret.take(),
                        _ => None,
                    },
                };
                if source.needs_secret() && secret.is_none() {
                    return Err(Error::invalid(
                        secret_field(&source),
                        "is required for a new source",
                    ));
                }
                settings.source = Some(source);
                settings.secret = secret;
            }
        }
    }
    if let Some(v) = update.update_active_users {
        settings.update_active_users = v;
    }
    if let Some(v) = update.abandoned_family_policy {
        settings.abandoned_family_policy = v;
    }
    if let Some(v) = update.abandon_threshold_percent {
        if !(0..=100).contains(&v) {
            return Err(Error::invalid(
                "settings.abandon_threshold_percent",
                "must be between 0 and 100",
            ));
        }
        settings.abandon_threshold_percent = v;
    }
    if let Some(region) = update.default_phone_region {
        let region = region.trim().to_uppercase();
        if !is_phone_region(&region) {
            return Err(Error::invalid(
                "settings.default_phone_region",
                format!("`{region}` is not an ISO 3166 region code like US"),
            ));
        }
        settings.default_phone_region = region;
    }
    if let Some(schedule) = update.schedule {
        schedule.validate().map_err(|e| e.within("settings"))?;
        settings.schedule = schedule;
    }
    settings.updated_at = now();
    let row = settings.to_row()?;
    if existed {
        q::update(&mut conn, &row).await?;
    } else {
        q::insert(&mut conn, &row).await?;
    }
    Ok(settings)
}

fn secret_field(source: &Source) -> &'static str {
    match source {
        Source::Clever { .. } => "settings.source.clever.district_token",
        Source::OneRosterRest {
            auth: RestAuth::OAuth1 { .. },
            ..
        } => "settings.source.oneroster_rest.oauth1.consumer_secret",
        _ => "settings.source.oneroster_rest.oauth2.client_secret",
    }
}
