//! API keys (S1): found by the hash of the key, never by the key.

use crate::domain::PageRequest;
use crate::store::models::ApiKeyRow;
use crate::store::schema::{api_key_districts, api_keys};
use crate::store::{DbConn, StoreError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

type R<T> = Result<T, StoreError>;

/// Stores a key and the districts it covers, together.
pub async fn insert(conn: &mut DbConn, row: &ApiKeyRow, districts: &[i64]) -> R<()> {
    conn.transaction::<_, StoreError, _>(|c| {
        let (row, districts) = (row.clone(), districts.to_vec());
        Box::pin(async move {
            with_conn!(c, c => diesel::insert_into(api_keys::table).values(&row).execute(c).await)?;
            // A key covers a handful of districts: one statement each.
            for district in districts {
                let link = (
                    api_key_districts::key_id.eq(row.id),
                    api_key_districts::district_id.eq(district),
                );
                with_conn!(c, c => diesel::insert_into(api_key_districts::table).values(link).execute(c).await)?;
            }
            Ok(())
        })
    })
    .await
}

pub async fn by_hash(conn: &mut DbConn, hash: &str) -> R<Option<ApiKeyRow>> {
    Ok(with_conn!(conn, c => api_keys::table
        .filter(api_keys::secret_hash.eq(hash))
        .select(ApiKeyRow::as_select())
        .first(c)
        .await
        .optional())?)
}

pub async fn get(conn: &mut DbConn, id: i64) -> R<Option<ApiKeyRow>> {
    Ok(with_conn!(conn, c => api_keys::table
        .find(id)
        .select(ApiKeyRow::as_select())
        .first(c)
        .await
        .optional())?)
}

/// The districts each of `keys` covers.
pub async fn districts(conn: &mut DbConn, keys: &[i64]) -> R<Vec<(i64, i64)>> {
    Ok(with_conn!(conn, c => api_key_districts::table
        .filter(api_key_districts::key_id.eq_any(keys))
        .select((api_key_districts::key_id, api_key_districts::district_id))
        .load(c)
        .await)?)
}

/// Whether any key was ever made (a revoked one counts: keys are never deleted).
pub async fn any(conn: &mut DbConn) -> R<bool> {
    let n: i64 = with_conn!(conn, c => api_keys::table.count().get_result(c).await)?;
    Ok(n > 0)
}

/// Keys, newest first.
pub async fn list(conn: &mut DbConn, page: &PageRequest) -> R<Vec<ApiKeyRow>> {
    let before = page.after.unwrap_or(i64::MAX);
    Ok(with_conn!(conn, c => api_keys::table
        .filter(api_keys::id.lt(before))
        .order(api_keys::id.desc())
        .limit(page.limit())
        .select(ApiKeyRow::as_select())
        .load(c)
        .await)?)
}

/// Revokes a key, once: a second revocation keeps the first time.
pub async fn revoke(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> R<()> {
    with_conn!(conn, c => diesel::update(api_keys::table.find(id).filter(api_keys::revoked_at.is_null()))
        .set(api_keys::revoked_at.eq(now))
        .execute(c)
        .await)?;
    Ok(())
}

pub async fn touch(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> R<()> {
    with_conn!(conn, c => diesel::update(api_keys::table.find(id))
        .set(api_keys::last_used_at.eq(now))
        .execute(c)
        .await)?;
    Ok(())
}
