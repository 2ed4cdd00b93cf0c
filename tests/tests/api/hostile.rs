//! Hostile and broken input end to end, on the backend the environment selects (security
//! S5, R3.4, R8.7): a zip whose cell passes the limit, names that are not UTF-8, values
//! longer than the product stores from every kind of source, manifests of other OneRoster
//! versions.

use crate::runs::upload;
use roster_client::pb;
use roster_e2e::TestServer;
use roster_e2e::lookup::*;
use roster_e2e::mock_clever::{self, MockClever, TOKEN};
use roster_e2e::mock_oneroster::{self, MockOneRoster};
use roster_e2e::roster::{Roster, springfield};
use std::io::Write;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/hostile")
        .join(name)
}

/// Every file of `roster`, written as a real export would be, zipped.
fn roster_zip(server: &TestServer, roster: &Roster) -> Vec<u8> {
    let folder = server.files.join("import").join(server.put_roster(roster));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut names: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for name in names {
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&std::fs::read(folder.join(&name)).unwrap())
            .unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Starts a run on an uploaded archive and waits for its end.
async fn sync_upload(server: &TestServer, district: &str, bytes: &[u8]) -> pb::SyncRun {
    let uploaded = upload(server, district, bytes).await.expect("upload");
    let run = server
        .sync()
        .start_sync(pb::StartSyncRequest {
            district_id: district.into(),
            source: Some(pb::SyncSource {
                kind: Some(pb::sync_source::Kind::OnerosterCsvUpload(
                    pb::OneRosterCsvUpload {
                        upload_id: uploaded.upload_id,
                    },
                )),
            }),
            ..Default::default()
        })
        .await
        .expect("StartSync")
        .into_inner()
        .run
        .expect("run");
    server.wait(&run.run_id).await
}

/// Starts a run on the district's configured source and waits for its end.
async fn sync_configured(server: &TestServer, district: &str) -> pb::SyncRun {
    let run = server
        .sync()
        .start_sync(pb::StartSyncRequest {
            district_id: district.into(),
            ..Default::default()
        })
        .await
        .expect("StartSync")
        .into_inner()
        .run
        .expect("run");
    server.wait(&run.run_id).await
}

async fn school_count(server: &TestServer, district: &str) -> usize {
    server
        .dir()
        .list_schools(pb::ListSchoolsRequest {
            district_id: district.into(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .expect("ListSchools")
        .into_inner()
        .schools
        .len()
}

#[track_caller]
fn assert_failed(run: &pb::SyncRun) {
    assert_eq!(run.state, pb::SyncState::Failed as i32, "{run:?}");
}

#[track_caller]
fn assert_succeeded(run: &pb::SyncRun) {
    assert_eq!(run.state, pb::SyncState::Succeeded as i32, "{run:?}");
}

/// The VALUE_TOO_LONG issue of `source_id`.
fn too_long<'a>(issues: &'a [pb::SyncIssue], source_id: &str) -> &'a pb::SyncIssue {
    issues
        .iter()
        .find(|i| i.code == "VALUE_TOO_LONG" && i.source_id == source_id)
        .unwrap_or_else(|| panic!("no VALUE_TOO_LONG for {source_id}: {issues:?}"))
}

// S5.1: an uploaded zip whose users.csv holds a 1 MB cell (past the 64 KiB limit; the
// archive itself is a few KB) fails the run with a message naming the file, the line and
// the limit. Nothing is written, and the district is free for the next run.
#[tokio::test(flavor = "multi_thread")]
async fn s5_1_a_zip_with_a_cell_past_the_limit_fails_the_run_naming_file_line_and_limit() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut roster = springfield();
    roster.student("stu-giant", &"x".repeat(1 << 20), "Giant", "sch-1");
    let line = roster.users.len() + 1;
    let bytes = roster_zip(&server, &roster);
    assert!(
        bytes.len() < 64 << 10,
        "the archive is small: {}",
        bytes.len()
    );

    let run = sync_upload(&server, &district, &bytes).await;
    assert_failed(&run);
    assert_eq!(
        run.error_message,
        format!("users.csv line {line}: a cell is longer than 65536 bytes, the limit")
    );
    assert_eq!(school_count(&server, &district).await, 0, "nothing written");

    let run = sync_upload(&server, &district, &roster_zip(&server, &springfield())).await;
    assert_succeeded(&run);
    assert_eq!(counts(&run, Kind::Student).created, 5);
}

// R3.4: a users.csv written in Windows-1252 does not fail the run. Each name with a byte
// that is not UTF-8 is read with the replacement character, and reported as a warning
// naming file, line, source id and field; the rest of the run goes on.
#[tokio::test(flavor = "multi_thread")]
async fn r3_4_names_that_are_not_utf8_are_read_with_a_warning() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let folder = server.put_folder(&fixture("windows-1252"));
    let run = server.start_sync(&district, &folder, false, false).await;
    let run = server.wait(&run.run_id).await;
    assert_succeeded(&run);
    assert_eq!(counts(&run, Kind::Student).created, 2);
    assert_eq!(counts(&run, Kind::Staff).created, 1);

    let jose = student(&server, "stu-jose").await.student.unwrap();
    assert_eq!(
        (jose.given_name.as_str(), jose.family_name.as_str()),
        ("Jos\u{fffd}", "Garcia")
    );
    let issues = server.issues(&run.run_id).await;
    let rows: Vec<(&str, i32, &str, i64, &str, &str)> = issues
        .iter()
        .map(|i| {
            (
                i.code.as_str(),
                i.severity,
                i.source_file.as_str(),
                i.source_line,
                i.source_id.as_str(),
                i.field.as_str(),
            )
        })
        .collect();
    let warning = pb::IssueSeverity::Warning as i32;
    assert_eq!(
        rows,
        [
            (
                "INVALID_ENCODING",
                warning,
                "users.csv",
                2,
                "stu-jose",
                "givenName"
            ),
            (
                "INVALID_ENCODING",
                warning,
                "users.csv",
                3,
                "stu-ana",
                "familyName"
            ),
            (
                "INVALID_ENCODING",
                warning,
                "users.csv",
                4,
                "tch-dubois",
                "givenName"
            ),
        ]
    );
    assert!(
        issues[0].message.contains("Jos\u{fffd}"),
        "{}",
        issues[0].message
    );
}

