//! The audit log (S2.1): every change, with its key, the end user the key acted for, the
//! RPC, the district and record, and the names of the changed fields, never a value.

use roster_client::pb;
use roster_client::tonic::{Code, Request};
use roster_e2e::TestServer;
use roster_server::domain::ApiKeyRole;

const TOKEN: &str = "clever-SECRET-token-9371";

fn with_key<T>(message: T, key: &str, actor: &str) -> Request<T> {
    let mut request = Request::new(message);
    let metadata = request.metadata_mut();
    metadata.insert("authorization", format!("Bearer {key}").parse().unwrap());
    if !actor.is_empty() {
        metadata.insert("x-roster-actor", actor.parse().unwrap());
    }
    request
}

fn clever_source(district: &str) -> pb::UpdateSyncSettingsRequest {
    pb::UpdateSyncSettingsRequest {
        settings: Some(pb::SyncSettings {
            district_id: district.into(),
            source: Some(pb::SyncSource {
                kind: Some(pb::sync_source::Kind::Clever(pb::Clever {
                    base_url: "https://api.clever.com".into(),
                    district_token: TOKEN.into(),
                    district_token_set: false,
                })),
            }),
            ..Default::default()
        }),
        update_mask: Some(roster_client::prost_types::FieldMask {
            paths: vec!["source".into()],
        }),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn s2_1_a_settings_change_is_audited_without_its_secret() {
    let server = TestServer::start().await;
    let a = server.district("A").await;
    let b = server.district("B").await;
    let admin = server.key(ApiKeyRole::Admin, &[]).await;
    let operator = server.key(ApiKeyRole::Operator, &[&a]).await;
    let other = server.key(ApiKeyRole::Operator, &[&b]).await;
    server
        .sync()
        .update_sync_settings(with_key(
            clever_source(&a),
            &operator,
            "jane@lakeview.example.org",
        ))
        .await
        .unwrap();
    // Reads are not audited.
    server
        .sync()
        .get_sync_settings(with_key(
            pb::GetSyncSettingsRequest {
                district_id: a.clone(),
            },
            &operator,
            "",
        ))
        .await
        .unwrap();
    let list = |key: &str, district: &str| {
        with_key(
            pb::ListAuditEventsRequest {
                district_id: district.into(),
                ..Default::default()
            },
            key,
            "",
        )
    };
    let events = server
        .client
        .access()
        .list_audit_events(list(&admin, ""))
        .await
        .unwrap()
        .into_inner()
        .events;
    // Newest first: the settings change, after the two districts made before any key.
    assert_eq!(events.len(), 3, "{events:?}");
    let event = &events[0];
    assert_eq!(event.method, "/roster.v1.SyncService/UpdateSyncSettings");
    assert_eq!(event.district_id, a);
    assert_eq!(event.actor, "jane@lakeview.example.org");
    assert_eq!(event.changed_fields, ["source"]);
    assert!(!event.key_id.is_empty());
    assert!(!format!("{events:?}").contains(TOKEN), "never a secret");
    // Operators see the events of their own districts only.
    let theirs = server
        .client
        .access()
        .list_audit_events(list(&operator, &a))
        .await
        .unwrap()
        .into_inner()
        .events;
    let methods: Vec<&str> = theirs.iter().map(|e| e.method.as_str()).collect();
    assert_eq!(
        methods,
        [
            "/roster.v1.SyncService/UpdateSyncSettings",
            "/roster.v1.DirectoryService/CreateDistrict"
        ]
    );
    let denied = server
        .client
        .access()
        .list_audit_events(list(&other, &a))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let of_b = server
        .client
        .access()
        .list_audit_events(list(&other, ""))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert!(of_b.iter().all(|e| e.district_id == b), "{of_b:?}");
}
