//! Memberships and links: school memberships (R8.4), class enrollments (R2.5, R5.4,
//! R5.5), family relationships (R5.1, R8.3), and what an abandoned family loses (R6).

use super::places::gone;
use super::{Abandonments, Plan, Policy, Resolved, RunContext, abandon};
use crate::domain::{AbandonAction, FamilyPolicy, Origin, RecordKind};
use crate::store::models::{ClassStudent, ClassTeacher, FamilyLink, SchoolStaff, SchoolStudent};
use crate::sync::snapshot::{Coverage, SnapEnrollment, Snapshot};
use crate::sync::state::State;
use foldhash::{HashMap, HashMapExt, HashSet};

fn is_sis(origin: &str) -> bool {
    origin == Origin::Sis.as_str()
}

/// Whether a stored student or staff member is gone from the source.
fn person_gone(
    snap: &Snapshot,
    source_id: Option<&str>,
    present: &HashMap<String, i64>,
    unreadable: &HashSet<String>,
) -> bool {
    match source_id {
        Some(sid) => gone(
            snap.users,
            present.contains_key(sid),
            snap.deleted.users.contains(sid),
            unreadable.contains(sid),
        ),
        None => false,
    }
}

fn names<'a>(
    rows: impl Iterator<Item = (i64, String, Option<&'a str>)>,
) -> HashMap<i64, (String, String)> {
    rows.map(|(id, name, sid)| (id, (name, sid.unwrap_or_default().to_owned())))
        .collect()
}

/// A (school or class, person) pair.
type Pair = (i64, i64);

/// The (school, person) memberships the source lists for present people, and those of
/// them not stored yet, each closing its open abandonment (R5.7).
fn school_memberships_to_add<'a>(
    listed: impl Iterator<Item = (&'a String, &'a [String])>,
    people: &HashMap<String, i64>,
    resolved: &Resolved,
    stored: HashSet<(i64, i64)>,
    kind: RecordKind,
    plan: &mut Plan,
    abandonments: &mut Abandonments,
) -> (HashSet<Pair>, Vec<Pair>) {
    let desired: HashSet<(i64, i64)> = listed
        .filter_map(|(sid, schools)| people.get(sid).map(|id| (*id, schools)))
        .flat_map(|(id, schools)| {
            schools
                .iter()
                .filter_map(move |sch| resolved.schools.get(sch).map(|sch| (*sch, id)))
        })
        .collect();
    let added: Vec<(i64, i64)> = desired.difference(&stored).copied().collect();
    for &(school_id, person_id) in &added {
        if abandonments.restore(plan, kind, person_id, Some(school_id)) {
            plan.count(kind).restored += 1;
        }
    }
    (desired, added)
}

