//! Removing memberships and links: manual ones go, the ones the sync manages stay (R1.4,
//! R4.7).

use super::*;

// R1.4: a sis membership or link is the sync's, and so is a manual one between two sis
// records (the sync keeps or abandons it); a manual one with a manual side is not.
#[tokio::test(flavor = "multi_thread")]
async fn r1_4_memberships_the_sync_manages_are_refused_others_removed() {
    let s = Synced::start().await;
    let server = &s.server;
    let mut dir = server.dir();
    let bart = s.id("students", "stu-bart").await;
    let edna = s.id("staff", "tch-edna").await;
    let kirk = s.id("guardians", "par-kirk").await;
    let marge = s.id("guardians", "par-marge").await;
    let class = s.id("classes", "cls-4a").await;
    let sch1 = school_id(server, "sch-1").await;

    let remove_member = |class: &str, user: &str| pb::RemoveClassMemberRequest {
        class_id: class.into(),
        user_id: user.into(),
    };
    let unlink = |guardian: &str, student: &str| pb::UnlinkGuardianRequest {
        guardian_id: guardian.into(),
        student_id: student.into(),
    };
    let leave = |school: &str, user: &str| pb::RemoveSchoolMemberRequest {
        school_id: school.into(),
        user_id: user.into(),
    };
    // Sis memberships and links.
    assert_managed(dir.remove_class_member(remove_member(&class, &bart)).await);
    assert_managed(dir.remove_class_member(remove_member(&class, &edna)).await);
    assert_managed(dir.unlink_guardian(unlink(&marge, &bart)).await);
    assert_managed(dir.remove_school_member(leave(&sch1, &bart)).await);
    assert_managed(dir.remove_school_member(leave(&sch1, &edna)).await);
    // A manual link between two sis records.
    dir.link_guardian(pb::LinkGuardianRequest {
        guardian_id: kirk.clone(),
        student_id: bart.clone(),
    })
    .await
    .unwrap();
    assert_managed(dir.unlink_guardian(unlink(&kirk, &bart)).await);

    // Manual records in sis places: theirs to remove.
    let ned = server
        .manual_guardian(&s.district, "Ned", "Flanders", "ned@example.org")
        .await
        .id;
    dir.link_guardian(pb::LinkGuardianRequest {
        guardian_id: ned.clone(),
        student_id: bart.clone(),
    })
    .await
    .unwrap();
    let unlinked = dir
        .unlink_guardian(unlink(&ned, &bart))
        .await
        .unwrap()
        .into_inner()
        .guardian
        .unwrap();
    assert!(unlinked.student_ids.is_empty());
    let rod = dir
        .create_student(pb::CreateStudentRequest {
            district_id: s.district.clone(),
            school_id: sch1.clone(),
            given_name: "Rod".into(),
            family_name: "Flanders".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .student
        .unwrap()
        .id;
    dir.add_class_member(pb::AddClassMemberRequest {
        class_id: class.clone(),
        user_id: rod.clone(),
        role: pb::ClassMemberRole::Student as i32,
    })
    .await
    .unwrap();
    dir.remove_class_member(remove_member(&class, &rod))
        .await
        .unwrap();
    dir.remove_school_member(leave(&sch1, &rod)).await.unwrap();
    let rod = dir
        .get_student(pb::GetStudentRequest { student_id: rod })
        .await
        .unwrap()
        .into_inner();
    assert!(rod.classes.is_empty());
    assert!(rod.student.unwrap().school_ids.is_empty());

    // The sync leaves the manual side alone, and keeps its own.
    server.sync_ok(&s.district, &springfield()).await;
    let bart = dir
        .get_student(pb::GetStudentRequest { student_id: bart })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bart.classes.len(), 1);
    assert_eq!(
        bart.guardians.len(),
        2,
        "Marge and Homer; Kirk's link abandoned"
    );
}

// R4.7: manual memberships and links are removed: a class's student and teacher, a
// guardian's link, a school's student and staff member. A second removal finds nothing.
#[tokio::test(flavor = "multi_thread")]
async fn r4_7_manual_memberships_and_links_are_removed() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let m = manual(&server, &district).await;
    let mut dir = server.dir();
    for user in [&m.student, &m.teacher] {
        dir.remove_class_member(pb::RemoveClassMemberRequest {
            class_id: m.class.clone(),
            user_id: user.clone(),
        })
        .await
        .unwrap();
    }
    let members = dir
        .list_class_members(pb::ListClassMembersRequest {
            class_id: m.class.clone(),
            status_filter: pb::StatusFilter::All as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .members;
    assert!(members.is_empty());
    let err = dir
        .remove_class_member(pb::RemoveClassMemberRequest {
            class_id: m.class.clone(),
            user_id: m.student.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    let guardian = dir
        .unlink_guardian(pb::UnlinkGuardianRequest {
            guardian_id: m.guardian.clone(),
            student_id: m.student.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .guardian
        .unwrap();
    assert!(guardian.student_ids.is_empty());
    let err = dir
        .unlink_guardian(pb::UnlinkGuardianRequest {
            guardian_id: m.guardian.clone(),
            student_id: m.student.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    for user in [&m.student, &m.teacher] {
        dir.remove_school_member(pb::RemoveSchoolMemberRequest {
            school_id: m.school.clone(),
            user_id: user.clone(),
        })
        .await
        .unwrap();
    }
    assert!(
        students_of(&server, &m.school, pb::StatusFilter::All)
            .await
            .is_empty()
    );
    let staff = dir
        .get_staff_member(pb::GetStaffMemberRequest {
            staff_id: m.teacher.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .staff_member
        .unwrap();
    assert!(staff.school_ids.is_empty());
    let err = dir
        .remove_school_member(pb::RemoveSchoolMemberRequest {
            school_id: m.school.clone(),
            user_id: m.teacher.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}
