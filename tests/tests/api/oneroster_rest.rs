//! OneRoster 1.1 REST sources end to end (R8.6, R7.1): a district's sync settings name a
//! provider, a mock on 127.0.0.1 speaking the real wire format (checking real OAuth 1.0a
//! HMAC-SHA256 signatures, running a real OAuth 2 token flow), and StartSync without a
//! source reads it with the stored secret.

use roster_client::pb;
use roster_e2e::TestServer;
use roster_e2e::mock_oneroster::{self, MockOneRoster, MockServer};
use roster_e2e::roster::{Roster, springfield};
use std::time::{Duration, Instant};

type Kind = pb::RecordKind;
type RestAuth = pb::one_roster_rest::Auth;

const KEY: &str = "roster-consumer";
const SECRET: &str = "oauth1-S3CRET-value";
const CLIENT_ID: &str = "roster-client";
const CLIENT_SECRET: &str = "oauth2-S3CRET-value";
const SCOPE: &str = "https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly";

fn oauth1(secret: &str) -> RestAuth {
    RestAuth::Oauth1(pb::OAuth1 {
        consumer_key: KEY.into(),
        consumer_secret: secret.into(),
        consumer_secret_set: false,
    })
}

fn oauth2(mock: &MockServer) -> RestAuth {
    RestAuth::Oauth2(pb::OAuth2ClientCredentials {
        token_url: mock.token_url.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        scope: SCOPE.into(),
        client_secret_set: false,
    })
}

/// A provider taking OAuth 1 with [`KEY`] and [`SECRET`], adjusted by `tweak`.
async fn oauth1_provider(roster: Roster, tweak: impl FnOnce(&mut MockOneRoster)) -> MockServer {
    let mut config = MockOneRoster::oauth1(KEY, SECRET);
    tweak(&mut config);
    mock_oneroster::start(roster, config).await
}

/// A new district whose source is `mock` with `auth`; its secret is stored by the settings.
async fn district(server: &TestServer, mock: &MockServer, auth: RestAuth) -> String {
    let district = server.district("Springfield").await;
    let source = pb::SyncSource {
        kind: Some(pb::sync_source::Kind::OnerosterRest(pb::OneRosterRest {
            base_url: mock.base_url.clone(),
            auth: Some(auth),
        })),
    };
    let settings = pb::SyncSettings {
        district_id: district.clone(),
        source: Some(source),
        ..Default::default()
    };
    server.set(settings, &["source"]).await;
    district
}

/// Starts a run on the district's configured source and waits for its end.
async fn sync(server: &TestServer, district: &str) -> pb::SyncRun {
    let run = server
        .sync()
        .start_sync(pb::StartSyncRequest {
            district_id: district.into(),
            ..Default::default()
        })
        .await
        .expect("StartSync")
        .into_inner()
        .run
        .expect("run");
    server.wait(&run.run_id).await
}

#[track_caller]
fn assert_succeeded(run: &pb::SyncRun) {
    assert_eq!(
        run.state,
        pb::SyncState::Succeeded as i32,
        "run did not succeed: {run:?}"
    );
}

/// The failure message of a run that must have failed, checked free of both secrets.
#[track_caller]
fn failure(run: &pb::SyncRun) -> &str {
    assert_eq!(run.state, pb::SyncState::Failed as i32, "{run:?}");
    let whole = format!("{run:?}");
    assert!(
        !whole.contains(SECRET) && !whole.contains(CLIENT_SECRET),
        "a secret leaked: {whole}"
    );
    &run.error_message
}

/// R2.1–R2.5 as the CSV sync of the same roster counts them (sync.rs).
#[track_caller]
fn assert_springfield_created(run: &pb::SyncRun) {
    let created = |kind| TestServer::counts(run, kind).created;
    assert_eq!(created(Kind::School), 2);
    assert_eq!(created(Kind::Student), 5);
    assert_eq!(created(Kind::Guardian), 5);
    assert_eq!(created(Kind::Staff), 4);
    assert_eq!(created(Kind::Class), 3);
    assert_eq!(created(Kind::StudentEnrollment), 5);
    assert_eq!(created(Kind::TeacherEnrollment), 3);
    assert_eq!(created(Kind::FamilyRelationship), 6);
}

/// Every kind's counts, comparable across runs.
fn all_counts(run: &pb::SyncRun) -> Vec<pb::RecordCounts> {
    let mut counts = run.counts.clone();
    counts.sort_by_key(|c| c.record_kind);
    counts
}

