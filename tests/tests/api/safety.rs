//! Safety (R7): nothing written before the source is read whole, the abandon threshold,
//! dry runs, one active run per district.

use roster_client::pb;
use roster_client::tonic::Code;
use roster_e2e::lookup::*;
use roster_e2e::roster::{Roster, springfield};
use roster_e2e::{TestServer, insert_running_run};

// R7.4: syncing the same source again changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn r7_4_a_resync_of_an_unchanged_source_changes_nothing() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    server.sync_ok(&district, &springfield()).await;
    let again = server.sync_ok(&district, &springfield()).await;
    for c in &again.counts {
        assert_eq!(
            (c.created, c.updated, c.abandoned, c.restored),
            (0, 0, 0, 0),
            "{c:?}"
        );
    }
    assert_eq!(counts(&again, Kind::Student).unchanged, 5);
    assert!(abandoned(&server, &district).await.is_empty());
}

// R7.2: a run abandoning more than the threshold is BLOCKED and writes nothing; started
// again with the override it applies.
#[tokio::test(flavor = "multi_thread")]
async fn r7_2_a_run_over_the_threshold_is_blocked_until_overridden() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let full = springfield();
    server.sync_ok(&district, &full).await;
    let mut truncated = full.clone();
    truncated.remove_user("stu-bart").remove_user("stu-lisa");
    let blocked = server.sync_roster(&district, &truncated).await;
    assert_eq!(blocked.state, pb::SyncState::Blocked as i32);
    let block = blocked.safety_block.expect("safety block");
    assert_eq!(block.threshold_percent, 20);
    assert!(block.abandon_percent > 20.0, "{block:?}");
    assert!(
        block.school_id.is_empty(),
        "the district's threshold, no school's"
    );
    let sch1 = school_id(&server, "sch-1").await;
    assert_eq!(
        students(&server, &sch1, pb::StatusFilter::Active)
            .await
            .len(),
        4,
        "nothing written"
    );
    assert!(abandoned(&server, &district).await.is_empty());

    let folder = server.put_roster(&truncated);
    let run = server.start_sync(&district, &folder, false, true).await;
    let run = server.wait(&run.run_id).await;
    assert_eq!(run.state, pb::SyncState::Succeeded as i32);
    assert_eq!(
        students(&server, &sch1, pb::StatusFilter::Active)
            .await
            .len(),
        2
    );
}

