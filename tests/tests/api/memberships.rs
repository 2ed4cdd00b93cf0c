//! School and class memberships through moves, missing schools and associations: R1.4,
//! R5.2 (archived classrooms included), R5.8, R5.9.

use roster_client::pb;
use roster_e2e::lookup::*;
use roster_e2e::roster::springfield;
use roster_e2e::{TestServer, id_of};

async fn staff_of(server: &TestServer, school: &str) -> Vec<String> {
    let staff = server
        .dir()
        .list_staff(pb::ListStaffRequest {
            school_id: school_id(server, school).await,
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .staff;
    source_ids(&staff, |s| &s.source_id)
}

async fn students_of(server: &TestServer, school: &str) -> Vec<String> {
    let students = server
        .dir()
        .list_students(pb::ListStudentsRequest {
            school_id: school_id(server, school).await,
            page_size: 100,
            status_filter: pb::StatusFilter::All as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .students;
    source_ids(&students, |s| &s.source_id)
}

/// The source ids of a class's members (teachers' and students').
async fn members_of(server: &TestServer, class_source_id: &str) -> Vec<String> {
    let class_id = id_of(&server.store(), "classes", class_source_id).await;
    let members = server
        .dir()
        .list_class_members(pb::ListClassMembersRequest {
            class_id,
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .members;
    let mut ids: Vec<String> = members
        .into_iter()
        .filter_map(|m| match m.member? {
            pb::class_member::Member::Teacher(t) => Some(t.source_id),
            pb::class_member::Member::Student(s) => Some(s.source_id),
        })
        .collect();
    ids.sort();
    ids
}

// R5.8: four of five students of a school (and a teacher) move to the other school. A
// move is no abandonment: the run is not blocked by the 20% threshold, the report counts
// updates, and nobody is listed as abandoned.
#[tokio::test(flavor = "multi_thread")]
async fn r5_8_a_school_move_is_an_update_not_an_abandonment() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut roster = springfield();
    server.sync_ok(&district, &roster).await;
    for id in [
        "stu-bart",
        "stu-lisa",
        "stu-milhouse",
        "stu-martin",
        "tch-edna",
    ] {
        roster.user_mut(id).orgs = vec!["sch-2".into()];
    }
    let run = server.sync_ok(&district, &roster).await;
    assert_eq!(counts(&run, Kind::Student).updated, 4, "{run:?}");
    assert_eq!(counts(&run, Kind::Student).abandoned, 0);
    assert_eq!(counts(&run, Kind::Staff).updated, 1);
    assert_eq!(counts(&run, Kind::Staff).abandoned, 0);
    assert!(abandoned(&server, &district).await.is_empty());
    assert_eq!(
        students_of(&server, "sch-2").await,
        [
            "stu-bart",
            "stu-lisa",
            "stu-martin",
            "stu-milhouse",
            "stu-nelson"
        ]
    );
    assert!(students_of(&server, "sch-1").await.is_empty());
    assert!(
        staff_of(&server, "sch-2")
            .await
            .contains(&"tch-edna".to_owned())
    );
    assert!(
        !staff_of(&server, "sch-1")
            .await
            .contains(&"tch-edna".to_owned())
    );
    server.stop().await;
}

// R5.9, R3.4: a school left out of a bulk orgs file is not closed. Its people stay its
// members, its classes stay, and each reference to it is reported.
#[tokio::test(flavor = "multi_thread")]
async fn r5_9_a_school_missing_from_the_orgs_file_keeps_its_people() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut roster = springfield();
    server.sync_ok(&district, &roster).await;
    roster.schools.retain(|s| s.0 != "sch-2");
    let run = server.sync_ok(&district, &roster).await;
    for kind in [Kind::Student, Kind::Staff, Kind::Class] {
        assert_eq!(counts(&run, kind).abandoned, 0, "{kind:?}");
    }
    assert_eq!(
        counts(&run, Kind::Student).invalid,
        0,
        "nelson's row was read"
    );
    assert_eq!(students_of(&server, "sch-2").await, ["stu-nelson"]);
    assert_eq!(staff_of(&server, "sch-2").await, ["tch-largo"]);
    assert_eq!(
        members_of(&server, "cls-music").await,
        ["stu-nelson", "tch-largo"]
    );
    let issues = server.issues(&run.run_id).await;
    let named: Vec<&str> = issues
        .iter()
        .filter(|i| i.code == "UNKNOWN_SCHOOL")
        .map(|i| i.source_id.as_str())
        .collect();
    for who in ["stu-nelson", "tch-largo", "cls-music"] {
        assert!(named.contains(&who), "{who} in {named:?}");
    }
    server.stop().await;
}

// R5.2 with R5.3: a teacher gone from the source leaves every classroom, the archived
// ones included, while the students of an archived classroom stay as its history.
#[tokio::test(flavor = "multi_thread")]
async fn r5_2_a_teacher_gone_with_her_class_leaves_the_archived_class() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    no_threshold(&server, &district).await;
    let mut roster = springfield();
    server.sync_ok(&district, &roster).await;
    roster.classes.retain(|c| c.0 != "cls-music");
    roster.enrollments.retain(|e| e.1 != "cls-music");
    roster.remove_user("tch-largo");
    let run = server.sync_ok(&district, &roster).await;
    assert_eq!(counts(&run, Kind::Class).abandoned, 1);
    assert_eq!(members_of(&server, "cls-music").await, ["stu-nelson"]);
    assert!(staff_of(&server, "sch-2").await.is_empty());
    server.stop().await;
}

// R1.4: a manual teacher associated by email is a sis record from then on, and so are
// her school membership and her class enrollment: when she leaves the source, she leaves
// both, recorded as abandoned.
#[tokio::test(flavor = "multi_thread")]
async fn r1_4_an_associated_teacher_leaves_her_manual_memberships_when_she_leaves() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    no_threshold(&server, &district).await;
    let mut roster = springfield();
    server.sync_ok(&district, &roster).await;
    let teacher = server
        .dir()
        .create_staff_member(pb::CreateStaffMemberRequest {
            district_id: district.clone(),
            school_id: school_id(&server, "sch-1").await,
            given_name: "Ms".into(),
            family_name: "Calloway".into(),
            email: "calloway@example.org".into(),
            role: pb::StaffRole::Teacher as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .staff_member
        .unwrap();
    server
        .dir()
        .add_class_member(pb::AddClassMemberRequest {
            class_id: id_of(&server.store(), "classes", "cls-4a").await,
            user_id: teacher.id.clone(),
            role: pb::ClassMemberRole::Teacher as i32,
        })
        .await
        .unwrap();
    roster
        .teacher("tch-calloway", "Ms", "Calloway", "sch-1")
        .email = "calloway@example.org".into();
    roster.enroll("cls-4a", "tch-calloway", "teacher");
    server.sync_ok(&district, &roster).await;
    assert!(
        staff_of(&server, "sch-1")
            .await
            .contains(&"tch-calloway".to_owned())
    );

    roster.remove_user("tch-calloway");
    let run = server.sync_ok(&district, &roster).await;
    assert_eq!(counts(&run, Kind::Staff).abandoned, 1, "{run:?}");
    assert!(
        !staff_of(&server, "sch-1")
            .await
            .contains(&"tch-calloway".to_owned())
    );
    assert!(
        !members_of(&server, "cls-4a")
            .await
            .contains(&"tch-calloway".to_owned())
    );
    let gone = abandoned(&server, &district).await;
    assert!(
        gone.iter().any(|a| a.source_id == "tch-calloway"),
        "{gone:?}"
    );
    server.stop().await;
}

// Counts: a link that comes back is restored, not also created (R5.7); a student who
// joins a second school is counted once as updated.
#[tokio::test(flavor = "multi_thread")]
async fn r5_7_counts_say_restored_once_and_a_new_school_is_an_update() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    no_threshold(&server, &district).await;
    let full = springfield();
    server.sync_ok(&district, &full).await;
    let mut without = full.clone();
    without.user_mut("par-homer").agents.clear();
    let run = server.sync_ok(&district, &without).await;
    assert_eq!(counts(&run, Kind::FamilyRelationship).abandoned, 1);
    let run = server.sync_ok(&district, &full).await;
    let links = counts(&run, Kind::FamilyRelationship);
    assert_eq!((links.restored, links.created), (1, 0), "{links:?}");

    let mut more = full.clone();
    more.user_mut("stu-nelson").orgs = vec!["sch-2".into(), "sch-1".into()];
    let run = server.sync_ok(&district, &more).await;
    let students = counts(&run, Kind::Student);
    assert_eq!((students.updated, students.created), (1, 0), "{students:?}");
    server.stop().await;
}
