//! School memberships (R8.4) of students and staff: added as the source lists them,
//! removed when a present person no longer lists a school or a person is gone (R5.2), and
//! what an abandoned family loses under the EXTREME policy (R6.2). A person who leaves one
//! school for another is moved, not abandoned (R5.8); a school a bulk orgs file leaves
//! out keeps its people (R5.9).

use super::Plan;
use super::Step;
use super::abandon::{Abandoned, Abandonments};
use super::resolve::Person;
use crate::domain::{AbandonAction, FamilyPolicy, Origin, RecordKind, SourceId};
use crate::snapshot::Coverage;
use crate::store::models::{SchoolStaff, SchoolStudent};
use foldhash::{HashMap, HashMapExt, HashSet};
use std::cell::LazyCell;

/// A (school or class, person) pair.
type Pair = (i64, i64);

/// A stored person's name and source id, by id, for abandonment records.
type Names = HashMap<i64, (String, Option<String>)>;

fn names<P: Person>(people: &[P]) -> Names {
    people
        .iter()
        .map(|p| (p.id(), (p.display_name(), p.source_id().map(str::to_owned))))
        .collect()
}

pub(super) fn plan(step: &Step, plan: &mut Plan, abandonments: &mut Abandonments) {
    if step.snap.users == Coverage::Absent {
        return;
    }
    let unlisted = unlisted_schools(step);
    // Made for the first student who leaves a school, if any: a resync has few or none.
    // Made for every student of the district each time (twice, with a look at every
    // enrollment), they took 1.4 s of a 1M-student resync's 1.9 s of memberships.
    let student_names = LazyCell::new(|| names(&step.state.students));
    let removed = students(step, plan, abandonments, &unlisted, &student_names);
    leave_classes(step, plan, &removed, &student_names);
    staff(step, plan, abandonments, &unlisted);
}

/// Stored schools the source does not list this time and does not refer to as stored: left
/// out of a bulk orgs file, or marked deleted. Closing a school is an operator's act, never
/// an inference from a file (R5.9): memberships of these schools stay as they are.
fn unlisted_schools(step: &Step) -> HashSet<i64> {
    let snap = step.snap;
    let listed: HashSet<&str> = snap.schools.iter().map(|s| s.source_id.as_str()).collect();
    step.state
        .schools
        .iter()
        .filter(|s| {
            s.source_id.as_deref().is_some_and(|sid| {
                !listed.contains(sid)
                    && (snap.orgs == Coverage::Bulk || snap.deleted.schools.contains(sid))
            })
        })
        .map(|s| s.id)
        .collect()
}

/// What becomes of a stored membership the source no longer lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leaving {
    Stays,
    /// The person joins another school this run: a move, counted as an update (R5.8).
    Moves,
    /// An abandonment (R5.2, R6.2).
    Leaves,
}

/// Decides for one stored membership of a person whose row the source lists now
/// (`listed`: its schools are the row's, in a bulk file or a delta alike) or who is gone
/// (`gone_leaves`: gone, and its kind leaves when gone).
fn leaving(
    school_id: i64,
    person_id: i64,
    listed: bool,
    gone_leaves: bool,
    joining: &HashSet<i64>,
    unlisted: &HashSet<i64>,
) -> Leaving {
    if unlisted.contains(&school_id) {
        Leaving::Stays
    } else if listed {
        if joining.contains(&person_id) {
            Leaving::Moves
        } else {
            Leaving::Leaves
        }
    } else if gone_leaves {
        Leaving::Leaves
    } else {
        Leaving::Stays
    }
}

/// Counts each stored person whose schools changed (it moved, or joined one) once as
/// updated: a school membership is part of its person. A person created or updated
/// anyway is counted already. With no one to count, the kind is not counted at all: a
/// run reports only the kinds it counted something of.
fn count_school_changes(
    plan: &mut Plan,
    kind: RecordKind,
    touched: HashSet<i64>,
    counted: HashSet<i64>,
) {
    let n = touched.difference(&counted).count() as i64;
    if n > 0 {
        plan.count(kind).updated += n;
    }
}

