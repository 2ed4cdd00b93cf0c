//! A plan as a person reviews it (R9.1): each change with the record it touches and the
//! old and new value of each field, and one digest of the whole. Pure, like the planner.
//!
//! The digest is what makes an approval safe: it covers every change and every stored row
//! a change touches, as they were when the plan was made. An approval plans again from the
//! same snapshot; the same digest means the same changes over the same rows, so exactly
//! the reviewed plan is applied. An edit of a touched record changes the digest (the plan
//! is stale); an edit of any other record does not.
//!
//! New records have no id that lasts (each planning draws new ones), so a change refers to
//! other records by source id, and leaves record and school ids empty for new ones.

use super::Plan;
use crate::domain::{ChangeAction, RecordKind};
use crate::store::fields::{FieldChange, Reviewed, differences};
use crate::store::models::*;
use crate::store::{Rows, State};
use foldhash::{HashMap, HashMapExt, HashSet};
use sha2::{Digest, Sha256};

/// One change of a plan. Ordered for listing: by kind, then source id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub kind: RecordKind,
    pub source_id: String,
    pub action: ChangeAction,
    /// The stored record (for a membership, the person); None for a new one.
    pub record_id: Option<i64>,
    pub fields: Vec<FieldChange>,
    pub display_name: String,
    /// The school concerned, when there is one and it is stored.
    pub school_id: Option<i64>,
    /// The record's id (for a membership, the person's), new ones included: the journal
    /// (R9.3) files the change under it once applied. Not part of the digest.
    pub id: i64,
    /// For a membership, the other side's id (school, class or student).
    pub related_id: Option<i64>,
}

/// A plan's changes in listing order, and its digest (hex SHA-256).
pub fn review(plan: &Plan, state: &State) -> (Vec<Change>, String) {
    let names = Names::new(plan, state);
    let mut changes = list(plan, state, &names);
    changes.sort();
    let digest = digest(&changes, &names);
    (changes, digest)
}

/// The plan's changes to records stored before it (the history a run journals, R9.3),
/// in no order; new records and their memberships are left out, never even listed.
pub fn of_stored(plan: &Plan, state: &State) -> Vec<Change> {
    // A first sync: every record is new, and naming them all only to list nothing took a
    // quarter of a second per 100k students.
    let stored_nothing = state.schools.is_empty()
        && state.students.is_empty()
        && state.guardians.is_empty()
        && state.staff.is_empty()
        && state.classes.is_empty();
    if stored_nothing {
        return Vec::new();
    }
    let mut names = Names::new(plan, state);
    names.only_stored = true;
    list(plan, state, &names)
}

fn list(plan: &Plan, state: &State, names: &Names) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut creates = Creates::new();
    rows(
        &plan.schools,
        &state.schools,
        names,
        &mut changes,
        &mut creates,
    );
    rows(
        &plan.students,
        &state.students,
        names,
        &mut changes,
        &mut creates,
    );
    rows(
        &plan.guardians,
        &state.guardians,
        names,
        &mut changes,
        &mut creates,
    );
    rows(&plan.staff, &state.staff, names, &mut changes, &mut creates);
    rows(
        &plan.classes,
        &state.classes,
        names,
        &mut changes,
        &mut creates,
    );
    let d = &plan.deleted;
    deleted(&d.schools, &state.schools, names, &mut changes);
    deleted(&d.students, &state.students, names, &mut changes);
    deleted(&d.guardians, &state.guardians, names, &mut changes);
    deleted(&d.staff, &state.staff, names, &mut changes);
    deleted(&d.classes, &state.classes, names, &mut changes);
    schools(
        RecordKind::Student,
        plan.add_school_students.iter().map(Membership::key),
        &plan.remove_school_students,
        names,
        (&mut changes, &creates),
    );
    schools(
        RecordKind::Staff,
        plan.add_school_staff.iter().map(Membership::key),
        &plan.remove_school_staff,
        names,
        (&mut changes, &creates),
    );
    let member = Member {
        kind: RecordKind::StudentEnrollment,
        person: RecordKind::Student,
        other: RecordKind::Class,
        field: "class",
    };
    member.list(
        plan.add_class_students.iter().map(Membership::key),
        &plan.remove_class_students,
        names,
        &mut changes,
    );
    let member = Member {
        kind: RecordKind::TeacherEnrollment,
        person: RecordKind::Staff,
        ..member
    };
    member.list(
        plan.add_class_teachers.iter().map(Membership::key),
        &plan.remove_class_teachers,
        names,
        &mut changes,
    );
    // A link is (student, guardian): the guardian is the person, the student the field.
    let member = Member {
        kind: RecordKind::FamilyRelationship,
        person: RecordKind::Guardian,
        other: RecordKind::Student,
        field: "student",
    };
    member.list(
        plan.add_links.iter().map(Membership::key),
        &plan.remove_links,
        names,
        &mut changes,
    );
    changes
}

