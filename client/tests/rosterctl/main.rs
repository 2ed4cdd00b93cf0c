//! `rosterctl` end to end: the binary run as a process against a real server.

use roster_e2e::TestServer;
use roster_e2e::roster::springfield;
use roster_server::domain::ApiKeyRole;
use serde_json::Value;
use std::process::Output;

mod directory;
mod history;
mod plans;
mod sources;

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

/// Runs rosterctl against `server` with `args`, calling with the API key `token`.
async fn rosterctl_as(server: &TestServer, token: &str, args: &[&str]) -> Output {
    let mut all = vec!["--token", token];
    all.extend(args);
    rosterctl(server, &all).await
}

/// Like [`json`], calling with the API key `token`.
async fn json_as(server: &TestServer, token: &str, args: &[&str]) -> Value {
    let mut all = vec!["--token", token];
    all.extend(args);
    json(server, &all).await
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
            "--school-threshold",
            "60",
            "--schedule",
            "daily:06:30@America/New_York",
        ],
    )
    .await;
    assert_exit(&output, 0);
    assert!(stdout(&output).contains("50%"), "{}", stdout(&output));

    let settings = json(&server, &["settings", "get", &district]).await;
    assert_eq!(settings["abandon_threshold_percent"], 50);
    assert_eq!(settings["school_abandon_threshold_percent"], 60);
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

// S1.3, S1.4: keys are created (their secret printed once), listed and revoked with
// rosterctl; a key works for its districts only, and a revoked key for nothing.
#[tokio::test(flavor = "multi_thread")]
async fn s1_3_keys_create_list_and_revoke_with_rosterctl() {
    let server = TestServer::start().await;
    let a = server.district("A").await;
    let b = server.district("B").await;
    let admin = server.key(ApiKeyRole::Admin, &[]).await;

    let output = rosterctl_as(
        &server,
        &admin,
        &[
            "keys",
            "create",
            "--name",
            "springfield-import",
            "--role",
            "operator",
            "--district",
            &a,
            "--rate-limit",
            "20",
        ],
    )
    .await;
    assert_exit(&output, 0);
    let table = stdout(&output);
    let secret = table
        .lines()
        .find_map(|l| l.strip_prefix("secret"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("a secret row: {table}"))
        .to_owned();
    assert!(secret.starts_with("rsk_") && secret.len() > 40, "{table}");
    assert_eq!(table.matches(&secret).count(), 1, "printed once: {table}");
    assert!(
        table.contains("OPERATOR") && table.contains("20/s"),
        "{table}"
    );
    let note = stderr(&output);
    assert!(note.contains("cannot be shown again"), "{note}");
    assert!(!note.contains(&secret), "{note}");

    // S1.2: the new key reaches its district, not another; it cannot manage keys.
    assert_exit(
        &rosterctl_as(&server, &secret, &["district", "get", &a]).await,
        0,
    );
    let output = rosterctl_as(&server, &secret, &["district", "get", &b]).await;
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("permission denied"),
        "{}",
        stderr(&output)
    );
    let output = rosterctl_as(
        &server,
        &secret,
        &["keys", "create", "--name", "mine", "--role", "admin"],
    )
    .await;
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("permission denied"),
        "{}",
        stderr(&output)
    );

    let created = json_as(
        &server,
        &admin,
        &[
            "keys",
            "create",
            "--name",
            "backend",
            "--role",
            "reader",
            "--all-districts",
        ],
    )
    .await;
    let backend_secret = created["secret"].as_str().expect("the secret");
    assert!(backend_secret.starts_with("rsk_"), "{created}");
    assert_eq!(created["key"]["role"], "READER");
    assert_eq!(created["key"]["all_districts"], true);
    assert_eq!(created["key"]["rate_limit_per_second"], Value::Null);
    // A reader or operator key names districts or is for all of them: not both.
    let output = rosterctl_as(
        &server,
        &admin,
        &[
            "keys",
            "create",
            "--name",
            "both",
            "--role",
            "reader",
            "--district",
            &a,
            "--all-districts",
        ],
    )
    .await;
    assert_exit(&output, 1);
    let output = rosterctl_as(
        &server,
        &admin,
        &["keys", "create", "--name", "none", "--role", "reader"],
    )
    .await;
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("district_ids"),
        "{}",
        stderr(&output)
    );

    // Listed newest first, with districts and last use, never a secret.
    let listed = json_as(&server, &admin, &["keys", "list"]).await;
    let keys = listed.as_array().expect("a list of keys");
    let names: Vec<&str> = keys
        .iter()
        .filter_map(|k| k["display_name"].as_str())
        .collect();
    assert_eq!(names, ["backend", "springfield-import", "admin key"]);
    let import = &keys[1];
    assert_eq!(import["district_ids"], serde_json::json!([a]));
    assert_eq!(import["rate_limit_per_second"], 20);
    assert!(import["last_use_time"].is_string(), "{import}");
    assert_eq!(import["revoke_time"], Value::Null);
    let text = listed.to_string();
    assert!(
        !text.contains(&secret) && !text.contains(backend_secret) && !text.contains(&admin),
        "{text}"
    );
    let output = rosterctl_as(&server, &admin, &["keys", "list"]).await;
    assert_exit(&output, 0);
    let table = stdout(&output);
    assert!(table.starts_with("ID"), "{table}");
    assert!(
        table.contains("springfield-import") && !table.contains(&secret),
        "{table}"
    );

    // Revoked: the next call with it is refused.
    let key_id = import["id"].as_str().expect("a key id");
    let revoked = json_as(&server, &admin, &["keys", "revoke", key_id]).await;
    assert_eq!(revoked["id"], key_id);
    assert!(revoked["revoke_time"].is_string(), "{revoked}");
    let output = rosterctl_as(&server, &secret, &["district", "get", &a]).await;
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("unauthenticated"),
        "{}",
        stderr(&output)
    );
    let output = rosterctl_as(&server, &admin, &["keys", "revoke", "4242"]).await;
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("not found"), "{}", stderr(&output));
    // S1.5: once a key exists, a call without one is refused.
    let output = rosterctl(&server, &["keys", "list"]).await;
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("unauthenticated"),
        "{}",
        stderr(&output)
    );
}

