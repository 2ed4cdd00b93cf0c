//! OneRoster 1.1 records into a [`Snapshot`] (R8.2–R8.4, R3.3), whatever carries them: the
//! CSV files of an export ([`super::csv`]) or the JSON collections of a REST
//! provider ([`super::rest`]). Both are the same records with the same fields, so
//! both readers present them as [`Rows`] addressed by CSV column name and share every rule
//! and every issue here, instead of keeping two copies that drift apart.
//!
//! A bad record is skipped with an issue naming where it was read and its id (R3.3).
//! References between collections are checked later, against the store as well
//! ([`Snapshot::check_references`]), except family relationships, whose direction depends on
//! the roles read here.

use crate::domain::{IssueCode, RecordKind, StaffRole};
use crate::snapshot::{
    Carried, Coverage, Issue, SnapClass, SnapEnrollment, SnapGuardian, SnapLink, SnapSchool,
    SnapStaff, SnapStudent, Snapshot, SourceRef, TermEnd,
};
use crate::sources::SourceError;
use crate::sources::terms::{self, Sessions};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The sessions a class names (REST: its `terms` references).
const TERMS: &str = "termSourcedIds";

/// Demographics fields that describe the record rather than the student.
const NOT_ATTRIBUTES: [&str; 3] = ["sourcedId", "status", "dateLastModified"];

/// The records of one OneRoster collection, one at a time, with their fields by CSV column
/// name (`orgSourcedIds`, `metadata.homeroom`, ...). Values are trimmed; a field the record
/// lacks reads as empty.
pub(crate) trait Rows {
    /// What the collection is called in messages: `users.csv`, or `users` for an API.
    fn name(&self) -> &str;

    /// Moves to the next record; `false` at the end of the collection.
    fn advance(&mut self) -> Result<bool, SourceError>;

    /// The trimmed value of `column` in the current record; empty when it has none.
    fn get(&self, column: &str) -> &str;

    /// Every (column, trimmed value) pair of the current record.
    fn cells(&self) -> impl Iterator<Item = (&str, &str)>;

    /// Where the current record was read, for issues.
    fn at(&self) -> SourceRef;

    /// The columns of the current record whose value held bytes that are not UTF-8 and
    /// was read with replacement characters (R3.4). A source that delivers text (JSON)
    /// has none.
    fn replaced_columns(&self) -> Vec<String> {
        Vec::new()
    }

    /// R3.4: one `INVALID_ENCODING` warning per value read with replacement characters,
    /// naming the field; the record is read all the same.
    fn report_encoding(&self, kind: RecordKind, issues: &mut Vec<Issue>) {
        let id = self.get("sourcedId");
        for column in self.replaced_columns() {
            let value = self.get(&column);
            let message = format!(
                "{column} holds bytes that are not UTF-8; they were replaced with U+FFFD: `{value}`"
            );
            issues.push(Issue::warning(
                kind,
                IssueCode::InvalidEncoding,
                &self.at(),
                id,
                &column,
                message,
            ));
        }
    }

    /// A field holding several comma-separated values (R8.1), e.g. `orgSourcedIds`.
    fn list(&self, column: &str) -> Vec<String> {
        self.get(column)
            .split(',')
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn issue(
        &self,
        kind: RecordKind,
        code: IssueCode,
        source_id: &str,
        field: &str,
        message: String,
    ) -> Issue {
        Issue::invalid(kind, code, &self.at(), source_id, field, message)
    }

    /// The checks every record goes through (R3.3): a `sourcedId`, unique in its
    /// collection, and a known `status`. `None`, with an issue, when the record is skipped.
    fn identify(
        &self,
        kind: RecordKind,
        seen: &mut HashSet<String>,
        issues: &mut Vec<Issue>,
    ) -> Option<(String, Status)> {
        self.report_encoding(kind, issues);
        let id = self.get("sourcedId");
        if id.is_empty() {
            issues.push(self.issue(
                kind,
                IssueCode::MissingField,
                "",
                "sourcedId",
                "sourcedId is empty".into(),
            ));
            return None;
        }
        if !seen.insert(id.to_owned()) {
            let message = format!(
                "sourcedId `{id}` is already used earlier in {}",
                self.name()
            );
            issues.push(self.issue(kind, IssueCode::DuplicateId, id, "sourcedId", message));
            return None;
        }
        let status = self.get("status");
        let Some(parsed) = Status::parse(status) else {
            let message = format!("status `{status}` is not active, tobedeleted or inactive");
            issues.push(self.issue(kind, IssueCode::InvalidValue, id, "status", message));
            return None;
        };
        Some((id.to_owned(), parsed))
    }

    /// A field the record cannot go without; `None`, with a `MISSING_FIELD` issue, when
    /// empty.
    fn required(
        &self,
        column: &str,
        kind: RecordKind,
        id: &str,
        issues: &mut Vec<Issue>,
    ) -> Option<String> {
        let value = self.get(column);
        if value.is_empty() {
            issues.push(self.issue(
                kind,
                IssueCode::MissingField,
                id,
                column,
                format!("{column} is empty"),
            ));
            return None;
        }
        Some(value.to_owned())
    }
}

/// A record's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Active,
    /// Not in the snapshot; its id goes to [`Snapshot::deleted`] so a delta can abandon it.
    Deleted,
}

