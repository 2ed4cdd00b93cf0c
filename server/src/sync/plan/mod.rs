//! The planner: the product's brain. It compares the stored district with what the source
//! says and decides every create, update, abandonment, restore and skip by the rules of
//! `sync-rules.md`. Plain data in, plain data out: no database, no clock (`now` is passed
//! in), no async, so every rule is tested fast and exhaustively in `tests`.

mod credentials;
mod links;
mod people;
mod places;
mod safety;
#[cfg(test)]
mod tests;

use super::snapshot::{Coverage, Issue, Snapshot};
use super::state::State;
use crate::domain::{AbandonAction, FamilyPolicy, Origin, RecordKind, Severity};
use crate::store::models::*;
use chrono::NaiveDateTime;
use foldhash::{HashMap, HashSet};
use std::collections::BTreeMap;

pub use safety::SafetyBlock;

/// The district settings the planner needs.
#[derive(Debug, Clone)]
pub struct Policy {
    pub update_active_users: bool,
    pub family_policy: FamilyPolicy,
    pub threshold_percent: i32,
    pub phone_region: String,
    pub override_threshold: bool,
}

/// What a run did (or would do) to one kind of record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub abandoned: i64,
    pub restored: i64,
    pub skipped: i64,
    pub invalid: i64,
}

/// Ids and time of the run being planned.
#[derive(Debug, Clone, Copy)]
pub struct RunContext {
    pub district_id: i64,
    pub run_id: i64,
    pub now: NaiveDateTime,
}

/// Every change a run applies, as rows for batched statements.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Rows to write whole (created or changed), keyed by primary key.
    pub schools: Vec<School>,
    pub students: Vec<Student>,
    pub guardians: Vec<Guardian>,
    pub staff: Vec<Staff>,
    pub classes: Vec<Class>,
    pub add_school_students: Vec<SchoolStudent>,
    /// (school id, student id)
    pub remove_school_students: Vec<(i64, i64)>,
    pub add_school_staff: Vec<SchoolStaff>,
    /// (school id, staff id)
    pub remove_school_staff: Vec<(i64, i64)>,
    pub add_class_students: Vec<ClassStudent>,
    /// (class id, student id)
    pub remove_class_students: Vec<(i64, i64)>,
    pub add_class_teachers: Vec<ClassTeacher>,
    /// (class id, staff id)
    pub remove_class_teachers: Vec<(i64, i64)>,
    pub add_links: Vec<FamilyLink>,
    /// (student id, guardian id)
    pub remove_links: Vec<(i64, i64)>,
    /// Guardians and staff updated without a change to their contact details: the apply
    /// leaves their contact columns alone (an edit made during the run stands).
    pub keep_contact: HashSet<i64>,
    /// New abandonment records (R5: what, when, which run, which action).
    pub abandoned: Vec<AbandonedRow>,
    /// Ids of open abandonment records closed by a restore (R5.7).
    pub restored: Vec<i64>,
    pub counts: BTreeMap<RecordKind, Counts>,
    pub issues: Vec<Issue>,
    /// Set when the plan abandons more than the threshold allows (R7.2).
    pub safety_block: Option<SafetyBlock>,
}

impl Plan {
    fn count(&mut self, kind: RecordKind) -> &mut Counts {
        self.counts.entry(kind).or_default()
    }

    /// Whether applying the plan would write nothing.
    pub fn is_empty(&self) -> bool {
        self.schools.is_empty()
            && self.students.is_empty()
            && self.guardians.is_empty()
            && self.staff.is_empty()
            && self.classes.is_empty()
            && self.add_school_students.is_empty()
            && self.remove_school_students.is_empty()
            && self.add_school_staff.is_empty()
            && self.remove_school_staff.is_empty()
            && self.add_class_students.is_empty()
            && self.remove_class_students.is_empty()
            && self.add_class_teachers.is_empty()
            && self.remove_class_teachers.is_empty()
            && self.add_links.is_empty()
            && self.remove_links.is_empty()
            && self.abandoned.is_empty()
            && self.restored.is_empty()
    }

