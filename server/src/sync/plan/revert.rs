//! The reverse plan of a run (R9.2), made from its undo log against the district as it is
//! now. Every row the run wrote goes back to what it was, ids and timestamps included,
//! unless it was edited since: a manual edit stays, field by field, and the report says
//! what was kept (`NOT_REVERTED`).
//!
//! - A row the run updated gets back each field the run changed and that still holds the
//!   run's value; untouched since, it is exactly as before (its `updated_at` too).
//! - A record the run created is deleted when it is as the run wrote it and nothing is
//!   attached to it any more (the run's own memberships go first). Otherwise a student or
//!   class is archived and a school or account (activated, edited, linked by hand) kept.
//! - Memberships the run added are removed unless changed since; those it removed come
//!   back as they were (their `created_at` too), unless made again meanwhile.
//! - Abandonments it recorded are closed (restored by the revert, so the abandoned
//!   records list shows them restored); those it closed are opened again.
//!
//! A revert is a plan like any other: its safety is checked (what it takes away counts as
//! abandoned), it may await approval, and it logs its own undo, so a revert can be
//! reverted too.

use super::undo::{Linked, Undo, Written, by_key, micros};
use super::{Plan, Policy, RunContext, safety};
use crate::domain::{AbandonAction, IssueCode, RecordKind, Severity};
use crate::snapshot::Issue;
use crate::store::fields::Reviewed;
use crate::store::models::*;
use crate::store::{Rows, State};
use chrono::NaiveDateTime;
use foldhash::{HashMap, HashSet};

/// A record row a revert can put back.
trait Revertible: Reviewed + Clone + PartialEq {
    /// `current` with every field the run changed (`before` to `after`) and that still
    /// holds the run's value put back; and whether a field the run changed was edited
    /// since (so it stays). A row as the run left it is exactly `before` again.
    fn restore(before: &Self, after: &Self, current: &Self, now: NaiveDateTime) -> (Self, bool);

    /// When the row last changed: a created row that still has the time it was inserted
    /// with was not touched since.
    fn updated_at(&self) -> NaiveDateTime;

    /// The row archived at `now`, for kinds a revert archives rather than keeps.
    fn archive(&self, _now: NaiveDateTime) -> Option<Self> {
        None
    }
}

/// Implements [`Revertible`] over the columns the apply writes for a table. `contact`
/// names an account's contact columns: once the account was activated since the run,
/// its contact is the user's (R4.6), and a revert leaves it as it is.
macro_rules! revertible {
    ($t:ty, [$($f:ident),+ $(,)?] $(, archive: $archive:expr)? $(, contact: [$($c:ident),+])?) => {
        impl Revertible for $t {
            fn restore(before: &Self, after: &Self, current: &Self, now: NaiveDateTime) -> (Self, bool) {
                #[allow(unused_mut)]
                let mut before = before.clone();
                #[allow(unused_mut)]
                let mut activated_kept = false;
                $(
                    if after.activated_at.is_none() && current.activated_at.is_some() {
                        $(
                            if before.$c != after.$c {
                                before.$c = current.$c.clone();
                                activated_kept = true;
                            }
                        )+
                    }
                )?
                let before = &before;
                let mut row = current.clone();
                let untouched = true $(&& current.$f == after.$f)+ && current.updated_at == after.updated_at;
                if untouched && !activated_kept {
                    $(row.$f = before.$f.clone();)+
                    row.updated_at = before.updated_at;
                    return (row, false);
                }
                let mut kept = false;
                $(
                    if after.$f != before.$f {
                        if current.$f == after.$f {
                            row.$f = before.$f.clone();
                        } else if current.$f != before.$f {
                            kept = true;
                        }
                    }
                )+
                if row != *current {
                    row.updated_at = now;
                }
                (row, kept || activated_kept)
            }

            fn updated_at(&self) -> NaiveDateTime {
                self.updated_at
            }

            $(fn archive(&self, now: NaiveDateTime) -> Option<Self> {
                let archive: fn(&Self, NaiveDateTime) -> Option<Self> = $archive;
                archive(self, now)
            })?
        }
    };
}

