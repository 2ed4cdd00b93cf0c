//! The planner: the product's brain. It compares the stored district with what the source
//! says and decides every create, update, abandonment, restore and skip by the rules of
//! `docs/rules.md`. Plain data in, plain data out: no database, no clock (`now` is passed
//! in), no async, so every rule is tested fast and exhaustively in `tests`.
//!
//! The steps run in the order their results are needed: places (schools, classes), then
//! people (students; guardians and staff, whose credentials are checked together), then
//! what links them (school memberships, class enrollments, family relationships), then
//! the safety check of the whole.

mod abandon;
mod accounts;
pub mod changes;
mod contact;
mod credentials;
mod enrollments;
mod families;
mod grades;
mod managed;
mod matching;
mod memberships;
mod places;
mod resolve;
mod revert;
mod safety;
mod students;
#[cfg(test)]
mod tests;
pub mod undo;

pub use revert::revert;

use crate::domain::{
    Counts, CountsByKind, FamilyPolicy, IssueCode, RecordKind, SafetyBlock, Severity, SyncSettings,
};
use crate::snapshot::{Issue, KnownIds, Snapshot};
use crate::store::models::*;
use crate::store::queries::undo::Deleted;
use crate::store::{Rows, State};
use abandon::Abandonments;
use chrono::NaiveDateTime;
use foldhash::HashSet;
use managed::Managed;
use resolve::Resolved;
use std::sync::Arc;

/// The district settings the planner needs.
#[derive(Debug, Clone)]
pub struct Policy {
    pub update_active_users: bool,
    pub family_policy: FamilyPolicy,
    pub threshold_percent: i32,
    /// R7.5: the share of one school's students or staff a run may abandon.
    pub school_threshold_percent: i32,
    pub phone_region: String,
    pub override_threshold: bool,
}

impl Policy {
    /// The district's settings as the planner applies them.
    pub fn of(settings: &SyncSettings, override_threshold: bool) -> Policy {
        Policy {
            update_active_users: settings.update_active_users,
            family_policy: settings.abandoned_family_policy,
            threshold_percent: settings.abandon_threshold_percent,
            school_threshold_percent: settings.school_abandon_threshold_percent,
            phone_region: settings.default_phone_region.clone(),
            override_threshold,
        }
    }
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
    pub district_id: i64,
    pub schools: Shared<Rows<School>>,
    pub students: Shared<Rows<Student>>,
    pub guardians: Shared<Rows<Guardian>>,
    pub staff: Shared<Rows<Staff>>,
    pub classes: Shared<Rows<Class>>,
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
    pub keep_contact: Shared<HashSet<i64>>,
    /// Whether the district updates active users' contact (R4.6); when not, the apply
    /// also leaves alone the contact of a user activated while the run was planning.
    pub update_active_users: bool,
    /// New abandonment records (R5: what, when, which run, which action).
    pub abandoned: Vec<AbandonedRow>,
    /// Ids of open abandonment records closed by a restore (R5.7), or by a revert of the
    /// run that opened them (R9.2).
    pub restored: Vec<i64>,
    /// Records a revert deletes: created by the reverted run, untouched since (R9.2).
    pub deleted: Deleted,
    /// Ids of abandonment records a revert opens again (the reverted run closed them).
    pub reopened: Vec<i64>,
    /// Classes archived because their term ended (R5.10): archived, not abandoned, and
    /// left out of the thresholds with their enrollments.
    pub ended_classes: HashSet<i64>,
    pub counts: CountsByKind,
    /// What planning the same source again would count once this plan is applied
    /// ([`counts_again`]): a run that applies the plan settles the district on its
    /// source with these (`sync::settled`).
    pub counts_again: CountsByKind,
    pub issues: Vec<Issue>,
    /// The history the apply journals beside the changes (R9.3); set by the pipeline
    /// once the plan is made (`changes::of_stored`), empty for a plan not applied.
    pub journal: Vec<HistoryRow>,
    /// The run's undo log, packed (R9.2); set by the pipeline with the journal, kept by
    /// the apply in its transaction so the run can be reverted.
    pub undo: Vec<u8>,
    /// Set when the plan abandons more than the threshold allows (R7.2).
    pub safety_block: Option<SafetyBlock>,
    /// The district's suppressions when its state was loaded (S6.1). One made since means
    /// a person was erased while the run planned: the plan may name them, and the apply
    /// refuses to write it rather than bring them back.
    pub suppressions_seen: HashSet<i64>,
    /// The digest of the source the run read, when applying the plan settles the
    /// district on it (`sync::settled`); set by the pipeline.
    pub settles: Option<String>,
}

