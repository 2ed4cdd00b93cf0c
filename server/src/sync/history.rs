//! Record history (R9.3). A run journals each change to a stored record, old and new
//! values, in its apply's own transaction; an edit through the API journals itself with
//! the key and the end user it acted for. A record a run created is not journalled field
//! by field (a first sync creates most of a district, and the journal must not double its
//! cost): the run is the one that started at the record's `created_at`, and the values it
//! gave are today's with the journalled changes since undone.

use super::plan::changes::Change;
use crate::domain::{ChangeAction, Origin, Page, PageRequest, Result, new_id};
use crate::store::fields::{self, FieldChange, Reviewed};
use crate::store::models::HistoryRow;
use crate::store::queries::{directory, history as q};
use crate::store::{DbConn, Store};
use chrono::NaiveDateTime;

/// A history entry with its field changes read.
#[derive(Debug, Clone)]
pub struct Entry {
    pub row: HistoryRow,
    pub fields: Vec<FieldChange>,
}

/// The journal of a run's changes to records stored before it.
pub fn journal(
    changes: &[Change],
    district_id: i64,
    run_id: i64,
    at: NaiveDateTime,
) -> Vec<HistoryRow> {
    changes
        .iter()
        .filter(|c| c.record_id.is_some())
        .map(|c| HistoryRow {
            id: new_id(),
            district_id,
            record_kind: c.kind,
            record_id: c.id,
            related_id: c.related_id,
            run_id: Some(run_id),
            key_id: None,
            actor: String::new(),
            action: c.action,
            fields: FieldChange::to_json(&c.fields),
            at,
        })
        .collect()
}

/// A record's history, newest first; the last page ends with its creation by a run.
pub async fn list(store: &Store, record_id: i64, page: PageRequest) -> Result<Page<Entry>> {
    let mut conn = store.conn().await?;
    let rows = q::list(&mut conn, record_id, &page).await?;
    let last_page = rows.len() as i64 <= page.size;
    let mut entries: Vec<Entry> = rows.into_iter().map(entry).collect();
    if last_page && let Some(created) = created_by_run(&mut conn, record_id).await? {
        entries.push(created);
    }
    Ok(page.finish(entries, |e| e.row.id))
}

fn entry(row: HistoryRow) -> Entry {
    let fields = FieldChange::from_json(&row.fields);
    Entry { row, fields }
}

/// The creation of a sis record by a run, if the run is known: the values it gave are
/// the record's own now, with every journalled change since undone.
async fn created_by_run(conn: &mut DbConn, record_id: i64) -> Result<Option<Entry>> {
    let found = match directory::get_student(conn, record_id).await? {
        Some(r) => Some(created(&r, r.origin, r.district_id, r.created_at)),
        None => match directory::get_guardian(conn, record_id).await? {
            Some(r) => Some(created(&r, r.origin, r.district_id, r.created_at)),
            None => match directory::get_staff(conn, record_id).await? {
                Some(r) => Some(created(&r, r.origin, r.district_id, r.created_at)),
                None => directory::get_class(conn, record_id)
                    .await?
                    .map(|r| created(&r, r.origin, r.district_id, r.created_at)),
            },
        },
    };
    let Some(Some((mut row, now_values))) = found else {
        return Ok(None);
    };
    let Some(run_id) = q::run_started_at(conn, row.district_id, row.at).await? else {
        return Ok(None);
    };
    row.run_id = Some(run_id);
    let mut values: Vec<(String, String)> = now_values;
    for change in q::own_changes(conn, record_id).await? {
        let fields = FieldChange::from_json(&change.fields);
        for FieldChange(field, old, _) in fields {
            if let Some(v) = values.iter_mut().find(|(f, _)| *f == field) {
                v.1 = old;
            }
        }
    }
    let fields: Vec<FieldChange> = values
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(f, v)| FieldChange(f, String::new(), v))
        .collect();
    row.fields = FieldChange::to_json(&fields);
    Ok(Some(Entry { row, fields }))
}

/// The creation entry of a sis record, before its run is looked up, with the record's
/// values now; None for a manual record (its creation is journalled as an edit).
fn created<T: Reviewed>(
    record: &T,
    origin: Origin,
    district_id: i64,
    created_at: NaiveDateTime,
) -> Option<(HistoryRow, Vec<(String, String)>)> {
    if origin != Origin::Sis {
        return None;
    }
    let row = HistoryRow {
        // Older than every entry after it, so paging past it ends the list.
        id: 0,
        district_id,
        record_kind: T::KIND,
        record_id: record.id(),
        related_id: None,
        run_id: None,
        key_id: None,
        actor: String::new(),
        action: ChangeAction::Create,
        fields: String::new(),
        at: created_at,
    };
    let values = fields::values(record);
    Some((row, values))
}