revertible!(School, [sis_id, name]);
revertible!(
    Student,
    [source_id, sis_id, given_name, family_name, email, grade, attributes, origin, archived_at],
    archive: |s, now| s.archived_at.is_none().then(|| Student {
        archived_at: Some(now),
        updated_at: now,
        ..s.clone()
    })
);
revertible!(
    Guardian,
    [
        source_id,
        sis_id,
        given_name,
        family_name,
        email,
        sms_number,
        home_phone,
        origin
    ],
    contact: [email, sms_number, home_phone]
);
revertible!(
    Staff,
    [
        source_id,
        sis_id,
        given_name,
        family_name,
        email,
        sms_number,
        home_phone,
        origin
    ],
    contact: [email, sms_number, home_phone]
);
revertible!(
    Class,
    [school_id, sis_id, name, grades, archived_at, term_end_date],
    archive: |c, now| c.archived_at.is_none().then(|| Class {
        archived_at: Some(now),
        updated_at: now,
        ..c.clone()
    })
);

/// What the revert does with one table's records, and what it reports.
struct Table<'p, T> {
    rows: &'p mut Rows<T>,
    deleted: &'p mut Vec<i64>,
    issues: &'p mut Vec<Issue>,
    counts: &'p mut crate::domain::Counts,
    /// What the revert takes away, for the safety check: (id, archived or deleted).
    taken: Vec<i64>,
}

impl<T: Revertible> Table<'_, T> {
    /// Reverts the updates and deletions of `log`, and the creations whose records
    /// `attached` does not hold.
    fn revert(
        &mut self,
        log: &Written<'_, T>,
        stored: &[T],
        attached: &HashSet<i64>,
        now: NaiveDateTime,
    ) {
        let current = by_key(stored, |r| r.id());
        for (before, after) in &log.changed {
            let Some(&now_row) = current.get(&before.id()) else {
                continue; // erased since
            };
            let (row, kept) = T::restore(before, after, now_row, now);
            if kept {
                self.kept(
                    now_row,
                    "was edited since the run; the edited fields stay as they are",
                );
            }
            if row != *now_row {
                if row.archived() && !now_row.archived() {
                    self.taken.push(row.id());
                }
                self.counts.updated += 1;
                self.rows.changed.push(row);
            }
        }
        for row in &log.deleted {
            if !current.contains_key(&row.id()) {
                self.counts.created += 1;
                self.rows.new.push(row.clone().into_owned());
            }
        }
        for &(id, inserted) in &log.created {
            let Some(&now_row) = current.get(&id) else {
                continue;
            };
            // An edit, an archive or an activation moves `updated_at`.
            if micros(now_row.updated_at()) == inserted && !attached.contains(&id) {
                self.counts.abandoned += 1;
                self.taken.push(id);
                self.deleted.push(id);
            } else if let Some(archived) = now_row.archive(now) {
                self.kept(
                    now_row,
                    "was created by the run, then edited or given memberships by hand; archived instead of deleted",
                );
                self.counts.abandoned += 1;
                self.taken.push(id);
                self.rows.changed.push(archived);
            } else if !now_row.archived() {
                self.kept(
                    now_row,
                    "was created by the run, then activated, edited or given memberships by hand; kept",
                );
            }
        }
    }

    fn kept(&mut self, row: &T, why: &str) {
        self.counts.skipped += 1;
        self.issues.push(Issue {
            severity: Severity::Warning,
            record_kind: T::KIND,
            code: IssueCode::NotReverted,
            message: format!("{} {why} (R9.2)", name(row)),
            at: Default::default(),
            source_id: row.source_id().unwrap_or_default().to_owned(),
            field: String::new(),
        });
    }
}

fn name<T: Reviewed>(row: &T) -> String {
    let name = row.display_name();
    match row.source_id() {
        Some(s) if !s.is_empty() => format!("{} `{s}` ({name})", T::KIND.as_str()),
        _ => format!("{} #{} ({name})", T::KIND.as_str(), row.id()),
    }
}