// S2.1: the audit log lists every change, newest first, by district, key and time.
#[tokio::test(flavor = "multi_thread")]
async fn s2_1_audit_lists_changes_filtered_by_district_key_and_time() {
    let server = TestServer::start().await;
    let a = server.district("A").await;
    let b = server.district("B").await;
    let admin = server.key(ApiKeyRole::Admin, &[]).await;
    let created = json_as(
        &server,
        &admin,
        &[
            "keys",
            "create",
            "--name",
            "lakeview",
            "--role",
            "operator",
            "--district",
            &a,
        ],
    )
    .await;
    let operator = created["secret"].as_str().expect("a secret");
    let operator_id = created["key"]["id"].as_str().expect("a key id");
    let output = rosterctl_as(
        &server,
        operator,
        &["settings", "set", &a, "--threshold", "30"],
    )
    .await;
    assert_exit(&output, 0);

    let events = json_as(&server, &admin, &["audit"]).await;
    let events = events.as_array().expect("a list of events");
    let methods: Vec<&str> = events.iter().filter_map(|e| e["method"].as_str()).collect();
    assert_eq!(
        methods,
        [
            "/roster.v1.SyncService/UpdateSyncSettings",
            "/roster.v1.AccessService/CreateApiKey",
            "/roster.v1.DirectoryService/CreateDistrict",
            "/roster.v1.DirectoryService/CreateDistrict",
        ],
        "newest first"
    );
    let change = &events[0];
    assert_eq!(change["key_id"], operator_id);
    assert_eq!(change["district_id"], a.as_str());
    assert_eq!(
        change["changed_fields"],
        serde_json::json!(["abandon_threshold_percent"])
    );
    assert!(!Value::Array(events.clone()).to_string().contains(operator));

    let of_b = json_as(&server, &admin, &["audit", "--district", &b]).await;
    assert_eq!(of_b.as_array().map(Vec::len), Some(1), "{of_b}");
    assert_eq!(
        of_b[0]["method"],
        "/roster.v1.DirectoryService/CreateDistrict"
    );
    let of_key = json_as(&server, &admin, &["audit", "--key", operator_id]).await;
    assert_eq!(of_key, Value::Array(vec![change.clone()]));
    let limited = json_as(&server, &admin, &["audit", "--limit", "2"]).await;
    assert_eq!(limited.as_array().map(Vec::len), Some(2));
    let at = change["time"].as_str().expect("an RFC 3339 time");
    let since = json_as(&server, &admin, &["audit", "--since", at]).await;
    assert!(
        since.as_array().is_some_and(|e| e.contains(change)),
        "{since}"
    );
    let until = json_as(&server, &admin, &["audit", "--until", at]).await;
    assert!(
        until.as_array().is_some_and(|e| !e.contains(change)),
        "{until}"
    );

    let output = rosterctl_as(&server, &admin, &["audit", "--district", &a]).await;
    assert_exit(&output, 0);
    let table = stdout(&output);
    assert!(table.starts_with("TIME"), "{table}");
    assert!(
        table.contains("SyncService/UpdateSyncSettings")
            && table.contains("abandon_threshold_percent"),
        "{table}"
    );
    // An operator reads its own districts' events only.
    let output = rosterctl_as(&server, operator, &["audit", "--district", &b]).await;
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("permission denied"),
        "{}",
        stderr(&output)
    );
    let output = rosterctl_as(&server, &admin, &["audit", "--since", "yesterday"]).await;
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("RFC 3339"), "{}", stderr(&output));
}

