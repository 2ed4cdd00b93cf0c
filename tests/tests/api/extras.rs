//! Bearer-token checking and student attributes (R2.6).

use roster_client::pb;
use roster_client::tonic::{Code, Request};
use roster_e2e::roster::springfield;
use roster_e2e::{TestServer, id_of};

#[tokio::test(flavor = "multi_thread")]
async fn with_a_token_configured_calls_without_it_are_refused() {
    let server = TestServer::start_with(|c| c.auth_token = Some("s3cret-token".into())).await;
    let err = server
        .dir()
        .list_districts(pb::ListDistrictsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    assert!(!err.message().contains("s3cret"));

    let mut wrong = Request::new(pb::ListDistrictsRequest::default());
    wrong
        .metadata_mut()
        .insert("authorization", "Bearer nope".parse().unwrap());
    assert_eq!(
        server.dir().list_districts(wrong).await.unwrap_err().code(),
        Code::PermissionDenied
    );

    let mut right = Request::new(pb::ListDistrictsRequest::default());
    right
        .metadata_mut()
        .insert("authorization", "Bearer s3cret-token".parse().unwrap());
    assert!(server.dir().list_districts(right).await.is_ok());
}

// R2.6: OneRoster demographics become student attributes.
#[tokio::test(flavor = "multi_thread")]
async fn r2_6_demographics_become_student_attributes() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let folder = server.put_roster(&springfield());
    let dir = server.files.join("import").join(&folder);
    let manifest = std::fs::read_to_string(dir.join("manifest.csv")).unwrap();
    std::fs::write(
        dir.join("manifest.csv"),
        manifest.replace("file.demographics,absent", "file.demographics,bulk"),
    )
    .unwrap();
    std::fs::write(
        dir.join("demographics.csv"),
        "sourcedId,status,dateLastModified,birthDate,sex,hispanicOrLatinoEthnicity\nstu-bart,active,2026-01-01,2016-04-01,male,false\n",
    )
    .unwrap();
    let run = server
        .wait(
            &server
                .start_sync(&district, &folder, false, false)
                .await
                .run_id,
        )
        .await;
    assert_eq!(run.state, pb::SyncState::Succeeded as i32);
    let id = id_of(&server.store(), "students", "stu-bart").await;
    let bart = server
        .dir()
        .get_student(pb::GetStudentRequest { student_id: id })
        .await
        .unwrap()
        .into_inner()
        .student
        .unwrap();
    assert_eq!(
        bart.attributes.get("birthDate").map(String::as_str),
        Some("2016-04-01")
    );
    assert_eq!(bart.attributes.get("sex").map(String::as_str), Some("male"));
    assert_eq!(
        bart.attributes
            .get("hispanicOrLatinoEthnicity")
            .map(String::as_str),
        Some("false")
    );
}
