//! Reading back what a sync did, through the API, as the scenario tests check it.

use crate::{TestServer, id_of};
use roster_client::pb;

pub type Kind = pb::RecordKind;

pub fn counts(run: &pb::SyncRun, kind: Kind) -> pb::RecordCounts {
    TestServer::counts(run, kind)
}

pub async fn school_id(server: &TestServer, source_id: &str) -> String {
    id_of(&server.store(), "schools", source_id).await
}

pub async fn students(
    server: &TestServer,
    school: &str,
    filter: pb::StatusFilter,
) -> Vec<pb::Student> {
    server
        .dir()
        .list_students(pb::ListStudentsRequest {
            school_id: school.into(),
            status_filter: filter as i32,
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .students
}

pub fn source_ids<T>(items: &[T], sid: impl Fn(&T) -> &str) -> Vec<String> {
    let mut ids: Vec<String> = items.iter().map(|i| sid(i).to_owned()).collect();
    ids.sort();
    ids
}

pub async fn student(server: &TestServer, source_id: &str) -> pb::GetStudentResponse {
    let id = id_of(&server.store(), "students", source_id).await;
    server
        .dir()
        .get_student(pb::GetStudentRequest { student_id: id })
        .await
        .unwrap()
        .into_inner()
}

pub async fn access(
    server: &TestServer,
    guardian_source_id: &str,
) -> pb::GetGuardianAccessResponse {
    let id = id_of(&server.store(), "guardians", guardian_source_id).await;
    server
        .dir()
        .get_guardian_access(pb::GetGuardianAccessRequest { guardian_id: id })
        .await
        .unwrap()
        .into_inner()
}

pub async fn abandoned(server: &TestServer, district: &str) -> Vec<pb::AbandonedRecord> {
    server
        .sync()
        .list_abandoned_records(pb::ListAbandonedRecordsRequest {
            district_id: district.into(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .records
}

pub fn settings(district: &str) -> pb::SyncSettings {
    pb::SyncSettings {
        district_id: district.into(),
        ..Default::default()
    }
}

/// Lets a small roster lose records without tripping R7.2 or R7.5 (tested on their own).
pub async fn no_threshold(server: &TestServer, district: &str) {
    server
        .set(
            pb::SyncSettings {
                abandon_threshold_percent: 100,
                school_abandon_threshold_percent: 100,
                ..settings(district)
            },
            &[
                "abandon_threshold_percent",
                "school_abandon_threshold_percent",
            ],
        )
        .await;
}