// S6.1: erasing a person leaves a suppression, listed and lifted with rosterctl.
#[tokio::test(flavor = "multi_thread")]
async fn s6_1_erase_person_leaves_a_suppression_rosterctl_lists_and_lifts() {
    let server = TestServer::start().await;
    let district = server.district("Springfield").await;
    server.sync_ok(&district, &springfield()).await;
    let operator = server.key(ApiKeyRole::Operator, &[&district]).await;
    let schools = json_as(&server, &operator, &["schools", "list", &district]).await;
    let school = schools
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == "Springfield Elementary"))
        .and_then(|s| s["id"].as_str())
        .expect("the synced school")
        .to_owned();
    let students = json_as(
        &server,
        &operator,
        &["students", "list", "--school", &school],
    )
    .await;
    let id_of = |given: &str| {
        students
            .as_array()
            .and_then(|s| s.iter().find(|s| s["given_name"] == given))
            .and_then(|s| s["id"].as_str())
            .unwrap_or_else(|| panic!("{given} in {students}"))
            .to_owned()
    };
    let (bart, lisa) = (id_of("Bart"), id_of("Lisa"));

    let output = rosterctl_as(&server, &operator, &["erase", "person", &bart]).await;
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(
        text.contains(&format!("erased person {bart}"))
            && text.contains("STUDENT stu-bart")
            && text.contains("rosterctl suppressions lift"),
        "{text}"
    );
    let erased = json_as(&server, &operator, &["erase", "person", &lisa]).await;
    assert_eq!(erased["person_id"], lisa.as_str());
    assert_eq!(erased["suppression"]["source_id"], "stu-lisa");
    assert_eq!(erased["suppression"]["record_kind"], "STUDENT");
    let output = rosterctl_as(&server, &operator, &["erase", "person", &bart]).await;
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("not found"), "{}", stderr(&output));

    let listed = json_as(&server, &operator, &["suppressions", "list", &district]).await;
    let listed = listed.as_array().expect("a list of suppressions");
    let mut sources: Vec<&str> = listed
        .iter()
        .filter_map(|s| s["source_id"].as_str())
        .collect();
    sources.sort_unstable();
    assert_eq!(sources, ["stu-bart", "stu-lisa"]);
    let output = rosterctl_as(&server, &operator, &["suppressions", "list", &district]).await;
    assert_exit(&output, 0);
    assert!(stdout(&output).contains("stu-bart"), "{}", stdout(&output));

    let lisa_suppression = erased["suppression"]["id"].as_str().expect("an id");
    let lifted = json_as(
        &server,
        &operator,
        &["suppressions", "lift", lisa_suppression],
    )
    .await;
    assert_eq!(lifted["lifted"], true);
    let left = json_as(&server, &operator, &["suppressions", "list", &district]).await;
    assert_eq!(left.as_array().map(Vec::len), Some(1), "{left}");
    assert_eq!(left[0]["source_id"], "stu-bart");
}

// S6.2: a district is erased only when its display name is repeated exactly.
#[tokio::test(flavor = "multi_thread")]
async fn s6_2_erase_district_with_rosterctl_needs_the_exact_name() {
    let server = TestServer::start().await;
    let gone = server.district("Closing District").await;
    let empty = server.district("Empty District").await;
    server.sync_ok(&gone, &springfield()).await;
    let admin = server.key(ApiKeyRole::Admin, &[]).await;

    for wrong in ["Closing", "closing district", "Empty District"] {
        let output = rosterctl_as(
            &server,
            &admin,
            &["erase", "district", &gone, "--confirm-name", wrong],
        )
        .await;
        assert_exit(&output, 1);
        let text = stderr(&output);
        assert!(
            text.contains("invalid argument") && text.contains("  confirm_display_name: "),
            "{wrong}: {text}"
        );
    }
    let output = rosterctl_as(&server, &admin, &["erase", "district", &gone]).await;
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("--confirm-name"),
        "{}",
        stderr(&output)
    );
    assert_exit(
        &rosterctl_as(&server, &admin, &["district", "get", &gone]).await,
        0,
    );

    let erased = json_as(
        &server,
        &admin,
        &[
            "erase",
            "district",
            &gone,
            "--confirm-name",
            "Closing District",
        ],
    )
    .await;
    assert_eq!(erased["district_id"], gone.as_str());
    assert_eq!(erased["removed"]["students"], 5);
    assert_eq!(erased["removed"]["districts"], 1);
    let output = rosterctl_as(&server, &admin, &["district", "get", &gone]).await;
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("not found"), "{}", stderr(&output));

    let output = rosterctl_as(
        &server,
        &admin,
        &[
            "erase",
            "district",
            &empty,
            "--confirm-name",
            "Empty District",
        ],
    )
    .await;
    assert_exit(&output, 0);
    let table = stdout(&output);
    assert!(table.starts_with("TABLE"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["districts", "1"]),
        "{table}"
    );
    assert!(table.lines().any(|l| l.starts_with("total")), "{table}");
}