impl Status {
    /// Bulk files often leave the status empty; `inactive` is the deprecated word for
    /// `tobedeleted` (R8.1).
    fn parse(text: &str) -> Option<Status> {
        if text.is_empty() || text.eq_ignore_ascii_case("active") {
            Some(Status::Active)
        } else if text.eq_ignore_ascii_case("tobedeleted") || text.eq_ignore_ascii_case("inactive")
        {
            Some(Status::Deleted)
        } else {
            None
        }
    }
}

/// Schools; other orgs (the district itself, departments, states) are not synced (R8.2).
pub(crate) fn read_orgs(rows: &mut impl Rows, snap: &mut Snapshot) -> Result<(), SourceError> {
    let kind = RecordKind::School;
    let mut seen = HashSet::new();
    while rows.advance()? {
        let Some((id, status)) = rows.identify(kind, &mut seen, &mut snap.issues) else {
            continue;
        };
        if status == Status::Deleted {
            snap.deleted.schools.insert(id);
            continue;
        }
        let Some(org_type) = rows.required("type", kind, &id, &mut snap.issues) else {
            continue;
        };
        if !org_type.eq_ignore_ascii_case("school") {
            // A district, department or other org: people may belong to it, but it is
            // not a school (R8.2).
            snap.other_orgs.insert(id, org_type.to_ascii_lowercase());
            continue;
        }
        let Some(name) = rows.required("name", kind, &id, &mut snap.issues) else {
            continue;
        };
        let sis_id = rows.get("identifier").to_owned();
        snap.schools.push(SnapSchool {
            source_id: id,
            sis_id,
            name,
            at: rows.at(),
        });
    }
    Ok(())
}

/// What a OneRoster user role makes of the user (R8.2).
#[derive(Debug, Clone, Copy)]
enum UserRole {
    Student,
    Guardian,
    Staff(StaffRole),
}

impl UserRole {
    fn parse(role: &str) -> Option<UserRole> {
        match role.to_ascii_lowercase().as_str() {
            "student" => Some(UserRole::Student),
            "parent" | "guardian" | "relative" => Some(UserRole::Guardian),
            "teacher" | "aide" | "proctor" => Some(UserRole::Staff(StaffRole::Teacher)),
            "administrator" => Some(UserRole::Staff(StaffRole::Admin)),
            _ => None,
        }
    }

    fn kind(self) -> RecordKind {
        match self {
            UserRole::Student => RecordKind::Student,
            UserRole::Guardian => RecordKind::Guardian,
            UserRole::Staff(_) => RecordKind::Staff,
        }
    }
}

/// The fields every user record carries, whatever the role.
struct Person {
    sis_id: String,
    given_name: String,
    family_name: String,
    email: String,
    at: SourceRef,
}

impl Person {
    /// `None`, with an issue, when a name is missing: the record is skipped (R3.3).
    fn read(
        rows: &impl Rows,
        kind: RecordKind,
        id: &str,
        issues: &mut Vec<Issue>,
    ) -> Option<Person> {
        let given_name = rows.required("givenName", kind, id, issues)?;
        let family_name = rows.required("familyName", kind, id, issues)?;
        Some(Person {
            sis_id: rows.get("identifier").to_owned(),
            given_name,
            family_name,
            email: rows.get("email").to_owned(),
            at: rows.at(),
        })
    }
}

/// A relationship as a user record lists it in `agentSourcedIds`, kept until every user is
/// known, since the other end may come later in the collection.
struct Listed {
    link: SnapLink,
    /// The listing record's id.
    row: String,
    /// The id the record points at.
    agent: String,
    at: SourceRef,
}

