//! Node numbers for ids, held by leases (see `domain::ids`).

use crate::domain::NODE_BITS;
use crate::store::schema::id_nodes;
use crate::store::{DbConn, StoreError};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// Takes a free node (never held, or whose lease lapsed) for `owner`; None when all
/// 1,024 are held.
pub async fn lease(
    conn: &mut DbConn,
    owner: &str,
    now: NaiveDateTime,
    length: TimeDelta,
) -> Result<Option<i32>, StoreError> {
    let start = rand::random::<u32>() as i32 & ((1 << NODE_BITS) - 1);
    for offset in 0..(1 << NODE_BITS) {
        let node = (start + offset) & ((1 << NODE_BITS) - 1);
        let taken = with_conn!(conn, c => diesel::update(id_nodes::table.find(node).filter(id_nodes::expires_at.lt(now)))
            .set((id_nodes::owner.eq(owner), id_nodes::expires_at.eq(now + length)))
            .execute(c)
            .await)?;
        if taken == 1 {
            return Ok(Some(node));
        }
        let inserted = with_conn!(conn, c => diesel::insert_or_ignore_into(id_nodes::table)
            .values((id_nodes::node.eq(node), id_nodes::owner.eq(owner), id_nodes::expires_at.eq(now + length)))
            .execute(c)
            .await)?;
        if inserted == 1 {
            return Ok(Some(node));
        }
    }
    Ok(None)
}

/// Extends the lease; false when it was lost (it lapsed and another process took it).
pub async fn renew(
    conn: &mut DbConn,
    node: i32,
    owner: &str,
    now: NaiveDateTime,
    length: TimeDelta,
) -> Result<bool, StoreError> {
    let n = with_conn!(conn, c => diesel::update(id_nodes::table.find(node).filter(id_nodes::owner.eq(owner)))
        .set(id_nodes::expires_at.eq(now + length))
        .execute(c)
        .await)?;
    Ok(n == 1)
}
