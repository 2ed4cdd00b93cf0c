//! The whole district as a source sees it: typed records keyed by source id, each with
//! where it came from (file and line, or API resource) so any issue can point at it.
//! Readers build it; the planner compares it with the store. No rule lives here except
//! what every source needs: the cross-file reference check (R3.3) and the check of values
//! too long to store (R3.4, S5.2).

mod digest;
mod lengths;
mod references;

pub use digest::Digester;
pub use references::KnownIds;

use crate::domain::{IssueCode, RecordKind, Severity, StaffRole};
pub use crate::domain::{SourceId, Text};
use foldhash::HashSet;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where a record was read. Every record carries one, so it is 16 bytes and holds no
/// allocation of its own: a CSV file is one of the spec's, named by a byte, with its line;
/// an API page's resource is shared by every record read from that page. (As a struct of
/// a file name, a line and a resource it took 48 bytes: 28 MB of a 100k district's
/// 875k records.)
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "Written", into = "Written")]
pub struct SourceRef(Place);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    /// A CSV file's 1-based line (the header is line 1); no file and line 0 for a record
    /// made in a test, or an issue about the source as a whole. (Not a variant of its own:
    /// the `Arc`'s pointer leaves room for one other variant in 16 bytes, not two.) A line
    /// past `u32::MAX` reads as `u32::MAX`: a zip entry is limited to 2 GiB, far fewer
    /// lines than that.
    Csv(Option<CsvFile>, u32),
    /// An API resource, e.g. `/users?offset=100`.
    Api(Arc<str>),
}

impl Place {
    fn csv(file: Option<CsvFile>, line: u64) -> Self {
        Place::Csv(file, u32::try_from(line).unwrap_or(u32::MAX))
    }
}

impl Default for Place {
    fn default() -> Self {
        Place::Csv(None, 0)
    }
}

const _: () = assert!(std::mem::size_of::<SourceRef>() == 16);

/// A [`SourceRef`] as a snapshot kept for approval writes it (R9.1): the shape it had as a
/// struct of file, line and resource, so that a snapshot kept by an earlier release still
/// reads after an upgrade.
#[derive(serde::Serialize, serde::Deserialize)]
struct Written {
    file: Cow<'static, str>,
    line: u64,
    resource: Arc<str>,
}

impl From<SourceRef> for Written {
    fn from(at: SourceRef) -> Self {
        Written {
            file: Cow::Borrowed(at.file()),
            line: at.line(),
            resource: match at.0 {
                Place::Api(resource) => resource,
                Place::Csv(..) => Arc::default(),
            },
        }
    }
}

impl From<Written> for SourceRef {
    fn from(w: Written) -> Self {
        if !w.resource.is_empty() {
            return SourceRef::api(w.resource);
        }
        let file = CsvFile::ALL.into_iter().find(|f| f.name() == w.file);
        SourceRef(Place::csv(file, w.line))
    }
}

impl SourceRef {
    pub fn csv(file: CsvFile, line: u64) -> Self {
        SourceRef(Place::csv(Some(file), line))
    }

    /// A record of the API page `resource` (one `Arc` per page, cloned per record).
    pub fn api(resource: Arc<str>) -> Self {
        SourceRef(Place::Api(resource))
    }

    /// The CSV file's name, e.g. `users.csv`; empty for API sources.
    pub fn file(&self) -> &'static str {
        match self.0 {
            Place::Csv(Some(file), _) => file.name(),
            _ => "",
        }
    }

    /// The 1-based line in [`SourceRef::file`]; 0 for API sources.
    pub fn line(&self) -> u64 {
        match self.0 {
            Place::Csv(_, line) => line.into(),
            _ => 0,
        }
    }

    /// The API resource, e.g. `/users?offset=100`; empty for CSV sources.
    pub fn resource(&self) -> &str {
        match &self.0 {
            Place::Api(resource) => resource,
            _ => "",
        }
    }
}

