//! Edits through the API go in the edited record's history (R9.3), with the key that
//! made them and the end user it acted for, like a run's changes do. Every edit of a
//! district's roster passes here, and so also ends the district's settled source in
//! its transaction: the next run of the same source plans again.

use crate::domain::{Caller, ChangeAction, Error, RecordKind, Result};
use crate::store::DbConn;
use crate::store::fields::{FieldChange, Reviewed};
use crate::store::queries::history::{Edit, record_edit};
use crate::store::queries::settled;
use futures::future::BoxFuture;
use std::sync::Arc;

/// Makes an update and journals it in one transaction, so no edit stands without its
/// history entry, nor an entry without its edit: `write` makes the change and returns the
/// record's row after it.
pub(super) async fn update<T, F>(
    conn: &mut DbConn,
    by: &Caller,
    district_id: i64,
    before: &T,
    write: F,
) -> Result<T>
where
    T: Reviewed + Clone + Send + Sync + 'static,
    F: for<'c> Fn(&'c mut DbConn) -> BoxFuture<'c, Result<T>> + Send + Sync + 'static,
{
    let write = Arc::new(write);
    let (by, before) = (Arc::new(by.clone()), Arc::new(before.clone()));
    conn.transaction::<_, Error, _>(move |c| {
        let (write, by, before) = (write.clone(), by.clone(), before.clone());
        Box::pin(async move {
            let after = write(c).await?;
            updated(c, &by, district_id, &*before, &after).await?;
            settled::forget(c, district_id).await?;
            Ok(after)
        })
    })
    .await
}

/// Journals the fields an edit changed, `before` and `after` being the record's rows.
async fn updated<T: Reviewed>(
    conn: &mut DbConn,
    by: &Caller,
    district_id: i64,
    before: &T,
    after: &T,
) -> Result<()> {
    let edit = Edit::update(district_id, before, after);
    record_edit(conn, by.key_id, &by.actor, edit).await?;
    Ok(())
}

/// Makes a change and journals `edit` in one transaction, so no change stands without
/// its history entry, nor an entry without its change. `change` runs again when the
/// transaction is retried after a write conflict.
pub(super) async fn write<F>(conn: &mut DbConn, by: &Caller, edit: Edit, change: F) -> Result<()>
where
    F: for<'c> Fn(&'c mut DbConn) -> BoxFuture<'c, Result<()>> + Send + Sync + 'static,
{
    let change = Arc::new(change);
    let (by, edit) = (Arc::new(by.clone()), Arc::new(edit));
    conn.transaction::<_, Error, _>(move |c| {
        let (change, by, edit) = (change.clone(), by.clone(), edit.clone());
        Box::pin(async move {
            change(c).await?;
            record_edit(c, by.key_id, &by.actor, (*edit).clone()).await?;
            settled::forget(c, edit.district_id).await?;
            Ok(())
        })
    })
    .await
}

/// The journal entry of a record made through the API.
pub(super) fn created<T: Reviewed>(district_id: i64, record: &T) -> Edit {
    Edit::create(district_id, record)
}

/// The journal entry of an archive (ABANDON) or a restore of a manual record.
pub(super) fn archived(
    (district_id, kind, record_id): (i64, RecordKind, i64),
    archive: bool,
) -> Edit {
    Edit {
        district_id,
        kind,
        record_id,
        related_id: None,
        action: if archive {
            ChangeAction::Abandon
        } else {
            ChangeAction::Restore
        },
        fields: Vec::new(),
    }
}

/// A membership an edit made or removed: a change of the person, with the other side
/// (a school, class or student) as its one field, as a run journals one.
pub(super) struct Membership<'a> {
    pub district_id: i64,
    /// STUDENT or STAFF for a school, an enrollment kind, or FAMILY_RELATIONSHIP.
    pub kind: RecordKind,
    pub person: i64,
    /// `school`, `class` or `student`.
    pub field: &'static str,
    pub other: i64,
    pub other_source_id: Option<&'a str>,
}

impl Membership<'_> {
    /// The journal entry of the membership made (`added`) or removed.
    pub(super) fn edit(self, added: bool) -> Edit {
        let label = match self.other_source_id {
            Some(s) if !s.is_empty() => s.to_owned(),
            _ => format!("#{}", self.other),
        };
        let (action, old, new) = if added {
            (ChangeAction::Create, String::new(), label)
        } else {
            (ChangeAction::Abandon, label, String::new())
        };
        Edit {
            district_id: self.district_id,
            kind: self.kind,
            record_id: self.person,
            related_id: Some(self.other),
            action,
            fields: vec![FieldChange(self.field.into(), old, new)],
        }
    }
}