/// Reverts one membership table: the run's additions still as it made them are removed,
/// its removals not made again come back. The keys it removes.
fn unlink<T: Clone + Membership>(
    log: &Linked<'_, T>,
    stored: &[T],
    (add, remove): (&mut Vec<T>, &mut Vec<(i64, i64)>),
) -> HashSet<(i64, i64)> {
    let current = by_key(stored, T::key);
    let mut removed = HashSet::default();
    for &(a, b, inserted) in &log.added {
        let k = (a, b);
        if current
            .get(&k)
            .is_some_and(|now| micros(now.created_at()) == inserted)
        {
            remove.push(k);
            removed.insert(k);
        }
    }
    for gone in &log.removed {
        if !current.contains_key(&gone.key()) {
            add.push(gone.clone().into_owned());
        }
    }
    removed
}

/// Ids on one side of the memberships left once the revert's removals are done.
fn left<'a, T: Membership>(
    stored: &'a [T],
    removed: &'a HashSet<(i64, i64)>,
    side: fn((i64, i64)) -> i64,
) -> impl Iterator<Item = i64> + 'a {
    stored
        .iter()
        .map(T::key)
        .filter(move |k| !removed.contains(k))
        .map(side)
}

/// The reverse plan of the run `undo` logged, against `state`.
pub fn revert(undo: &Undo<'_>, state: &State, policy: &Policy, ctx: &RunContext) -> Plan {
    let now = ctx.now;
    // Put back as it was: an active user's contact too (the run changed it).
    let mut plan = Plan::against(state, ctx, true);
    let first: fn((i64, i64)) -> i64 = |k| k.0;
    let second: fn((i64, i64)) -> i64 = |k| k.1;
    let gone_school_students = unlink(
        &undo.school_students,
        &state.school_students,
        (
            &mut plan.add_school_students,
            &mut plan.remove_school_students,
        ),
    );
    let gone_school_staff = unlink(
        &undo.school_staff,
        &state.school_staff,
        (&mut plan.add_school_staff, &mut plan.remove_school_staff),
    );
    let gone_class_students = unlink(
        &undo.class_students,
        &state.class_students,
        (
            &mut plan.add_class_students,
            &mut plan.remove_class_students,
        ),
    );
    let gone_class_teachers = unlink(
        &undo.class_teachers,
        &state.class_teachers,
        (
            &mut plan.add_class_teachers,
            &mut plan.remove_class_teachers,
        ),
    );
    let gone_links = unlink(
        &undo.links,
        &state.links,
        (&mut plan.add_links, &mut plan.remove_links),
    );
    for (kind, created, abandoned) in [
        (
            RecordKind::StudentEnrollment,
            plan.add_class_students.len(),
            plan.remove_class_students.len(),
        ),
        (
            RecordKind::TeacherEnrollment,
            plan.add_class_teachers.len(),
            plan.remove_class_teachers.len(),
        ),
        (
            RecordKind::FamilyRelationship,
            plan.add_links.len(),
            plan.remove_links.len(),
        ),
    ] {
        if created + abandoned > 0 {
            let c = plan.count(kind);
            c.created += created as i64;
            c.abandoned += abandoned as i64;
        }
    }

    // What stays attached to each record once the memberships are reverted.
    let students_attached: HashSet<i64> =
        left(&state.school_students, &gone_school_students, second)
            .chain(left(&state.class_students, &gone_class_students, second))
            .chain(left(&state.links, &gone_links, first))
            .collect();
    let guardians_attached: HashSet<i64> = left(&state.links, &gone_links, second).collect();
    let staff_attached: HashSet<i64> = left(&state.school_staff, &gone_school_staff, second)
        .chain(left(&state.class_teachers, &gone_class_teachers, second))
        .collect();
    let classes_attached: HashSet<i64> = left(&state.class_students, &gone_class_students, first)
        .chain(left(&state.class_teachers, &gone_class_teachers, first))
        .collect();

    let mut counts = plan.counts.clone();
    let mut issues = Vec::new();
    macro_rules! table {
        ($field:ident, $kind:expr, $attached:expr) => {{
            let mut t = Table {
                rows: &mut plan.$field,
                deleted: &mut plan.deleted.$field,
                issues: &mut issues,
                counts: counts.entry($kind).or_default(),
                taken: Vec::new(),
            };
            t.revert(&undo.$field, &state.$field, $attached, now);
            t.taken
        }};
    }
    let students_taken = table!(students, RecordKind::Student, &students_attached);
    table!(guardians, RecordKind::Guardian, &guardians_attached);
    table!(staff, RecordKind::Staff, &staff_attached);
    let classes_taken = table!(classes, RecordKind::Class, &classes_attached);
    // A school stays while anything of it stays: memberships, and classes not deleted.
    let deleted_classes: HashSet<i64> = plan.deleted.classes.iter().copied().collect();
    let schools_attached: HashSet<i64> = left(&state.school_students, &gone_school_students, first)
        .chain(left(&state.school_staff, &gone_school_staff, first))
        .chain(
            state
                .classes
                .iter()
                .filter(|c| !deleted_classes.contains(&c.id))
                .map(|c| c.school_id),
        )
        .chain(plan.classes.iter().map(|c| c.school_id))
        .collect();
    table!(schools, RecordKind::School, &schools_attached);
    counts.retain(|_, c| *c != crate::domain::Counts::default());
    plan.counts = counts;
    plan.issues = issues;

    let open: HashSet<i64> = state.open_abandonments.iter().map(|a| a.id).collect();
    plan.restored = undo
        .opened
        .iter()
        .chain(&undo.reopened)
        .copied()
        .filter(|id| open.contains(id))
        .collect();
    plan.reopened = undo
        .closed
        .iter()
        .copied()
        .filter(|id| !open.contains(id))
        .collect();

    plan.safety_block = safety::check(
        state,
        &taken_away(&plan, state, ctx, &students_taken, &classes_taken),
        policy,
    );
    plan.in_key_order();
    plan
}

