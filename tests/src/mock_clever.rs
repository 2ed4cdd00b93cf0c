//! A stand-in for the Clever API v3.0 on 127.0.0.1: a [`Roster`] served in Clever's JSON
//! shapes and paging, behind a district bearer token, with the faults a real provider has
//! (rate limits, refusals, a connection dropped mid-page, a broken body) to switch on.
//!
//! The roster maps as Clever would carry it: students, teachers, administrators (staff
//! with Clever's admin role, School Tech Lead) and guardians (contacts) are users with
//! roles; a contact lists its students in `student_relationships`, built from the roster's
//! agents on either side; a section lists its students and teachers. Grades are in
//! Clever's words (`4`, `Kindergarten`). Clever has fewer fields than OneRoster: a contact
//! has one phone (the SMS number as `Cell`, else the phone as `Home`) and a section one
//! grade (the class's first) and one term (the class's first session; `/terms` is served
//! only when the roster has sessions, as for an application not granted them).

use crate::roster::{Roster, User};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The district token the mock accepts unless told otherwise.
pub const TOKEN: &str = "tok-clever-SECRET-0123";
const DISTRICT_ID: &str = "dist-1";
/// Clever's page size when a request asks for none, and the most it serves.
const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 10_000;
/// What a broken answer looks like: JSON cut off in the middle of a record.
const MALFORMED: &str = r#"{"data": [{"data": {"id": "u-1", "name": "#;

/// How the mock behaves.
#[derive(Debug, Clone)]
pub struct MockClever {
    /// The district token requests must carry (`Authorization: Bearer <token>`).
    pub token: String,
    /// The largest page served whatever `limit` asks, to force paging on a small roster.
    pub page_limit_cap: Option<usize>,
    /// Answers this many requests (any endpoint) with 429 and `Retry-After: 1` first.
    pub fail_first_with_429: usize,
    /// Answers every request with this status.
    pub reject_all: Option<u16>,
    /// Cuts the first users page short: the status and half the body, then the connection
    /// drops.
    pub drop_connection_once: bool,
    /// Answers every users page with a body that is not JSON.
    pub malformed_json: bool,
}

impl Default for MockClever {
    fn default() -> Self {
        MockClever {
            token: TOKEN.to_owned(),
            page_limit_cap: None,
            fail_first_with_429: 0,
            reject_all: None,
            drop_connection_once: false,
            malformed_json: false,
        }
    }
}

/// What the mock has seen, shared with the test.
#[derive(Debug, Default)]
pub struct MockState {
    pub config: MockClever,
    /// Requests received.
    pub requests: usize,
    /// Requests answered 429.
    pub throttled: usize,
    /// Responses cut short.
    pub dropped: usize,
    /// Path and query of every request, in order.
    pub paths: Vec<String>,
}

/// A running mock; it stops when dropped.
pub struct MockServer {
    /// `http://127.0.0.1:<port>`: the Clever base URL to configure.
    pub base_url: String,
    pub state: Arc<Mutex<MockState>>,
    task: tokio::task::JoinHandle<()>,
}

impl MockServer {
    /// What the mock has seen so far; not to be held across an `.await`.
    pub fn seen(&self) -> MutexGuard<'_, MockState> {
        self.state.lock().expect("mock Clever state")
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a mock serving `roster` on a free loopback port.
pub async fn start(roster: Roster, config: MockClever) -> MockServer {
    let state = Arc::new(Mutex::new(MockState {
        config,
        ..MockState::default()
    }));
    let app = App {
        collections: Arc::new(collections(&roster)),
        state: state.clone(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the mock Clever");
    let addr = listener.local_addr().expect("mock Clever address");
    let router = Router::new()
        .route("/v3.0/{collection}", get(collection))
        .with_state(app);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    MockServer {
        base_url: format!("http://{addr}"),
        state,
        task,
    }
}

/// Records of one collection, sorted by id as Clever serves them.
type Records = Vec<(String, Value)>;

#[derive(Clone)]
struct App {
    collections: Arc<HashMap<&'static str, Records>>,
    state: Arc<Mutex<MockState>>,
}

async fn collection(
    State(app): State<App>,
    Path(name): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    app.respond(&name, &headers, &uri, &params)
}

impl App {
    /// One answer, faults first: refusal, missing token, rate limit, then the page, which
    /// may come broken or cut short.
    fn respond(
        &self,
        name: &str,
        headers: &HeaderMap,
        uri: &Uri,
        params: &HashMap<String, String>,
    ) -> Response {
        let mut state = self.state.lock().expect("mock Clever state");
        state.requests += 1;
        state.paths.push(uri.to_string());
        if let Some(code) = state.config.reject_all {
            return refuse(code);
        }
        if !authorized(headers, &state.config.token) {
            return refuse(401);
        }
        if state.throttled < state.config.fail_first_with_429 {
            state.throttled += 1;
            return throttle();
        }
        let Some(records) = self.collections.get(name) else {
            return refuse(404);
        };
        let body = page(name, records, uri, params, state.config.page_limit_cap).to_string();
        if name == "users" && state.config.malformed_json {
            return json_response(StatusCode::OK, MALFORMED.to_owned());
        }
        if name == "users" && state.config.drop_connection_once && state.dropped == 0 {
            state.dropped += 1;
            return cut_short(body);
        }
        json_response(StatusCode::OK, body)
    }
}

fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let expected = format!("Bearer {token}");
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        == Some(expected.as_str())
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn refuse(code: u16) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = status.canonical_reason().unwrap_or("refused");
    json_response(status, json!({ "message": message }).to_string())
}

fn throttle() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            (header::RETRY_AFTER, "1"),
            (header::CONTENT_TYPE, "application/json"),
        ],
        r#"{"message": "Too Many Requests"}"#,
    )
        .into_response()
}

