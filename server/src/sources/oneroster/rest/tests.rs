//! The REST reader's paging and JSON flattening.

use super::*;
use crate::snapshot::TermEnd;
use reqwest::header::HeaderValue;
use serde_json::json;

fn page(url: &str, body: Value) -> JsonPage {
    JsonPage {
        url: url.into(),
        body,
        headers: HeaderMap::new(),
    }
}

fn rows(name: &'static str, pages: &[(&str, Value)]) -> JsonRows {
    let mut rows = JsonRows::new(name);
    for (resource, body) in pages {
        rows.add_page(&page(resource, body.clone()), (*resource).into())
            .unwrap();
    }
    rows
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for &(name, value) in pairs {
        map.append(name, HeaderValue::from_str(value).unwrap());
    }
    map
}

fn offset(request: Option<PageRequest>) -> Option<usize> {
    match request {
        Some(PageRequest::Offset(offset)) => Some(offset),
        Some(PageRequest::Link(link)) => panic!("unexpected link {link}"),
        None => None,
    }
}

#[test]
fn json_records_flatten_into_csv_columns() {
    let record = json!({
        "sourcedId": "stu-1",
        "status": "active",
        "enabledUser": "true",
        "orgs": [
            {"href": "/orgs/sch-1", "sourcedId": "sch-1", "type": "org"},
            {"href": "/orgs/sch-2", "sourcedId": "sch-2", "type": "org"}
        ],
        "agents": [{"sourcedId": "par-1", "type": "user"}],
        "school": {"sourcedId": "sch-1", "type": "org"},
        "userIds": [{"type": "SIS", "identifier": "x"}],
        "grades": ["04", "05"],
        "primary": false,
        "score": 3,
        "middleName": null,
        "email": "",
        "metadata": {"homeroom": "Room 4", "language": "es"}
    });
    let mut fields = flatten(&record);
    fields.sort();
    let expected = [
        ("agentSourcedIds", "par-1"),
        ("email", ""),
        ("enabledUser", "true"),
        ("grades", "04,05"),
        ("metadata.homeroom", "Room 4"),
        ("metadata.language", "es"),
        ("middleName", ""),
        ("orgSourcedIds", "sch-1,sch-2"),
        ("primary", "false"),
        ("schoolSourcedId", "sch-1"),
        ("score", "3"),
        ("sourcedId", "stu-1"),
        ("status", "active"),
    ];
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(fields, expected);
}

#[test]
fn rows_read_page_after_page_and_name_their_page() {
    let mut users = rows(
        "users",
        &[
            (
                "/users?limit=2&offset=0",
                json!({"users": [{"sourcedId": "a"}, {"sourcedId": "b"}]}),
            ),
            (
                "/users?limit=2&offset=2",
                json!({"users": [{"sourcedId": "c"}]}),
            ),
        ],
    );
    users.extend(rows(
        "users",
        &[(
            "/teachers?limit=2&offset=0",
            json!({"users": [{"sourcedId": "t"}]}),
        )],
    ));
    let mut read = Vec::new();
    while users.advance().unwrap() {
        read.push((
            users.get("sourcedId").to_owned(),
            users.at().resource().to_string(),
        ));
    }
    let read: Vec<(&str, &str)> = read.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(
        read,
        [
            ("a", "/users?limit=2&offset=0"),
            ("b", "/users?limit=2&offset=0"),
            ("c", "/users?limit=2&offset=2"),
            ("t", "/teachers?limit=2&offset=0"),
        ]
    );
    assert_eq!(users.get("sourcedId"), "t");
    assert_eq!(users.get("nothing"), "");
}

#[test]
fn a_page_without_its_envelope_is_refused() {
    let mut users = JsonRows::new("users");
    let err = users
        .add_page(&page("/v1p1/users", json!({"orgs": []})), "".into())
        .unwrap_err();
    assert!(err.to_string().contains("/v1p1/users"), "{err}");
}

#[test]
fn paging_stops_on_a_short_page_or_the_total() {
    let none = HeaderMap::new();
    let start = PageRequest::Offset(0);
    assert_eq!(offset(next_page(&start, &none, PAGE_SIZE)), Some(PAGE_SIZE));
    assert_eq!(offset(next_page(&start, &none, PAGE_SIZE - 1)), None);
    assert_eq!(offset(next_page(&start, &none, 0)), None);
    // A provider capping pages at 3 records: the total says there is more.
    let total = headers(&[("x-total-count", "7")]);
    assert_eq!(offset(next_page(&start, &total, 3)), Some(3));
    assert_eq!(
        offset(next_page(&PageRequest::Offset(3), &total, 3)),
        Some(6)
    );
    assert_eq!(offset(next_page(&PageRequest::Offset(6), &total, 1)), None);
}

