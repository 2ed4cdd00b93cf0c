//! Sync health (GetSyncHealth, ListSyncHealth): which districts need attention, and why.

use roster_client::pb;
use roster_e2e::lookup::settings;
use roster_e2e::roster::springfield;
use roster_e2e::{TestServer, exec_sql};
use roster_server::domain::ApiKeyRole;

async fn health(server: &TestServer, district: &str) -> pb::SyncHealth {
    server
        .sync()
        .get_sync_health(pb::GetSyncHealthRequest {
            district_id: district.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .health
        .unwrap()
}

fn reasons(h: &pb::SyncHealth) -> Vec<pb::AttentionReason> {
    h.attention_reasons
        .iter()
        .map(|r| pb::AttentionReason::try_from(*r).unwrap())
        .collect()
}

/// A district whose configured CSV folder is missing: its runs fail.
async fn failing(server: &TestServer, name: &str) -> String {
    let district = server.district(name).await;
    server
        .set(
            pb::SyncSettings {
                source: Some(pb::SyncSource {
                    kind: Some(pb::sync_source::Kind::OnerosterCsvPath(
                        pb::OneRosterCsvPath {
                            path: "no-such-folder".into(),
                        },
                    )),
                }),
                ..settings(&district)
            },
            &["source"],
        )
        .await;
    for _ in 0..2 {
        let run = server
            .sync()
            .start_sync(pb::StartSyncRequest {
                district_id: district.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .run
            .unwrap();
        assert_eq!(
            server.wait(&run.run_id).await.state,
            pb::SyncState::Failed as i32
        );
    }
    district
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_health_says_which_districts_need_attention_and_why() {
    let server = TestServer::start().await;
    let healthy = server.district("Healthy").await;
    server.sync_ok(&healthy, &springfield()).await;
    let broken = failing(&server, "Broken").await;
    let blocked = server.district("Blocked").await;
    server.sync_ok(&blocked, &springfield()).await;
    let mut small = springfield();
    small.users.retain(|u| u.role != "student");
    let run = server.sync_roster(&blocked, &small).await;
    assert_eq!(run.state, pb::SyncState::Blocked as i32);
    // Scheduled daily since long ago, never synced.
    let stale = server.district("Stale").await;
    server
        .set(
            pb::SyncSettings {
                schedule: Some(pb::SyncSchedule {
                    kind: pb::ScheduleKind::Daily as i32,
                    daily_time: "06:00".into(),
                    time_zone: "UTC".into(),
                    ..Default::default()
                }),
                ..settings(&stale)
            },
            &["schedule"],
        )
        .await;
    exec_sql(
        &server.store(),
        &format!("UPDATE districts SET created_at = '2026-01-01 00:00:00' WHERE id = {stale}"),
    )
    .await;

    let h = health(&server, &healthy).await;
    assert!(!h.needs_attention, "{h:?}");
    assert_eq!(h.last_run_state, pb::SyncState::Succeeded as i32);
    assert!(h.last_success_time.is_some() && h.consecutive_failures == 0);

    let h = health(&server, &broken).await;
    assert_eq!(reasons(&h), [pb::AttentionReason::LastRunFailed]);
    assert_eq!(h.consecutive_failures, 2);
    assert!(h.last_error_message.contains("no-such-folder"), "{h:?}");
    assert!(h.last_success_time.is_none());

    let h = health(&server, &blocked).await;
    assert_eq!(reasons(&h), [pb::AttentionReason::LastRunBlocked]);
    assert_eq!(h.consecutive_failures, 1);

    let h = health(&server, &stale).await;
    assert_eq!(reasons(&h), [pb::AttentionReason::NoRecentSuccess]);
    assert!(h.next_scheduled_time.is_some());

    // The list, filtered and paged one at a time.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = server
            .sync()
            .list_sync_health(pb::ListSyncHealthRequest {
                page_size: 1,
                page_token: token.clone(),
                needs_attention: true,
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.districts.into_iter().map(|d| d.display_name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, ["Broken", "Blocked", "Stale"]);

    // A key for one district sees that district only.
    let key = server.key(ApiKeyRole::Reader, &[&healthy]).await;
    let reader = server.client_with(&key).await;
    let mine = reader
        .list_sync_health_page(false, Default::default())
        .await
        .unwrap();
    let names: Vec<&str> = mine.items.iter().map(|h| h.display_name.as_str()).collect();
    assert_eq!(names, ["Healthy"]);
    let refused = reader.get_sync_health(&broken).await.unwrap_err();
    assert!(
        matches!(refused, roster_client::Error::PermissionDenied { .. }),
        "{refused:?}"
    );
    server.stop().await;
}