async fn schools(server: &TestServer, district: &str) -> Vec<pb::School> {
    server
        .dir()
        .list_schools(pb::ListSchoolsRequest {
            district_id: district.into(),
            page_size: 100,
            page_token: String::new(),
        })
        .await
        .expect("ListSchools")
        .into_inner()
        .schools
}

// R8.6: OAuth 1.0a with real signatures, pages capped at 3 records and followed by offset
// up to X-Total-Count: the same directory as the CSV export of the same roster.
#[tokio::test(flavor = "multi_thread")]
async fn oauth1_multi_page_sync_matches_the_csv_sync() {
    let server = TestServer::start().await;
    let mock = oauth1_provider(springfield(), |c| c.page_limit_cap = Some(3)).await;
    let district = district(&server, &mock, oauth1(SECRET)).await;
    let run = sync(&server, &district).await;
    assert_succeeded(&run);
    assert_springfield_created(&run);
    assert!(
        mock.state()
            .requests
            .iter()
            .any(|r| r.ends_with("/users?limit=100&offset=12")),
        "users read page by page: {:?}",
        mock.state().requests
    );

    let csv_district = server.district("Springfield by CSV").await;
    let csv_run = server.sync_ok(&csv_district, &springfield()).await;
    assert_eq!(all_counts(&run), all_counts(&csv_run));
    assert_eq!(schools(&server, &district).await.len(), 2);
}

// R8.6: OAuth 2 client credentials: one token for the whole run, across every page, and
// `next` links followed. An invalid record is an issue naming its page (R3.3).
#[tokio::test(flavor = "multi_thread")]
async fn oauth2_token_is_requested_once_and_reused_across_pages() {
    let server = TestServer::start().await;
    let mut roster = springfield();
    roster
        .student("stu-janitor", "Willie", "MacDougal", "sch-1")
        .role = "janitor".into();
    let mut config = MockOneRoster::oauth2(CLIENT_ID, CLIENT_SECRET, SCOPE);
    config.page_limit_cap = Some(3);
    config.link_headers = true;
    let mock = mock_oneroster::start(roster, config).await;
    let district = district(&server, &mock, oauth2(&mock)).await;
    let run = sync(&server, &district).await;
    assert_succeeded(&run);
    assert_springfield_created(&run);
    assert_eq!(mock.token_requests(), 1);
    assert!(mock.requests() > 10, "{:?}", mock.state().requests);
    assert!(
        mock.state()
            .requests
            .iter()
            .any(|r| r.ends_with("/users?limit=3&offset=12")),
        "the next links were followed: {:?}",
        mock.state().requests
    );

    let issues = server.issues(&run.run_id).await;
    let janitor = issues
        .iter()
        .find(|i| i.source_id == "stu-janitor")
        .expect("an issue for the invalid user");
    assert_eq!(janitor.code, "INVALID_VALUE");
    assert_eq!((janitor.source_file.as_str(), janitor.source_line), ("", 0));
    assert_eq!(janitor.source_resource, "/users?limit=3&offset=12");
}

// Rate limits: 429 with Retry-After is waited out (a second each), then the run succeeds.
#[tokio::test(flavor = "multi_thread")]
async fn a_429_with_retry_after_is_waited_out() {
    let server = TestServer::start().await;
    let mock = oauth1_provider(springfield(), |c| c.fail_first_with_429 = 2).await;
    let district = district(&server, &mock, oauth1(SECRET)).await;
    let started = Instant::now();
    let run = sync(&server, &district).await;
    assert_succeeded(&run);
    assert_springfield_created(&run);
    assert_eq!(mock.state().rate_limited, 2);
    // The backoff alone would pause 0.5 s then 1 s; Retry-After asks for 1 s each time.
    assert!(started.elapsed() >= Duration::from_secs(2));
}

// A refusal fails the run at once, naming the endpoint and the status, never the secret; and
// with OAuth 2 the token is renewed once before giving up. Nothing is written (R7.1).
#[tokio::test(flavor = "multi_thread")]
async fn a_401_fails_the_run_naming_the_endpoint_without_the_secret() {
    let server = TestServer::start().await;
    let mut config = MockOneRoster::oauth2(CLIENT_ID, CLIENT_SECRET, SCOPE);
    config.reject_all = Some(401);
    let mock = mock_oneroster::start(springfield(), config).await;
    let district = district(&server, &mock, oauth2(&mock)).await;
    let run = sync(&server, &district).await;
    let message = failure(&run);
    let endpoint = format!("{}/orgs", mock.base_url);
    assert!(
        message.contains(&endpoint) && message.contains("401 Unauthorized"),
        "{message}"
    );
    assert!(
        !message.contains("limit="),
        "no query in messages: {message}"
    );
    assert_eq!(mock.token_requests(), 2, "one renewal after the 401");
    assert_eq!(mock.requests(), 2);
    assert!(schools(&server, &district).await.is_empty());
}

