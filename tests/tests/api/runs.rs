//! Runs as a caller drives them: uploads, watching, cancelling, schedules.

use roster_client::pb;
use roster_client::tonic::Code;
use roster_e2e::roster::springfield;
use roster_e2e::{TestServer, assert_invalid, exec_sql, insert_running_run};
use std::io::Write;
use std::time::Duration;
use tokio_stream::StreamExt;

/// The springfield roster as a OneRoster zip, the way a district exports it.
pub(crate) fn roster_zip(server: &TestServer) -> Vec<u8> {
    let folder = server
        .files
        .join("import")
        .join(server.put_roster(&springfield()));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for name in [
        "manifest.csv",
        "orgs.csv",
        "users.csv",
        "classes.csv",
        "enrollments.csv",
    ] {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&std::fs::read(folder.join(name)).unwrap())
            .unwrap();
    }
    zip.finish().unwrap().into_inner()
}

pub(crate) async fn upload(
    server: &TestServer,
    district: &str,
    bytes: &[u8],
) -> Result<pb::UploadRosterArchiveResponse, roster_client::tonic::Status> {
    let messages: Vec<pb::UploadRosterArchiveRequest> = bytes
        .chunks(1000)
        .enumerate()
        .map(|(i, chunk)| pb::UploadRosterArchiveRequest {
            district_id: if i == 0 {
                district.into()
            } else {
                String::new()
            },
            chunk: chunk.to_vec(),
        })
        .collect();
    server
        .sync()
        .upload_roster_archive(tokio_stream::iter(messages))
        .await
        .map(|r| r.into_inner())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_uploaded_zip_is_a_source_and_watch_streams_the_run_to_its_end() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let bytes = roster_zip(&server);
    let uploaded = upload(&server, &district, &bytes).await.unwrap();
    assert_eq!(uploaded.size_bytes, bytes.len() as i64);

    let run = server
        .sync()
        .start_sync(pb::StartSyncRequest {
            district_id: district.clone(),
            source: Some(pb::SyncSource {
                kind: Some(pb::sync_source::Kind::OnerosterCsvUpload(
                    pb::OneRosterCsvUpload {
                        upload_id: uploaded.upload_id.clone(),
                    },
                )),
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .run
        .unwrap();
    let mut stream = server
        .sync()
        .watch_sync(pb::WatchSyncRequest {
            run_id: run.run_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut seen = Vec::new();
    while let Some(update) = stream.next().await {
        seen.push(update.unwrap().run.unwrap());
    }
    let last = seen.last().expect("at least one snapshot");
    assert_eq!(
        last.state,
        pb::SyncState::Succeeded as i32,
        "the stream ends at the final state"
    );
    assert!(
        seen.windows(2).all(|w| w[0] != w[1]),
        "only changes are sent"
    );
    assert_eq!(TestServer::counts(last, pb::RecordKind::Student).created, 5);

    // Another district cannot use this upload.
    let other = server.district("Other").await;
    let err = server
        .sync()
        .start_sync(pb::StartSyncRequest {
            district_id: other,
            source: Some(pb::SyncSource {
                kind: Some(pb::sync_source::Kind::OnerosterCsvUpload(
                    pb::OneRosterCsvUpload {
                        upload_id: uploaded.upload_id,
                    },
                )),
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_are_size_limited_and_need_a_district() {
    let server = TestServer::start_with(|c| c.max_upload_bytes = 2048).await;
    let district = server.district("D").await;
    let err = upload(&server, &district, &[7u8; 5000]).await.unwrap_err();
    assert_invalid(&err, "chunk");
    let err = upload(&server, "", b"PK").await.unwrap_err();
    assert_invalid(&err, "district_id");

    // Not a zip: the run fails with a clear message and writes nothing.
    let up = upload(&server, &district, b"this is not a zip archive")
        .await
        .unwrap();
    let run = server
        .sync()
        .start_sync(pb::StartSyncRequest {
            district_id: district.clone(),
            source: Some(pb::SyncSource {
                kind: Some(pb::sync_source::Kind::OnerosterCsvUpload(
                    pb::OneRosterCsvUpload {
                        upload_id: up.upload_id,
                    },
                )),
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .run
        .unwrap();
    let run = server.wait(&run.run_id).await;
    assert_eq!(run.state, pb::SyncState::Failed as i32);
    assert!(
        run.error_message.contains("not a zip"),
        "{}",
        run.error_message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_district_without_a_source_cannot_start_a_run() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let err = server
        .sync()
        .start_sync(pb::StartSyncRequest {
            district_id: district,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    let err = server
        .sync()
        .get_sync_status(pb::GetSyncStatusRequest { run_id: "5".into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = server
        .sync()
        .list_sync_issues(pb::ListSyncIssuesRequest {
            run_id: "x".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "run_id");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_due_schedule_starts_a_scheduled_run_of_the_configured_source() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let folder = server.put_roster(&springfield());
    server
        .set(
            pb::SyncSettings {
                district_id: district.clone(),
                source: Some(pb::SyncSource {
                    kind: Some(pb::sync_source::Kind::OnerosterCsvPath(
                        pb::OneRosterCsvPath { path: folder },
                    )),
                }),
                schedule: Some(pb::SyncSchedule {
                    kind: pb::ScheduleKind::Interval as i32,
                    interval_minutes: 60,
                    ..Default::default()
                }),
                ..Default::default()
            },
            &["source", "schedule"],
        )
        .await;
    // Make the next scheduled time already past instead of waiting an hour.
    exec_sql(&server.store(), &format!("UPDATE sync_settings SET next_scheduled_at = '2020-01-01 00:00:00' WHERE district_id = {district}")).await;
    for _ in 0..200 {
        let runs = server
            .sync()
            .list_sync_runs(pb::ListSyncRunsRequest {
                district_id: district.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .runs;
        if let Some(run) = runs.first() {
            assert_eq!(run.trigger, pb::SyncTrigger::Scheduled as i32);
            let run = server.wait(&run.run_id).await;
            assert_eq!(run.state, pb::SyncState::Succeeded as i32);
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no scheduled run started");
}

// R7.6: a run left RUNNING by a process that died (here one of the previous release,
// which kept only a heartbeat) is taken over and ends true: applied once.
#[tokio::test(flavor = "multi_thread")]
async fn r7_6_a_run_left_running_by_a_dead_process_is_taken_over() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let folder = server.put_roster(&springfield());
    insert_running_run(
        &server.store(),
        9000000000000000001,
        &district,
        "2020-01-01 00:00:00",
    )
    .await;
    let source = format!(r#"{{"kind":"one_roster_csv_path","path":"{folder}"}}"#);
    exec_sql(
        &server.store(),
        &format!("UPDATE sync_runs SET source = '{source}' WHERE id = 9000000000000000001"),
    )
    .await;
    let run = server.wait("9000000000000000001").await;
    assert_eq!(
        run.state,
        pb::SyncState::Succeeded as i32,
        "{}",
        run.error_message
    );
    let created = run.counts.iter().map(|c| c.created).sum::<i64>();
    assert!(created > 0, "the taken-over run applied its plan");
}

// R7.6: a run whose servers kept dying on it is failed, not retried for ever; the
// district is free again.
#[tokio::test(flavor = "multi_thread")]
async fn r7_6_a_run_interrupted_too_often_is_failed_and_frees_the_district() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    insert_running_run(
        &server.store(),
        9000000000000000001,
        &district,
        "2020-01-01 00:00:00",
    )
    .await;
    exec_sql(
        &server.store(),
        "UPDATE sync_runs SET attempts = 3 WHERE id = 9000000000000000001",
    )
    .await;
    let run = server.wait("9000000000000000001").await;
    assert_eq!(run.state, pb::SyncState::Failed as i32);
    assert!(
        run.error_message.contains("interrupted")
            && run.error_message.contains("nothing was applied"),
        "{}",
        run.error_message
    );
    let folder = server.put_roster(&springfield());
    let next = server
        .wait(
            &server
                .start_sync(&district, &folder, false, false)
                .await
                .run_id,
        )
        .await;
    assert_eq!(next.state, pb::SyncState::Succeeded as i32);
}

// R1.1: a district's settings cannot name another district's upload.
#[tokio::test(flavor = "multi_thread")]
async fn settings_cannot_name_another_districts_upload() {
    let server = TestServer::start().await;
    let owner = server.district("Owner").await;
    let other = server.district("Other").await;
    let uploaded = upload(&server, &owner, &roster_zip(&server)).await.unwrap();
    let err = server
        .sync()
        .update_sync_settings(pb::UpdateSyncSettingsRequest {
            settings: Some(pb::SyncSettings {
                district_id: other,
                source: Some(pb::SyncSource {
                    kind: Some(pb::sync_source::Kind::OnerosterCsvUpload(
                        pb::OneRosterCsvUpload {
                            upload_id: uploaded.upload_id,
                        },
                    )),
                }),
                ..Default::default()
            }),
            update_mask: Some(roster_client::prost_types::FieldMask {
                paths: vec!["source".into()],
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}
