//! Classes, class members, family links, and the access derived from them (R6.3).

use roster_client::pb;
use roster_client::tonic::Code;
use roster_e2e::{TestServer, assert_invalid, exec_sql};

struct Family {
    district: String,
    school: String,
    class: String,
    student: String,
    guardian: String,
    teacher: String,
}

async fn family(server: &TestServer) -> Family {
    let district = server.district("D").await;
    let school = server.school(&district, "S").await;
    let mut dir = server.dir();
    let class = dir
        .create_class(pb::CreateClassRequest {
            district_id: district.clone(),
            school_id: school.clone(),
            name: "Grade 4 Math".into(),
            grades: vec!["04".into()],
            sis_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .class
        .unwrap();
    assert_eq!(class.grades, vec!["04".to_string()]);
    let student = dir
        .create_student(pb::CreateStudentRequest {
            district_id: district.clone(),
            school_id: school.clone(),
            given_name: "Lisa".into(),
            family_name: "Simpson".into(),
            grade: "04".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .student
        .unwrap();
    let guardian = server
        .manual_guardian(&district, "Homer", "Simpson", "homer@example.org")
        .await;
    let teacher = dir
        .create_staff_member(pb::CreateStaffMemberRequest {
            district_id: district.clone(),
            school_id: school.clone(),
            given_name: "Elizabeth".into(),
            family_name: "Hoover".into(),
            email: "hoover@example.org".into(),
            role: pb::StaffRole::Teacher as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .staff_member
        .unwrap();
    dir.add_class_member(pb::AddClassMemberRequest {
        class_id: class.id.clone(),
        user_id: student.id.clone(),
        role: pb::ClassMemberRole::Student as i32,
    })
    .await
    .unwrap();
    dir.add_class_member(pb::AddClassMemberRequest {
        class_id: class.id.clone(),
        user_id: teacher.id.clone(),
        role: pb::ClassMemberRole::Teacher as i32,
    })
    .await
    .unwrap();
    let linked = dir
        .link_guardian(pb::LinkGuardianRequest {
            guardian_id: guardian.id.clone(),
            student_id: student.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .guardian
        .unwrap();
    assert_eq!(linked.student_ids, vec![student.id.clone()]);
    Family {
        district,
        school,
        class: class.id,
        student: student.id,
        guardian: guardian.id,
        teacher: teacher.id,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn class_members_page_across_teachers_and_students() {
    let server = TestServer::start().await;
    let f = family(&server).await;
    let mut dir = server.dir();
    let first = dir
        .list_class_members(pb::ListClassMembersRequest {
            class_id: f.class.clone(),
            page_size: 1,
            page_token: String::new(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.members.len(), 1);
    assert!(!first.next_page_token.is_empty());
    let second = dir
        .list_class_members(pb::ListClassMembersRequest {
            class_id: f.class.clone(),
            page_size: 1,
            page_token: first.next_page_token,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.members.len(), 1);
    assert_eq!(second.next_page_token, "");
    let roles: Vec<i32> = first
        .members
        .iter()
        .chain(&second.members)
        .map(|m| m.role)
        .collect();
    assert!(roles.contains(&(pb::ClassMemberRole::Teacher as i32)));
    assert!(roles.contains(&(pb::ClassMemberRole::Student as i32)));

    let err = dir
        .add_class_member(pb::AddClassMemberRequest {
            class_id: f.class.clone(),
            user_id: f.student.clone(),
            role: pb::ClassMemberRole::Student as i32,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    let err = dir
        .add_class_member(pb::AddClassMemberRequest {
            class_id: f.class.clone(),
            user_id: f.student.clone(),
            role: pb::ClassMemberRole::Unspecified as i32,
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "role");
    let err = dir
        .link_guardian(pb::LinkGuardianRequest {
            guardian_id: f.guardian.clone(),
            student_id: f.student.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
}

#[tokio::test(flavor = "multi_thread")]
async fn r6_3_a_linked_guardian_reaches_the_school_and_class_of_an_active_student() {
    let server = TestServer::start().await;
    let f = family(&server).await;
    let access = server
        .dir()
        .get_guardian_access(pb::GetGuardianAccessRequest {
            guardian_id: f.guardian.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        access.students.iter().map(|s| &s.id).collect::<Vec<_>>(),
        vec![&f.student]
    );
    assert_eq!(
        access.schools.iter().map(|s| &s.id).collect::<Vec<_>>(),
        vec![&f.school]
    );
    assert_eq!(
        access.classes.iter().map(|c| &c.id).collect::<Vec<_>>(),
        vec![&f.class]
    );
    assert!(access.student_content_classes.is_empty());

    let student = server
        .dir()
        .get_student(pb::GetStudentRequest {
            student_id: f.student.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(student.guardians.len(), 1);
    assert_eq!(student.classes.len(), 1);

    let recipients = server
        .dir()
        .list_announcement_recipients(pb::ListAnnouncementRecipientsRequest {
            district_id: f.district.clone(),
            school_id: f.school.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .recipients;
    let ids: Vec<&str> = recipients.iter().map(|r| r.user_id.as_str()).collect();
    assert!(
        ids.contains(&f.guardian.as_str()) && ids.contains(&f.teacher.as_str()),
        "{ids:?}"
    );
}

// R6.1 / R6.3: once the student is archived, the guardian keeps the student and its class
// content but loses the school, its classrooms and its announcements; listings filter.
#[tokio::test(flavor = "multi_thread")]
async fn r6_1_an_archived_student_takes_school_access_away_from_its_guardian() {
    let server = TestServer::start().await;
    let f = family(&server).await;
    exec_sql(
        &server.store(),
        &format!(
            "UPDATE students SET archived_at = created_at WHERE id = {}",
            f.student
        ),
    )
    .await;
    let mut dir = server.dir();
    let access = dir
        .get_guardian_access(pb::GetGuardianAccessRequest {
            guardian_id: f.guardian.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(access.students.len(), 1, "the link stays");
    assert_eq!(access.students[0].status, pb::RecordStatus::Archived as i32);
    assert!(access.schools.is_empty());
    assert!(access.classes.is_empty());
    assert_eq!(access.student_content_classes.len(), 1);

    let students = |filter: pb::StatusFilter| pb::ListStudentsRequest {
        school_id: f.school.clone(),
        status_filter: filter as i32,
        ..Default::default()
    };
    assert!(
        dir.list_students(students(pb::StatusFilter::Active))
            .await
            .unwrap()
            .into_inner()
            .students
            .is_empty()
    );
    assert_eq!(
        dir.list_students(students(pb::StatusFilter::Archived))
            .await
            .unwrap()
            .into_inner()
            .students
            .len(),
        1
    );
    assert_eq!(
        dir.list_students(students(pb::StatusFilter::All))
            .await
            .unwrap()
            .into_inner()
            .students
            .len(),
        1
    );

    let guardians = |filter: pb::StatusFilter| pb::ListGuardiansRequest {
        school_id: f.school.clone(),
        status_filter: filter as i32,
        ..Default::default()
    };
    assert!(
        dir.list_guardians(guardians(pb::StatusFilter::Active))
            .await
            .unwrap()
            .into_inner()
            .guardians
            .is_empty()
    );
    assert_eq!(
        dir.list_guardians(guardians(pb::StatusFilter::All))
            .await
            .unwrap()
            .into_inner()
            .guardians
            .len(),
        1
    );

    for school_id in [f.school.clone(), String::new()] {
        let recipients = dir
            .list_announcement_recipients(pb::ListAnnouncementRecipientsRequest {
                district_id: f.district.clone(),
                school_id,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .recipients;
        assert!(
            recipients.iter().all(|r| r.user_id != f.guardian),
            "no announcements"
        );
        assert!(recipients.iter().any(|r| r.user_id == f.teacher));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn classes_list_by_status_and_refuse_bad_grades() {
    let server = TestServer::start().await;
    let f = family(&server).await;
    let mut dir = server.dir();
    exec_sql(
        &server.store(),
        &format!(
            "UPDATE classes SET archived_at = created_at WHERE id = {}",
            f.class
        ),
    )
    .await;
    let list = |filter: pb::StatusFilter| pb::ListClassesRequest {
        school_id: f.school.clone(),
        status_filter: filter as i32,
        ..Default::default()
    };
    assert!(
        dir.list_classes(list(pb::StatusFilter::Unspecified))
            .await
            .unwrap()
            .into_inner()
            .classes
            .is_empty()
    );
    let archived = dir
        .list_classes(list(pb::StatusFilter::Archived))
        .await
        .unwrap()
        .into_inner()
        .classes;
    assert_eq!(archived.len(), 1);
    assert_eq!(archived[0].status, pb::RecordStatus::Archived as i32);
    let err = dir
        .create_class(pb::CreateClassRequest {
            district_id: f.district.clone(),
            school_id: f.school.clone(),
            name: "Bad".into(),
            grades: vec!["04".into(), "0,5".into()],
            sis_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "grades[1]");
    let err = dir
        .list_classes(pb::ListClassesRequest {
            school_id: "77".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

// R6.1: an archived student stays in its classrooms; ListClassMembers shows it under
// ARCHIVED (alone) and ALL (with the teachers and active students), not under ACTIVE.
#[tokio::test(flavor = "multi_thread")]
async fn r6_1_class_members_list_archived_students_by_filter() {
    let server = TestServer::start().await;
    let f = family(&server).await;
    exec_sql(
        &server.store(),
        &format!(
            "UPDATE students SET archived_at = created_at WHERE id = {}",
            f.student
        ),
    )
    .await;
    let dir = server.dir();
    let ids = |filter: pb::StatusFilter| {
        let mut dir = dir.clone();
        let class_id = f.class.clone();
        async move {
            dir.list_class_members(pb::ListClassMembersRequest {
                class_id,
                status_filter: filter as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .members
            .into_iter()
            .map(|m| match m.member.unwrap() {
                pb::class_member::Member::Teacher(t) => t.id,
                pb::class_member::Member::Student(s) => s.id,
            })
            .collect::<Vec<_>>()
        }
    };
    assert_eq!(ids(pb::StatusFilter::Active).await, [f.teacher.as_str()]);
    assert_eq!(ids(pb::StatusFilter::Archived).await, [f.student.as_str()]);
    assert_eq!(
        ids(pb::StatusFilter::All).await,
        [f.teacher.clone(), f.student.clone()]
    );
    server.stop().await;
}