pub(crate) fn read_users(rows: &mut impl Rows, snap: &mut Snapshot) -> Result<(), SourceError> {
    let mut seen = HashSet::new();
    let mut listed = Vec::new();
    while rows.advance()? {
        let role = UserRole::parse(rows.get("role"));
        let kind = role.map_or(RecordKind::Student, UserRole::kind);
        let Some((id, status)) = rows.identify(kind, &mut seen, &mut snap.issues) else {
            continue;
        };
        if status == Status::Deleted {
            snap.deleted.users.insert(id);
            continue;
        }
        let Some(role) = role else {
            let message = format!("role `{}` is not a OneRoster user role", rows.get("role"));
            snap.issues
                .push(rows.issue(kind, IssueCode::InvalidValue, &id, "role", message));
            continue;
        };
        let Some(person) = Person::read(&*rows, kind, &id, &mut snap.issues) else {
            continue;
        };
        match role {
            UserRole::Student => {
                let agents = listed_agents(&*rows, &id, true);
                if !agents.is_empty() {
                    snap.agent_rows.insert(id.clone());
                }
                listed.extend(agents);
                snap.students.push(student(&*rows, id, person));
            }
            UserRole::Guardian => {
                let agents = listed_agents(&*rows, &id, false);
                if !agents.is_empty() {
                    snap.agent_rows.insert(id.clone());
                }
                listed.extend(agents);
                snap.guardians.push(guardian(&*rows, id, person));
            }
            UserRole::Staff(role) => snap.staff.push(staff(&*rows, id, person, role)),
        }
    }
    resolve_links(listed, &seen, rows.name(), snap);
    Ok(())
}

fn student(rows: &impl Rows, source_id: String, person: Person) -> SnapStudent {
    SnapStudent {
        source_id,
        sis_id: person.sis_id,
        given_name: person.given_name,
        family_name: person.family_name,
        email: person.email,
        grade: rows.list("grades").into_iter().next().unwrap_or_default(),
        school_source_ids: rows.list("orgSourcedIds"),
        attributes: metadata_attributes(rows),
        // Until demographics are read: the metadata columns this record has.
        attribute_keys: Some(metadata_keys(rows)),
        carried: carried(rows),
        at: person.at,
    }
}

/// What the record's columns carry (R4.8).
fn carried(rows: &impl Rows) -> Carried {
    let columns: HashSet<&str> = rows.cells().map(|(column, _)| column).collect();
    Carried::columns(|c| columns.contains(c))
}

/// The attribute keys of the record's `metadata.*` columns, values or not.
fn metadata_keys(rows: &impl Rows) -> BTreeSet<String> {
    rows.cells()
        .filter_map(|(column, _)| column.strip_prefix("metadata."))
        .map(str::to_owned)
        .collect()
}

fn guardian(rows: &impl Rows, source_id: String, person: Person) -> SnapGuardian {
    SnapGuardian {
        source_id,
        sis_id: person.sis_id,
        given_name: person.given_name,
        family_name: person.family_name,
        email: person.email,
        sms_number: rows.get("sms").to_owned(),
        home_phone: rows.get("phone").to_owned(),
        language: language(rows),
        carried: carried(rows),
        at: person.at,
    }
}

fn staff(rows: &impl Rows, source_id: String, person: Person, role: StaffRole) -> SnapStaff {
    SnapStaff {
        source_id,
        sis_id: person.sis_id,
        given_name: person.given_name,
        family_name: person.family_name,
        email: person.email,
        sms_number: rows.get("sms").to_owned(),
        home_phone: rows.get("phone").to_owned(),
        language: language(rows),
        role,
        school_source_ids: rows.list("orgSourcedIds"),
        carried: carried(rows),
        at: person.at,
    }
}

/// OneRoster 1.1 users have no language field; exporters that carry one use one of these.
fn language(rows: &impl Rows) -> String {
    ["metadata.language", "preferredLanguage"]
        .into_iter()
        .map(|column| rows.get(column))
        .find(|value| !value.is_empty())
        .unwrap_or_default()
        .to_owned()
}

/// Student attributes from `metadata.*` extension fields (R2.6), keyed without the prefix.
fn metadata_attributes(rows: &impl Rows) -> BTreeMap<String, String> {
    rows.cells()
        .filter(|(_, value)| !value.is_empty())
        .filter_map(|(column, value)| {
            Some((
                column.strip_prefix("metadata.")?.to_owned(),
                value.to_owned(),
            ))
        })
        .collect()
}

