//! Uploaded roster archives: the bytes live in the data directory, the record here.

use crate::store::models::UploadRow;
use crate::store::schema::uploads;
use crate::store::{DbConn, StoreError};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

pub async fn insert(conn: &mut DbConn, row: &UploadRow) -> Result<(), StoreError> {
    with_conn!(conn, c => diesel::insert_into(uploads::table).values(row).execute(c).await)?;
    Ok(())
}

pub async fn get(conn: &mut DbConn, id: i64) -> Result<Option<UploadRow>, StoreError> {
    Ok(with_conn!(conn, c => uploads::table
        .find(id)
        .select(UploadRow::as_select())
        .first(c)
        .await
        .optional())?)
}

/// The ids of a district's uploads.
pub async fn of_district(conn: &mut DbConn, district_id: i64) -> Result<Vec<i64>, StoreError> {
    Ok(with_conn!(conn, c => uploads::table
        .filter(uploads::district_id.eq(district_id))
        .select(uploads::id)
        .load(c)
        .await)?)
}
