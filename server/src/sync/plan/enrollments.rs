//! Class enrollments (R2.5) of students (R5.5) and teachers (R5.4, R5.2): one diff for
//! both sides. Without an enrollments file nothing is listed: only people gone from the
//! source leave their classes. Archived classrooms keep their members (R5.3).

use super::abandon::{Abandoned, Abandonments};
use super::resolve::Person;
use super::{Plan, Step};
use crate::domain::{AbandonAction, Origin, RecordKind, SourceId};
use crate::snapshot::{Coverage, SnapEnrollment};
use crate::store::models::{ClassStudent, ClassTeacher};
use foldhash::{HashMap, HashMapExt, HashSet};
use std::cell::OnceCell;

/// A stored class membership of either side, as the diff needs it.
struct Membership<'a> {
    class_id: i64,
    person_id: i64,
    source_id: Option<&'a str>,
    origin: Origin,
}

/// One side of class membership: students or teachers, with `L` its stored membership
/// rows and `P` its stored people. Both are borrowed, never copied: a district holds
/// several memberships per student, and a copy of each (or a name made for every person
/// when only those who leave a class need one) cost hundreds of megabytes at a million
/// students.
struct Side<'a, L, P> {
    kind: RecordKind,
    listed: &'a [SnapEnrollment],
    /// Present people of the side, by source id.
    people: &'a HashMap<SourceId, i64>,
    /// Stored memberships of any origin: a manual one is never added again.
    stored: &'a [L],
    /// Stored people of the side.
    persons: &'a [P],
    /// The same by id, made for the first stored membership the source no longer lists:
    /// a resync has few or none.
    by_id: OnceCell<HashMap<i64, &'a P>>,
}

/// Whether a stored membership the source no longer lists goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Removal {
    Keep,
    /// Removed, unless its class is archived (R5.3: an archived class keeps its members).
    Remove,
    /// Removed even from an archived class: staff gone from the source leave every
    /// classroom (R5.2).
    EvenArchived,
}

/// What a side's diff asks for: (class, person, enrollment source id) to add, pairs to remove.
type Changes = (Vec<(i64, i64, Option<SourceId>)>, Vec<(i64, i64)>);

/// What both sides share: the classes' schools, which classes are archived or were
/// unreadable, and which memberships the family step already removed.
struct Classes {
    school: HashMap<i64, i64>,
    archived: HashSet<i64>,
    unreadable: HashSet<i64>,
    already_removed: HashSet<(i64, i64)>,
    /// The enrollments file lists every enrollment.
    full: bool,
}

impl Classes {
    fn new(step: &Step, plan: &Plan) -> Self {
        let state = step.state;
        let replanned: HashSet<i64> = plan.classes.iter().map(|c| c.id).collect();
        Classes {
            school: state
                .classes
                .iter()
                .chain(plan.classes.iter())
                .map(|c| (c.id, c.school_id))
                .collect(),
            archived: plan
                .classes
                .iter()
                .chain(state.classes.iter().filter(|c| !replanned.contains(&c.id)))
                .filter(|c| c.archived_at.is_some())
                .map(|c| c.id)
                .collect(),
            unreadable: state
                .classes
                .iter()
                .filter(|c| {
                    c.source_id
                        .as_ref()
                        .is_some_and(|s| step.resolved.unreadable.classes.contains(s))
                })
                .map(|c| c.id)
                .collect(),
            already_removed: plan.remove_class_students.iter().copied().collect(),
            full: step.snap.enrollments == Coverage::Bulk,
        }
    }

    /// A membership whose class or enrollment row was unreadable this time stays (R3.3),
    /// and so does one of an archived class (R5.3), unless `archived_too` (R5.2).
    fn may_change(&self, step: &Step, m: &Membership, archived_too: bool) -> bool {
        !self.unreadable.contains(&m.class_id)
            && (archived_too || !self.archived.contains(&m.class_id))
            && !m
                .source_id
                .is_some_and(|s| step.resolved.unreadable.enrollments.contains(s))
    }
}

/// A stored class membership row of either side.
trait Enrolled: Sized {
    fn membership(&self) -> Membership<'_>;
    fn new(class_id: i64, person_id: i64, source_id: Option<SourceId>, step: &Step) -> Self;
}

macro_rules! enrolled {
    ($row:ident, $person:ident) => {
        impl Enrolled for $row {
            fn membership(&self) -> Membership<'_> {
                Membership {
                    class_id: self.class_id,
                    person_id: self.$person,
                    source_id: self.source_id.as_deref(),
                    origin: self.origin,
                }
            }
            fn new(class_id: i64, $person: i64, source_id: Option<SourceId>, step: &Step) -> Self {
                $row {
                    class_id,
                    $person,
                    district_id: step.ctx.district_id,
                    source_id,
                    origin: Origin::Sis,
                    created_at: step.ctx.now,
                }
            }
        }
    };
}

enrolled!(ClassStudent, student_id);
enrolled!(ClassTeacher, staff_id);

impl<'a, L: Enrolled, P: Person> Side<'a, L, P> {
    fn new(
        kind: RecordKind,
        listed: &'a [SnapEnrollment],
        people: &'a HashMap<SourceId, i64>,
        stored: &'a [L],
        persons: &'a [P],
    ) -> Self {
        Side {
            kind,
            listed,
            people,
            stored,
            persons,
            by_id: OnceCell::new(),
        }
    }