/// What a reverse plan takes away, as abandonments, for the thresholds of R7.2 and R7.5:
/// the students and classes it archives or deletes, the school memberships it removes
/// (a person put back in another school is moved, not counted), and the enrollments and
/// family links it removes. Nothing of it is recorded as an abandonment.
fn taken_away(
    plan: &Plan,
    state: &State,
    ctx: &RunContext,
    students: &[i64],
    classes: &[i64],
) -> Plan {
    let row = |kind, record_id, related_id, school_id| AbandonedRow {
        id: 0,
        district_id: ctx.district_id,
        run_id: ctx.run_id,
        record_kind: kind,
        record_id,
        related_id,
        source_id: String::new(),
        display_name: String::new(),
        school_id,
        action: AbandonAction::Archived,
        abandoned_at: ctx.now,
        restored_at: None,
        restore_run_id: None,
    };
    let mut school_of: HashMap<i64, i64> = HashMap::default();
    for m in &state.school_students {
        school_of.insert(m.student_id, m.school_id);
    }
    let back_in_school: HashSet<i64> = plan
        .add_school_students
        .iter()
        .map(|m| m.student_id)
        .collect();
    let staff_back: HashSet<i64> = plan.add_school_staff.iter().map(|m| m.staff_id).collect();
    let mut abandoned: Vec<AbandonedRow> = students
        .iter()
        .map(|&s| row(RecordKind::Student, s, None, school_of.get(&s).copied()))
        .collect();
    abandoned.extend(
        plan.remove_school_students
            .iter()
            .filter(|(_, s)| !back_in_school.contains(s))
            .map(|&(school, s)| row(RecordKind::Student, s, Some(school), Some(school))),
    );
    abandoned.extend(
        plan.remove_school_staff
            .iter()
            .filter(|(_, s)| !staff_back.contains(s))
            .map(|&(school, s)| row(RecordKind::Staff, s, Some(school), Some(school))),
    );
    abandoned.extend(
        classes
            .iter()
            .map(|&c| row(RecordKind::Class, c, None, None)),
    );
    abandoned.extend(
        plan.remove_class_students
            .iter()
            .map(|&(c, s)| row(RecordKind::StudentEnrollment, s, Some(c), None)),
    );
    abandoned.extend(
        plan.remove_class_teachers
            .iter()
            .map(|&(c, s)| row(RecordKind::TeacherEnrollment, s, Some(c), None)),
    );
    abandoned.extend(
        plan.remove_links
            .iter()
            .map(|&(s, g)| row(RecordKind::FamilyRelationship, g, Some(s), None)),
    );
    Plan {
        abandoned,
        ..Plan::default()
    }
}

#[cfg(test)]
mod tests;
