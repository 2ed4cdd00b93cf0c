//! `rosterctl settings set` for every source kind, with the source's secret read from a
//! file, an environment variable or (warned about) a flag: proven by syncing from a real
//! OAuth-checking OneRoster REST mock with the secret stored.

use super::*;
use roster_e2e::mock_oneroster::{self, MockOneRoster};

const KEY: &str = "roster-consumer";
const SECRET: &str = "oauth-S3CRET-from-elsewhere";
const CLIENT_ID: &str = "roster-client";
const SCOPE: &str = "https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly";

/// Runs rosterctl with one more environment variable.
async fn rosterctl_env(server: &TestServer, args: &[&str], var: (&str, &str)) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_rosterctl"))
        .args(["--server", server.endpoint.as_str()])
        .args(args)
        .env_remove("ROSTER_TOKEN")
        .env_remove("ROSTER_CLEVER_TOKEN")
        .env(var.0, var.1)
        .output()
        .await
        .expect("rosterctl runs")
}

/// Syncs the district's configured source and expects 5 students created.
async fn sync_succeeds(server: &TestServer, district: &str) {
    let output = rosterctl(server, &["sync", "start", district, "--wait", "-o", "json"]).await;
    assert_exit(&output, 0);
    let run: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(run["state"], "SUCCEEDED", "{run}");
}

#[tokio::test(flavor = "multi_thread")]
async fn oneroster_rest_oauth2_takes_its_secret_from_a_file() {
    let server = TestServer::start().await;
    let mock = mock_oneroster::start(
        springfield(),
        MockOneRoster::oauth2(CLIENT_ID, SECRET, SCOPE),
    )
    .await;
    let district = server.district("D").await;
    let dir = std::env::temp_dir().join(format!("rosterctl-secret-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("client-secret");
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    let output = rosterctl(
        &server,
        &[
            "settings",
            "set",
            &district,
            "--oneroster-url",
            &mock.base_url,
            "--oauth2-token-url",
            &mock.token_url,
            "--oauth2-client-id",
            CLIENT_ID,
            "--oauth2-scope",
            SCOPE,
            "--secret-file",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert_exit(&output, 0);
    assert!(
        !stdout(&output).contains(SECRET),
        "the secret is never printed"
    );
    let settings = json(&server, &["settings", "get", &district]).await;
    assert_eq!(settings["source"]["kind"], "ONE_ROSTER_REST");
    assert_eq!(settings["source"]["auth"]["type"], "OAUTH2");
    assert_eq!(settings["source"]["auth"]["client_secret_set"], true);
    assert!(!settings.to_string().contains(SECRET));
    sync_succeeds(&server, &district).await;
    assert!(
        mock.token_requests() > 0,
        "the token came with the stored secret"
    );

    // Changing another setting keeps the stored secret.
    let output = rosterctl(
        &server,
        &["settings", "set", &district, "--threshold", "40"],
    )
    .await;
    assert_exit(&output, 0);
    sync_succeeds(&server, &district).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn oneroster_rest_oauth1_takes_its_secret_from_an_environment_variable() {
    let server = TestServer::start().await;
    let mock = mock_oneroster::start(springfield(), MockOneRoster::oauth1(KEY, SECRET)).await;
    let district = server.district("D").await;
    let args = [
        "settings",
        "set",
        &district,
        "--oneroster-url",
        &mock.base_url,
        "--oauth1-key",
        KEY,
        "--secret-env",
        "SIS_SECRET",
    ];
    let output = rosterctl_env(&server, &args, ("SIS_SECRET", SECRET)).await;
    assert_exit(&output, 0);
    let settings = json(&server, &["settings", "get", &district]).await;
    assert_eq!(settings["source"]["auth"]["type"], "OAUTH1");
    assert_eq!(settings["source"]["auth"]["consumer_key"], KEY);
    assert_eq!(settings["source"]["auth"]["consumer_secret_set"], true);
    sync_succeeds(&server, &district).await;

    let output = rosterctl_env(&server, &args, ("OTHER", "x")).await;
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("SIS_SECRET is not set"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn secret_flags_are_checked_and_a_token_on_the_command_line_is_warned_about() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let output = rosterctl(
        &server,
        &[
            "settings",
            "set",
            &district,
            "--oneroster-url",
            "https://sis.example.org/ims/oneroster/v1p1",
        ],
    )
    .await;
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("--oauth1-key"),
        "{}",
        stderr(&output)
    );

    let output = rosterctl(
        &server,
        &[
            "settings",
            "set",
            &district,
            "--csv-path",
            "x",
            "--secret-env",
            "HOME",
        ],
    )
    .await;
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("Clever"), "{}", stderr(&output));

    let output = rosterctl(
        &server,
        &["settings", "set", &district, "--clever-token", "tok-123"],
    )
    .await;
    assert_exit(&output, 0);
    assert!(
        stderr(&output).contains("shell history"),
        "{}",
        stderr(&output)
    );
    let settings = json(&server, &["settings", "get", &district]).await;
    assert_eq!(settings["source"]["kind"], "CLEVER");
    assert_eq!(settings["source"]["district_token_set"], true);

    let output = rosterctl_env(
        &server,
        &[
            "settings",
            "set",
            &district,
            "--clever",
            "--secret-env",
            "CLEVER_TOKEN",
        ],
        ("CLEVER_TOKEN", ""),
    )
    .await;
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("empty"), "{}", stderr(&output));
}
