//! Sync settings: one row per district, read and written as the domain's
//! [`SyncSettings`]. The source is kept as JSON without its secret; the secret has
//! columns of its own, sealed (and, for a secret of the previous release, plain).

use crate::domain::{Error, Schedule, Secret, StoredSecret, SyncSettings};
use crate::store::models::SettingsRow;
use crate::store::schema::sync_settings;
use crate::store::{Backend, DbConn, StoreError};
use chrono::TimeDelta;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// A district's settings, or the defaults when none were ever saved.
pub async fn load(conn: &mut DbConn, district_id: i64) -> Result<SyncSettings, Error> {
    match get(conn, district_id).await? {
        Some(row) => from_row(row),
        None => Ok(SyncSettings::defaults(district_id, conn.now())),
    }
}

/// Saves the settings, with the next scheduled time computed from them.
pub async fn save(conn: &mut DbConn, settings: &SyncSettings) -> Result<(), Error> {
    let row = to_row(settings)?;
    let existed = get(conn, settings.district_id).await?.is_some();
    if existed {
        with_conn!(conn, c => diesel::update(sync_settings::table.find(row.district_id))
            .set(&row)
            .execute(c)
            .await)
        .map_err(StoreError::from)?;
    } else {
        with_conn!(conn, c => diesel::insert_into(sync_settings::table).values(&row).execute(c).await)
            .map_err(StoreError::from)?;
    }
    Ok(())
}

async fn get(conn: &mut DbConn, district_id: i64) -> Result<Option<SettingsRow>, StoreError> {
    Ok(with_conn!(conn, c => sync_settings::table
        .find(district_id)
        .select(SettingsRow::as_select())
        .first(c)
        .await
        .optional())?)
}

pub(crate) fn from_row(row: SettingsRow) -> Result<SyncSettings, Error> {
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
        secret: match (row.source_secret_sealed, row.source_secret) {
            (None, None) => None,
            (sealed, legacy) => Some(StoredSecret {
                sealed,
                legacy: legacy.map(Secret::new),
            }),
        },
        update_active_users: row.update_active_users,
        abandoned_family_policy: row.abandoned_family_policy,
        abandon_threshold_percent: row.abandon_threshold_percent,
        school_abandon_threshold_percent: row.school_abandon_threshold_percent,
        default_phone_region: row.default_phone_region,
        schedule: Schedule {
            kind: row.schedule_kind,
            interval_minutes: row.schedule_interval_minutes,
            daily_time: row.schedule_daily_time,
            time_zone: row.schedule_time_zone,
        },
        require_approval: row.require_approval,
        plan_ttl: TimeDelta::seconds(row.plan_ttl_seconds),
        schedule_paused: row.schedule_paused,
        updated_at: row.updated_at,
    })
}

fn to_row(s: &SyncSettings) -> Result<SettingsRow, Error> {
    let source = match &s.source {
        Some(source) => {
            serde_json::to_string(source).map_err(|e| Error::Internal(e.to_string()))?
        }
        None => String::new(),
    };
    Ok(SettingsRow {
        district_id: s.district_id,
        source,
        // Only a secret the previous release stored is kept plain, for that release
        // during a rolling deploy; this release writes sealed secrets only.
        source_secret: s
            .secret
            .as_ref()
            .and_then(|x| x.legacy.as_ref())
            .map(|x| x.expose().to_owned()),
        source_secret_sealed: s.secret.as_ref().and_then(|x| x.sealed.clone()),
        update_active_users: s.update_active_users,
        abandoned_family_policy: s.abandoned_family_policy,
        abandon_threshold_percent: s.abandon_threshold_percent,
        school_abandon_threshold_percent: s.school_abandon_threshold_percent,
        require_approval: s.require_approval,
        plan_ttl_seconds: s.plan_ttl.num_seconds(),
        schedule_paused: s.schedule_paused,
        default_phone_region: s.default_phone_region.clone(),
        schedule_kind: s.schedule.kind,
        schedule_interval_minutes: s.schedule.interval_minutes,
        schedule_daily_time: s.schedule.daily_time.clone(),
        schedule_time_zone: s.schedule.time_zone.clone(),
        next_scheduled_at: s.schedule.next_after(s.updated_at),
        updated_at: s.updated_at,
    })
}

/// Districts whose secret the previous release stored plain and no one sealed yet.
pub async fn unsealed(conn: &mut DbConn) -> Result<Vec<SyncSettings>, Error> {
    let rows: Vec<SettingsRow> = with_conn!(conn, c => sync_settings::table
        .filter(sync_settings::source_secret.is_not_null().and(sync_settings::source_secret_sealed.is_null()))
        .select(SettingsRow::as_select())
        .load(c)
        .await)
    .map_err(StoreError::from)?;
    rows.into_iter().map(from_row).collect()
}

/// Stores the sealed form of a secret beside its plain one, only if the secret is still
/// the one that was sealed.
pub async fn add_sealed(
    conn: &mut DbConn,
    district_id: i64,
    plain: &Secret,
    sealed: &str,
) -> Result<bool, StoreError> {
    let n = with_conn!(conn, c => diesel::update(sync_settings::table
            .find(district_id)
            .filter(sync_settings::source_secret.eq(plain.expose()))
            .filter(sync_settings::source_secret_sealed.is_null()))
        .set(sync_settings::source_secret_sealed.eq(sealed))
        .execute(c)
        .await)?;
    Ok(n == 1)
}

/// Clears every plain secret that has a sealed copy: the end of a rolling deploy, once no
/// server of the previous release runs. How many were cleared.
pub async fn drop_plain(conn: &mut DbConn) -> Result<usize, StoreError> {
    let cleared = with_conn!(conn, c => diesel::update(sync_settings::table
            .filter(sync_settings::source_secret_sealed.is_not_null())
            .filter(sync_settings::source_secret.is_not_null()))
        .set(sync_settings::source_secret.eq(None::<String>))
        .execute(c)
        .await)?;
    if conn.backend() == Backend::Sqlite {
        // The old values also sit in SQLite's write-ahead log until a checkpoint.
        with_conn!(conn, c => diesel_async::SimpleAsyncConnection::batch_execute(
            c,
            "PRAGMA wal_checkpoint(TRUNCATE)",
        )
        .await)?;
    }
    Ok(cleared)
}
