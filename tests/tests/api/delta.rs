//! Delta files (R8.1) and references of the wrong kind (R3.4): a user a delta lists is its
//! whole row (its schools and its own list of agents), and nothing is dropped silently.

use roster_client::pb;
use roster_e2e::TestServer;
use roster_e2e::lookup::{school_id, student};
use roster_e2e::roster::{Roster, springfield};

/// Writes `roster` with its users file cut to `users` and marked delta; returns the folder.
fn delta_users(server: &TestServer, roster: &Roster, users: &[&str]) -> String {
    let folder = server.put_roster(roster);
    let dir = server.files.join("import").join(&folder);
    let manifest = std::fs::read_to_string(dir.join("manifest.csv")).unwrap();
    std::fs::write(
        dir.join("manifest.csv"),
        manifest.replace("file.users,bulk", "file.users,delta"),
    )
    .unwrap();
    let all = std::fs::read_to_string(dir.join("users.csv")).unwrap();
    let kept: String = all
        .lines()
        .enumerate()
        .filter(|(i, line)| *i == 0 || users.iter().any(|u| line.starts_with(&format!("{u},"))))
        .map(|(_, line)| format!("{line}\n"))
        .collect();
    std::fs::write(dir.join("users.csv"), kept).unwrap();
    folder
}

async fn run(server: &TestServer, district: &str, folder: &str) -> pb::SyncRun {
    let run = server.start_sync(district, folder, false, false).await;
    let run = server.wait(&run.run_id).await;
    assert_eq!(run.state, pb::SyncState::Succeeded as i32, "{run:?}");
    run
}

async fn students_of(server: &TestServer, school: &str) -> Vec<String> {
    let mut ids: Vec<String> = server
        .dir()
        .list_students(pb::ListStudentsRequest {
            school_id: school_id(server, school).await,
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .students
        .into_iter()
        .map(|s| s.source_id)
        .collect();
    ids.sort();
    ids
}

// R8.1, R5.8: a user a delta lists moves school as its row says; one a guardian's row no
// longer names loses that relationship; a link to nobody is reported, not dropped silently.
#[tokio::test(flavor = "multi_thread")]
async fn r8_1_a_delta_user_moves_and_loses_agents_as_its_row_says() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut roster = springfield();
    server.sync_ok(&district, &roster).await;
    roster.user_mut("stu-nelson").orgs = vec!["sch-1".into()];
    roster.user_mut("par-marge").agents = vec!["stu-lisa".into()];
    roster.guardian(
        "par-new",
        "New",
        "Parent",
        "new@example.org",
        &["stu-ghost"],
    );
    let folder = delta_users(&server, &roster, &["stu-nelson", "par-marge", "par-new"]);
    let run = run(&server, &district, &folder).await;
    assert!(
        students_of(&server, "sch-1")
            .await
            .contains(&"stu-nelson".to_owned())
    );
    assert!(
        students_of(&server, "sch-2").await.is_empty(),
        "moved, not kept in both"
    );
    let bart = student(&server, "stu-bart").await;
    let guardians: Vec<&str> = bart
        .guardians
        .iter()
        .map(|g| g.source_id.as_str())
        .collect();
    assert_eq!(guardians, ["par-homer"], "marge's row no longer names bart");
    let issues = server.issues(&run.run_id).await;
    assert!(
        issues
            .iter()
            .any(|i| i.code == "UNKNOWN_REFERENCE" && i.message.contains("stu-ghost")),
        "{issues:?}"
    );
    // Users the delta does not list keep everything.
    assert_eq!(
        students_of(&server, "sch-1").await,
        [
            "stu-bart",
            "stu-lisa",
            "stu-martin",
            "stu-milhouse",
            "stu-nelson"
        ]
    );
}

// R3.4: a student listed as its own guardian, or a teacher listed as one, makes no family
// relationship, and each is reported.
#[tokio::test(flavor = "multi_thread")]
async fn r3_4_a_reference_of_the_wrong_kind_is_reported() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut roster = springfield();
    roster.user_mut("stu-bart").agents = vec!["stu-bart".into(), "tch-edna".into()];
    let run = server.sync_ok(&district, &roster).await;
    let issues = server.issues(&run.run_id).await;
    let wrong: Vec<&pb::SyncIssue> = issues
        .iter()
        .filter(|i| i.code == "WRONG_KIND_REFERENCE")
        .collect();
    assert_eq!(wrong.len(), 2, "{issues:?}");
    assert!(
        wrong
            .iter()
            .all(|i| i.source_id == "stu-bart" && i.field == "agentSourcedIds")
    );
    assert!(wrong.iter().any(|i| i.message.contains("itself")));
    assert!(wrong.iter().any(|i| i.message.contains("tch-edna")));
    let bart = student(&server, "stu-bart").await;
    let mut guardians: Vec<&str> = bart
        .guardians
        .iter()
        .map(|g| g.source_id.as_str())
        .collect();
    guardians.sort();
    assert_eq!(guardians, ["par-homer", "par-marge"]);
}
