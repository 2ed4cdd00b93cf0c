//! The audit log (S2.1): every call that changed something, with its key, the end user
//! the key acted for, the RPC, the district and record, and the names of the fields it
//! changed, never their values.

use crate::domain::{Caller, Page, PageRequest, Result, new_id, now};
use crate::store::Store;
use crate::store::models::AuditRow;
use crate::store::queries::audit::{self as q, AuditFilter};

/// What a changing call says about itself, for its audit event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    pub district_id: Option<i64>,
    pub target_id: Option<i64>,
    pub fields: Vec<String>,
}

impl Change {
    pub fn new(district_id: i64) -> Self {
        Change {
            district_id: Some(district_id),
            ..Change::default()
        }
    }

    pub fn target(mut self, id: i64) -> Self {
        self.target_id = Some(id);
        self
    }

    pub fn fields<I: IntoIterator<Item = S>, S: Into<String>>(mut self, fields: I) -> Self {
        self.fields = fields.into_iter().map(Into::into).collect();
        self
    }
}

/// Records one changing call.
pub async fn record(store: &Store, caller: &Caller, method: &str, change: Change) -> Result<()> {
    let row = AuditRow {
        id: new_id(),
        at: now(),
        key_id: caller.key_id,
        actor: caller.actor.clone(),
        method: method.chars().take(128).collect(),
        district_id: change.district_id,
        target_id: change.target_id,
        changed_fields: change.fields.join(","),
    };
    q::insert(&mut store.conn().await?, &row).await?;
    Ok(())
}

/// Events, newest first: all for an admin, those of its districts for anyone else.
pub async fn list(
    store: &Store,
    caller: &Caller,
    mut filter: AuditFilter,
    page: PageRequest,
) -> Result<Page<AuditRow>> {
    if let Some(visible) = caller.visible() {
        if let Some(d) = filter.district_id {
            caller.check(crate::domain::Need::Read, d)?;
        }
        filter.districts = Some(visible.to_vec());
    }
    let rows = q::list(&mut store.conn().await?, &filter, &page).await?;
    Ok(page.finish(rows, |e| e.id))
}
