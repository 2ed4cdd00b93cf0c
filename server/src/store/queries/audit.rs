//! The audit log (S2.1).

use crate::domain::PageRequest;
use crate::store::models::AuditRow;
use crate::store::schema::audit_events;
use crate::store::{DbConn, StoreError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

pub async fn insert(conn: &mut DbConn, row: &AuditRow) -> Result<(), StoreError> {
    with_conn!(conn, c => diesel::insert_into(audit_events::table).values(row).execute(c).await)?;
    Ok(())
}

/// Filters of ListAuditEvents; `districts` limits a caller who covers only some.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub district_id: Option<i64>,
    pub key_id: Option<i64>,
    pub start: Option<NaiveDateTime>,
    pub end: Option<NaiveDateTime>,
    pub districts: Option<Vec<i64>>,
}

/// Events, newest first.
pub async fn list(
    conn: &mut DbConn,
    filter: &AuditFilter,
    page: &PageRequest,
) -> Result<Vec<AuditRow>, StoreError> {
    let before = page.after.unwrap_or(i64::MAX);
    Ok(with_conn!(conn, c => {
        let mut q = audit_events::table.filter(audit_events::id.lt(before)).into_boxed();
        if let Some(d) = filter.district_id {
            q = q.filter(audit_events::district_id.eq(d));
        }
        if let Some(k) = filter.key_id {
            q = q.filter(audit_events::key_id.eq(k));
        }
        if let Some(t) = filter.start {
            q = q.filter(audit_events::at.ge(t));
        }
        if let Some(t) = filter.end {
            q = q.filter(audit_events::at.lt(t));
        }
        if let Some(ds) = &filter.districts {
            q = q.filter(audit_events::district_id.eq_any(ds.clone()));
        }
        q.order(audit_events::id.desc()).limit(page.limit()).select(AuditRow::as_select()).load(c).await
    })?)
}