pub(super) fn school_memberships(
    state: &State,
    snap: &Snapshot,
    policy: &Policy,
    ctx: &RunContext,
    plan: &mut Plan,
    resolved: &Resolved,
    abandonments: &mut Abandonments,
) {
    if snap.users == Coverage::Absent {
        return;
    }
    let student_names = names(state.students.iter().map(|s| {
        (
            s.id,
            format!("{} {}", s.given_name, s.family_name),
            s.source_id.as_deref(),
        )
    }));
    let staff_names = names(state.staff.iter().map(|s| {
        (
            s.id,
            format!("{} {}", s.given_name, s.family_name),
            s.source_id.as_deref(),
        )
    }));

    // Students: desired memberships of present students.
    let (desired, added) = school_memberships_to_add(
        snap.students
            .iter()
            .map(|s| (&s.source_id, s.school_source_ids.as_slice())),
        &resolved.students,
        resolved,
        state
            .school_students
            .iter()
            .map(|m| (m.school_id, m.student_id))
            .collect(),
        RecordKind::Student,
        plan,
        abandonments,
    );
    plan.add_school_students
        .extend(
            added
                .into_iter()
                .map(|(school_id, student_id)| SchoolStudent {
                    school_id,
                    student_id,
                    district_id: ctx.district_id,
                    origin: Origin::Sis.as_str().into(),
                    created_at: ctx.now,
                }),
        );
    let source_of: HashMap<i64, Option<&str>> = state
        .students
        .iter()
        .map(|s| (s.id, s.source_id.as_deref()))
        .collect();
    let mut removed_from: HashMap<i64, HashSet<i64>> = HashMap::new();
    for m in state.school_students.iter().filter(|m| is_sis(&m.origin)) {
        if desired.contains(&(m.school_id, m.student_id)) {
            continue;
        }
        let sid = source_of.get(&m.student_id).copied().flatten();
        let present = sid.is_some_and(|sid| resolved.students.contains_key(sid));
        let absent = person_gone(snap, sid, &resolved.students, &resolved.unreadable.users);
        // A present student moved school (full user list only); an absent one leaves its
        // school only under the EXTREME policy (R6.2). SOFT archives instead (R6.1).
        let remove = (present && snap.users == Coverage::Bulk)
            || (absent && policy.family_policy == FamilyPolicy::Extreme);
        if remove {
            let (name, sid) = student_names
                .get(&m.student_id)
                .cloned()
                .unwrap_or_default();
            abandon(
                plan,
                ctx,
                RecordKind::Student,
                m.student_id,
                Some(m.school_id),
                &sid,
                name,
                Some(m.school_id),
                AbandonAction::RemovedFromSchool,
            );
            plan.remove_school_students
                .push((m.school_id, m.student_id));
            removed_from
                .entry(m.student_id)
                .or_default()
                .insert(m.school_id);
        }
    }
    // R6.2: an EXTREME abandoned family also leaves every classroom of those schools.
    let class_school: HashMap<i64, i64> =
        state.classes.iter().map(|c| (c.id, c.school_id)).collect();
    for e in state.class_students.iter().filter(|e| is_sis(&e.origin)) {
        let leaves = removed_from.get(&e.student_id).is_some_and(|schools| {
            class_school
                .get(&e.class_id)
                .is_some_and(|s| schools.contains(s))
        });
        let sid = source_of.get(&e.student_id).copied().flatten();
        if leaves && person_gone(snap, sid, &resolved.students, &resolved.unreadable.users) {
            let (name, sid) = student_names
                .get(&e.student_id)
                .cloned()
                .unwrap_or_default();
            abandon(
                plan,
                ctx,
                RecordKind::StudentEnrollment,
                e.student_id,
                Some(e.class_id),
                &sid,
                name,
                class_school.get(&e.class_id).copied(),
                AbandonAction::RemovedFromClass,
            );
            plan.remove_class_students.push((e.class_id, e.student_id));
        }
    }

    // Staff (R5.2): removed from schools they no longer list, or all when gone.
    let (desired, added) = school_memberships_to_add(
        snap.staff
            .iter()
            .map(|s| (&s.source_id, s.school_source_ids.as_slice())),
        &resolved.staff,
        resolved,
        state
            .school_staff
            .iter()
            .map(|m| (m.school_id, m.staff_id))
            .collect(),
        RecordKind::Staff,
        plan,
        abandonments,
    );
    plan.add_school_staff
        .extend(added.into_iter().map(|(school_id, staff_id)| SchoolStaff {
            school_id,
            staff_id,
            district_id: ctx.district_id,
            origin: Origin::Sis.as_str().into(),
            created_at: ctx.now,
        }));
    let staff_source: HashMap<i64, Option<&str>> = state
        .staff
        .iter()
        .map(|s| (s.id, s.source_id.as_deref()))
        .collect();
    for m in state.school_staff.iter().filter(|m| is_sis(&m.origin)) {
        if desired.contains(&(m.school_id, m.staff_id)) {
            continue;
        }
        let sid = staff_source.get(&m.staff_id).copied().flatten();
        let present = sid.is_some_and(|sid| resolved.staff.contains_key(sid));
        if (present && snap.users == Coverage::Bulk)
            || person_gone(snap, sid, &resolved.staff, &resolved.unreadable.users)
        {
            let (name, sid) = staff_names.get(&m.staff_id).cloned().unwrap_or_default();
            abandon(
                plan,
                ctx,
                RecordKind::Staff,
                m.staff_id,
                Some(m.school_id),
                &sid,
                name,
                Some(m.school_id),
                AbandonAction::RemovedFromSchool,
            );
            plan.remove_school_staff.push((m.school_id, m.staff_id));
        }
    }
}

