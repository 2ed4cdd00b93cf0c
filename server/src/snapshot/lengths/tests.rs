//! R3.4, S5.2: a value longer than its column skips its record, for every kind of record
//! and whatever the source.

use super::*;
use crate::domain::{Severity, StaffRole};
use crate::snapshot::{
    CsvFile, KnownIds, SnapClass, SnapEnrollment, SnapGuardian, SnapLink, SnapSchool, SnapStaff,
    SnapStudent, TermEnd,
};

fn long(n: usize) -> String {
    "é".repeat(n)
}

fn csv(line: u64) -> SourceRef {
    SourceRef::csv(CsvFile::Users, line)
}

fn api(resource: &str) -> SourceRef {
    SourceRef::api(resource.into())
}

fn student(id: &str, at: SourceRef) -> SnapStudent {
    SnapStudent {
        source_id: id.into(),
        sis_id: format!("SIS-{id}").into(),
        given_name: "Ana".into(),
        family_name: "Ruiz".into(),
        email: "ana@example.org".into(),
        grade: "04".into(),
        school_source_ids: vec!["sch-1".into()],
        attributes: Default::default(),
        attribute_keys: None,
        carried: Default::default(),
        at,
    }
}

fn guardian(id: &str, at: SourceRef) -> SnapGuardian {
    SnapGuardian {
        source_id: id.into(),
        sis_id: Default::default(),
        given_name: "Luis".into(),
        family_name: "Ruiz".into(),
        email: format!("{id}@example.org").into(),
        sms_number: "+16035550123".into(),
        home_phone: Default::default(),
        language: "es".into(),
        carried: Default::default(),
        at,
    }
}

fn staff(id: &str, at: SourceRef) -> SnapStaff {
    SnapStaff {
        source_id: id.into(),
        sis_id: id.into(),
        given_name: "Kim".into(),
        family_name: "Lee".into(),
        email: format!("{id}@example.org").into(),
        sms_number: Default::default(),
        home_phone: Default::default(),
        language: Default::default(),
        role: StaffRole::Teacher,
        school_source_ids: vec!["sch-1".into()],
        carried: Default::default(),
        at,
    }
}

fn class(id: &str, grades: Vec<String>) -> SnapClass {
    SnapClass {
        source_id: id.into(),
        sis_id: id.into(),
        name: "Maths".into(),
        grades,
        school_source_id: "sch-1".into(),
        term_end: TermEnd::Unknown,
        at: SourceRef::csv(CsvFile::Classes, 2),
    }
}

fn enrollment(id: &str, class: &str, user: &str) -> SnapEnrollment {
    SnapEnrollment {
        source_id: id.into(),
        class_source_id: class.into(),
        user_source_id: user.into(),
        at: SourceRef::csv(CsvFile::Enrollments, 2),
    }
}

fn too_long(snap: &Snapshot) -> Vec<(RecordKind, &str, &str)> {
    snap.issues
        .iter()
        .filter(|i| i.code == IssueCode::ValueTooLong)
        .map(|i| (i.record_kind, i.source_id.as_str(), i.field.as_str()))
        .collect()
}

// R3.4, S5.2: at the limit a value is kept; one character past it skips the record, with
// an error naming the field and the limit. Characters are counted, not bytes (`é` is two).
#[test]
fn r3_4_a_value_one_character_past_its_column_skips_the_record() {
    let mut snap = Snapshot::default();
    let mut at_limit = student("stu-at", csv(2));
    at_limit.given_name = long(255).into();
    at_limit.email = format!("{}@x.org", "a".repeat(320 - 6)).into();
    at_limit.grade = long(32).into();
    let mut past = student("stu-past", csv(3));
    past.given_name = long(256).into();
    snap.students = vec![at_limit, past];
    snap.check_lengths();
    assert_eq!(
        too_long(&snap),
        [(RecordKind::Student, "stu-past", "givenName")]
    );
    let issue = &snap.issues[0];
    assert_eq!(issue.severity, Severity::Error);
    assert_eq!(issue.at, csv(3));
    assert!(
        issue.message.contains("256 characters") && issue.message.contains("limit of 255"),
        "{}",
        issue.message
    );
    let kept: Vec<&str> = snap.students.iter().map(|s| s.source_id.as_str()).collect();
    assert_eq!(kept, ["stu-at"], "nothing is cut short: kept as read");
    assert_eq!(snap.students[0].given_name.chars().count(), 255);
}

