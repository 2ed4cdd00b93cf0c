//! Family relationships (R8.3, R5.1): one link per pair; a guardian no longer listed for
//! a student still in the source is disconnected. When the student is gone too, the link
//! stays (R6.2).

use super::abandon::{Abandoned, Abandonments};
use super::resolve::{Person, Stored};
use super::{Plan, Step};
use crate::domain::{AbandonAction, Origin, RecordKind};
use crate::snapshot::Coverage;
use crate::store::models::FamilyLink;
use foldhash::{HashMap, HashSet};

pub(super) fn plan(step: &Step, plan: &mut Plan, abandonments: &mut Abandonments) {
    let (state, snap, resolved, ctx) = (step.state, step.snap, step.resolved, step.ctx);
    if snap.users == Coverage::Absent {
        return;
    }
    let desired: HashSet<(i64, i64)> = snap
        .links
        .iter()
        .filter_map(|l| {
            Some((
                *resolved.students.get(l.student_source_id.as_str())?,
                *resolved.guardians.get(l.guardian_source_id.as_str())?,
            ))
        })
        .collect();
    let stored: HashSet<(i64, i64)> = state
        .links
        .iter()
        .map(|l| (l.student_id, l.guardian_id))
        .collect();
    let kind = RecordKind::FamilyRelationship;
    for &(student_id, guardian_id) in desired.difference(&stored) {
        plan.add_links.push(FamilyLink {
            student_id,
            guardian_id,
            district_id: ctx.district_id,
            origin: Origin::Sis,
            created_at: ctx.now,
        });
        // A link that comes back is restored, not created (R5.7).
        if abandonments.restore(plan, kind, student_id, Some(guardian_id)) {
            plan.count(kind).restored += 1;
        } else {
            plan.count(kind).created += 1;
        }
    }
    disconnect(step, plan, abandonments, &desired);
}

/// Disconnects the stored sis links the source no longer lists, while their student is
/// in the source (R5.1). A guardian whose row was unreadable this time keeps its links
/// (R3.3). In a delta, a link goes when a row of one of its ends, listed now, names
/// agents but not the other end: such a row is that user's whole list.
fn disconnect(
    step: &Step,
    plan: &mut Plan,
    abandonments: &Abandonments,
    desired: &HashSet<(i64, i64)>,
) {
    let (state, snap, resolved) = (step.state, step.snap, step.resolved);
    let kind = RecordKind::FamilyRelationship;
    let students: HashMap<i64, _> = state.students.iter().map(|s| (s.id, s)).collect();
    let guardians: HashMap<i64, _> = state.guardians.iter().map(|g| (g.id, g)).collect();
    let listed_students: HashSet<&str> =
        snap.students.iter().map(|s| s.source_id.as_str()).collect();
    let listed_guardians: HashSet<&str> = snap
        .guardians
        .iter()
        .map(|g| g.source_id.as_str())
        .collect();
    for l in state
        .links
        .iter()
        .filter(|l| step.managed.link(l.origin, l.student_id, l.guardian_id))
    {
        let key = (l.student_id, l.guardian_id);
        if desired.contains(&key) {
            plan.count(kind).unchanged += 1;
            continue;
        }
        let student = students.get(&l.student_id);
        let guardian = guardians.get(&l.guardian_id);
        let sid = student.and_then(|s| s.source_id());
        let student_present = sid.is_some_and(|s| resolved.students.contains_key(s));
        let guardian_unreadable = guardian
            .and_then(|g| g.source_id())
            .is_some_and(|s| resolved.unreadable.users.contains(s));
        let listed_without = |sid: Option<&str>, listed: &HashSet<&str>| {
            sid.is_some_and(|s| listed.contains(s) && snap.agent_rows.contains(s))
        };
        let delta_gone = snap.users == Coverage::Delta
            && (listed_without(sid, &listed_students)
                || listed_without(guardian.and_then(|g| g.source_id()), &listed_guardians));
        if !student_present
            || (snap.users != Coverage::Bulk && !delta_gone)
            || guardian_unreadable
            || abandonments.is_open(kind, l.student_id, Some(l.guardian_id))
        {
            continue;
        }
        let name = format!(
            "{} (guardian of {})",
            guardian.map(|g| g.display_name()).unwrap_or_default(),
            student.map(|s| s.display_name()).unwrap_or_default(),
        );
        plan.abandon(
            step.ctx,
            Abandoned {
                kind,
                record_id: l.student_id,
                related_id: Some(l.guardian_id),
                source_id: sid.unwrap_or_default(),
                display_name: name,
                school_id: None,
                action: AbandonAction::Disconnected,
            },
        );
        plan.remove_links.push(key);
    }
}
