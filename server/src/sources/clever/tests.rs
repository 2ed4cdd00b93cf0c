//! The Clever mapping: users, contacts, sections, grades and paging, on JSON as Clever sends it.

use super::records::*;
use super::*;
use crate::domain::Severity;
use crate::domain::{IssueCode, RecordKind, StaffRole};
use crate::snapshot::{SnapEnrollment, TermEnd};
use serde_json::json;

const RESOURCE: &str = "/v3.0/users?limit=10000";

fn at() -> SourceRef {
    SourceRef::api(RESOURCE.into())
}

/// Reads `records` as one users page into a fresh snapshot, links resolved.
fn users(records: Vec<Value>) -> Snapshot {
    let mut snap = Snapshot::default();
    let (mut seen, mut listed) = (HashSet::new(), Vec::new());
    for value in records {
        if let Some(user) = decode::<User>(value, &at(), &mut seen, &mut snap.issues) {
            add_user(user, &at(), &mut snap, &mut listed);
        }
    }
    resolve_links(listed, &seen, &mut snap);
    snap
}

fn codes(snap: &Snapshot) -> Vec<(IssueCode, &str, &str)> {
    snap.issues
        .iter()
        .map(|i| (i.code, i.source_id.as_str(), i.field.as_str()))
        .collect()
}

#[test]
fn grades_map_from_clevers_vocabulary_to_ours() {
    for (clever, ours) in [
        ("Kindergarten", "KG"),
        ("1", "01"),
        ("4", "04"),
        ("12", "12"),
        ("13", "13"),
        ("PreKindergarten", "PK"),
        ("TransitionalKindergarten", "TK"),
        ("InfantToddler", "IT"),
        ("Preschool", "PR"),
        ("Ungraded", "UG"),
        ("PostGraduate", "PS"),
        ("Other", "Other"),
        ("", ""),
        ("0", "0"),
        ("Freshman", "Freshman"),
    ] {
        assert_eq!(grade(clever), ours, "{clever}");
    }
}

#[test]
fn a_student_becomes_a_student_without_attributes() {
    let snap = users(vec![json!({
        "id": "u-1",
        "email": " bart@example.org ",
        "name": {"first": "Bart", "last": "Simpson", "middle": null},
        "roles": {"student": {
            "sis_id": "S-1", "school": "sch-1", "schools": ["sch-1", "sch-2"],
            "grade": "4", "gender": "M", "dob": "2016-04-01",
        }},
    })]);
    assert!(snap.issues.is_empty(), "{:?}", snap.issues);
    let bart = &snap.students[0];
    assert_eq!(
        (
            bart.source_id.as_str(),
            bart.sis_id.as_str(),
            bart.given_name.as_str()
        ),
        ("u-1", "S-1", "Bart")
    );
    assert_eq!(
        (bart.email.as_str(), bart.grade.as_str()),
        ("bart@example.org", "04")
    );
    assert_eq!(bart.school_source_ids, ["sch-1", "sch-2"]);
    assert!(bart.attributes.is_empty());
    assert_eq!(bart.at.resource(), RESOURCE);
    assert_eq!((bart.at.file(), bart.at.line()), ("", 0));
}

#[test]
fn a_student_without_schools_belongs_to_its_school() {
    let snap = users(vec![json!({
        "id": "u-1", "name": {"first": "A", "last": "B"},
        "roles": {"student": {"school": "sch-1", "schools": null, "grade": null}},
    })]);
    assert_eq!(snap.students[0].school_source_ids, ["sch-1"]);
    assert_eq!(snap.students[0].grade, "");
}

#[test]
fn a_contact_becomes_a_guardian_with_its_relationships() {
    let snap = users(vec![
        json!({"id": "s-1", "name": {"first": "Bart", "last": "S"}, "roles": {"student": {}}}),
        json!({"id": "s-2", "name": {"first": "Lisa", "last": "S"}, "roles": {"student": {}}}),
        json!({
            "id": "c-1", "email": "marge@example.org",
            "name": {"first": "Marge", "last": "Simpson"},
            "roles": {"contact": {
                "sis_id": "C-1", "phone": "(603) 555-0101", "phone_type": "Cell",
                "student_relationships": [
                    {"student": "s-1", "relationship": "Parent", "type": "Parent/Guardian"},
                    {"student": "s-2"},
                    {"student": "s-404"},
                ],
            }},
        }),
    ]);
    let marge = &snap.guardians[0];
    assert_eq!(
        (
            marge.source_id.as_str(),
            marge.sis_id.as_str(),
            marge.email.as_str()
        ),
        ("c-1", "C-1", "marge@example.org")
    );
    assert_eq!(
        (marge.sms_number.as_str(), marge.home_phone.as_str()),
        ("(603) 555-0101", "")
    );
    assert_eq!(marge.language, "");
    let pairs: Vec<_> = snap
        .links
        .iter()
        .map(|l| (l.student_source_id.as_str(), l.guardian_source_id.as_str()))
        .collect();
    assert_eq!(pairs, [("s-1", "c-1"), ("s-2", "c-1")]);
    assert_eq!(
        codes(&snap),
        [(
            IssueCode::UnknownReference,
            "c-1",
            "student_relationships.student"
        )]
    );
}

