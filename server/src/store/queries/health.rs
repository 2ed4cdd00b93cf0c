//! What sync health reads for a page of districts, in a few set-based queries: the runs
//! since each district's last success, and each district's settings with its next
//! scheduled time.

use super::runs::to_run;
use super::settings::from_row;
use crate::domain::{Error, Run, RunState, SyncSettings};
use crate::store::models::{RunRow, SettingsRow};
use crate::store::schema::sync_runs;
use crate::store::schema::sync_settings;
use crate::store::{DbConn, StoreError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use foldhash::HashMap;

/// Each district's runs since its last success (that one included), newest first, dry
/// runs left out.
pub async fn recent_runs(
    conn: &mut DbConn,
    districts: &[i64],
) -> Result<HashMap<i64, Vec<Run>>, StoreError> {
    let successes: Vec<(i64, Option<i64>)> = with_conn!(conn, c => sync_runs::table
        .filter(sync_runs::district_id.eq_any(districts))
        .filter(sync_runs::state.eq(RunState::Succeeded))
        .filter(sync_runs::dry_run.eq(false))
        .group_by(sync_runs::district_id)
        .select((sync_runs::district_id, diesel::dsl::max(sync_runs::id)))
        .load(c)
        .await)?;
    let last_success: HashMap<i64, i64> = successes
        .into_iter()
        .filter_map(|(d, id)| id.map(|id| (d, id)))
        .collect();
    let since = districts
        .iter()
        .map(|d| last_success.get(d).copied().unwrap_or(0))
        .min()
        .unwrap_or(0);
    let rows: Vec<RunRow> = with_conn!(conn, c => sync_runs::table
        .filter(sync_runs::district_id.eq_any(districts))
        .filter(sync_runs::dry_run.eq(false))
        .filter(sync_runs::id.ge(since))
        .order(sync_runs::id.desc())
        .select(RunRow::as_select())
        .load(c)
        .await)?;
    let mut runs: HashMap<i64, Vec<Run>> = HashMap::default();
    for row in rows {
        if row.id >= last_success.get(&row.district_id).copied().unwrap_or(0) {
            runs.entry(row.district_id).or_default().push(to_run(row));
        }
    }
    Ok(runs)
}

/// The districts' settings (defaults where none are stored) and next scheduled times.
pub async fn settings(
    conn: &mut DbConn,
    districts: &[i64],
) -> Result<HashMap<i64, (SyncSettings, Option<NaiveDateTime>)>, Error> {
    let rows: Vec<SettingsRow> = with_conn!(conn, c => sync_settings::table
        .filter(sync_settings::district_id.eq_any(districts))
        .select(SettingsRow::as_select())
        .load(c)
        .await)
    .map_err(StoreError::from)?;
    rows.into_iter()
        .map(|row| {
            let (district, next) = (row.district_id, row.next_scheduled_at);
            Ok((district, (from_row(row)?, next)))
        })
        .collect()
}