/// The digest of the changes and of the stored rows they touch.
fn digest(changes: &[Change], names: &Names) -> String {
    let mut hash = Sha256::new();
    for c in changes {
        let line = serde_json::json!([
            c.kind,
            c.source_id,
            c.action,
            c.record_id,
            c.fields,
            c.display_name,
            c.school_id
        ]);
        hash.update(line.to_string());
        hash.update(b"\n");
        let person = match c.kind {
            RecordKind::StudentEnrollment => RecordKind::Student,
            RecordKind::TeacherEnrollment => RecordKind::Staff,
            RecordKind::FamilyRelationship => RecordKind::Guardian,
            kind => kind,
        };
        if let Some(row) = c.record_id.and_then(|id| names.stored.get(&(person, id))) {
            hash.update(format!("{row:?}"));
            hash.update(b"\n");
        }
    }
    crate::domain::hex(&hash.finalize())
}

/// What a change says of the records it names: label (source id, or `#id` for a record
/// without one), display name, school, and the stored row as text for the digest.
pub(crate) struct Names<'a> {
    labels: HashMap<(RecordKind, i64), (String, String, Option<i64>)>,
    /// Stored rows by kind and id; the digest reads a touched one's debug text: every
    /// column, `updated_at` included, so any edit of the row shows.
    stored: HashMap<(RecordKind, i64), &'a dyn std::fmt::Debug>,
    /// List only changes of stored records (and of stored people's memberships).
    only_stored: bool,
}

impl<'a> Names<'a> {
    /// Names of nothing: references show as `#id`.
    fn none() -> Self {
        Names {
            labels: HashMap::new(),
            stored: HashMap::new(),
            only_stored: false,
        }
    }

    /// Names of the records the plan touches (and of every school, which fields name):
    /// a plan that changes a few records of a big district names only those.
    fn new(plan: &'a Plan, state: &'a State) -> Self {
        let touched = Touched::of(plan);
        let mut names = Names::none();
        names.add(state.schools.iter(), true);
        names.add(touched.stored(&state.students), true);
        names.add(touched.stored(&state.guardians), true);
        names.add(touched.stored(&state.staff), true);
        names.add(touched.stored(&state.classes), true);
        names.add(&plan.schools.new, false);
        names.add(&plan.students.new, false);
        names.add(&plan.guardians.new, false);
        names.add(&plan.staff.new, false);
        names.add(&plan.classes.new, false);
        names
    }

    fn add<T: Reviewed + 'a>(&mut self, rows: impl IntoIterator<Item = &'a T>, stored: bool) {
        for row in rows {
            let key = (T::KIND, row.id());
            self.labels.insert(
                key,
                (
                    label(row.source_id(), row.id()),
                    row.display_name(),
                    row.school(),
                ),
            );
            if stored {
                self.stored.insert(key, row);
            }
        }
    }

    /// Schools by label, as record fields name them.
    fn schools(&self) -> impl Fn(i64) -> String + '_ {
        |id| self.label(RecordKind::School, id)
    }

    fn label(&self, kind: RecordKind, id: i64) -> String {
        self.labels
            .get(&(kind, id))
            .map_or_else(|| format!("#{id}"), |(l, _, _)| l.clone())
    }

    fn name(&self, kind: RecordKind, id: i64) -> String {
        self.labels
            .get(&(kind, id))
            .map(|(_, n, _)| n.clone())
            .unwrap_or_default()
    }

    /// The id, when the record is stored (a new one's id does not last).
    fn stored_id(&self, kind: RecordKind, id: i64) -> Option<i64> {
        self.stored.contains_key(&(kind, id)).then_some(id)
    }

    fn school_of(&self, kind: RecordKind, id: i64) -> Option<i64> {
        let school = self.labels.get(&(kind, id))?.2?;
        self.stored_id(RecordKind::School, school)
    }
}

/// The stored records a plan touches, by kind and id: its rows, its deletions, and both
/// sides of each membership it adds or removes.
struct Touched(HashSet<(RecordKind, i64)>);