#[test]
fn paging_follows_next_links() {
    let linked = headers(&[(
        "link",
        "<https://sis.example.org/v1p1/users?limit=3&offset=0>; rel=\"first\", \
         <https://sis.example.org/v1p1/users?limit=3&offset=3>; rel=\"next\"",
    )]);
    match next_page(&PageRequest::Offset(0), &linked, 3) {
        Some(PageRequest::Link(link)) => {
            assert_eq!(link, "https://sis.example.org/v1p1/users?limit=3&offset=3");
        }
        _ => panic!("expected the next link"),
    }
    let last = headers(&[("link", "<https://sis.example.org/v1p1/users>; rel=\"prev\"")]);
    let followed = PageRequest::Link("https://sis.example.org/v1p1/users?offset=3".into());
    assert_eq!(offset(next_page(&followed, &last, 3)), None);
    assert!(next_link(&last).is_none());
}

// R5.10: a REST class's `terms` references are its sessions; it ends with the latest
// `endDate` of `/academicSessions`. A bad date, or a class naming a session the provider
// does not list, is a warning naming the resource; an empty `terms` list is no term, and
// a class without `terms` says nothing (the stored end stays).
#[test]
fn r5_10_classes_end_with_their_latest_academic_session() {
    let resource = "/academicSessions?limit=100&offset=0";
    let mut sessions = rows(
        "academicSessions",
        &[(
            resource,
            json!({"academicSessions": [
                {"sourcedId": "fall", "status": "active", "type": "term",
                 "startDate": "2025-08-25", "endDate": "2026-01-16", "parent": null},
                {"sourcedId": "spring", "status": "active", "type": "term",
                 "startDate": "2026-01-20", "endDate": "2026-06-12"},
                {"sourcedId": "bad", "status": "active", "type": "term", "endDate": "soon"},
            ]}),
        )],
    );
    let term = |id: &str| json!({"href": format!("/terms/{id}"), "sourcedId": id, "type": "academicSession"});
    let class = |id: &str, terms: Option<Value>| {
        let mut class = json!({"sourcedId": id, "status": "active", "title": id,
                               "school": {"sourcedId": "sch-1", "type": "org"}});
        if let Some(terms) = terms {
            class["terms"] = terms;
        }
        class
    };
    let mut classes = rows(
        "classes",
        &[(
            "/classes?limit=100&offset=0",
            json!({"classes": [
                class("c-year", Some(json!([term("fall"), term("spring")]))),
                class("c-none", Some(json!([]))),
                class("c-bad", Some(json!([term("bad")]))),
                class("c-unknown", Some(json!([term("nowhere")]))),
                class("c-silent", None),
            ]}),
        )],
    );
    let mut snap = Snapshot::default();
    let sessions = read_sessions(&mut sessions, &mut snap, true).unwrap();
    read_classes(&mut classes, &mut snap, Some(&sessions)).unwrap();
    let ends: Vec<(&str, TermEnd)> = snap
        .classes
        .iter()
        .map(|c| (c.source_id.as_str(), c.term_end))
        .collect();
    let on = |m, d| TermEnd::On(chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap());
    assert_eq!(
        ends,
        [
            ("c-year", on(6, 12)),
            ("c-none", TermEnd::NoTerm),
            ("c-bad", TermEnd::Unknown),
            ("c-unknown", TermEnd::Unknown),
            ("c-silent", TermEnd::Unknown),
        ]
    );
    let issues: Vec<(IssueCode, &str, &str, &str)> = snap
        .issues
        .iter()
        .map(|i| {
            (
                i.code,
                i.at.resource(),
                i.source_id.as_str(),
                i.field.as_str(),
            )
        })
        .collect();
    assert_eq!(
        issues,
        [
            (IssueCode::InvalidDate, resource, "bad", "endDate"),
            (
                IssueCode::UnknownReference,
                "/classes?limit=100&offset=0",
                "c-unknown",
                "termSourcedIds"
            ),
        ]
    );
    assert!(snap.issues.iter().all(|i| i.severity == Severity::Warning));
}
