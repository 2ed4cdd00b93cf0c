//! Every failure is one `Error` variant, produced by a real server.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_map_to_their_variants() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let f = family(&client).await;

    let err = client.get_district("4242").await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");

    let err = client
        .create_student(NewStudent {
            district_id: f.district.clone(),
            school_id: f.school.clone(),
            family_name: "X".into(),
            email: Some("not-an-email".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    let fields: Vec<&str> = err.violations().iter().map(|v| v.field.as_str()).collect();
    assert!(fields.contains(&"email"), "{fields:?}");
    assert!(fields.contains(&"given_name"), "{fields:?}");

    let err = client
        .start_sync(StartSync::new(&f.district))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::FailedPrecondition { .. }), "{err:?}");
    assert_eq!(err.reason(), Some("NO_SOURCE"));

    client.link_guardian(&f.guardian, &f.student).await.unwrap();
    let err = client
        .link_guardian(&f.guardian, &f.student)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_server_is_unavailable_after_the_retries() {
    // Nothing listens on port 1: built lazily, the failure shows on the call.
    let client = RosterClient::builder()
        .endpoint("http://127.0.0.1:1")
        .retry(RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(10),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let err = client.get_district("1").await.unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
    assert!(err.is_retryable());
    let err = client.create_district("Nowhere").await.unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");

    // Connecting eagerly fails at once.
    let err = RosterClient::connect("http://127.0.0.1:1")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_whose_store_is_down_answers_unavailable() {
    // Port 1 on loopback refuses connections: the server starts, its store never does.
    let server = TestServer::start_with(|config| {
        config.database.database_url = "mysql://root@127.0.0.1:1/roster".into();
        config.database.db_connect_timeout = Duration::from_millis(300);
        config.no_migrate = true;
    })
    .await;
    let client = client(&server).await;
    let err = client.create_district("Nowhere").await.unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
    // A read is retried, and still unavailable after the last attempt.
    let err = client.get_district("1").await.unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
}

#[test]
fn codes_this_server_never_sends_still_map() {
    use roster_client::tonic::{Code, Status};
    assert!(matches!(
        Error::from(Status::permission_denied("no")),
        Error::PermissionDenied { .. }
    ));
    assert!(matches!(
        Error::from(Status::unauthenticated("no")),
        Error::Unauthenticated { .. }
    ));
    assert!(matches!(
        Error::from(Status::deadline_exceeded("slow")),
        Error::Timeout { .. }
    ));
    assert!(matches!(
        Error::from(Status::internal("boom")),
        Error::Server {
            code: Code::Internal,
            ..
        }
    ));
}