/// Rows the planner fills in one step and only reads after it, so that the apply can write
/// them while the rest is still planned ([`Records`], [`People`]); reading them costs
/// nothing. Were they changed once shared, the change would copy them (`Arc::make_mut`)
/// rather than reach what the apply holds, and the apply would refuse the plan
/// ([`Records::are_of`], [`People::are_of`]).
#[derive(Debug, Default)]
pub struct Shared<T>(Arc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone> std::ops::DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        Arc::make_mut(&mut self.0)
    }
}

impl<T: Default> Shared<T> {
    /// Whether nothing but this plan holds the rows (the apply that shared them ended).
    fn is_sole(&mut self) -> bool {
        Arc::get_mut(&mut self.0).is_some()
    }

    /// The rows, taken out of the plan; `None` while anything else holds them.
    fn take(&mut self) -> Option<T> {
        Arc::get_mut(&mut self.0).map(std::mem::take)
    }
}

/// The part of a plan its first steps settle: the schools, classes and students, which
/// nothing after them changes. A run applied as it plans (`sync::apply`) starts writing
/// these while the planner goes on to the accounts, the links, the journal and the undo
/// log: about a second and a half of a 100k-student first sync, which the store's own
/// work on the records then covers.
#[derive(Debug, Clone)]
pub struct Records {
    pub district_id: i64,
    pub schools: Shared<Rows<School>>,
    pub students: Shared<Rows<Student>>,
    pub classes: Shared<Rows<Class>>,
    pub suppressions_seen: HashSet<i64>,
}

impl Records {
    /// The rows the apply writes for them.
    pub fn row_count(&self) -> usize {
        self.schools.len() + self.classes.len() + self.students.len()
    }

    /// Whether these are the very rows `plan` holds, as planned: the apply writes the
    /// records it was handed and the rest from the finished plan, so a plan whose records
    /// changed after they were handed over must not be applied.
    pub fn are_of(&self, plan: &Plan) -> bool {
        Arc::ptr_eq(&self.schools.0, &plan.schools.0)
            && Arc::ptr_eq(&self.students.0, &plan.students.0)
            && Arc::ptr_eq(&self.classes.0, &plan.classes.0)
    }
}

/// The part of a plan its account step settles next: the guardians and staff, and whose
/// contact the apply leaves alone, which the link steps after it only read. Handed to a
/// run applied as it plans once planned, so the store writes the accounts while the
/// planner goes on to the links, the journal and the undo log.
#[derive(Debug, Clone)]
pub struct People {
    pub guardians: Shared<Rows<Guardian>>,
    pub staff: Shared<Rows<Staff>>,
    pub keep_contact: Shared<HashSet<i64>>,
    /// [`Plan::update_active_users`].
    pub update_active_users: bool,
}

impl People {
    /// Whether these are the very rows `plan` holds, as planned ([`Records::are_of`]).
    pub fn are_of(&self, plan: &Plan) -> bool {
        Arc::ptr_eq(&self.guardians.0, &plan.guardians.0)
            && Arc::ptr_eq(&self.staff.0, &plan.staff.0)
            && Arc::ptr_eq(&self.keep_contact.0, &plan.keep_contact.0)
    }
}

/// Where a plan's steps hand over the parts they settle ([`plan_with`]), in this order.
pub trait Handoff {
    /// The records are planned ([`Records`]).
    fn records(&mut self, plan: &Plan);
    /// The accounts are planned ([`People`]).
    fn people(&mut self, plan: &Plan);
}