/// The relationships a student's (`row_is_student`) or a guardian's record lists (R8.3).
fn listed_agents(rows: &impl Rows, row: &str, row_is_student: bool) -> Vec<Listed> {
    rows.list("agentSourcedIds")
        .into_iter()
        .map(|agent| {
            let (student_id, guardian_id) = if row_is_student {
                (row, agent.as_str())
            } else {
                (agent.as_str(), row)
            };
            Listed {
                link: SnapLink {
                    student_source_id: student_id.to_owned(),
                    guardian_source_id: guardian_id.to_owned(),
                },
                row: row.to_owned(),
                at: rows.at(),
                agent,
            }
        })
        .collect()
}

/// Keeps one link per pair whose ends are a student and a guardian of this collection
/// (`users`, named so in messages), whichever side listed it (R8.3). An agent of the wrong
/// kind (a student listed as a student's guardian, itself included; a staff member listed
/// as a guardian) is reported `WRONG_KIND_REFERENCE` (R3.4). An agent that is listed but
/// deleted or skipped drops the link quietly: its own record explains itself. An agent not
/// listed at all is an unknown reference, unless the users are a delta, which may point at
/// users stored by earlier syncs: those links are left to [`Snapshot::check_references`].
fn resolve_links(
    listed: Vec<Listed>,
    in_users: &HashSet<String>,
    users: &str,
    snap: &mut Snapshot,
) {
    let delta = snap.users == Coverage::Delta;
    let students: HashSet<&str> = snap.students.iter().map(|s| s.source_id.as_str()).collect();
    let guardians: HashSet<&str> = snap
        .guardians
        .iter()
        .map(|g| g.source_id.as_str())
        .collect();
    let staff: HashSet<&str> = snap.staff.iter().map(|s| s.source_id.as_str()).collect();
    let mut links = BTreeSet::new();
    let mut wrong = Vec::new();
    for entry in listed {
        let known = students.contains(entry.link.student_source_id.as_str())
            && guardians.contains(entry.link.guardian_source_id.as_str());
        let outside = !in_users.contains(&entry.agent);
        // The agent should be of the other side: a guardian for a student's row, a
        // student for a guardian's row.
        let row_is_student = entry.link.student_source_id == entry.row;
        let agent = entry.agent.as_str();
        let wrong_kind = if row_is_student {
            (students.contains(agent) || staff.contains(agent)).then_some("a guardian")
        } else {
            (guardians.contains(agent) || staff.contains(agent)).then_some("a student")
        };
        if known || (outside && delta) {
            links.insert(entry.link);
        } else if let Some(expected) = wrong_kind {
            let what = if agent == entry.row {
                "itself".to_owned()
            } else if staff.contains(agent) {
                format!("`{agent}`, a staff member,")
            } else {
                format!("`{agent}`, of the same kind,")
            };
            wrong.push(Issue::invalid(
                RecordKind::FamilyRelationship,
                IssueCode::WrongKindReference,
                &entry.at,
                &entry.row,
                "agentSourcedIds",
                format!("lists {what} where {expected} belongs; no family relationship is made"),
            ));
        } else if outside {
            snap.issues.push(Issue::invalid(
                RecordKind::FamilyRelationship,
                IssueCode::UnknownReference,
                &entry.at,
                &entry.row,
                "agentSourcedIds",
                format!("agent `{}` is not in {users}", entry.agent),
            ));
        }
    }
    snap.issues.extend(wrong);
    snap.links = links.into_iter().collect();
}

/// Academic sessions (`academicSessions.csv`, REST `/academicSessions` or `/terms`), for
/// the end of each class's term (R5.10). `complete`: the collection lists every session.
/// Problems are warnings ([`crate::sources::terms`]); a session marked deleted is listed
/// but unusable.
pub(crate) fn read_sessions(
    rows: &mut impl Rows,
    snap: &mut Snapshot,
    complete: bool,
) -> Result<Sessions, SourceError> {
    let mut sessions = Sessions::new(rows.name(), complete);
    let mut seen = HashSet::new();
    while rows.advance()? {
        let mut found = Vec::new();
        let identified = rows.identify(RecordKind::Class, &mut seen, &mut found);
        terms::as_warnings(&mut found);
        snap.issues.append(&mut found);
        let Some((id, status)) = identified else {
            continue;
        };
        if status == Status::Deleted {
            sessions.unusable(&id);
            continue;
        }
        sessions.add(
            &id,
            rows.get("endDate"),
            &rows.at(),
            "endDate",
            &mut snap.issues,
        );
    }
    Ok(sessions)
}