/// The (school, person) memberships the source lists for present people, those of them
/// not stored yet (each closing its open abandonment, R5.7), and the people who join a
/// school without coming back to it.
fn to_add<'a>(
    step: &Step,
    listed: impl Iterator<Item = (&'a SourceId, &'a [String])>,
    people: &HashMap<SourceId, i64>,
    stored: impl Iterator<Item = Pair>,
    kind: RecordKind,
    plan: &mut Plan,
    abandonments: &mut Abandonments,
) -> (HashSet<Pair>, Vec<Pair>, HashSet<i64>) {
    let schools = &step.resolved.schools;
    let desired: HashSet<Pair> = listed
        .filter_map(|(sid, orgs)| people.get(sid.as_str()).map(|id| (*id, orgs)))
        .flat_map(|(id, orgs)| {
            orgs.iter()
                .filter_map(move |sch| schools.get(sch.as_str()).map(|sch| (*sch, id)))
        })
        .collect();
    let stored: HashSet<Pair> = stored.collect();
    let added: Vec<Pair> = desired.difference(&stored).copied().collect();
    let mut joined = HashSet::default();
    for &(school_id, person_id) in &added {
        if abandonments.restore(plan, kind, person_id, Some(school_id)) {
            plan.count(kind).restored += 1;
        } else {
            joined.insert(person_id);
        }
    }
    (desired, added, joined)
}

/// Records a person leaving a school.
fn leave(step: &Step, plan: &mut Plan, kind: RecordKind, pair: Pair, names: &Names) {
    let (school_id, person_id) = pair;
    let (name, sid) = names.get(&person_id).cloned().unwrap_or_default();
    plan.abandon(
        step.ctx,
        Abandoned {
            kind,
            record_id: person_id,
            related_id: Some(school_id),
            source_id: sid.as_deref().unwrap_or_default(),
            display_name: name,
            school_id: Some(school_id),
            action: AbandonAction::RemovedFromSchool,
        },
    );
}

/// Students: a present student that no longer lists a school leaves it (full user list
/// only); an absent one leaves its schools only under the EXTREME policy (R6.2). SOFT
/// archives instead (R6.1). Returns the schools each student left; `names` are the
/// stored students'.
fn students(
    step: &Step,
    plan: &mut Plan,
    abandonments: &mut Abandonments,
    unlisted: &HashSet<i64>,
    names: &LazyCell<Names, impl FnOnce() -> Names>,
) -> HashMap<i64, HashSet<i64>> {
    let (state, snap, resolved) = (step.state, step.snap, step.resolved);
    let (desired, added, mut touched) = to_add(
        step,
        snap.students
            .iter()
            .map(|s| (&s.source_id, s.school_source_ids.as_slice())),
        &resolved.students,
        state
            .school_students
            .iter()
            .map(|m| (m.school_id, m.student_id)),
        RecordKind::Student,
        plan,
        abandonments,
    );
    let joining: HashSet<i64> = added.iter().map(|&(_, person)| person).collect();
    plan.add_school_students
        .extend(
            added
                .into_iter()
                .map(|(school_id, student_id)| SchoolStudent {
                    school_id,
                    student_id,
                    district_id: step.ctx.district_id,
                    origin: Origin::Sis,
                    created_at: step.ctx.now,
                }),
        );
    let mut removed_from: HashMap<i64, HashSet<i64>> = HashMap::new();
    let listed_students: LazyCell<HashSet<&str>, _> =
        LazyCell::new(|| snap.students.iter().map(|s| s.source_id.as_str()).collect());
    for m in state.school_students.iter().filter(|m| {
        step.managed
            .school_student(m.origin, m.school_id, m.student_id)
    }) {
        if desired.contains(&(m.school_id, m.student_id)) {
            continue;
        }
        let sid = names.get(&m.student_id).and_then(|(_, sid)| sid.as_deref());
        let listed = sid.is_some_and(|sid| listed_students.contains(sid));
        let absent = resolved.person_gone(snap, sid, &resolved.students);
        let extreme = absent && step.policy.family_policy == FamilyPolicy::Extreme;
        let pair = (m.school_id, m.student_id);
        match leaving(
            m.school_id,
            m.student_id,
            listed,
            extreme,
            &joining,
            unlisted,
        ) {
            Leaving::Stays => continue,
            Leaving::Moves => {
                touched.insert(m.student_id);
            }
            Leaving::Leaves => {
                leave(step, plan, RecordKind::Student, pair, names);
                removed_from
                    .entry(m.student_id)
                    .or_default()
                    .insert(m.school_id);
            }
        }
        plan.remove_school_students.push(pair);
    }
    let counted = plan.students.changed.iter().chain(&plan.students.new);
    let counted = counted.map(|s| s.id).collect();
    count_school_changes(plan, RecordKind::Student, touched, counted);
    removed_from
}

