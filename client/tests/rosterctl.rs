//! `rosterctl` end to end: the binary run as a process against a real server.

use roster_e2e::TestServer;
use roster_e2e::roster::springfield;
use serde_json::Value;
use std::process::Output;

/// Runs rosterctl against `server` with `args`.
async fn rosterctl(server: &TestServer, args: &[&str]) -> Output {
    rosterctl_at(server.endpoint.as_str(), args).await
}

async fn rosterctl_at(endpoint: &str, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_rosterctl"))
        .args(["--server", endpoint])
        .args(args)
        .env_remove("ROSTER_SERVER")
        .env_remove("ROSTER_TOKEN")
        .env_remove("ROSTER_CLEVER_TOKEN")
        .output()
        .await
        .expect("rosterctl runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the exit code, showing what rosterctl printed if it differs.
#[track_caller]
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

/// Runs a command that must succeed with `--output json` and parses what it printed.
async fn json(server: &TestServer, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.extend(["--output", "json"]);
    let output = rosterctl(server, &args).await;
    assert_exit(&output, 0);
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

#[tokio::test(flavor = "multi_thread")]
async fn district_create_prints_the_district_and_list_shows_it() {
    let server = TestServer::start().await;
    let created = json(&server, &["district", "create", "--name", "Springfield"]).await;
    let id = created["id"].as_str().expect("an id").to_owned();
    assert!(!id.is_empty());
    assert_eq!(created["display_name"], "Springfield");

    let output = rosterctl(&server, &["district", "list"]).await;
    assert_exit(&output, 0);
    let table = stdout(&output);
    assert!(table.starts_with("ID"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(&id) && l.contains("Springfield")),
        "{table}"
    );
    let listed = json(&server, &["district", "list"]).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_set_changes_only_the_named_settings() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let folder = server.put_roster(&springfield());
    let output = rosterctl(
        &server,
        &[
            "settings",
            "set",
            &district,
            "--csv-path",
            &folder,
            "--threshold",
            "50",
            "--schedule",
            "daily:06:30@America/New_York",
        ],
    )
    .await;
    assert_exit(&output, 0);
    assert!(stdout(&output).contains("50%"), "{}", stdout(&output));

    let settings = json(&server, &["settings", "get", &district]).await;
    assert_eq!(settings["abandon_threshold_percent"], 50);
    assert_eq!(settings["source"]["kind"], "ONE_ROSTER_CSV_PATH");
    assert_eq!(settings["source"]["path"], folder.as_str());
    assert_eq!(settings["schedule"]["kind"], "DAILY");
    assert_eq!(settings["schedule"]["time_zone"], "America/New_York");
    assert_eq!(settings["abandoned_family_policy"], "SOFT", "unchanged");
    assert_eq!(settings["default_phone_region"], "US", "unchanged");

    let output = rosterctl(&server, &["settings", "set", &district]).await;
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("nothing to change"),
        "{}",
        stderr(&output)
    );
    let output = rosterctl(
        &server,
        &["settings", "set", &district, "--threshold", "150"],
    )
    .await;
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("invalid argument"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_start_wait_succeeds_then_a_blocked_run_exits_2() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let full = springfield();
    let folder = server.put_roster(&full);
    let output = rosterctl(
        &server,
        &["settings", "set", &district, "--csv-path", &folder],
    )
    .await;
    assert_exit(&output, 0);

    let output = rosterctl(&server, &["sync", "start", &district, "--wait"]).await;
    assert_exit(&output, 0);
    let summary = stdout(&output);
    assert!(summary.contains("SUCCEEDED"), "{summary}");
    let students = summary
        .lines()
        .find(|l| l.starts_with("STUDENT "))
        .unwrap_or_else(|| panic!("a STUDENT row of counts: {summary}"));
    assert_eq!(
        students.split_whitespace().nth(1),
        Some("5"),
        "5 students created: {students}"
    );

    // Three of the five students leave: over the default 20% threshold.
    let mut truncated = full.clone();
    for student in ["stu-milhouse", "stu-nelson", "stu-martin"] {
        truncated.remove_user(student);
    }
    let smaller = server.put_roster(&truncated);
    let args: [&str; 6] = ["sync", "start", &district, "--wait", "--csv-path", &smaller];
    let output = rosterctl(&server, &args).await;
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("BLOCKED"), "{}", stderr(&output));
    assert!(stdout(&output).contains("BLOCKED"), "{}", stdout(&output));

    let mut overridden = args.to_vec();
    overridden.push("--override-threshold");
    let output = rosterctl(&server, &overridden).await;
    assert_exit(&output, 0);

    let runs = json(&server, &["sync", "list", &district]).await;
    let runs = runs.as_array().expect("a list of runs");
    let states: Vec<&str> = runs.iter().filter_map(|r| r["state"].as_str()).collect();
    assert_eq!(
        states,
        ["SUCCEEDED", "BLOCKED", "SUCCEEDED"],
        "newest first"
    );
    let last_run = runs[0]["id"].as_str().expect("run id");
    let status = json(&server, &["sync", "status", last_run]).await;
    assert_eq!(status["state"], "SUCCEEDED");
    let output = rosterctl(&server, &["sync", "issues", last_run]).await;
    assert_exit(&output, 0);
    assert!(
        stdout(&output).starts_with("SEVERITY"),
        "{}",
        stdout(&output)
    );
    let output = rosterctl(&server, &["sync", "cancel", last_run]).await;
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("RUN_FINISHED"),
        "{}",
        stderr(&output)
    );
    let limited = json(&server, &["sync", "list", &district, "--limit", "1"]).await;
    assert_eq!(limited.as_array().map(Vec::len), Some(1));

    let abandoned = json(
        &server,
        &["abandoned", "list", &district, "--kind", "student"],
    )
    .await;
    let abandoned = abandoned.as_array().expect("a list of records");
    assert_eq!(abandoned.len(), 3, "{abandoned:?}");
    assert!(
        abandoned
            .iter()
            .all(|r| r["record_kind"] == "STUDENT" && r["run_id"] == last_run)
    );
    let output = rosterctl(&server, &["abandoned", "list", &district]).await;
    assert_exit(&output, 0);
    assert!(
        stdout(&output).contains("Milhouse Van Houten"),
        "{}",
        stdout(&output)
    );

    // The students of Springfield Elementary: two stay active, the others are archived.
    let schools = json(&server, &["schools", "list", &district]).await;
    let school = schools
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == "Springfield Elementary"))
        .and_then(|s| s["id"].as_str())
        .expect("the synced school")
        .to_owned();
    let output = rosterctl(&server, &["students", "list", "--school", &school]).await;
    assert_exit(&output, 0);
    let table = stdout(&output);
    assert!(
        table.contains("Lisa Simpson") && !table.contains("Milhouse"),
        "{table}"
    );
    let all = json(
        &server,
        &["students", "list", "--school", &school, "--status", "all"],
    )
    .await;
    assert_eq!(all.as_array().map(Vec::len), Some(4));
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_prints_an_upload_id_to_sync_from() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let folder = server
        .files
        .join("import")
        .join(server.put_roster(&springfield()));
    let folder = folder.to_str().expect("a UTF-8 path");

    let output = rosterctl(&server, &["upload", folder, "--district", &district]).await;
    assert_exit(&output, 0);
    assert!(stdout(&output).contains("upload id"), "{}", stdout(&output));

    let uploaded = json(&server, &["upload", folder, "--district", &district]).await;
    let upload_id = uploaded["upload_id"].as_str().expect("an upload id");
    assert!(uploaded["size_bytes"].as_u64().is_some_and(|n| n > 0));
    let run = json(
        &server,
        &[
            "sync",
            "start",
            &district,
            "--upload-id",
            upload_id,
            "--wait",
        ],
    )
    .await;
    assert_eq!(run["state"], "SUCCEEDED", "{run}");
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_exit_1_with_the_reason_on_stderr() {
    let server = TestServer::start().await;
    let output = rosterctl(&server, &["settings", "get", "4242"]).await;
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("not found"), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());

    let output = rosterctl(&server, &["sync", "start", "4242", "--wait"]).await;
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("not found"), "{}", stderr(&output));

    // A bad request lists the fields it got wrong.
    let output = rosterctl(&server, &["district", "get", "not-a-number"]).await;
    assert_exit(&output, 1);
    let text = stderr(&output);
    assert!(
        text.contains("invalid argument") && text.contains("  district_id: "),
        "{text}"
    );

    let district = server.district("D").await;
    let output = rosterctl(&server, &["sync", "start", &district]).await;
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("NO_SOURCE"), "{}", stderr(&output));

    let output = rosterctl_at("http://127.0.0.1:1", &["district", "list"]).await;
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("cannot connect"),
        "{}",
        stderr(&output)
    );

    let output = rosterctl(&server, &["district", "frobnicate"]).await;
    assert_exit(&output, 1);
}
