//! A district's sync settings as the domain sees them: the source (without its secret's
//! value in anything that prints or serializes), the policies of R4.6, R6 and R7.2, the
//! phone region of R3.1, and the schedule. Plain data with its own validation; loading
//! and saving live in the store, the update rules in `sync::settings`.

use super::{Error, FamilyPolicy, Result, ScheduleKind, StoredSecret};
use chrono::{NaiveDateTime, NaiveTime, TimeDelta, TimeZone};
use serde::{Deserialize, Serialize};

pub const DEFAULT_THRESHOLD_PERCENT: i32 = 20;
/// The share of one school's students or staff a run may abandon by default (R7.5).
pub const DEFAULT_SCHOOL_THRESHOLD_PERCENT: i32 = 30;
pub const DEFAULT_PHONE_REGION: &str = "US";
/// How long a plan can be approved by default (R9.1).
pub const DEFAULT_PLAN_TTL: TimeDelta = TimeDelta::hours(24);
/// The shortest and longest plan lifetimes a district may set.
pub const PLAN_TTL_RANGE: (TimeDelta, TimeDelta) = (TimeDelta::minutes(1), TimeDelta::days(30));
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
    /// The source as it is kept: fields trimmed, URLs without a trailing slash, and
    /// Clever's own API when no base URL is given.
    pub fn normalized(self) -> Source {
        let url = |u: String| u.trim().trim_end_matches('/').to_owned();
        match self {
            Source::OneRosterCsvUpload { upload_id } => Source::OneRosterCsvUpload { upload_id },
            Source::OneRosterCsvPath { path } => Source::OneRosterCsvPath {
                path: path.trim().to_owned(),
            },
            Source::OneRosterRest { base_url, auth } => Source::OneRosterRest {
                base_url: url(base_url),
                auth: match auth {
                    RestAuth::OAuth1 { consumer_key } => RestAuth::OAuth1 {
                        consumer_key: consumer_key.trim().to_owned(),
                    },
                    RestAuth::OAuth2 {
                        token_url,
                        client_id,
                        scope,
                    } => RestAuth::OAuth2 {
                        token_url: token_url.trim().to_owned(),
                        client_id: client_id.trim().to_owned(),
                        scope: scope.trim().to_owned(),
                    },
                },
            },
            Source::Clever { base_url } => Source::Clever {
                base_url: match url(base_url) {
                    empty if empty.is_empty() => DEFAULT_CLEVER_BASE_URL.to_owned(),
                    given => given,
                },
            },
        }
    }

    /// Whether this kind of source authenticates with a secret.
    pub fn needs_secret(&self) -> bool {
        matches!(self, Source::OneRosterRest { .. } | Source::Clever { .. })
    }

    /// Whether `other` keeps the same credentials, so a stored secret still applies to
    /// it: a stored secret only ever goes back to the host it was given for.
    pub fn same_credentials(&self, other: &Source) -> bool {
        match (self, other) {
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

    /// The request field naming this source's secret.
    pub fn secret_field(&self) -> &'static str {
        match self {
            Source::OneRosterRest {
                auth: RestAuth::OAuth1 { .. },
                ..
            } => "source.oneroster_rest.oauth1.consumer_secret",
            Source::OneRosterRest { .. } => "source.oneroster_rest.oauth2.client_secret",
            _ => "source.clever.district_token",
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
                    RestAuth::OAuth1 { consumer_key } if consumer_key.is_empty() => Err(
                        Error::invalid("source.oneroster_rest.oauth1.consumer_key", "is required"),
                    ),
                    RestAuth::OAuth1 { .. } => Ok(()),
                    RestAuth::OAuth2 {
                        token_url,
                        client_id,
                        ..
                    } => {
                        validate_url("source.oneroster_rest.oauth2.token_url", token_url)?;
                        if client_id.is_empty() {
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

/// A source URL: http or https with a host, and no credentials in it (S3.2): a secret
/// goes in its own field, sealed, never in a URL that is shown back. Whether plain http
/// or the host is allowed is the outbound policy's call (`sources::http::policy`).
fn validate_url(field: &str, text: &str) -> Result<()> {
    let parsed = url::Url::parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    let Some(parsed) = parsed else {
        return Err(Error::invalid(
            field,
            format!("`{text}` is not an https URL"),
        ));
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::invalid(
            field,
            "must not carry credentials: give the secret in its own field",
        ));
    }
    Ok(())
}

/// A CSV path must stay under the import directory: relative, without `..`.
fn validate_relative_path(path: &str) -> Result<()> {
    let field = "source.oneroster_csv_path.path";
    let p = std::path::Path::new(path);
    if path.is_empty() {
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
        Schedule::off_with(ScheduleKind::Off)
    }

    /// A schedule of `kind` with every field empty, to fill in.
    pub fn off_with(kind: ScheduleKind) -> Self {
        Schedule {
            kind,
            interval_minutes: 0,
            daily_time: String::new(),
            time_zone: String::new(),
        }
    }

    /// The first time after `now` (UTC) a scheduled run is due; None when off. A daily
    /// time that does not exist locally (the spring daylight-saving gap) runs at the first
    /// valid instant after it; one that occurs twice (autumn) runs at its first (R7.7).
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
                    let local = (local_today + TimeDelta::days(days)).and_time(time);
                    let utc = first_valid_instant(&tz, local)?;
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
                if NaiveTime::parse_from_str(&self.daily_time, "%H:%M").is_err() {
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

/// The UTC instant of local time `local`: its first occurrence when the clocks go back,
/// and the first instant after it when the clocks jump over it (no gap lasts a day).
fn first_valid_instant(tz: &chrono_tz::Tz, local: NaiveDateTime) -> Option<NaiveDateTime> {
    (0..=24 * 60).find_map(|minutes| {
        let at = local + TimeDelta::minutes(minutes);
        tz.from_local_datetime(&at)
            .earliest()
            .map(|t| t.naive_utc())
    })
}

/// A district's sync settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSettings {
    pub district_id: i64,
    pub source: Option<Source>,
    /// The source's secret, sealed. Never leaves the server: the API shows only whether
    /// it is set.
    pub secret: Option<StoredSecret>,
    pub update_active_users: bool,
    pub abandoned_family_policy: FamilyPolicy,
    pub abandon_threshold_percent: i32,
    /// R7.5: the share of one school's students or staff a run may abandon.
    pub school_abandon_threshold_percent: i32,
    pub default_phone_region: String,
    pub schedule: Schedule,
    /// R9.1: every run stops after planning until a person approves or rejects its plan.
    pub require_approval: bool,
    /// How long a plan awaiting approval, or blocked, can be approved.
    pub plan_ttl: TimeDelta,
    /// A revert paused the schedule (R9.2): no scheduled run starts until an operator
    /// resumes it. Not a setting a caller writes: RevertSync sets it, ResumeSchedule
    /// clears it.
    pub schedule_paused: bool,
    pub updated_at: NaiveDateTime,
}

impl SyncSettings {
    pub fn defaults(district_id: i64, now: NaiveDateTime) -> Self {
        SyncSettings {
            district_id,
            source: None,
            secret: None,
            update_active_users: false,
            abandoned_family_policy: FamilyPolicy::Soft,
            abandon_threshold_percent: DEFAULT_THRESHOLD_PERCENT,
            school_abandon_threshold_percent: DEFAULT_SCHOOL_THRESHOLD_PERCENT,
            default_phone_region: DEFAULT_PHONE_REGION.into(),
            schedule: Schedule::off(),
            require_approval: false,
            plan_ttl: DEFAULT_PLAN_TTL,
            schedule_paused: false,
            updated_at: now,
        }
    }

    /// The secret that goes with `source`: the stored one when `source` is the configured
    /// source. A per-run source carries none (only CSV sources can be given per run).
    pub fn secret_for(&self, source: &Source) -> Option<StoredSecret> {
        match &self.source {
            Some(configured) if configured == source => self.secret.clone(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn daily(time: &str, zone: &str) -> Schedule {
        Schedule {
            kind: ScheduleKind::Daily,
            interval_minutes: 0,
            daily_time: time.into(),
            time_zone: zone.into(),
        }
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    // R7.7: 02:30 does not exist in New York on 2026-03-08; the run is at 03:00 EDT.
    #[test]
    fn r7_7_a_daily_time_in_the_spring_gap_runs_at_the_first_valid_instant() {
        let s = daily("02:30", "America/New_York");
        let before = utc(2026, 3, 7, 12, 0);
        assert_eq!(s.next_after(before), Some(utc(2026, 3, 8, 7, 0)));
        assert_eq!(
            s.next_after(utc(2026, 3, 8, 7, 0)),
            Some(utc(2026, 3, 9, 6, 30))
        );
    }

    // R7.7: 01:30 happens twice in New York on 2026-11-01; the run is at the first only.
    #[test]
    fn r7_7_a_daily_time_that_occurs_twice_runs_once() {
        let s = daily("01:30", "America/New_York");
        let first = s.next_after(utc(2026, 10, 31, 12, 0)).unwrap();
        assert_eq!(first, utc(2026, 11, 1, 5, 30));
        assert_eq!(s.next_after(first), Some(utc(2026, 11, 2, 6, 30)));
    }

    #[test]
    fn sources_are_normalized_with_the_default_clever_url() {
        let clever = Source::Clever {
            base_url: "  ".into(),
        };
        assert_eq!(
            clever.normalized(),
            Source::Clever {
                base_url: DEFAULT_CLEVER_BASE_URL.into()
            }
        );
        let rest = Source::OneRosterRest {
            base_url: " https://sis.example.org/ims/ ".into(),
            auth: RestAuth::OAuth1 {
                consumer_key: " key ".into(),
            },
        };
        assert_eq!(
            rest.normalized(),
            Source::OneRosterRest {
                base_url: "https://sis.example.org/ims".into(),
                auth: RestAuth::OAuth1 {
                    consumer_key: "key".into()
                },
            }
        );
    }
}
