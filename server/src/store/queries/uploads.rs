//! Uploaded roster archives: the bytes live in the data directory, the record here.

use crate::store::models::UploadRow;
use crate::store::schema::uploads;
use crate::store::{DbConn, StoreError};
use chrono::NaiveDateTime;
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

/// Bytes a district's uploads hold, against its quota (a district keeps a few uploads:
/// they are deleted a week after their last use).
pub async fn bytes_of(conn: &mut DbConn, district_id: i64) -> Result<i64, StoreError> {
    let sizes: Vec<i64> = with_conn!(conn, c => uploads::table
        .filter(uploads::district_id.eq(district_id))
        .select(uploads::size_bytes)
        .load(c)
        .await)?;
    Ok(sizes.iter().sum())
}

/// Notes that a run read the upload: it is kept a while longer (S2.2).
pub async fn touch(conn: &mut DbConn, id: i64, at: NaiveDateTime) -> Result<(), StoreError> {
    with_conn!(conn, c => diesel::update(uploads::table.find(id))
        .set(uploads::last_used_at.eq(Some(at)))
        .execute(c)
        .await)?;
    Ok(())
}

/// Uploads last used (or, never used, made) before `cutoff`.
pub async fn unused_since(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
) -> Result<Vec<UploadRow>, StoreError> {
    Ok(with_conn!(conn, c => uploads::table
        .filter(
            uploads::last_used_at
                .lt(cutoff)
                .or(uploads::last_used_at.is_null().and(uploads::created_at.lt(cutoff))),
        )
        .select(UploadRow::as_select())
        .load(c)
        .await)?)
}

pub async fn delete(conn: &mut DbConn, id: i64) -> Result<(), StoreError> {
    with_conn!(conn, c => diesel::delete(uploads::table.find(id)).execute(c).await)?;
    Ok(())
}
