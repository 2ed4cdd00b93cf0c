//! A OneRoster 1.1 REST provider on 127.0.0.1 serving a [`Roster`], in the real wire format:
//! `{"users": [...]}` envelopes paged with `limit`/`offset` (with `X-Total-Count`, and
//! `Link: <..>; rel="next"` when asked), reference objects `{"href", "sourcedId", "type"}`,
//! string booleans, empty strings for absent values, no `demographics` (404), and
//! `academicSessions` only when the roster has sessions.
//!
//! Authentication is checked for real: OAuth 1.0a requests must carry a valid HMAC-SHA256
//! signature over the actual method, URL and query (recomputed here) with a fresh nonce;
//! OAuth 2 requests must carry a bearer token issued by `/token` to the right client. Knobs
//! on [`MockOneRoster`] inject the faults a live provider has: rate limits, refusals, a
//! connection dropped mid-page, malformed JSON.

mod auth;
mod json;

use crate::roster::{Roster, User};
use auth::{authenticate, token};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Form, Path, Query, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, LINK, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use json::collections;
use roster_server::sources::http::oauth::{basic_authorization, oauth1_signature};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// Where the provider serves OneRoster, as real ones do.
pub const BASE_PATH: &str = "/ims/oneroster/v1p1";

const MODIFIED: &str = "2026-01-01T00:00:00.000Z";

/// How clients must authenticate.
#[derive(Debug, Clone)]
pub enum MockAuth {
    OAuth1 {
        consumer_key: String,
        consumer_secret: String,
    },
    OAuth2 {
        client_id: String,
        client_secret: String,
        /// The scope clients must ask for; empty accepts any.
        scope: String,
    },
}

/// The provider's behaviour.
#[derive(Debug, Clone)]
pub struct MockOneRoster {
    pub auth: MockAuth,
    /// At most this many records per page, whatever `limit` asks (providers cap it).
    pub page_limit_cap: Option<usize>,
    /// Send `Link: <..>; rel="next"` headers.
    pub link_headers: bool,
    /// No `/users`: users come from `/students` (students) and `/teachers` (teachers).
    pub users_split: bool,
    /// The first N API requests answer 429 with `Retry-After: 1`.
    pub fail_first_with_429: usize,
    /// Every API request answers this status (e.g. 401).
    pub reject_all: Option<u16>,
    /// The first `users` request at this offset gets half its body, then the connection
    /// drops.
    pub drop_connection_once_at_offset: Option<usize>,
    /// `users` answers `{"users": [`.
    pub malformed_json: bool,
    /// The lifetime of issued OAuth 2 tokens.
    pub token_expires_in: u64,
}

impl MockOneRoster {
    pub fn oauth1(consumer_key: &str, consumer_secret: &str) -> Self {
        Self::with_auth(MockAuth::OAuth1 {
            consumer_key: consumer_key.into(),
            consumer_secret: consumer_secret.into(),
        })
    }

    pub fn oauth2(client_id: &str, client_secret: &str, scope: &str) -> Self {
        Self::with_auth(MockAuth::OAuth2 {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scope: scope.into(),
        })
    }

    fn with_auth(auth: MockAuth) -> Self {
        MockOneRoster {
            auth,
            page_limit_cap: None,
            link_headers: false,
            users_split: false,
            fail_first_with_429: 0,
            reject_all: None,
            drop_connection_once_at_offset: None,
            malformed_json: false,
            token_expires_in: 3600,
        }
    }
}

/// What the provider has seen and done.
#[derive(Debug)]
pub struct MockState {
    pub config: MockOneRoster,
    /// API requests received (the token endpoint's not counted), with their path and query.
    pub requests: Vec<String>,
    /// Requests to the token endpoint.
    pub token_requests: usize,
    /// Requests answered 429.
    pub rate_limited: usize,
    /// Whether the connection was dropped mid-page.
    pub dropped: bool,
    tokens: HashSet<String>,
    nonces: HashSet<String>,
}

/// A running provider.
pub struct MockServer {
    /// `http://127.0.0.1:<port>/ims/oneroster/v1p1`
    pub base_url: String,
    /// `http://127.0.0.1:<port>/token`
    pub token_url: String,
    pub state: Arc<Mutex<MockState>>,
}

impl MockServer {
    pub fn state(&self) -> MutexGuard<'_, MockState> {
        self.state.lock().expect("mock state")
    }

    /// API requests so far.
    pub fn requests(&self) -> usize {
        self.state().requests.len()
    }

    pub fn token_requests(&self) -> usize {
        self.state().token_requests
    }
}

/// The roster as OneRoster JSON records, per collection.
struct Collections {
    orgs: Vec<Value>,
    users: Vec<Value>,
    classes: Vec<Value>,
    enrollments: Vec<Value>,
    /// `/academicSessions`, when the roster has sessions; otherwise 404, as a provider
    /// without them answers.
    sessions: Option<Vec<Value>>,
}

#[derive(Clone)]
struct App {
    data: Arc<Collections>,
    state: Arc<Mutex<MockState>>,
    base_url: String,
}