#[test]
fn a_contacts_phone_goes_where_its_type_says() {
    let phone_of = |phone_type: Value| {
        let role: ContactInfo = serde_json::from_value(json!({
            "phone": "555-0101", "phone_type": phone_type,
        }))
        .expect("a contact");
        phones(&role)
    };
    let sms = ("555-0101".to_owned(), String::new());
    let home = (String::new(), "555-0101".to_owned());
    assert_eq!(phone_of(json!("Cell")), sms);
    assert_eq!(phone_of(json!("")), sms);
    assert_eq!(phone_of(json!("Other")), sms);
    assert_eq!(phone_of(json!("Home")), home);
    assert_eq!(phone_of(json!("Work")), (String::new(), String::new()));
}

#[test]
fn staff_roles_make_one_staff_member_admin_only_with_admin_rights() {
    let snap = users(vec![
        json!({
            "id": "t-1", "email": "edna@example.org", "name": {"first": "Edna", "last": "K"},
            "roles": {"teacher": {"sis_id": "T-1", "school": "sch-1", "schools": ["sch-1"]}},
        }),
        json!({
            "id": "t-2", "name": {"first": "Seymour", "last": "Skinner"},
            "roles": {
                "teacher": {"sis_id": "T-2", "schools": ["sch-1"]},
                "staff": {"staff_id": "ST-2", "schools": ["sch-1", "sch-2"], "roles": ["School Tech Lead"]},
            },
        }),
        json!({
            "id": "st-3", "name": {"first": "Willie", "last": "G"},
            "roles": {"staff": {"staff_id": "ST-3", "schools": ["sch-1"], "roles": []}},
        }),
        json!({
            "id": "da-4", "name": {"first": "Gary", "last": "Chalmers"},
            "roles": {"district_admin": {"title": "Superintendent"}},
        }),
    ]);
    assert!(snap.issues.is_empty(), "{:?}", snap.issues);
    let view: Vec<_> = snap
        .staff
        .iter()
        .map(|s| {
            (
                s.source_id.as_str(),
                s.sis_id.as_str(),
                s.role,
                s.school_source_ids.clone(),
            )
        })
        .collect();
    assert_eq!(
        view,
        [
            ("t-1", "T-1", StaffRole::Teacher, vec!["sch-1".to_owned()]),
            (
                "t-2",
                "T-2",
                StaffRole::Admin,
                vec!["sch-1".to_owned(), "sch-2".to_owned()]
            ),
            ("st-3", "ST-3", StaffRole::Teacher, vec!["sch-1".to_owned()]),
            ("da-4", "", StaffRole::Admin, vec![]),
        ]
    );
    assert_eq!(snap.staff[0].email, "edna@example.org");
}

#[test]
fn a_user_with_several_roles_yields_one_record_per_kind() {
    let snap = users(vec![json!({
        "id": "u-1", "name": {"first": "Ned", "last": "Flanders"},
        "roles": {
            "teacher": {"schools": ["sch-1"]},
            "contact": {"phone": "555-0101", "phone_type": "Home"},
        },
    })]);
    assert_eq!(
        (snap.staff.len(), snap.guardians.len(), snap.students.len()),
        (1, 1, 0)
    );
    assert_eq!(snap.guardians[0].home_phone, "555-0101");
}

