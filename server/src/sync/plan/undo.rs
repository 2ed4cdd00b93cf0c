//! A run's undo log (R9.2): every row the run writes, as it was before and as the run
//! wrote it, so a revert can put the district back exactly (ids and timestamps included)
//! and can tell a row edited since (kept) from one left as the run wrote it (restored).
//! Made from the plan and the state it was planned against, kept by the apply in its own
//! transaction. Rows are borrowed while the log is packed (a first sync's log holds most
//! of a district), owned once read back.

use super::Plan;
use crate::store::models::*;
use crate::store::{State, packed};
use chrono::NaiveDateTime;
use foldhash::{HashMap, HashMapExt, HashSet};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::hash::Hash;

/// A time as the log keeps it: microseconds since the epoch.
pub fn micros(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp_micros()
}

/// The rows of one record table a run wrote.
#[derive(Debug, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Clone + Deserialize<'de>"))]
pub struct Written<'a, T: Clone> {
    /// Inserted: each id, with the `updated_at` it was inserted with (a row that still
    /// has it was not touched since). Not whole rows: a first sync inserts most of a
    /// district, and the log must stay small there.
    pub created: Vec<(i64, i64)>,
    /// Updated: (before, after).
    pub changed: Vec<(Cow<'a, T>, Cow<'a, T>)>,
    /// Deleted (by a revert), as they were.
    pub deleted: Vec<Cow<'a, T>>,
}

impl<T: Clone> Default for Written<'_, T> {
    fn default() -> Self {
        Written {
            created: Vec::new(),
            changed: Vec::new(),
            deleted: Vec::new(),
        }
    }
}

/// The rows of one membership table a run wrote.
#[derive(Debug, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Clone + Deserialize<'de>"))]
pub struct Linked<'a, T: Clone> {
    /// Inserted: each key, with the `created_at` it was inserted with (micros).
    pub added: Vec<(i64, i64, i64)>,
    /// Deleted, as they were.
    pub removed: Vec<Cow<'a, T>>,
}

impl<T: Clone> Default for Linked<'_, T> {
    fn default() -> Self {
        Linked {
            added: Vec::new(),
            removed: Vec::new(),
        }
    }
}

/// Everything a run wrote to the roster.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Undo<'a> {
    pub run_id: i64,
    /// The time the run stamped its rows with.
    pub at: NaiveDateTime,
    pub schools: Written<'a, School>,
    pub students: Written<'a, Student>,
    pub guardians: Written<'a, Guardian>,
    pub staff: Written<'a, Staff>,
    pub classes: Written<'a, Class>,
    pub school_students: Linked<'a, SchoolStudent>,
    pub school_staff: Linked<'a, SchoolStaff>,
    pub class_students: Linked<'a, ClassStudent>,
    pub class_teachers: Linked<'a, ClassTeacher>,
    pub links: Linked<'a, FamilyLink>,
    /// Abandonment records the run opened.
    pub opened: Vec<i64>,
    /// Abandonment records the run closed (a restore, R5.7; a revert).
    pub closed: Vec<i64>,
    /// Abandonment records the run opened again (a revert of a run that closed them).
    pub reopened: Vec<i64>,
}

/// A table's rows by key.
pub(super) fn by_key<T, K: Eq + Hash>(rows: &[T], key: impl Fn(&T) -> K) -> HashMap<K, &T> {
    let mut map = HashMap::with_capacity(rows.len());
    for row in rows {
        map.insert(key(row), row);
    }
    map
}

fn written<'a, T: Clone>(
    new: &'a [T],
    changed: &'a [T],
    deleted: &[i64],
    stored: &'a [T],
    stamp: impl Fn(&T) -> (i64, NaiveDateTime) + Copy,
) -> Written<'a, T> {
    let id = move |row: &T| stamp(row).0;
    let created = new
        .iter()
        .map(|row| {
            let (id, at) = stamp(row);
            (id, micros(at))
        })
        .collect();
    if changed.is_empty() && deleted.is_empty() {
        return Written {
            created,
            ..Written::default()
        };
    }
    let stored = by_key(stored, id);
    Written {
        created,
        changed: changed
            .iter()
            .filter_map(|after| {
                let before = stored.get(&id(after))?;
                Some((Cow::Borrowed(*before), Cow::Borrowed(after)))
            })
            .collect(),
        deleted: deleted
            .iter()
            .filter_map(|i| stored.get(i).map(|row| Cow::Borrowed(*row)))
            .collect(),
    }
}

fn linked<'a, T: Clone + Membership>(
    added: &'a [T],
    removed: &[(i64, i64)],
    stored: &'a [T],
) -> Linked<'a, T> {
    let removed: Vec<Cow<'a, T>> = if removed.is_empty() {
        Vec::new()
    } else {
        let keys: HashSet<(i64, i64)> = removed.iter().copied().collect();
        stored
            .iter()
            .filter(|row| keys.contains(&row.key()))
            .map(Cow::Borrowed)
            .collect()
    };
    Linked {
        added: added
            .iter()
            .map(|row| {
                let (a, b) = row.key();
                (a, b, micros(row.created_at()))
            })
            .collect(),
        removed,
    }
}

impl<'a> Undo<'a> {
    /// The log of applying `plan` to `state`, stamped `at`.
    pub fn of(plan: &'a Plan, state: &'a State, run_id: i64, at: NaiveDateTime) -> Undo<'a> {
        let d = &plan.deleted;
        Undo {
            run_id,
            at,
            schools: written(
                &plan.schools.new,
                &plan.schools.changed,
                &d.schools,
                &state.schools,
                |r| (r.id, r.updated_at),
            ),
            students: written(
                &plan.students.new,
                &plan.students.changed,
                &d.students,
                &state.students,
                |r| (r.id, r.updated_at),
            ),
            guardians: written(
                &plan.guardians.new,
                &plan.guardians.changed,
                &d.guardians,
                &state.guardians,
                |r| (r.id, r.updated_at),
            ),
            staff: written(
                &plan.staff.new,
                &plan.staff.changed,
                &d.staff,
                &state.staff,
                |r| (r.id, r.updated_at),
            ),
            classes: written(
                &plan.classes.new,
                &plan.classes.changed,
                &d.classes,
                &state.classes,
                |r| (r.id, r.updated_at),
            ),
            school_students: linked(
                &plan.add_school_students,
                &plan.remove_school_students,
                &state.school_students,
            ),
            school_staff: linked(
                &plan.add_school_staff,
                &plan.remove_school_staff,
                &state.school_staff,
            ),
            class_students: linked(
                &plan.add_class_students,
                &plan.remove_class_students,
                &state.class_students,
            ),
            class_teachers: linked(
                &plan.add_class_teachers,
                &plan.remove_class_teachers,
                &state.class_teachers,
            ),
            links: linked(&plan.add_links, &plan.remove_links, &state.links),
            opened: plan.abandoned.iter().map(|a| a.id).collect(),
            closed: plan.restored.clone(),
            reopened: plan.reopened.clone(),
        }
    }

    pub fn pack(&self) -> Result<Vec<u8>, String> {
        packed::pack(self, "undo log")
    }
}

impl Undo<'static> {
    pub fn unpack(bytes: &[u8]) -> Result<Undo<'static>, String> {
        packed::unpack(bytes, "undo log")
    }
}
