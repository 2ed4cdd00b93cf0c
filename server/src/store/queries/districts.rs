//! Districts.

use crate::domain::{Error, PageRequest};
use crate::store::models::District;
use crate::store::schema::districts;
use crate::store::{DbConn, StoreError};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

pub async fn insert(conn: &mut DbConn, row: &District) -> Result<(), StoreError> {
    with_conn!(conn, c => diesel::insert_into(districts::table).values(row).execute(c).await)?;
    Ok(())
}

pub async fn get(conn: &mut DbConn, id: i64) -> Result<Option<District>, StoreError> {
    Ok(with_conn!(conn, c => districts::table
        .find(id)
        .select(District::as_select())
        .first(c)
        .await
        .optional())?)
}

/// The district, or NOT_FOUND naming it.
pub async fn require(conn: &mut DbConn, id: i64) -> Result<District, Error> {
    get(conn, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("district {id}")))
}

/// Districts in id order; only `visible` ones when given.
pub async fn list(
    conn: &mut DbConn,
    visible: Option<&[i64]>,
    page: &PageRequest,
) -> Result<Vec<District>, StoreError> {
    let after = page.after.unwrap_or(0);
    Ok(with_conn!(conn, c => {
        let mut q = districts::table.filter(districts::id.gt(after)).into_boxed();
        if let Some(ids) = visible {
            q = q.filter(districts::id.eq_any(ids.to_vec()));
        }
        q.order(districts::id.asc()).limit(page.limit()).select(District::as_select()).load(c).await
    })?)
}
