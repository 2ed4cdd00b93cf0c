//! What a sync abandons and restores (R5), and abandoned families under each policy (R6).

use roster_client::pb;
use roster_e2e::lookup::*;
use roster_e2e::roster::{Roster, springfield};
use roster_e2e::{TestServer, id_of};

// R5.1-R5.5, R5.7: what is gone from the source is disconnected, removed or archived,
// each recorded; what comes back is restored with its history kept.
#[tokio::test(flavor = "multi_thread")]
async fn r5_abandoned_records_are_recorded_and_restored_when_back() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    no_threshold(&server, &district).await;
    let full = springfield();
    server.sync_ok(&district, &full).await;

    let mut smaller = full.clone();
    smaller.user_mut("par-homer").agents.clear(); // R5.1: no longer Bart's guardian
    smaller.remove_user("tch-hoover"); // R5.2
    smaller.classes.retain(|c| c.0 != "cls-music"); // R5.3
    smaller.enrollments.retain(|e| e.1 != "cls-music");
    smaller
        .enrollments
        .retain(|e| !(e.1 == "cls-4a" && e.2 == "tch-edna")); // R5.4
    smaller
        .enrollments
        .retain(|e| !(e.1 == "cls-4a" && e.2 == "stu-milhouse")); // R5.5
    let run = server.sync_ok(&district, &smaller).await;
    assert_eq!(counts(&run, Kind::FamilyRelationship).abandoned, 1);
    assert_eq!(counts(&run, Kind::Staff).abandoned, 1);
    assert_eq!(counts(&run, Kind::Class).abandoned, 1);

    let bart = student(&server, "stu-bart").await;
    assert_eq!(
        source_ids(&bart.guardians, |g| &g.source_id),
        ["par-marge"],
        "R5.1"
    );
    let homer = access(&server, "par-homer").await;
    assert!(homer.students.is_empty(), "disconnected");
    let sch1 = school_id(&server, "sch-1").await;
    let staff = server
        .dir()
        .list_staff(pb::ListStaffRequest {
            school_id: sch1.clone(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .staff;
    assert!(
        staff.iter().all(|s| s.source_id != "tch-hoover"),
        "R5.2: removed from the school"
    );
    let music = server
        .dir()
        .list_classes(pb::ListClassesRequest {
            school_id: school_id(&server, "sch-2").await,
            status_filter: pb::StatusFilter::All as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .classes;
    assert_eq!(
        music[0].status,
        pb::RecordStatus::Archived as i32,
        "R5.3: archived, not deleted"
    );
    let cls4a = id_of(&server.store(), "classes", "cls-4a").await;
    let members = server
        .dir()
        .list_class_members(pb::ListClassMembersRequest {
            class_id: cls4a,
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .members;
    let member_sids: Vec<String> = members
        .iter()
        .map(|m| match &m.member {
            Some(pb::class_member::Member::Teacher(t)) => t.source_id.clone(),
            Some(pb::class_member::Member::Student(s)) => s.source_id.clone(),
            None => String::new(),
        })
        .collect();
    assert!(!member_sids.contains(&"tch-edna".to_string()), "R5.4");
    assert!(!member_sids.contains(&"stu-milhouse".to_string()), "R5.5");
    assert!(member_sids.contains(&"stu-bart".to_string()));

    let records = abandoned(&server, &district).await;
    let actions: Vec<(i32, i32)> = records.iter().map(|r| (r.record_kind, r.action)).collect();
    for want in [
        (
            Kind::FamilyRelationship as i32,
            pb::AbandonAction::Disconnected as i32,
        ),
        (
            Kind::Staff as i32,
            pb::AbandonAction::RemovedFromSchool as i32,
        ),
        (Kind::Class as i32, pb::AbandonAction::Archived as i32),
        (
            Kind::TeacherEnrollment as i32,
            pb::AbandonAction::RemovedFromClass as i32,
        ),
        (
            Kind::StudentEnrollment as i32,
            pb::AbandonAction::RemovedFromClass as i32,
        ),
    ] {
        assert!(actions.contains(&want), "missing {want:?} in {actions:?}");
    }
    assert!(
        records
            .iter()
            .all(|r| r.run_id == run.run_id && r.restore_time.is_none())
    );

    // R5.7: everything comes back.
    let back = server.sync_ok(&district, &full).await;
    assert_eq!(counts(&back, Kind::Class).restored, 1);
    assert_eq!(counts(&back, Kind::FamilyRelationship).restored, 1);
    let records = abandoned(&server, &district).await;
    assert!(
        records
            .iter()
            .all(|r| r.restore_time.is_some() && r.restore_run_id == back.run_id),
        "{records:?}"
    );
    let music = server
        .dir()
        .list_classes(pb::ListClassesRequest {
            school_id: school_id(&server, "sch-2").await,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .classes;
    assert_eq!(music.len(), 1, "unarchived");
    let restored_only = server
        .sync()
        .list_abandoned_records(pb::ListAbandonedRecordsRequest {
            district_id: district.clone(),
            restored: pb::RestoredFilter::NotRestored as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .records;
    assert!(restored_only.is_empty());
}

fn without_prince_family(full: &Roster) -> Roster {
    let mut r = full.clone();
    r.remove_user("stu-martin").remove_user("par-prince");
    r
}

// R6.1, R6.3: SOFT: the student is archived, keeps its classes; its guardian keeps the
// student and its class content but loses the school, classrooms and announcements.
#[tokio::test(flavor = "multi_thread")]
async fn r6_1_soft_policy_archives_the_abandoned_family() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    no_threshold(&server, &district).await;
    let full = springfield();
    server.sync_ok(&district, &full).await;
    let run = server
        .sync_ok(&district, &without_prince_family(&full))
        .await;
    assert_eq!(counts(&run, Kind::Student).abandoned, 1);

    let sch1 = school_id(&server, "sch-1").await;
    let active = students(&server, &sch1, pb::StatusFilter::Active).await;
    assert!(active.iter().all(|s| s.source_id != "stu-martin"));
    let archived = students(&server, &sch1, pb::StatusFilter::Archived).await;
    assert_eq!(source_ids(&archived, |s| &s.source_id), ["stu-martin"]);
    assert_eq!(
        archived[0].guardian_ids.len(),
        1,
        "listed with its guardian"
    );
    assert_eq!(
        students(&server, &sch1, pb::StatusFilter::All).await.len(),
        4
    );

    let prince = access(&server, "par-prince").await;
    assert_eq!(prince.students.len(), 1, "keeps the student");
    assert!(prince.schools.is_empty() && prince.classes.is_empty());
    assert_eq!(
        source_ids(&prince.student_content_classes, |c| &c.source_id),
        ["cls-4a"]
    );
    let martin = student(&server, "stu-martin").await;
    assert_eq!(
        source_ids(&martin.classes, |c| &c.source_id),
        ["cls-4a"],
        "enrollments kept"
    );
    let recipients = server
        .dir()
        .list_announcement_recipients(pb::ListAnnouncementRecipientsRequest {
            district_id: district.clone(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .recipients;
    let prince_id = prince.guardian.unwrap().id;
    assert!(
        recipients.iter().all(|r| r.user_id != prince_id),
        "no district-wide announcements"
    );

    // R5.7: the family comes back.
    server.sync_ok(&district, &full).await;
    assert_eq!(
        students(&server, &sch1, pb::StatusFilter::Active)
            .await
            .len(),
        4
    );
    assert_eq!(access(&server, "par-prince").await.schools.len(), 1);
}

// R6.2: EXTREME: the family leaves the school and all its classrooms; the guardian stays
// linked to the student with nothing else reachable.
#[tokio::test(flavor = "multi_thread")]
async fn r6_2_extreme_policy_removes_the_family_from_school_and_classes() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    no_threshold(&server, &district).await;
    server
        .set(
            pb::SyncSettings {
                abandoned_family_policy: pb::AbandonedFamilyPolicy::Extreme as i32,
                ..settings(&district)
            },
            &["abandoned_family_policy"],
        )
        .await;
    let full = springfield();
    server.sync_ok(&district, &full).await;
    server
        .sync_ok(&district, &without_prince_family(&full))
        .await;

    let sch1 = school_id(&server, "sch-1").await;
    assert!(
        students(&server, &sch1, pb::StatusFilter::All)
            .await
            .iter()
            .all(|s| s.source_id != "stu-martin")
    );
    let martin = student(&server, "stu-martin").await;
    assert!(martin.classes.is_empty());
    assert!(martin.student.unwrap().school_ids.is_empty());
    let prince = access(&server, "par-prince").await;
    assert_eq!(prince.students.len(), 1, "link stays visible");
    assert!(
        prince.schools.is_empty()
            && prince.classes.is_empty()
            && prince.student_content_classes.is_empty()
    );
    let actions: Vec<i32> = abandoned(&server, &district)
        .await
        .iter()
        .map(|r| r.action)
        .collect();
    assert!(actions.contains(&(pb::AbandonAction::RemovedFromSchool as i32)));
    assert!(actions.contains(&(pb::AbandonAction::RemovedFromClass as i32)));
}
