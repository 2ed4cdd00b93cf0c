//! The abandon threshold (R7.2): a run that would abandon more than the district's share
//! of the stored sis records of one kind stops BLOCKED and writes nothing.

use super::{Plan, Policy};
use crate::domain::{Origin, RecordKind, SafetyBlock};
use crate::store::State;

fn sis(origin: Origin) -> bool {
    origin == Origin::Sis
}

/// Stored sis records of each kind that can still be abandoned.
fn stored_counts(state: &State) -> Vec<(RecordKind, i64)> {
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
                .filter(|c| sis(c.origin) && c.archived_at.is_none())
                .count()),
        ),
        (
            RecordKind::StudentEnrollment,
            n(state
                .class_students
                .iter()
                .filter(|e| sis(e.origin))
                .count()),
        ),
        (
            RecordKind::TeacherEnrollment,
            n(state
                .class_teachers
                .iter()
                .filter(|e| sis(e.origin))
                .count()),
        ),
        (
            RecordKind::FamilyRelationship,
            n(state.links.iter().filter(|l| sis(l.origin)).count()),
        ),
    ]
}

/// The worst crossing, unless the run overrides the threshold.
pub fn check(state: &State, plan: &Plan, policy: &Policy) -> Option<SafetyBlock> {
    if policy.override_threshold {
        return None;
    }
    let mut worst: Option<SafetyBlock> = None;
    for (kind, stored) in stored_counts(state) {
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
                .count() as i64,
        };
        let percent = abandoned as f64 * 100.0 / stored as f64;
        if percent > f64::from(policy.threshold_percent)
            && worst.as_ref().is_none_or(|w| percent > w.abandon_percent)
        {
            worst = Some(SafetyBlock {
                record_kind: kind,
                threshold_percent: policy.threshold_percent,
                abandon_count: abandoned,
                stored_count: stored,
                abandon_percent: percent,
            });
        }
    }
    worst
}