impl Touched {
    fn of(plan: &Plan) -> Touched {
        use RecordKind::{Class, Guardian, Staff, Student};
        let mut t = HashSet::default();
        let mut mark = |kind: RecordKind, id: i64| {
            t.insert((kind, id));
        };
        let d = &plan.deleted;
        plan.students.iter().for_each(|r| mark(Student, r.id));
        plan.guardians.iter().for_each(|r| mark(Guardian, r.id));
        plan.staff.iter().for_each(|r| mark(Staff, r.id));
        plan.classes.iter().for_each(|r| mark(Class, r.id));
        d.students.iter().for_each(|&id| mark(Student, id));
        d.guardians.iter().for_each(|&id| mark(Guardian, id));
        d.staff.iter().for_each(|&id| mark(Staff, id));
        d.classes.iter().for_each(|&id| mark(Class, id));
        for (_, s) in sides(&plan.add_school_students, &plan.remove_school_students) {
            mark(Student, s);
        }
        for (_, s) in sides(&plan.add_school_staff, &plan.remove_school_staff) {
            mark(Staff, s);
        }
        for (c, s) in sides(&plan.add_class_students, &plan.remove_class_students) {
            mark(Class, c);
            mark(Student, s);
        }
        for (c, s) in sides(&plan.add_class_teachers, &plan.remove_class_teachers) {
            mark(Class, c);
            mark(Staff, s);
        }
        for (s, g) in sides(&plan.add_links, &plan.remove_links) {
            mark(Student, s);
            mark(Guardian, g);
        }
        Touched(t)
    }

    /// The rows of `stored` the plan touches.
    fn stored<'r, T: Reviewed>(&self, stored: &'r [T]) -> Vec<&'r T> {
        stored
            .iter()
            .filter(|r| self.0.contains(&(T::KIND, r.id())))
            .collect()
    }
}

/// The keys of the memberships a plan adds, then of those it removes.
fn sides<'a, T: Membership>(
    added: &'a [T],
    removed: &'a [(i64, i64)],
) -> impl Iterator<Item = (i64, i64)> + 'a {
    added.iter().map(T::key).chain(removed.iter().copied())
}

fn label(source_id: Option<&str>, id: i64) -> String {
    match source_id {
        Some(s) if !s.is_empty() => s.to_owned(),
        _ => format!("#{id}"),
    }
}

/// Where the create of each new record is in the list, so its school can join it.
type Creates = HashMap<(RecordKind, i64), usize>;

/// Creates, updates, archives and restores of one kind of record.
fn rows<T: Reviewed>(
    rows: &Rows<T>,
    stored: &[T],
    names: &Names,
    out: &mut Vec<Change>,
    creates: &mut Creates,
) {
    let stored: HashMap<i64, &T> = stored.iter().map(|r| (r.id(), r)).collect();
    let change = |row: &T, action, record_id, fields| Change {
        kind: T::KIND,
        source_id: label(row.source_id(), row.id()),
        action,
        record_id,
        fields,
        display_name: row.display_name(),
        school_id: row
            .school()
            .and_then(|s| names.stored_id(RecordKind::School, s)),
        id: row.id(),
        related_id: None,
    };
    for row in rows.new.iter().filter(|_| !names.only_stored) {
        let fields = row
            .fields(&names.schools())
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(f, v)| FieldChange(f.into(), String::new(), v))
            .collect();
        creates.insert((T::KIND, row.id()), out.len());
        out.push(change(row, ChangeAction::Create, None, fields));
    }
    for row in &rows.changed {
        let Some(old) = stored.get(&row.id()) else {
            continue;
        };
        let fields = differences(*old, row, &names.schools());
        let action = match (old.archived(), row.archived()) {
            (false, true) => ChangeAction::Abandon,
            (true, false) => ChangeAction::Restore,
            _ if fields.is_empty() => continue,
            _ => ChangeAction::Update,
        };
        out.push(change(row, action, Some(row.id()), fields));
    }
}

