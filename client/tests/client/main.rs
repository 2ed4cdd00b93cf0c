//! The typed client over real gRPC: a roster-server on 127.0.0.1:0 per test.

mod access;
mod directory;
mod edits;
mod errors;
mod history;
mod plans;
mod sync;
mod tls;

use futures::TryStreamExt;
use roster_client::{
    AbandonedFilter, AccountState, ClassMember, ClassMemberRole, ContactUpdate, District, Error,
    NewClass, NewGuardian, NewStaffMember, NewStudent, Origin, PageRequest, RecordKind,
    RecordStatus, RetryPolicy, RosterClient, SettingsUpdate, StaffRole, StartSync, StatusFilter,
    SyncRun, SyncSource, SyncSourceInput, SyncState, User,
};
use roster_e2e::TestServer;
use roster_e2e::roster::springfield;
use std::time::Duration;

/// A client of `server` built the way a service would build one.
pub(crate) async fn client(server: &TestServer) -> RosterClient {
    RosterClient::builder()
        .endpoint(server.endpoint.as_str())
        .bearer_token("test-token")
        .request_timeout(Duration::from_secs(20))
        .connect()
        .await
        .expect("client connects")
}

/// A district with one school, a student, a guardian and a teacher, all manual.
pub(crate) struct Family {
    pub(crate) district: String,
    pub(crate) school: String,
    pub(crate) student: String,
    pub(crate) guardian: String,
    pub(crate) teacher: String,
}

pub(crate) async fn family(client: &RosterClient) -> Family {
    let district = client.create_district("Springfield").await.unwrap().id;
    let school = client
        .create_school(&district, "Springfield Elementary", Some("SCH-1"))
        .await
        .unwrap();
    assert_eq!(school.origin, Origin::Manual);
    assert_eq!(school.status, RecordStatus::Active);
    assert_eq!(school.sis_id.as_deref(), Some("SCH-1"));
    assert_eq!(school.source_id, None);
    let student = client
        .create_student(NewStudent {
            district_id: district.clone(),
            school_id: school.id.clone(),
            given_name: "Lisa".into(),
            family_name: "Simpson".into(),
            grade: Some("02".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(student.grade.as_deref(), Some("02"));
    assert_eq!(student.email, None);
    assert_eq!(student.school_ids, vec![school.id.clone()]);
    let guardian = client
        .create_guardian(NewGuardian {
            district_id: district.clone(),
            given_name: "Marge".into(),
            family_name: "Simpson".into(),
            email: Some("marge@example.org".into()),
            sms_number: Some("(603) 555-0123".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(guardian.sms_number.as_deref(), Some("+16035550123"));
    assert_eq!(guardian.account_state, AccountState::Invitee);
    let teacher = client
        .create_staff_member(NewStaffMember {
            district_id: district.clone(),
            school_id: school.id.clone(),
            given_name: "Edna".into(),
            family_name: "Krabappel".into(),
            email: Some("edna@example.org".into()),
            role: Some(StaffRole::Teacher),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(teacher.role, StaffRole::Teacher);
    Family {
        district,
        school: school.id,
        student: student.id,
        guardian: guardian.id,
        teacher: teacher.id,
    }
}