    /// How many row changes applying the plan makes, for progress.
    pub fn change_count(&self) -> usize {
        self.schools.len()
            + self.students.len()
            + self.guardians.len()
            + self.staff.len()
            + self.classes.len()
            + self.add_school_students.len()
            + self.remove_school_students.len()
            + self.add_school_staff.len()
            + self.remove_school_staff.len()
            + self.add_class_students.len()
            + self.remove_class_students.len()
            + self.add_class_teachers.len()
            + self.remove_class_teachers.len()
            + self.add_links.len()
            + self.remove_links.len()
            + self.abandoned.len()
            + self.restored.len()
    }
}

/// Source ids of rows the source has but could not be read (skipped with an error
/// issue, R3.3): such a record is neither present nor gone, so nothing of it changes.
#[derive(Debug, Default)]
struct Unreadable {
    users: HashSet<String>,
    classes: HashSet<String>,
    enrollments: HashSet<String>,
}

impl Unreadable {
    fn from_issues(issues: &[Issue]) -> Self {
        let mut u = Unreadable::default();
        for issue in issues
            .iter()
            .filter(|i| i.severity == Severity::Error && !i.source_id.is_empty())
        {
            let set = match issue.record_kind {
                RecordKind::Student | RecordKind::Guardian | RecordKind::Staff => &mut u.users,
                RecordKind::Class => &mut u.classes,
                RecordKind::StudentEnrollment | RecordKind::TeacherEnrollment => &mut u.enrollments,
                RecordKind::School | RecordKind::FamilyRelationship => continue,
            };
            set.insert(issue.source_id.clone());
        }
        u
    }
}

/// Source id -> product id of the records present in the source, by kind.
#[derive(Debug, Default)]
struct Resolved {
    unreadable: Unreadable,
    schools: HashMap<String, i64>,
    students: HashMap<String, i64>,
    guardians: HashMap<String, i64>,
    staff: HashMap<String, i64>,
    classes: HashMap<String, i64>,
}

impl Resolved {
    /// A source that does not list every record of a kind (delta or absent) still refers
    /// to stored ones: they resolve too, unless the source deleted them. Schools first
    /// (classes need them); the rest once the listed records were planned, since those
    /// steps tell listed records from missing ones.
    fn add_unlisted_schools(&mut self, state: &State, snap: &Snapshot) {
        add_unlisted(
            &mut self.schools,
            snap.orgs,
            &snap.deleted.schools,
            state
                .schools
                .iter()
                .map(|r| (r.id, r.source_id.as_ref(), r.origin.as_str())),
        );
    }

    fn add_unlisted(&mut self, state: &State, snap: &Snapshot) {
        let d = &snap.deleted;
        add_unlisted(
            &mut self.classes,
            snap.class_coverage,
            &d.classes,
            state
                .classes
                .iter()
                .map(|r| (r.id, r.source_id.as_ref(), r.origin.as_str())),
        );
        add_unlisted(
            &mut self.students,
            snap.users,
            &d.users,
            state
                .students
                .iter()
                .map(|r| (r.id, r.source_id.as_ref(), r.origin.as_str())),
        );
        add_unlisted(
            &mut self.guardians,
            snap.users,
            &d.users,
            state
                .guardians
                .iter()
                .map(|r| (r.id, r.source_id.as_ref(), r.origin.as_str())),
        );
        add_unlisted(
            &mut self.staff,
            snap.users,
            &d.users,
            state
                .staff
                .iter()
                .map(|r| (r.id, r.source_id.as_ref(), r.origin.as_str())),
        );
    }
}

fn add_unlisted<'a>(
    map: &mut HashMap<String, i64>,
    coverage: Coverage,
    deleted: &HashSet<String>,
    rows: impl Iterator<Item = (i64, Option<&'a String>, &'a str)>,
) {
    if coverage == Coverage::Bulk {
        return;
    }
    for (id, sid, origin) in rows {
        if let Some(sid) = sid.filter(|s| origin == Origin::Sis.as_str() && !deleted.contains(*s)) {
            map.entry(sid.clone()).or_insert(id);
        }
    }
}