#[test]
fn bad_users_are_skipped_with_an_issue() {
    let snap = users(vec![
        json!({"id": "u-1", "name": {"first": "No", "last": ""}, "roles": {"student": {}}}),
        json!({"name": {"first": "No", "last": "Id"}, "roles": {"teacher": {}}}),
        json!({"id": "u-2", "name": {"first": "A", "last": "B"}, "roles": {"student": {}}}),
        json!({"id": "u-2", "name": {"first": "A", "last": "B"}, "roles": {"student": {}}}),
        json!({"id": "u-3", "name": {"first": 7, "last": "B"}, "roles": {"student": {}}}),
        json!({"id": "u-4", "name": {"first": "A", "last": "B"}, "roles": {}}),
    ]);
    assert_eq!(
        codes(&snap),
        [
            (IssueCode::MissingField, "u-1", "name.last"),
            (IssueCode::MissingField, "", "id"),
            (IssueCode::DuplicateId, "u-2", "id"),
            (IssueCode::InvalidValue, "u-3", ""),
            (IssueCode::InvalidValue, "u-4", "roles"),
        ]
    );
    assert_eq!(snap.issues[0].record_kind, RecordKind::Student);
    assert_eq!(snap.issues[1].record_kind, RecordKind::Staff);
    assert_eq!(snap.issues[0].at.resource(), RESOURCE);
    assert_eq!(snap.students.len(), 1);
}

#[test]
fn a_section_becomes_a_class_with_its_enrollments() {
    let mut snap = Snapshot::default();
    let section: Section = serde_json::from_value(json!({
        "id": "sec-1", "name": "Grade 4 A", "sis_id": "S4A", "school": "sch-1",
        "grade": "Kindergarten", "students": ["s-1", "s-2", "s-1"],
        "teachers": ["t-1", "t-2"], "teacher": "t-1",
    }))
    .expect("a section");
    add_section(section, &at(), &mut snap, None);
    let class = &snap.classes[0];
    assert_eq!(
        (
            class.source_id.as_str(),
            class.sis_id.as_str(),
            class.name.as_str()
        ),
        ("sec-1", "S4A", "Grade 4 A")
    );
    assert_eq!(
        (class.grades.clone(), class.school_source_id.as_str()),
        (vec!["KG".to_owned()], "sch-1")
    );
    fn members(list: &[SnapEnrollment]) -> Vec<String> {
        list.iter()
            .map(|e| format!("{}:{}:{}", e.source_id, e.class_source_id, e.user_source_id))
            .collect()
    }
    assert_eq!(
        members(&snap.student_enrollments),
        [":sec-1:s-1", ":sec-1:s-2"]
    );
    assert_eq!(
        members(&snap.teacher_enrollments),
        [":sec-1:t-1", ":sec-1:t-2"]
    );
}

#[test]
fn a_primary_teacher_missing_from_teachers_is_enrolled() {
    let mut snap = Snapshot::default();
    let section: Section = serde_json::from_value(json!({
        "id": "sec-1", "name": "Music", "school": "sch-2", "teacher": "t-9",
    }))
    .expect("a section");
    add_section(section, &at(), &mut snap, None);
    assert_eq!(snap.teacher_enrollments[0].user_source_id, "t-9");
    assert!(snap.classes[0].grades.is_empty());
}

#[test]
fn a_section_without_a_school_is_skipped() {
    let mut snap = Snapshot::default();
    let section: Section = serde_json::from_value(json!({
        "id": "sec-1", "name": "Music", "students": ["s-1"],
    }))
    .expect("a section");
    add_section(section, &at(), &mut snap, None);
    assert!(snap.classes.is_empty() && snap.student_enrollments.is_empty());
    assert_eq!(codes(&snap), [(IssueCode::MissingField, "sec-1", "school")]);
}

#[test]
fn a_page_splits_into_records_and_its_next_link() {
    let body = json!({
        "data": [{"data": {"id": "a"}, "uri": "/v3.0/users/a"}, {"uri": "/v3.0/users/b"}],
        "links": [
            {"rel": "self", "uri": "/v3.0/users?limit=2"},
            {"rel": "next", "uri": "/v3.0/users?limit=2&starting_after=a"},
        ],
    });
    let Ok((records, next)) = split(body, RESOURCE) else {
        panic!("a Clever collection");
    };
    assert_eq!(records, [json!({"id": "a"}), Value::Null]);
    assert_eq!(
        next.as_deref(),
        Some("/v3.0/users?limit=2&starting_after=a")
    );

    let Ok((_, last)) = split(json!({"data": [], "links": []}), RESOURCE) else {
        panic!("a Clever collection");
    };
    assert_eq!(last, None);
    for not_one in [json!([]), json!({"data": {}}), json!({"links": []})] {
        let Err(SourceError::Invalid(message)) = split(not_one, RESOURCE) else {
            panic!("not a Clever collection");
        };
        assert!(message.contains(RESOURCE), "{message}");
    }
}

