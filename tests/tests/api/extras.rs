//! Student attributes (R2.6).

use roster_client::pb;
use roster_e2e::roster::springfield;
use roster_e2e::{TestServer, id_of};

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
