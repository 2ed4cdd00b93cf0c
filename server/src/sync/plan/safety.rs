//! The abandon thresholds: a run that would abandon more than the district's share of the
//! stored sis records of one kind (R7.2), or more than the school threshold of one
//! school's students or staff (R7.5), stops BLOCKED and writes nothing. Moves to another
//! school of the district are no abandonment, so they count for neither; nor do classes
//! archived because their term ended, or their enrollments (R5.10).

use super::{Plan, Policy};
use crate::domain::{Origin, RecordKind, SafetyBlock};
use crate::store::State;
use crate::store::models::AbandonedRow;
use foldhash::{HashMap, HashSet};

fn sis(origin: Origin) -> bool {
    origin == Origin::Sis
}

/// Stored sis records of each kind that can still be abandoned. A class archived this run
/// as ended (R5.10) is no longer one, and neither are its enrollments: they count on
/// neither side of the share.
fn stored_counts(state: &State, ended: &HashSet<i64>) -> Vec<(RecordKind, i64)> {
    let n = |it: usize| it as i64;
    vec![
        (
            RecordKind::Student,
            n(state
                .students
                .iter()
                .filter(|s| sis(s.origin) && s.archived_at.is_none())
                .count()),
        ),
        (
            RecordKind::Staff,
            n(state.school_staff.iter().filter(|m| sis(m.origin)).count()),
        ),
        (
            RecordKind::Class,
            n(state
                .classes
                .iter()
                .filter(|c| sis(c.origin) && c.archived_at.is_none() && !ended.contains(&c.id))
                .count()),
        ),
        (
            RecordKind::StudentEnrollment,
            n(state
                .class_students
                .iter()
                .filter(|e| sis(e.origin) && !ended.contains(&e.class_id))
                .count()),
        ),
        (
            RecordKind::TeacherEnrollment,
            n(state
                .class_teachers
                .iter()
                .filter(|e| sis(e.origin) && !ended.contains(&e.class_id))
                .count()),
        ),
        (
            RecordKind::FamilyRelationship,
            n(state.links.iter().filter(|l| sis(l.origin)).count()),
        ),
    ]
}

/// The worst crossing, the district's before any school's, unless the run overrides the
/// thresholds.
pub fn check(state: &State, plan: &Plan, policy: &Policy) -> Option<SafetyBlock> {
    if policy.override_threshold {
        return None;
    }
    district(state, plan, policy).or_else(|| per_school(state, plan, policy))
}

fn percent(n: i64, of: i64) -> f64 {
    n as f64 * 100.0 / of as f64
}

/// R7.5: for each school, the share of its sis students (active ones) and of its sis
/// staff memberships the plan abandons there.
fn per_school(state: &State, plan: &Plan, policy: &Policy) -> Option<SafetyBlock> {
    let active: HashSet<i64> = state
        .students
        .iter()
        .filter(|s| sis(s.origin) && s.archived_at.is_none())
        .map(|s| s.id)
        .collect();
    let mut stored: HashMap<(i64, RecordKind), i64> = HashMap::default();
    for m in state
        .school_students
        .iter()
        .filter(|m| active.contains(&m.student_id))
    {
        *stored
            .entry((m.school_id, RecordKind::Student))
            .or_default() += 1;
    }
    for m in state.school_staff.iter().filter(|m| sis(m.origin)) {
        *stored.entry((m.school_id, RecordKind::Staff)).or_default() += 1;
    }
    let mut lost: HashMap<(i64, RecordKind), HashSet<i64>> = HashMap::default();
    for a in plan
        .abandoned
        .iter()
        .filter(|a| matches!(a.record_kind, RecordKind::Student | RecordKind::Staff))
    {
        if let Some(school) = a.school_id {
            lost.entry((school, a.record_kind))
                .or_default()
                .insert(a.record_id);
        }
    }
    let threshold = policy.school_threshold_percent;
    lost.into_iter()
        .filter_map(|((school, kind), people)| {
            let of = *stored.get(&(school, kind))?;
            let n = people.len() as i64;
            (of > 0 && percent(n, of) > f64::from(threshold)).then_some(SafetyBlock {
                record_kind: kind,
                threshold_percent: threshold,
                abandon_count: n,
                stored_count: of,
                abandon_percent: percent(n, of),
                school_id: Some(school),
            })
        })
        .max_by(|a, b| {
            a.abandon_percent
                .total_cmp(&b.abandon_percent)
                .then(b.school_id.cmp(&a.school_id))
        })
}

/// R7.2: the district-wide share of each kind.
fn district(state: &State, plan: &Plan, policy: &Policy) -> Option<SafetyBlock> {
    let mut worst: Option<SafetyBlock> = None;
    let ended = &plan.ended_classes;
    // R5.10: what leaves an ended class (a teacher gone from the source leaves it too,
    // R5.2) is not counted either.
    let counted = |a: &&AbandonedRow| {
        !(matches!(
            a.record_kind,
            RecordKind::StudentEnrollment | RecordKind::TeacherEnrollment
        ) && a.related_id.is_some_and(|class| ended.contains(&class)))
    };
    for (kind, stored) in stored_counts(state, ended) {
        if stored == 0 {
            continue;
        }
        // Students and staff are counted once per person, not per school left.
        let abandoned = match kind {
            RecordKind::Student => {
                let mut ids: Vec<i64> = plan
                    .abandoned
                    .iter()
                    .filter(|a| a.record_kind == kind)
                    .map(|a| a.record_id)
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                ids.len() as i64
            }
            _ => plan
                .abandoned
                .iter()
                .filter(|a| a.record_kind == kind)
                .filter(counted)
                .count() as i64,
        };
        let share = percent(abandoned, stored);
        if share > f64::from(policy.threshold_percent)
            && worst.as_ref().is_none_or(|w| share > w.abandon_percent)
        {
            worst = Some(SafetyBlock {
                record_kind: kind,
                threshold_percent: policy.threshold_percent,
                abandon_count: abandoned,
                stored_count: stored,
                abandon_percent: share,
                school_id: None,
            });
        }
    }
    worst
}
