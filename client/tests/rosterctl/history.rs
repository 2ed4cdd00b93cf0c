//! `rosterctl history` (R9.3): what runs and edits changed on a record, newest first, with
//! what made each change.
//!
//! Not wired in yet: add `mod history;` to `client/tests/rosterctl/main.rs` once the server
//! serves ListRecordHistory.

use super::*;
use roster_client::{ContactUpdate, RosterClient};

/// The end user the edit is made for (`x-roster-actor`).
const ACTOR: &str = "jane@springfield.example.org";

/// The cells of a table row: columns are at least two spaces apart, and no cell of these
/// rows has two spaces in a row.
fn cells(row: &str) -> Vec<&str> {
    row.split("  ")
        .map(str::trim)
        .filter(|cell| !cell.is_empty())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn history_lists_a_guardians_runs_and_edits_newest_first() {
    let server = TestServer::start().await;
    let district = server.district("Springfield").await;
    let mut roster = springfield();
    let first = server.sync_ok(&district, &roster).await.run_id;
    roster.user_mut("par-marge").family = "Bouvier".into();
    let second = server.sync_ok(&district, &roster).await.run_id;
    let found = json(
        &server,
        &["search", &district, "par-marge", "--kind", "guardian"],
    )
    .await;
    let marge = found[0]["id"].as_str().expect("the guardian").to_owned();

    // An edit made with an operator key, for an end user of the product.
    let admin = server.key(ApiKeyRole::Admin, &[]).await;
    let created = json_as(
        &server,
        &admin,
        &[
            "keys",
            "create",
            "--name",
            "front-desk",
            "--role",
            "operator",
            "--district",
            &district,
        ],
    )
    .await;
    let key_id = created["key"]["id"].as_str().expect("a key id");
    let secret = created["secret"].as_str().expect("a secret");
    RosterClient::builder()
        .endpoint(server.endpoint.as_str())
        .bearer_token(secret)
        .actor(ACTOR)
        .connect()
        .await
        .expect("client connects")
        .update_contact_details(
            &marge,
            ContactUpdate {
                email: Some("marge@bouvier.example.org".into()),
                ..Default::default()
            },
        )
        .await
        .expect("the email is edited");

    let output = rosterctl_as(&server, &admin, &["history", &marge]).await;
    assert_exit(&output, 0);
    let table = stdout(&output);
    let rows: Vec<Vec<&str>> = table.lines().map(cells).collect();
    let [header, edit, renamed, creation] = rows.as_slice() else {
        panic!("a header and three entries: {table}");
    };
    assert_eq!(header, &["TIME", "ACTION", "KIND", "BY", "CHANGES"]);
    let by_key = format!("key {key_id} for {ACTOR}");
    assert_eq!(
        edit[1..],
        [
            "UPDATE",
            "GUARDIAN",
            by_key.as_str(),
            "email: marge@example.org -> marge@bouvier.example.org"
        ],
        "{table}"
    );
    let by_second = format!("run {second}");
    assert_eq!(
        renamed[1..],
        [
            "UPDATE",
            "GUARDIAN",
            by_second.as_str(),
            "family_name: Simpson -> Bouvier"
        ],
        "{table}"
    );
    let by_first = format!("run {first}");
    assert_eq!(
        creation[1..4],
        ["CREATE", "GUARDIAN", by_first.as_str()],
        "{table}"
    );
    assert!(
        creation[4].contains("given_name: - -> Marge"),
        "a create has no old values: {table}"
    );

    let entries = json_as(&server, &admin, &["history", &marge]).await;
    let entries = entries.as_array().expect("a list of entries");
    let runs: Vec<Option<&str>> = entries.iter().map(|e| e["run_id"].as_str()).collect();
    assert_eq!(runs, [None, Some(second.as_str()), Some(first.as_str())]);
    let edit = &entries[0];
    assert_eq!(edit["action"], "UPDATE");
    assert_eq!(edit["record_kind"], "GUARDIAN");
    assert_eq!(edit["record_id"], marge.as_str());
    assert_eq!(edit["key_id"], key_id);
    assert_eq!(edit["actor"], ACTOR);
    assert!(edit["time"].is_string(), "an RFC 3339 time: {edit}");
    assert_eq!(
        edit["field_changes"],
        serde_json::json!([{
            "field": "email",
            "old_value": "marge@example.org",
            "new_value": "marge@bouvier.example.org"
        }])
    );
    assert_eq!(entries[2]["action"], "CREATE");

    let output = rosterctl_as(&server, &admin, &["history", &marge, "-o", "csv"]).await;
    assert_exit(&output, 0);
    assert!(
        stdout(&output).starts_with("TIME,ACTION,KIND,BY,CHANGES\n"),
        "{}",
        stdout(&output)
    );
    let mut reader = csv::Reader::from_reader(output.stdout.as_slice());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let by: Vec<&str> = records.iter().map(|r| &r[3]).collect();
    assert_eq!(by, [by_key, by_second, by_first]);
}
