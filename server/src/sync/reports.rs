//! What runs leave behind, as lists: their issues and the abandoned records (R5).

use crate::domain::{AbandonedFilter, Page, PageRequest, RecordKind, Result, Severity};
use crate::store::Store;
pub use crate::store::models::{AbandonedRow, IssueRow};
use crate::store::queries::reports as q;
use crate::store::queries::{districts, runs};

pub async fn list_issues(
    store: &Store,
    run_id: i64,
    severity: Option<Severity>,
    kind: Option<RecordKind>,
    page: PageRequest,
) -> Result<Page<IssueRow>> {
    let mut conn = store.conn().await?;
    runs::require(&mut conn, run_id).await?;
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
    districts::require(&mut conn, district_id).await?;
    let rows = q::list_abandoned(&mut conn, district_id, &filter, &page).await?;
    Ok(page.finish(rows, |a| a.id))
}