/// A stored class membership of either side, as the diff needs it.
struct Membership<'a> {
    class_id: i64,
    person_id: i64,
    source_id: Option<&'a str>,
}

/// One side of class membership: students or teachers.
struct Side<'a> {
    kind: RecordKind,
    listed: &'a [SnapEnrollment],
    people: &'a HashMap<String, i64>,
    stored: Vec<Membership<'a>>,
    /// Stored memberships of any origin: a manual one is never added again.
    all_stored: HashSet<(i64, i64)>,
    names: HashMap<i64, String>,
    /// The school of each class, for the abandonment records.
    class_school: &'a HashMap<i64, i64>,
}

/// What a side's diff asks for: (class, person, enrollment source id) to add, pairs to remove.
type SideChanges = (Vec<(i64, i64, Option<String>)>, Vec<(i64, i64)>);

/// Diffs one side: adds listed memberships not stored (closing their abandonment, R5.7),
/// and removes the stored sis ones `removable` says go, recording each (R5.4, R5.5).
fn diff_side(
    side: Side,
    ctx: &RunContext,
    plan: &mut Plan,
    resolved: &Resolved,
    abandonments: &mut Abandonments,
    removable: impl Fn(&Membership, bool) -> bool,
    deleted: impl Fn(Option<&str>) -> bool,
) -> SideChanges {
    let desired: HashMap<(i64, i64), &str> = side
        .listed
        .iter()
        .filter_map(|e| {
            let class = *resolved.classes.get(&e.class_source_id)?;
            let person = *side.people.get(&e.user_source_id)?;
            Some(((class, person), e.source_id.as_str()))
        })
        .collect();
    let mut added = Vec::new();
    for (&(class_id, person_id), sid) in
        desired.iter().filter(|(k, _)| !side.all_stored.contains(k))
    {
        added.push((
            class_id,
            person_id,
            (!sid.is_empty()).then(|| sid.to_string()),
        ));
        plan.count(side.kind).created += 1;
        if abandonments.restore(plan, side.kind, person_id, Some(class_id)) {
            plan.count(side.kind).restored += 1;
        }
    }
    let mut removed = Vec::new();
    for m in &side.stored {
        if desired.contains_key(&(m.class_id, m.person_id)) {
            plan.count(side.kind).unchanged += 1;
        } else if removable(m, deleted(m.source_id)) {
            let name = side.names.get(&m.person_id).cloned().unwrap_or_default();
            abandon(
                plan,
                ctx,
                side.kind,
                m.person_id,
                Some(m.class_id),
                m.source_id.unwrap_or_default(),
                name,
                side.class_school.get(&m.class_id).copied(),
                AbandonAction::RemovedFromClass,
            );
            removed.push((m.class_id, m.person_id));
        }
    }
    (added, removed)
}

fn full_names<'a>(people: impl Iterator<Item = (i64, &'a str, &'a str)>) -> HashMap<i64, String> {
    people
        .map(|(id, given, family)| (id, format!("{given} {family}")))
        .collect()
}

