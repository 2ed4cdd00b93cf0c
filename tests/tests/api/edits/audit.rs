//! Manual edits in the audit log (S2.1), and another district's records (S1.2).

use super::*;

// S2.1: each change is audited with the record and the names of the fields it changed; a
// refused one is not.
#[tokio::test(flavor = "multi_thread")]
async fn s2_1_manual_edits_are_audited_with_their_fields() {
    let s = Synced::start().await;
    let server = &s.server;
    let m = manual(server, &s.district).await;
    let mut dir = server.dir();
    let marge = s.id("guardians", "par-marge").await;
    dir.update_guardian(pb::UpdateGuardianRequest {
        guardian_id: marge.clone(),
        language: "fr".into(),
        update_mask: mask(&["language"]),
        ..Default::default()
    })
    .await
    .unwrap();
    dir.update_student(pb::UpdateStudentRequest {
        student_id: m.student.clone(),
        given_name: "Rodney".into(),
        family_name: "Flanders".into(),
        update_mask: mask(&["family_name", "given_name"]),
        ..Default::default()
    })
    .await
    .unwrap();
    dir.archive_class(pb::ArchiveClassRequest {
        class_id: m.class.clone(),
    })
    .await
    .unwrap();
    dir.remove_class_member(pb::RemoveClassMemberRequest {
        class_id: m.class.clone(),
        user_id: m.teacher.clone(),
    })
    .await
    .unwrap();
    dir.unlink_guardian(pb::UnlinkGuardianRequest {
        guardian_id: m.guardian.clone(),
        student_id: m.student.clone(),
    })
    .await
    .unwrap();
    dir.remove_school_member(pb::RemoveSchoolMemberRequest {
        school_id: m.school.clone(),
        user_id: m.teacher.clone(),
    })
    .await
    .unwrap();
    assert_managed(
        dir.update_guardian(pb::UpdateGuardianRequest {
            guardian_id: marge.clone(),
            given_name: "M".into(),
            update_mask: mask(&["given_name"]),
            ..Default::default()
        })
        .await,
    );

    let events = server
        .client
        .access()
        .list_audit_events(pb::ListAuditEventsRequest {
            district_id: s.district.clone(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    let event = |method: &str| -> Vec<(String, Vec<String>)> {
        events
            .iter()
            .filter(|e| e.method == format!("/roster.v1.DirectoryService/{method}"))
            .map(|e| (e.target_id.clone(), e.changed_fields.clone()))
            .collect()
    };
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        event("UpdateGuardian"),
        vec![(marge, strings(&["language"]))],
        "the refused edit is not audited"
    );
    assert_eq!(
        event("UpdateStudent"),
        vec![(m.student.clone(), strings(&["family_name", "given_name"]))]
    );
    assert_eq!(
        event("ArchiveClass"),
        vec![(m.class.clone(), strings(&["status"]))]
    );
    assert_eq!(
        event("RemoveClassMember"),
        vec![(m.class.clone(), strings(&["user_id"]))]
    );
    assert_eq!(
        event("UnlinkGuardian"),
        vec![(m.guardian.clone(), strings(&["student_id"]))]
    );
    assert_eq!(
        event("RemoveSchoolMember"),
        vec![(m.school.clone(), strings(&["user_id"]))]
    );
}

// S1.2: a membership is reached through the record the call names: a class, guardian or
// school of the key's district with a person of another district is a membership that
// does not exist, and the other district's records stay as they were. A reader key
// changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn s1_2_another_districts_person_is_no_member() {
    let server = TestServer::start().await;
    let a = server.district("A").await;
    let b = server.district("B").await;
    let ma = manual(&server, &a).await;
    let mb = manual(&server, &b).await;
    let operator = server.key(ApiKeyRole::Operator, &[&a]).await;
    let mut dir = server.client_with(&operator).await.directory();
    let err = dir
        .remove_class_member(pb::RemoveClassMemberRequest {
            class_id: ma.class.clone(),
            user_id: mb.student.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = dir
        .unlink_guardian(pb::UnlinkGuardianRequest {
            guardian_id: ma.guardian.clone(),
            student_id: mb.student.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = dir
        .remove_school_member(pb::RemoveSchoolMemberRequest {
            school_id: ma.school.clone(),
            user_id: mb.teacher.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = dir
        .update_student(pb::UpdateStudentRequest {
            student_id: mb.student.clone(),
            given_name: "X".into(),
            update_mask: mask(&["given_name"]),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    let admin = server.key(ApiKeyRole::Admin, &[]).await;
    let mut admin = server.client_with(&admin).await.directory();
    let b_student = admin
        .get_student(pb::GetStudentRequest {
            student_id: mb.student.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(b_student.student.unwrap().given_name, "Rod");
    assert_eq!(b_student.guardians.len(), 1);
    assert_eq!(b_student.classes.len(), 1);

    let reader = server.key(ApiKeyRole::Reader, &[&a]).await;
    let mut reader = server.client_with(&reader).await.directory();
    reader
        .get_class(pb::GetClassRequest {
            class_id: ma.class.clone(),
        })
        .await
        .unwrap();
    let err = reader
        .archive_class(pb::ArchiveClassRequest {
            class_id: ma.class.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}
