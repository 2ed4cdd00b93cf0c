//! The source each district's roster is known to be in step with (`settled_sources`).
//! Every write to a district's roster calls [`forget`] in its transaction; a run claims
//! the row before it loads the roster and settles it only if no write came between, so
//! a settled row never outlives a change it did not see.

use crate::store::models::SettledRow;
use crate::store::schema::settled_sources;
use crate::store::{DbConn, StoreError};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

type R<T> = Result<T, StoreError>;

/// The district's settled source, if one stands (a claim still planning is none).
pub async fn find(conn: &mut DbConn, district_id: i64) -> R<Option<SettledRow>> {
    Ok(with_conn!(conn, c => settled_sources::table
        .find(district_id)
        .filter(settled_sources::digest.ne(""))
        .select(SettledRow::as_select())
        .first(c)
        .await
        .optional())?)
}

/// The run whose claim or proof the district's row holds (0: a write's), if any.
#[cfg(debug_assertions)]
pub async fn holder(conn: &mut DbConn, district_id: i64) -> R<Option<i64>> {
    Ok(with_conn!(conn, c => settled_sources::table
        .find(district_id)
        .select(settled_sources::run_id)
        .first(c)
        .await
        .optional())?)
}

/// The district's roster changed: whatever stood, or was claimed, no longer holds. It
/// writes the row (as run 0's claim) rather than deleting it, so that on a multi-primary
/// cluster a change committed on one node conflicts with a claim made on another
/// meanwhile (one of them is retried), instead of both passing certification.
pub async fn forget(conn: &mut DbConn, district_id: i64) -> R<()> {
    claim(conn, district_id, 0).await
}

/// Run `run_id` is about to load the district's roster: from here, a write to it
/// replaces this claim and the run cannot settle.
pub async fn claim(conn: &mut DbConn, district_id: i64, run_id: i64) -> R<()> {
    let row = SettledRow {
        district_id,
        run_id,
        digest: String::new(),
        counts: "{}".into(),
        issue_count: 0,
    };
    with_conn!(conn, c => diesel::replace_into(settled_sources::table).values(&row).execute(c).await)?;
    Ok(())
}

/// Run `run_id` is about to plan against the roster as run `settled_by` left it: it
/// claims the district only if `settled_by` settled it and no write came since (the row
/// still holds that run's proof), in one statement, so that no write can slip between
/// the check and the claim. True when it claimed; otherwise nothing changed.
pub async fn claim_after(
    conn: &mut DbConn,
    district_id: i64,
    settled_by: i64,
    run_id: i64,
) -> R<bool> {
    let n = with_conn!(conn, c => diesel::update(
        settled_sources::table
            .find(district_id)
            .filter(settled_sources::run_id.eq(settled_by))
            .filter(settled_sources::digest.ne("")),
    )
    .set((
        settled_sources::run_id.eq(run_id),
        settled_sources::digest.eq(""),
        settled_sources::counts.eq("{}"),
        settled_sources::issue_count.eq(0),
    ))
    .execute(c)
    .await)?;
    Ok(n == 1)
}

/// Settles run `settled.run_id`'s claim, if it still stands: true when it did.
pub async fn settle(conn: &mut DbConn, settled: &SettledRow) -> R<bool> {
    let n = with_conn!(conn, c => diesel::update(
        settled_sources::table
            .find(settled.district_id)
            .filter(settled_sources::run_id.eq(settled.run_id)),
    )
    .set((
        settled_sources::digest.eq(&settled.digest),
        settled_sources::counts.eq(&settled.counts),
        settled_sources::issue_count.eq(settled.issue_count),
    ))
    .execute(c)
    .await)?;
    Ok(n == 1)
}