/// The files of a OneRoster CSV export a record or an issue can come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvFile {
    Manifest,
    Orgs,
    Users,
    Classes,
    Enrollments,
    AcademicSessions,
    Demographics,
}

impl CsvFile {
    /// Every file, in the order an export's files are read and digested.
    pub const ALL: [CsvFile; 7] = [
        CsvFile::Manifest,
        CsvFile::Orgs,
        CsvFile::Users,
        CsvFile::Classes,
        CsvFile::Enrollments,
        CsvFile::AcademicSessions,
        CsvFile::Demographics,
    ];

    /// The file's name in an export, as the spec gives it.
    pub const fn name(self) -> &'static str {
        match self {
            CsvFile::Manifest => "manifest.csv",
            CsvFile::Orgs => "orgs.csv",
            CsvFile::Users => "users.csv",
            CsvFile::Classes => "classes.csv",
            CsvFile::Enrollments => "enrollments.csv",
            CsvFile::AcademicSessions => "academicSessions.csv",
            CsvFile::Demographics => "demographics.csv",
        }
    }
}

impl std::fmt::Display for CsvFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A row-level finding: a skipped row, a skipped guardian, a dropped credential.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Issue {
    pub severity: Severity,
    pub record_kind: RecordKind,
    pub code: IssueCode,
    pub message: String,
    pub at: SourceRef,
    pub source_id: String,
    pub field: String,
}

impl Issue {
    /// A value or reference left out of a row that is otherwise read (R3.4).
    pub fn warning(
        kind: RecordKind,
        code: IssueCode,
        at: &SourceRef,
        source_id: &str,
        field: &str,
        message: impl Into<String>,
    ) -> Self {
        Issue {
            severity: Severity::Warning,
            ..Issue::invalid(kind, code, at, source_id, field, message)
        }
    }

    /// An invalid row, skipped (R3.3).
    pub fn invalid(
        kind: RecordKind,
        code: IssueCode,
        at: &SourceRef,
        source_id: &str,
        field: &str,
        message: impl Into<String>,
    ) -> Self {
        Issue {
            severity: Severity::Error,
            record_kind: kind,
            code,
            message: message.into(),
            at: at.clone(),
            source_id: source_id.to_owned(),
            field: field.to_owned(),
        }
    }
}

/// How completely the source describes one kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Coverage {
    /// Every record of the kind is listed: what is missing is abandoned.
    #[default]
    Bulk,
    /// Only changes are listed: missing records are unchanged, `tobedeleted` ones abandoned.
    Delta,
    /// The kind is not in this source at all: nothing of it changes.
    Absent,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SnapSchool {
    pub source_id: SourceId,
    pub sis_id: Text,
    pub name: Text,
    pub at: SourceRef,
}

/// Which fields of a person its source carries (R4.8): a field it does not carry (a column
/// missing from the file, a kind of source without the field, as Clever staff have no
/// phones) leaves the stored value alone; only an empty value of a carried field clears it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Carried {
    pub email: bool,
    pub sms: bool,
    pub phone: bool,
    pub grade: bool,
}

impl Default for Carried {
    fn default() -> Self {
        Carried {
            email: true,
            sms: true,
            phone: true,
            grade: true,
        }
    }
}

