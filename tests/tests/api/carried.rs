//! A field the source does not carry leaves the stored value alone (R4.8): a file marked
//! `absent`, a column missing from the file, a kind of source without the field.

use roster_client::pb;
use roster_e2e::TestServer;
use roster_e2e::lookup::{access, student};
use roster_e2e::mock_clever::{self, MockClever, TOKEN};
use roster_e2e::roster::springfield;

/// Syncs the folder `name` of the import directory and asserts the run succeeded.
async fn sync_folder(server: &TestServer, district: &str, name: &str) -> pb::SyncRun {
    let run = server.start_sync(district, name, false, false).await;
    let run = server.wait(&run.run_id).await;
    assert_eq!(run.state, pb::SyncState::Succeeded as i32, "{run:?}");
    run
}

/// Rewrites a file of an imported folder.
fn edit(server: &TestServer, folder: &str, file: &str, change: impl Fn(String) -> String) {
    let path = server.files.join("import").join(folder).join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, change(text)).unwrap();
}

// R4.8: demographics marked `absent` do not wipe the stored ones.
#[tokio::test(flavor = "multi_thread")]
async fn r4_8_absent_demographics_keep_the_stored_attributes() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let first = server.put_roster(&springfield());
    edit(&server, &first, "manifest.csv", |m| {
        m.replace("file.demographics,absent", "file.demographics,bulk")
    });
    std::fs::write(
        server.files.join("import").join(&first).join("demographics.csv"),
        "sourcedId,status,dateLastModified,birthDate,sex\nstu-bart,active,2026-01-01,2016-04-01,male\n",
    )
    .unwrap();
    sync_folder(&server, &district, &first).await;
    let bart = student(&server, "stu-bart").await.student.unwrap();
    assert_eq!(
        bart.attributes.get("birthDate").map(String::as_str),
        Some("2016-04-01")
    );

    let second = server.put_roster(&springfield());
    let run = sync_folder(&server, &district, &second).await;
    let bart = student(&server, "stu-bart").await.student.unwrap();
    assert_eq!(
        bart.attributes.get("birthDate").map(String::as_str),
        Some("2016-04-01")
    );
    assert_eq!(bart.attributes.get("sex").map(String::as_str), Some("male"));
    let students = TestServer::counts(&run, pb::RecordKind::Student);
    assert_eq!(students.updated, 0, "{students:?}");
}

// R4.8: a users file without the sms and phone columns leaves stored numbers alone; an
// empty value in a column the file has clears one.
#[tokio::test(flavor = "multi_thread")]
async fn r4_8_a_missing_column_leaves_stored_numbers_alone() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut roster = springfield();
    roster.user_mut("par-homer").phone = "(603) 555-0199".into();
    server.sync_ok(&district, &roster).await;
    let without = server.put_roster(&roster);
    edit(&server, &without, "users.csv", |users| {
        users
            .lines()
            .map(|line| {
                // Drop the 14th and 15th columns (sms, phone) of every row; quoted cells
                // hold no commas in this roster's numbers.
                let cells: Vec<&str> = line.split(',').collect();
                let kept: Vec<&str> = cells
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != 13 && *i != 14)
                    .map(|(_, c)| *c)
                    .collect();
                kept.join(",") + "\n"
            })
            .collect()
    });
    sync_folder(&server, &district, &without).await;
    let marge = access(&server, "par-marge").await.guardian.unwrap();
    assert_eq!(marge.sms_number, "+16035550101");
    let homer = access(&server, "par-homer").await.guardian.unwrap();
    assert_eq!(homer.home_phone, "+16035550199");

    roster.user_mut("par-homer").phone = String::new();
    server.sync_ok(&district, &roster).await;
    let homer = access(&server, "par-homer").await.guardian.unwrap();
    assert_eq!(
        homer.home_phone, "",
        "an empty value of a carried column clears it"
    );
}

// R4.8: Clever has no phone numbers for staff: a district moving from CSV to Clever keeps
// its staff's numbers.
#[tokio::test(flavor = "multi_thread")]
async fn r4_8_clever_keeps_the_staff_numbers_it_does_not_carry() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut roster = springfield();
    roster.user_mut("tch-edna").sms = "(603) 555-0142".into();
    server.sync_ok(&district, &roster).await;
    let mock = mock_clever::start(roster, MockClever::default()).await;
    server.use_clever(&district, &mock.base_url, TOKEN).await;
    let run = server
        .sync()
        .start_sync(pb::StartSyncRequest {
            district_id: district.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .run
        .unwrap();
    let run = server.wait(&run.run_id).await;
    assert_eq!(run.state, pb::SyncState::Succeeded as i32, "{run:?}");
    let edna_id = roster_e2e::id_of(&server.store(), "staff", "tch-edna").await;
    let staff = server
        .dir()
        .list_staff(pb::ListStaffRequest {
            school_id: roster_e2e::lookup::school_id(&server, "sch-1").await,
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .staff;
    let edna = staff.iter().find(|s| s.id == edna_id).unwrap();
    assert_eq!(edna.sms_number, "+16035550142");
}
