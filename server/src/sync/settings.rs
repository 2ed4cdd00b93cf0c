//! Reading and changing a district's sync settings (`domain::settings` holds the types
//! and their validation). Secrets are write-only: a caller can replace one, never read it.

use super::secrets::Sealer;
use super::uploads;
use crate::domain::{
    Error, FamilyPolicy, PLAN_TTL_RANGE, Result, Schedule, Secret, Source, StoredSecret,
    SyncSettings, is_phone_region,
};
use crate::sources::http::Outbound;
use crate::store::Store;
use crate::store::queries::{districts, settings as q};
use chrono::TimeDelta;

pub async fn get(store: &Store, district_id: i64) -> Result<SyncSettings> {
    let mut conn = store.conn().await?;
    districts::require(&mut conn, district_id).await?;
    q::load(&mut conn, district_id).await
}

/// The fields an update may change, each with its new value.
#[derive(Debug, Clone, Default)]
pub struct SettingsUpdate {
    /// `Some(None)` clears the source.
    pub source: Option<Option<(Source, Option<Secret>)>>,
    pub update_active_users: Option<bool>,
    pub abandoned_family_policy: Option<FamilyPolicy>,
    pub abandon_threshold_percent: Option<i32>,
    pub school_abandon_threshold_percent: Option<i32>,
    pub default_phone_region: Option<String>,
    pub schedule: Option<Schedule>,
    pub require_approval: Option<bool>,
    pub plan_ttl: Option<TimeDelta>,
}

/// Applies an update. A new source of the same kind and credentials without a secret
/// keeps the stored secret, so a caller can change other fields without re-sending it.
pub async fn update(
    store: &Store,
    sealer: &Sealer,
    outbound: &Outbound,
    district_id: i64,
    update: SettingsUpdate,
) -> Result<SyncSettings> {
    let mut conn = store.conn().await?;
    districts::require(&mut conn, district_id).await?;
    let mut settings = q::load(&mut conn, district_id).await?;
    if let Some(source) = update.source {
        set_source(store, sealer, &mut settings, source).await?;
        if let Some(source) = &settings.source {
            check_outbound(outbound, source)
                .await
                .map_err(|e| e.within("settings"))?;
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
    if let Some(v) = update.school_abandon_threshold_percent {
        if !(0..=100).contains(&v) {
            return Err(Error::invalid(
                "settings.school_abandon_threshold_percent",
                "must be between 0 and 100",
            ));
        }
        settings.school_abandon_threshold_percent = v;
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
    if let Some(v) = update.require_approval {
        settings.require_approval = v;
    }
    if let Some(ttl) = update.plan_ttl {
        let (shortest, longest) = PLAN_TTL_RANGE;
        if !(shortest..=longest).contains(&ttl) {
            return Err(Error::invalid(
                "settings.plan_ttl",
                "must be between 1 minute and 30 days",
            ));
        }
        settings.plan_ttl = ttl;
    }
    if let Some(schedule) = update.schedule {
        schedule.validate().map_err(|e| e.within("settings"))?;
        settings.schedule = schedule;
    }
    // The next scheduled time counts from it, and is judged by the store's clock.
    settings.updated_at = store.now();
    q::save(&mut conn, &settings).await?;
    Ok(settings)
}

async fn set_source(
    store: &Store,
    sealer: &Sealer,
    settings: &mut SyncSettings,
    source: Option<(Source, Option<Secret>)>,
) -> Result<()> {
    let Some((source, secret)) = source else {
        settings.source = None;
        settings.secret = None;
        return Ok(());
    };
    let source = source.normalized();
    source.validate().map_err(|e| e.within("settings"))?;
    if let Source::OneRosterCsvUpload { upload_id } = source {
        uploads::require(store, settings.district_id, upload_id).await?;
    }
    let secret = match secret {
        Some(s) if !s.expose().is_empty() => {
            Some(StoredSecret::sealed(sealer.seal(settings.district_id, &s)?))
        }
        _ => match &settings.source {
            Some(old) if old.same_credentials(&source) => settings.secret.take(),
            _ => None,
        },
    };
    if source.needs_secret() && secret.is_none() {
        return Err(Error::invalid(
            format!("settings.{}", source.secret_field()),
            "is required for a new source",
        ));
    }
    settings.source = Some(source);
    settings.secret = secret;
    Ok(())
}

/// Whether the server may reach the source's hosts (S4.1): https, and no internal
/// address unless allowed. INVALID_ARGUMENT naming the URL field otherwise.
pub async fn check_outbound(outbound: &Outbound, source: &Source) -> Result<()> {
    let urls: Vec<(&str, &str)> = match source {
        Source::Clever { base_url } => vec![("source.clever.base_url", base_url)],
        Source::OneRosterRest { base_url, auth } => {
            let mut urls = vec![("source.oneroster_rest.base_url", base_url.as_str())];
            if let crate::domain::RestAuth::OAuth2 { token_url, .. } = auth {
                urls.push(("source.oneroster_rest.oauth2.token_url", token_url));
            }
            urls
        }
        Source::OneRosterCsvPath { .. } | Source::OneRosterCsvUpload { .. } => Vec::new(),
    };
    for (field, url) in urls {
        outbound
            .check_source_url(url)
            .await
            .map_err(|message| Error::invalid(field, message))?;
    }
    Ok(())
}
