//! Field-masked Update* of sis and manual records (R4.1 to R4.4, R4.7).

use super::*;

// R4.7, R1.3: a manual record takes every field; a field left out of the mask stays.
#[tokio::test(flavor = "multi_thread")]
async fn r4_7_manual_records_take_every_field() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let m = manual(&server, &district).await;
    let mut dir = server.dir();

    let student = dir
        .update_student(pb::UpdateStudentRequest {
            student_id: m.student.clone(),
            given_name: " Rodney ".into(),
            family_name: "ignored: not in the mask".into(),
            grade: "04".into(),
            update_mask: mask(&["given_name", "grade"]),
        })
        .await
        .unwrap()
        .into_inner()
        .student
        .unwrap();
    assert_eq!(
        (student.given_name.as_str(), student.family_name.as_str()),
        ("Rodney", "Flanders")
    );
    assert_eq!(student.grade, "04");
    let cleared = dir
        .update_student(pb::UpdateStudentRequest {
            student_id: m.student.clone(),
            update_mask: mask(&["grade"]),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .student
        .unwrap();
    assert_eq!(cleared.grade, "", "an empty value in the mask clears");

    let guardian = dir
        .update_guardian(pb::UpdateGuardianRequest {
            guardian_id: m.guardian.clone(),
            given_name: "Nedward".into(),
            family_name: "Flanders-Smith".into(),
            language: "es-MX".into(),
            update_mask: mask(&["given_name", "family_name", "language"]),
        })
        .await
        .unwrap()
        .into_inner()
        .guardian
        .unwrap();
    assert_eq!(
        (
            guardian.given_name.as_str(),
            guardian.family_name.as_str(),
            guardian.language.as_str()
        ),
        ("Nedward", "Flanders-Smith", "es-MX")
    );
    assert_eq!(guardian.student_ids, vec![m.student.clone()]);

    let teacher = dir
        .update_staff_member(pb::UpdateStaffMemberRequest {
            staff_id: m.teacher.clone(),
            family_name: "Lovejoy-Jones".into(),
            language: "fr".into(),
            update_mask: mask(&["family_name", "language"]),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .staff_member
        .unwrap();
    assert_eq!(
        (
            teacher.given_name.as_str(),
            teacher.family_name.as_str(),
            teacher.language.as_str()
        ),
        ("Helen", "Lovejoy-Jones", "fr")
    );

    let class = dir
        .update_class(pb::UpdateClassRequest {
            class_id: m.class.clone(),
            name: "Bible Study".into(),
            grades: vec!["03".into(), "4".into()],
            update_mask: mask(&["name", "grades"]),
        })
        .await
        .unwrap()
        .into_inner()
        .class
        .unwrap();
    assert_eq!(class.name, "Bible Study");
    assert_eq!(class.grades, ["03", "4"]);

    // Read back through the Get calls.
    let got = dir
        .get_guardian(pb::GetGuardianRequest {
            guardian_id: m.guardian.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.guardian.unwrap().language, "es-MX");
    assert_eq!(got.students[0].given_name, "Rodney");
    let got = dir
        .get_class(pb::GetClassRequest {
            class_id: m.class.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.class.unwrap().name, "Bible Study");
    assert_eq!(got.school.unwrap().id, m.school);
}

// R4.1, R4.4: every editable field of a sis student or class is the sync's.
#[tokio::test(flavor = "multi_thread")]
async fn r4_1_r4_4_a_sis_students_and_classs_fields_are_managed_by_sync() {
    let s = Synced::start().await;
    let mut dir = s.server.dir();
    let bart = s.id("students", "stu-bart").await;
    for field in ["given_name", "family_name", "grade"] {
        assert_managed(
            dir.update_student(pb::UpdateStudentRequest {
                student_id: bart.clone(),
                given_name: "Bartholomew".into(),
                family_name: "Simpson".into(),
                grade: "05".into(),
                update_mask: mask(&[field]),
            })
            .await,
        );
    }
    let class = s.id("classes", "cls-4a").await;
    for field in ["name", "grades"] {
        assert_managed(
            dir.update_class(pb::UpdateClassRequest {
                class_id: class.clone(),
                name: "4 A".into(),
                grades: vec!["04".into()],
                update_mask: mask(&[field]),
            })
            .await,
        );
    }
    let detail = dir
        .get_student(pb::GetStudentRequest { student_id: bart })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(detail.student.unwrap().given_name, "Bart", "unchanged");
}

// R4.2, R4.3, R2.2: a sis guardian's or staff member's names are the sync's, but not its
// language: the sync sets that only when it creates the account, so an edit stays through
// the next run.
#[tokio::test(flavor = "multi_thread")]
async fn r4_2_r4_3_a_sis_accounts_language_is_editable_its_names_are_not() {
    let s = Synced::start().await;
    let mut dir = s.server.dir();
    let marge = s.id("guardians", "par-marge").await;
    let edna = s.id("staff", "tch-edna").await;
    assert_managed(
        dir.update_guardian(pb::UpdateGuardianRequest {
            guardian_id: marge.clone(),
            family_name: "Bouvier".into(),
            language: "fr".into(),
            update_mask: mask(&["language", "family_name"]),
            ..Default::default()
        })
        .await,
    );
    assert_managed(
        dir.update_staff_member(pb::UpdateStaffMemberRequest {
            staff_id: edna.clone(),
            given_name: "E.".into(),
            update_mask: mask(&["given_name"]),
            ..Default::default()
        })
        .await,
    );
    let guardian = dir
        .update_guardian(pb::UpdateGuardianRequest {
            guardian_id: marge.clone(),
            language: "fr".into(),
            update_mask: mask(&["language"]),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .guardian
        .unwrap();
    assert_eq!(guardian.language, "fr");
    assert_eq!(
        guardian.family_name, "Simpson",
        "the refused edit changed nothing"
    );
    let staff = dir
        .update_staff_member(pb::UpdateStaffMemberRequest {
            staff_id: edna.clone(),
            language: "es".into(),
            update_mask: mask(&["language"]),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .staff_member
        .unwrap();
    assert_eq!(staff.language, "es");

    s.server.sync_ok(&s.district, &springfield()).await;
    let marge = dir
        .get_guardian(pb::GetGuardianRequest { guardian_id: marge })
        .await
        .unwrap()
        .into_inner()
        .guardian
        .unwrap();
    assert_eq!(marge.language, "fr", "kept by the next run");
    let edna = dir
        .get_staff_member(pb::GetStaffMemberRequest { staff_id: edna })
        .await
        .unwrap()
        .into_inner()
        .staff_member
        .unwrap();
    assert_eq!(edna.language, "es", "kept by the next run");
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_check_their_mask_and_values() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let m = manual(&server, &district).await;
    let mut dir = server.dir();
    let student = |paths: &[&str], given: &str, grade: &str| pb::UpdateStudentRequest {
        student_id: m.student.clone(),
        given_name: given.into(),
        family_name: "Flanders".into(),
        grade: grade.into(),
        update_mask: mask(paths),
    };
    let err = dir
        .update_student(student(&[], "Rod", ""))
        .await
        .unwrap_err();
    assert_invalid(&err, "update_mask");
    let err = dir
        .update_student(student(&["email"], "Rod", ""))
        .await
        .unwrap_err();
    assert_invalid(&err, "update_mask");
    // Every bad value is reported at once.
    let err = dir
        .update_student(student(&["given_name", "grade"], "  ", &"9".repeat(33)))
        .await
        .unwrap_err();
    assert_invalid(&err, "given_name");
    assert_invalid(&err, "grade");
    let err = dir
        .update_guardian(pb::UpdateGuardianRequest {
            guardian_id: m.guardian.clone(),
            language: "Klingon language".into(),
            update_mask: mask(&["language"]),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "language");
    let err = dir
        .update_class(pb::UpdateClassRequest {
            class_id: m.class.clone(),
            grades: vec!["03".into(), "".into()],
            update_mask: mask(&["grades"]),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "grades[1]");
    let err = dir
        .update_class(pb::UpdateClassRequest {
            class_id: m.class.clone(),
            name: String::new(),
            update_mask: mask(&["name"]),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "name");
    // An id of another kind names nothing of this one.
    let err = dir
        .update_staff_member(pb::UpdateStaffMemberRequest {
            staff_id: m.guardian.clone(),
            language: "en".into(),
            update_mask: mask(&["language"]),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}
