//! Manual edits over gRPC: Get* of one record, field-masked Update* (R4.1 to R4.4, R4.7),
//! archiving and restoring, removing memberships and links (R1.4), their audit (S2.1),
//! and other districts' records (S1.2).

use roster_client::pb;
use roster_client::prost_types::FieldMask;
use roster_client::tonic::{Code, Status};
use roster_e2e::lookup::school_id;
use roster_e2e::roster::springfield;
use roster_e2e::{TestServer, assert_invalid, id_of};
use roster_server::domain::ApiKeyRole;
use tonic_types::StatusExt;

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    })
}

#[track_caller]
fn assert_managed(result: Result<impl std::fmt::Debug, Status>) {
    let err = result.expect_err("refused");
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let info = err.get_details_error_info().expect("ErrorInfo detail");
    assert_eq!(info.reason, "MANAGED_BY_SYNC", "{err:?}");
}

/// A district synced from springfield: its ids by source id.
struct Synced {
    district: String,
    server: TestServer,
}

impl Synced {
    async fn start() -> Self {
        let server = TestServer::start().await;
        let district = server.district("D").await;
        server.sync_ok(&district, &springfield()).await;
        Synced { district, server }
    }

    async fn id(&self, table: &str, source_id: &str) -> String {
        id_of(&self.server.store(), table, source_id).await
    }
}

/// Manual records: a school, a student in it, a guardian linked to it, a teacher, and a
/// class with both as members.
struct Manual {
    school: String,
    student: String,
    guardian: String,
    teacher: String,
    class: String,
}

