//! Record history (R9.3): written beside each change, read per record, newest first.

use super::roster::BATCH;
use crate::domain::{ChangeAction, PageRequest, RecordKind, new_id, now};
use crate::store::fields::{FieldChange, Reviewed, by_id, differences, values};
use crate::store::models::HistoryRow;
use crate::store::schema::{record_history, sync_runs};
use crate::store::{DbConn, StoreError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

type R<T> = Result<T, StoreError>;

/// Writes history rows, many per statement.
pub async fn insert(conn: &mut DbConn, rows: &[HistoryRow]) -> R<()> {
    insert!(conn, rows, record_history);
    Ok(())
}

/// The history of a record (or of the memberships naming it), newest first, before
/// `page.after` (an entry id).
pub async fn list(conn: &mut DbConn, record_id: i64, page: &PageRequest) -> R<Vec<HistoryRow>> {
    let before = page.after.unwrap_or(i64::MAX);
    Ok(with_conn!(conn, c => record_history::table
        .filter(record_history::record_id.eq(record_id).or(record_history::related_id.eq(record_id)))
        .filter(record_history::id.lt(before))
        .order(record_history::id.desc())
        .limit(page.limit())
        .select(HistoryRow::as_select())
        .load(c)
        .await)?)
}

/// Every change of a record's own fields, newest first: what a record was when made is
/// what it is now with these undone.
pub async fn own_changes(conn: &mut DbConn, record_id: i64) -> R<Vec<HistoryRow>> {
    Ok(with_conn!(conn, c => record_history::table
        .filter(record_history::record_id.eq(record_id).and(record_history::related_id.is_null()))
        .order(record_history::id.desc())
        .select(HistoryRow::as_select())
        .load(c)
        .await)?)
}

/// The run of `district` that created sis records at `created_at`: a run writes its
/// records with the time it was claimed (`started_at`).
pub async fn run_started_at(
    conn: &mut DbConn,
    district_id: i64,
    created_at: NaiveDateTime,
) -> R<Option<i64>> {
    Ok(with_conn!(conn, c => sync_runs::table
        .filter(sync_runs::district_id.eq(district_id).and(sync_runs::started_at.eq(created_at)))
        .select(sync_runs::id)
        .first(c)
        .await
        .optional())?)
}

/// What an edit through the API changed, for its journal entry.
#[derive(Debug, Clone)]
pub struct Edit {
    pub district_id: i64,
    pub kind: RecordKind,
    pub record_id: i64,
    /// The other side of a membership the edit changed.
    pub related_id: Option<i64>,
    pub action: ChangeAction,
    pub fields: Vec<FieldChange>,
}

impl Edit {
    /// A record made through the API, its values as the CREATE's new ones.
    pub fn create<T: Reviewed>(district_id: i64, record: &T) -> Edit {
        Edit {
            district_id,
            kind: T::KIND,
            record_id: record.id(),
            related_id: None,
            action: ChangeAction::Create,
            fields: values(record)
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(f, v)| FieldChange(f, String::new(), v))
                .collect(),
        }
    }

    /// The fields of `before` and `after` that differ, as an UPDATE of the record.
    pub fn update<T: Reviewed>(district_id: i64, before: &T, after: &T) -> Edit {
        Edit {
            district_id,
            kind: T::KIND,
            record_id: after.id(),
            related_id: None,
            action: ChangeAction::Update,
            fields: differences(before, after, &by_id),
        }
    }
}

/// Journals an edit made with key `key_id` for `actor` (R9.3), on the edit's own
/// connection. An update that changed nothing leaves no entry.
pub async fn record_edit(conn: &mut DbConn, key_id: Option<i64>, actor: &str, edit: Edit) -> R<()> {
    if edit.fields.is_empty() && edit.action == ChangeAction::Update {
        return Ok(());
    }
    let row = HistoryRow {
        id: new_id(),
        district_id: edit.district_id,
        record_kind: edit.kind,
        record_id: edit.record_id,
        related_id: edit.related_id,
        run_id: None,
        key_id,
        actor: actor.to_owned(),
        action: edit.action,
        fields: FieldChange::to_json(&edit.fields),
        at: now(),
    };
    insert(conn, &[row]).await
}