/// The status and the first half of `body`, then, after a pause that lets them reach the
/// client, a broken connection instead of the rest.
fn cut_short(body: String) -> Response {
    enum Step {
        Send(Bytes),
        Reset,
        Done,
    }
    let mut bytes = body.into_bytes();
    bytes.truncate(bytes.len() / 2);
    let chunks = futures::stream::unfold(Step::Send(Bytes::from(bytes)), |step| async move {
        match step {
            Step::Send(chunk) => Some((Ok(chunk), Step::Reset)),
            Step::Reset => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let reset = std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "the mock drops the connection mid-page",
                );
                Some((Err(reset), Step::Done))
            }
            Step::Done => None,
        }
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// One page of a collection: up to `limit` records after `starting_after`, and a `next`
/// link while more remain.
fn page(
    name: &str,
    records: &[(String, Value)],
    uri: &Uri,
    params: &HashMap<String, String>,
    cap: Option<usize>,
) -> Value {
    let limit = params
        .get("limit")
        .and_then(|limit| limit.parse::<usize>().ok())
        .unwrap_or(DEFAULT_PAGE)
        .clamp(1, MAX_PAGE);
    let size = cap.map_or(limit, |cap| limit.min(cap.max(1)));
    let start = params.get("starting_after").map_or(0, |after| {
        records.partition_point(|(id, _)| id.as_str() <= after.as_str())
    });
    let rest = &records[start..];
    let shown = &rest[..size.min(rest.len())];
    let data: Vec<Value> = shown
        .iter()
        .map(|(id, record)| json!({ "data": record, "uri": format!("/v3.0/{name}/{id}") }))
        .collect();
    let mut links = vec![json!({ "rel": "self", "uri": uri.to_string() })];
    if shown.len() < rest.len()
        && let Some((last, _)) = shown.last()
    {
        let next = format!("/v3.0/{name}?limit={limit}&starting_after={last}");
        links.push(json!({ "rel": "next", "uri": next }));
    }
    json!({ "data": data, "links": links })
}

/// Every collection the mock serves, each sorted by id.
fn collections(roster: &Roster) -> HashMap<&'static str, Records> {
    let district = json!({ "id": DISTRICT_ID, "name": "The District" });
    let schools: Records = roster
        .schools
        .iter()
        .map(|(id, name)| {
            let school = json!({
                "id": id, "district": DISTRICT_ID, "name": name, "sis_id": id,
                "school_number": id,
            });
            (id.clone(), school)
        })
        .collect();
    let mut all = HashMap::from([
        ("districts", vec![(DISTRICT_ID.to_owned(), district)]),
        ("schools", schools),
        ("users", users(roster)),
        ("sections", sections(roster)),
    ]);
    if !roster.sessions.is_empty() {
        all.insert("terms", terms(roster));
    }
    for records in all.values_mut() {
        records.sort_by(|a, b| a.0.cmp(&b.0));
    }
    all
}

/// `null` for an empty value, as Clever sends a field it has no value for.
fn nullable(text: &str) -> Value {
    if text.is_empty() {
        Value::Null
    } else {
        Value::String(text.to_owned())
    }
}

/// Whether a roster role (or one of a comma-separated list) is a guardian's.
fn is_guardian(role: &str) -> bool {
    role.split(',').any(|r| {
        matches!(
            r.trim().to_ascii_lowercase().as_str(),
            "parent" | "guardian" | "relative"
        )
    })
}

/// Our grade in Clever's words: `04` is `4`, `KG` is `Kindergarten`.
fn clever_grade(ours: &str) -> String {
    let word = match ours {
        "IT" => "InfantToddler",
        "PR" => "Preschool",
        "PK" => "PreKindergarten",
        "TK" => "TransitionalKindergarten",
        "KG" => "Kindergarten",
        "PS" => "PostGraduate",
        "UG" => "Ungraded",
        other => {
            return other
                .parse::<u8>()
                .map_or_else(|_| other.to_owned(), |n| n.to_string());
        }
    };
    word.to_owned()
}

/// The first of a comma-separated list of grades, in Clever's words.
fn first_grade(grades: &str) -> Value {
    let first = grades.split(',').map(str::trim).find(|g| !g.is_empty());
    nullable(&first.map(clever_grade).unwrap_or_default())
}