async fn manual(server: &TestServer, district: &str) -> Manual {
    let school = server.school(district, "Manual School").await;
    let mut dir = server.dir();
    let student = dir
        .create_student(pb::CreateStudentRequest {
            district_id: district.into(),
            school_id: school.clone(),
            given_name: "Rod".into(),
            family_name: "Flanders".into(),
            grade: "03".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .student
        .unwrap()
        .id;
    let guardian = server
        .manual_guardian(district, "Ned", "Flanders", "ned@example.org")
        .await
        .id;
    let teacher = dir
        .create_staff_member(pb::CreateStaffMemberRequest {
            district_id: district.into(),
            school_id: school.clone(),
            given_name: "Helen".into(),
            family_name: "Lovejoy".into(),
            role: pb::StaffRole::Teacher as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .staff_member
        .unwrap()
        .id;
    let class = dir
        .create_class(pb::CreateClassRequest {
            district_id: district.into(),
            school_id: school.clone(),
            name: "Sunday School".into(),
            grades: vec!["03".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .class
        .unwrap()
        .id;
    dir.link_guardian(pb::LinkGuardianRequest {
        guardian_id: guardian.clone(),
        student_id: student.clone(),
    })
    .await
    .unwrap();
    for (user, role) in [
        (&student, pb::ClassMemberRole::Student),
        (&teacher, pb::ClassMemberRole::Teacher),
    ] {
        dir.add_class_member(pb::AddClassMemberRequest {
            class_id: class.clone(),
            user_id: user.clone(),
            role: role as i32,
        })
        .await
        .unwrap();
    }
    Manual {
        school,
        student,
        guardian,
        teacher,
        class,
    }
}

// GetGuardian with its students, GetStaffMember with its classes, GetClass with its
// school; NOT_FOUND and INVALID_ARGUMENT as for any id.
#[tokio::test(flavor = "multi_thread")]
async fn get_guardian_staff_member_and_class_return_their_links() {
    let s = Synced::start().await;
    let mut dir = s.server.dir();
    let marge = dir
        .get_guardian(pb::GetGuardianRequest {
            guardian_id: s.id("guardians", "par-marge").await,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(marge.guardian.unwrap().source_id, "par-marge");
    let mut children: Vec<String> = marge.students.into_iter().map(|s| s.source_id).collect();
    children.sort();
    assert_eq!(children, ["stu-bart", "stu-lisa"]);

    let edna = dir
        .get_staff_member(pb::GetStaffMemberRequest {
            staff_id: s.id("staff", "tch-edna").await,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(edna.staff_member.unwrap().source_id, "tch-edna");
    let classes: Vec<String> = edna.classes.into_iter().map(|c| c.source_id).collect();
    assert_eq!(classes, ["cls-4a"]);

    let class = dir
        .get_class(pb::GetClassRequest {
            class_id: s.id("classes", "cls-music").await,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(class.class.unwrap().grades, ["04", "05"]);
    assert_eq!(class.school.unwrap().source_id, "sch-2");

    let err = dir
        .get_guardian(pb::GetGuardianRequest {
            guardian_id: s.id("staff", "tch-edna").await,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = dir
        .get_class(pb::GetClassRequest {
            class_id: "nope".into(),
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "class_id");
    let err = dir
        .get_staff_member(pb::GetStaffMemberRequest {
            staff_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "staff_id");
}

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

async fn students_of(server: &TestServer, school: &str, filter: pb::StatusFilter) -> Vec<String> {
    roster_e2e::lookup::students(server, school, filter)
        .await
        .into_iter()
        .map(|s| s.id)
        .collect()
}

// R6.1, R5.3: a manual student is archived as under SOFT (it keeps its school and
// classes, its guardian loses the school) and restored; a manual class keeps its members.
// Archiving twice keeps the first archive.
#[tokio::test(flavor = "multi_thread")]
async fn r6_1_manual_students_and_classes_are_archived_and_restored() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let m = manual(&server, &district).await;
    let mut dir = server.dir();

    let archived = dir
        .archive_student(pb::ArchiveStudentRequest {
            student_id: m.student.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .student
        .unwrap();
    assert_eq!(archived.status, pb::RecordStatus::Archived as i32);
    assert_eq!(archived.school_ids, vec![m.school.clone()]);
    let again = dir
        .archive_student(pb::ArchiveStudentRequest {
            student_id: m.student.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .student
        .unwrap();
    assert_eq!(again.update_time, archived.update_time, "nothing changed");
    assert!(
        students_of(&server, &m.school, pb::StatusFilter::Active)
            .await
            .is_empty()
    );
    assert_eq!(
        students_of(&server, &m.school, pb::StatusFilter::Archived).await,
        vec![m.student.clone()]
    );
    let access = dir
        .get_guardian_access(pb::GetGuardianAccessRequest {
            guardian_id: m.guardian.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(access.schools.is_empty() && access.classes.is_empty());
    assert_eq!(access.student_content_classes.len(), 1);

    let restored = dir
        .restore_student(pb::RestoreStudentRequest {
            student_id: m.student.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .student
        .unwrap();
    assert_eq!(restored.status, pb::RecordStatus::Active as i32);
    assert_eq!(
        students_of(&server, &m.school, pb::StatusFilter::Active).await,
        vec![m.student.clone()]
    );

    let class = dir
        .archive_class(pb::ArchiveClassRequest {
            class_id: m.class.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .class
        .unwrap();
    assert_eq!(class.status, pb::RecordStatus::Archived as i32);
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
    assert_eq!(members.len(), 2, "an archived class keeps its members");
    let class = dir
        .restore_class(pb::RestoreClassRequest {
            class_id: m.class.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .class
        .unwrap();
    assert_eq!(class.status, pb::RecordStatus::Active as i32);
}

// R5, R6: a sis student or class is the sync's to archive and restore.
#[tokio::test(flavor = "multi_thread")]
async fn r5_a_sis_student_or_class_is_archived_only_by_the_sync() {
    let s = Synced::start().await;
    let mut dir = s.server.dir();
    let bart = s.id("students", "stu-bart").await;
    let class = s.id("classes", "cls-4a").await;
    assert_managed(
        dir.archive_student(pb::ArchiveStudentRequest {
            student_id: bart.clone(),
        })
        .await,
    );
    assert_managed(
        dir.restore_student(pb::RestoreStudentRequest { student_id: bart })
            .await,
    );
    assert_managed(
        dir.archive_class(pb::ArchiveClassRequest {
            class_id: class.clone(),
        })
        .await,
    );
    assert_managed(
        dir.restore_class(pb::RestoreClassRequest { class_id: class })
            .await,
    );
}

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
