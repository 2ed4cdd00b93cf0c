//! Students, guardians and staff: manual creation, validation, contact edits (R4.6),
//! roles (R4.3) and activation (R4.5).

use roster_client::pb;
use roster_client::tonic::Code;
use roster_e2e::{TestServer, assert_invalid, exec_sql};
use tonic_types::StatusExt;

fn guardian_request(district_id: &str) -> pb::CreateGuardianRequest {
    pb::CreateGuardianRequest {
        district_id: district_id.into(),
        given_name: "Marge".into(),
        family_name: "Simpson".into(),
        email: "marge@example.org".into(),
        sms_number: "(603) 555-0123".into(),
        home_phone: "603 555 0199".into(),
        language: "en".into(),
        sis_id: String::new(),
    }
}

async fn create_guardian(server: &TestServer, district_id: &str) -> pb::Guardian {
    server
        .dir()
        .create_guardian(guardian_request(district_id))
        .await
        .unwrap()
        .into_inner()
        .guardian
        .unwrap()
}

async fn create_staff(server: &TestServer, district_id: &str, school_id: &str) -> pb::StaffMember {
    server
        .dir()
        .create_staff_member(pb::CreateStaffMemberRequest {
            district_id: district_id.into(),
            school_id: school_id.into(),
            given_name: "Edna".into(),
            family_name: "Krabappel".into(),
            email: "edna@example.org".into(),
            sms_number: String::new(),
            home_phone: String::new(),
            language: "en".into(),
            role: pb::StaffRole::Teacher as i32,
            sis_id: "T-1".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .staff_member
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn students_are_created_in_a_school_and_listed() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let school = server.school(&district, "S").await;
    let mut dir = server.dir();
    let student = dir
        .create_student(pb::CreateStudentRequest {
            district_id: district.clone(),
            school_id: school.clone(),
            given_name: "Bart".into(),
            family_name: "Simpson".into(),
            email: " Bart@Example.org ".into(),
            grade: "04".into(),
            sis_id: "S-1".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .student
        .unwrap();
    assert_eq!(student.email, "Bart@Example.org");
    assert_eq!(student.origin, pb::Origin::Manual as i32);
    assert_eq!(student.school_ids, vec![school.clone()]);
    assert_eq!(student.source_id, "");
    assert_eq!(student.sis_id, "S-1");

    let listed = dir
        .list_students(pb::ListStudentsRequest {
            school_id: school.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .students;
    assert_eq!(listed, vec![student.clone()]);

    let got = dir
        .get_student(pb::GetStudentRequest {
            student_id: student.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.student.unwrap(), student);
    assert!(got.guardians.is_empty() && got.classes.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_student_request_names_every_bad_field() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let school = server.school(&district, "S").await;
    let err = server
        .dir()
        .create_student(pb::CreateStudentRequest {
            district_id: district.clone(),
            school_id: school,
            given_name: String::new(),
            family_name: "X".into(),
            email: "not-an-email".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "given_name");
    assert_invalid(&err, "email");

    // A school of another district is not found in this one.
    let other = server.district("Other").await;
    let foreign_school = server.school(&other, "Foreign").await;
    let err = server
        .dir()
        .create_student(pb::CreateStudentRequest {
            district_id: district,
            school_id: foreign_school,
            given_name: "A".into(),
            family_name: "B".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test(flavor = "multi_thread")]
async fn guardian_phones_are_validated_and_stored_in_e164() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let guardian = create_guardian(&server, &district).await;
    assert_eq!(guardian.sms_number, "+16035550123");
    assert_eq!(guardian.home_phone, "+16035550199");
    assert_eq!(guardian.account_state, pb::AccountState::Invitee as i32);

    let mut bad = guardian_request(&district);
    bad.sms_number = "555".into();
    let err = server.dir().create_guardian(bad).await.unwrap_err();
    assert_invalid(&err, "sms_number");

    // A UK landline is a real number, but it cannot receive SMS.
    let mut landline = guardian_request(&district);
    landline.sms_number = "+44 20 7946 0958".into();
    let err = server.dir().create_guardian(landline).await.unwrap_err();
    assert_invalid(&err, "sms_number");

    let mut unreachable = guardian_request(&district);
    unreachable.email = String::new();
    unreachable.sms_number = String::new();
    let err = server.dir().create_guardian(unreachable).await.unwrap_err();
    assert_invalid(&err, "email");
}

#[tokio::test(flavor = "multi_thread")]
async fn staff_need_a_role_which_only_set_staff_role_changes() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let school = server.school(&district, "S").await;
    let err = server
        .dir()
        .create_staff_member(pb::CreateStaffMemberRequest {
            district_id: district.clone(),
            school_id: school.clone(),
            given_name: "No".into(),
            family_name: "Role".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "role");

    let staff = create_staff(&server, &district, &school).await;
    assert_eq!(staff.role, pb::StaffRole::Teacher as i32);
    assert_eq!(staff.school_ids, vec![school.clone()]);
    let updated = server
        .dir()
        .set_staff_role(pb::SetStaffRoleRequest {
            staff_id: staff.id.clone(),
            role: pb::StaffRole::Admin as i32,
        })
        .await
        .unwrap()
        .into_inner()
        .staff_member
        .unwrap();
    assert_eq!(updated.role, pb::StaffRole::Admin as i32);
    let listed = server
        .dir()
        .list_staff(pb::ListStaffRequest {
            school_id: school,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .staff;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].role, pb::StaffRole::Admin as i32);

    let err = server
        .dir()
        .set_staff_role(pb::SetStaffRoleRequest {
            staff_id: staff.id,
            role: pb::StaffRole::Unspecified as i32,
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "role");
}

fn contact_update(user_id: &str, email: &str, paths: &[&str]) -> pb::UpdateContactDetailsRequest {
    pb::UpdateContactDetailsRequest {
        user_id: user_id.into(),
        contact_details: Some(pb::ContactDetails {
            email: email.into(),
            sms_number: String::new(),
            home_phone: String::new(),
        }),
        update_mask: Some(roster_client::prost_types::FieldMask {
            paths: paths.iter().map(|p| p.to_string()).collect(),
        }),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn contact_details_change_only_the_fields_in_the_mask() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let guardian = create_guardian(&server, &district).await;
    let response = server
        .dir()
        .update_contact_details(contact_update(&guardian.id, "new@example.org", &["email"]))
        .await
        .unwrap()
        .into_inner();
    let Some(pb::update_contact_details_response::User::Guardian(updated)) = response.user else {
        panic!("expected a guardian");
    };
    assert_eq!(updated.email, "new@example.org");
    assert_eq!(
        updated.sms_number, guardian.sms_number,
        "not in the mask: unchanged"
    );

    let err = server
        .dir()
        .update_contact_details(contact_update(&guardian.id, "x@example.org", &[]))
        .await
        .unwrap_err();
    assert_invalid(&err, "update_mask");
    let err = server
        .dir()
        .update_contact_details(contact_update(
            &guardian.id,
            "x@example.org",
            &["given_name"],
        ))
        .await
        .unwrap_err();
    assert_invalid(&err, "update_mask");
    let err = server
        .dir()
        .update_contact_details(contact_update(&guardian.id, "broken@", &["email"]))
        .await
        .unwrap_err();
    assert_invalid(&err, "email");
    let err = server
        .dir()
        .update_contact_details(contact_update("999", "x@example.org", &["email"]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

async fn enable_update_active_users(server: &TestServer, district: &str) {
    server
        .sync()
        .update_sync_settings(pb::UpdateSyncSettingsRequest {
            settings: Some(pb::SyncSettings {
                district_id: district.into(),
                update_active_users: true,
                ..Default::default()
            }),
            update_mask: Some(roster_client::prost_types::FieldMask {
                paths: vec!["update_active_users".into()],
            }),
        })
        .await
        .unwrap();
}

// R4.6: while Update Active Users is on, an active sis user's contact details belong to
// the sync and manual edits are refused; invitees and manual users stay editable.
#[tokio::test(flavor = "multi_thread")]
async fn r4_6_active_sis_users_contact_is_managed_by_sync() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let guardian = create_guardian(&server, &district).await;
    // Only a sync makes sis records: mark this one as synced from the source.
    exec_sql(
        &server.store(),
        &format!(
            "UPDATE guardians SET origin = 'sis', source_id = 'g-1' WHERE id = {}",
            guardian.id
        ),
    )
    .await;
    enable_update_active_users(&server, &district).await;

    // Still an invitee: editable.
    server
        .dir()
        .update_contact_details(contact_update(
            &guardian.id,
            "invitee@example.org",
            &["email"],
        ))
        .await
        .expect("invitees stay editable");

    let activated = server
        .dir()
        .activate_user(pb::ActivateUserRequest {
            user_id: guardian.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let Some(pb::activate_user_response::User::Guardian(active)) = activated.user else {
        panic!("expected a guardian");
    };
    assert_eq!(active.account_state, pb::AccountState::Active as i32);

    let err = server
        .dir()
        .update_contact_details(contact_update(&guardian.id, "mine@example.org", &["email"]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    let info = err.get_details_error_info().expect("ErrorInfo detail");
    assert_eq!(info.reason, "CONTACT_MANAGED_BY_SYNC");

    // With the setting off again, the active user may edit.
    server
        .sync()
        .update_sync_settings(pb::UpdateSyncSettingsRequest {
            settings: Some(pb::SyncSettings {
                district_id: district.clone(),
                update_active_users: false,
                ..Default::default()
            }),
            update_mask: Some(roster_client::prost_types::FieldMask {
                paths: vec!["update_active_users".into()],
            }),
        })
        .await
        .unwrap();
    server
        .dir()
        .update_contact_details(contact_update(&guardian.id, "mine@example.org", &["email"]))
        .await
        .expect("editable with the setting off");
}

// R4.7 / R1.3: a manual active user is never managed by the sync, so stays editable.
#[tokio::test(flavor = "multi_thread")]
async fn r4_6_manual_active_users_stay_editable() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let school = server.school(&district, "S").await;
    let staff = create_staff(&server, &district, &school).await;
    enable_update_active_users(&server, &district).await;
    server
        .dir()
        .activate_user(pb::ActivateUserRequest {
            user_id: staff.id.clone(),
        })
        .await
        .unwrap();
    let response = server
        .dir()
        .update_contact_details(contact_update(&staff.id, "edna.k@example.org", &["email"]))
        .await
        .unwrap()
        .into_inner();
    let Some(pb::update_contact_details_response::User::StaffMember(updated)) = response.user
    else {
        panic!("expected a staff member");
    };
    assert_eq!(updated.email, "edna.k@example.org");
    assert_eq!(updated.account_state, pb::AccountState::Active as i32);
}