pub(super) fn enrollments(
    state: &State,
    snap: &Snapshot,
    _policy: &Policy,
    ctx: &RunContext,
    plan: &mut Plan,
    resolved: &Resolved,
    abandonments: &mut Abandonments,
) {
    // Without an enrollments file nothing is listed: only people gone from the source
    // leave their classes (R5.2).
    let class_school: HashMap<i64, i64> = state
        .classes
        .iter()
        .map(|c| (c.id, c.school_id))
        .chain(plan.classes.iter().map(|c| (c.id, c.school_id)))
        .collect();
    // Archived classrooms keep their members (R5.3): class content lives on.
    let replanned: HashSet<i64> = plan.classes.iter().map(|c| c.id).collect();
    let archived_classes: HashSet<i64> = plan
        .classes
        .iter()
        .chain(state.classes.iter().filter(|c| !replanned.contains(&c.id)))
        .filter(|c| c.archived_at.is_some())
        .map(|c| c.id)
        .collect();
    let already_removed: HashSet<(i64, i64)> = plan.remove_class_students.iter().copied().collect();
    let full = snap.enrollments == Coverage::Bulk;
    let deleted = |sid: Option<&str>| sid.is_some_and(|s| snap.deleted.enrollments.contains(s));

    // A membership whose class or enrollment row was unreadable this time stays (R3.3).
    let unreadable_classes: HashSet<i64> = state
        .classes
        .iter()
        .filter(|c| {
            c.source_id
                .as_ref()
                .is_some_and(|s| resolved.unreadable.classes.contains(s))
        })
        .map(|c| c.id)
        .collect();
    let readable = |m: &Membership| {
        !unreadable_classes.contains(&m.class_id)
            && !m
                .source_id
                .is_some_and(|s| resolved.unreadable.enrollments.contains(s))
    };

    // Students (R5.5): removed from a class while still in the source; an absent student
    // is the family policy's business (R6).
    let student_source: HashMap<i64, Option<&str>> = state
        .students
        .iter()
        .map(|s| (s.id, s.source_id.as_deref()))
        .collect();
    let students = Side {
        kind: RecordKind::StudentEnrollment,
        listed: &snap.student_enrollments,
        people: &resolved.students,
        stored: state
            .class_students
            .iter()
            .filter(|e| is_sis(&e.origin))
            .map(|e| Membership {
                class_id: e.class_id,
                person_id: e.student_id,
                source_id: e.source_id.as_deref(),
            })
            .collect(),
        all_stored: state
            .class_students
            .iter()
            .map(|e| (e.class_id, e.student_id))
            .collect(),
        names: full_names(
            state
                .students
                .iter()
                .map(|s| (s.id, s.given_name.as_str(), s.family_name.as_str())),
        ),
        class_school: &class_school,
    };
    let (added, removed) = diff_side(
        students,
        ctx,
        plan,
        resolved,
        abandonments,
        |m, deleted| {
            let present = student_source
                .get(&m.person_id)
                .copied()
                .flatten()
                .is_some_and(|s| resolved.students.contains_key(s));
            (full || deleted)
                && present
                && readable(m)
                && !archived_classes.contains(&m.class_id)
                && !already_removed.contains(&(m.class_id, m.person_id))
        },
        deleted,
    );
    plan.add_class_students
        .extend(
            added
                .into_iter()
                .map(|(class_id, student_id, source_id)| ClassStudent {
                    class_id,
                    student_id,
                    district_id: ctx.district_id,
                    source_id,
                    origin: Origin::Sis.as_str().into(),
                    created_at: ctx.now,
                }),
        );
    plan.remove_class_students.extend(removed);

    // Teachers (R5.4, R5.2): removed from a class they no longer teach, or from all
    // classes when gone from the source.
    let staff_source: HashMap<i64, Option<&str>> = state
        .staff
        .iter()
        .map(|s| (s.id, s.source_id.as_deref()))
        .collect();
    let teachers = Side {
        kind: RecordKind::TeacherEnrollment,
        listed: &snap.teacher_enrollments,
        people: &resolved.staff,
        stored: state
            .class_teachers
            .iter()
            .filter(|e| is_sis(&e.origin))
            .map(|e| Membership {
                class_id: e.class_id,
                person_id: e.staff_id,
                source_id: e.source_id.as_deref(),
            })
            .collect(),
        all_stored: state
            .class_teachers
            .iter()
            .map(|e| (e.class_id, e.staff_id))
            .collect(),
        names: full_names(
            state
                .staff
                .iter()
                .map(|s| (s.id, s.given_name.as_str(), s.family_name.as_str())),
        ),
        class_school: &class_school,
    };
    let (added, removed) = diff_side(
        teachers,
        ctx,
        plan,
        resolved,
        abandonments,
        |m, deleted| {
            let sid = staff_source.get(&m.person_id).copied().flatten();
            let present = sid.is_some_and(|s| resolved.staff.contains_key(s));
            let gone = person_gone(snap, sid, &resolved.staff, &resolved.unreadable.users);
            ((present && (full || deleted)) || gone)
                && readable(m)
                && !archived_classes.contains(&m.class_id)
        },
        deleted,
    );
    plan.add_class_teachers
        .extend(
            added
                .into_iter()
                .map(|(class_id, staff_id, source_id)| ClassTeacher {
                    class_id,
                    staff_id,
                    district_id: ctx.district_id,
                    source_id,
                    origin: Origin::Sis.as_str().into(),
                    created_at: ctx.now,
                }),
        );
    plan.remove_class_teachers.extend(removed);
}

