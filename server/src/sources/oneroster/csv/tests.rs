//! The CSV reader on files as districts send them.

use super::*;
use crate::domain::IssueCode;
use crate::domain::{RecordKind, Severity, StaffRole};
use crate::snapshot::{SnapEnrollment, SnapGuardian, SnapLink, TermEnd};
use std::fs;
use std::io::{Cursor, Write};
use std::path::PathBuf;

/// The repository's own sample exports (`tests/fixtures/oneroster/README.md`).
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/oneroster");

const USERS_ONLY: &str = "propertyName,value\nfile.users,bulk\n";
const USERS_HEADER: &str =
    "sourcedId,status,role,givenName,familyName,orgSourcedIds,agentSourcedIds\n";

mod fuzz;
mod hostile;

fn read_fixture(name: &str) -> Snapshot {
    read_path(&Path::new(FIXTURES).join(name), &CsvLimits::default()).expect("the fixture reads")
}

/// A source folder under the system temp dir, removed when dropped.
struct Source(PathBuf);

impl Source {
    fn new(files: &[(&str, &str)]) -> Source {
        let dir =
            std::env::temp_dir().join(format!("roster-oneroster-{:016x}", rand::random::<u64>()));
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

fn codes(snap: &Snapshot) -> Vec<(IssueCode, &str, u64, &str)> {
    snap.issues
        .iter()
        .map(|i| (i.code, i.source_id.as_str(), i.at.line(), i.field.as_str()))
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

// R8.1–R8.4 on an export with every oddity of real ones: a district and a department
// org, date-only dates, `TRUE`/`true` booleans, an `inactive` class, quoted cells holding
// commas, a BOM, `metadata.*` columns, a parent linked from its own row, people naming
// teachers as agents (a student's, reported: R3.4), and one invalid phone number (the
// planner's business).
#[test]
fn reads_the_full_fixture() {
    let snap = read_fixture("full");
    let issues: Vec<(IssueCode, &str, u64)> = snap
        .issues
        .iter()
        .map(|i| (i.code, i.source_id.as_str(), i.at.line()))
        .collect();
    assert_eq!(issues, [(IssueCode::WrongKindReference, "stu-nguyen", 4)]);
    let schools: Vec<(&str, &str, &str)> = snap
        .schools
        .iter()
        .map(|s| (s.source_id.as_str(), s.sis_id.as_str(), s.name.as_str()))
        .collect();
    assert_eq!(
        schools,
        [
            ("sch-harbor-el", "HES-101", "Harbor Elementary"),
            ("sch-ridge-ms", "RMS-202", "Ridge Middle School")
        ]
    );
    assert_eq!(
        snap.other_orgs.get("dst-lakeview").map(String::as_str),
        Some("district")
    );
    assert_eq!(
        snap.other_orgs.get("dpt-science").map(String::as_str),
        Some("department")
    );

    let students: Vec<&str> = snap.students.iter().map(|s| s.source_id.as_str()).collect();
    assert_eq!(
        students,
        ["stu-nguyen", "stu-alvarez", "stu-park", "stu-haddad"]
    );
    let nguyen = &snap.students[0];
    assert_eq!(nguyen.grade, "05", "the first of the quoted grades");
    assert_eq!(nguyen.at, SourceRef::csv(CsvFile::Users, 4));
    assert_eq!(
        nguyen.attributes.get("homeroom").map(String::as_str),
        Some("Room 12")
    );
    assert_eq!(
        snap.students[1].school_source_ids,
        ["sch-ridge-ms", "dpt-science"]
    );

    assert_eq!(
        snap.guardians,
        [SnapGuardian {
            source_id: "par-nguyen".into(),
            sis_id: "P-3001".into(),
            given_name: "Thanh".into(),
            family_name: "Nguyen".into(),
            email: "thanh.nguyen@mail.example.com".into(),
            sms_number: "6035550177".into(),
            home_phone: "6035550177".into(),
            language: Default::default(),
            carried: Default::default(),
            at: SourceRef::csv(CsvFile::Users, 7),
        }]
    );
    let staff: Vec<(&str, StaffRole)> = snap
        .staff
        .iter()
        .map(|s| (s.source_id.as_str(), s.role))
        .collect();
    assert_eq!(
        staff,
        [
            ("tch-okafor", StaffRole::Teacher),
            ("tch-brandt", StaffRole::Teacher),
            ("adm-osei", StaffRole::Admin)
        ]
    );
    // The parent lists the student; the people listing teachers give no link.
    assert_eq!(
        snap.links,
        [SnapLink {
            student_source_id: "stu-nguyen".into(),
            guardian_source_id: "par-nguyen".into()
        }]
    );

    let math = &snap.classes[0];
    assert_eq!(
        (
            math.name.as_str(),
            math.sis_id.as_str(),
            math.grades.clone()
        ),
        (
            "Math 5, Section A",
            "MATH5-A",
            vec!["05".to_owned(), "06".to_owned()]
        )
    );
    assert_eq!(
        snap.classes.len(),
        3,
        "the department's class is judged later"
    );
    assert_eq!(
        snap.deleted.classes,
        foldhash::HashSet::from_iter(["cls-hes-art5".to_owned()]),
        "`inactive` is the old word for `tobedeleted`"
    );
    // Enrollments of the deleted class stay: references are checked later.
    assert_eq!(
        (
            snap.student_enrollments.len(),
            snap.teacher_enrollments.len()
        ),
        (8, 4)
    );
    assert_eq!(
        snap.teacher_enrollments[0],
        SnapEnrollment {
            source_id: "enr-t-math5-brandt".into(),
            class_source_id: "cls-hes-math5".into(),
            user_source_id: "tch-brandt".into(),
            at: SourceRef::csv(CsvFile::Enrollments, 2),
        }
    );
}

// Blank status and dateLastModified on every row, empty optional columns.
#[test]
fn reads_the_minimal_fixture() {
    let snap = read_fixture("minimal");
    assert!(snap.issues.is_empty(), "{:?}", snap.issues);
    assert_eq!(snap.schools.len(), 1);
    assert_eq!(
        (snap.students.len(), snap.guardians.len(), snap.staff.len()),
        (3, 1, 2)
    );
    assert_eq!(snap.staff[0].sis_id, "rfereira");
    assert!(snap.staff[0].email.is_empty());
    assert!(
        snap.students
            .iter()
            .all(|s| s.grade.is_empty() && s.attributes.is_empty())
    );
    assert_eq!(snap.classes.len(), 2, "a blank status is active");
    assert!(snap.deleted.classes.is_empty() && snap.deleted.users.is_empty());
}

// A quoted manifest, header-only files, `metadata.*` columns on orgs.
#[test]
fn reads_the_header_only_classlink_templates() {
    let snap = read_fixture("templates");
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
    let manifest = "propertyName,value\nfile.users,BULK\nfile.orgs,bulk\nfile.demographics,bulk\n";
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
            (IssueCode::InvalidValue, "stu-1", 2, "role"),
            (IssueCode::MissingField, "stu-2", 3, "familyName"),
            (IssueCode::MissingField, "", 4, "sourcedId"),
            (IssueCode::InvalidValue, "stu-3", 5, "status"),
            (IssueCode::MissingField, "stu-4", 6, "familyName"),
            (IssueCode::DuplicateId, "stu-5", 8, "sourcedId"),
        ]
    );
    let first = &snap.issues[0];
    assert_eq!(
        (first.record_kind, first.severity, first.at.file()),
        (RecordKind::Student, Severity::Error, "users.csv")
    );
    assert!(first.message.contains("janitor"), "{}", first.message);
    let students: Vec<&str> = snap.students.iter().map(|s| s.source_id.as_str()).collect();
    assert_eq!(students, ["stu-5"]);
    assert_eq!(snap.students[0].at.line(), 7);
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
        [(IssueCode::UnknownReference, "par-2", 4, "agentSourcedIds")]
    );
    assert_eq!(snap.issues[0].record_kind, RecordKind::FamilyRelationship);
    assert!(snap.issues[0].message.contains("ghost"));
}

