//! OneRoster 1.1 CSV (R8.1): a folder or a zip of CSV files in, a [`Snapshot`] out.
//!
//! This module knows files: the manifest, where the files live (folder or archive), and CSV
//! parsing. What the rows mean is [`super::oneroster`]'s, shared with the REST reader.
//! Only what makes the whole source unreadable fails the run (no manifest, a listed file or a
//! required column missing, a broken archive); a bad row is skipped with an issue naming file,
//! line and id (R3.3).

use super::SourceError;
use super::oneroster::{
    Rows, read_classes, read_demographics, read_enrollments, read_orgs, read_users,
};
use crate::sync::snapshot::{Coverage, Snapshot, SourceRef};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::Path;
use zip::ZipArchive;
use zip::result::ZipError;

const MANIFEST: &str = "manifest.csv";

/// Bounds on what a source can make the server read.
#[derive(Debug, Clone, Copy)]
pub struct CsvLimits {
    /// Largest uncompressed zip entry accepted: a small archive must not expand into
    /// gigabytes (a zip bomb).
    pub max_entry_bytes: u64,
}

impl Default for CsvLimits {
    fn default() -> Self {
        CsvLimits {
            max_entry_bytes: 1 << 30,
        }
    }
}

/// Reads a OneRoster export from a folder, or from a zip archive when `path` is a file.
pub fn read_path(path: &Path, limits: &CsvLimits) -> Result<Snapshot, SourceError> {
    if path.is_dir() {
        return read_files(&mut Folder(path));
    }
    let file = File::open(path)
        .map_err(|err| SourceError::Io(format!("cannot open {}: {err}", path.display())))?;
    let name = path
        .file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy();
    read_files(&mut Zip::new(BufReader::new(file), &name, limits)?)
}

/// Reads a OneRoster export from a zip archive, e.g. an upload held in memory.
pub fn read_zip_bytes<R: Read + Seek>(
    reader: R,
    limits: &CsvLimits,
) -> Result<Snapshot, SourceError> {
    read_files(&mut Zip::new(reader, "the upload", limits)?)
}

/// Where the CSV files live, so one reader serves folders and archives.
trait Files {
    /// Opens the file called `name`; `None` when the source has no such file.
    fn open(&mut self, name: &str) -> Result<Option<Box<dyn Read + '_>>, SourceError>;
}

/// An export unpacked in a folder.
struct Folder<'p>(&'p Path);

impl Files for Folder<'_> {
    fn open(&mut self, name: &str) -> Result<Option<Box<dyn Read + '_>>, SourceError> {
        match File::open(self.0.join(name)) {
            Ok(file) => Ok(Some(Box::new(file))),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(SourceError::Io(format!("cannot open {name}: {err}"))),
        }
    }
}

/// An export as a zip archive. Zipping a folder puts the files inside that folder, so the
/// files are looked up beside `manifest.csv`: at the root or in one top-level folder.
struct Zip<R> {
    archive: ZipArchive<R>,
    /// `""` or `"<top folder>/"`.
    folder: String,
    max_entry_bytes: u64,
}

impl<R: Read + Seek> Zip<R> {
    /// `name` says what the archive is in the error when it is not one.
    fn new(reader: R, name: &str, limits: &CsvLimits) -> Result<Self, SourceError> {
        let archive = ZipArchive::new(reader)
            .map_err(|err| SourceError::Invalid(format!("{name} is not a zip archive ({err})")))?;
        let folder = manifest_folder(&archive)?;
        Ok(Zip {
            archive,
            folder,
            max_entry_bytes: limits.max_entry_bytes,
        })
    }
}

impl<R: Read + Seek> Files for Zip<R> {
    fn open(&mut self, name: &str) -> Result<Option<Box<dyn Read + '_>>, SourceError> {
        let path = format!("{}{name}", self.folder);
        let Some(index) = self.archive.index_for_name(&path) else {
            return Ok(None);
        };
        let entry = self
            .archive
            .by_index(index)
            .map_err(|err| zip_error(&path, err))?;
        // The declared size is checked here; the zip crate stops reading an entry that grows
        // past its declared size, so together they bound what is read.
        if entry.size() > self.max_entry_bytes {
            return Err(SourceError::Invalid(format!(
                "{path} is {} bytes uncompressed, over the limit of {} bytes",
                entry.size(),
                self.max_entry_bytes
            )));
        }
        Ok(Some(Box::new(entry)))
    }
}