/// Starts the provider on the test's runtime; it stops with the runtime.
pub async fn start(roster: Roster, config: MockOneRoster) -> MockServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the mock provider");
    let addr = listener.local_addr().expect("mock address");
    let base_url = format!("http://{addr}{BASE_PATH}");
    let state = Arc::new(Mutex::new(MockState {
        config,
        requests: Vec::new(),
        token_requests: 0,
        rate_limited: 0,
        dropped: false,
        tokens: HashSet::new(),
        nonces: HashSet::new(),
    }));
    let app = App {
        data: Arc::new(collections(&roster)),
        state: state.clone(),
        base_url: base_url.clone(),
    };
    let router = Router::new()
        .route(&format!("{BASE_PATH}/{{collection}}"), get(api))
        .route("/token", post(token))
        .with_state(app);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    MockServer {
        base_url,
        token_url: format!("http://{addr}/token"),
        state,
    }
}

async fn api(
    State(app): State<App>,
    Path(collection): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    respond(&app, &collection, &method, &uri, &headers)
}

/// One API request, start to end (synchronous: the state lock is never held across an
/// await).
fn respond(
    app: &App,
    collection: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response {
    let mut state = app.state.lock().expect("mock state");
    state.requests.push(
        uri.path_and_query()
            .map_or_else(String::new, ToString::to_string),
    );
    if let Some(refusal) = admit(&mut state, method, uri, headers) {
        return refusal;
    }
    let Some((envelope, all)) = records(&app.data, collection, state.config.users_split) else {
        return failure(StatusCode::NOT_FOUND, "no such collection");
    };
    if envelope == "users" && state.config.malformed_json {
        return ([(CONTENT_TYPE, "application/json")], "{\"users\": [").into_response();
    }
    let query = query_params(uri);
    let number = |name: &str, default: usize| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(default)
    };
    let offset = number("offset", 0);
    let limit = number("limit", 100).min(state.config.page_limit_cap.unwrap_or(usize::MAX));
    let total = all.len();
    let page: Vec<Value> = all.into_iter().skip(offset).take(limit).collect();
    let next = offset + page.len();
    let body = serde_json::to_vec(&json!({ envelope: page })).expect("JSON");
    let drop_here = state.config.drop_connection_once_at_offset == Some(offset);
    if envelope == "users" && drop_here && !state.dropped {
        state.dropped = true;
        return cut_short(body);
    }
    let mut response = ([(CONTENT_TYPE, "application/json")], body).into_response();
    response
        .headers_mut()
        .insert("x-total-count", HeaderValue::from(total));
    if state.config.link_headers && next < total {
        let link = format!(
            "<{}/{collection}?limit={limit}&offset={next}>; rel=\"next\"",
            app.base_url
        );
        response
            .headers_mut()
            .insert(LINK, HeaderValue::from_str(&link).expect("a link header"));
    }
    response
}

/// The gate every API request passes: a forced refusal, authentication, rate limiting.
/// Some(response) refuses the request.
fn admit(
    state: &mut MockState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Option<Response> {
    if let Some(code) = state.config.reject_all {
        let status = StatusCode::from_u16(code).expect("a status code");
        return Some(failure(status, "rejected by the test"));
    }
    if let Err(why) = authenticate(state, method, uri, headers) {
        return Some(failure(StatusCode::UNAUTHORIZED, why));
    }
    if state.rate_limited < state.config.fail_first_with_429 {
        state.rate_limited += 1;
        let mut response = failure(StatusCode::TOO_MANY_REQUESTS, "slow down");
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        return Some(response);
    }
    None
}

/// The envelope and records of a collection; `None` for what this provider does not serve.
fn records(
    data: &Collections,
    collection: &str,
    users_split: bool,
) -> Option<(&'static str, Vec<Value>)> {
    let with_role = |role: &str| -> Vec<Value> {
        data.users
            .iter()
            .filter(|u| u["role"] == role)
            .cloned()
            .collect()
    };
    Some(match (collection, users_split) {
        ("orgs", _) => ("orgs", data.orgs.clone()),
        ("users", false) => ("users", data.users.clone()),
        ("students", true) => ("users", with_role("student")),
        ("teachers", true) => ("users", with_role("teacher")),
        ("classes", _) => ("classes", data.classes.clone()),
        ("enrollments", _) => ("enrollments", data.enrollments.clone()),
        ("academicSessions", _) => ("academicSessions", data.sessions.clone()?),
        _ => return None,
    })
}

/// A 200 whose body stops halfway: the declared length is never reached and the
/// connection closes, as when a provider's connection drops mid-page.
fn cut_short(body: Vec<u8>) -> Response {
    let half = Bytes::copy_from_slice(&body[..body.len() / 2]);
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(half),
        Err(std::io::Error::other("connection dropped mid-page")),
    ];
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, "application/json")
        .header(CONTENT_LENGTH, body.len())
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .expect("a response")
}

/// A OneRoster status-info failure.
fn failure(status: StatusCode, description: &str) -> Response {
    let body = json!({
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
    });
    (status, axum::Json(body)).into_response()
}

fn query_params(uri: &Uri) -> Vec<(String, String)> {
    Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|Query(params)| params)
        .unwrap_or_default()
}
