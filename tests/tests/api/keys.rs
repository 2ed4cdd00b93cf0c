//! API keys (S1): roles and districts decide every call; keys are revocable, listed
//! without their secret, rate-limited; a server fails closed off loopback.

use roster_client::pb;
use roster_client::tonic::{Code, Request};
use roster_e2e::roster::springfield;
use roster_e2e::{TestServer, id_of};
use roster_server::domain::ApiKeyRole;

fn with_key<T>(message: T, key: &str) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {key}").parse().unwrap());
    request
}

// S1.2, S1.5: on loopback the server is open until the first key exists; from then on a
// call without a key, or with an unknown one, is UNAUTHENTICATED.
#[tokio::test(flavor = "multi_thread")]
async fn s1_5_loopback_is_open_until_the_first_key_then_calls_need_one() {
    let server = TestServer::start().await;
    server.district("Before any key").await;
    let admin = server.key(ApiKeyRole::Admin, &[]).await;
    let refused = server
        .dir()
        .list_districts(pb::ListDistrictsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    let unknown = server
        .dir()
        .list_districts(with_key(pb::ListDistrictsRequest::default(), "rsk_nope"))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::Unauthenticated);
    assert!(!unknown.message().contains("rsk_nope"));
    let listed = server
        .dir()
        .list_districts(with_key(pb::ListDistrictsRequest::default(), &admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.districts.len(), 1);
}

// S1.5: a server on a public address without any key refuses to start, unless told
// --insecure-no-auth.
#[tokio::test(flavor = "multi_thread")]
async fn s1_5_a_server_off_loopback_without_keys_refuses_to_start() {
    let db = roster_e2e::TestDb::new().await;
    let mut config = roster_server::config::ServeConfig::for_database(&db.url);
    config.listen = "0.0.0.0:0".parse().unwrap();
    config.data_dir = std::env::temp_dir().join(format!("roster-fc-{:x}", rand::random::<u64>()));
    let err = roster_server::server::start(config.clone())
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("keys create"), "{err}");
    config.insecure_no_auth = true;
    let running = roster_server::server::start(config.clone()).await.unwrap();
    running.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&config.data_dir);
}

// S1.1, S1.2: a reader reads its district and changes nothing; an operator changes its
// district; neither reaches another district; lists show only what the key covers.
#[tokio::test(flavor = "multi_thread")]
async fn s1_2_roles_and_districts_decide_every_call() {
    let server = TestServer::start().await;
    let a = server.district("A").await;
    let b = server.district("B").await;
    let reader = server.key(ApiKeyRole::Reader, &[&a]).await;
    let operator = server.key(ApiKeyRole::Operator, &[&a]).await;
    let settings = |district: &str| pb::UpdateSyncSettingsRequest {
        settings: Some(pb::SyncSettings {
            district_id: district.into(),
            abandon_threshold_percent: 30,
            ..Default::default()
        }),
        update_mask: Some(roster_client::prost_types::FieldMask {
            paths: vec!["abandon_threshold_percent".into()],
        }),
    };
    let get = |district: &str| pb::GetSyncSettingsRequest {
        district_id: district.into(),
    };
    let sync = server.sync();
    assert!(
        sync.clone()
            .get_sync_settings(with_key(get(&a), &reader))
            .await
            .is_ok()
    );
    let denied = sync
        .clone()
        .update_sync_settings(with_key(settings(&a), &reader))
        .await
        .unwrap_err();
    assert_eq!(
        denied.code(),
        Code::PermissionDenied,
        "a reader cannot write"
    );
    assert!(
        sync.clone()
            .update_sync_settings(with_key(settings(&a), &operator))
            .await
            .is_ok()
    );
    for key in [&reader, &operator] {
        let other = sync
            .clone()
            .get_sync_settings(with_key(get(&b), key))
            .await
            .unwrap_err();
        assert_eq!(other.code(), Code::PermissionDenied);
    }
    let listed = server
        .dir()
        .list_districts(with_key(pb::ListDistrictsRequest::default(), &operator))
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = listed.districts.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, [a.as_str()], "ListDistricts lists the key's districts");
    let create = server
        .dir()
        .create_district(with_key(
            pb::CreateDistrictRequest {
                display_name: "C".into(),
            },
            &operator,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        create.code(),
        Code::PermissionDenied,
        "only admins create districts"
    );
}

