//! Sync settings rows.

use crate::store::models::SettingsRow;
use crate::store::schema::sync_settings;
use crate::store::{DbConn, StoreError};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

pub async fn get(conn: &mut DbConn, district_id: i64) -> Result<Option<SettingsRow>, StoreError> {
    Ok(with_conn!(conn, c => sync_settings::table
        .find(district_id)
        .select(SettingsRow::as_select())
        .first(c)
        .await
        .optional())?)
}

pub async fn insert(conn: &mut DbConn, row: &SettingsRow) -> Result<(), StoreError> {
    with_conn!(conn, c => diesel::insert_into(sync_settings::table).values(row).execute(c).await)?;
    Ok(())
}

pub async fn update(conn: &mut DbConn, row: &SettingsRow) -> Result<(), StoreError> {
    with_conn!(conn, c => diesel::update(sync_settings::table.find(row.district_id))
        .set(row)
        .execute(c)
        .await)?;
    Ok(())
}
