//! Archiving and restoring manual students and classes (R6.1, R5.3); sis ones are the
//! sync's (R5).

use super::*;

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
