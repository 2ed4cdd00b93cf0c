//! The whole district as a source sees it: typed records keyed by source id, each with
//! where it came from (file and line, or API resource) so any issue can point at it.
//! Readers build it; the planner compares it with the store. No rule lives here except
//! the cross-file reference check every source needs (R3.3).

use crate::domain::{RecordKind, Severity, StaffRole};
use std::collections::{BTreeMap, HashSet};

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
    /// relationship to an unknown student or guardian, a membership of an unknown school.
    /// `known_*` are the source ids already stored, which a delta source may refer to.
    pub fn check_references(&mut self, known: &KnownIds) {
        let schools: HashSet<&str> = self
            .schools
            .iter()
            .map(|s| s.source_id.as_str())
            .chain(known.schools.iter().map(String::as_str))
            .collect();
        let mut issues = Vec::new();

        let mut unknown =
            |kind, at: &SourceRef, id: &str, field: &str, what: &str, target: &str| {
                issues.push(Issue::invalid(
                    kind,
                    "UNKNOWN_REFERENCE",
                    at,
                    id,
                    field,
                    format!("{what} `{target}` is not in this roster"),
                ));
            };

        let deleted = &self.deleted;
        self.classes.retain(|c| {
            let ok = schools.contains(c.school_source_id.as_str())
                || deleted.schools.contains(&c.school_source_id);
            if !ok {
                unknown(
                    RecordKind::Class,
                    &c.at,
                    &c.source_id,
                    "schoolSourcedId",
                    "school",
                    &c.school_source_id,
                );
            }
            ok
        });
        for s in &mut self.students {
            let before = s.school_source_ids.clone();
            s.school_source_ids
                .retain(|id| schools.contains(id.as_str()));
            for id in before.iter().filter(|id| !schools.contains(id.as_str())) {
                unknown(
                    RecordKind::Student,
                    &s.at,
                    &s.source_id,
                    "orgSourcedIds",
                    "school",
                    id,
                );
            }
        }
        for s in &mut self.staff {
            let before = s.school_source_ids.clone();
            s.school_source_ids
                .retain(|id| schools.contains(id.as_str()));
            for id in before.iter().filter(|id| !schools.contains(id.as_str())) {
                unknown(
                    RecordKind::Staff,
                    &s.at,
                    &s.source_id,
                    "orgSourcedIds",
                    "school",
                    id,
                );
            }
        }

        let classes: HashSet<&str> = self
            .classes
            .iter()
            .map(|c| c.source_id.as_str())
            .chain(known.classes.iter().map(String::as_str))
            .collect();
        let students: HashSet<&str> = self
            .students
            .iter()
            .map(|s| s.source_id.as_str())
            .chain(known.students.iter().map(String::as_str))
            .collect();
        let staff: HashSet<&str> = self
            .staff
            .iter()
            .map(|s| s.source_id.as_str())
            .chain(known.staff.iter().map(String::as_str))
            .collect();
        let guardians: HashSet<&str> = self
            .guardians
            .iter()
            .map(|g| g.source_id.as_str())
            .chain(known.guardians.iter().map(String::as_str))
            .collect();

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
                // A deleted class or user takes its enrollments with it, silently.
                if deleted.classes.contains(&e.class_source_id)
                    || deleted.users.contains(&e.user_source_id)
                {
                    false
                } else if !classes.contains(e.class_source_id.as_str()) {
                    unknown(
                        kind,
                        &e.at,
                        &e.source_id,
                        "classSourcedId",
                        "class",
                        &e.class_source_id,
                    );
                    false
                } else if !people.contains(e.user_source_id.as_str()) {
                    unknown(
                        kind,
                        &e.at,
                        &e.source_id,
                        "userSourcedId",
                        "user",
                        &e.user_source_id,
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
