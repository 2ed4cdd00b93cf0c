//! Schools and classes (R2.4, R4.4, R5.3, R5.7).

use super::{Abandonments, Plan, Resolved, RunContext, abandon};
use crate::domain::{AbandonAction, Origin, RecordKind, new_id};
use crate::store::models::{Class, School};
use crate::sync::snapshot::{Coverage, Snapshot};
use crate::sync::state::State;
use foldhash::HashMap;

/// Whether a stored record is gone from the source: listed as deleted, or missing from a
/// source that lists every record of its kind.
/// A record whose row was unreadable this time (skipped with an issue, R3.3) is not gone:
/// it stays as stored until a source lists it readably or leaves it out.
pub(super) fn gone(coverage: Coverage, present: bool, deleted: bool, unreadable: bool) -> bool {
    !present && !unreadable && (deleted || coverage == Coverage::Bulk)
}

pub(super) fn sis_by_source<T>(
    rows: &[T],
    origin: impl Fn(&T) -> &str,
    sid: impl Fn(&T) -> Option<&str>,
) -> HashMap<&str, &T> {
    rows.iter()
        .filter(|r| origin(r) == Origin::Sis.as_str())
        .filter_map(|r| sid(r).map(|s| (s, r)))
        .collect()
}

/// Schools are created and renamed from the source. A school missing from the source is
/// left as it is: the rules abandon people and classes, never a whole school, so a
/// truncated export cannot empty one.
pub(super) fn schools(
    state: &State,
    snap: &Snapshot,
    ctx: &RunContext,
    plan: &mut Plan,
    resolved: &mut Resolved,
) {
    let stored = sis_by_source(&state.schools, |s| &s.origin, |s| s.source_id.as_deref());
    for s in &state.schools {
        if let Some(sid) = &s.source_id {
            resolved.schools.insert(sid.clone(), s.id);
        }
    }
    for src in &snap.schools {
        let count = plan.count(RecordKind::School);
        match stored.get(src.source_id.as_str()) {
            Some(row) => {
                if row.name == src.name && row.sis_id == src.sis_id {
                    count.unchanged += 1;
                } else {
                    count.updated += 1;
                    plan.schools.push(School {
                        name: src.name.clone(),
                        sis_id: src.sis_id.clone(),
                        updated_at: ctx.now,
                        ..(*row).clone()
                    });
                }
            }
            None => {
                count.created += 1;
                let row = School {
                    id: new_id(),
                    district_id: ctx.district_id,
                    source_id: Some(src.source_id.clone()),
                    sis_id: src.sis_id.clone(),
                    name: src.name.clone(),
                    origin: Origin::Sis.as_str().into(),
                    archived_at: None,
                    created_at: ctx.now,
                    updated_at: ctx.now,
                };
                resolved.schools.insert(src.source_id.clone(), row.id);
                plan.schools.push(row);
            }
        }
    }
}

/// Classes are matched by source id only, never by name (R1.4); an abandoned classroom
/// is archived, not deleted (R5.3), and unarchived when it comes back (R5.7).
pub(super) fn classes(
    state: &State,
    snap: &Snapshot,
    ctx: &RunContext,
    plan: &mut Plan,
    resolved: &mut Resolved,
    abandonments: &mut Abandonments,
) {
    let stored = sis_by_source(&state.classes, |c| &c.origin, |c| c.source_id.as_deref());
    for src in &snap.classes {
        let Some(&school_id) = resolved.schools.get(&src.school_source_id) else {
            continue; // reported by the reference check
        };
        let grades = src.grades.join(",");
        let row = match stored.get(src.source_id.as_str()) {
            Some(row) => {
                let restored = row.archived_at.is_some();
                let changed = row.name != src.name
                    || row.grades != grades
                    || row.sis_id != src.sis_id
                    || row.school_id != school_id;
                let count = plan.count(RecordKind::Class);
                if restored {
                    count.restored += 1;
                    abandonments.restore(plan, RecordKind::Class, row.id, None);
                } else if changed {
                    count.updated += 1;
                } else {
                    count.unchanged += 1;
                }
                if restored || changed {
                    plan.classes.push(Class {
                        name: src.name.clone(),
                        grades,
                        sis_id: src.sis_id.clone(),
                        school_id,
                        archived_at: None,
                        updated_at: ctx.now,
                        ..(*row).clone()
                    });
                }
                row.id
            }
            None => {
                plan.count(RecordKind::Class).created += 1;
                let row = Class {
                    id: new_id(),
                    district_id: ctx.district_id,
                    school_id,
                    source_id: Some(src.source_id.clone()),
                    sis_id: src.sis_id.clone(),
                    name: src.name.clone(),
                    grades,
                    origin: Origin::Sis.as_str().into(),
                    archived_at: None,
                    created_at: ctx.now,
                    updated_at: ctx.now,
                };
                let id = row.id;
                plan.classes.push(row);
                id
            }
        };
        resolved.classes.insert(src.source_id.clone(), row);
    }
    for (sid, row) in stored {
        let present = resolved.classes.contains_key(sid);
        if row.archived_at.is_none()
            && gone(
                snap.class_coverage,
                present,
                snap.deleted.classes.contains(sid),
                resolved.unreadable.classes.contains(sid),
            )
        {
            abandon(
                plan,
                ctx,
                RecordKind::Class,
                row.id,
                None,
                sid,
                row.name.clone(),
                Some(row.school_id),
                AbandonAction::Archived,
            );
            plan.classes.push(Class {
                archived_at: Some(ctx.now),
                updated_at: ctx.now,
                ..row.clone()
            });
        }
    }
}
