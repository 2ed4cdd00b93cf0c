//! The whole district as a source sees it: typed records keyed by source id, each with
//! where it came from (file and line, or API resource) so any issue can point at it.
//! Readers build it; the planner compares it with the store. No rule lives here except
//! the cross-file reference check every source needs (R3.3).

use crate::domain::{RecordKind, Severity, StaffRole};
use foldhash::HashSet;
use std::collections::BTreeMap;

/// Where a record was read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceRef {
    /// CSV file name, e.g. `users.csv`; empty for API sources.
    pub file: String,
    /// 1-based line in `file` (the header is line 1); 0 for API sources.
    pub line: u64,
    /// API resource, e.g. `/users?offset=100`; empty for CSV sources.
    pub resource: String,
}

impl SourceRef {
    pub fn csv(file: &str, line: u64) -> Self {
        SourceRef {
            file: file.to_owned(),
            line,
            resource: String::new(),
        }
    }
}

/// A row-level finding: a skipped row, a skipped guardian, a dropped credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub severity: Severity,
    pub record_kind: RecordKind,
    /// Stable code, e.g. `MISSING_FIELD`, `UNKNOWN_REFERENCE`, `NO_CONTACT`.
    pub code: String,
    pub message: String,
    pub at: SourceRef,
    pub source_id: String,
    pub field: String,
}

impl Issue {
    /// An invalid row, skipped (R3.3).
    pub fn invalid(
        kind: RecordKind,
        code: &str,
        at: &SourceRef,
        source_id: &str,
        field: &str,
        message: impl Into<String>,
    ) -> Self {
        Issue {
            severity: Severity::Error,
            record_kind: kind,
            code: code.to_owned(),
            message: message.into(),
            at: at.clone(),
            source_id: source_id.to_owned(),
            field: field.to_owned(),
        }
    }
}

/// How completely the source describes one kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Coverage {
    /// Every record of the kind is listed: what is missing is abandoned.
    #[default]
    Bulk,
    /// Only changes are listed: missing records are unchanged, `tobedeleted` ones abandoned.
    Delta,
    /// The kind is not in this source at all: nothing of it changes.
    Absent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapSchool {
    pub source_id: String,
    pub sis_id: String,
    pub name: String,
    pub at: SourceRef,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapStudent {
    pub source_id: String,
    pub sis_id: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub grade: String,
    pub school_source_ids: Vec<String>,
    /// Student attributes (R2.6): demographics and `metadata.*` columns.
    pub attributes: BTreeMap<String, String>,
    pub at: SourceRef,
}

/// Phone numbers stay as the source wrote them: the planner validates them with the
/// district's region and decides uniqueness (R3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapGuardian {
    pub source_id: String,
    pub sis_id: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub sms_number: String,
    pub home_phone: String,
    pub language: String,
    pub at: SourceRef,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapStaff {
    pub source_id: String,
    pub sis_id: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub sms_number: String,
    pub home_phone: String,
    pub language: String,
    pub role: StaffRole,
    pub school_source_ids: Vec<String>,
    pub at: SourceRef,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapClass {
    pub source_id: String,
    pub sis_id: String,
    pub name: String,
    pub grades: Vec<String>,
    pub school_source_id: String,
    pub at: SourceRef,
}

/// A class membership of a student or a teacher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapEnrollment {
    /// The enrollment's own source id, when the source has one (OneRoster).
    pub source_id: String,
    pub class_source_id: String,
    pub user_source_id: String,
    pub at: SourceRef,
}

/// A guardian-student relationship (R8.3): one per pair, whichever side listed it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnapLink {
    pub student_source_id: String,
    pub guardian_source_id: String,
}

/// The source ids a delta source marked `tobedeleted`, per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deleted {
    pub schools: HashSet<String>,
    pub users: HashSet<String>,
    pub classes: HashSet<String>,
    pub enrollments: HashSet<String>,
}

/// Everything one source says about a district.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub schools: Vec<SnapSchool>,
    pub students: Vec<SnapStudent>,
    pub guardians: Vec<SnapGuardian>,
    pub staff: Vec<SnapStaff>,
    pub classes: Vec<SnapClass>,
    pub student_enrollments: Vec<SnapEnrollment>,
    pub teacher_enrollments: Vec<SnapEnrollment>,
    pub links: Vec<SnapLink>,
    /// Coverage of orgs, users, classes and enrollments.
    pub orgs: Coverage,
    pub users: Coverage,
    pub class_coverage: Coverage,
    pub enrollments: Coverage,
    pub deleted: Deleted,
    /// Orgs that are not schools (district, department, ...) by source id, with their
    /// type: a membership of one is no school membership, and no error either.
    pub other_orgs: foldhash::HashMap<String, String>,
    /// Whether the source can carry student attributes (OneRoster: yes; Clever: no, R2.6).
    pub attributes_supported: bool,
    pub issues: Vec<Issue>,
}

impl Snapshot {
    /// How many records the snapshot holds, for progress.
    pub fn record_count(&self) -> usize {
        self.schools.len()
            + self.students.len()
            + self.guardians.len()
            + self.staff.len()
            + self.classes.len()
            + self.student_enrollments.len()
            + self.teacher_enrollments.len()
            + self.links.len()
    }

