//! The cross-collection reference check every source needs (R3.3): a class names a
//! school, a membership names a school, an enrollment names a class and a person, a
//! family link names a student and a guardian. A reference to something the source does
//! not have is dropped with an issue; a membership of an org that is not a school (a
//! district, a department) is simply no school membership; what points at a record the
//! source deleted goes with it, silently.

use super::{Issue, SnapEnrollment, Snapshot, SourceId, SourceRef};
use crate::domain::{IssueCode, RecordKind};
use foldhash::HashSet;

/// Source ids already stored for a district, by kind: a delta source may refer to them
/// without listing them again.
#[derive(Debug, Clone, Default)]
pub struct KnownIds {
    pub schools: Vec<String>,
    pub students: Vec<String>,
    pub guardians: Vec<String>,
    pub staff: Vec<String>,
    pub classes: Vec<String>,
}

/// Every id a reference may point at: listed by the source, or stored before.
struct Targets {
    schools: HashSet<SourceId>,
    classes: HashSet<SourceId>,
    students: HashSet<SourceId>,
    staff: HashSet<SourceId>,
    guardians: HashSet<SourceId>,
}

impl Targets {
    fn new(snap: &Snapshot, known: &KnownIds) -> Self {
        fn ids<'a>(
            listed: impl Iterator<Item = &'a SourceId>,
            known: &'a [String],
        ) -> HashSet<SourceId> {
            listed
                .cloned()
                .chain(known.iter().map(SourceId::new))
                .collect()
        }
        Targets {
            schools: ids(snap.schools.iter().map(|s| &s.source_id), &known.schools),
            classes: ids(snap.classes.iter().map(|c| &c.source_id), &known.classes),
            students: ids(snap.students.iter().map(|s| &s.source_id), &known.students),
            staff: ids(snap.staff.iter().map(|s| &s.source_id), &known.staff),
            guardians: ids(
                snap.guardians.iter().map(|g| &g.source_id),
                &known.guardians,
            ),
        }
    }
}

fn missing(what: &str, target: &str) -> String {
    format!("{what} `{target}` is not in this roster")
}

impl Snapshot {
    /// Drops what points at records the source does not have, each with an issue.
    ///
    /// Records holding a value too long to store are left out first
    /// ([`Snapshot::check_lengths`]): this is the one check every source's snapshot goes
    /// through before planning, and what points at such a record is then judged as
    /// pointing at any other unreadable row.
    pub fn check_references(&mut self, known: &KnownIds) {
        self.check_lengths();
        let targets = Targets::new(self, known);
        let mut issues = Vec::new();
        let dropped_classes = self.check_classes(&targets, &mut issues);
        self.check_memberships(&targets, &mut issues);
        self.check_enrollments(&targets, &dropped_classes, &mut issues);
        self.links.sort();
        self.links.dedup();
        // A user whose row was refused (an error of its own) explains itself: a link to it
        // goes quietly, as for any unreadable row.
        let refused: HashSet<String> = self
            .issues
            .iter()
            .chain(&issues)
            .filter(|i| i.severity == crate::domain::Severity::Error)
            .map(|i| i.source_id.clone())
            .collect();
        self.links.retain(|l| {
            let (student, guardian) = (l.student_source_id.as_str(), l.guardian_source_id.as_str());
            let missing = match (
                targets.students.contains(student),
                targets.guardians.contains(guardian),
            ) {
                (true, true) => return true,
                (false, _) => ("student", student),
                (true, false) => ("guardian", guardian),
            };
            if refused.contains(missing.1) {
                return false;
            }
            // A delta's links may point at stored users; one that points at nobody is
            // reported, never dropped silently (R3.4).
            issues.push(Issue::invalid(
                RecordKind::FamilyRelationship,
                IssueCode::UnknownReference,
                &SourceRef::default(),
                student,
                "agentSourcedIds",
                format!(
                    "the link of student `{student}` and guardian `{guardian}` names {} `{}`, \
                     which is neither in this roster nor stored",
                    missing.0, missing.1
                ),
            ));
            false
        });
        self.issues.extend(issues);
    }