/// A plan made whole, handing nothing over.
impl Handoff for () {
    fn records(&mut self, _: &Plan) {}
    fn people(&mut self, _: &Plan) {}
}

impl Plan {
    /// Its records, sharing their rows with the plan.
    pub fn records(&self) -> Records {
        Records {
            district_id: self.district_id,
            schools: self.schools.clone(),
            students: self.students.clone(),
            classes: self.classes.clone(),
            suppressions_seen: self.suppressions_seen.clone(),
        }
    }

    /// Its guardians and staff, sharing their rows with the plan.
    pub fn people(&self) -> People {
        People {
            guardians: self.guardians.clone(),
            staff: self.staff.clone(),
            keep_contact: self.keep_contact.clone(),
            update_active_users: self.update_active_users,
        }
    }

    /// An empty plan of `ctx`'s district, made against `state`: both a sync's plan and a
    /// revert's start here, so each carries the suppressions its state held (S6.1).
    fn against(state: &State, ctx: &RunContext, update_active_users: bool) -> Plan {
        Plan {
            district_id: ctx.district_id,
            update_active_users,
            suppressions_seen: state.suppressed.iter().map(|s| s.id).collect(),
            ..Plan::default()
        }
    }

    fn count(&mut self, kind: RecordKind) -> &mut Counts {
        self.counts.entry(kind).or_default()
    }

    /// Takes in the guardians and staff planned apart, on a plan of their own
    /// ([`plan_with`]): their rows and whose contact stays (no other step plans them),
    /// their counts, and their issues after this plan's, as if planned after the
    /// students on this one.
    fn take_accounts(&mut self, accounts: Plan) {
        self.guardians = accounts.guardians;
        self.staff = accounts.staff;
        self.keep_contact = accounts.keep_contact;
        self.issues.extend(accounts.issues);
        self.add_counts(accounts.counts);
    }

    /// Takes in the family links planned apart, on a plan of their own
    /// ([`plan_with`]): their lists (no other step plans links), and their abandonments,
    /// restorations and counts after this plan's, as if planned after the enrollments on
    /// this one.
    fn take_links(&mut self, links: Plan) {
        self.add_links = links.add_links;
        self.remove_links = links.remove_links;
        self.abandoned.extend(links.abandoned);
        self.restored.extend(links.restored);
        self.add_counts(links.counts);
    }

    /// Adds the counts of a part planned apart to this plan's.
    fn add_counts(&mut self, counts: CountsByKind) {
        for (kind, counts) in counts {
            *self.count(kind) += counts;
        }
    }

    /// Puts the memberships and links to add in their tables' primary-key order: they are
    /// planned from hash sets, in no order, and a B-tree appends rows that come in key
    /// order to its last pages but splits pages all over the tree for rows that come in
    /// none. 600k enrollments loaded shuffled took MariaDB twice the CPU time of the same
    /// rows in key order (or grouped by student, as the bench's export lists them).
    fn in_key_order(&mut self) {
        self.add_school_students
            .sort_unstable_by_key(Membership::key);
        self.add_school_staff.sort_unstable_by_key(Membership::key);
        self.add_class_students
            .sort_unstable_by_key(Membership::key);
        self.add_class_teachers
            .sort_unstable_by_key(Membership::key);
        self.add_links.sort_unstable_by_key(Membership::key);
    }

