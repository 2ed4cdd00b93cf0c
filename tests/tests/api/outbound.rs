//! Where a source may send the server, and how much it may answer (S4.1, S4.2): https
//! only and no internal address unless an operator allowed the host, redirects kept on
//! their host, bodies and pages capped, a run that never ends stopped at its deadline.

use roster_client::pb;
use roster_client::tonic::Code;
use roster_e2e::mock_clever::{self, MockClever, TOKEN};
use roster_e2e::roster::springfield;
use roster_e2e::{TestServer, assert_invalid};
use std::time::Duration;

/// Asks to point `district` at a Clever API at `base_url`.
async fn point_at(
    server: &TestServer,
    district: &str,
    base_url: &str,
) -> Result<(), roster_client::tonic::Status> {
    let settings = pb::SyncSettings {
        district_id: district.into(),
        source: Some(pb::SyncSource {
            kind: Some(pb::sync_source::Kind::Clever(pb::Clever {
                base_url: base_url.into(),
                district_token: TOKEN.into(),
                district_token_set: false,
            })),
        }),
        ..Default::default()
    };
    server
        .sync()
        .update_sync_settings(pb::UpdateSyncSettingsRequest {
            settings: Some(settings),
            update_mask: Some(roster_client::prost_types::FieldMask {
                paths: vec!["source".into()],
            }),
        })
        .await
        .map(|_| ())
}

/// Starts a run on the district's configured source and waits for its end.
async fn run(server: &TestServer, district: &str) -> pb::SyncRun {
    let started = server
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
    server.wait(&started.run_id).await
}

#[track_caller]
fn assert_failed_with(run: &pb::SyncRun, words: &str) {
    assert_eq!(run.state, pb::SyncState::Failed as i32, "{run:?}");
    assert!(run.error_message.contains(words), "{}", run.error_message);
}

const FIELD: &str = "settings.source.clever.base_url";

#[tokio::test(flavor = "multi_thread")]
async fn s4_1_plain_http_and_internal_addresses_are_refused_unless_allowed() {
    let server = TestServer::start_with(|c| c.allow_source_hosts.clear()).await;
    let district = server.district("D").await;
    let mock = mock_clever::start(springfield(), MockClever::default()).await;
    for url in [
        mock.base_url.as_str(),
        "http://sis.example.com",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.8",
        "https://[::1]:8443",
        // A name is checked where it resolves: localhost is this machine.
        "https://localhost:8443",
    ] {
        let refused = point_at(&server, &district, url).await.expect_err(url);
        assert_invalid(&refused, FIELD);
        assert!(
            refused.message().contains("https") || refused.message().contains("internal"),
            "{url}: {}",
            refused.message()
        );
    }
    assert_eq!(mock.seen().requests, 0, "a refused source is never called");
    point_at(&server, &district, "https://api.clever.com")
        .await
        .expect("a public https source is fine");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s4_1_an_allowed_host_is_reached_on_its_port_only() {
    let mock = mock_clever::start(springfield(), MockClever::default()).await;
    let port = mock.base_url.rsplit(':').next().unwrap().to_owned();
    let allowed = format!("127.0.0.1:{port}");
    let server = TestServer::start_with(|c| c.allow_source_hosts = vec![allowed]).await;
    let district = server.district("D").await;
    let other_port = format!("http://127.0.0.1:{}", port.parse::<u16>().unwrap() ^ 1);
    assert_invalid(
        &point_at(&server, &district, &other_port).await.unwrap_err(),
        FIELD,
    );
    point_at(&server, &district, &mock.base_url).await.unwrap();
    let run = run(&server, &district).await;
    assert_eq!(run.state, pb::SyncState::Succeeded as i32, "{run:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s4_1_a_redirect_to_another_host_is_not_followed() {
    use axum::response::Redirect;
    // The target of the redirect: another host name for this machine, never reached.
    let target = mock_clever::start(springfield(), MockClever::default()).await;
    let elsewhere = target.base_url.replace("127.0.0.1", "localhost");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let to = format!("{elsewhere}{uri}");
        async move { Redirect::temporary(&to) }
    });
    let redirector = tokio::spawn(async move { axum::serve(listener, router).await });
    let server = TestServer::start().await;
    let district = server.district("D").await;
    point_at(&server, &district, &format!("http://{addr}"))
        .await
        .unwrap();
    let run = run(&server, &district).await;
    assert_failed_with(&run, "redirect");
    assert_eq!(target.seen().requests, 0, "the other host saw nothing");
    redirector.abort();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s4_2_an_answer_over_the_cap_fails_the_run_and_applies_nothing() {
    let mock = mock_clever::start(springfield(), MockClever::default()).await;
    let server = TestServer::start_with(|c| c.max_response_bytes = 600).await;
    let district = server.district("D").await;
    server.use_clever(&district, &mock.base_url, TOKEN).await;
    let run = run(&server, &district).await;
    assert_failed_with(&run, "larger than 600 bytes");
    let schools = server
        .dir()
        .list_schools(pb::ListSchoolsRequest {
            district_id: district.clone(),
            page_size: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(schools.schools.is_empty(), "nothing applied");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s4_2_a_source_with_endless_pages_is_stopped_at_the_page_limit() {
    let mock = mock_clever::start(
        springfield(),
        MockClever {
            page_limit_cap: Some(1),
            ..MockClever::default()
        },
    )
    .await;
    let server = TestServer::start_with(|c| c.max_pages = 3).await;
    let district = server.district("D").await;
    server.use_clever(&district, &mock.base_url, TOKEN).await;
    let run = run(&server, &district).await;
    assert_failed_with(&run, "more than 3 pages");
    assert_eq!(mock.seen().requests, 3, "no request past the limit");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s4_2_a_source_that_never_answers_is_stopped_at_the_run_deadline() {
    // Connections are taken (the backlog) but never answered.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let server = TestServer::start_with(|c| c.run_deadline = Duration::from_secs(1)).await;
    let district = server.district("D").await;
    point_at(&server, &district, &format!("http://{addr}"))
        .await
        .unwrap();
    let run = run(&server, &district).await;
    assert_failed_with(&run, "longer than 1s");
    // The district is free again: the next run starts.
    let next = server
        .sync()
        .start_sync(pb::StartSyncRequest {
            district_id: district.clone(),
            dry_run: true,
            ..Default::default()
        })
        .await;
    assert_ne!(
        next.map_err(|s| s.code()).err(),
        Some(Code::FailedPrecondition)
    );
    drop(silent);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s4_1_start_sync_refuses_a_configured_source_no_longer_allowed() {
    let server = TestServer::start().await;
    let mock = mock_clever::start(springfield(), MockClever::default()).await;
    let district = server.district("D").await;
    server.use_clever(&district, &mock.base_url, TOKEN).await;
    // The next release runs on this database without the host in its allow list.
    let mut config = roster_server::config::ServeConfig::for_database(&server.db.url);
    config.data_dir = server.files.join("data");
    let second = roster_server::server::start(config).await.unwrap();
    let mut sync = roster_client::RosterClient::connect(format!("http://{}", second.addr))
        .await
        .unwrap()
        .sync();
    let refused = sync
        .start_sync(pb::StartSyncRequest {
            district_id: district.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&refused, "source.clever.base_url");
    assert_eq!(mock.seen().requests, 0);
    second.shutdown().await.unwrap();
    server.stop().await;
}
