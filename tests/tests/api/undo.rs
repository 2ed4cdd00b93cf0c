//! Undo (R9.2): the latest run that changed something is reverted by a new run; the
//! roster is again as it was before it, ids and timestamps included, apart from manual
//! edits made since; an earlier run cannot be reverted while a later one stands; the
//! schedule waits until resumed.

use roster_client::pb;
use roster_client::tonic::Status;
use roster_e2e::lookup::*;
use roster_e2e::roster::{Roster, springfield};
use roster_e2e::{TestServer, id_of};
use roster_server::store::State;
use roster_server::store::queries::roster::load_state;
use tonic_types::StatusExt;

fn reason(status: &Status) -> String {
    status
        .get_details_error_info()
        .map(|i| i.reason)
        .unwrap_or_default()
}

async fn revert(server: &TestServer, run_id: &str) -> Result<pb::SyncRun, Status> {
    server
        .sync()
        .revert_sync(pb::RevertSyncRequest {
            run_id: run_id.into(),
            request_id: String::new(),
        })
        .await
        .map(|r| r.into_inner().run.expect("run"))
}

async fn sync_settings(server: &TestServer, district: &str) -> pb::SyncSettings {
    server
        .sync()
        .get_sync_settings(pb::GetSyncSettingsRequest {
            district_id: district.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .settings
        .unwrap()
}

async fn guardian(server: &TestServer, source_id: &str) -> pb::Guardian {
    let id = id_of(&server.store(), "guardians", source_id).await;
    server
        .dir()
        .get_guardian(pb::GetGuardianRequest { guardian_id: id })
        .await
        .expect("GetGuardian")
        .into_inner()
        .guardian
        .expect("guardian")
}

/// Every roster table of the district, ids and timestamps included, in a stable order.
async fn dump(server: &TestServer, district: &str) -> State {
    let mut s = load_state(&server.store(), district.parse().unwrap())
        .await
        .expect("load the district");
    s.schools.sort_by_key(|r| r.id);
    s.students.sort_by_key(|r| r.id);
    s.guardians.sort_by_key(|r| r.id);
    s.staff.sort_by_key(|r| r.id);
    s.classes.sort_by_key(|r| r.id);
    s.school_students
        .sort_by_key(|r| (r.school_id, r.student_id));
    s.school_staff.sort_by_key(|r| (r.school_id, r.staff_id));
    s.class_students.sort_by_key(|r| (r.class_id, r.student_id));
    s.class_teachers.sort_by_key(|r| (r.class_id, r.staff_id));
    s.links.sort_by_key(|r| (r.student_id, r.guardian_id));
    s.open_abandonments.sort_by_key(|r| r.id);
    s
}

/// The district before the reverted run: Springfield, then Martin's family gone (EXTREME:
/// archived, out of school and classes), so the reverted run can restore him.
async fn arrange(server: &TestServer) -> String {
    let district = server.district("D").await;
    no_threshold(server, &district).await;
    server
        .set(
            pb::SyncSettings {
                abandoned_family_policy: pb::AbandonedFamilyPolicy::Extreme as i32,
                schedule: Some(pb::SyncSchedule {
                    kind: pb::ScheduleKind::Interval as i32,
                    interval_minutes: 60,
                    ..Default::default()
                }),
                ..settings(&district)
            },
            &["abandoned_family_policy", "schedule"],
        )
        .await;
    server.sync_ok(&district, &springfield()).await;
    let mut without_martin = springfield();
    without_martin
        .remove_user("stu-martin")
        .remove_user("par-prince");
    server.sync_ok(&district, &without_martin).await;
    district
}

/// The reverted run's source: it creates (a student, his guardian, a class), updates
/// (Marge's name), moves Milhouse to the other school, removes Nelson's family (EXTREME),
/// restores Martin, and changes family links (Homer gains Lisa, Marge loses Bart).
fn changed() -> Roster {
    let mut r = springfield();
    r.student("stu-ralph", "Ralph", "Wiggum", "sch-1");
    r.guardian(
        "par-wiggum",
        "Clancy",
        "Wiggum",
        "clancy@example.org",
        &["stu-ralph"],
    );
    r.enroll("cls-4a", "stu-ralph", "student");
    r.class("cls-art", "Art", "sch-2", "04");
    r.enroll("cls-art", "tch-largo", "teacher");
    r.user_mut("par-marge").family = "Bouvier".into();
    r.user_mut("par-marge").agents = vec!["stu-lisa".into()];
    r.user_mut("par-homer").agents = vec!["stu-bart".into(), "stu-lisa".into()];
    r.user_mut("stu-milhouse").orgs = vec!["sch-2".into()];
    r.remove_user("stu-nelson").remove_user("par-muntz");
    r
}

// R9.2, the hard way: a run that creates, updates, moves, removes a family under EXTREME,
// restores an abandoned student and changes links is reverted after an edit of a record
// it created and of one it updated. Every table is as before the run but for those two
// edits; the run's abandonments show restored; the schedule is paused until resumed; a
// resync of the same source makes the same changes again.
#[tokio::test(flavor = "multi_thread")]
async fn r9_2_a_reverted_run_leaves_every_table_as_before_but_for_edits_made_since() {
    let server = TestServer::start().await;
    let district = arrange(&server).await;
    let before = dump(&server, &district).await;
    let run = server.sync_ok(&district, &changed()).await;
    for (kind, what) in [
        (Kind::Student, "Ralph"),
        (Kind::Guardian, "Clancy"),
        (Kind::Class, "Art"),
    ] {
        assert_eq!(counts(&run, kind).created, 1, "{what} created: {run:?}");
    }
    assert_eq!(counts(&run, Kind::Student).restored, 1, "Martin: {run:?}");
    let wiggum = id_of(&server.store(), "guardians", "par-wiggum").await;
    let marge = id_of(&server.store(), "guardians", "par-marge").await;
    for (guardian, language) in [(&wiggum, "es"), (&marge, "fr")] {
        server
            .dir()
            .update_guardian(pb::UpdateGuardianRequest {
                guardian_id: guardian.clone(),
                language: language.into(),
                update_mask: Some(roster_client::prost_types::FieldMask {
                    paths: vec!["language".into()],
                }),
                ..Default::default()
            })
            .await
            .expect("edit a guardian");
    }

    let reverting = revert(&server, &run.run_id).await.expect("RevertSync");
    assert_eq!(reverting.trigger, pb::SyncTrigger::Revert as i32);
    assert_eq!(reverting.reverted_run_id, run.run_id);
    assert!(sync_settings(&server, &district).await.schedule_paused);
    let reverted = server.wait(&reverting.run_id).await;
    assert_eq!(
        reverted.state,
        pb::SyncState::Succeeded as i32,
        "{reverted:?}"
    );

    let after = dump(&server, &district).await;
    let (wiggum, marge): (i64, i64) = (wiggum.parse().unwrap(), marge.parse().unwrap());
    assert_eq!(after.schools, before.schools);
    assert_eq!(
        after.students, before.students,
        "Ralph gone, Nelson and Martin back"
    );
    assert_eq!(after.staff, before.staff);
    assert_eq!(after.classes, before.classes, "Art gone");
    assert_eq!(
        after.school_students, before.school_students,
        "Milhouse back"
    );
    assert_eq!(after.school_staff, before.school_staff);
    assert_eq!(after.class_students, before.class_students);
    assert_eq!(after.class_teachers, before.class_teachers);
    assert_eq!(after.links, before.links);
    assert_eq!(
        after.open_abandonments, before.open_abandonments,
        "Martin's reopened"
    );
    // Clancy was edited since: kept, with the edit. Marge: her name back, her edit kept.
    let kept: Vec<_> = after.guardians.iter().filter(|g| g.id == wiggum).collect();
    assert_eq!(kept.len(), 1, "an edited account is kept");
    assert_eq!(kept[0].language, "es");
    let others = |s: &State| -> Vec<_> {
        s.guardians
            .iter()
            .filter(|g| g.id != wiggum && g.id != marge)
            .cloned()
            .collect()
    };
    assert_eq!(others(&after), others(&before));
    let marge_now = after.guardians.iter().find(|g| g.id == marge).unwrap();
    let marge_then = before.guardians.iter().find(|g| g.id == marge).unwrap();
    assert_eq!(marge_now.family_name, "Simpson");
    assert_eq!(marge_now.language, "fr");
    assert_eq!(
        (
            &marge_now.email,
            &marge_now.sms_number,
            marge_now.created_at
        ),
        (
            &marge_then.email,
            &marge_then.sms_number,
            marge_then.created_at
        )
    );
    let issues = server.issues(&reverted.run_id).await;
    assert!(
        issues
            .iter()
            .any(|i| i.code == "NOT_REVERTED" && i.source_id == "par-wiggum"),
        "the kept account is reported: {issues:#?}"
    );

    // The run's abandonments (Nelson's family) show restored, by the revert.
    let of_run: Vec<_> = abandoned(&server, &district)
        .await
        .into_iter()
        .filter(|a| a.run_id == run.run_id)
        .collect();
    assert!(!of_run.is_empty());
    assert!(
        of_run.iter().all(|a| a.restore_run_id == reverted.run_id),
        "{of_run:#?}"
    );

    // The schedule waits until resumed.
    let resumed = server
        .sync()
        .resume_schedule(pb::ResumeScheduleRequest {
            district_id: district.clone(),
        })
        .await
        .expect("ResumeSchedule")
        .into_inner()
        .settings
        .unwrap();
    assert!(!resumed.schedule_paused);

    // The same source again makes the same changes, but for the kept account.
    let again = server.sync_ok(&district, &changed()).await;
    for kind in [
        Kind::Student,
        Kind::Staff,
        Kind::Class,
        Kind::StudentEnrollment,
        Kind::TeacherEnrollment,
        Kind::FamilyRelationship,
    ] {
        assert_eq!(counts(&again, kind), counts(&run, kind), "{kind:?}");
    }
    let guardians = counts(&again, Kind::Guardian);
    assert_eq!(
        (guardians.created, guardians.updated),
        (0, counts(&run, Kind::Guardian).updated),
        "Clancy is still there: {again:?}"
    );
}

// R9.2: only the latest run that changed something can be reverted; a revert is such a
// run itself, so the reverted run cannot be reverted twice, and a revert can be
// reverted (the changes come back).
#[tokio::test(flavor = "multi_thread")]
async fn r9_2_an_earlier_run_cannot_be_reverted_while_a_later_one_stands() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let first = server.sync_ok(&district, &springfield()).await;
    let mut renamed = springfield();
    renamed.user_mut("par-marge").family = "Bouvier".into();
    let second = server.sync_ok(&district, &renamed).await;
    // A run that changes nothing does not stand in the way.
    server.sync_ok(&district, &renamed).await;

    let err = revert(&server, &first.run_id).await.unwrap_err();
    assert_eq!(err.code(), roster_client::tonic::Code::FailedPrecondition);
    assert_eq!(reason(&err), "NOT_LATEST_RUN", "{err:?}");

    let undo = revert(&server, &second.run_id).await.expect("revert");
    let undo = server.wait(&undo.run_id).await;
    assert_eq!(undo.state, pb::SyncState::Succeeded as i32, "{undo:?}");
    assert_eq!(counts(&undo, Kind::Guardian).updated, 1, "{undo:?}");
    let marge = guardian(&server, "par-marge").await;
    assert_eq!(marge.family_name, "Simpson");

    let err = revert(&server, &second.run_id).await.unwrap_err();
    assert_eq!(
        reason(&err),
        "NOT_LATEST_RUN",
        "reverted once only: {err:?}"
    );

    let redo = revert(&server, &undo.run_id)
        .await
        .expect("revert the revert");
    let redo = server.wait(&redo.run_id).await;
    assert_eq!(redo.state, pb::SyncState::Succeeded as i32, "{redo:?}");
    assert_eq!(guardian(&server, "par-marge").await.family_name, "Bouvier");

    // A dry run applied nothing: there is nothing of it to revert.
    let folder = server.put_roster(&springfield());
    let dry = server.start_sync(&district, &folder, true, false).await;
    let dry = server.wait(&dry.run_id).await;
    let err = revert(&server, &dry.run_id).await.unwrap_err();
    assert_eq!(reason(&err), "NOTHING_TO_REVERT", "{err:?}");
}

// R9.2 with R9.1: a revert goes through the same approval path; its plan lists what it
// takes back, and nothing is written until it is approved.
#[tokio::test(flavor = "multi_thread")]
async fn r9_2_a_revert_awaits_approval_like_any_run() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    server.sync_ok(&district, &springfield()).await;
    let mut more = springfield();
    more.student("stu-ralph", "Ralph", "Wiggum", "sch-1");
    let run = server.sync_ok(&district, &more).await;
    server
        .set(
            pb::SyncSettings {
                require_approval: true,
                ..settings(&district)
            },
            &["require_approval"],
        )
        .await;
    let reverting = revert(&server, &run.run_id).await.expect("RevertSync");
    let planned = server.wait(&reverting.run_id).await;
    assert_eq!(
        planned.state,
        pb::SyncState::AwaitingApproval as i32,
        "{planned:?}"
    );
    let changes = server
        .sync()
        .list_planned_changes(pb::ListPlannedChangesRequest {
            run_id: planned.run_id.clone(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .expect("ListPlannedChanges")
        .into_inner()
        .changes;
    assert!(
        changes
            .iter()
            .any(|c| c.source_id == "stu-ralph"
                && c.action == pb::PlannedChangeAction::Abandon as i32),
        "{changes:#?}"
    );
    id_of(&server.store(), "students", "stu-ralph").await; // still there
    server
        .sync()
        .approve_sync(pb::ApproveSyncRequest {
            run_id: planned.run_id.clone(),
            request_id: String::new(),
        })
        .await
        .expect("ApproveSync");
    let done = server.wait(&planned.run_id).await;
    assert_eq!(done.state, pb::SyncState::Succeeded as i32, "{done:?}");
    let students = load_state(&server.store(), district.parse().unwrap())
        .await
        .unwrap()
        .students;
    assert!(
        students
            .iter()
            .all(|s| s.source_id.as_deref() != Some("stu-ralph")),
        "Ralph, created by the reverted run and untouched since, is gone"
    );
}

async fn runs_of(server: &TestServer, district: &str) -> Vec<pb::SyncRun> {
    server
        .sync()
        .list_sync_runs(pb::ListSyncRunsRequest {
            district_id: district.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .runs
}

// R9.2: a revert pauses the schedule: a due scheduled run does not start (it would apply
// again what was undone), and health says so, until ResumeSchedule; then the schedule
// runs again.
#[tokio::test(flavor = "multi_thread")]
async fn r9_2_a_revert_pauses_the_schedule_until_resumed() {
    let server = TestServer::start().await;
    let district = arrange(&server).await;
    let folder = server.put_roster(&changed());
    let run = server.start_sync(&district, &folder, false, false).await;
    let run = server.wait(&run.run_id).await;
    server
        .set(
            pb::SyncSettings {
                source: Some(pb::SyncSource {
                    kind: Some(pb::sync_source::Kind::OnerosterCsvPath(
                        pb::OneRosterCsvPath { path: folder },
                    )),
                }),
                ..settings(&district)
            },
            &["source"],
        )
        .await;
    let reverted = revert(&server, &run.run_id).await.expect("RevertSync");
    server.wait(&reverted.run_id).await;
    let due = format!(
        "UPDATE sync_settings SET next_scheduled_at = '2020-01-01 00:00:00' WHERE district_id = {district}"
    );
    roster_e2e::exec_sql(&server.store(), &due).await;
    let health = server
        .sync()
        .get_sync_health(pb::GetSyncHealthRequest {
            district_id: district.clone(),
        })
        .await
        .expect("GetSyncHealth")
        .into_inner()
        .health
        .unwrap();
    assert!(health.needs_attention);
    assert!(
        health
            .attention_reasons
            .contains(&(pb::AttentionReason::SchedulePaused as i32)),
        "{health:?}"
    );
    assert!(health.next_scheduled_time.is_none(), "{health:?}");
    let count = runs_of(&server, &district).await.len();
    // The scheduler looks every second: three looks.
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    assert_eq!(
        runs_of(&server, &district).await.len(),
        count,
        "no scheduled run while paused"
    );

    let resumed = server
        .sync()
        .resume_schedule(pb::ResumeScheduleRequest {
            district_id: district.clone(),
        })
        .await
        .expect("ResumeSchedule")
        .into_inner()
        .settings
        .unwrap();
    assert!(!resumed.schedule_paused);
    assert_eq!(
        resumed.schedule.map(|s| s.interval_minutes),
        Some(60),
        "the schedule itself is unchanged"
    );
    roster_e2e::exec_sql(&server.store(), &due).await;
    for _ in 0..200 {
        let runs = runs_of(&server, &district).await;
        if runs.len() > count {
            assert_eq!(runs[0].trigger, pb::SyncTrigger::Scheduled as i32);
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no scheduled run after ResumeSchedule");
}
