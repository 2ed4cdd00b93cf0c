//! Health, reflection, store outages, start-up errors, graceful shutdown.

use roster_client::tonic::Code;
use roster_e2e::TestServer;
use roster_server::config::ServeConfig;
use std::time::Duration;
use tokio_stream::StreamExt;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

async fn health(server: &TestServer, service: &str) -> i32 {
    HealthClient::new(server.client.channel())
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .expect("health answers")
        .into_inner()
        .status
}

/// Health turns SERVING once the first store check has passed.
async fn wait_for(server: &TestServer, service: &str, want: ServingStatus) {
    for _ in 0..100 {
        if health(server, service).await == want as i32 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{service} never became {want:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn health_reports_each_service_serving() {
    let server = TestServer::start().await;
    for service in ["", "roster.v1.SyncService", "roster.v1.DirectoryService"] {
        wait_for(&server, service, ServingStatus::Serving).await;
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reflection_lists_both_services_and_health() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let server = TestServer::start().await;
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = ServerReflectionClient::new(server.client.channel())
        .server_reflection_info(tokio_stream::once(request))
        .await
        .expect("reflection answers")
        .into_inner();
    let response = stream.next().await.expect("one response").expect("ok");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection response");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for want in [
        "roster.v1.SyncService",
        "roster.v1.DirectoryService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_store_is_not_serving_and_rpcs_are_unavailable() {
    // Port 1 on loopback refuses connections: the store is down from the start.
    let mut config = ServeConfig::for_database("mysql://root@127.0.0.1:1/roster");
    config.no_migrate = true;
    config.health_interval = Duration::from_millis(100);
    config.database.db_connect_timeout = Duration::from_millis(300);
    let running = roster_server::server::start(config)
        .await
        .expect("starts without the store");
    let client = roster_client::RosterClient::connect(format!("http://{}", running.addr))
        .await
        .expect("connects");
    let probe = TestServerless(client.clone());
    probe.wait_not_serving().await;
    let err = client.create_district("Nowhere").await.unwrap_err();
    assert!(
        matches!(err, roster_client::Error::Unavailable { .. }),
        "{err:?}"
    );
    running.shutdown().await.expect("shuts down");
}

/// Health checks against a server started without the harness.
struct TestServerless(roster_client::RosterClient);

impl TestServerless {
    async fn wait_not_serving(&self) {
        for _ in 0..100 {
            let status = HealthClient::new(self.0.channel())
                .check(HealthCheckRequest {
                    service: "roster.v1.DirectoryService".into(),
                })
                .await
                .expect("health answers")
                .into_inner()
                .status;
            if status == ServingStatus::NotServing as i32 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("never NOT_SERVING");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_database_scheme_fails_at_start_up() {
    let config = ServeConfig::for_database("postgres://u:secret@localhost/db");
    let err = roster_server::server::start(config)
        .await
        .err()
        .expect("refused");
    let text = err.to_string();
    assert!(text.contains("unsupported database URL"), "{text}");
    assert!(!text.contains("secret"), "password leaked: {text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_stops_accepting_calls() {
    let server = TestServer::start().await;
    let client = server.client.clone();
    server.stop().await;
    let err = client.create_district("After").await.unwrap_err();
    assert!(
        matches!(
            err,
            roster_client::Error::Unavailable { .. }
                | roster_client::Error::Server {
                    code: Code::Unknown,
                    ..
                }
        ),
        "{err:?}"
    );
}
