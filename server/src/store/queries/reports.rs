//! What runs leave behind: their issues and the abandoned records (R5).

use crate::domain::{AbandonedFilter, PageRequest, RecordKind, Severity};
use crate::store::models::{AbandonedRow, IssueRow};
use crate::store::schema::{abandoned_records, sync_issues};
use crate::store::{DbConn, StoreError};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

type R<T> = Result<T, StoreError>;

pub async fn list_issues(
    conn: &mut DbConn,
    run_id: i64,
    severity: Option<Severity>,
    kind: Option<RecordKind>,
    page: &PageRequest,
) -> R<Vec<IssueRow>> {
    let after = page.after.unwrap_or(0);
    Ok(with_conn!(conn, c => {
        let mut q = sync_issues::table
            .filter(sync_issues::run_id.eq(run_id).and(sync_issues::id.gt(after)))
            .into_boxed();
        if let Some(s) = severity {
            q = q.filter(sync_issues::severity.eq(s));
        }
        if let Some(k) = kind {
            q = q.filter(sync_issues::record_kind.eq(k));
        }
        q.order(sync_issues::id.asc()).limit(page.limit()).select(IssueRow::as_select()).load(c).await
    })?)
}

/// Every issue of a run, in the order it found them.
pub async fn issues_of(conn: &mut DbConn, run_id: i64) -> R<Vec<IssueRow>> {
    Ok(with_conn!(conn, c => sync_issues::table
        .filter(sync_issues::run_id.eq(run_id))
        .order(sync_issues::id.asc())
        .select(IssueRow::as_select())
        .load(c)
        .await)?)
}

/// A district's abandoned records, newest first.
pub async fn list_abandoned(
    conn: &mut DbConn,
    district_id: i64,
    filter: &AbandonedFilter,
    page: &PageRequest,
) -> R<Vec<AbandonedRow>> {
    let before = page.after.unwrap_or(i64::MAX);
    Ok(with_conn!(conn, c => {
        let mut q = abandoned_records::table
            .filter(abandoned_records::district_id.eq(district_id).and(abandoned_records::id.lt(before)))
            .into_boxed();
        if let Some(k) = filter.kind {
            q = q.filter(abandoned_records::record_kind.eq(k));
        }
        if let Some(run) = filter.run_id {
            q = q.filter(abandoned_records::run_id.eq(run));
        }
        match filter.restored {
            Some(true) => q = q.filter(abandoned_records::restored_at.is_not_null()),
            Some(false) => q = q.filter(abandoned_records::restored_at.is_null()),
            None => {}
        }
        q.order(abandoned_records::id.desc()).limit(page.limit()).select(AbandonedRow::as_select()).load(c).await
    })?)
}
