//! Abandonments (R5): recording what a run abandons, and closing an open abandonment
//! when its record comes back (R5.7).

use super::{Plan, RunContext};
use crate::domain::{AbandonAction, RecordKind, new_id};
use crate::store::models::AbandonedRow;
use foldhash::HashMap;

/// One thing a run abandons.
pub(super) struct Abandoned<'a> {
    pub kind: RecordKind,
    pub record_id: i64,
    /// The other side of a link: the school or class left, the guardian disconnected.
    pub related_id: Option<i64>,
    pub source_id: &'a str,
    pub display_name: String,
    pub school_id: Option<i64>,
    pub action: AbandonAction,
}

impl Plan {
    /// Records one abandonment.
    pub(super) fn abandon(&mut self, ctx: &RunContext, a: Abandoned) {
        self.count(a.kind).abandoned += 1;
        self.abandoned.push(AbandonedRow {
            id: new_id(),
            district_id: ctx.district_id,
            run_id: ctx.run_id,
            record_kind: a.kind,
            record_id: a.record_id,
            related_id: a.related_id,
            source_id: a.source_id.to_owned(),
            display_name: a.display_name,
            school_id: a.school_id,
            action: a.action,
            abandoned_at: ctx.now,
            restored_at: None,
            restore_run_id: None,
        });
    }
}

/// Open abandonments by (kind, record, related), so a comeback can close its own.
pub(super) struct Abandonments<'a> {
    open: HashMap<(RecordKind, i64, Option<i64>), &'a AbandonedRow>,
}

impl<'a> Abandonments<'a> {
    pub fn new(rows: &'a [AbandonedRow]) -> Self {
        Abandonments {
            open: rows
                .iter()
                .map(|r| ((r.record_kind, r.record_id, r.related_id), r))
                .collect(),
        }
    }

    /// Closes the open abandonment of this record, if any; true when one was closed.
    pub fn restore(
        &mut self,
        plan: &mut Plan,
        kind: RecordKind,
        record_id: i64,
        related_id: Option<i64>,
    ) -> bool {
        match self.open.remove(&(kind, record_id, related_id)) {
            Some(row) => {
                plan.restored.push(row.id);
                true
            }
            None => false,
        }
    }

    /// Moves the open abandonments of `kind` to an `Abandonments` of their own, for a step
    /// that plans that kind apart from the others, on another thread.
    pub fn split_off(&mut self, kind: RecordKind) -> Abandonments<'a> {
        Abandonments {
            open: self.open.extract_if(|(k, ..), _| *k == kind).collect(),
        }
    }

    /// Whether an abandonment of this record is already open (so it is not recorded twice).
    pub fn is_open(&self, kind: RecordKind, record_id: i64, related_id: Option<i64>) -> bool {
        self.open.contains_key(&(kind, record_id, related_id))
    }
}

/// A person's name as abandonment records show it.
pub(super) fn full_name(given: &str, family: &str) -> String {
    format!("{given} {family}").trim().to_owned()
}