    fn person(&self, person_id: i64) -> Option<&'a P> {
        let by_id = || self.persons.iter().map(|p| (p.id(), p)).collect();
        self.by_id.get_or_init(by_id).get(&person_id).copied()
    }

    fn memberships(&self) -> impl Iterator<Item = Membership<'a>> {
        self.stored.iter().map(L::membership)
    }

    /// Whether the stored person is present in the source.
    fn present(&self, person_id: i64) -> bool {
        self.source_id(person_id)
            .is_some_and(|s| self.people.contains_key(s))
    }

    fn source_id(&self, person_id: i64) -> Option<&'a str> {
        self.person(person_id).and_then(|p| p.source_id())
    }
}

pub(super) fn plan(step: &Step, plan: &mut Plan, abandonments: &mut Abandonments) {
    let classes = Classes::new(step, plan);
    let (state, snap, resolved) = (step.state, step.snap, step.resolved);
    let deleted = |m: &Membership| {
        m.source_id
            .is_some_and(|s| snap.deleted.enrollments.contains(s))
    };

    // Students (R5.5): removed from a class while still in the source; an absent student
    // is the family policy's business (R6).
    let students = Side::new(
        RecordKind::StudentEnrollment,
        &snap.student_enrollments,
        &resolved.students,
        &state.class_students,
        &state.students,
    );
    let (added, removed) = diff(step, &students, &classes, plan, abandonments, |side, m| {
        let goes = (classes.full || deleted(m))
            && side.present(m.person_id)
            && !classes.already_removed.contains(&(m.class_id, m.person_id));
        if goes { Removal::Remove } else { Removal::Keep }
    });
    plan.add_class_students.extend(
        added
            .into_iter()
            .map(|(c, p, sid)| ClassStudent::new(c, p, sid, step)),
    );
    plan.remove_class_students.extend(removed);

    // Teachers (R5.4, R5.2): removed from a class they no longer teach, or from all
    // classes when gone from the source.
    let teachers = Side::new(
        RecordKind::TeacherEnrollment,
        &snap.teacher_enrollments,
        &resolved.staff,
        &state.class_teachers,
        &state.staff,
    );
    let (added, removed) = diff(step, &teachers, &classes, plan, abandonments, |side, m| {
        if resolved.person_gone(snap, side.source_id(m.person_id), &resolved.staff) {
            Removal::EvenArchived
        } else if side.present(m.person_id) && (classes.full || deleted(m)) {
            Removal::Remove
        } else {
            Removal::Keep
        }
    });
    plan.add_class_teachers.extend(
        added
            .into_iter()
            .map(|(c, p, sid)| ClassTeacher::new(c, p, sid, step)),
    );
    plan.remove_class_teachers.extend(removed);
}

/// Diffs one side: adds listed memberships not stored (closing their abandonment, R5.7),
/// and removes the stored sis ones `removable` says go, recording each.
fn diff<L: Enrolled, P: Person>(
    step: &Step,
    side: &Side<L, P>,
    classes: &Classes,
    plan: &mut Plan,
    abandonments: &mut Abandonments,
    removable: impl Fn(&Side<L, P>, &Membership) -> Removal,
) -> Changes {
    // Listed memberships, each by its place in `side.listed`; sized once, as nearly all
    // resolve (growing it rehashed every entry several times).
    let mut desired: HashMap<(i64, i64), usize> = HashMap::with_capacity(side.listed.len());
    desired.extend(side.listed.iter().enumerate().filter_map(|(index, e)| {
        let class = *step.resolved.classes.get(e.class_source_id.as_str())?;
        let person = *side.people.get(e.user_source_id.as_str())?;
        Some(((class, person), index))
    }));
    // Whether the source lists each stored membership: taken out of `desired` as found,
    // so what is left there is not stored yet.
    let listed: Vec<bool> = side
        .memberships()
        .map(|m| desired.remove(&(m.class_id, m.person_id)).is_some())
        .collect();
    let mut added = Vec::new();
    for (&(class_id, person_id), &index) in &desired {
        let sid = &side.listed[index].source_id;
        added.push((class_id, person_id, (!sid.is_empty()).then(|| sid.clone())));
        // A membership that comes back is restored, not created (R5.7).
        if abandonments.restore(plan, side.kind, person_id, Some(class_id)) {
            plan.count(side.kind).restored += 1;
        } else {
            plan.count(side.kind).created += 1;
        }
    }
    let mut removed = Vec::new();
    // Counted here, added once: most stored memberships of a resync are unchanged.
    let mut unchanged = 0;
    let teacher = side.kind == RecordKind::TeacherEnrollment;
    for (m, listed) in side.memberships().zip(listed).filter(|(m, _)| {
        step.managed
            .enrollment(m.origin, m.class_id, m.person_id, teacher)
    }) {
        if listed {
            unchanged += 1;
        } else if match removable(side, &m) {
            Removal::Keep => false,
            Removal::Remove => classes.may_change(step, &m, false),
            Removal::EvenArchived => classes.may_change(step, &m, true),
        } {
            let name = side
                .person(m.person_id)
                .map(|p| p.display_name())
                .unwrap_or_default();
            plan.abandon(
                step.ctx,
                Abandoned {
                    kind: side.kind,
                    record_id: m.person_id,
                    related_id: Some(m.class_id),
                    source_id: m.source_id.unwrap_or_default(),
                    display_name: name,
                    school_id: classes.school.get(&m.class_id).copied(),
                    action: AbandonAction::RemovedFromClass,
                },
            );
            removed.push((m.class_id, m.person_id));
        }
    }
    if unchanged > 0 {
        plan.count(side.kind).unchanged += unchanged;
    }
    (added, removed)
}
