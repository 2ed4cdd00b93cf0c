//! Runs: handles to watch and wait on, reports, uploads.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn start_sync_returns_a_handle_to_watch_and_wait_on() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let district = client.create_district("Springfield").await.unwrap().id;
    let folder = server.put_roster(&springfield());
    let settings = client
        .update_sync_settings(
            &district,
            SettingsUpdate {
                source: Some(SyncSourceInput::csv_path(folder.as_str())),
                abandon_threshold_percent: Some(50),
                school_abandon_threshold_percent: Some(60),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        settings.source,
        Some(SyncSource::OneRosterCsvPath {
            path: folder.clone()
        })
    );
    assert_eq!(settings.abandon_threshold_percent, 50);
    assert_eq!(settings.school_abandon_threshold_percent, 60);
    assert_eq!(settings.default_phone_region, "US", "other settings keep");

    let handle = client.start_sync(StartSync::new(&district)).await.unwrap();
    assert!(!handle.run().state.is_final());
    let snapshots: Vec<SyncRun> = handle.watch().try_collect().await.unwrap();
    let (last, before) = snapshots.split_last().expect("at least one snapshot");
    assert_eq!(last.state, SyncState::Succeeded, "{last:?}");
    assert!(before.iter().all(|run| !run.state.is_final()));
    assert_eq!(
        last.counts_for(RecordKind::Student).map(|c| c.created),
        Some(5)
    );
    assert!(last.finish_time.is_some());
    let waited = handle.wait(Duration::from_secs(30)).await.unwrap();
    assert_eq!(
        (waited.id.as_str(), waited.state),
        (handle.id(), SyncState::Succeeded)
    );

    // A wait that runs out is a Timeout; the run goes on and a longer wait sees its end.
    let again = client
        .start_sync(StartSync {
            request_id: Some("second".into()),
            ..StartSync::new(&district)
        })
        .await
        .unwrap();
    // No time at all: the wait needs a round trip first, so it cannot be answered in
    // time, however fast the run (a small district syncs in a few milliseconds).
    let err = again.wait(Duration::ZERO).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    let done = again.wait(Duration::from_secs(60)).await.unwrap();
    assert_eq!(done.state, SyncState::Succeeded, "{done:?}");
    assert_eq!(done.request_id.as_deref(), Some("second"));
    let err = again.cancel().await.unwrap_err();
    assert_eq!(err.reason(), Some("RUN_FINISHED"), "{err:?}");

    let runs: Vec<SyncRun> = client
        .list_sync_runs(&district)
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, [again.id(), handle.id()], "newest first");
    let issues: Vec<_> = client
        .list_sync_issues(handle.id(), Default::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(issues.len() as u64, last.issue_count);

    // Contact details of an active sis guardian belong to the sync once Update Active
    // Users is on.
    let school = client
        .list_schools(&district)
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == "Springfield Elementary")
        .expect("synced school");
    let marge = client
        .list_guardians(&school.id, StatusFilter::Active)
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.given_name == "Marge")
        .expect("synced guardian");
    assert_eq!(marge.origin, Origin::Sis);
    client.activate_user(&marge.id).await.unwrap();
    client
        .update_sync_settings(
            &district,
            SettingsUpdate {
                update_active_users: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let err = client
        .update_contact_details(
            &marge.id,
            ContactUpdate {
                email: Some("marge@elsewhere.example.org".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some("CONTACT_MANAGED_BY_SYNC"), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blocked_run_reports_why_and_abandoned_records_list_after_the_override() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let district = client.create_district("Springfield").await.unwrap().id;
    let full = springfield();
    let run = client
        .start_sync(StartSync {
            source: Some(SyncSourceInput::csv_path(server.put_roster(&full))),
            ..StartSync::new(&district)
        })
        .await
        .unwrap()
        .wait(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(run.state, SyncState::Succeeded);

    let mut truncated = full.clone();
    for student in ["stu-milhouse", "stu-nelson", "stu-martin"] {
        truncated.remove_user(student);
    }
    let truncated = SyncSourceInput::csv_path(server.put_roster(&truncated));
    let blocked = client
        .start_sync(StartSync {
            source: Some(truncated.clone()),
            ..StartSync::new(&district)
        })
        .await
        .unwrap()
        .wait(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(blocked.state, SyncState::Blocked);
    let block = blocked.safety_block.expect("why it was blocked");
    assert_eq!(block.threshold_percent, 20);
    assert!(block.abandon_percent > 20.0, "{block:?}");
    let none: Vec<_> = client
        .list_abandoned_records(&district, AbandonedFilter::default())
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty(), "a blocked run writes nothing");

    let applied = client
        .start_sync(StartSync {
            source: Some(truncated),
            override_safety_threshold: true,
            ..StartSync::new(&district)
        })
        .await
        .unwrap()
        .wait(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(applied.state, SyncState::Succeeded);
    let students: Vec<_> = client
        .list_abandoned_records(
            &district,
            AbandonedFilter {
                record_kind: Some(RecordKind::Student),
                run_id: Some(applied.id.clone()),
                restored: Some(false),
            },
        )
        .try_collect()
        .await
        .unwrap();
    assert!(!students.is_empty());
    assert!(students.iter().all(|r| r.record_kind == RecordKind::Student
        && r.run_id == applied.id
        && r.restore_time.is_none()));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_uploaded_folder_is_a_sync_source() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let district = client.create_district("Springfield").await.unwrap().id;
    let folder = server
        .files
        .join("import")
        .join(server.put_roster(&springfield()));
    let upload = client
        .upload_roster_folder(&district, &folder)
        .await
        .unwrap();
    assert!(!upload.upload_id.is_empty());
    assert!(upload.size_bytes > 0);
    let run = client
        .start_sync(StartSync {
            source: Some(SyncSourceInput::upload(upload.upload_id.clone())),
            ..StartSync::new(&district)
        })
        .await
        .unwrap()
        .wait(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(run.state, SyncState::Succeeded, "{run:?}");
    assert_eq!(
        run.source,
        Some(SyncSource::OneRosterCsvUpload {
            upload_id: upload.upload_id
        })
    );
}