// R8.3: a relationship listed by both its student and its guardian is one link; the
// links come out in one order whatever order the rows listed them in, so the same
// source always reads the same.
#[test]
fn r8_3_a_link_listed_from_both_sides_is_one_link() {
    let snap = users_source(
        "par-2,,parent,Eva,Ruiz,,\"stu-2,stu-1\"\n\
         stu-2,,student,Bo,Ruiz,sch-1,par-2\n\
         stu-1,,student,Ana,Ruiz,sch-1,\"par-2,par-1\"\n\
         par-1,,parent,Luis,Ruiz,,stu-1\n",
    );
    assert!(snap.issues.is_empty(), "{:?}", snap.issues);
    let links: Vec<(&str, &str)> = snap
        .links
        .iter()
        .map(|l| (l.student_source_id.as_str(), l.guardian_source_id.as_str()))
        .collect();
    assert_eq!(
        links,
        [("stu-1", "par-1"), ("stu-1", "par-2"), ("stu-2", "par-2")]
    );
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
            (IssueCode::MissingField, "cls-3", 4, "title"),
            (IssueCode::InvalidValue, "e-4", 5, "role")
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

// R3.3: enrollments.csv is read beside the other files, yet the run reads as if they were
// read in order: the earlier file's error fails it, and issues keep file order.
#[test]
fn r3_3_files_read_side_by_side_report_in_file_order() {
    let manifest =
        "propertyName,value\nfile.users,bulk\nfile.classes,bulk\nfile.enrollments,bulk\n";
    let classes = "sourcedId,title,schoolSourcedId\ncls-1,,sch-1\n";
    let enrollments = "sourcedId,classSourcedId,userSourcedId,role\ne-1,cls-1,stu-1,observer\n";
    let users = format!("{USERS_HEADER}stu-1,,janitor,Ana,Ruiz,sch-1,\n");
    let source = Source::new(&[
        (MANIFEST, manifest),
        ("users.csv", users.as_str()),
        ("classes.csv", classes),
        ("enrollments.csv", enrollments),
    ]);
    let snap = source.read().unwrap();
    let files: Vec<&str> = snap.issues.iter().map(|i| i.at.file()).collect();
    assert_eq!(files, ["users.csv", "classes.csv", "enrollments.csv"]);

    let broken_users = "sourcedId,role\nstu-1,student\n";
    let broken_enrollments = "sourcedId,role\ne-1,student\n";
    let both = Source::new(&[
        (MANIFEST, manifest),
        ("users.csv", broken_users),
        ("classes.csv", classes),
        ("enrollments.csv", broken_enrollments),
    ]);
    let message = invalid_message(both.read());
    assert!(message.starts_with("users.csv has no"), "{message}");
    let enrollments_only = Source::new(&[
        (MANIFEST, manifest),
        ("users.csv", users.as_str()),
        ("classes.csv", classes),
        ("enrollments.csv", broken_enrollments),
    ]);
    let message = invalid_message(enrollments_only.read());
    assert!(message.starts_with("enrollments.csv has no"), "{message}");
}

// R8.1: a zip with its files inside one top-level folder, as zipping a folder makes.
#[test]
fn reads_a_zip_archive() {
    let users = format!("{USERS_HEADER}stu-1,,student,Ana,Ruiz,sch-1,\n");
    let bytes = zip_of(&[
        ("export/manifest.csv", USERS_ONLY),
        ("export/users.csv", users.as_str()),
    ]);
    let snap = read_zip_bytes(&bytes, &CsvLimits::default()).unwrap();
    assert!(snap.issues.is_empty(), "{:?}", snap.issues);
    assert_eq!(snap.students[0].source_id, "stu-1");
    assert_eq!(snap.students[0].at, SourceRef::csv(CsvFile::Users, 2));
}

#[test]
fn a_zip_entry_over_the_limit_fails_the_run() {
    let bytes = zip_of(&[(MANIFEST, USERS_ONLY), ("users.csv", USERS_HEADER)]);
    let limits = CsvLimits {
        max_entry_bytes: 10,
        ..CsvLimits::default()
    };
    let message = invalid_message(read_zip_bytes(&bytes, &limits));
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

fn term_ends(snap: &Snapshot) -> Vec<(&str, TermEnd)> {
    snap.classes
        .iter()
        .map(|c| (c.source_id.as_str(), c.term_end))
        .collect()
}

fn on(y: i32, m: u32, d: u32) -> TermEnd {
    TermEnd::On(chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

const CLASSES_HEADER: &str = "sourcedId,title,schoolSourcedId,termSourcedIds\n";
const SESSIONS_HEADER: &str =
    "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear\n";

// R5.10: the fixtures' classes end with their latest term: a date-only and a date-time
// `dateLastModified` beside them, `tobedeleted` and `inactive` sessions no class names.
#[test]
fn r5_10_reads_the_term_end_of_the_fixtures_classes() {
    let full = read_fixture("full");
    assert_eq!(
        term_ends(&full),
        [
            ("cls-hes-math5", on(2025, 1, 17)),
            ("cls-rms-sci7", on(2025, 6, 13)),
            ("cls-dpt-robotics", on(2025, 1, 17)),
        ]
    );
    let minimal = read_fixture("minimal");
    assert_eq!(
        term_ends(&minimal),
        [
            ("cls-cedar-hr4", on(2025, 1, 17)),
            ("cls-music-choir", on(2025, 6, 13)),
        ]
    );
}

// R5.10, R3.4: a class ends with the latest of its `termSourcedIds`; a bad or missing end
// date is a warning naming file, line, session and field, and so is a class naming a
// session the bulk file does not list; either leaves that class's term end unknown (the
// stored one stays). An empty `termSourcedIds` is no term. Nothing is counted invalid.
#[test]
fn r5_10_reads_academic_sessions_and_reports_bad_dates() {
    let manifest =
        "propertyName,value\nfile.orgs,bulk\nfile.classes,bulk\nfile.academicSessions,bulk\n";
    let orgs = "sourcedId,name,type\nsch-1,North,school\n";
    let sessions = format!(
        "{SESSIONS_HEADER}\
         fall,active,2025-05-01,Fall,term,2025-08-25,2026-01-16,sy,2026\n\
         spring,active,2025-05-01,Spring,term,2026-01-20,2026-06-12T00:00:00Z,sy,2026\n\
         bad,active,2025-05-01,Summer,term,2026-06-20,06/30/2026,sy,2026\n\
         blank,active,2025-05-01,Winter,term,2026-01-01,,sy,2026\n\
         gone,tobedeleted,2025-05-01,Old,term,2024-08-26,2025-01-17,sy,2025\n"
    );
    let classes = format!(
        "{CLASSES_HEADER}\
         c-year,Year,sch-1,\"fall,spring\"\n\
         c-fall,Fall,sch-1,fall\n\
         c-bad,Bad,sch-1,\"fall,bad\"\n\
         c-blank,Blank,sch-1,blank\n\
         c-gone,Gone,sch-1,gone\n\
         c-unknown,Unknown,sch-1,\"fall,nowhere\"\n\
         c-none,None,sch-1,\n"
    );
    let source = Source::new(&[
        (MANIFEST, manifest),
        ("orgs.csv", orgs),
        ("academicSessions.csv", sessions.as_str()),
        ("classes.csv", classes.as_str()),
    ]);
    let snap = source.read().unwrap();
    assert_eq!(
        term_ends(&snap),
        [
            ("c-year", on(2026, 6, 12)),
            ("c-fall", on(2026, 1, 16)),
            ("c-bad", TermEnd::Unknown),
            ("c-blank", TermEnd::Unknown),
            ("c-gone", TermEnd::Unknown),
            ("c-unknown", TermEnd::Unknown),
            ("c-none", TermEnd::NoTerm),
        ]
    );
    let issues: Vec<(IssueCode, &str, &str, u64, &str)> = snap
        .issues
        .iter()
        .map(|i| {
            (
                i.code,
                i.at.file(),
                i.source_id.as_str(),
                i.at.line(),
                i.field.as_str(),
            )
        })
        .collect();
    assert_eq!(
        issues,
        [
            (
                IssueCode::InvalidDate,
                "academicSessions.csv",
                "bad",
                4,
                "endDate"
            ),
            (
                IssueCode::MissingField,
                "academicSessions.csv",
                "blank",
                5,
                "endDate"
            ),
            (
                IssueCode::UnknownReference,
                "classes.csv",
                "c-unknown",
                7,
                "termSourcedIds"
            ),
        ]
    );
    assert!(snap.issues[0].message.contains("06/30/2026"));
    assert!(
        snap.issues
            .iter()
            .all(|i| i.severity == Severity::Warning && i.record_kind == RecordKind::Class)
    );
}

// R5.10, R4.8: sessions the source does not carry leave every term end unknown, without
// an issue: no academicSessions.csv although the manifest lists it (it fails nothing), a
// manifest that lists none, a sessions file without `endDate`; a delta file says nothing
// of the sessions it does not list.
#[test]
fn r5_10_without_sessions_the_term_end_is_unknown() {
    let orgs = "sourcedId,name,type\nsch-1,North,school\n";
    let classes = format!("{CLASSES_HEADER}c-1,One,sch-1,fall\n");
    let with = |manifest: &str, sessions: Option<&str>| {
        let mut files = vec![
            (MANIFEST, manifest),
            ("orgs.csv", orgs),
            ("classes.csv", classes.as_str()),
        ];
        if let Some(sessions) = sessions {
            files.push(("academicSessions.csv", sessions));
        }
        Source::new(&files).read().unwrap()
    };
    let listed =
        "propertyName,value\nfile.orgs,bulk\nfile.classes,bulk\nfile.academicSessions,bulk\n";
    let unlisted = "propertyName,value\nfile.orgs,bulk\nfile.classes,bulk\n";
    let delta =
        "propertyName,value\nfile.orgs,bulk\nfile.classes,bulk\nfile.academicSessions,delta\n";
    let other = format!("{SESSIONS_HEADER}spring,,,Spring,term,2026-01-20,2026-06-12,,2026\n");
    for snap in [
        with(listed, None),
        with(unlisted, Some(&other)),
        with(listed, Some("sourcedId,title\nfall,Fall\n")),
        with(delta, Some(&other)),
    ] {
        assert_eq!(term_ends(&snap), [("c-1", TermEnd::Unknown)]);
        assert!(snap.issues.is_empty(), "{:?}", snap.issues);
    }
}

fn digest(dir: &Path) -> FilesDigest {
    digest_path(dir, &CsvLimits::default(), b"salt").unwrap()
}

const EXPORT: [(&str, &str); 2] = [
    ("manifest.csv", "propertyName,value\nfile.orgs,bulk\n"),
    (
        "orgs.csv",
        "sourcedId,name,type\nsch-1,Springfield,school\n",
    ),
];

// R7.4: an export byte for byte the same digests the same wherever it lies; any
// changed byte, a file added, or another salt does not.
#[test]
fn r7_4_the_same_bytes_digest_the_same_and_any_change_differs() {
    let (a, b) = (Source::new(&EXPORT), Source::new(&EXPORT));
    assert_eq!(digest(a.0.as_path()).hex, digest(b.0.as_path()).hex);
    std::fs::write(
        b.0.join("orgs.csv"),
        "sourcedId,name,type\nsch-1,Shelbyville,school\n",
    )
    .unwrap();
    assert_ne!(digest(a.0.as_path()).hex, digest(b.0.as_path()).hex);
    let c = Source::new(&[EXPORT[0], EXPORT[1], ("users.csv", "")]);
    assert_ne!(
        digest(a.0.as_path()).hex,
        digest(c.0.as_path()).hex,
        "an empty file is not a missing one"
    );
    let other = digest_path(a.0.as_path(), &CsvLimits::default(), b"other").unwrap();
    assert_ne!(digest(a.0.as_path()).hex, other.hex);
}

// A file written after the digest was taken: the digest no longer vouches for what a
// run then read.
#[test]
fn r7_4_a_file_written_after_the_digest_unsettles_it() {
    let dir = Source::new(&EXPORT);
    let taken = digest(dir.0.as_path());
    assert!(taken.unchanged());
    std::fs::write(dir.0.join("users.csv"), "sourcedId\n").unwrap();
    assert!(!taken.unchanged(), "a file that appeared");
    let taken = digest(dir.0.as_path());
    std::fs::write(dir.0.join("orgs.csv"), "sourcedId,name,type\n").unwrap();
    assert!(!taken.unchanged(), "a file rewritten");
}

/// A large file's records are held in room made once for what the rest of the file holds,
/// not by doubling, which copies them and holds them twice while it does (at 100k
/// students that moment set the run's peak memory). The room is estimated from the file's
/// size (a folder's file, a zip entry's declared size) and the rows read so far.
#[test]
fn records_of_a_large_file_take_the_room_its_size_says() {
    let users: String = (0..5000)
        .map(|n| format!("stu-{n:05},,student,Ana,Ruiz,sch-1,\n"))
        .collect();
    let users = format!("{USERS_HEADER}{users}");
    let files = [(MANIFEST, USERS_ONLY), ("users.csv", users.as_str())];
    let from_folder = Source::new(&files).read().unwrap();
    let from_zip = read_zip_bytes(&zip_of(&files), &CsvLimits::default()).unwrap();
    for snap in [from_folder, from_zip] {
        let (len, room) = (snap.students.len(), snap.students.capacity());
        assert_eq!(len, 5000);
        // Doubling would leave 8192; an eighth more than the rest of the file is 5,625.
        assert!(room <= len + len / 8 + 16, "{room} for {len} students");
    }
}

/// The estimate itself: none before a data row or without a size, the mean row length
/// with an eighth more otherwise, and never past the row limit.
#[test]
fn the_rows_left_follow_the_mean_row_and_the_row_limit() {
    let body = format!(
        "{USERS_HEADER}{}",
        "stu-1,,student,Ana,Ruiz,sch-1,\n".repeat(1000)
    );
    let size = body.len() as u64;
    let limits = CsvLimits {
        max_rows: 150,
        ..CsvLimits::default()
    };
    for (limits, expected) in [(CsvLimits::default(), 900 + 900 / 8), (limits, 50)] {
        let input = Box::new(Cursor::new(body.clone().into_bytes()));
        let mut rows = stream::RowReader::new("users.csv", input, &limits);
        assert!(rows.next_row().unwrap());
        assert_eq!(rows.rows_left(size), 0, "only the header read");
        for _ in 0..100 {
            assert!(rows.next_row().unwrap());
        }
        assert_eq!(rows.rows_left(size), expected);
        assert_eq!(rows.rows_left(0), 0, "size unknown");
    }
}
