//! What runs leave behind: their issues and the abandoned records (R5).

use crate::directory::require_district;
use crate::domain::{Error, Page, PageRequest, RecordKind, Result, Severity};
use crate::store::Store;
use crate::store::models::{AbandonedRow, IssueRow};
use crate::store::queries::runs::{self as q, AbandonedFilter};

pub async fn list_issues(
    store: &Store,
    run_id: i64,
    severity: Option<Severity>,
    kind: Option<RecordKind>,
    page: PageRequest,
) -> Result<Page<IssueRow>> {
    let mut conn = store.conn().await?;
    q::get_run(&mut conn, run_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("sync run {run_id}")))?;
    let rows = q::list_issues(&mut conn, run_id, severity, kind, &page).await?;
    Ok(page.finish(rows, |i| i.id))
}

pub async fn list_abandoned(
    store: &Store,
    district_id: i64,
    filter: AbandonedFilter,
    page: PageRequest,
) -> Result<Page<AbandonedRow>> {
    let mut conn = store.conn().await?;
    require_district(&mut conn, district_id).await?;
    let rows = q::list_abandoned(&mut conn, district_id, &filter, &page).await?;
    Ok(page.finish(rows, |a| a.id))
}
