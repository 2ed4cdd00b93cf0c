//! Reviewed plans (R9.1): runs awaiting approval, their planned changes, approval and
//! rejection, through the typed client.
//!
//! Not wired in yet: add `mod plans;` to `client/tests/client/main.rs` once the server
//! serves ListPlannedChanges, ApproveSync and RejectSync.

use super::*;
use roster_client::{AttentionReason, PlannedChangeAction, PlannedChangeFilter, SyncTrigger};
use std::time::SystemTime;

/// A district syncing Springfield from a CSV folder, with `require_approval` on.
async fn approving_district(server: &TestServer, client: &RosterClient) -> String {
    let district = client.create_district("Springfield").await.unwrap().id;
    let settings = client
        .update_sync_settings(
            &district,
            SettingsUpdate {
                source: Some(SyncSourceInput::csv_path(server.put_roster(&springfield()))),
                require_approval: Some(true),
                plan_ttl: Some(Duration::from_secs(2 * 3600)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(settings.require_approval);
    assert_eq!(settings.plan_ttl, Duration::from_secs(2 * 3600));
    district
}

#[tokio::test(flavor = "multi_thread")]
async fn r9_1_wait_stops_awaiting_approval_and_approve_applies_the_plan() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let district = approving_district(&server, &client).await;

    // wait returns at AWAITING_APPROVAL rather than running into its timeout.
    let handle = client.start_sync(StartSync::new(&district)).await.unwrap();
    let planned = handle.wait(Duration::from_secs(60)).await.unwrap();
    assert_eq!(planned.state, SyncState::AwaitingApproval, "{planned:?}");
    assert!(!planned.state.is_final() && !planned.state.moves_on());
    assert!(!planned.approved);
    let expires = planned.plan_expire_time.expect("a plan expiry");
    let in_two_hours = SystemTime::now() + Duration::from_secs(2 * 3600);
    assert!(
        expires > SystemTime::now() && expires <= in_two_hours,
        "{expires:?}"
    );
    let health = client.get_sync_health(&district).await.unwrap();
    assert!(
        health
            .attention_reasons
            .contains(&AttentionReason::AwaitingApproval)
    );
    assert!(
        client
            .list_schools(&district)
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .is_empty(),
        "nothing is written before approval"
    );

    // A first sync creates everything: five students among the changes.
    let plan: Vec<_> = client
        .list_planned_changes(&planned.id, PlannedChangeFilter::default())
        .try_collect()
        .await
        .unwrap();
    assert!(plan.iter().all(|c| c.action == PlannedChangeAction::Create));
    assert!(
        plan.iter().all(|c| c.record_id.is_none()),
        "nothing stored yet"
    );
    let lisa = plan
        .iter()
        .find(|c| c.source_id.as_deref() == Some("stu-lisa"))
        .expect("Lisa is planned");
    assert_eq!(lisa.record_kind, RecordKind::Student);
    assert_eq!(lisa.display_name, "Lisa Simpson");
    assert!(lisa.field_changes.iter().all(|f| f.old_value.is_none()));
    let students: Vec<_> = client
        .list_planned_changes(
            &planned.id,
            PlannedChangeFilter {
                record_kind: Some(RecordKind::Student),
                ..Default::default()
            },
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(students.len(), 5);
    let abandons: Vec<_> = client
        .list_planned_changes(
            &planned.id,
            PlannedChangeFilter {
                action: Some(PlannedChangeAction::Abandon),
                ..Default::default()
            },
        )
        .try_collect()
        .await
        .unwrap();
    assert!(abandons.is_empty());
    let page = client
        .list_planned_changes_page(
            &planned.id,
            PlannedChangeFilter::default(),
            PageRequest::first(2),
        )
        .await
        .unwrap();
    assert_eq!(page.items, plan[..2]);
    assert!(page.next_page_token.is_some());

    let applied = client
        .approve_sync(&planned.id, Some("approve-1"))
        .await
        .unwrap()
        .wait(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(applied.state, SyncState::Succeeded, "{applied:?}");
    assert_eq!(applied.id, planned.id, "the same run applies its plan");
    assert!(applied.approved);
    assert_eq!(
        applied.counts_for(RecordKind::Student).map(|c| c.created),
        Some(5)
    );
    // The same request id again returns the run rather than failing.
    let again = client
        .approve_sync(&planned.id, Some("approve-1"))
        .await
        .unwrap();
    assert_eq!(again.id(), planned.id);
}

#[tokio::test(flavor = "multi_thread")]
async fn r9_1_reject_cancels_the_run_and_writes_nothing() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let district = approving_district(&server, &client).await;
    let planned = client
        .start_sync(StartSync::new(&district))
        .await
        .unwrap()
        .wait(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(planned.state, SyncState::AwaitingApproval);

    let rejected = client.reject_sync(&planned.id).await.unwrap();
    assert_eq!(rejected.state, SyncState::Cancelled);
    assert!(!rejected.approved);
    assert!(
        client
            .list_schools(&district)
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .is_empty()
    );
    let err = client.approve_sync(&planned.id, None).await.unwrap_err();
    assert!(matches!(err, Error::FailedPrecondition { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn approving_a_blocked_run_applies_its_abandons() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let district = client.create_district("Springfield").await.unwrap().id;
    let full = springfield();
    let first = client
        .start_sync(StartSync {
            source: Some(SyncSourceInput::csv_path(server.put_roster(&full))),
            ..StartSync::new(&district)
        })
        .await
        .unwrap()
        .wait(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(first.state, SyncState::Succeeded);

    let mut truncated = full.clone();
    for student in ["stu-milhouse", "stu-nelson", "stu-martin"] {
        truncated.remove_user(student);
    }
    let blocked = client
        .start_sync(StartSync {
            source: Some(SyncSourceInput::csv_path(server.put_roster(&truncated))),
            ..StartSync::new(&district)
        })
        .await
        .unwrap()
        .wait(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(blocked.state, SyncState::Blocked);
    assert!(blocked.plan_expire_time.is_some());
    let abandons: Vec<_> = client
        .list_planned_changes(
            &blocked.id,
            PlannedChangeFilter {
                record_kind: Some(RecordKind::Student),
                action: Some(PlannedChangeAction::Abandon),
            },
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(abandons.len(), 3, "{abandons:?}");
    assert!(abandons.iter().all(|c| c.record_id.is_some()));

    let applied = client
        .approve_sync(&blocked.id, None)
        .await
        .unwrap()
        .wait(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(applied.state, SyncState::Succeeded, "{applied:?}");
    let abandoned: Vec<_> = client
        .list_abandoned_records(
            &district,
            AbandonedFilter {
                record_kind: Some(RecordKind::Student),
                run_id: Some(blocked.id.clone()),
                restored: None,
            },
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(abandoned.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_ttl_out_of_range_is_refused() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let district = client.create_district("Springfield").await.unwrap().id;
    for ttl in [Duration::from_secs(30), Duration::from_secs(31 * 86_400)] {
        let err = client
            .update_sync_settings(
                &district,
                SettingsUpdate {
                    plan_ttl: Some(ttl),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        let fields: Vec<&str> = err.violations().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["settings.plan_ttl"], "{err:?}");
    }
    let settings = client.get_sync_settings(&district).await.unwrap();
    assert!(!settings.require_approval);
    assert_eq!(
        settings.plan_ttl,
        Duration::from_secs(24 * 3600),
        "the default"
    );
}

// R9.2 through the typed client: revert_sync starts the revert run and pauses the
// schedule; an earlier run is refused NOT_LATEST_RUN; resume_schedule ends the pause.
#[tokio::test(flavor = "multi_thread")]
async fn r9_2_revert_sync_undoes_the_latest_run_and_resume_schedule_ends_the_pause() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let district = client.create_district("Springfield").await.unwrap().id;
    let sync = |roster: roster_e2e::roster::Roster| {
        let (client, district, folder) = (&client, &district, server.put_roster(&roster));
        async move {
            let start = StartSync {
                source: Some(SyncSourceInput::csv_path(folder)),
                ..StartSync::new(district)
            };
            client
                .start_sync(start)
                .await
                .unwrap()
                .wait(Duration::from_secs(60))
                .await
                .unwrap()
        }
    };
    let first = sync(springfield()).await;
    let mut more = springfield();
    more.student("stu-ralph", "Ralph", "Wiggum", "sch-1");
    let second = sync(more).await;
    assert_eq!(second.state, SyncState::Succeeded, "{second:?}");

    let err = client.revert_sync(&first.id, None).await.unwrap_err();
    assert_eq!(err.reason(), Some("NOT_LATEST_RUN"), "{err:?}");

    let reverted = client
        .revert_sync(&second.id, Some("revert-1"))
        .await
        .unwrap()
        .wait(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(reverted.state, SyncState::Succeeded, "{reverted:?}");
    assert_eq!(reverted.trigger, SyncTrigger::Revert);
    assert_eq!(
        reverted.reverted_run_id.as_deref(),
        Some(second.id.as_str())
    );
    assert_eq!(
        reverted
            .counts_for(RecordKind::Student)
            .map(|c| c.abandoned),
        Some(1),
        "Ralph, created by the reverted run, is taken back"
    );
    let again = client
        .revert_sync(&second.id, Some("revert-1"))
        .await
        .unwrap();
    assert_eq!(again.id(), reverted.id, "the same request id, the same run");

    let settings = client.get_sync_settings(&district).await.unwrap();
    assert!(settings.schedule_paused);
    let settings = client.resume_schedule(&district).await.unwrap();
    assert!(!settings.schedule_paused);
}