// Every column the product stores from a source, with its limit.
#[test]
fn r3_4_every_stored_field_has_its_limit() {
    let schools = vec![SnapSchool {
        source_id: "sch-1".into(),
        sis_id: Default::default(),
        name: long(256).into(),
        at: SourceRef::csv(CsvFile::Orgs, 2),
    }];
    let mut students = Vec::new();
    for (field, n) in [
        ("sourcedId", 256),
        ("identifier", 256),
        ("familyName", 256),
        ("email", 321),
    ] {
        let mut s = student(&format!("stu-{field}"), csv(2));
        let value = long(n);
        match field {
            "sourcedId" => s.source_id = value.into(),
            "identifier" => s.sis_id = value.into(),
            "familyName" => s.family_name = value.into(),
            _ => s.email = value.into(),
        }
        students.push(s);
    }
    let mut heavy = student("stu-attributes", csv(9));
    for n in 0..70 {
        heavy.attributes.insert(format!("k{n}"), "x".repeat(1000));
    }
    students.push(heavy);
    let mut guardians = Vec::new();
    for (field, n) in [("sms", 33), ("phone", 33), ("language", 36)] {
        let mut g = guardian(&format!("par-{field}"), api("/users"));
        let value = "1".repeat(n);
        match field {
            "sms" => g.sms_number = value.into(),
            "phone" => g.home_phone = value.into(),
            _ => g.language = value.into(),
        }
        guardians.push(g);
    }
    let mut teacher = staff("tch-1", api("/users/tch-1"));
    teacher.email = long(321).into();
    let mut bad_title = class("cls-title", vec![]);
    bad_title.name = long(256).into();
    let mut snap = Snapshot {
        schools,
        students,
        guardians,
        staff: vec![teacher],
        classes: vec![class("cls-ok", vec!["03".into(), "04".into()]), bad_title],
        student_enrollments: vec![enrollment(&long(256), "cls-ok", "stu-x")],
        ..Snapshot::default()
    };
    snap.check_lengths();

    let long_id: String = long(254) + "…";
    assert_eq!(
        too_long(&snap),
        [
            (RecordKind::School, "sch-1", "name"),
            (RecordKind::Student, long_id.as_str(), "sourcedId"),
            (RecordKind::Student, "stu-identifier", "identifier"),
            (RecordKind::Student, "stu-familyName", "familyName"),
            (RecordKind::Student, "stu-email", "email"),
            (RecordKind::Student, "stu-attributes", "attributes"),
            (RecordKind::Guardian, "par-sms", "sms"),
            (RecordKind::Guardian, "par-phone", "phone"),
            (RecordKind::Guardian, "par-language", "language"),
            (RecordKind::Staff, "tch-1", "email"),
            (RecordKind::Class, "cls-title", "title"),
            (RecordKind::StudentEnrollment, long_id.as_str(), "sourcedId"),
        ]
    );
    assert!(snap.schools.is_empty() && snap.students.is_empty());
    assert!(snap.guardians.is_empty() && snap.staff.is_empty());
    let classes: Vec<&str> = snap.classes.iter().map(|c| c.source_id.as_str()).collect();
    assert_eq!(classes, ["cls-ok"]);
    assert!(snap.student_enrollments.is_empty());
    let attributes = snap
        .issues
        .iter()
        .find(|i| i.field == "attributes")
        .unwrap();
    assert!(
        attributes.message.contains("limit of 65535"),
        "{}",
        attributes.message
    );
    let staff_issue = snap.issues.iter().find(|i| i.source_id == "tch-1").unwrap();
    assert_eq!(
        staff_issue.at,
        api("/users/tch-1"),
        "an API source's resource"
    );
}

// What points at a record left out is judged as for any unreadable row: an enrollment of
// the skipped student is an unknown reference (so it stays stored, R3.4); a link to it
// goes quietly (the planner keeps links of a student that is not present).
#[test]
fn r3_4_references_to_a_skipped_record_are_judged_as_for_any_unreadable_row() {
    let mut snap = Snapshot {
        schools: vec![SnapSchool {
            source_id: "sch-1".into(),
            sis_id: Default::default(),
            name: "North".into(),
            at: SourceRef::csv(CsvFile::Orgs, 2),
        }],
        classes: vec![class("cls-1", vec![])],
        ..Snapshot::default()
    };
    let mut bad = student("stu-long", csv(2));
    bad.family_name = long(300).into();
    snap.students = vec![bad, student("stu-ok", csv(3))];
    snap.guardians = vec![guardian("par-1", csv(4))];
    snap.links = vec![SnapLink {
        student_source_id: "stu-long".into(),
        guardian_source_id: "par-1".into(),
    }];
    snap.student_enrollments = vec![
        enrollment("e-1", "cls-1", "stu-long"),
        enrollment("e-2", "cls-1", "stu-ok"),
    ];
    snap.check_references(&KnownIds::default());
    let codes: Vec<(IssueCode, &str)> = snap
        .issues
        .iter()
        .map(|i| (i.code, i.source_id.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            (IssueCode::ValueTooLong, "stu-long"),
            (IssueCode::UnknownReference, "e-1")
        ]
    );
    assert!(snap.links.is_empty());
    assert_eq!(snap.student_enrollments.len(), 1);
}

// The run's report holds a source id of 255 characters and a field name of 64: an issue
// about a longer one is shortened there, with a mark, whoever raised it.
#[test]
fn s5_2_issues_fit_the_report() {
    let mut snap = Snapshot::default();
    snap.issues.push(Issue::warning(
        RecordKind::Student,
        IssueCode::InvalidEncoding,
        &csv(2),
        &"x".repeat(400),
        &format!("metadata.{}", "y".repeat(100)),
        "bytes replaced",
    ));
    snap.check_lengths();
    let issue = &snap.issues[0];
    assert_eq!(issue.source_id.chars().count(), 255);
    assert!(issue.source_id.ends_with('…'));
    assert_eq!(issue.field.chars().count(), 64);
    assert!(issue.field.starts_with("metadata.yyy") && issue.field.ends_with('…'));
}