impl Carried {
    /// What a record with these columns carries (`has`: whether it has the column).
    pub fn columns(has: impl Fn(&str) -> bool) -> Self {
        Carried {
            email: has("email"),
            sms: has("sms"),
            phone: has("phone"),
            grade: has("grades"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SnapStudent {
    pub source_id: SourceId,
    pub sis_id: Text,
    pub given_name: Text,
    pub family_name: Text,
    pub email: Text,
    pub grade: Text,
    pub school_source_ids: Vec<String>,
    /// Student attributes (R2.6): demographics and `metadata.*` columns.
    pub attributes: BTreeMap<String, String>,
    /// The attribute keys the source carries for this student (R4.8): None, every key (the
    /// attributes replace the stored ones); Some, only these, the rest of the stored
    /// attributes staying as they are (demographics marked `absent`).
    pub attribute_keys: Option<std::collections::BTreeSet<String>>,
    pub carried: Carried,
    pub at: SourceRef,
}

/// Phone numbers stay as the source wrote them: the planner validates them with the
/// district's region and decides uniqueness (R3.1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SnapGuardian {
    pub source_id: SourceId,
    pub sis_id: Text,
    pub given_name: Text,
    pub family_name: Text,
    pub email: Text,
    pub sms_number: Text,
    pub home_phone: Text,
    pub language: Text,
    pub carried: Carried,
    pub at: SourceRef,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SnapStaff {
    pub source_id: SourceId,
    pub sis_id: Text,
    pub given_name: Text,
    pub family_name: Text,
    pub email: Text,
    pub sms_number: Text,
    pub home_phone: Text,
    pub language: Text,
    pub role: StaffRole,
    pub school_source_ids: Vec<String>,
    pub carried: Carried,
    pub at: SourceRef,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SnapClass {
    pub source_id: SourceId,
    pub sis_id: Text,
    pub name: Text,
    pub grades: Vec<String>,
    pub school_source_id: SourceId,
    /// When the class's term ends (R5.10).
    pub term_end: TermEnd,
    pub at: SourceRef,
}

/// What the source says of the end of a class's term (R5.10): the latest `endDate` of the
/// academic sessions (Clever: the term) it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum TermEnd {
    /// The source says nothing usable: it carries no academic sessions (no
    /// `academicSessions.csv`, no `/academicSessions` or `/terms`), or one of the class's
    /// sessions could not be read this time. The stored term end stays (R4.8, R3.4).
    #[default]
    Unknown,
    /// The source carries sessions and names none for the class: no term.
    NoTerm,
    /// The last day of the class's term.
    On(chrono::NaiveDate),
}

impl TermEnd {
    /// The term end to store, given the stored one.
    pub fn or_stored(self, stored: Option<chrono::NaiveDate>) -> Option<chrono::NaiveDate> {
        match self {
            TermEnd::Unknown => stored,
            TermEnd::NoTerm => None,
            TermEnd::On(date) => Some(date),
        }
    }
}

/// A class membership of a student or a teacher.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SnapEnrollment {
    /// The enrollment's own source id, when the source has one (OneRoster).
    pub source_id: SourceId,
    pub class_source_id: SourceId,
    pub user_source_id: SourceId,
    pub at: SourceRef,
}

/// A guardian-student relationship (R8.3): one per pair, whichever side listed it.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct SnapLink {
    pub student_source_id: SourceId,
    pub guardian_source_id: SourceId,
}

/// The source ids a delta source marked `tobedeleted`, per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Deleted {
    pub schools: HashSet<String>,
    pub users: HashSet<String>,
    pub classes: HashSet<String>,
    pub enrollments: HashSet<String>,
}

/// Everything one source says about a district.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    pub schools: Vec<SnapSchool>,
    pub students: Vec<SnapStudent>,
    pub guardians: Vec<SnapGuardian>,
    pub staff: Vec<SnapStaff>,
    pub classes: Vec<SnapClass>,
    pub student_enrollments: Vec<SnapEnrollment>,
    pub teacher_enrollments: Vec<SnapEnrollment>,
    pub links: Vec<SnapLink>,
    /// Users whose own row listed agents (`agentSourcedIds`): in a delta, such a row is
    /// the whole list of that user's relationships, so one it no longer names is gone.
    pub agent_rows: HashSet<String>,
    /// Coverage of orgs, users, classes and enrollments.
    pub orgs: Coverage,
    pub users: Coverage,
    pub class_coverage: Coverage,
    pub enrollments: Coverage,
    pub deleted: Deleted,
    /// Orgs that are not schools (district, department, ...) by source id, with their
    /// type: a membership of one is no school membership, and no error either.
    pub other_orgs: foldhash::HashMap<String, String>,
    /// Records left out because an erasure suppressed their source id (S6.1), by kind.
    pub suppressed: std::collections::BTreeMap<RecordKind, i64>,
    /// Whether the source can carry student attributes (OneRoster: yes; Clever: no, R2.6).
    pub attributes_supported: bool,
    pub issues: Vec<Issue>,
}

