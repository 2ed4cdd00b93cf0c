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
    SnapStaff, SnapStudent, Snapshot, SourceId, SourceRef, TermEnd, Text,
};
use crate::sources::SourceError;
use crate::sources::terms::{self, Sessions};
use foldhash::{HashMap, HashSet};
use std::collections::{BTreeMap, BTreeSet};

/// The sessions a class names (REST: its `terms` references).
const TERMS: &str = "termSourcedIds";

/// Demographics fields that describe the record rather than the student.
const NOT_ATTRIBUTES: [&str; 3] = ["sourcedId", "status", "dateLastModified"];

mod users;
pub(crate) use users::read_users;

/// What a reader fills with one entry per record, grown by [`Rows::room_in`].
pub(crate) trait Room {
    fn is_full(&self) -> bool;
    fn make_room(&mut self, additional: usize);
}

impl<T> Room for Vec<T> {
    fn is_full(&self) -> bool {
        self.len() == self.capacity()
    }
    fn make_room(&mut self, additional: usize) {
        self.reserve(additional);
    }
}

impl<T: Eq + std::hash::Hash, S: std::hash::BuildHasher> Room for std::collections::HashSet<T, S> {
    fn is_full(&self) -> bool {
        self.len() == self.capacity()
    }
    fn make_room(&mut self, additional: usize) {
        self.reserve(additional);
    }
}

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

    /// Whether the current record has `column`, empty or not.
    fn has(&self, column: &str) -> bool {
        self.cells().any(|(name, _)| name == column)
    }

    /// Where the current record was read, for issues.
    fn at(&self) -> SourceRef;

    /// About how many records follow the current one; 0 when not known (an API page).
    fn rows_left(&self) -> usize {
        0
    }

    /// When `records` is full, makes room in it for every record left rather than
    /// doubling it. A large Vec (or set) that doubles is copied, and held twice while it
    /// is: a 100k-student export's enrollments held 63 MB more for that moment, and the
    /// run's peak memory was such a moment. Room no record reaches costs address space,
    /// not memory: its pages are never touched.
    fn room_in(&self, records: &mut impl Room) {
        if records.is_full() {
            records.make_room(self.rows_left().max(1));
        }
    }

    /// The columns of the current record whose value held bytes that are not UTF-8 and
    /// was read with replacement characters (R3.4). A source that delivers text (JSON)
    /// has none.
    fn replaced_columns(&self) -> Vec<String> {
        Vec::new()
    }

    /// R3.4: one `INVALID_ENCODING` warning per value read with replacement characters,
    /// naming the field; the record is read all the same.
    fn report_encoding(&self, kind: RecordKind, issues: &mut Vec<Issue>) {
        let replaced = self.replaced_columns();
        if replaced.is_empty() {
            return;
        }
        let id = self.get("sourcedId");
        for column in replaced {
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
        seen: &mut HashSet<SourceId>,
        issues: &mut Vec<Issue>,
    ) -> Option<(SourceId, Status)> {
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
        // Held inline (`SourceId`): one id of each of a million rows, with no allocation.
        let id = SourceId::from(id);
        self.room_in(seen);
        if !seen.insert(id.clone()) {
            let message = format!(
                "sourcedId `{id}` is already used earlier in {}",
                self.name()
            );
            issues.push(self.issue(kind, IssueCode::DuplicateId, &id, "sourcedId", message));
            return None;
        }
        let status = self.get("status");
        let Some(parsed) = Status::parse(status) else {
            let message = format!("status `{status}` is not active, tobedeleted or inactive");
            issues.push(self.issue(kind, IssueCode::InvalidValue, &id, "status", message));
            return None;
        };
        Some((id, parsed))
    }

    /// A field the record cannot go without; `None`, with a `MISSING_FIELD` issue, when
    /// empty.
    fn required<T: for<'v> From<&'v str>>(
        &self,
        column: &str,
        kind: RecordKind,
        id: &str,
        issues: &mut Vec<Issue>,
    ) -> Option<T> {
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
        Some(T::from(value))
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
    let mut seen = HashSet::default();
    while rows.advance()? {
        let Some((id, status)) = rows.identify(kind, &mut seen, &mut snap.issues) else {
            continue;
        };
        if status == Status::Deleted {
            snap.deleted.schools.insert(id.into());
            continue;
        }
        let Some(org_type) = rows.required::<String>("type", kind, &id, &mut snap.issues) else {
            continue;
        };
        if !org_type.eq_ignore_ascii_case("school") {
            // A district, department or other org: people may belong to it, but it is
            // not a school (R8.2).
            snap.other_orgs
                .insert(id.into(), org_type.to_ascii_lowercase());
            continue;
        }
        let Some(name) = rows.required("name", kind, &id, &mut snap.issues) else {
            continue;
        };
        let sis_id = rows.get("identifier").into();
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
    let mut seen = HashSet::default();
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
    let mut seen = HashSet::default();
    while rows.advance()? {
        let Some((id, status)) = rows.identify(kind, &mut seen, &mut snap.issues) else {
            continue;
        };
        if status == Status::Deleted {
            snap.deleted.classes.insert(id.into());
            continue;
        }
        let Some(name) = rows.required("title", kind, &id, &mut snap.issues) else {
            continue;
        };
        let Some(school) = rows.required("schoolSourcedId", kind, &id, &mut snap.issues) else {
            continue;
        };
        // A REST class with an empty `terms` list flattens to `terms`: no term.
        let has_terms = rows.has(TERMS) || rows.has("terms");
        let term_end = match sessions {
            Some(sessions) if has_terms => {
                sessions.class_end(&id, &rows.list(TERMS), &rows.at(), TERMS, &mut snap.issues)
            }
            _ => TermEnd::Unknown,
        };
        snap.classes.push(SnapClass {
            source_id: id,
            sis_id: rows.get("classCode").into(),
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
    let is = |word: &str| role.eq_ignore_ascii_case(word);
    if is("student") {
        Some(RecordKind::StudentEnrollment)
    } else if ["teacher", "aide", "proctor", "administrator"]
        .into_iter()
        .any(is)
    {
        Some(RecordKind::TeacherEnrollment)
    } else {
        None
    }
}

pub(crate) fn read_enrollments(
    rows: &mut impl Rows,
    snap: &mut Snapshot,
) -> Result<(), SourceError> {
    let mut seen = HashSet::default();
    while rows.advance()? {
        let role = enrollment_kind(rows.get("role"));
        let kind = role.unwrap_or(RecordKind::StudentEnrollment);
        let Some((id, status)) = rows.identify(kind, &mut seen, &mut snap.issues) else {
            continue;
        };
        if status == Status::Deleted {
            snap.deleted.enrollments.insert(id.into());
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
        let enrollments = if kind == RecordKind::StudentEnrollment {
            &mut snap.student_enrollments
        } else {
            &mut snap.teacher_enrollments
        };
        rows.room_in(enrollments);
        enrollments.push(enrollment);
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
    let mut listed = HashSet::default();
    let by_id: HashMap<SourceId, usize> = snap
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