// R3.4, S5.2: a value longer than the product stores makes its row invalid: the run
// succeeds, the row is skipped with VALUE_TOO_LONG naming file, line, id, field and
// limit, and the stored record stays as it was (name, class, guardians). The same on
// every backend: MySQL never sees the value (no "Data too long"). A source id too long
// to store is reported with the id shortened in the report only.
#[tokio::test(flavor = "multi_thread")]
async fn r3_4_a_value_too_long_skips_the_row_and_keeps_the_stored_record() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut roster = springfield();
    server.sync_ok(&district, &roster).await;

    roster.user_mut("stu-bart").given = "B".repeat(300);
    roster.student("stu-new", "New", &"é".repeat(256), "sch-1");
    let long_id = format!("stu-{}", "9".repeat(300));
    roster.student(&long_id, "Long", "Id", "sch-1");
    let bart_line = roster
        .users
        .iter()
        .position(|u| u.id == "stu-bart")
        .unwrap()
        + 2;
    let run = server.sync_roster(&district, &roster).await;
    assert!(
        !run.error_message.contains("Data too long"),
        "{}",
        run.error_message
    );
    assert_succeeded(&run);
    assert_eq!(counts(&run, Kind::Student).created, 0);
    assert_eq!(counts(&run, Kind::Student).abandoned, 0);

    let issues = server.issues(&run.run_id).await;
    let bart = too_long(&issues, "stu-bart");
    assert_eq!(
        (
            bart.severity,
            bart.source_file.as_str(),
            bart.source_line,
            bart.field.as_str()
        ),
        (
            pb::IssueSeverity::Error as i32,
            "users.csv",
            bart_line as i64,
            "givenName"
        )
    );
    assert!(
        bart.message.contains("300 characters") && bart.message.contains("limit of 255"),
        "{}",
        bart.message
    );
    assert_eq!(too_long(&issues, "stu-new").field, "familyName");
    let shortened: String = long_id.chars().take(254).chain(['…']).collect();
    assert_eq!(too_long(&issues, &shortened).field, "sourcedId");

    let stored = student(&server, "stu-bart").await;
    let b = stored.student.as_ref().unwrap();
    assert_eq!(b.given_name, "Bart", "nothing is cut short or overwritten");
    assert_eq!(b.status, pb::RecordStatus::Active as i32, "{b:?}");
    assert_eq!(source_ids(&stored.classes, |c| &c.source_id), ["cls-4a"]);
    assert_eq!(
        source_ids(&stored.guardians, |g| &g.source_id),
        ["par-homer", "par-marge"]
    );
    let sch1 = school_id(&server, "sch-1").await;
    let listed = students(&server, &sch1, pb::StatusFilter::All).await;
    assert!(listed.iter().all(|s| s.source_id != "stu-new"));
}