// The mock recomputes every OAuth 1 signature: one made with the wrong secret is refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_oauth1_secret_is_refused() {
    let server = TestServer::start().await;
    let mock = oauth1_provider(springfield(), |_| {}).await;
    let district = district(&server, &mock, oauth1("not-the-S3CRET")).await;
    let run = sync(&server, &district).await;
    let message = failure(&run);
    assert!(
        message.contains("/ims/oneroster/v1p1/orgs") && message.contains("401"),
        "{message}"
    );
    assert!(!message.contains("not-the-S3CRET"), "{message}");
    assert_eq!(mock.requests(), 1, "a refusal is not retried");
    assert!(schools(&server, &district).await.is_empty());
}

// A connection dropped mid-page is retried; the run succeeds with every record.
#[tokio::test(flavor = "multi_thread")]
async fn a_connection_dropped_mid_page_is_retried() {
    let server = TestServer::start().await;
    let mock = oauth1_provider(springfield(), |c| {
        c.page_limit_cap = Some(3);
        c.drop_connection_once_at_offset = Some(3);
    })
    .await;
    let district = district(&server, &mock, oauth1(SECRET)).await;
    let run = sync(&server, &district).await;
    assert_succeeded(&run);
    assert_springfield_created(&run);
    let state = mock.state();
    assert!(state.dropped);
    let at_offset_3 = state
        .requests
        .iter()
        .filter(|r| r.ends_with("/users?limit=100&offset=3"))
        .count();
    assert_eq!(at_offset_3, 2, "asked again: {:?}", state.requests);
}

// Malformed JSON fails the run naming the endpoint; the orgs already fetched are not
// written (R7.1).
#[tokio::test(flavor = "multi_thread")]
async fn malformed_json_fails_the_run_and_writes_nothing() {
    let server = TestServer::start().await;
    let mock = oauth1_provider(springfield(), |c| c.malformed_json = true).await;
    let district = district(&server, &mock, oauth1(SECRET)).await;
    let run = sync(&server, &district).await;
    let message = failure(&run);
    assert!(
        message.contains(&format!("{}/users", mock.base_url)) && message.contains("JSON"),
        "{message}"
    );
    assert!(schools(&server, &district).await.is_empty());
}

// A provider without `/users` serves `/students` and `/teachers`: both are read.
#[tokio::test(flavor = "multi_thread")]
async fn students_and_teachers_stand_in_for_users() {
    let server = TestServer::start().await;
    let mock = oauth1_provider(springfield(), |c| c.users_split = true).await;
    let district = district(&server, &mock, oauth1(SECRET)).await;
    let run = sync(&server, &district).await;
    assert_succeeded(&run);
    let created = |kind| TestServer::counts(&run, kind).created;
    assert_eq!(created(Kind::Student), 5);
    assert_eq!(created(Kind::Staff), 3, "the teachers; no administrator");
    assert_eq!(created(Kind::Guardian), 0);
    assert_eq!(created(Kind::StudentEnrollment), 5);
    assert_eq!(created(Kind::TeacherEnrollment), 3);
}

// R3.4, R4.8: once a provider stops serving `/users`, its `/students` and `/teachers` list
// no guardians and no administrators. Nobody missing from that partial list is abandoned:
// family links and the administrator stay, and the report says why.
#[tokio::test(flavor = "multi_thread")]
async fn r3_4_partial_users_abandon_nobody_and_say_so() {
    let server = TestServer::start().await;
    let mock = oauth1_provider(springfield(), |_| {}).await;
    let district = district(&server, &mock, oauth1(SECRET)).await;
    assert_succeeded(&sync(&server, &district).await);
    mock.state().config.users_split = true;
    let run = sync(&server, &district).await;
    assert_succeeded(&run);
    for kind in [Kind::FamilyRelationship, Kind::Staff, Kind::Student] {
        assert_eq!(TestServer::counts(&run, kind).abandoned, 0, "{kind:?}");
    }
    let issues = server.issues(&run.run_id).await;
    let partial: Vec<_> = issues
        .iter()
        .filter(|i| i.code == "PARTIAL_SOURCE")
        .collect();
    assert_eq!(partial.len(), 1, "{issues:?}");
    assert!(
        partial[0]
            .message
            .contains("no guardians and no administrators")
    );
    let bart = roster_e2e::lookup::student(&server, "stu-bart").await;
    assert_eq!(bart.guardians.len(), 2, "links kept");
}
