//! The sync engine through gRPC, one rule per test (sync-rules.md), on the backend the
//! environment selects. Each scenario syncs roster versions one after another and checks
//! what the directory then shows.

use roster_client::pb;
use roster_client::tonic::Code;
use roster_e2e::roster::{Roster, springfield};
use roster_e2e::{TestServer, id_of, insert_running_run};

type Kind = pb::RecordKind;

fn counts(run: &pb::SyncRun, kind: Kind) -> pb::RecordCounts {
    TestServer::counts(run, kind)
}

async fn school_id(server: &TestServer, source_id: &str) -> String {
    id_of(&server.store(), "schools", source_id).await
}

async fn students(server: &TestServer, school: &str, filter: pb::StatusFilter) -> Vec<pb::Student> {
    server
        .dir()
        .list_students(pb::ListStudentsRequest {
            school_id: school.into(),
            status_filter: filter as i32,
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .students
}

fn source_ids<T>(items: &[T], sid: impl Fn(&T) -> &str) -> Vec<String> {
    let mut ids: Vec<String> = items.iter().map(|i| sid(i).to_owned()).collect();
    ids.sort();
    ids
}

async fn student(server: &TestServer, source_id: &str) -> pb::GetStudentResponse {
    let id = id_of(&server.store(), "students", source_id).await;
    server
        .dir()
        .get_student(pb::GetStudentRequest { student_id: id })
        .await
        .unwrap()
        .into_inner()
}

async fn access(server: &TestServer, guardian_source_id: &str) -> pb::GetGuardianAccessResponse {
    let id = id_of(&server.store(), "guardians", guardian_source_id).await;
    server
        .dir()
        .get_guardian_access(pb::GetGuardianAccessRequest { guardian_id: id })
        .await
        .unwrap()
        .into_inner()
}

async fn abandoned(server: &TestServer, district: &str) -> Vec<pb::AbandonedRecord> {
    server
        .sync()
        .list_abandoned_records(pb::ListAbandonedRecordsRequest {
            district_id: district.into(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .records
}

fn settings(district: &str) -> pb::SyncSettings {
    pb::SyncSettings {
        district_id: district.into(),
        ..Default::default()
    }
}

/// Lets a small roster lose records without tripping R7.2 (tested on its own).
async fn no_threshold(server: &TestServer, district: &str) {
    server
        .set(
            pb::SyncSettings {
                abandon_threshold_percent: 100,
                ..settings(district)
            },
            &["abandon_threshold_percent"],
        )
        .await;
}

// R2.1-R2.5, R8.2-R8.4: a first sync creates the whole directory from the source.
#[tokio::test(flavor = "multi_thread")]
async fn r2_a_first_sync_creates_the_directory() {
    let server = TestServer::start().await;
    let district = server.district("Springfield").await;
    let run = server.sync_ok(&district, &springfield()).await;
    assert_eq!(counts(&run, Kind::School).created, 2);
    assert_eq!(counts(&run, Kind::Student).created, 5);
    assert_eq!(counts(&run, Kind::Guardian).created, 5);
    assert_eq!(counts(&run, Kind::Staff).created, 4);
    assert_eq!(counts(&run, Kind::Class).created, 3);
    assert_eq!(counts(&run, Kind::StudentEnrollment).created, 5);
    assert_eq!(counts(&run, Kind::TeacherEnrollment).created, 3);
    assert_eq!(counts(&run, Kind::FamilyRelationship).created, 6);
    assert_eq!(run.trigger, pb::SyncTrigger::Manual as i32);

    let sch1 = school_id(&server, "sch-1").await;
    let listed = students(&server, &sch1, pb::StatusFilter::Active).await;
    assert_eq!(
        source_ids(&listed, |s| &s.source_id),
        ["stu-bart", "stu-lisa", "stu-martin", "stu-milhouse"]
    );
    let bart = student(&server, "stu-bart").await;
    let b = bart.student.unwrap();
    assert_eq!(
        (b.given_name.as_str(), b.grade.as_str(), b.sis_id.as_str()),
        ("Bart", "04", "SIS-stu-bart")
    );
    assert_eq!(b.origin, pb::Origin::Sis as i32);
    assert_eq!(
        source_ids(&bart.guardians, |g| &g.source_id),
        ["par-homer", "par-marge"]
    );
    assert_eq!(source_ids(&bart.classes, |c| &c.source_id), ["cls-4a"]);
    let marge = bart
        .guardians
        .iter()
        .find(|g| g.source_id == "par-marge")
        .unwrap();
    assert_eq!(marge.sms_number, "+16035550101", "E.164");
    assert_eq!(marge.student_ids.len(), 2);

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
    let skinner = staff.iter().find(|s| s.source_id == "adm-skinner").unwrap();
    assert_eq!(skinner.role, pb::StaffRole::Admin as i32);
    assert_eq!(
        staff
            .iter()
            .find(|s| s.source_id == "tch-edna")
            .unwrap()
            .role,
        pb::StaffRole::Teacher as i32
    );

    let classes = server
        .dir()
        .list_classes(pb::ListClassesRequest {
            school_id: school_id(&server, "sch-2").await,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .classes;
    assert_eq!(classes.len(), 1);
    assert_eq!(classes[0].grades, ["04", "05"]);
}

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

// R3.1, R3.2: a guardian without a unique credential is skipped with a reason, and
// added by the first later sync in which it has one.
#[tokio::test(flavor = "multi_thread")]
async fn r3_1_guardians_without_a_unique_credential_are_skipped_until_they_have_one() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut roster = springfield();
    roster.guardian("par-none", "No", "Contact", "", &["stu-lisa"]);
    // Shares a teacher's email: not unique among account holders.
    roster.guardian(
        "par-dup",
        "Dup",
        "Licate",
        "tch-edna@school.example.org",
        &["stu-lisa"],
    );
    // Shares Bart's (a student's) email: students hold no account, so this is unique.
    roster.guardian(
        "par-kid-email",
        "Kid",
        "Email",
        "bart@kids.example.org",
        &["stu-bart"],
    );
    // An invalid SMS number beside a valid email: added, without the number.
    roster
        .guardian(
            "par-badsms",
            "Bad",
            "Sms",
            "badsms@example.org",
            &["stu-lisa"],
        )
        .sms = "12".into();
    let run = server.sync_ok(&district, &roster).await;
    assert_eq!(counts(&run, Kind::Guardian).created, 7);
    assert_eq!(counts(&run, Kind::Guardian).skipped, 2);
    let issues = server.issues(&run.run_id).await;
    let code_of = |sid: &str| {
        issues
            .iter()
            .find(|i| i.source_id == sid)
            .map(|i| (i.code.clone(), i.severity, i.source_file.clone()))
    };
    assert_eq!(
        code_of("par-none"),
        Some((
            "NO_CONTACT".into(),
            pb::IssueSeverity::Error as i32,
            "users.csv".into()
        ))
    );
    assert_eq!(code_of("par-dup").unwrap().0, "DUPLICATE_EMAIL");
    assert_eq!(code_of("par-badsms").unwrap().0, "INVALID_PHONE");
    assert_eq!(
        code_of("par-badsms").unwrap().1,
        pb::IssueSeverity::Warning as i32
    );
    assert!(code_of("par-kid-email").is_none());
    let lisa = student(&server, "stu-lisa").await;
    assert_eq!(
        source_ids(&lisa.guardians, |g| &g.source_id),
        ["par-badsms", "par-marge"]
    );
    assert_eq!(
        lisa.guardians
            .iter()
            .find(|g| g.source_id == "par-badsms")
            .unwrap()
            .sms_number,
        ""
    );

    // R3.2: once the SIS has a unique credential, the next sync adds the guardian.
    roster.user_mut("par-none").email = "finally@example.org".into();
    let run = server.sync_ok(&district, &roster).await;
    assert_eq!(counts(&run, Kind::Guardian).created, 1);
    let lisa = student(&server, "stu-lisa").await;
    assert!(lisa.guardians.iter().any(|g| g.source_id == "par-none"));
}

// R3.3: an invalid row is skipped with an issue naming file, line and id; the rest syncs.
#[tokio::test(flavor = "multi_thread")]
async fn r3_3_invalid_rows_are_skipped_and_reported_with_file_and_line() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut roster = springfield();
    roster.student("stu-nameless", "Anon", "", "sch-1");
    roster.enroll("cls-missing", "stu-lisa", "student");
    let run = server.sync_ok(&district, &roster).await;
    assert_eq!(counts(&run, Kind::Student).created, 5);
    assert_eq!(counts(&run, Kind::Student).invalid, 1);
    assert_eq!(counts(&run, Kind::StudentEnrollment).invalid, 1);
    let issues = server.issues(&run.run_id).await;
    let nameless = issues
        .iter()
        .find(|i| i.source_id == "stu-nameless")
        .expect("issue for the nameless student");
    assert_eq!(
        (
            nameless.code.as_str(),
            nameless.source_file.as_str(),
            nameless.field.as_str()
        ),
        ("MISSING_FIELD", "users.csv", "familyName")
    );
    // Header is line 1; the nameless student is the 15th data row.
    assert_eq!(nameless.source_line, 16);
    let enrollment = issues
        .iter()
        .find(|i| i.code == "UNKNOWN_REFERENCE")
        .expect("unknown class");
    assert_eq!(enrollment.source_file, "enrollments.csv");
    assert!(
        enrollment.message.contains("cls-missing"),
        "{}",
        enrollment.message
    );
}

// R4.1-R4.4: names, emails, grades and class names follow the source; a staff role never does.
#[tokio::test(flavor = "multi_thread")]
async fn r4_updates_follow_the_source_but_never_the_staff_role() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut roster = springfield();
    server.sync_ok(&district, &roster).await;
    {
        let bart = roster.user_mut("stu-bart");
        bart.given = "Bartholomew".into();
        bart.grade = "05".into();
    }
    roster.user_mut("adm-skinner").role = "teacher".into();
    roster.user_mut("par-homer").family = "J. Simpson".into();
    roster.classes[0].1 = "Grade 4 A (renamed)".into();
    let run = server.sync_ok(&district, &roster).await;
    assert_eq!(counts(&run, Kind::Student).updated, 1);
    assert_eq!(counts(&run, Kind::Guardian).updated, 1);
    assert_eq!(counts(&run, Kind::Class).updated, 1);
    let bart = student(&server, "stu-bart").await;
    let b = bart.student.unwrap();
    assert_eq!(
        (b.given_name.as_str(), b.grade.as_str()),
        ("Bartholomew", "05")
    );
    assert!(bart.guardians.iter().any(|g| g.family_name == "J. Simpson"));
    assert_eq!(bart.classes[0].name, "Grade 4 A (renamed)");
    let staff = server
        .dir()
        .list_staff(pb::ListStaffRequest {
            school_id: school_id(&server, "sch-1").await,
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .staff;
    assert_eq!(
        staff
            .iter()
            .find(|s| s.source_id == "adm-skinner")
            .unwrap()
            .role,
        pb::StaffRole::Admin as i32,
        "R4.3"
    );
}

// R4.5, R4.6: invitees follow the source; active users only with Update Active Users on,
// and then their contact details cannot be edited by hand.
#[tokio::test(flavor = "multi_thread")]
async fn r4_6_active_users_contact_details_follow_the_setting() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut roster = springfield();
    server.sync_ok(&district, &roster).await;
    let homer = id_of(&server.store(), "guardians", "par-homer").await;
    let kirk = id_of(&server.store(), "guardians", "par-kirk").await;
    server
        .dir()
        .activate_user(pb::ActivateUserRequest {
            user_id: homer.clone(),
        })
        .await
        .unwrap();

    roster.user_mut("par-homer").email = "homer.new@example.org".into();
    roster.user_mut("par-homer").given = "Homer J".into();
    roster.user_mut("par-kirk").email = "kirk.new@example.org".into();
    server.sync_ok(&district, &roster).await;
    let homer_now = access(&server, "par-homer").await.guardian.unwrap();
    assert_eq!(
        homer_now.email, "homer@example.org",
        "active user, setting off: contact kept"
    );
    assert_eq!(
        homer_now.given_name, "Homer J",
        "names still follow the source"
    );
    assert_eq!(
        access(&server, "par-kirk").await.guardian.unwrap().email,
        "kirk.new@example.org",
        "R4.5 invitee"
    );

    server
        .set(
            pb::SyncSettings {
                update_active_users: true,
                ..settings(&district)
            },
            &["update_active_users"],
        )
        .await;
    server.sync_ok(&district, &roster).await;
    assert_eq!(
        access(&server, "par-homer").await.guardian.unwrap().email,
        "homer.new@example.org"
    );
    let err = server
        .dir()
        .update_contact_details(pb::UpdateContactDetailsRequest {
            user_id: homer,
            contact_details: Some(pb::ContactDetails {
                email: "mine@example.org".into(),
                ..Default::default()
            }),
            update_mask: Some(roster_client::prost_types::FieldMask {
                paths: vec!["email".into()],
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    let _ = kirk;
}

// R1.4, R4.7: a manual user with a unique matching email is associated (keeps its id,
// becomes SIS); other manual records are never touched by a sync.
#[tokio::test(flavor = "multi_thread")]
async fn r1_4_manual_users_are_associated_by_unique_email_and_others_left_alone() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let manual = server
        .manual_guardian(&district, "Margie", "S", " MARGE@example.org ")
        .await;
    let bystander = server
        .manual_guardian(&district, "Ned", "Flanders", "ned@example.org")
        .await;
    let run = server.sync_ok(&district, &springfield()).await;
    assert_eq!(
        counts(&run, Kind::Guardian).created,
        4,
        "Marge was associated, not created"
    );
    let marge = access(&server, "par-marge").await.guardian.unwrap();
    assert_eq!(marge.id, manual.id, "same record");
    assert_eq!(marge.origin, pb::Origin::Sis as i32);
    assert_eq!(marge.given_name, "Marge", "now updated from the source");
    let ned = server
        .dir()
        .get_guardian_access(pb::GetGuardianAccessRequest {
            guardian_id: bystander.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .guardian
        .unwrap();
    assert_eq!(ned, bystander, "R4.7: manual records untouched");
}

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

// R8.1: every peer fixture syncs, with the issues a careful reader expects.
#[tokio::test(flavor = "multi_thread")]
async fn r8_1_peer_fixtures_sync_with_the_expected_issues() {
    let server = TestServer::start().await;
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/peers");

    // The ClassLink-style templates hold headers only: nothing to do, nothing wrong.
    let district = server.district("Templates").await;
    let folder = server.put_folder(&fixtures.join("oneroster-ts-templates"));
    let run = server
        .wait(
            &server
                .start_sync(&district, &folder, false, false)
                .await
                .run_id,
        )
        .await;
    assert_eq!(run.state, pb::SyncState::Succeeded as i32);
    assert_eq!(run.issue_count, 0);

    // The moodle data sets have no school: their only org is a department, which every
    // class names as its school. So each class is refused (NOT_A_SCHOOL) and its
    // enrollments go with it; the people, members of the department, sync without a school.
    let mut issues_of = std::collections::BTreeMap::new();
    for set in ["Test_full_data_set", "Test_minimal_data_set"] {
        let district = server.district(set).await;
        let folder = server.put_folder(&fixtures.join(set));
        let run = server
            .wait(
                &server
                    .start_sync(&district, &folder, false, false)
                    .await
                    .run_id,
            )
            .await;
        assert_eq!(run.state, pb::SyncState::Succeeded as i32, "{set}: {run:?}");
        assert_eq!(counts(&run, Kind::Student).created, 3, "{set}");
        assert_eq!(counts(&run, Kind::Staff).created, 2, "{set}");
        assert_eq!(counts(&run, Kind::Class).created, 0, "{set}");
        let issues = server.issues(&run.run_id).await;
        assert!(
            issues
                .iter()
                .any(|i| i.source_file == "classes.csv" && i.code == "NOT_A_SCHOOL"),
            "{set}"
        );
        assert!(
            issues.iter().all(|i| i.field != "orgSourcedIds"),
            "{set}: a department membership is no error"
        );
        assert!(
            issues.iter().all(|i| i.source_line >= 2),
            "{set}: data rows start on line 2"
        );
        issues_of.insert(set, (run, issues));
    }

    // Full set: 603-123-4567 is no valid US number (no exchange starts with 1), so a staff
    // member keeps its record without it, warned; the class marked tobedeleted takes its
    // enrollments with it silently; Mary's parent has an email and is linked to her.
    let (run, issues) = &issues_of["Test_full_data_set"];
    let codes: std::collections::BTreeSet<&str> = issues.iter().map(|i| i.code.as_str()).collect();
    assert_eq!(codes, ["INVALID_PHONE", "NOT_A_SCHOOL"].into());
    assert!(
        issues
            .iter()
            .filter(|i| i.code == "INVALID_PHONE")
            .all(|i| i.severity == pb::IssueSeverity::Warning as i32
                && i.source_id == "usr-222-987654")
    );
    assert!(
        issues.iter().all(|i| !i.message.contains("cls-222-123478")),
        "{issues:?}"
    );
    assert_eq!(counts(run, Kind::Guardian).created, 1);
    let mary = student(&server, "usr-222-66778899").await;
    assert_eq!(
        source_ids(&mary.guardians, |g| &g.source_id),
        ["usr-222-1234561"],
        "linked through agentSourcedIds"
    );

    // Minimal set: both classes are live and point at the department; the parent has no
    // email and no phone, so it is skipped (R3.1).
    let (run, issues) = &issues_of["Test_minimal_data_set"];
    let codes: std::collections::BTreeSet<&str> = issues.iter().map(|i| i.code.as_str()).collect();
    assert_eq!(codes, ["NOT_A_SCHOOL", "NO_CONTACT"].into());
    assert_eq!(counts(run, Kind::Guardian).skipped, 1);
    assert_eq!(
        issues
            .iter()
            .filter(|i| i.source_file == "classes.csv")
            .count(),
        2
    );
}

// R3.3 with R5: a row unreadable this time is skipped, and its record is not abandoned.
#[tokio::test(flavor = "multi_thread")]
async fn r3_3_a_record_whose_row_turns_unreadable_is_kept_as_it_was() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let full = springfield();
    server.sync_ok(&district, &full).await;
    let mut broken = full.clone();
    broken.user_mut("stu-bart").family = String::new();
    broken.user_mut("tch-edna").family = String::new();
    let run = server.sync_ok(&district, &broken).await;
    assert_eq!(counts(&run, Kind::Student).invalid, 1);
    assert_eq!(counts(&run, Kind::Staff).invalid, 1);
    for c in &run.counts {
        assert_eq!(
            c.abandoned, 0,
            "nothing abandoned for an unreadable row: {c:?}"
        );
    }
    let bart = student(&server, "stu-bart").await;
    assert_eq!(
        bart.student.unwrap().status,
        pb::RecordStatus::Active as i32
    );
    assert_eq!(bart.guardians.len(), 2, "links kept");
    assert_eq!(bart.classes.len(), 1, "classes kept");
    assert!(abandoned(&server, &district).await.is_empty());
}
