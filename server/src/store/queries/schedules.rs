//! Automatic runs: which districts are due, and claiming one due time so that a
//! schedule fires once across replicas.

use crate::domain::{Error, SyncSettings};
use crate::store::models::SettingsRow;
use crate::store::schema::sync_settings;
use crate::store::{DbConn, StoreError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// Settings of the districts whose next scheduled run is due, with that due time.
pub async fn due(
    conn: &mut DbConn,
    now: NaiveDateTime,
) -> Result<Vec<(SyncSettings, NaiveDateTime)>, Error> {
    let rows: Vec<SettingsRow> = with_conn!(conn, c => sync_settings::table
        .filter(sync_settings::next_scheduled_at.le(now))
        // A schedule a revert paused waits for ResumeSchedule (R9.2).
        .filter(sync_settings::schedule_paused.eq(false))
        .select(SettingsRow::as_select())
        .load(c)
        .await)
    .map_err(StoreError::from)?;
    rows.into_iter()
        .filter_map(|row| row.next_scheduled_at.map(|at| (row, at)))
        .map(|(row, at)| Ok((super::settings::from_row(row)?, at)))
        .collect()
}

/// Moves the district's next run from `due` to `next`; false when another replica moved
/// it first (so only one of them starts the run).
pub async fn advance(
    conn: &mut DbConn,
    district_id: i64,
    due: NaiveDateTime,
    next: Option<NaiveDateTime>,
) -> Result<bool, StoreError> {
    let n = with_conn!(conn, c => diesel::update(sync_settings::table
            .find(district_id)
            .filter(sync_settings::next_scheduled_at.eq(due)))
        .set(sync_settings::next_scheduled_at.eq(next))
        .execute(c)
        .await)?;
    Ok(n == 1)
}
