//! Record history (R9.3): what runs and edits changed on a record, and who made them.

use super::{FieldChange, PlannedChangeAction, RecordKind, serialize_time, text, time};
use crate::{Error, pb};
use serde::Serialize;
use std::time::SystemTime;

/// One change in a record's history (see `list_record_history`): the same action and
/// field changes a plan shows, once applied, with what made the change and when.
///
/// A run's change has a `run_id`; an edit through the API has none, and names the key that
/// made it (on a server with keys) and the end user the key acted for, when given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    /// The entry's id.
    pub id: String,
    /// When the change was made.
    #[serde(serialize_with = "serialize_time")]
    pub time: Option<SystemTime>,
    /// The run that made the change; `None` for an edit through the API.
    pub run_id: Option<String>,
    /// The API key that made an edit; `None` for a run, or on a server without keys.
    pub key_id: Option<String>,
    /// The end user the key acted for (`x-roster-actor`), when the caller named one.
    pub actor: Option<String>,
    /// The kind of record changed; for a membership, the person's kind (student, staff or
    /// guardian), since the history is the person's.
    pub record_kind: RecordKind,
    /// The record changed; for a membership, the person.
    pub record_id: String,
    /// What the change did: `Create`, `Update`, `Abandon` (archived, removed,
    /// disconnected), `Restore` or `Move`.
    pub action: PlannedChangeAction,
    /// The fields that changed, with their old and new values. Memberships are fields of
    /// the person: `school`, `class` (an enrollment) or `student` (a family relationship),
    /// named by source id where there is one.
    pub field_changes: Vec<FieldChange>,
}

impl TryFrom<pb::HistoryEntry> for HistoryEntry {
    type Error = Error;

    fn try_from(e: pb::HistoryEntry) -> Result<Self, Error> {
        Ok(HistoryEntry {
            id: e.entry_id,
            time: time(e.time),
            run_id: text(e.run_id),
            key_id: text(e.key_id),
            actor: text(e.actor),
            record_kind: e.record_kind.try_into()?,
            record_id: e.record_id,
            action: e.action.try_into()?,
            field_changes: e.field_changes.into_iter().map(FieldChange::from).collect(),
        })
    }
}