    /// The roster this plan leaves once applied to a district that had none (its first
    /// sync), taken out of the applied plan: each row it adds, as the apply wrote it
    /// (the store keeps every value as given, a timestamp to the microsecond it is made
    /// with: `domain::time`), beside the `suppressed` that stood. The district's next run
    /// then plans against it without the roster being loaded back (`sync::warm`): at
    /// 100k students that load took about a CPU-second on SQLite, beside whatever the
    /// server did next. `None`, and the plan left whole, when the plan does more than add
    /// rows or anything still shares them.
    pub fn take_first_roster(&mut self, suppressed: Vec<SuppressionRow>) -> Option<State> {
        let adds_only = self.schools.changed.is_empty()
            && self.students.changed.is_empty()
            && self.guardians.changed.is_empty()
            && self.staff.changed.is_empty()
            && self.classes.changed.is_empty()
            && self.remove_school_students.is_empty()
            && self.remove_school_staff.is_empty()
            && self.remove_class_students.is_empty()
            && self.remove_class_teachers.is_empty()
            && self.remove_links.is_empty()
            && self.abandoned.is_empty()
            && self.restored.is_empty()
            && self.deleted.is_empty()
            && self.reopened.is_empty();
        let sole = self.schools.is_sole()
            && self.students.is_sole()
            && self.guardians.is_sole()
            && self.staff.is_sole()
            && self.classes.is_sole();
        if !adds_only || !sole {
            return None;
        }
        Some(State {
            schools: self.schools.take()?.new,
            students: self.students.take()?.new,
            guardians: self.guardians.take()?.new,
            staff: self.staff.take()?.new,
            classes: self.classes.take()?.new,
            school_students: std::mem::take(&mut self.add_school_students),
            school_staff: std::mem::take(&mut self.add_school_staff),
            class_students: std::mem::take(&mut self.add_class_students),
            class_teachers: std::mem::take(&mut self.add_class_teachers),
            links: std::mem::take(&mut self.add_links),
            open_abandonments: Vec::new(),
            suppressed,
        })
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
            + self.deleted.len()
            + self.reopened.len()
            + self.journal.len()
    }

    /// Whether applying the plan would write nothing.
    pub fn is_empty(&self) -> bool {
        self.change_count() == 0
    }
}

/// Checks the snapshot's references against the source and the store together (R3.3): a
/// source that does not list every record of a kind may refer to stored ones.
pub fn validate(snapshot: &mut Snapshot, state: &State) {
    let suppressed = state
        .suppressed
        .iter()
        .map(|s| (s.record_kind, s.source_id.as_str()))
        .collect();
    snapshot.suppress(&suppressed);
    let known = KnownIds {
        schools: resolve::unlisted_ids(snapshot.orgs, &state.schools),
        students: resolve::unlisted_ids(snapshot.users, &state.students),
        guardians: resolve::unlisted_ids(snapshot.users, &state.guardians),
        staff: resolve::unlisted_ids(snapshot.users, &state.staff),
        classes: resolve::unlisted_ids(snapshot.class_coverage, &state.classes),
    };
    snapshot.check_references(&known);
}

/// Computes the plan of a run.
pub fn plan(state: &State, snapshot: &Snapshot, policy: &Policy, ctx: &RunContext) -> Plan {
    plan_with(state, snapshot, policy, ctx, &mut ())
}

