//! Record history (R9.3): what runs and edits changed on a record, through the typed
//! client.
//!
//! Not wired in yet: add `mod history;` to `client/tests/client/main.rs` once the server
//! serves ListRecordHistory.

use super::access::{admin, client_acting};
use super::*;
use roster_client::{ApiKeyRole, FieldChange, HistoryEntry, NewApiKey, PlannedChangeAction};

/// A field change as the history reports it.
fn change(field: &str, old: Option<&str>, new: Option<&str>) -> FieldChange {
    FieldChange {
        field: field.to_owned(),
        old_value: old.map(str::to_owned),
        new_value: new.map(str::to_owned),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn r9_3_a_guardians_history_lists_runs_and_edits_newest_first() {
    let server = TestServer::start().await;
    let district = server.district("Springfield").await;
    let mut roster = springfield();
    let first = server.sync_ok(&district, &roster).await.run_id;
    roster.user_mut("par-marge").family = "Bouvier".into();
    let second = server.sync_ok(&district, &roster).await.run_id;
    let marge = roster_e2e::id_of(&server.store(), "guardians", "par-marge").await;

    // An edit made with an operator key, for an end user of the product.
    let (key, secret) = admin(&server)
        .await
        .create_api_key(NewApiKey {
            district_ids: vec![district.clone()],
            ..NewApiKey::new("front-desk", ApiKeyRole::Operator)
        })
        .await
        .unwrap();
    let desk = client_acting(&server, secret.expose(), "jane@springfield.example.org").await;
    desk.update_contact_details(
        &marge,
        ContactUpdate {
            email: Some("marge@bouvier.example.org".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let history: Vec<HistoryEntry> = desk
        .list_record_history(&marge)
        .try_collect()
        .await
        .unwrap();
    let [edit, renamed, created] = history.as_slice() else {
        panic!("the edit, the second run, the first run: {history:#?}");
    };
    for entry in &history {
        assert_eq!(entry.record_kind, RecordKind::Guardian, "{entry:?}");
        assert_eq!(entry.record_id, marge, "{entry:?}");
    }
    let times: Vec<_> = history
        .iter()
        .map(|e| e.time.expect("every entry has a time"))
        .collect();
    assert!(times.is_sorted_by(|a, b| a >= b), "newest first: {times:?}");

    assert_eq!(edit.action, PlannedChangeAction::Update);
    assert_eq!(edit.run_id, None, "an edit, not a run");
    assert_eq!(edit.key_id.as_deref(), Some(key.id.as_str()));
    assert_eq!(edit.actor.as_deref(), Some("jane@springfield.example.org"));
    assert_eq!(
        edit.field_changes,
        [change(
            "email",
            Some("marge@example.org"),
            Some("marge@bouvier.example.org")
        )]
    );

    assert_eq!(renamed.action, PlannedChangeAction::Update);
    assert_eq!(renamed.run_id.as_deref(), Some(second.as_str()));
    assert_eq!(renamed.key_id, None, "a run, not a key");
    assert_eq!(renamed.actor, None);
    assert_eq!(
        renamed.field_changes,
        [change("family_name", Some("Simpson"), Some("Bouvier"))]
    );

    assert_eq!(created.action, PlannedChangeAction::Create);
    assert_eq!(created.run_id.as_deref(), Some(first.as_str()));
    assert!(
        created
            .field_changes
            .contains(&change("given_name", None, Some("Marge"))),
        "{created:?}"
    );
    assert!(
        created.field_changes.iter().all(|f| f.old_value.is_none()),
        "a create has no old values: {created:?}"
    );

    // A page at a time, in the same order.
    let page = desk
        .list_record_history_page(&marge, PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(page.items, history[..2]);
    let next = page.next_request(2).expect("a second page");
    let last = desk.list_record_history_page(&marge, next).await.unwrap();
    assert_eq!(last.items, history[2..]);
    assert_eq!(last.next_page_token, None);
}