// S5.2 holds for every kind of source: a Clever user with a name too long to store is
// skipped with VALUE_TOO_LONG naming the API resource.
#[tokio::test(flavor = "multi_thread")]
async fn s5_2_a_value_too_long_from_clever_skips_the_record() {
    let server = TestServer::start().await;
    let mut roster = springfield();
    roster.user_mut("stu-lisa").family = "S".repeat(256);
    let mock = mock_clever::start(roster, MockClever::default()).await;
    let district = server.district("Springfield (Clever)").await;
    server.use_clever(&district, &mock.base_url, TOKEN).await;
    let run = sync_configured(&server, &district).await;
    assert_succeeded(&run);
    assert_eq!(counts(&run, Kind::Student).created, 4);
    let issues = server.issues(&run.run_id).await;
    let lisa = too_long(&issues, "stu-lisa");
    assert_eq!(lisa.field, "familyName");
    assert!(!lisa.source_resource.is_empty(), "{lisa:?}");
    assert!(lisa.message.contains("limit of 255"), "{}", lisa.message);
}

// S5.2 for a OneRoster REST provider too.
#[tokio::test(flavor = "multi_thread")]
async fn s5_2_a_value_too_long_from_oneroster_rest_skips_the_record() {
    const KEY: &str = "roster-consumer";
    const SECRET: &str = "oauth1-S3CRET-value";
    let server = TestServer::start().await;
    let mut roster = springfield();
    roster.user_mut("par-homer").email = format!("{}@example.org", "h".repeat(320));
    let mock = mock_oneroster::start(roster, MockOneRoster::oauth1(KEY, SECRET)).await;
    let district = server.district("Springfield (REST)").await;
    let source = pb::SyncSource {
        kind: Some(pb::sync_source::Kind::OnerosterRest(pb::OneRosterRest {
            base_url: mock.base_url.clone(),
            auth: Some(pb::one_roster_rest::Auth::Oauth1(pb::OAuth1 {
                consumer_key: KEY.into(),
                consumer_secret: SECRET.into(),
                consumer_secret_set: false,
            })),
        })),
    };
    let settings = pb::SyncSettings {
        district_id: district.clone(),
        source: Some(source),
        ..Default::default()
    };
    server.set(settings, &["source"]).await;
    let run = sync_configured(&server, &district).await;
    assert_succeeded(&run);
    assert_eq!(counts(&run, Kind::Guardian).created, 4);
    let issues = server.issues(&run.run_id).await;
    let homer = too_long(&issues, "par-homer");
    assert_eq!(homer.field, "email");
    assert_eq!(homer.record_kind, Kind::Guardian as i32);
    assert!(homer.message.contains("limit of 320"), "{}", homer.message);
}

// R8.7: a manifest naming another OneRoster version fails the run with a clear error
// naming the version and what is read; nothing is written.
#[tokio::test(flavor = "multi_thread")]
async fn r8_7_a_manifest_of_another_version_fails_the_run() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let folder = server.put_roster(&springfield());
    let manifest = server
        .files
        .join("import")
        .join(&folder)
        .join("manifest.csv");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("oneroster.version,1.1", "oneroster.version,1.2"),
    )
    .unwrap();
    let run = server.start_sync(&district, &folder, false, false).await;
    let run = server.wait(&run.run_id).await;
    assert_failed(&run);
    assert_eq!(
        run.error_message,
        "manifest.csv line 3: oneroster.version is `1.2`; this server reads OneRoster 1.1 only"
    );
    assert_eq!(school_count(&server, &district).await, 0, "nothing written");
}

// R8.7: a manifest without `oneroster.version` is read as 1.1, without an issue (a choice,
// docs/rules.md).
#[tokio::test(flavor = "multi_thread")]
async fn r8_7_a_manifest_without_a_version_is_read_as_1_1() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let folder = server.put_roster(&springfield());
    let manifest = server
        .files
        .join("import")
        .join(&folder)
        .join("manifest.csv");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("oneroster.version,1.1\n", "")).unwrap();
    let run = server.start_sync(&district, &folder, false, false).await;
    let run = server.wait(&run.run_id).await;
    assert_succeeded(&run);
    assert_eq!(counts(&run, Kind::Student).created, 5);
    assert!(server.issues(&run.run_id).await.is_empty());
}
