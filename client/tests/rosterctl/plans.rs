//! `rosterctl sync plan|approve|reject` and the approval settings (R9.1).
//!
//! Not wired in yet: add `mod plans;` to `client/tests/rosterctl/main.rs` once the server
//! serves ListPlannedChanges, ApproveSync and RejectSync.

use super::*;

/// A district syncing Springfield from a CSV folder, with `--require-approval true`.
async fn approving_district(server: &TestServer) -> String {
    let district = server.district("D").await;
    let folder = server.put_roster(&springfield());
    let args = [
        "settings",
        "set",
        &district,
        "--csv-path",
        &folder,
        "--require-approval",
        "true",
        "--plan-ttl",
        "90m",
    ];
    let output = rosterctl(server, &args).await;
    assert_exit(&output, 0);
    let table = stdout(&output);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("plan ttl") && l.ends_with("90m")),
        "{table}"
    );
    let settings = json(server, &["settings", "get", &district]).await;
    assert_eq!(settings["require_approval"], true);
    assert_eq!(settings["plan_ttl"], "5400s");
    district
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_start_wait_exits_3_awaiting_approval_then_approve_wait_applies_the_plan() {
    let server = TestServer::start().await;
    let district = approving_district(&server).await;

    let output = rosterctl(
        &server,
        &["sync", "start", &district, "--wait", "-o", "json"],
    )
    .await;
    assert_exit(&output, 3);
    let run: Value = serde_json::from_slice(&output.stdout).expect("the run as JSON");
    assert_eq!(run["state"], "AWAITING_APPROVAL");
    assert_eq!(run["approved"], false);
    assert!(run["plan_expire_time"].is_string(), "{run}");
    let id = run["id"].as_str().expect("run id").to_owned();
    let hint = stderr(&output);
    assert!(
        hint.contains(&format!("rosterctl sync plan {id}")),
        "{hint}"
    );
    assert!(
        hint.contains(&format!("rosterctl sync approve {id}")),
        "{hint}"
    );

    let output = rosterctl(&server, &["sync", "plan", &id]).await;
    assert_exit(&output, 0);
    let table = stdout(&output);
    assert!(table.starts_with("KIND"), "{table}");
    let lisa = table
        .lines()
        .find(|l| l.contains("Lisa Simpson"))
        .unwrap_or_else(|| panic!("a row for Lisa: {table}"));
    assert!(
        lisa.starts_with("STUDENT") && lisa.contains("CREATE"),
        "{lisa}"
    );
    assert!(
        lisa.contains(" -> "),
        "field changes as `field: old -> new`: {lisa}"
    );

    let students = json(
        &server,
        &[
            "sync", "plan", &id, "--kind", "student", "--action", "create",
        ],
    )
    .await;
    let students = students.as_array().expect("a list of changes");
    assert_eq!(students.len(), 5);
    assert!(
        students
            .iter()
            .all(|c| c["record_kind"] == "STUDENT" && c["action"] == "CREATE")
    );
    let output = rosterctl(&server, &["sync", "plan", &id, "-o", "csv"]).await;
    assert_exit(&output, 0);
    assert!(
        stdout(&output).starts_with("KIND,ACTION,RECORD ID,SOURCE ID,NAME,SCHOOL,CHANGES"),
        "{}",
        stdout(&output)
    );

    let output = rosterctl(&server, &["sync", "approve", &id, "--wait"]).await;
    assert_exit(&output, 0);
    let summary = stdout(&output);
    assert!(summary.contains("SUCCEEDED"), "{summary}");
    assert!(
        summary
            .lines()
            .any(|l| l.starts_with("approved") && l.ends_with("true")),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_reject_cancels_the_run() {
    let server = TestServer::start().await;
    let district = approving_district(&server).await;
    let output = rosterctl(
        &server,
        &["sync", "start", &district, "--wait", "-o", "json"],
    )
    .await;
    assert_exit(&output, 3);
    let run: Value = serde_json::from_slice(&output.stdout).expect("the run as JSON");
    let id = run["id"].as_str().expect("run id");

    let rejected = json(&server, &["sync", "reject", id]).await;
    assert_eq!(rejected["state"], "CANCELLED");
    let output = rosterctl(&server, &["sync", "approve", id]).await;
    assert_exit(&output, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_ttl_that_is_not_a_duration_is_a_usage_error() {
    // Refused by the argument parser: no server needed.
    for ttl in ["1.5h", "24x", "h"] {
        let output = rosterctl_at(
            "http://127.0.0.1:1",
            &["settings", "set", "1", "--plan-ttl", ttl],
        )
        .await;
        assert_exit(&output, 1);
        assert!(
            stderr(&output).contains("--plan-ttl"),
            "{}",
            stderr(&output)
        );
    }
}

// R9.2: `sync revert --wait` reverts the latest run and says the schedule is paused;
// `sync resume-schedule` ends the pause.
#[tokio::test(flavor = "multi_thread")]
async fn sync_revert_wait_reverts_the_latest_run_and_resume_schedule_ends_the_pause() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    server.sync_ok(&district, &springfield()).await;
    let mut more = springfield();
    more.student("stu-ralph", "Ralph", "Wiggum", "sch-1");
    let run = server.sync_ok(&district, &more).await;

    let output = rosterctl(
        &server,
        &["sync", "revert", &run.run_id, "--wait", "-o", "json"],
    )
    .await;
    assert_exit(&output, 0);
    let reverted: Value = serde_json::from_slice(&output.stdout).expect("the run as JSON");
    assert_eq!(reverted["state"], "SUCCEEDED", "{reverted}");
    assert_eq!(reverted["trigger"], "REVERT");
    assert_eq!(reverted["reverted_run_id"], run.run_id.as_str());
    let settings = json(&server, &["settings", "get", &district]).await;
    assert_eq!(settings["schedule_paused"], true);

    let output = rosterctl(&server, &["sync", "revert", &run.run_id]).await;
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("NOT_LATEST_RUN"),
        "{}",
        stderr(&output)
    );

    let settings = json(&server, &["sync", "resume-schedule", &district]).await;
    assert_eq!(settings["schedule_paused"], false);
}