    /// Drops records that point at records the source does not have, each with an issue
    /// (R3.3): a class of an unknown school, an enrollment of an unknown class or user, a
    /// membership of an unknown school. A membership of an org that is not a school (a
    /// district, a department) is simply no school membership. What points at a record
    /// the source deleted goes with it, silently. `known` holds the source ids already
    /// stored, which a delta source may refer to without listing them again.
    pub fn check_references(&mut self, known: &KnownIds) {
        // Owned, because the lists they index are filtered below.
        fn ids<'a>(
            listed: impl Iterator<Item = &'a String>,
            known: &'a [String],
        ) -> HashSet<String> {
            listed.chain(known.iter()).cloned().collect()
        }
        let schools = ids(self.schools.iter().map(|s| &s.source_id), &known.schools);
        let classes_known = ids(self.classes.iter().map(|c| &c.source_id), &known.classes);
        let students = ids(self.students.iter().map(|s| &s.source_id), &known.students);
        let staff = ids(self.staff.iter().map(|s| &s.source_id), &known.staff);
        let guardians = ids(
            self.guardians.iter().map(|g| &g.source_id),
            &known.guardians,
        );
        let (deleted, other_orgs) = (&self.deleted, &self.other_orgs);
        let mut issues = Vec::new();
        let mut report =
            |kind, code: &str, at: &SourceRef, id: &str, field: &str, message: String| {
                issues.push(Issue::invalid(kind, code, at, id, field, message));
            };
        let missing = |what: &str, target: &str| format!("{what} `{target}` is not in this roster");

        let mut dropped_classes = HashSet::default();
        for c in &self.classes {
            let target = c.school_source_id.as_str();
            if schools.contains(target) {
                continue;
            }
            dropped_classes.insert(c.source_id.clone());
            if deleted.schools.contains(target) {
                continue;
            }
            match other_orgs.get(target) {
                Some(kind) => report(
                    RecordKind::Class,
                    "NOT_A_SCHOOL",
                    &c.at,
                    &c.source_id,
                    "schoolSourcedId",
                    format!("org `{target}` is a {kind}, not a school"),
                ),
                None => report(
                    RecordKind::Class,
                    "UNKNOWN_REFERENCE",
                    &c.at,
                    &c.source_id,
                    "schoolSourcedId",
                    missing("school", target),
                ),
            }
        }
        self.classes
            .retain(|c| !dropped_classes.contains(&c.source_id));

        let mut memberships = |kind, at: &SourceRef, id: &str, orgs: &mut Vec<String>| {
            for org in orgs.iter().filter(|o| {
                !schools.contains(o.as_str())
                    && !other_orgs.contains_key(*o)
                    && !deleted.schools.contains(*o)
            }) {
                report(
                    kind,
                    "UNKNOWN_REFERENCE",
                    at,
                    id,
                    "orgSourcedIds",
                    missing("school", org),
                );
            }
            orgs.retain(|o| schools.contains(o.as_str()));
        };
        for s in &mut self.students {
            memberships(
                RecordKind::Student,
                &s.at,
                &s.source_id,
                &mut s.school_source_ids,
            );
        }
        for s in &mut self.staff {
            memberships(
                RecordKind::Staff,
                &s.at,
                &s.source_id,
                &mut s.school_source_ids,
            );
        }

        for (list, kind, people) in [
            (
                &mut self.student_enrollments,
                RecordKind::StudentEnrollment,
                &students,
            ),
            (
                &mut self.teacher_enrollments,
                RecordKind::TeacherEnrollment,
                &staff,
            ),
        ] {
            list.retain(|e| {
                let (class, user) = (e.class_source_id.as_str(), e.user_source_id.as_str());
                // A deleted class or user takes its enrollments with it, and a refused class
                // was reported itself: both drop silently.
                if deleted.classes.contains(class)
                    || deleted.users.contains(user)
                    || dropped_classes.contains(class)
                {
                    false
                } else if !classes_known.contains(class) {
                    report(
                        kind,
                        "UNKNOWN_REFERENCE",
                        &e.at,
                        &e.source_id,
                        "classSourcedId",
                        missing("class", class),
                    );
                    false
                } else if !people.contains(user) {
                    report(
                        kind,
                        "UNKNOWN_REFERENCE",
                        &e.at,
                        &e.source_id,
                        "userSourcedId",
                        missing("user", user),
                    );
                    false
                } else {
                    true
                }
            });
        }
        self.links.sort();
        self.links.dedup();
        self.links.retain(|l| {
            students.contains(l.student_source_id.as_str())
                && guardians.contains(l.guardian_source_id.as_str())
        });
        self.issues.extend(issues);
    }
}

/// Source ids already stored for a district, by kind.
#[derive(Debug, Clone, Default)]
pub struct KnownIds {
    pub schools: Vec<String>,
    pub students: Vec<String>,
    pub guardians: Vec<String>,
    pub staff: Vec<String>,
    pub classes: Vec<String>,
}
