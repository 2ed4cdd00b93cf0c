//! What a sync creates, skips and updates (R1.4, R2-R4), through gRPC, on the backend the
//! environment selects: each scenario syncs roster versions one after another and checks
//! what the directory then shows.

use roster_client::pb;
use roster_client::tonic::Code;
use roster_e2e::lookup::*;
use roster_e2e::roster::springfield;
use roster_e2e::{TestServer, id_of};

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