    /// Classes of a school the source does not have; returns their ids.
    fn check_classes(&mut self, targets: &Targets, issues: &mut Vec<Issue>) -> HashSet<SourceId> {
        let mut dropped = HashSet::default();
        for c in &self.classes {
            let target = c.school_source_id.as_str();
            if targets.schools.contains(target) {
                continue;
            }
            dropped.insert(c.source_id.clone());
            if self.deleted.schools.contains(target) {
                continue;
            }
            let (code, message) = match self.other_orgs.get(target) {
                Some(kind) => (
                    IssueCode::NotASchool,
                    format!("org `{target}` is a {kind}, not a school"),
                ),
                None => (IssueCode::UnknownSchool, missing("school", target)),
            };
            issues.push(Issue::invalid(
                RecordKind::Class,
                code,
                &c.at,
                &c.source_id,
                "schoolSourcedId",
                message,
            ));
        }
        self.classes.retain(|c| !dropped.contains(&c.source_id));
        dropped
    }

    /// School memberships of students and staff. A membership of a school the source does
    /// not list is left out with a warning: the person's row is read all the same, and a
    /// stored membership of that school stays (R5.9).
    fn check_memberships(&mut self, targets: &Targets, issues: &mut Vec<Issue>) {
        let (deleted, other_orgs) = (&self.deleted.schools, &self.other_orgs);
        let mut check = |kind, at: &SourceRef, id: &str, orgs: &mut Vec<String>| {
            for org in orgs.iter().filter(|o| {
                !targets.schools.contains(o.as_str())
                    && !other_orgs.contains_key(*o)
                    && !deleted.contains(*o)
            }) {
                issues.push(Issue::warning(
                    kind,
                    IssueCode::UnknownSchool,
                    at,
                    id,
                    "orgSourcedIds",
                    format!(
                        "{}; the membership is left as it was (R5.9)",
                        missing("school", org)
                    ),
                ));
            }
            orgs.retain(|o| targets.schools.contains(o.as_str()));
        };
        for s in &mut self.students {
            check(
                RecordKind::Student,
                &s.at,
                &s.source_id,
                &mut s.school_source_ids,
            );
        }
        for s in &mut self.staff {
            check(
                RecordKind::Staff,
                &s.at,
                &s.source_id,
                &mut s.school_source_ids,
            );
        }
    }

    /// Enrollments of classes or people the source does not have. A deleted class or
    /// user takes its enrollments with it, and a refused class was reported itself: both
    /// drop silently.
    fn check_enrollments(
        &mut self,
        targets: &Targets,
        dropped_classes: &HashSet<SourceId>,
        issues: &mut Vec<Issue>,
    ) {
        let deleted = &self.deleted;
        let mut check = |list: &mut Vec<SnapEnrollment>, kind, people: &HashSet<SourceId>| {
            list.retain(|e| {
                let (class, user) = (e.class_source_id.as_str(), e.user_source_id.as_str());
                let problem = if deleted.classes.contains(class)
                    || deleted.users.contains(user)
                    || dropped_classes.contains(class)
                {
                    return false;
                } else if !targets.classes.contains(class) {
                    ("classSourcedId", missing("class", class))
                } else if !people.contains(user) {
                    ("userSourcedId", missing("user", user))
                } else {
                    return true;
                };
                issues.push(Issue::invalid(
                    kind,
                    IssueCode::UnknownReference,
                    &e.at,
                    &e.source_id,
                    problem.0,
                    problem.1,
                ));
                false
            });
        };
        check(
            &mut self.student_enrollments,
            RecordKind::StudentEnrollment,
            &targets.students,
        );
        check(
            &mut self.teacher_enrollments,
            RecordKind::TeacherEnrollment,
            &targets.staff,
        );
    }
}
