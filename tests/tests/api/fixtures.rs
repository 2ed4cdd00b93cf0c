//! OneRoster exports with the oddities real ones have (R8.1), from the repository's own
//! fixtures (`tests/fixtures/oneroster/README.md` says which oddity sits where and what a
//! first sync must make of it), and the public peer exports when they sit beside the
//! repository.

use roster_client::pb;
use roster_e2e::TestServer;
use roster_e2e::lookup::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/oneroster")
        .join(name)
}

/// Syncs a folder into a new district; the run and its issues.
async fn sync_folder(server: &TestServer, folder: &Path) -> (pb::SyncRun, Vec<pb::SyncIssue>) {
    let district = server.district("D").await;
    let folder = server.put_folder(folder);
    let run = server
        .wait(
            &server
                .start_sync(&district, &folder, false, false)
                .await
                .run_id,
        )
        .await;
    assert_eq!(run.state, pb::SyncState::Succeeded as i32, "{run:?}");
    let issues = server.issues(&run.run_id).await;
    (run, issues)
}

/// (code, file, line, source id, field) of each issue, in order.
fn issue_rows(issues: &[pb::SyncIssue]) -> Vec<(&str, &str, i64, &str, &str)> {
    issues
        .iter()
        .map(|i| {
            (
                i.code.as_str(),
                i.source_file.as_str(),
                i.source_line,
                i.source_id.as_str(),
                i.field.as_str(),
            )
        })
        .collect()
}

fn created(run: &pb::SyncRun) -> [i64; 8] {
    [
        Kind::School,
        Kind::Student,
        Kind::Guardian,
        Kind::Staff,
        Kind::Class,
        Kind::StudentEnrollment,
        Kind::TeacherEnrollment,
        Kind::FamilyRelationship,
    ]
    .map(|k| counts(run, k).created)
}

// R8.1: header-only ClassLink-style templates, every field quoted: nothing to do, nothing wrong.
#[tokio::test(flavor = "multi_thread")]
async fn r8_1_header_only_templates_sync_to_nothing_without_issues() {
    let server = TestServer::start().await;
    let (run, issues) = sync_folder(&server, &fixture("templates")).await;
    assert_eq!(created(&run), [0; 8]);
    assert!(issues.is_empty(), "{issues:?}");
}

// R8.1-R8.4, R3.1, R3.3: the full export. A class under a department is refused
// (NOT_A_SCHOOL) and its enrollments go with it; an `inactive` class takes its
// enrollments with it silently; an invalid SMS number is left out with a warning; a
// student naming a teacher as its agent is reported (WRONG_KIND_REFERENCE, R3.4);
// department and district memberships are no error; a parent linked from its own row.
#[tokio::test(flavor = "multi_thread")]
async fn r8_1_the_full_fixture_syncs_with_the_expected_issues() {
    let server = TestServer::start().await;
    let (run, issues) = sync_folder(&server, &fixture("full")).await;
    assert_eq!(created(&run), [2, 4, 1, 3, 2, 4, 2, 1]);
    assert_eq!(counts(&run, Kind::Class).invalid, 1);
    assert_eq!(
        issue_rows(&issues),
        [
            (
                "WRONG_KIND_REFERENCE",
                "users.csv",
                4,
                "stu-nguyen",
                "agentSourcedIds"
            ),
            (
                "NOT_A_SCHOOL",
                "classes.csv",
                4,
                "cls-dpt-robotics",
                "schoolSourcedId"
            ),
            ("INVALID_PHONE", "users.csv", 3, "tch-brandt", "sms"),
        ]
    );
    assert_eq!(issues[2].severity, pb::IssueSeverity::Warning as i32);
    assert!(issues.iter().all(|i| !i.message.contains("cls-hes-art5")));
    let mai = student(&server, "stu-nguyen").await;
    assert_eq!(
        source_ids(&mai.guardians, |g| &g.source_id),
        ["par-nguyen"],
        "linked through agentSourcedIds; the teacher she lists gives no link"
    );
    let mai = mai.student.unwrap();
    assert_eq!(mai.grade, "05");
    assert_eq!(
        mai.attributes.get("homeroom").map(String::as_str),
        Some("Room 12")
    );
}

// R8.1, R3.1: the minimal export, blank status and dates on every row: the parent without
// any contact is skipped (NO_CONTACT), the class under a department refused.
#[tokio::test(flavor = "multi_thread")]
async fn r8_1_the_minimal_fixture_syncs_with_the_expected_issues() {
    let server = TestServer::start().await;
    let (run, issues) = sync_folder(&server, &fixture("minimal")).await;
    assert_eq!(created(&run), [1, 3, 0, 2, 1, 2, 1, 0]);
    assert_eq!(counts(&run, Kind::Guardian).skipped, 1);
    assert_eq!(
        issue_rows(&issues),
        [
            (
                "NOT_A_SCHOOL",
                "classes.csv",
                3,
                "cls-music-choir",
                "schoolSourcedId"
            ),
            ("NO_CONTACT", "users.csv", 4, "par-moreau", ""),
        ]
    );
}

/// Where the public peer exports sit when the repository is checked out beside them.
const PEERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/peers");

// R8.1: the public exports other projects wrote (moodle-enrol_oneroster's data sets, a
// ClassLink template) sync too, when present. A clone of this repository alone does not
// have them: the test says so and checks nothing else.
#[tokio::test(flavor = "multi_thread")]
async fn r8_1_peer_exports_sync_when_present() {
    let peers = Path::new(PEERS);
    if !peers.is_dir() {
        eprintln!(
            "r8_1_peer_exports_sync_when_present: {} is not present; nothing checked",
            peers.display()
        );
        return;
    }
    let server = TestServer::start().await;
    let (_, issues) = sync_folder(&server, &peers.join("oneroster-ts-templates")).await;
    assert!(issues.is_empty(), "{issues:?}");
    let mut codes_of = Vec::new();
    for set in ["Test_full_data_set", "Test_minimal_data_set"] {
        let (run, issues) = sync_folder(&server, &peers.join(set)).await;
        // Their only org is a department, which every class names as its school.
        assert_eq!(counts(&run, Kind::Student).created, 3, "{set}");
        assert_eq!(counts(&run, Kind::Class).created, 0, "{set}");
        assert!(issues.iter().all(|i| i.field != "orgSourcedIds"), "{set}");
        assert!(issues.iter().all(|i| i.source_line >= 2), "{set}");
        codes_of.push(
            issues
                .iter()
                .map(|i| i.code.clone())
                .collect::<BTreeSet<_>>(),
        );
    }
    // The full set's student names a teacher in agentSourcedIds (R3.4).
    assert_eq!(
        codes_of[0],
        [
            "INVALID_PHONE".to_owned(),
            "NOT_A_SCHOOL".to_owned(),
            "WRONG_KIND_REFERENCE".to_owned()
        ]
        .into()
    );
    assert_eq!(
        codes_of[1],
        ["NOT_A_SCHOOL".to_owned(), "NO_CONTACT".to_owned()].into()
    );
}
