//! Keys, the audit log and erasure through the typed client (docs/security.md S1, S2, S6).

use super::*;
use roster_client::{ApiKey, ApiKeyRole, AuditEvent, AuditFilter, NewApiKey, Suppression};
use roster_server::domain::ApiKeyRole as ServerRole;

/// A client calling with `key`, naming `actor` as the end user it acts for.
pub(crate) async fn client_acting(server: &TestServer, key: &str, actor: &str) -> RosterClient {
    RosterClient::builder()
        .endpoint(server.endpoint.as_str())
        .bearer_token(key)
        .actor(actor)
        .request_timeout(Duration::from_secs(20))
        .connect()
        .await
        .expect("client connects")
}

/// An admin client (making the first key ends key-less loopback calls, S1.5).
pub(crate) async fn admin(server: &TestServer) -> RosterClient {
    let key = server.key(ServerRole::Admin, &[]).await;
    server.client_with(&key).await
}

/// Syncs the springfield roster into `district` with `client` and returns the run.
async fn sync_springfield(server: &TestServer, client: &RosterClient, district: &str) -> SyncRun {
    let folder = server.put_roster(&springfield());
    let run = client
        .start_sync(StartSync {
            source: Some(SyncSourceInput::csv_path(folder)),
            ..StartSync::new(district)
        })
        .await
        .unwrap()
        .wait(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(run.state, SyncState::Succeeded, "{run:?}");
    run
}

/// Every audit event `client` may read that passes `filter`.
async fn audit(client: &RosterClient, filter: AuditFilter) -> Vec<AuditEvent> {
    client
        .list_audit_events(filter)
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn s1_3_keys_are_created_listed_and_revoked_through_the_client() {
    let server = TestServer::start().await;
    let a = server.district("A").await;
    let b = server.district("B").await;
    let admin = admin(&server).await;

    let (key, secret) = admin
        .create_api_key(NewApiKey {
            district_ids: vec![a.clone()],
            rate_limit_per_second: Some(50),
            ..NewApiKey::new("springfield-import", ApiKeyRole::Operator)
        })
        .await
        .unwrap();
    assert_eq!(key.display_name, "springfield-import");
    assert_eq!(key.role, ApiKeyRole::Operator);
    assert_eq!(key.district_ids, std::slice::from_ref(&a));
    assert!(!key.all_districts);
    assert_eq!(key.rate_limit_per_second, Some(50));
    assert!(key.create_time.is_some());
    assert_eq!((key.last_use_time, key.revoke_time), (None, None));
    assert!(
        secret.expose().len() >= 43,
        "256 bits: {}",
        secret.expose().len()
    );
    assert!(
        !format!("{secret:?} {key:?}").contains(secret.expose()),
        "Debug never shows the secret"
    );

    // S1.2: the key works for its district, and only there; managing keys is for admins.
    let operator = server.client_with(secret.expose()).await;
    assert_eq!(operator.get_district(&a).await.unwrap().id, a);
    let err = operator.get_district(&b).await.unwrap_err();
    assert!(matches!(err, Error::PermissionDenied { .. }), "{err:?}");
    let err = operator
        .create_api_key(NewApiKey::new("escalation", ApiKeyRole::Admin))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PermissionDenied { .. }), "{err:?}");
    let err = operator.list_api_keys().try_collect::<Vec<_>>().await;
    assert!(
        matches!(err, Err(Error::PermissionDenied { .. })),
        "{err:?}"
    );

    // Listed newest first, with its last use and never a secret.
    let keys: Vec<ApiKey> = admin.list_api_keys().try_collect().await.unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    let listed = &keys[0];
    assert_eq!(listed.id, key.id, "newest first");
    assert!(listed.last_use_time.is_some(), "{listed:?}");
    assert_eq!(listed.district_ids, std::slice::from_ref(&a));
    assert_eq!(keys[1].role, ApiKeyRole::Admin);
    assert!(keys[1].district_ids.is_empty());
    let json = serde_json::to_string(&keys).unwrap();
    assert!(!json.contains(secret.expose()), "{json}");
    let page = admin
        .list_api_keys_page(PageRequest::first(1))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let rest = admin
        .list_api_keys_page(page.next_request(1).expect("a second page"))
        .await
        .unwrap();
    assert_eq!(rest.items[0].id, keys[1].id);

    // A key of neither districts nor all districts is refused.
    let err = admin
        .create_api_key(NewApiKey::new("nowhere", ApiKeyRole::Reader))
        .await
        .unwrap_err();
    assert!(
        err.violations().iter().any(|v| v.field == "district_ids"),
        "{err:?}"
    );
    let (backend, _) = admin
        .create_api_key(NewApiKey {
            all_districts: true,
            ..NewApiKey::new("backend", ApiKeyRole::Reader)
        })
        .await
        .unwrap();
    assert!(backend.all_districts && backend.district_ids.is_empty());
    assert_eq!(backend.rate_limit_per_second, None, "the server's default");

    // Revoked: the very next call with it is refused.
    let revoked = admin.revoke_api_key(&key.id).await.unwrap();
    assert_eq!(revoked.id, key.id);
    assert!(revoked.is_revoked());
    let err = operator.get_district(&a).await.unwrap_err();
    assert!(matches!(err, Error::Unauthenticated { .. }), "{err:?}");
    let again = admin.revoke_api_key(&key.id).await.unwrap();
    assert_eq!(
        again.revoke_time, revoked.revoke_time,
        "the first time stays"
    );
    let err = admin.revoke_api_key("4242").await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn s2_1_audit_events_are_listed_and_filtered_by_district() {
    let server = TestServer::start().await;
    let a = server.district("A").await;
    let b = server.district("B").await;
    let admin_key = server.key(ServerRole::Admin, &[]).await;
    let admin = server.client_with(&admin_key).await;
    let (operator_key, secret) = admin
        .create_api_key(NewApiKey {
            district_ids: vec![a.clone()],
            ..NewApiKey::new("lakeview-portal", ApiKeyRole::Operator)
        })
        .await
        .unwrap();
    let operator = client_acting(&server, secret.expose(), "jane@lakeview.example.org").await;
    let school = operator
        .create_school(&a, "Lakeview Elementary", None)
        .await
        .unwrap();
    operator
        .list_schools(&a)
        .try_collect::<Vec<_>>()
        .await
        .unwrap();

    let all: Vec<AuditEvent> = admin
        .list_audit_events(AuditFilter::default())
        .try_collect()
        .await
        .unwrap();
    let methods: Vec<&str> = all.iter().map(|e| e.method.as_str()).collect();
    assert_eq!(
        methods,
        [
            "/roster.v1.DirectoryService/CreateSchool",
            "/roster.v1.AccessService/CreateApiKey",
            "/roster.v1.DirectoryService/CreateDistrict",
            "/roster.v1.DirectoryService/CreateDistrict",
        ],
        "newest first, reads not audited"
    );
    let created = &all[0];
    assert_eq!(created.key_id.as_deref(), Some(operator_key.id.as_str()));
    assert_eq!(created.actor.as_deref(), Some("jane@lakeview.example.org"));
    assert_eq!(created.district_id.as_deref(), Some(a.as_str()));
    assert_eq!(created.target_id.as_deref(), Some(school.id.as_str()));
    let key_event = &all[1];
    assert_eq!(
        key_event.target_id.as_deref(),
        Some(operator_key.id.as_str())
    );
    assert_eq!(key_event.district_id, None);
    assert!(key_event.changed_fields.iter().any(|f| f == "role"));
    assert!(
        !format!("{all:?}").contains(secret.expose()),
        "never a secret"
    );
    assert_eq!(all[3].key_id, None, "made before any key existed");

    let of_a = audit(
        &admin,
        AuditFilter {
            district_id: Some(a.clone()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(of_a.len(), 2, "{of_a:?}");
    assert!(of_a.iter().all(|e| e.district_id.as_deref() == Some(&a)));
    let of_key = audit(
        &admin,
        AuditFilter {
            key_id: Some(operator_key.id.clone()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(of_key, std::slice::from_ref(created));
    let at = created.time.expect("a time");
    let since = audit(
        &admin,
        AuditFilter {
            start_time: Some(at),
            ..Default::default()
        },
    )
    .await;
    assert!(since.contains(created) && since.iter().all(|e| e.time >= Some(at)));
    let until = audit(
        &admin,
        AuditFilter {
            end_time: Some(at),
            ..Default::default()
        },
    )
    .await;
    assert!(!until.contains(created) && until.iter().all(|e| e.time < Some(at)));
    let page = admin
        .list_audit_events_page(&AuditFilter::default(), PageRequest::first(3))
        .await
        .unwrap();
    assert_eq!(page.items, all[..3]);
    assert!(page.next_page_token.is_some());

    // Operators read the events of their districts only.
    let theirs: Vec<AuditEvent> = operator
        .list_audit_events(AuditFilter::default())
        .try_collect()
        .await
        .unwrap();
    assert!(
        !theirs.is_empty() && theirs.iter().all(|e| e.district_id.as_deref() == Some(&a)),
        "{theirs:?}"
    );
    let err = operator
        .list_audit_events(AuditFilter {
            district_id: Some(b.clone()),
            ..Default::default()
        })
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PermissionDenied { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn s6_1_erase_person_through_the_client_leaves_a_suppression_that_can_be_lifted() {
    let server = TestServer::start().await;
    let district = server.district("Springfield").await;
    let admin = admin(&server).await;
    let key = |role| NewApiKey {
        district_ids: vec![district.clone()],
        ..NewApiKey::new(format!("{role}"), role)
    };
    let (_, operator) = admin
        .create_api_key(key(ApiKeyRole::Operator))
        .await
        .unwrap();
    let (_, reader) = admin.create_api_key(key(ApiKeyRole::Reader)).await.unwrap();
    let operator = server.client_with(operator.expose()).await;
    let reader = server.client_with(reader.expose()).await;
    sync_springfield(&server, &operator, &district).await;

    let schools: Vec<_> = operator
        .list_schools(&district)
        .try_collect()
        .await
        .unwrap();
    let school = schools
        .iter()
        .find(|s| s.name == "Springfield Elementary")
        .expect("the synced school");
    let students: Vec<_> = operator
        .list_students(&school.id, StatusFilter::All)
        .try_collect()
        .await
        .unwrap();
    let bart = students
        .iter()
        .find(|s| s.given_name == "Bart")
        .expect("Bart");

    let err = reader.erase_person(&bart.id).await.unwrap_err();
    assert!(matches!(err, Error::PermissionDenied { .. }), "{err:?}");
    let suppression = operator
        .erase_person(&bart.id)
        .await
        .unwrap()
        .expect("a synced student leaves a suppression");
    assert_eq!(suppression.source_id, "stu-bart");
    assert_eq!(suppression.record_kind, RecordKind::Student);
    assert_eq!(suppression.district_id, district);
    let err = operator.get_student(&bart.id).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    let err = operator.erase_person(&bart.id).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    let listed: Vec<Suppression> = reader
        .list_suppressions(&district)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed, std::slice::from_ref(&suppression));
    let page = reader
        .list_suppressions_page(&district, PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!((page.items.len(), page.next_page_token), (1, None));

    // The source still lists Bart: the next sync does not bring him back.
    let again = sync_springfield(&server, &operator, &district).await;
    assert_eq!(
        again.counts_for(RecordKind::Student).map(|c| c.created),
        Some(0)
    );

    let err = reader.lift_suppression(&suppression.id).await.unwrap_err();
    assert!(matches!(err, Error::PermissionDenied { .. }), "{err:?}");
    operator.lift_suppression(&suppression.id).await.unwrap();
    let listed: Vec<Suppression> = reader
        .list_suppressions(&district)
        .try_collect()
        .await
        .unwrap();
    assert!(listed.is_empty(), "{listed:?}");
    let err = operator
        .lift_suppression(&suppression.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    let back = sync_springfield(&server, &operator, &district).await;
    assert_eq!(
        back.counts_for(RecordKind::Student).map(|c| c.created),
        Some(1)
    );

    // A manual person has no source id: erased, with nothing to suppress.
    let manual = operator
        .create_guardian(NewGuardian {
            district_id: district.clone(),
            given_name: "Ned".into(),
            family_name: "Flanders".into(),
            email: Some("ned@example.org".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(operator.erase_person(&manual.id).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn s6_2_erase_district_needs_its_name() {
    let server = TestServer::start().await;
    let gone = server.district("Closing District").await;
    let kept = server.district("Kept District").await;
    let admin = admin(&server).await;
    sync_springfield(&server, &admin, &gone).await;
    sync_springfield(&server, &admin, &kept).await;
    let (_, operator) = admin
        .create_api_key(NewApiKey {
            district_ids: vec![gone.clone()],
            ..NewApiKey::new("closing-operator", ApiKeyRole::Operator)
        })
        .await
        .unwrap();
    let operator = server.client_with(operator.expose()).await;

    let err = operator
        .erase_district(&gone, "Closing District")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PermissionDenied { .. }), "{err:?}");
    for wrong in ["Closing", "closing district", "Kept District", ""] {
        let err = admin.erase_district(&gone, wrong).await.unwrap_err();
        assert!(
            err.violations()
                .iter()
                .any(|v| v.field == "confirm_display_name"),
            "{wrong:?}: {err:?}"
        );
    }
    assert_eq!(
        admin.get_district(&gone).await.unwrap().id,
        gone,
        "still there"
    );

    let erased = admin
        .erase_district(&gone, "Closing District")
        .await
        .unwrap();
    assert_eq!(erased.district_id, gone);
    assert_eq!(erased.removed_from("students"), 5);
    assert_eq!(erased.removed_from("districts"), 1);
    assert!(erased.removed_from("sync_runs") >= 1);
    assert!(erased.total() > 5 + 1);
    let err = admin.get_district(&gone).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    let err = admin
        .erase_district(&gone, "Closing District")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");

    // Another district is untouched.
    let schools: Vec<_> = admin.list_schools(&kept).try_collect().await.unwrap();
    let mut students = 0;
    for school in &schools {
        students += admin
            .list_students(&school.id, StatusFilter::All)
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .len();
    }
    assert_eq!(students, 5);
}