/// R6.2: an EXTREME abandoned family also leaves every classroom of the schools it left.
fn leave_classes(
    step: &Step,
    plan: &mut Plan,
    removed_from: &HashMap<i64, HashSet<i64>>,
    names: &LazyCell<Names, impl FnOnce() -> Names>,
) {
    // No student left a school: no enrollment of the district to look at.
    if removed_from.is_empty() {
        return;
    }
    let (state, resolved) = (step.state, step.resolved);
    let class_school: HashMap<i64, i64> =
        state.classes.iter().map(|c| (c.id, c.school_id)).collect();
    for e in state.class_students.iter().filter(|e| {
        step.managed
            .enrollment(e.origin, e.class_id, e.student_id, false)
    }) {
        let school = class_school.get(&e.class_id);
        let leaves = removed_from
            .get(&e.student_id)
            .is_some_and(|schools| school.is_some_and(|s| schools.contains(s)));
        let sid = names.get(&e.student_id).and_then(|(_, sid)| sid.as_deref());
        if !leaves || !resolved.person_gone(step.snap, sid, &resolved.students) {
            continue;
        }
        let (name, sid) = names.get(&e.student_id).cloned().unwrap_or_default();
        plan.abandon(
            step.ctx,
            Abandoned {
                kind: RecordKind::StudentEnrollment,
                record_id: e.student_id,
                related_id: Some(e.class_id),
                source_id: sid.as_deref().unwrap_or_default(),
                display_name: name,
                school_id: school.copied(),
                action: AbandonAction::RemovedFromClass,
            },
        );
        plan.remove_class_students.push((e.class_id, e.student_id));
    }
}

/// Staff (R5.2): removed from schools they no longer list, or from all when gone.
fn staff(step: &Step, plan: &mut Plan, abandonments: &mut Abandonments, unlisted: &HashSet<i64>) {
    let (state, snap, resolved) = (step.state, step.snap, step.resolved);
    let (desired, added, mut touched) = to_add(
        step,
        snap.staff
            .iter()
            .map(|s| (&s.source_id, s.school_source_ids.as_slice())),
        &resolved.staff,
        state.school_staff.iter().map(|m| (m.school_id, m.staff_id)),
        RecordKind::Staff,
        plan,
        abandonments,
    );
    let joining: HashSet<i64> = added.iter().map(|&(_, person)| person).collect();
    plan.add_school_staff
        .extend(added.into_iter().map(|(school_id, staff_id)| SchoolStaff {
            school_id,
            staff_id,
            district_id: step.ctx.district_id,
            origin: Origin::Sis,
            created_at: step.ctx.now,
        }));
    // Made when first needed, as for students.
    let names = LazyCell::new(|| names(&state.staff));
    let listed_staff: LazyCell<HashSet<&str>, _> =
        LazyCell::new(|| snap.staff.iter().map(|s| s.source_id.as_str()).collect());
    for m in state
        .school_staff
        .iter()
        .filter(|m| step.managed.school_staff(m.origin, m.school_id, m.staff_id))
    {
        if desired.contains(&(m.school_id, m.staff_id)) {
            continue;
        }
        let sid = names.get(&m.staff_id).and_then(|(_, sid)| sid.as_deref());
        let listed = sid.is_some_and(|sid| listed_staff.contains(sid));
        let gone = resolved.person_gone(snap, sid, &resolved.staff);
        let pair = (m.school_id, m.staff_id);
        match leaving(m.school_id, m.staff_id, listed, gone, &joining, unlisted) {
            Leaving::Stays => continue,
            Leaving::Moves => {
                touched.insert(m.staff_id);
            }
            Leaving::Leaves => leave(step, plan, RecordKind::Staff, pair, &names),
        }
        plan.remove_school_staff.push(pair);
    }
    let counted = plan.staff.changed.iter().chain(&plan.staff.new);
    let counted = counted.map(|s| s.id).collect();
    count_school_changes(plan, RecordKind::Staff, touched, counted);
}
