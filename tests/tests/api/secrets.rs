//! Source secrets (S3): sealed at rest under a key the database does not hold, never
//! returned, and a URL carrying credentials is refused.

use roster_client::pb;
use roster_e2e::mock_clever::{self, MockClever, TOKEN};
use roster_e2e::roster::springfield;
use roster_e2e::{TestServer, assert_invalid, exec_sql};

/// Everything the database holds, as text: a dump.
async fn dump(server: &TestServer) -> Vec<u8> {
    if server.db.is_mysql() {
        let name = server.db.url.rsplit('/').next().unwrap().to_owned();
        let out = std::process::Command::new("mysqldump")
            .args(["-uroot", "-h127.0.0.1", "--skip-extended-insert", &name])
            .output()
            .expect("mysqldump runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    } else {
        let path = server.db.url.trim_start_matches("sqlite://").to_owned();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
        bytes
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

// S3.1, S3.2: a secret set through the API is sealed: a dump of the database does not
// hold it, the API does not return it, and a run still uses it.
#[tokio::test(flavor = "multi_thread")]
async fn s3_1_a_database_dump_holds_no_secret() {
    let server = TestServer::start().await;
    let mock = mock_clever::start(springfield(), MockClever::default()).await;
    let district = server.district("D").await;
    server.use_clever(&district, &mock.base_url, TOKEN).await;
    let settings = server
        .sync()
        .get_sync_settings(pb::GetSyncSettingsRequest {
            district_id: district.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!format!("{settings:?}").contains(TOKEN));
    let run = server
        .wait(
            &server
                .sync()
                .start_sync(pb::StartSyncRequest {
                    district_id: district.clone(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
                .run
                .unwrap()
                .run_id,
        )
        .await;
    assert_eq!(
        run.state,
        pb::SyncState::Succeeded as i32,
        "{}",
        run.error_message
    );
    assert!(
        !contains(&dump(&server).await, TOKEN),
        "the dump shows the secret"
    );
}

// S3.1: a secret the previous release stored in plain text is sealed by this release's
// first start, kept plain for that release until the rollout is finished, and keeps
// working throughout.
#[tokio::test(flavor = "multi_thread")]
async fn s3_1_a_plain_secret_of_the_previous_release_is_sealed_not_lost() {
    let server = TestServer::start().await;
    let mock = mock_clever::start(springfield(), MockClever::default()).await;
    let district = server.district("D").await;
    let source = format!(r#"{{"kind":"clever","base_url":"{}"}}"#, mock.base_url);
    exec_sql(
        &server.store(),
        &format!(
            "INSERT INTO sync_settings (district_id, source, source_secret, update_active_users, \
             abandoned_family_policy, abandon_threshold_percent, default_phone_region, \
             schedule_kind, schedule_interval_minutes, schedule_daily_time, schedule_time_zone, \
             next_scheduled_at, updated_at) VALUES ({district}, '{source}', '{TOKEN}', FALSE, \
             'soft', 20, 'US', 'off', 0, '', '', NULL, '2026-01-01 00:00:00')"
        ),
    )
    .await;
    // The next release starts on this database (with the same data directory: its key).
    let mut config = roster_server::config::ServeConfig::for_database(&server.db.url);
    config.data_dir = server.files.join("data");
    config.allow_source_hosts = vec!["127.0.0.1".into()];
    let second = roster_server::server::start(config).await.unwrap();
    let client = roster_client::RosterClient::connect(format!("http://{}", second.addr))
        .await
        .unwrap();
    let run = client
        .start_sync(roster_client::StartSync::new(&district))
        .await
        .unwrap()
        .wait(std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        run.state,
        roster_client::SyncState::Succeeded,
        "{:?}",
        run.error_message
    );
    assert!(
        contains(&dump(&server).await, TOKEN),
        "kept plain for the previous release"
    );
    let store = server.store();
    roster_server::store::queries::settings::drop_plain(&mut store.conn().await.unwrap())
        .await
        .unwrap();
    assert!(
        !contains(&dump(&server).await, TOKEN),
        "gone once the rollout is finished"
    );
    let again = client
        .start_sync(roster_client::StartSync::new(&district))
        .await
        .unwrap()
        .wait(std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        again.state,
        roster_client::SyncState::Succeeded,
        "the sealed secret works"
    );
    second.shutdown().await.unwrap();
}

// S3.2: a source URL with credentials in it is refused.
#[tokio::test(flavor = "multi_thread")]
async fn s3_2_a_url_with_credentials_is_refused() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let err = server
        .sync()
        .update_sync_settings(pb::UpdateSyncSettingsRequest {
            settings: Some(pb::SyncSettings {
                district_id: district,
                source: Some(pb::SyncSource {
                    kind: Some(pb::sync_source::Kind::Clever(pb::Clever {
                        base_url: "https://user:pass@api.clever.com".into(),
                        district_token: "t".into(),
                        district_token_set: false,
                    })),
                }),
                ..Default::default()
            }),
            update_mask: Some(roster_client::prost_types::FieldMask {
                paths: vec!["source".into()],
            }),
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "settings.source.clever.base_url");
}