/// Family relationships (R8.3, R5.1): one link per pair; a guardian no longer listed for a
/// student still in the source is disconnected. When the student is gone too, the link
/// stays (R6.2).
pub(super) fn relationships(
    state: &State,
    snap: &Snapshot,
    ctx: &RunContext,
    plan: &mut Plan,
    resolved: &Resolved,
    abandonments: &mut Abandonments,
) {
    if snap.users == Coverage::Absent {
        return;
    }
    let desired: HashSet<(i64, i64)> = snap
        .links
        .iter()
        .filter_map(|l| {
            Some((
                *resolved.students.get(&l.student_source_id)?,
                *resolved.guardians.get(&l.guardian_source_id)?,
            ))
        })
        .collect();
    let stored: HashSet<(i64, i64)> = state
        .links
        .iter()
        .map(|l| (l.student_id, l.guardian_id))
        .collect();
    for &(student_id, guardian_id) in desired.difference(&stored) {
        plan.add_links.push(FamilyLink {
            student_id,
            guardian_id,
            district_id: ctx.district_id,
            origin: Origin::Sis.as_str().into(),
            created_at: ctx.now,
        });
        plan.count(RecordKind::FamilyRelationship).created += 1;
        if abandonments.restore(
            plan,
            RecordKind::FamilyRelationship,
            student_id,
            Some(guardian_id),
        ) {
            plan.count(RecordKind::FamilyRelationship).restored += 1;
        }
    }
    let student_source: HashMap<i64, Option<&str>> = state
        .students
        .iter()
        .map(|s| (s.id, s.source_id.as_deref()))
        .collect();
    let student_names: HashMap<i64, String> = state
        .students
        .iter()
        .map(|s| (s.id, format!("{} {}", s.given_name, s.family_name)))
        .collect();
    let guardian_names: HashMap<i64, String> = state
        .guardians
        .iter()
        .map(|g| (g.id, format!("{} {}", g.given_name, g.family_name)))
        .collect();
    // A guardian whose row was unreadable this time keeps its links (R3.3).
    let unreadable_guardians: HashSet<i64> = state
        .guardians
        .iter()
        .filter(|g| {
            g.source_id
                .as_ref()
                .is_some_and(|s| resolved.unreadable.users.contains(s))
        })
        .map(|g| g.id)
        .collect();
    for l in state.links.iter().filter(|l| is_sis(&l.origin)) {
        let key = (l.student_id, l.guardian_id);
        if desired.contains(&key) {
            plan.count(RecordKind::FamilyRelationship).unchanged += 1;
            continue;
        }
        let sid = student_source.get(&l.student_id).copied().flatten();
        let student_present = sid.is_some_and(|s| resolved.students.contains_key(s));
        if student_present
            && snap.users == Coverage::Bulk
            && !unreadable_guardians.contains(&l.guardian_id)
            && !abandonments.is_open(
                RecordKind::FamilyRelationship,
                l.student_id,
                Some(l.guardian_id),
            )
        {
            let name = format!(
                "{} (guardian of {})",
                guardian_names
                    .get(&l.guardian_id)
                    .cloned()
                    .unwrap_or_default(),
                student_names
                    .get(&l.student_id)
                    .cloned()
                    .unwrap_or_default()
            );
            abandon(
                plan,
                ctx,
                RecordKind::FamilyRelationship,
                l.student_id,
                Some(l.guardian_id),
                sid.unwrap_or_default(),
                name,
                None,
                AbandonAction::Disconnected,
            );
            plan.remove_links.push(key);
        }
    }
}