#[test]
fn next_links_are_followed_on_the_apis_host_only() {
    let base = Url::parse("http://127.0.0.1:8080").expect("a URL");
    let follow_ok = |uri: &str| {
        follow(&base, uri, RESOURCE)
            .map(|u| u.to_string())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(
        follow_ok("/v3.0/users?starting_after=abc"),
        "http://127.0.0.1:8080/v3.0/users?starting_after=abc&limit=10000"
    );
    assert_eq!(
        follow_ok("/v3.0/users?limit=5&starting_after=abc"),
        "http://127.0.0.1:8080/v3.0/users?limit=5&starting_after=abc"
    );
    let Err(SourceError::Invalid(message)) =
        follow(&base, "https://elsewhere.example/v3.0/users", RESOURCE)
    else {
        panic!("another host is refused");
    };
    assert!(message.contains("elsewhere.example"), "{message}");
}

#[test]
fn a_next_link_back_to_a_page_already_read_is_an_error() {
    let base = Url::parse("https://api.clever.com").expect("a URL");
    let mut requested = HashSet::new();
    let uri = "/v3.0/users?limit=5&starting_after=a";
    assert!(next_page(&base, uri, RESOURCE, &mut requested).is_ok());
    assert!(next_page(&base, uri, RESOURCE, &mut requested).is_err());
}

#[test]
fn a_null_field_reads_as_absent_and_text_is_trimmed() {
    let mut value = json!({"a": null, "b": " x ", "c": [null, {"d": null}], "e": 1});
    normalize(&mut value);
    assert_eq!(value, json!({"b": "x", "c": [{}], "e": 1}));
}

// R5.10: a section ends with its term (`term_id`), from Clever's `terms` (`end_date`,
// YYYY-MM-DD). A bad date, or a term Clever does not list, is a warning naming the page
// and field, and leaves the end unknown; a section without a term has none.
#[test]
fn r5_10_a_section_ends_with_its_term() {
    let terms_at = SourceRef::api("/v3.0/terms?limit=10000".into());
    let mut snap = Snapshot::default();
    let mut terms = Sessions::new("terms", true);
    let (mut seen, mut issues) = (HashSet::new(), Vec::new());
    for value in [
        json!({"id": "t-fall", "district": "d-1", "name": "Fall", "start_date": "2025-08-25", "end_date": "2026-01-16"}),
        json!({"id": "t-bad", "name": "Bad", "end_date": "01/16/2026"}),
    ] {
        let term: Term = decode(value, &terms_at, &mut seen, &mut issues).expect("a term");
        terms.add(&term.id, &term.end_date, &terms_at, "end_date", &mut issues);
    }
    snap.issues = issues;
    for (id, term) in [
        ("s-fall", json!("t-fall")),
        ("s-bad", json!("t-bad")),
        ("s-unknown", json!("t-nowhere")),
        ("s-none", Value::Null),
    ] {
        let mut value = json!({"id": id, "name": id, "school": "sch-1", "term_id": term});
        normalize(&mut value);
        let section: Section = serde_json::from_value(value).expect("a section");
        add_section(section, &at(), &mut snap, Some(&terms));
    }
    let ends: Vec<(&str, TermEnd)> = snap
        .classes
        .iter()
        .map(|c| (c.source_id.as_str(), c.term_end))
        .collect();
    let fall = chrono::NaiveDate::from_ymd_opt(2026, 1, 16).unwrap();
    assert_eq!(
        ends,
        [
            ("s-fall", TermEnd::On(fall)),
            ("s-bad", TermEnd::Unknown),
            ("s-unknown", TermEnd::Unknown),
            ("s-none", TermEnd::NoTerm),
        ]
    );
    assert_eq!(
        codes(&snap),
        [
            (IssueCode::InvalidDate, "t-bad", "end_date"),
            (IssueCode::UnknownReference, "s-unknown", "term_id"),
        ]
    );
    assert_eq!(snap.issues[0].at.resource(), "/v3.0/terms?limit=10000");
    assert!(snap.issues.iter().all(|i| i.severity == Severity::Warning));

    // Without terms (Clever served none), the stored end stays.
    let mut without = Snapshot::default();
    let section: Section = serde_json::from_value(
        json!({"id": "s", "name": "S", "school": "sch-1", "term_id": "t-fall"}),
    )
    .unwrap();
    add_section(section, &at(), &mut without, None);
    assert_eq!(without.classes[0].term_end, TermEnd::Unknown);
}