/// Records a revert deletes (R9.2): each an abandonment, its fields emptied.
fn deleted<T: Reviewed>(ids: &[i64], stored: &[T], names: &Names, out: &mut Vec<Change>) {
    if ids.is_empty() {
        return;
    }
    let ids: HashSet<i64> = ids.iter().copied().collect();
    for row in stored.iter().filter(|r| ids.contains(&r.id())) {
        let fields = row
            .fields(&names.schools())
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(f, v)| FieldChange(f.into(), v, String::new()))
            .collect();
        out.push(Change {
            kind: T::KIND,
            source_id: label(row.source_id(), row.id()),
            action: ChangeAction::Abandon,
            record_id: Some(row.id()),
            fields,
            display_name: row.display_name(),
            school_id: row
                .school()
                .and_then(|s| names.stored_id(RecordKind::School, s)),
            id: row.id(),
            related_id: None,
        });
    }
}

/// School memberships of students or staff, as changes of the person: a school left for
/// another is a move (R5.8), a school joined an update (or part of the person's create),
/// a school left without another a removal (R5.2).
fn schools(
    kind: RecordKind,
    added: impl Iterator<Item = (i64, i64)>,
    removed: &[(i64, i64)],
    names: &Names,
    (out, creates): (&mut Vec<Change>, &Creates),
) {
    let mut joins: HashMap<i64, Vec<i64>> = HashMap::new();
    for (school, person) in added {
        joins.entry(person).or_default().push(school);
    }
    let mut leaves: HashMap<i64, Vec<i64>> = HashMap::new();
    for &(school, person) in removed {
        leaves.entry(person).or_default().push(school);
    }
    let school = |id: i64| names.label(RecordKind::School, id);
    let people: HashSet<i64> = joins.keys().chain(leaves.keys()).copied().collect();
    for person in people {
        let mut joined = joins.remove(&person).unwrap_or_default();
        let mut left = leaves.remove(&person).unwrap_or_default();
        joined.sort_by_key(|&s| school(s));
        left.sort_by_key(|&s| school(s));
        let record_id = names.stored_id(kind, person);
        if names.only_stored && record_id.is_none() {
            continue;
        }
        let change = |action, at: i64, old: String, new: String| Change {
            kind,
            source_id: names.label(kind, person),
            action,
            record_id,
            fields: vec![FieldChange("school".into(), old, new)],
            display_name: names.name(kind, person),
            school_id: names.stored_id(RecordKind::School, at),
            id: person,
            related_id: Some(at),
        };
        let moves = joined.len().min(left.len());
        for (&from, &to) in left.iter().zip(&joined) {
            out.push(change(ChangeAction::Move, to, school(from), school(to)));
        }
        for &to in &joined[moves..] {
            // A new person: the school belongs in its create.
            if let Some(&at) = creates.get(&(kind, person)) {
                let create = &mut out[at];
                create
                    .fields
                    .push(FieldChange("school".into(), String::new(), school(to)));
                create.school_id = create.school_id.or(names.stored_id(RecordKind::School, to));
                continue;
            }
            out.push(change(ChangeAction::Update, to, String::new(), school(to)));
        }
        for &from in &left[moves..] {
            out.push(change(
                ChangeAction::Abandon,
                from,
                school(from),
                String::new(),
            ));
        }
    }
}

/// A kind of membership: class enrollments and family relationships, each a change of
/// its own with the other side as its one field.
#[derive(Clone, Copy)]
struct Member {
    kind: RecordKind,
    person: RecordKind,
    other: RecordKind,
    field: &'static str,
}

impl Member {
    /// `added` and `removed` as (other side, person) pairs.
    fn list(
        self,
        added: impl Iterator<Item = (i64, i64)>,
        removed: &[(i64, i64)],
        names: &Names,
        out: &mut Vec<Change>,
    ) {
        let change = |action, other: i64, person: i64, old: String, new: String| Change {
            kind: self.kind,
            source_id: names.label(self.person, person),
            action,
            record_id: names.stored_id(self.person, person),
            fields: vec![FieldChange(self.field.into(), old, new)],
            display_name: names.name(self.person, person),
            school_id: names.school_of(self.other, other),
            id: person,
            related_id: Some(other),
        };
        let listed =
            |person: i64| !names.only_stored || names.stored_id(self.person, person).is_some();
        for (other, person) in added.filter(|&(_, person)| listed(person)) {
            let label = names.label(self.other, other);
            out.push(change(
                ChangeAction::Create,
                other,
                person,
                String::new(),
                label,
            ));
        }
        for &(other, person) in removed.iter().filter(|&&(_, person)| listed(person)) {
            let label = names.label(self.other, other);
            out.push(change(
                ChangeAction::Abandon,
                other,
                person,
                label,
                String::new(),
            ));
        }
    }
}