// S1.3: keys are listed without their secret, with their last use; a revoked key stops
// working on its next call.
#[tokio::test(flavor = "multi_thread")]
async fn s1_3_keys_are_listed_without_secrets_and_revocation_is_immediate() {
    let server = TestServer::start().await;
    let a = server.district("A").await;
    let admin = server.key(ApiKeyRole::Admin, &[]).await;
    let access = server.client.access();
    let created = access
        .clone()
        .create_api_key(with_key(
            pb::CreateApiKeyRequest {
                display_name: "backend".into(),
                role: pb::ApiKeyRole::Operator as i32,
                district_ids: vec![a.clone()],
                ..Default::default()
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    let secret = created.secret;
    assert!(secret.starts_with("rsk_") && secret.len() > 40);
    let key_id = created.key.unwrap().key_id;
    let get = pb::GetDistrictRequest {
        district_id: a.clone(),
    };
    assert!(
        server
            .dir()
            .get_district(with_key(get.clone(), &secret))
            .await
            .is_ok()
    );
    let listed = access
        .clone()
        .list_api_keys(with_key(pb::ListApiKeysRequest::default(), &admin))
        .await
        .unwrap()
        .into_inner();
    let backend = listed.keys.iter().find(|k| k.key_id == key_id).unwrap();
    assert_eq!(backend.district_ids, std::slice::from_ref(&a));
    assert!(backend.last_use_time.is_some(), "last use is kept");
    assert!(!format!("{listed:?}").contains(&secret), "never the secret");
    access
        .clone()
        .revoke_api_key(with_key(pb::RevokeApiKeyRequest { key_id }, &admin))
        .await
        .unwrap();
    let revoked = server
        .dir()
        .get_district(with_key(get, &secret))
        .await
        .unwrap_err();
    assert_eq!(revoked.code(), Code::Unauthenticated);
    let operator_cannot = access
        .clone()
        .list_api_keys(with_key(pb::ListApiKeysRequest::default(), &secret))
        .await
        .unwrap_err();
    assert_eq!(operator_cannot.code(), Code::Unauthenticated);
}

// S1.6: health and reflection stay open when keys are needed.
#[tokio::test(flavor = "multi_thread")]
async fn s1_6_health_and_reflection_need_no_key() {
    let server = TestServer::start().await;
    server.key(ApiKeyRole::Admin, &[]).await;
    let mut health = tonic_health::pb::health_client::HealthClient::new(server.client.channel());
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "roster.v1.SyncService".into(),
        })
        .await;
    assert!(status.is_ok(), "{status:?}");
}

// S1.7: a key past its rate is told to slow down, with when to retry; another key is not.
#[tokio::test(flavor = "multi_thread")]
async fn s1_7_a_key_past_its_rate_is_refused_with_a_retry_delay() {
    let server = TestServer::start_with(|c| c.rate_limit_per_second = 5).await;
    let a = server.district("A").await;
    let fast = server.key(ApiKeyRole::Reader, &[&a]).await;
    let other = server.key(ApiKeyRole::Reader, &[&a]).await;
    let get = || pb::GetDistrictRequest {
        district_id: a.clone(),
    };
    let mut refused = None;
    for _ in 0..30 {
        if let Err(status) = server.dir().get_district(with_key(get(), &fast)).await {
            refused = Some(status);
            break;
        }
    }
    let status = refused.expect("refused past the rate");
    assert_eq!(status.code(), Code::ResourceExhausted);
    use tonic_types::StatusExt;
    let retry = status.get_details_retry_info().expect("says when to retry");
    assert!(retry.retry_delay.is_some());
    assert!(
        server
            .dir()
            .get_district(with_key(get(), &other))
            .await
            .is_ok()
    );
}

// S1.2 through ids: an operator of one district reaches nothing of another by a run,
// a school, a class or a person id (every RPC: `every_rpc`).
#[tokio::test(flavor = "multi_thread")]
async fn s1_2_ids_of_another_district_are_refused() {
    let server = TestServer::start().await;
    let a = server.district("A").await;
    let b = server.district("B").await;
    server.sync_ok(&b, &springfield()).await;
    let store = server.store();
    let student = id_of(&store, "students", "stu-bart").await;
    let operator = server.key(ApiKeyRole::Operator, &[&a]).await;
    let denied = server
        .dir()
        .get_student(with_key(
            pb::GetStudentRequest {
                student_id: student,
            },
            &operator,
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
}
