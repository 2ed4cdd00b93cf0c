//! Several servers on one database racing StartSync, CancelSync and schedules over
//! several districts: every run applied at most once, none stuck, every final state
//! true (R7.4, R7.6). With `ROSTER_TEST_GALERA_URLS`, each server talks to its own node
//! of a multi-primary cluster.

use crate::harness::*;
use roster_proto::v1 as pb;
use std::time::Duration;

const DISTRICTS: usize = 6;
const SERVERS: usize = 3;
const STUDENTS: usize = 40;

#[tokio::test(flavor = "multi_thread")]
async fn r7_4_replicas_racing_start_cancel_and_schedules_apply_each_run_once() {
    let db = Database::new().await;
    let files = Files::new();
    // Started together on an empty database: they race the migrations too.
    let servers: Vec<Server> = (0..SERVERS)
        .map(|n| Server::start(db.url(n), &files, "3s"))
        .collect();
    let mut districts = Vec::new();
    for d in 0..DISTRICTS {
        write_roster(&files, &format!("d{d}"), STUDENTS, 1);
        districts.push(district(&servers[d % SERVERS], &format!("D{d}"), &format!("d{d}")).await);
    }
    // Two districts get a schedule that is already due: every server's scheduler sees it.
    let store = db.store();
    for district in &districts[..2] {
        servers[0]
            .sync()
            .await
            .update_sync_settings(pb::UpdateSyncSettingsRequest {
                settings: Some(pb::SyncSettings {
                    district_id: district.clone(),
                    schedule: Some(pb::SyncSchedule {
                        kind: pb::ScheduleKind::Interval as i32,
                        interval_minutes: 600,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["schedule".into()],
                }),
            })
            .await
            .unwrap();
        exec(
            &store,
            &format!(
                "UPDATE sync_settings SET next_scheduled_at = '2020-01-01 00:00:00' \
                 WHERE district_id = {district}"
            ),
        )
        .await;
    }
    // Every server starts every district, some with one request id twice; some runs are
    // cancelled as soon as they exist.
    let mut calls = Vec::new();
    for (d, district) in districts.iter().enumerate() {
        for (n, server) in servers.iter().enumerate() {
            let (endpoint, district) = (server.endpoint.clone(), district.clone());
            let request_id = if n < 2 {
                "same".to_owned()
            } else {
                String::new()
            };
            let cancel = d % 3 == 2 && n == 1;
            calls.push(tokio::spawn(async move {
                race(&endpoint, &district, &request_id, cancel).await
            }));
        }
    }
    for call in calls {
        call.await.unwrap();
    }
    for (d, district) in districts.iter().enumerate() {
        let server = &servers[d % SERVERS];
        let mut runs = settle(server, district, Duration::from_secs(120)).await;
        if d < 2 {
            // Deferred while another run was active, the schedule fires once that ends.
            for _ in 0..100 {
                if runs
                    .iter()
                    .any(|r| r.trigger == pb::SyncTrigger::Scheduled as i32)
                {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                runs = settle(server, district, Duration::from_secs(120)).await;
            }
            runs = settle(server, district, Duration::from_secs(120)).await;
        }
        check(&store, district, &runs, d < 2).await;
    }
}

/// StartSync through one server, then maybe CancelSync of what it got.
async fn race(endpoint: &str, district: &str, request_id: &str, cancel: bool) {
    let mut sync = pb::sync_service_client::SyncServiceClient::connect(endpoint.to_owned())
        .await
        .unwrap();
    let started = sync
        .start_sync(pb::StartSyncRequest {
            district_id: district.into(),
            request_id: request_id.into(),
            ..Default::default()
        })
        .await;
    match started {
        Ok(run) if cancel => {
            let run = run.into_inner().run.unwrap();
            let _ = sync
                .cancel_sync(pb::CancelSyncRequest { run_id: run.run_id })
                .await;
        }
        Ok(_) => {}
        // On a multi-primary Galera cluster two nodes may certify the same district's
        // insert at once; the loser's server tries again and answers as one server would.
        Err(status) => assert_eq!(
            status.code(),
            tonic::Code::AlreadyExists,
            "only a second active run is refused: {status:?}"
        ),
    }
}

/// What the runs of one district must show once they all ended.
async fn check(
    store: &roster_server::store::Store,
    district: &str,
    runs: &[pb::SyncRun],
    scheduled: bool,
) {
    let succeeded: Vec<_> = runs
        .iter()
        .filter(|r| r.state == pb::SyncState::Succeeded as i32)
        .collect();
    assert!(
        runs.iter().all(|r| r.state != pb::SyncState::Failed as i32),
        "no run fails: {runs:#?}"
    );
    let created: i64 = succeeded
        .iter()
        .map(|r| created(r, pb::RecordKind::Student))
        .sum();
    let stored = students(store, district).await;
    if succeeded.is_empty() {
        assert_eq!(stored, 0, "cancelled runs wrote nothing");
    } else {
        assert_eq!(
            created, STUDENTS as i64,
            "the students were created once: {runs:#?}"
        );
        assert_eq!(stored, STUDENTS as i64);
    }
    let by_schedule = runs
        .iter()
        .filter(|r| r.trigger == pb::SyncTrigger::Scheduled as i32)
        .count();
    assert_eq!(
        by_schedule,
        usize::from(scheduled),
        "a due schedule fires once: {runs:#?}"
    );
}
