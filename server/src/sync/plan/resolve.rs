//! Which product record each source id stands for, and which source ids could not be
//! read this time (R3.3).

use crate::domain::{Origin, RecordKind, Severity, SourceId};
use crate::snapshot::{Coverage, Issue, Snapshot};
use crate::store::State;
use crate::store::models::{Class, Guardian, School, Staff, Student};
use foldhash::{HashMap, HashSet};

/// What the planner needs of any stored record to match it to a source record.
pub(super) trait Stored {
    fn id(&self) -> i64;
    fn source_id(&self) -> Option<&str>;
    fn origin(&self) -> Origin;
}

macro_rules! stored {
    ($($row:ty),+) => {$(
        impl Stored for $row {
            fn id(&self) -> i64 {
                self.id
            }
            fn source_id(&self) -> Option<&str> {
                self.source_id.as_deref()
            }
            fn origin(&self) -> Origin {
                self.origin
            }
        }
    )+};
}

stored!(School, Student, Guardian, Staff, Class);

/// A stored person, named as abandonment records show people.
pub(super) trait Person: Stored {
    fn display_name(&self) -> String;
}

macro_rules! person {
    ($($row:ty),+) => {$(
        impl Person for $row {
            fn display_name(&self) -> String {
                super::abandon::full_name(&self.given_name, &self.family_name)
            }
        }
    )+};
}

person!(Student, Guardian, Staff);

/// The stored sis records by source id.
pub(super) fn sis_by_source<T: Stored>(rows: &[T]) -> HashMap<&str, &T> {
    rows.iter()
        .filter(|r| r.origin() == Origin::Sis)
        .filter_map(|r| r.source_id().map(|s| (s, r)))
        .collect()
}

/// Whether a stored record is gone from the source: listed as deleted, or missing from a
/// source that lists every record of its kind. A record whose row was unreadable this
/// time (skipped with an issue, R3.3) is not gone: it stays as stored until a source
/// lists it readably or leaves it out.
pub(super) fn gone(coverage: Coverage, present: bool, deleted: bool, unreadable: bool) -> bool {
    !present && !unreadable && (deleted || coverage == Coverage::Bulk)
}

/// Source ids of rows the source has but could not be read (skipped with an error
/// issue, R3.3): such a record is neither present nor gone, so nothing of it changes.
#[derive(Debug, Default)]
pub(super) struct Unreadable {
    pub users: HashSet<String>,
    pub classes: HashSet<String>,
    pub enrollments: HashSet<String>,
}

impl Unreadable {
    fn from_issues(issues: &[Issue]) -> Self {
        let mut u = Unreadable::default();
        for issue in issues
            .iter()
            .filter(|i| i.severity == Severity::Error && !i.source_id.is_empty())
        {
            let set = match issue.record_kind {
                RecordKind::Student | RecordKind::Guardian | RecordKind::Staff => &mut u.users,
                RecordKind::Class => &mut u.classes,
                RecordKind::StudentEnrollment | RecordKind::TeacherEnrollment => &mut u.enrollments,
                RecordKind::School | RecordKind::FamilyRelationship => continue,
            };
            set.insert(issue.source_id.clone());
        }
        u
    }
}

/// Source id -> product id of the records present in the source, by kind.
#[derive(Debug, Default)]
pub(super) struct Resolved {
    pub unreadable: Unreadable,
    pub schools: HashMap<SourceId, i64>,
    pub students: HashMap<SourceId, i64>,
    pub guardians: HashMap<SourceId, i64>,
    pub staff: HashMap<SourceId, i64>,
    pub classes: HashMap<SourceId, i64>,
}

impl Resolved {
    pub fn new(issues: &[Issue]) -> Self {
        Resolved {
            unreadable: Unreadable::from_issues(issues),
            ..Resolved::default()
        }
    }

    /// A source that does not list every record of a kind (delta or absent) still refers
    /// to stored ones: they resolve too, unless the source deleted them. Schools first
    /// (classes need them); the rest once the listed records were planned, since those
    /// steps tell listed records from missing ones.
    pub fn add_unlisted_schools(&mut self, state: &State, snap: &Snapshot) {
        add_unlisted(
            &mut self.schools,
            snap.orgs,
            &snap.deleted.schools,
            &state.schools,
        );
    }

    pub fn add_unlisted(&mut self, state: &State, snap: &Snapshot) {
        let d = &snap.deleted;
        add_unlisted(
            &mut self.classes,
            snap.class_coverage,
            &d.classes,
            &state.classes,
        );
        add_unlisted(&mut self.students, snap.users, &d.users, &state.students);
        add_unlisted(&mut self.guardians, snap.users, &d.users, &state.guardians);
        add_unlisted(&mut self.staff, snap.users, &d.users, &state.staff);
    }

    /// Whether a stored person (student or staff member) is gone from the source.
    pub fn person_gone(
        &self,
        snap: &Snapshot,
        source_id: Option<&str>,
        present: &HashMap<SourceId, i64>,
    ) -> bool {
        match source_id {
            Some(sid) => gone(
                snap.users,
                present.contains_key(sid),
                snap.deleted.users.contains(sid),
                self.unreadable.users.contains(sid),
            ),
            None => false,
        }
    }
}

fn add_unlisted<T: Stored>(
    map: &mut HashMap<SourceId, i64>,
    coverage: Coverage,
    deleted: &HashSet<String>,
    rows: &[T],
) {
    if coverage == Coverage::Bulk {
        return;
    }
    for row in rows.iter().filter(|r| r.origin() == Origin::Sis) {
        if let Some(sid) = row.source_id().filter(|s| !deleted.contains(*s)) {
            map.entry(SourceId::new(sid)).or_insert(row.id());
        }
    }
}

/// Source ids stored for a kind that the source does not list whole: a delta or absent
/// source may refer to them without listing them again.
pub(super) fn unlisted_ids<T: Stored>(coverage: Coverage, rows: &[T]) -> Vec<String> {
    if coverage == Coverage::Bulk {
        return Vec::new();
    }
    rows.iter()
        .filter_map(|r| r.source_id().map(str::to_owned))
        .collect()
}