/// Classes. With `sessions` (the source carries them), each class's term end is the latest
/// end of the sessions its `termSourcedIds` names (R5.10); without, or without that
/// column, it is unknown and the stored one stays (R4.8).
pub(crate) fn read_classes(
    rows: &mut impl Rows,
    snap: &mut Snapshot,
    sessions: Option<&Sessions>,
) -> Result<(), SourceError> {
    let kind = RecordKind::Class;
    let mut seen = HashSet::new();
    while rows.advance()? {
        let Some((id, status)) = rows.identify(kind, &mut seen, &mut snap.issues) else {
            continue;
        };
        if status == Status::Deleted {
            snap.deleted.classes.insert(id);
            continue;
        }
        let Some(name) = rows.required("title", kind, &id, &mut snap.issues) else {
            continue;
        };
        let Some(school) = rows.required("schoolSourcedId", kind, &id, &mut snap.issues) else {
            continue;
        };
        // A REST class with an empty `terms` list flattens to `terms`: no term.
        let has_terms = rows
            .cells()
            .any(|(column, _)| column == TERMS || column == "terms");
        let term_end = match sessions {
            Some(sessions) if has_terms => {
                sessions.class_end(&id, &rows.list(TERMS), &rows.at(), TERMS, &mut snap.issues)
            }
            _ => TermEnd::Unknown,
        };
        snap.classes.push(SnapClass {
            source_id: id,
            sis_id: rows.get("classCode").to_owned(),
            name,
            grades: rows.list("grades"),
            school_source_id: school,
            term_end,
            at: rows.at(),
        });
    }
    Ok(())
}

/// Which enrollment list a OneRoster enrollment role goes to (R2.5).
fn enrollment_kind(role: &str) -> Option<RecordKind> {
    match role.to_ascii_lowercase().as_str() {
        "student" => Some(RecordKind::StudentEnrollment),
        "teacher" | "aide" | "proctor" | "administrator" => Some(RecordKind::TeacherEnrollment),
        _ => None,
    }
}

pub(crate) fn read_enrollments(
    rows: &mut impl Rows,
    snap: &mut Snapshot,
) -> Result<(), SourceError> {
    let mut seen = HashSet::new();
    while rows.advance()? {
        let role = enrollment_kind(rows.get("role"));
        let kind = role.unwrap_or(RecordKind::StudentEnrollment);
        let Some((id, status)) = rows.identify(kind, &mut seen, &mut snap.issues) else {
            continue;
        };
        if status == Status::Deleted {
            snap.deleted.enrollments.insert(id);
            continue;
        }
        if role.is_none() {
            let message = format!(
                "role `{}` is not a OneRoster enrollment role",
                rows.get("role")
            );
            snap.issues
                .push(rows.issue(kind, IssueCode::InvalidValue, &id, "role", message));
            continue;
        }
        let Some(class) = rows.required("classSourcedId", kind, &id, &mut snap.issues) else {
            continue;
        };
        let Some(user) = rows.required("userSourcedId", kind, &id, &mut snap.issues) else {
            continue;
        };
        let enrollment = SnapEnrollment {
            source_id: id,
            class_source_id: class,
            user_source_id: user,
            at: rows.at(),
        };
        if kind == RecordKind::StudentEnrollment {
            snap.student_enrollments.push(enrollment);
        } else {
            snap.teacher_enrollments.push(enrollment);
        }
    }
    Ok(())
}

/// Demographics become attributes of the students already read (R2.6). Records of other
/// ids (staff, unknown users) and records marked deleted add nothing. The attributes of a
/// student the demographics list, and of every student when they are `bulk`, are the
/// source's whole (R4.8); a student a delta leaves out keeps its stored demographics.
pub(crate) fn read_demographics(
    rows: &mut impl Rows,
    snap: &mut Snapshot,
    bulk: bool,
) -> Result<(), SourceError> {
    let mut listed = HashSet::new();
    let by_id: HashMap<String, usize> = snap
        .students
        .iter()
        .enumerate()
        .map(|(index, s)| (s.source_id.clone(), index))
        .collect();
    while rows.advance()? {
        let Some(&index) = by_id.get(rows.get("sourcedId")) else {
            continue;
        };
        if Status::parse(rows.get("status")) == Some(Status::Deleted) {
            continue;
        }
        rows.report_encoding(RecordKind::Student, &mut snap.issues);
        listed.insert(index);
        let attributes = &mut snap.students[index].attributes;
        for (column, value) in rows.cells() {
            if !value.is_empty() && !NOT_ATTRIBUTES.contains(&column) {
                attributes.insert(column.to_owned(), value.to_owned());
            }
        }
    }
    for (index, student) in snap.students.iter_mut().enumerate() {
        if bulk || listed.contains(&index) {
            student.attribute_keys = None;
        }
    }
    Ok(())
}
