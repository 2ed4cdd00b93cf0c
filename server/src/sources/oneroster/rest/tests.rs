//! The REST reader's paging and JSON flattening.

use super::*;
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
        rows.add_page(&page(resource, body.clone()), (*resource).to_owned())
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
        read.push((users.get("sourcedId").to_owned(), users.at().resource));
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
        .add_page(&page("/v1p1/users", json!({"orgs": []})), String::new())
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