/// Open abandonments by (kind, record, related), so a comeback can close its own.
struct Abandonments<'a> {
    open: HashMap<(String, i64, Option<i64>), &'a AbandonedRow>,
}

impl<'a> Abandonments<'a> {
    fn new(rows: &'a [AbandonedRow]) -> Self {
        Abandonments {
            open: rows
                .iter()
                .map(|r| ((r.record_kind.clone(), r.record_id, r.related_id), r))
                .collect(),
        }
    }

    /// Closes the open abandonment of this record, if any; true when one was closed.
    fn restore(
        &mut self,
        plan: &mut Plan,
        kind: RecordKind,
        record_id: i64,
        related_id: Option<i64>,
    ) -> bool {
        match self
            .open
            .remove(&(kind.as_str().to_owned(), record_id, related_id))
        {
            Some(row) => {
                plan.restored.push(row.id);
                true
            }
            None => false,
        }
    }

    /// Whether an abandonment of this record is already open (so it is not recorded twice).
    fn is_open(&self, kind: RecordKind, record_id: i64, related_id: Option<i64>) -> bool {
        self.open
            .contains_key(&(kind.as_str().to_owned(), record_id, related_id))
    }
}

/// Records one abandonment.
#[allow(clippy::too_many_arguments)]
fn abandon(
    plan: &mut Plan,
    ctx: &RunContext,
    kind: RecordKind,
    record_id: i64,
    related_id: Option<i64>,
    source_id: &str,
    display_name: String,
    school_id: Option<i64>,
    action: AbandonAction,
) {
    plan.count(kind).abandoned += 1;
    plan.abandoned.push(AbandonedRow {
        id: crate::domain::new_id(),
        district_id: ctx.district_id,
        run_id: ctx.run_id,
        record_kind: kind.as_str().to_owned(),
        record_id,
        related_id,
        source_id: source_id.to_owned(),
        display_name,
        school_id,
        action: action.as_str().to_owned(),
        abandoned_at: ctx.now,
        restored_at: None,
        restore_run_id: None,
    });
}

/// Computes the plan of a run.
pub fn plan(state: &State, snapshot: &Snapshot, policy: &Policy, ctx: &RunContext) -> Plan {
    let mut plan = Plan::default();
    let mut abandonments = Abandonments::new(&state.open_abandonments);
    for issue in &snapshot.issues {
        if issue.severity == Severity::Error {
            plan.count(issue.record_kind).invalid += 1;
        }
    }
    plan.issues.extend(snapshot.issues.iter().cloned());
    if !snapshot.attributes_supported && !snapshot.students.is_empty() {
        plan.issues.push(Issue {
            severity: Severity::Info,
            record_kind: RecordKind::Student,
            code: "ATTRIBUTES_NOT_SYNCED".into(),
            message: "this source does not carry student attributes; they were not synced (R2.6)"
                .into(),
            at: Default::default(),
            source_id: String::new(),
            field: String::new(),
        });
    }

    let mut resolved = Resolved {
        unreadable: Unreadable::from_issues(&snapshot.issues),
        ..Default::default()
    };
    places::schools(state, snapshot, ctx, &mut plan, &mut resolved);
    resolved.add_unlisted_schools(state, snapshot);
    places::classes(
        state,
        snapshot,
        ctx,
        &mut plan,
        &mut resolved,
        &mut abandonments,
    );
    people::students(
        state,
        snapshot,
        policy,
        ctx,
        &mut plan,
        &mut resolved,
        &mut abandonments,
    );
    people::accounts(state, snapshot, policy, ctx, &mut plan, &mut resolved);
    resolved.add_unlisted(state, snapshot);
    links::school_memberships(
        state,
        snapshot,
        policy,
        ctx,
        &mut plan,
        &resolved,
        &mut abandonments,
    );
    links::enrollments(
        state,
        snapshot,
        policy,
        ctx,
        &mut plan,
        &resolved,
        &mut abandonments,
    );
    links::relationships(
        state,
        snapshot,
        ctx,
        &mut plan,
        &resolved,
        &mut abandonments,
    );
    plan.safety_block = safety::check(state, &plan, policy);
    plan
}