impl Snapshot {
    /// The snapshot as a planned run keeps it for its approval (R9.1): postcard, a
    /// compact binary form of the same types, compressed. Never a fresh read: an approval
    /// applies the plan made from what the reviewer saw.
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        crate::store::packed::pack(self, "snapshot")
    }

    /// A snapshot [`Snapshot::encode`] wrote.
    pub fn decode(bytes: &[u8]) -> Result<Snapshot, String> {
        crate::store::packed::unpack(bytes, "snapshot")
    }

    /// Leaves out the people whose source id an erasure suppressed (S6.1): the source
    /// still lists them, the product does not take them back. Counted, never reported
    /// by id: an issue naming them would keep what was erased.
    pub fn suppress(&mut self, suppressed: &HashSet<(RecordKind, &str)>) {
        if suppressed.is_empty() {
            return;
        }
        let mut left_out = std::collections::BTreeMap::new();
        let mut keep = |kind: RecordKind, id: &str| {
            let out = suppressed.contains(&(kind, id));
            if out {
                *left_out.entry(kind).or_insert(0) += 1;
            }
            !out
        };
        self.students
            .retain(|s| keep(RecordKind::Student, &s.source_id));
        self.guardians
            .retain(|g| keep(RecordKind::Guardian, &g.source_id));
        self.staff.retain(|s| keep(RecordKind::Staff, &s.source_id));
        self.suppressed = left_out;
        // What names a suppressed person goes with it, quietly: the person is reported as
        // skipped once, not once per reference.
        let gone = |kind: RecordKind, id: &str| suppressed.contains(&(kind, id));
        self.links.retain(|l| {
            !gone(RecordKind::Student, &l.student_source_id)
                && !gone(RecordKind::Guardian, &l.guardian_source_id)
        });
        self.student_enrollments
            .retain(|e| !gone(RecordKind::Student, &e.user_source_id));
        self.teacher_enrollments
            .retain(|e| !gone(RecordKind::Staff, &e.user_source_id));
    }

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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R9.1: a snapshot kept for approval by an earlier release, whose `SourceRef` was a
    /// struct of file, line and resource, reads the same after an upgrade; and one kept
    /// now reads back as it was written.
    #[test]
    fn r9_1_a_kept_snapshot_reads_where_its_records_came_from_across_releases() {
        #[derive(serde::Serialize)]
        struct Earlier {
            file: &'static str,
            line: u64,
            resource: &'static str,
        }
        let cases = [
            (
                Earlier {
                    file: "users.csv",
                    line: 7,
                    resource: "",
                },
                SourceRef::csv(CsvFile::Users, 7),
            ),
            (
                Earlier {
                    file: "",
                    line: 0,
                    resource: "/users?offset=100",
                },
                SourceRef::api("/users?offset=100".into()),
            ),
            (
                Earlier {
                    file: "",
                    line: 0,
                    resource: "",
                },
                SourceRef::default(),
            ),
        ];
        for (earlier, now) in cases {
            let bytes = postcard::to_allocvec(&earlier).unwrap();
            assert_eq!(postcard::from_bytes::<SourceRef>(&bytes).unwrap(), now);
            assert_eq!(postcard::to_allocvec(&now).unwrap(), bytes);
        }
        let snap = Snapshot {
            issues: vec![Issue::warning(
                RecordKind::Student,
                IssueCode::InvalidEmail,
                &SourceRef::csv(CsvFile::Enrollments, 42),
                "s-1",
                "email",
                "not an email",
            )],
            ..Snapshot::default()
        };
        let back = Snapshot::decode(&snap.encode().unwrap()).unwrap();
        assert_eq!(back.issues[0].at.file(), "enrollments.csv");
        assert_eq!(back.issues[0].at.line(), 42);
    }
}