/// The folder holding `manifest.csv`: the root, or a single top-level folder. Without any
/// manifest the root is used, so the missing manifest is reported as such.
fn manifest_folder<R: Read + Seek>(archive: &ZipArchive<R>) -> Result<String, SourceError> {
    let mut folders = Vec::new();
    for name in archive.file_names().filter_map(Result::ok) {
        if name == MANIFEST {
            return Ok(String::new());
        }
        if let Some(folder) = name
            .strip_suffix(MANIFEST)
            .and_then(|f| f.strip_suffix('/'))
            && !folder.is_empty()
            && !folder.contains('/')
        {
            folders.push(format!("{folder}/"));
        }
    }
    match folders.as_slice() {
        [] => Ok(String::new()),
        [folder] => Ok(folder.clone()),
        _ => Err(SourceError::Invalid(format!(
            "the archive holds a manifest.csv in several folders: {}",
            folders.join(", ")
        ))),
    }
}

fn zip_error(path: &str, err: ZipError) -> SourceError {
    match err {
        ZipError::Io(err) => SourceError::Io(format!("{path}: {err}")),
        other => SourceError::Invalid(format!("{path}: {other}")),
    }
}

/// A data file and the columns it cannot do without.
struct FileSpec {
    name: &'static str,
    required: &'static [&'static str],
}

const ORGS: FileSpec = FileSpec {
    name: "orgs.csv",
    required: &["sourcedId", "name", "type"],
};
const USERS: FileSpec = FileSpec {
    name: "users.csv",
    required: &[
        "sourcedId",
        "role",
        "givenName",
        "familyName",
        "orgSourcedIds",
    ],
};
const CLASSES: FileSpec = FileSpec {
    name: "classes.csv",
    required: &["sourcedId", "title", "schoolSourcedId"],
};
const ENROLLMENTS: FileSpec = FileSpec {
    name: "enrollments.csv",
    required: &["sourcedId", "classSourcedId", "userSourcedId", "role"],
};
const DEMOGRAPHICS: FileSpec = FileSpec {
    name: "demographics.csv",
    required: &["sourcedId"],
};
const MANIFEST_SPEC: FileSpec = FileSpec {
    name: MANIFEST,
    required: &["propertyName", "value"],
};

fn read_files<F: Files>(files: &mut F) -> Result<Snapshot, SourceError> {
    let manifest = read_manifest(files)?;
    let mut snap = Snapshot {
        orgs: manifest.orgs,
        users: manifest.users,
        class_coverage: manifest.classes,
        enrollments: manifest.enrollments,
        attributes_supported: true,
        ..Snapshot::default()
    };
    if let Some(mut table) = open_listed(files, &ORGS, manifest.orgs)? {
        read_orgs(&mut table, &mut snap)?;
    }
    if let Some(mut table) = open_listed(files, &USERS, manifest.users)? {
        read_users(&mut table, &mut snap)?;
    }
    if let Some(mut table) = open_listed(files, &CLASSES, manifest.classes)? {
        read_classes(&mut table, &mut snap)?;
    }
    if let Some(mut table) = open_listed(files, &ENROLLMENTS, manifest.enrollments)? {
        read_enrollments(&mut table, &mut snap)?;
    }
    if let Some(mut table) = open_listed(files, &DEMOGRAPHICS, manifest.demographics)? {
        read_demographics(&mut table, &mut snap)?;
    }
    Ok(snap)
}

/// What `manifest.csv` says about the files this reader uses.
struct Manifest {
    orgs: Coverage,
    users: Coverage,
    classes: Coverage,
    enrollments: Coverage,
    demographics: Coverage,
}

