//! Manual edits over gRPC: Get* of one record, field-masked Update* (R4.1 to R4.4, R4.7),
//! archiving and restoring, removing memberships and links (R1.4), their audit (S2.1),
//! and other districts' records (S1.2).

mod archive;
mod audit;
mod fields;
mod removals;

use roster_client::pb;
use roster_client::prost_types::FieldMask;
use roster_client::tonic::{Code, Status};
use roster_e2e::lookup::school_id;
use roster_e2e::roster::springfield;
use roster_e2e::{TestServer, assert_invalid, id_of};
use roster_server::domain::ApiKeyRole;
use tonic_types::StatusExt;

pub(super) fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    })
}

#[track_caller]
pub(super) fn assert_managed(result: Result<impl std::fmt::Debug, Status>) {
    let err = result.expect_err("refused");
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let info = err.get_details_error_info().expect("ErrorInfo detail");
    assert_eq!(info.reason, "MANAGED_BY_SYNC", "{err:?}");
}

/// A district synced from springfield: its ids by source id.
pub(super) struct Synced {
    pub(super) district: String,
    pub(super) server: TestServer,
}

impl Synced {
    pub(super) async fn start() -> Self {
        let server = TestServer::start().await;
        let district = server.district("D").await;
        server.sync_ok(&district, &springfield()).await;
        Synced { district, server }
    }

    pub(super) async fn id(&self, table: &str, source_id: &str) -> String {
        id_of(&self.server.store(), table, source_id).await
    }
}

/// Manual records: a school, a student in it, a guardian linked to it, a teacher, and a
/// class with both as members.
pub(super) struct Manual {
    pub(super) school: String,
    pub(super) student: String,
    pub(super) guardian: String,
    pub(super) teacher: String,
    pub(super) class: String,
}

pub(super) async fn manual(server: &TestServer, district: &str) -> Manual {
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

pub(super) async fn students_of(
    server: &TestServer,
    school: &str,
    filter: pb::StatusFilter,
) -> Vec<String> {
    roster_e2e::lookup::students(server, school, filter)
        .await
        .into_iter()
        .map(|s| s.id)
        .collect()
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
