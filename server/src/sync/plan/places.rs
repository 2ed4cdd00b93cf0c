//! Schools and classes (R2.4, R4.4, R5.3, R5.7, R5.10).

use super::abandon::{Abandoned, Abandonments};
use super::grades;
use super::resolve::{Resolved, gone, sis_by_source};
use super::{Plan, RunContext};
use crate::domain::{AbandonAction, IssueCode, Origin, RecordKind, Severity, SourceId, new_id};
use crate::snapshot::{Issue, SnapClass, Snapshot};
use crate::store::State;
use crate::store::models::{Class, School};
use chrono::NaiveDate;

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
    let stored = sis_by_source(&state.schools);
    for s in &state.schools {
        if let Some(sid) = &s.source_id {
            resolved.schools.insert(SourceId::new(sid), s.id);
        }
    }
    for src in &snap.schools {
        let count = plan.count(RecordKind::School);
        match stored.get(src.source_id.as_str()) {
            Some(row) if row.name == src.name && row.sis_id == src.sis_id => count.unchanged += 1,
            Some(row) => {
                count.updated += 1;
                plan.schools.changed.push(School {
                    name: src.name.to_string(),
                    sis_id: src.sis_id.to_string(),
                    updated_at: ctx.now,
                    ..(*row).clone()
                });
            }
            None => {
                count.created += 1;
                let row = School {
                    id: new_id(),
                    district_id: ctx.district_id,
                    source_id: Some(src.source_id.to_string()),
                    sis_id: src.sis_id.to_string(),
                    name: src.name.to_string(),
                    origin: Origin::Sis,
                    archived_at: None,
                    created_at: ctx.now,
                    updated_at: ctx.now,
                };
                resolved.schools.insert(src.source_id.clone(), row.id);
                plan.schools.new.push(row);
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
    let stored = sis_by_source(&state.classes);
    resolved.classes.reserve(snap.classes.len());
    for src in &snap.classes {
        let Some(&school_id) = resolved.schools.get(src.school_source_id.as_str()) else {
            continue; // reported by the reference check
        };
        let id = match stored.get(src.source_id.as_str()) {
            Some(row) => update_class(row, src, school_id, ctx, plan, abandonments),
            None => {
                plan.count(RecordKind::Class).created += 1;
                let row = Class {
                    id: new_id(),
                    district_id: ctx.district_id,
                    school_id,
                    source_id: Some(src.source_id.to_string()),
                    sis_id: src.sis_id.to_string(),
                    name: src.name.to_string(),
                    grades: grades::class(&src.grades, None, (&src.at, &src.source_id), plan),
                    origin: Origin::Sis,
                    archived_at: None,
                    created_at: ctx.now,
                    updated_at: ctx.now,
                    term_end_date: src.term_end.or_stored(None),
                };
                let id = row.id;
                plan.classes.new.push(row);
                id
            }
        };
        resolved.classes.insert(src.source_id.clone(), id);
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
            if let Some(end) = row.term_end_date.filter(|end| *end < ctx.now.date()) {
                ended(row, end, ctx, plan);
                continue;
            }
            plan.abandon(
                ctx,
                Abandoned {
                    kind: RecordKind::Class,
                    record_id: row.id,
                    related_id: None,
                    source_id: sid,
                    display_name: row.name.clone(),
                    school_id: Some(row.school_id),
                    action: AbandonAction::Archived,
                },
            );
            plan.classes.changed.push(Class {
                archived_at: Some(ctx.now),
                updated_at: ctx.now,
                ..row.clone()
            });
        }
    }
}

/// R5.10: a class gone from the source after its term ended (its stored term end, as the
/// source last gave it, is before the run's UTC date) is archived as ended, not abandoned.
/// It is archived as an abandoned class is (its members stay, R5.3), but no abandonment is
/// recorded: the run counts it as updated and says so with a `CLASS_TERM_ENDED` info
/// issue, and the thresholds of R7.2 and R7.5 count neither it nor its enrollments.
fn ended(row: &Class, end: NaiveDate, ctx: &RunContext, plan: &mut Plan) {
    plan.count(RecordKind::Class).updated += 1;
    plan.ended_classes.insert(row.id);
    let source_id = row.source_id.clone().unwrap_or_default();
    plan.issues.push(Issue {
        severity: Severity::Info,
        record_kind: RecordKind::Class,
        code: IssueCode::ClassTermEnded,
        message: format!(
            "class `{}` is gone from the source after its term ended on {end}: archived as ended, not abandoned (R5.10)",
            row.name
        ),
        at: Default::default(),
        source_id,
        field: String::new(),
    });
    plan.classes.changed.push(Class {
        archived_at: Some(ctx.now),
        updated_at: ctx.now,
        ..row.clone()
    });
}

/// A stored class the source lists: updated when it changed, restored when archived.
fn update_class(
    row: &Class,
    src: &SnapClass,
    school_id: i64,
    ctx: &RunContext,
    plan: &mut Plan,
    abandonments: &mut Abandonments,
) -> i64 {
    let grades = grades::class(
        &src.grades,
        Some(&row.grades),
        (&src.at, &src.source_id),
        plan,
    );
    let term_end_date = src.term_end.or_stored(row.term_end_date);
    let restored = row.archived_at.is_some();
    let changed = row.name != src.name
        || row.grades != grades
        || row.sis_id != src.sis_id
        || row.school_id != school_id
        || row.term_end_date != term_end_date;
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
        plan.classes.changed.push(Class {
            name: src.name.to_string(),
            grades,
            sis_id: src.sis_id.to_string(),
            school_id,
            term_end_date,
            archived_at: None,
            updated_at: ctx.now,
            ..row.clone()
        });
    }
    row.id
}