/// Reads the manifest; a file it does not mention is absent.
fn read_manifest<F: Files>(files: &mut F) -> Result<Manifest, SourceError> {
    let mut table = Table::open(files, &MANIFEST_SPEC)?
        .ok_or_else(|| SourceError::Invalid(format!("{MANIFEST} is missing")))?;
    let mut manifest = Manifest {
        orgs: Coverage::Absent,
        users: Coverage::Absent,
        classes: Coverage::Absent,
        enrollments: Coverage::Absent,
        demographics: Coverage::Absent,
    };
    while table.advance()? {
        let slot = match table.get("propertyName") {
            "file.orgs" => &mut manifest.orgs,
            "file.users" => &mut manifest.users,
            "file.classes" => &mut manifest.classes,
            "file.enrollments" => &mut manifest.enrollments,
            "file.demographics" => &mut manifest.demographics,
            _ => continue,
        };
        let value = table.get("value");
        *slot = parse_coverage(value).ok_or_else(|| {
            SourceError::Invalid(format!(
                "{MANIFEST} line {}: `{value}` is not bulk, delta or absent",
                table.line()
            ))
        })?;
    }
    Ok(manifest)
}

fn parse_coverage(value: &str) -> Option<Coverage> {
    match value.to_ascii_lowercase().as_str() {
        "bulk" => Some(Coverage::Bulk),
        "delta" => Some(Coverage::Delta),
        "absent" => Some(Coverage::Absent),
        _ => None,
    }
}

/// Opens a file the manifest lists; `None` when it says the file is absent.
fn open_listed<'a, F: Files>(
    files: &'a mut F,
    spec: &FileSpec,
    coverage: Coverage,
) -> Result<Option<Table<'a>>, SourceError> {
    let listed_as = match coverage {
        Coverage::Absent => return Ok(None),
        Coverage::Bulk => "bulk",
        Coverage::Delta => "delta",
    };
    let table = Table::open(files, spec)?.ok_or_else(|| {
        SourceError::Invalid(format!(
            "manifest lists {} as {listed_as} but the file is missing",
            spec.name
        ))
    })?;
    Ok(Some(table))
}

/// One CSV file, streamed a row at a time into a reused record; cells are found by column
/// name, so column order and extra columns do not matter (R8.1).
struct Table<'a> {
    file: &'static str,
    headers: Vec<String>,
    columns: HashMap<String, usize>,
    reader: csv::Reader<Box<dyn Read + 'a>>,
    record: csv::StringRecord,
}

impl<'a> Table<'a> {
    /// Opens `spec`'s file and checks its header; `None` when the source has no such file.
    fn open<F: Files>(files: &'a mut F, spec: &FileSpec) -> Result<Option<Self>, SourceError> {
        let Some(input) = files.open(spec.name)? else {
            return Ok(None);
        };
        // Flexible: a row with too few or too many cells is read by name like any other,
        // and judged by the fields it lacks rather than failing the file.
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(input);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|err| csv_error(spec.name, err))?
            .iter()
            .map(header_name)
            .collect();
        let mut columns = HashMap::new();
        for (index, name) in headers.iter().enumerate() {
            columns.entry(name.clone()).or_insert(index);
        }
        for column in spec.required {
            if !columns.contains_key(*column) {
                return Err(SourceError::Invalid(format!(
                    "{} has no `{column}` column",
                    spec.name
                )));
            }
        }
        Ok(Some(Table {
            file: spec.name,
            headers,
            columns,
            reader,
            record: csv::StringRecord::new(),
        }))
    }

    /// The physical line the current row starts on; the header is line 1. The csv crate
    /// counts `\n` only, so files that end lines with a bare `\r` (seen in real exports)
    /// would drift; the record count (header = record 0) is a floor for the line.
    fn line(&self) -> u64 {
        self.record
            .position()
            .map_or(0, |p| p.line().max(p.record() + 1))
    }
}

impl Rows for Table<'_> {
    fn name(&self) -> &str {
        self.file
    }

    /// Moves to the next row; `false` at the end of the file.
    fn advance(&mut self) -> Result<bool, SourceError> {
        self.reader
            .read_record(&mut self.record)
            .map_err(|err| csv_error(self.file, err))
    }

    /// The trimmed cell of `column`; empty when the file has no such column or the row is
    /// too short to reach it.
    fn get(&self, column: &str) -> &str {
        self.columns
            .get(column)
            .and_then(|&index| self.record.get(index))
            .map_or("", str::trim)
    }

    fn cells(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers
            .iter()
            .map(String::as_str)
            .zip(self.record.iter().map(str::trim))
    }

    fn at(&self) -> SourceRef {
        SourceRef::csv(self.file, self.line())
    }
}

