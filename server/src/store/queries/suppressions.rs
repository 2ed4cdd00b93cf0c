//! Suppressed source ids (S6.1): what an erasure leaves so later syncs skip it.

use crate::domain::{PageRequest, RecordKind};
use crate::store::models::SuppressionRow;
use crate::store::schema::suppressions;
use crate::store::{DbConn, StoreError};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

type R<T> = Result<T, StoreError>;

/// Adds a suppression; an existing one for the same source id stays as it is.
pub async fn insert(conn: &mut DbConn, row: &SuppressionRow) -> R<()> {
    with_conn!(conn, c => diesel::insert_or_ignore_into(suppressions::table).values(row).execute(c).await)?;
    Ok(())
}

pub async fn get(conn: &mut DbConn, id: i64) -> R<Option<SuppressionRow>> {
    Ok(with_conn!(conn, c => suppressions::table
        .find(id)
        .select(SuppressionRow::as_select())
        .first(c)
        .await
        .optional())?)
}

pub async fn find(
    conn: &mut DbConn,
    district_id: i64,
    kind: RecordKind,
    source_id: &str,
) -> R<Option<SuppressionRow>> {
    Ok(with_conn!(conn, c => suppressions::table
        .filter(suppressions::district_id.eq(district_id))
        .filter(suppressions::record_kind.eq(kind))
        .filter(suppressions::source_id.eq(source_id))
        .select(SuppressionRow::as_select())
        .first(c)
        .await
        .optional())?)
}

/// Every suppression of a district: a sync skips these source ids.
pub async fn of_district(conn: &mut DbConn, district_id: i64) -> R<Vec<SuppressionRow>> {
    Ok(with_conn!(conn, c => suppressions::table
        .filter(suppressions::district_id.eq(district_id))
        .select(SuppressionRow::as_select())
        .load(c)
        .await)?)
}

/// The ids of a district's suppressions, locked until the transaction ends on MySQL (an
/// erasure's insert into the district's range waits; SQLite's write transaction holds
/// the whole database already): what an apply checks its plan against (S6.1).
pub async fn ids_locked(conn: &mut DbConn, district_id: i64) -> R<Vec<i64>> {
    let query = suppressions::table
        .filter(suppressions::district_id.eq(district_id))
        .select(suppressions::id);
    Ok(with_conn!(conn,
        mysql: c => query.for_update().load(c).await,
        sqlite: c => query.load(c).await
    )?)
}

/// A district's suppressions, newest first.
pub async fn list(
    conn: &mut DbConn,
    district_id: i64,
    page: &PageRequest,
) -> R<Vec<SuppressionRow>> {
    let before = page.after.unwrap_or(i64::MAX);
    Ok(with_conn!(conn, c => suppressions::table
        .filter(suppressions::district_id.eq(district_id).and(suppressions::id.lt(before)))
        .order(suppressions::id.desc())
        .limit(page.limit())
        .select(SuppressionRow::as_select())
        .load(c)
        .await)?)
}

pub async fn delete(conn: &mut DbConn, id: i64) -> R<()> {
    with_conn!(conn, c => diesel::delete(suppressions::table.find(id)).execute(c).await)?;
    Ok(())
}