// R7.3: a dry run reports the plan and writes no roster data.
#[tokio::test(flavor = "multi_thread")]
async fn r7_3_a_dry_run_reports_the_plan_and_writes_nothing() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let folder = server.put_roster(&springfield());
    let run = server.start_sync(&district, &folder, true, false).await;
    assert!(run.dry_run);
    let run = server.wait(&run.run_id).await;
    assert_eq!(run.state, pb::SyncState::Succeeded as i32);
    assert_eq!(counts(&run, Kind::Student).created, 5);
    let schools = server
        .dir()
        .list_schools(pb::ListSchoolsRequest {
            district_id: district.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .schools;
    assert!(schools.is_empty(), "no roster data written");
}

// R7.4: one active run per district; the same request id returns the same run.
#[tokio::test(flavor = "multi_thread")]
async fn r7_4_one_active_run_per_district_and_idempotent_requests() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let folder = server.put_roster(&springfield());
    let request = || pb::StartSyncRequest {
        district_id: district.clone(),
        source: Some(pb::SyncSource {
            kind: Some(pb::sync_source::Kind::OnerosterCsvPath(
                pb::OneRosterCsvPath {
                    path: folder.clone(),
                },
            )),
        }),
        request_id: "req-42".into(),
        ..Default::default()
    };
    let first = server
        .sync()
        .start_sync(request())
        .await
        .unwrap()
        .into_inner()
        .run
        .unwrap();
    let again = server
        .sync()
        .start_sync(request())
        .await
        .unwrap()
        .into_inner()
        .run
        .unwrap();
    assert_eq!(first.run_id, again.run_id);
    server.wait(&first.run_id).await;

    // A run another server process holds RUNNING (fresh heartbeat) blocks a second one.
    insert_running_run(
        &server.store(),
        9000000000000000007,
        &district,
        "2099-01-01 00:00:00",
    )
    .await;
    let err = server
        .sync()
        .start_sync(pb::StartSyncRequest {
            request_id: String::new(),
            ..request()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert!(
        err.message().contains(" 9000000000000000007 "),
        "names the active run: {}",
        err.message()
    );

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
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].run_id, "9000000000000000007", "newest first");
    assert_eq!(runs[1].run_id, first.run_id);
    let err = server
        .sync()
        .cancel_sync(pb::CancelSyncRequest {
            run_id: first.run_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::FailedPrecondition,
        "a finished run cannot be cancelled"
    );
}

// R7.1: a source that cannot be read fails the run and writes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn r7_1_an_unreadable_source_fails_the_run_and_writes_nothing() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let folder = server.put_roster(&springfield());
    std::fs::remove_file(
        server
            .files
            .join("import")
            .join(&folder)
            .join("manifest.csv"),
    )
    .unwrap();
    let run = server.start_sync(&district, &folder, false, false).await;
    let run = server.wait(&run.run_id).await;
    assert_eq!(run.state, pb::SyncState::Failed as i32);
    assert!(
        run.error_message.contains("manifest.csv"),
        "{}",
        run.error_message
    );
    let schools = server
        .dir()
        .list_schools(pb::ListSchoolsRequest {
            district_id: district.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .schools;
    assert!(schools.is_empty());

    let escape = server
        .sync()
        .start_sync(pb::StartSyncRequest {
            district_id: district.clone(),
            source: Some(pb::SyncSource {
                kind: Some(pb::sync_source::Kind::OnerosterCsvPath(
                    pb::OneRosterCsvPath {
                        path: "../../etc".into(),
                    },
                )),
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(escape.code(), Code::InvalidArgument);
}

/// 180 students in a large school, 20 in a small one, one teacher in each.
fn two_schools() -> roster_e2e::roster::Roster {
    let mut roster = roster_e2e::roster::Roster::default();
    roster
        .school("big", "Big High")
        .school("small", "Small Elementary");
    for (school, n) in [("big", 180), ("small", 20)] {
        roster.teacher(&format!("t-{school}"), "Teacher", school, school);
        for i in 0..n {
            roster.student(
                &format!("s-{school}-{i}"),
                "Student",
                &format!("{i}"),
                school,
            );
        }
    }
    roster
}

// R7.5: a school losing 40% of its students blocks the run although the district loses
// only 4%, and the block names the school; raising the school threshold lets it through.
#[tokio::test(flavor = "multi_thread")]
async fn r7_5_a_school_losing_40_percent_blocks_although_the_district_loses_4() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let full = two_schools();
    server.sync_ok(&district, &full).await;
    let mut truncated = full.clone();
    for i in 0..8 {
        truncated.remove_user(&format!("s-small-{i}"));
    }
    let blocked = server.sync_roster(&district, &truncated).await;
    assert_eq!(blocked.state, pb::SyncState::Blocked as i32);
    let block = blocked.safety_block.expect("safety block");
    let small = school_id(&server, "small").await;
    assert_eq!(block.school_id, small, "the block names the school");
    assert_eq!(block.record_kind, pb::RecordKind::Student as i32);
    assert_eq!((block.abandon_count, block.stored_count), (8, 20));
    assert_eq!(block.threshold_percent, 30);
    assert_eq!(
        students(&server, &small, pb::StatusFilter::Active)
            .await
            .len(),
        20,
        "nothing written"
    );

    server
        .set(
            pb::SyncSettings {
                school_abandon_threshold_percent: 40,
                ..settings(&district)
            },
            &["school_abandon_threshold_percent"],
        )
        .await;
    server.sync_ok(&district, &truncated).await;
    assert_eq!(
        students(&server, &small, pb::StatusFilter::Active)
            .await
            .len(),
        12
    );
}

// R7.5: students moving to another school of the district are no abandonment, however
// many leave one school.
#[tokio::test(flavor = "multi_thread")]
async fn r7_5_a_school_losing_students_to_another_school_is_not_blocked() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let full = two_schools();
    server.sync_ok(&district, &full).await;
    let mut moved = full.clone();
    for i in 0..15 {
        moved.user_mut(&format!("s-small-{i}")).orgs = vec!["big".into()];
    }
    let run = server.sync_ok(&district, &moved).await;
    assert!(run.safety_block.is_none());
    let small = school_id(&server, "small").await;
    assert_eq!(
        students(&server, &small, pb::StatusFilter::Active)
            .await
            .len(),
        5
    );
}

// R7.5: a school losing its only teacher blocks, naming the school, although the
// district keeps half its staff.
#[tokio::test(flavor = "multi_thread")]
async fn r7_5_a_school_losing_its_staff_blocks_naming_the_school() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut full = two_schools();
    for i in 0..3 {
        full.teacher(&format!("t-big-{i}"), "Teacher", "Big", "big");
    }
    server.sync_ok(&district, &full).await;
    let mut truncated = full.clone();
    truncated.remove_user("t-small");
    server
        .set(
            pb::SyncSettings {
                abandon_threshold_percent: 50,
                ..settings(&district)
            },
            &["abandon_threshold_percent"],
        )
        .await;
    let blocked = server.sync_roster(&district, &truncated).await;
    assert_eq!(blocked.state, pb::SyncState::Blocked as i32);
    let block = blocked.safety_block.expect("safety block");
    assert_eq!(block.school_id, school_id(&server, "small").await);
    assert_eq!(block.record_kind, pb::RecordKind::Staff as i32);
    assert_eq!((block.abandon_count, block.stored_count), (1, 1));
}

/// Students `from..to` of one school, named `given`, and a guardian of every tenth, named
/// alike: a district large enough that its apply starts while the rest of its plan is
/// still made (over the server's `STREAM_FROM` records), and writes the accounts as soon
/// as they are planned.
fn large(from: usize, to: usize, given: &str) -> Roster {
    let mut roster = Roster::default();
    roster.school("sch-big", "Big School");
    for i in from..to {
        let student = format!("stu-{i:05}");
        roster.student(&student, given, &format!("Kid{i}"), "sch-big");
        if i % 10 == 0 {
            let (id, email) = (format!("gua-{i:05}"), format!("parent{i}@example.org"));
            roster.guardian(&id, given, &format!("Parent{i}"), &email, &[&student]);
        }
    }
    roster
}

/// How many people of the district a name prefix finds, on the first page.
async fn found(server: &TestServer, district: &str, prefix: &str) -> usize {
    let request = pb::SearchPeopleRequest {
        district_id: district.into(),
        query: prefix.into(),
        kinds: vec![],
        page_size: 100,
        page_token: String::new(),
    };
    let response = server.dir().search_people(request).await.unwrap();
    response.into_inner().people.len()
}

// R7.2, R7.6: a plan whose records the store writes while the rest is still planned is
// applied whole, or, blocked, leaves nothing of what it had written; overridden, it
// applies whole.
#[tokio::test(flavor = "multi_thread")]
async fn r7_2_a_plan_written_while_planned_is_applied_whole_or_not_at_all() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let first = server.sync_ok(&district, &large(0, 13_000, "Ann")).await;
    assert_eq!(counts(&first, Kind::Student).created, 13_000);
    assert_eq!(found(&server, &district, "Ann Kid12999").await, 1);
    assert_eq!(counts(&first, Kind::Guardian).created, 1_300);

    // 2,800 of 13,000 gone (21.5%, over the 20% threshold), the 10,200 others renamed,
    // and their guardians with them.
    let next = large(2_800, 13_000, "Renamed");
    let blocked = server.sync_roster(&district, &next).await;
    assert_eq!(blocked.state, pb::SyncState::Blocked as i32);
    assert_eq!(
        found(&server, &district, "Renamed").await,
        0,
        "nothing renamed"
    );
    assert_eq!(found(&server, &district, "Ann Kid12999").await, 1);
    assert_eq!(found(&server, &district, "Ann Parent12990").await, 1);
    assert!(abandoned(&server, &district).await.is_empty());

    let folder = server.put_roster(&next);
    let run = server.start_sync(&district, &folder, false, true).await;
    let run = server.wait(&run.run_id).await;
    assert_eq!(run.state, pb::SyncState::Succeeded as i32, "{run:?}");
    let students = counts(&run, Kind::Student);
    assert_eq!((students.updated, students.abandoned), (10_200, 2_800));
    assert_eq!(found(&server, &district, "Renamed Kid12999").await, 1);
    assert_eq!(found(&server, &district, "Ann Kid12999").await, 0);
    assert_eq!(counts(&run, Kind::Guardian).updated, 1_020);
    assert_eq!(found(&server, &district, "Renamed Parent12990").await, 1);
    assert_eq!(found(&server, &district, "Ann Parent12990").await, 0);
    // Abandoned, archived, and still found by search (R6.2).
    assert_eq!(found(&server, &district, "Ann Kid2799").await, 1);
}
