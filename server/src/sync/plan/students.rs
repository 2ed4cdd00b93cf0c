//! Students (R2.1, R4.1, R5.6, R6.1): created and updated from the source, associated
//! with a manual student by a unique email (R1.4), archived when gone under the SOFT
//! policy (EXTREME removes their memberships instead: `memberships`).

use super::abandon::{Abandoned, Abandonments, full_name};
use super::grades;
use super::matching::match_stored;
use super::resolve::{Resolved, gone};
use super::{Plan, Policy, RunContext};
use crate::domain::{AbandonAction, FamilyPolicy, Origin, RecordKind, Text, new_id};
use crate::snapshot::{SnapStudent, Snapshot};
use crate::store::State;
use crate::store::models::Student;
use foldhash::HashMap;
use std::collections::BTreeMap;

pub(super) fn plan(
    state: &State,
    snap: &Snapshot,
    policy: &Policy,
    ctx: &RunContext,
    plan: &mut Plan,
    resolved: &mut Resolved,
    abandonments: &mut Abandonments,
) {
    let (stored, matched) = match_stored(&state.students, &snap.students);
    resolved.students.reserve(snap.students.len());
    for (src, existing) in snap.students.iter().zip(matched) {
        let attributes = attributes(src, existing.map(|r| r.attributes.as_str()));
        let stored_grade = existing.map(|r| r.grade.as_str());
        let grade = if src.carried.grade {
            grades::student(&src.grade, stored_grade, (&src.at, &src.source_id), plan)
        } else {
            stored_grade.unwrap_or_default().to_owned()
        };
        let id = match existing {
            Some(row) => update(row, src, (grade, attributes), ctx, plan, abandonments),
            None => {
                plan.count(RecordKind::Student).created += 1;
                let row = Student {
                    id: new_id(),
                    district_id: ctx.district_id,
                    source_id: Some(src.source_id.clone()),
                    sis_id: src.sis_id.clone(),
                    given_name: src.given_name.clone(),
                    family_name: src.family_name.clone(),
                    email: carried_email(src, None),
                    grade: grade.into(),
                    attributes,
                    origin: Origin::Sis,
                    archived_at: None,
                    created_at: ctx.now,
                    updated_at: ctx.now,
                };
                let id = row.id;
                plan.students.new.push(row);
                id
            }
        };
        resolved.students.insert(src.source_id.clone(), id);
    }
    if policy.family_policy == FamilyPolicy::Soft {
        archive_gone(state, snap, ctx, plan, resolved, stored);
    }
}

/// The student's email: the source's, or the stored one when the source does not carry
/// emails (R4.8).
fn carried_email(src: &SnapStudent, stored: Option<&str>) -> Text {
    if src.carried.email {
        src.email.clone()
    } else {
        stored.unwrap_or_default().into()
    }
}

/// The student's attributes as stored JSON (R2.6, R4.8): the source's for the keys it
/// carries, the stored ones for the others.
fn attributes(src: &SnapStudent, stored: Option<&str>) -> String {
    let mut merged: BTreeMap<String, String> = match &src.attribute_keys {
        None => BTreeMap::new(),
        Some(carried) => stored
            .and_then(|json| serde_json::from_str::<BTreeMap<String, String>>(json).ok())
            .unwrap_or_default()
            .into_iter()
            .filter(|(key, _)| !carried.contains(key))
            .collect(),
    };
    merged.extend(src.attributes.iter().map(|(k, v)| (k.clone(), v.clone())));
    serde_json::to_string(&merged).unwrap_or_else(|_| "{}".into())
}

/// A stored student the source lists: its source fields (the grade and attributes as
/// read), unarchived if it was archived.
fn update(
    row: &Student,
    src: &SnapStudent,
    (grade, attributes): (String, String),
    ctx: &RunContext,
    plan: &mut Plan,
    abandonments: &mut Abandonments,
) -> i64 {
    let next = Student {
        source_id: Some(src.source_id.clone()),
        sis_id: src.sis_id.clone(),
        given_name: src.given_name.clone(),
        family_name: src.family_name.clone(),
        email: carried_email(src, Some(&row.email)),
        grade: grade.into(),
        attributes,
        origin: Origin::Sis,
        archived_at: None,
        ..row.clone()
    };
    let restored = row.archived_at.is_some();
    let changed = next != *row;
    let count = plan.count(RecordKind::Student);
    if restored {
        count.restored += 1;
        abandonments.restore(plan, RecordKind::Student, row.id, None);
    } else if changed {
        count.updated += 1;
    } else {
        count.unchanged += 1;
    }
    if changed {
        plan.students.changed.push(Student {
            updated_at: ctx.now,
            ..next
        });
    }
    row.id
}

/// R6.1: a student gone from the source is archived; its enrollments and family links
/// stay.
fn archive_gone(
    state: &State,
    snap: &Snapshot,
    ctx: &RunContext,
    plan: &mut Plan,
    resolved: &Resolved,
    stored: HashMap<&str, &Student>,
) {
    let first_school: HashMap<i64, i64> = state
        .school_students
        .iter()
        .map(|m| (m.student_id, m.school_id))
        .collect();
    for (sid, row) in stored {
        let present = resolved.students.contains_key(sid);
        let unreadable = resolved.unreadable.users.contains(sid);
        if row.archived_at.is_some()
            || !gone(
                snap.users,
                present,
                snap.deleted.users.contains(sid),
                unreadable,
            )
        {
            continue;
        }
        plan.abandon(
            ctx,
            Abandoned {
                kind: RecordKind::Student,
                record_id: row.id,
                related_id: None,
                source_id: sid,
                display_name: full_name(&row.given_name, &row.family_name),
                school_id: first_school.get(&row.id).copied(),
                action: AbandonAction::Archived,
            },
        );
        plan.students.changed.push(Student {
            archived_at: Some(ctx.now),
            updated_at: ctx.now,
            ..row.clone()
        });
    }
}