/// Computes the plan of a run, handing `handoff` its records as soon as they are planned
/// ([`Records`]), and its accounts once they are ([`People`]): no step after either
/// changes them.
pub fn plan_with(
    state: &State,
    snapshot: &Snapshot,
    policy: &Policy,
    ctx: &RunContext,
    handoff: &mut impl Handoff,
) -> Plan {
    let mut plan = Plan::against(state, ctx, policy.update_active_users);
    report_source_issues(snapshot, &mut plan);
    let mut abandonments = Abandonments::new(&state.open_abandonments);
    let mut resolved = Resolved::new(&snapshot.issues);
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
    // The accounts read nothing the students step writes, nor it anything of theirs: they
    // are planned on a plan of their own, on a second thread while this one plans the
    // students, and taken in after them, as if planned after them on this plan. The
    // students were a third of a 100k-student resync's planning before the accounts.
    let (accounts, holders) = std::thread::scope(|scope| {
        let accounts = scope.spawn(|| {
            let mut accounts = Plan::default();
            let holders = accounts::plan(state, snapshot, policy, ctx, &mut accounts);
            (accounts, holders)
        });
        students::plan(
            state,
            snapshot,
            policy,
            ctx,
            &mut plan,
            &mut resolved,
            &mut abandonments,
        );
        handoff.records(&plan);
        accounts
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    plan.take_accounts(accounts);
    resolved.guardians = holders.guardians;
    resolved.staff = holders.staff;
    handoff.people(&plan);
    resolved.add_unlisted(state, snapshot);
    // Before the link steps count school moves and school memberships on people (R5.8).
    let places_and_people = plan.counts.clone();
    let managed = Managed::new(state, &plan);
    let step = Step {
        state,
        snap: snapshot,
        policy,
        ctx,
        resolved: &resolved,
        managed: &managed,
    };
    // The family links read and write nothing the memberships and enrollments do (their
    // own lists, counts and abandonments of their own kind), so they are planned on the
    // core those steps leave idle: a second a 1M-student resync's planning spent alone.
    let mut link_abandonments = abandonments.split_off(RecordKind::FamilyRelationship);
    let links = std::thread::scope(|scope| {
        let links = scope.spawn(|| {
            let mut links = Plan::default();
            families::plan(&step, &mut links, &mut link_abandonments);
            links
        });
        memberships::plan(&step, &mut plan, &mut abandonments);
        enrollments::plan(&step, &mut plan, &mut abandonments);
        links
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    plan.take_links(links);
    plan.in_key_order();
    plan.safety_block = safety::check(state, &plan, policy);
    plan.counts_again = counts_again(&plan, places_and_people);
    plan
}

/// What planning the same source again would count once `plan` is applied. It would
/// change nothing (R7.4): every record the plan keeps from the source (created, updated,
/// restored or left as it was) counted unchanged, nothing created, updated, abandoned or
/// restored, the same rows skipped and invalid. People are counted again once each, by
/// their own step: `places_and_people` are the counts before the link steps added school
/// moves and memberships to them. A class archived as ended (R5.10), counted updated now,
/// is gone from the source and not counted again. Kinds left with nothing (only
/// abandoned, or only ended) are left out, as a plan counts only what it counted.
fn counts_again(plan: &Plan, places_and_people: CountsByKind) -> CountsByKind {
    let is_link = |kind: &RecordKind| {
        matches!(
            kind,
            RecordKind::StudentEnrollment
                | RecordKind::TeacherEnrollment
                | RecordKind::FamilyRelationship
        )
    };
    let links = plan.counts.iter().filter(|(kind, _)| is_link(kind));
    places_and_people
        .into_iter()
        .filter(|(kind, _)| !is_link(kind))
        .chain(links.map(|(kind, c)| (*kind, *c)))
        .map(|(kind, c)| {
            let ended = match kind {
                RecordKind::Class => plan.ended_classes.len() as i64,
                _ => 0,
            };
            let again = Counts {
                unchanged: c.created + c.updated + c.unchanged + c.restored - ended,
                skipped: c.skipped,
                invalid: c.invalid,
                ..Counts::default()
            };
            (kind, again)
        })
        .filter(|(_, c)| *c != Counts::default())
        .collect()
}

/// What the link steps read: the district as stored, the source, and where each listed
/// record resolved.
struct Step<'a> {
    state: &'a State,
    snap: &'a Snapshot,
    policy: &'a Policy,
    ctx: &'a RunContext,
    resolved: &'a Resolved,
    managed: &'a Managed,
}

/// The source's own issues go in the report; invalid rows are counted (R3.3), and a
/// source without student attributes says so once (R2.6).
fn report_source_issues(snapshot: &Snapshot, plan: &mut Plan) {
    for issue in &snapshot.issues {
        if issue.severity == Severity::Error {
            plan.count(issue.record_kind).invalid += 1;
        }
    }
    for (kind, n) in &snapshot.suppressed {
        plan.count(*kind).skipped += n;
    }
    plan.issues.extend(snapshot.issues.iter().cloned());
    if !snapshot.attributes_supported && !snapshot.students.is_empty() {
        plan.issues.push(Issue {
            severity: Severity::Info,
            record_kind: RecordKind::Student,
            code: IssueCode::AttributesNotSynced,
            message: "this source does not carry student attributes; they were not synced (R2.6)"
                .into(),
            at: Default::default(),
            source_id: String::new(),
            field: String::new(),
        });
    }
}