/// Each guardian's students, from the roster's agents on either side (R8.3).
fn families(roster: &Roster) -> HashMap<String, BTreeSet<String>> {
    let guardians: BTreeSet<&str> = roster
        .users
        .iter()
        .filter(|u| is_guardian(&u.role))
        .map(|u| u.id.as_str())
        .collect();
    let mut families: HashMap<String, BTreeSet<String>> = HashMap::new();
    for user in &roster.users {
        for agent in &user.agents {
            if guardians.contains(user.id.as_str()) {
                families
                    .entry(user.id.clone())
                    .or_default()
                    .insert(agent.clone());
            } else if guardians.contains(agent.as_str()) {
                families
                    .entry(agent.clone())
                    .or_default()
                    .insert(user.id.clone());
            }
        }
    }
    families
}

/// The roster's users still in the source, as Clever users.
fn users(roster: &Roster) -> Records {
    let families = families(roster);
    roster
        .users
        .iter()
        .filter(|u| !matches!(u.status.as_str(), "tobedeleted" | "inactive"))
        .filter_map(|u| {
            let roles = roles(u, &families)?;
            let user = json!({
                "id": u.id,
                "district": DISTRICT_ID,
                "email": nullable(&u.email),
                "name": { "first": u.given, "last": u.family, "middle": null },
                "roles": roles,
            });
            Some((u.id.clone(), user))
        })
        .collect()
}

/// The `roles` object of a user: a role per roster role (`teacher,guardian` gives a
/// teacher who is also a contact, as Clever users can be).
fn roles(u: &User, families: &HashMap<String, BTreeSet<String>>) -> Option<Value> {
    let mut all = serde_json::Map::new();
    for role in u.role.split(',') {
        if let Some(Value::Object(one)) = one_role(u, role.trim(), families) {
            all.extend(one);
        }
    }
    (!all.is_empty()).then_some(Value::Object(all))
}

/// The `roles` object of one role.
fn one_role(u: &User, role: &str, families: &HashMap<String, BTreeSet<String>>) -> Option<Value> {
    let school = u.orgs.first().map_or(Value::Null, |s| json!(s));
    let role = match role.to_ascii_lowercase().as_str() {
        "student" => json!({ "student": {
            "sis_id": u.identifier, "school": school, "schools": u.orgs,
            "grade": first_grade(&u.grade), "legacy_id": u.id,
        }}),
        "teacher" | "aide" | "proctor" => json!({ "teacher": {
            "sis_id": u.identifier, "school": school, "schools": u.orgs, "legacy_id": u.id,
        }}),
        "administrator" => json!({ "staff": {
            "staff_id": u.identifier, "schools": u.orgs, "roles": ["School Tech Lead"],
            "title": "Administrator", "legacy_id": u.id,
        }}),
        role if is_guardian(role) => json!({ "contact": contact(u, families) }),
        _ => return None,
    };
    Some(role)
}

/// A contact: its one phone and its students.
fn contact(u: &User, families: &HashMap<String, BTreeSet<String>>) -> Value {
    let (phone, phone_type) = if !u.sms.is_empty() {
        (u.sms.as_str(), "Cell")
    } else if !u.phone.is_empty() {
        (u.phone.as_str(), "Home")
    } else {
        ("", "")
    };
    let relationships: Vec<Value> = families
        .get(&u.id)
        .into_iter()
        .flatten()
        .map(|student| {
            json!({ "student": student, "relationship": "Parent", "type": "Parent/Guardian" })
        })
        .collect();
    json!({
        "sis_id": nullable(&u.identifier),
        "phone": nullable(phone),
        "phone_type": nullable(phone_type),
        "student_relationships": relationships,
        "legacy_id": u.id,
    })
}

/// The roster's classes as Clever sections, with their members from the enrollments.
fn sections(roster: &Roster) -> Records {
    roster
        .classes
        .iter()
        .map(|(id, title, school, grades)| {
            let students = members(roster, id, &["student"]);
            let teachers = members(roster, id, &["teacher", "aide", "proctor", "administrator"]);
            // A section has one term: the class's first, when the roster has sessions.
            let term = if roster.sessions.is_empty() {
                Value::Null
            } else {
                roster
                    .terms_of(id)
                    .first()
                    .map_or(Value::Null, |t| json!(t))
            };
            let section = json!({
                "id": id, "district": DISTRICT_ID, "name": title, "sis_id": id,
                "school": school, "grade": first_grade(grades), "subject": "other",
                "students": students, "teacher": teachers.first(), "teachers": teachers,
                "term_id": term,
            });
            (id.clone(), section)
        })
        .collect()
}

/// The roster's sessions as Clever terms (`/terms`, served only when it has some).
fn terms(roster: &Roster) -> Records {
    roster
        .sessions
        .iter()
        .map(|(id, title, start, end)| {
            let term = json!({
                "id": id, "district": DISTRICT_ID, "name": title,
                "start_date": start, "end_date": end,
            });
            (id.clone(), term)
        })
        .collect()
}

/// The users enrolled in `class` with one of `roles`.
fn members(roster: &Roster, class: &str, roles: &[&str]) -> Vec<String> {
    roster
        .enrollments
        .iter()
        .filter(|e| e.1 == class && roles.contains(&e.3.as_str()))
        .map(|e| e.2.clone())
        .collect()
}