/// A header as written, without surrounding spaces. The csv crate drops a leading UTF-8
/// byte-order mark (R8.1) only when it arrives in one read, so it is trimmed here as well.
fn header_name(raw: &str) -> String {
    raw.trim_start_matches('\u{feff}').trim().to_owned()
}

fn csv_error(file: &str, err: csv::Error) -> SourceError {
    match err.kind() {
        csv::ErrorKind::Io(_) => SourceError::Io(format!("{file}: {err}")),
        _ => SourceError::Invalid(format!("{file}: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{RecordKind, Severity, StaffRole};
    use crate::sources::oneroster::{
        DUPLICATE_ID, INVALID_VALUE, MISSING_FIELD, UNKNOWN_REFERENCE,
    };
    use crate::sync::snapshot::{SnapClass, SnapEnrollment, SnapGuardian, SnapLink};
    use std::fs;
    use std::io::{Cursor, Write};
    use std::path::PathBuf;

    const PEERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/peers");

    const USERS_ONLY: &str = "propertyName,value\nfile.users,bulk\n";
    const USERS_HEADER: &str =
        "sourcedId,status,role,givenName,familyName,orgSourcedIds,agentSourcedIds\n";

    fn read_peer(name: &str) -> Snapshot {
        read_path(&Path::new(PEERS).join(name), &CsvLimits::default()).expect("the fixture reads")
    }

    /// A source folder under the system temp dir, removed when dropped.
    struct Source(PathBuf);

    impl Source {
        fn new(files: &[(&str, &str)]) -> Source {
            let dir = std::env::temp_dir()
                .join(format!("roster-oneroster-{:016x}", rand::random::<u64>()));
            fs::create_dir_all(&dir).unwrap();
            for &(name, body) in files {
                fs::write(dir.join(name), body).unwrap();
            }
            Source(dir)
        }

        fn read(&self) -> Result<Snapshot, SourceError> {
            read_path(&self.0, &CsvLimits::default())
        }
    }

    impl Drop for Source {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn users_source(rows: &str) -> Snapshot {
        let users = format!("{USERS_HEADER}{rows}");
        Source::new(&[(MANIFEST, USERS_ONLY), ("users.csv", users.as_str())])
            .read()
            .expect("the source reads")
    }

    fn codes(snap: &Snapshot) -> Vec<(&str, &str, u64, &str)> {
        snap.issues
            .iter()
            .map(|i| {
                (
                    i.code.as_str(),
                    i.source_id.as_str(),
                    i.at.line,
                    i.field.as_str(),
                )
            })
            .collect()
    }

    fn invalid_message(result: Result<Snapshot, SourceError>) -> String {
        match result {
            Err(SourceError::Invalid(message)) => message,
            other => panic!("expected SourceError::Invalid, got {other:?}"),
        }
    }

    fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for &(name, body) in files {
            writer.start_file(name, options).unwrap();
            writer.write_all(body.as_bytes()).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    // R8.1–R8.4 on a real export: a department org, date-only dates, `TRUE` booleans, a
    // deleted class, a parent linked from its own row, students naming teachers as agents.
    #[test]
    fn reads_the_full_peer_data_set() {
        let snap = read_peer("Test_full_data_set");
        assert!(snap.issues.is_empty(), "{:?}", snap.issues);
        assert!(snap.attributes_supported);
        assert_eq!(
            [snap.orgs, snap.users, snap.class_coverage, snap.enrollments],
            [Coverage::Bulk; 4]
        );
        assert!(snap.schools.is_empty(), "a department is not a school");

        let students: Vec<&str> = snap.students.iter().map(|s| s.source_id.as_str()).collect();
        assert_eq!(
            students,
            ["usr-222-66778899", "usr-222-1234561232", "usr-222-567891"]
        );
        let mary = &snap.students[0];
        assert_eq!(
            (
                mary.sis_id.as_str(),
                mary.given_name.as_str(),
                mary.email.as_str(),
                mary.grade.as_str()
            ),
            ("mary.jones", "Mary", "mary.jones@myschool.com", "12")
        );
        assert_eq!(mary.school_source_ids, ["org-sch-222-456"]);
        assert_eq!(mary.at, SourceRef::csv("users.csv", 3));

        assert_eq!(
            snap.guardians,
            [SnapGuardian {
                source_id: "usr-222-1234561".into(),
                sis_id: "thomas.joness".into(),
                given_name: "Thomas".into(),
                family_name: "Jones".into(),
                email: "thomas.jones@testemail.com".into(),
                sms_number: "6039876543".into(),
                home_phone: "6039876543".into(),
                language: String::new(),
                at: SourceRef::csv("users.csv", 4),
            }]
        );

        let roles: Vec<(&str, StaffRole)> = snap
            .staff
            .iter()
            .map(|s| (s.source_id.as_str(), s.role))
            .collect();
        assert_eq!(
            roles,
            [
                ("usr-222-123456", StaffRole::Teacher),
                ("usr-222-987654", StaffRole::Teacher)
            ]
        );
        assert_eq!(
            (
                snap.staff[0].sms_number.as_str(),
                snap.staff[0].home_phone.as_str()
            ),
            ("6037778888", "6032221111")
        );

        // The parent lists the student; the students listing teachers give no link.
        assert_eq!(
            snap.links,
            [SnapLink {
                student_source_id: "usr-222-66778899".into(),
                guardian_source_id: "usr-222-1234561".into()
            }]
        );

        assert_eq!(
            snap.classes,
            [SnapClass {
                source_id: "cls-222-123456".into(),
                sis_id: "Phys 100 - 1".into(),
                name: "Introduction to Physics".into(),
                grades: vec!["09".into(), "10".into(), "11".into()],
                school_source_id: "org-sch-222-456".into(),
                at: SourceRef::csv("classes.csv", 2),
            }]
        );
        assert_eq!(
            snap.deleted.classes,
            foldhash::HashSet::from_iter(["cls-222-123478".to_owned()])
        );
        assert!(
            snap.deleted.users.is_empty()
                && snap.deleted.schools.is_empty()
                && snap.deleted.enrollments.is_empty()
        );

        // Enrollments of the deleted class stay: references are checked later.
        assert_eq!(snap.student_enrollments.len(), 4);
        assert_eq!(
            snap.teacher_enrollments[0],
            SnapEnrollment {
                source_id: "enr-t-222-12345-123456".into(),
                class_source_id: "cls-222-123456".into(),
                user_source_id: "usr-222-123456".into(),
                at: SourceRef::csv("enrollments.csv", 2),
            }
        );
        assert_eq!(snap.teacher_enrollments.len(), 2);
    }

    // Blank status and dateLastModified, empty optional columns.
    #[test]
    fn reads_the_minimal_peer_data_set() {
        let snap = read_peer("Test_minimal_data_set");
        assert!(snap.issues.is_empty(), "{:?}", snap.issues);
        assert!(snap.schools.is_empty());
        assert_eq!(
            (snap.students.len(), snap.guardians.len(), snap.staff.len()),
            (3, 1, 2)
        );
        assert_eq!(snap.staff[0].sis_id, "jogn.doe");
        assert!(snap.staff[0].email.is_empty());
        assert!(
            snap.students
                .iter()
                .all(|s| s.grade.is_empty() && s.attributes.is_empty())
        );
        assert!(snap.links.is_empty());
        assert_eq!(snap.classes.len(), 2, "a blank status is active");
        assert!(
            snap.classes
                .iter()
                .all(|c| c.grades.is_empty() && c.sis_id.is_empty())
        );
        assert_eq!(
            (
                snap.student_enrollments.len(),
                snap.teacher_enrollments.len()
            ),
            (4, 2)
        );
        assert!(snap.deleted.classes.is_empty() && snap.deleted.users.is_empty());
    }

    // A quoted manifest, header-only files, `metadata.*` columns on orgs.
    #[test]
    fn reads_the_header_only_classlink_templates() {
        let snap = read_peer("oneroster-ts-templates");
        assert!(snap.issues.is_empty(), "{:?}", snap.issues);
        assert_eq!(snap.record_count(), 0);
        assert_eq!(
            [snap.orgs, snap.users, snap.class_coverage, snap.enrollments],
            [Coverage::Bulk; 4]
        );
    }

    // R8.1: BOM, columns in any order, quoted multi-value cells, `TRUE`, metadata columns,
    // dates and date-times; R8.3: a link listed on both sides is one link; R2.6 demographics.
    #[test]
    fn reads_by_column_name_with_bom_quotes_and_extensions() {
        let manifest =
            "propertyName,value\nfile.users,BULK\nfile.orgs,bulk\nfile.demographics,bulk\n";
        let orgs = "\u{feff}\"type\",\"sourcedId\",\"name\",\"identifier\",\"metadata.city\"\n\
                    \"district\",\"d-1\",\"District\",\"\",\"\"\n\
                    \"school\",\"sch-1\",\"North\",\"N-1\",\"Oslo\"\n\
                    \"School\",\"sch-2\",\"South\",\"\",\"\"\n";
        let users = "\u{feff}role,sourcedId,givenName,familyName,orgSourcedIds,agentSourcedIds,enabledUser,metadata.homeroom,grades,email,status,dateLastModified,metadata.language\n\
                     student,stu-1,Ana,Ruiz,\"sch-1, sch-2\",\"par-1,par-2\",TRUE,Room 4,\"05,06\",ana@x.org,active,2024-01-02,\n\
                     parent,par-1,Luis,Ruiz,sch-1,stu-1,true,,,luis@x.org,,2024-01-02T03:04:05Z,es\n\
                     Guardian,par-2,Eva,Ruiz,sch-1,,TRUE,,,eva@x.org,Active,,\n\
                     Administrator,adm-1,Kim,Lee,sch-2,stu-1,FALSE,,,kim@x.org,,,\n";
        let demographics = "sourcedId,status,dateLastModified,birthDate,sex\n\
                            stu-1,active,2024-01-02,2015-03-04,F\n\
                            ghost,,,2015-01-01,M\n";
        let source = Source::new(&[
            (MANIFEST, manifest),
            ("orgs.csv", orgs),
            ("users.csv", users),
            ("demographics.csv", demographics),
        ]);
        let snap = source.read().unwrap();
        assert!(snap.issues.is_empty(), "{:?}", snap.issues);
        assert_eq!(snap.class_coverage, Coverage::Absent, "not in the manifest");

        let schools: Vec<(&str, &str, &str)> = snap
            .schools
            .iter()
            .map(|s| (s.source_id.as_str(), s.sis_id.as_str(), s.name.as_str()))
            .collect();
        assert_eq!(schools, [("sch-1", "N-1", "North"), ("sch-2", "", "South")]);

        let ana = &snap.students[0];
        assert_eq!(ana.school_source_ids, ["sch-1", "sch-2"]);
        assert_eq!(ana.grade, "05");
        let attributes: Vec<(&str, &str)> = ana
            .attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            attributes,
            [
                ("birthDate", "2015-03-04"),
                ("homeroom", "Room 4"),
                ("sex", "F")
            ]
        );

        assert_eq!(snap.guardians.len(), 2);
        assert_eq!(snap.guardians[0].language, "es");
        assert_eq!(snap.staff[0].role, StaffRole::Admin);
        assert_eq!(
            snap.links,
            [
                SnapLink {
                    student_source_id: "stu-1".into(),
                    guardian_source_id: "par-1".into()
                },
                SnapLink {
                    student_source_id: "stu-1".into(),
                    guardian_source_id: "par-2".into()
                },
            ]
        );
    }

    #[test]
    fn a_missing_manifest_fails_the_run() {
        let source = Source::new(&[("users.csv", USERS_HEADER)]);
        assert_eq!(invalid_message(source.read()), "manifest.csv is missing");
    }

    #[test]
    fn a_listed_file_that_is_missing_fails_the_run() {
        let source = Source::new(&[(MANIFEST, USERS_ONLY)]);
        assert_eq!(
            invalid_message(source.read()),
            "manifest lists users.csv as bulk but the file is missing"
        );
    }

    #[test]
    fn a_bad_manifest_value_fails_the_run() {
        let source = Source::new(&[(MANIFEST, "propertyName,value\nfile.users,sometimes\n")]);
        assert!(invalid_message(source.read()).contains("`sometimes`"));
    }

    #[test]
    fn a_missing_required_column_fails_the_run() {
        let users = "sourcedId,role,givenName,familyName\nstu-1,student,Ana,Ruiz\n";
        let source = Source::new(&[(MANIFEST, USERS_ONLY), ("users.csv", users)]);
        let message = invalid_message(source.read());
        assert!(
            message.contains("users.csv") && message.contains("orgSourcedIds"),
            "{message}"
        );
    }

    // R3.3: bad rows are skipped with an issue naming file, line and id; the rest is read.
    #[test]
    fn bad_rows_are_skipped_with_issues() {
        let snap = users_source(
            "stu-1,,janitor,Ana,Ruiz,sch-1,\n\
             stu-2,,student,Bo,,sch-1,\n\
             ,,student,Cy,Ode,sch-1,\n\
             stu-3,archived,student,Di,Eze,sch-1,\n\
             stu-4,,student,Ed\n\
             stu-5,,student,Flo,Gil,sch-1,,extra,cells\n\
             stu-5,,student,Flo,Gil,sch-1,\n",
        );
        assert_eq!(
            codes(&snap),
            [
                (INVALID_VALUE, "stu-1", 2, "role"),
                (MISSING_FIELD, "stu-2", 3, "familyName"),
                (MISSING_FIELD, "", 4, "sourcedId"),
                (INVALID_VALUE, "stu-3", 5, "status"),
                (MISSING_FIELD, "stu-4", 6, "familyName"),
                (DUPLICATE_ID, "stu-5", 8, "sourcedId"),
            ]
        );
        let first = &snap.issues[0];
        assert_eq!(
            (first.record_kind, first.severity, first.at.file.as_str()),
            (RecordKind::Student, Severity::Error, "users.csv")
        );
        assert!(first.message.contains("janitor"), "{}", first.message);
        let students: Vec<&str> = snap.students.iter().map(|s| s.source_id.as_str()).collect();
        assert_eq!(students, ["stu-5"]);
        assert_eq!(snap.students[0].at.line, 7);
    }

    // R5 / R8.1: `tobedeleted` and `inactive` rows are not records but deletions; links to
    // them drop quietly, links to ids the file does not have are unknown references.
    #[test]
    fn deleted_rows_and_dangling_agents() {
        let snap = users_source(
            "stu-1,tobedeleted,student,Ana,Ruiz,sch-1,\n\
             par-1,INACTIVE,parent,Luis,Ruiz,,\n\
             par-2,,parent,Eva,Ruiz,,\"stu-1, ghost\"\n\
             stu-2,,student,Bo,Ruiz,sch-1,par-1\n",
        );
        assert_eq!(
            snap.deleted.users,
            foldhash::HashSet::from_iter(["stu-1".to_owned(), "par-1".to_owned()])
        );
        assert_eq!((snap.students.len(), snap.guardians.len()), (1, 1));
        assert!(snap.links.is_empty());
        assert_eq!(
            codes(&snap),
            [(UNKNOWN_REFERENCE, "par-2", 4, "agentSourcedIds")]
        );
        assert_eq!(snap.issues[0].record_kind, RecordKind::FamilyRelationship);
        assert!(snap.issues[0].message.contains("ghost"));
    }

    // A delta may name users stored by earlier syncs; the store check decides later.
    #[test]
    fn a_delta_keeps_links_to_users_outside_the_file() {
        let users = format!("{USERS_HEADER}par-9,,parent,Eva,Ruiz,,stu-stored\n");
        let manifest = "propertyName,value\nfile.users,delta\n";
        let snap = Source::new(&[(MANIFEST, manifest), ("users.csv", users.as_str())])
            .read()
            .unwrap();
        assert_eq!(snap.users, Coverage::Delta);
        assert!(snap.issues.is_empty(), "{:?}", snap.issues);
        assert_eq!(
            snap.links,
            [SnapLink {
                student_source_id: "stu-stored".into(),
                guardian_source_id: "par-9".into()
            }]
        );
    }

    #[test]
    fn classes_and_enrollments() {
        let manifest = "propertyName,value\nfile.classes,bulk\nfile.enrollments,delta\n";
        let classes = "sourcedId,status,title,grades,classCode,schoolSourcedId\n\
                       cls-1,,Maths,\"03, 04\",M-3,sch-1\n\
                       cls-2,tobedeleted,Art,,,sch-1\n\
                       cls-3,,,,,sch-1\n";
        let enrollments = "sourcedId,status,classSourcedId,userSourcedId,role,primary\n\
                           e-1,,cls-1,stu-1,Student,false\n\
                           e-2,,cls-1,t-1,aide,TRUE\n\
                           e-3,,cls-1,a-1,administrator,\n\
                           e-4,,cls-1,x-1,observer,\n\
                           e-5,tobedeleted,cls-1,stu-2,student,\n";
        let source = Source::new(&[
            (MANIFEST, manifest),
            ("classes.csv", classes),
            ("enrollments.csv", enrollments),
        ]);
        let snap = source.read().unwrap();
        assert_eq!(
            codes(&snap),
            [
                (MISSING_FIELD, "cls-3", 4, "title"),
                (INVALID_VALUE, "e-4", 5, "role")
            ]
        );
        assert_eq!(snap.issues[1].record_kind, RecordKind::StudentEnrollment);
        assert_eq!(snap.classes.len(), 1);
        assert_eq!(snap.classes[0].grades, ["03", "04"]);
        assert_eq!(snap.classes[0].sis_id, "M-3");
        assert_eq!(
            snap.deleted.classes,
            foldhash::HashSet::from_iter(["cls-2".to_owned()])
        );
        assert_eq!(
            snap.deleted.enrollments,
            foldhash::HashSet::from_iter(["e-5".to_owned()])
        );
        let students: Vec<&str> = snap
            .student_enrollments
            .iter()
            .map(|e| e.user_source_id.as_str())
            .collect();
        let teachers: Vec<&str> = snap
            .teacher_enrollments
            .iter()
            .map(|e| e.user_source_id.as_str())
            .collect();
        assert_eq!(students, ["stu-1"]);
        assert_eq!(teachers, ["t-1", "a-1"]);
        assert_eq!(snap.enrollments, Coverage::Delta);
    }

    // R8.1: a zip with its files inside one top-level folder, as zipping a folder makes.
    #[test]
    fn reads_a_zip_archive() {
        let users = format!("{USERS_HEADER}stu-1,,student,Ana,Ruiz,sch-1,\n");
        let bytes = zip_of(&[
            ("export/manifest.csv", USERS_ONLY),
            ("export/users.csv", users.as_str()),
        ]);
        let snap = read_zip_bytes(Cursor::new(bytes), &CsvLimits::default()).unwrap();
        assert!(snap.issues.is_empty(), "{:?}", snap.issues);
        assert_eq!(snap.students[0].source_id, "stu-1");
        assert_eq!(snap.students[0].at, SourceRef::csv("users.csv", 2));
    }

    #[test]
    fn a_zip_entry_over_the_limit_fails_the_run() {
        let bytes = zip_of(&[(MANIFEST, USERS_ONLY), ("users.csv", USERS_HEADER)]);
        let limits = CsvLimits {
            max_entry_bytes: 10,
        };
        let message = invalid_message(read_zip_bytes(Cursor::new(bytes), &limits));
        assert!(
            message.contains("manifest.csv") && message.contains("10 bytes"),
            "{message}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_zip_fails_the_run() {
        let source = Source::new(&[("roster.zip", "sourcedId,role\n")]);
        let message = invalid_message(read_path(
            &source.0.join("roster.zip"),
            &CsvLimits::default(),
        ));
        assert!(
            message.starts_with("roster.zip is not a zip archive"),
            "{message}"
        );
    }
}
