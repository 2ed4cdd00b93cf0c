//! Credentials that stay where the source's are unusable, and still count (R3.1).

use roster_e2e::TestServer;
use roster_e2e::roster::springfield;

// R3.1: a stored guardian whose new source email is refused keeps her stored one, and
// that stored email still counts when checking everyone else's: a new guardian with it is
// skipped, so two accounts never hold one credential.
#[tokio::test(flavor = "multi_thread")]
async fn r3_1_a_kept_stored_email_still_counts_for_uniqueness() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut roster = springfield();
    server.sync_ok(&district, &roster).await;
    roster.user_mut("par-homer").email = "not an email".into();
    roster.guardian(
        "par-lookalike",
        "Homer",
        "Lookalike",
        "homer@example.org",
        &["stu-bart"],
    );
    let run = server.sync_ok(&district, &roster).await;
    let issues = server.issues(&run.run_id).await;
    let about = |sid: &str, code: &str| issues.iter().any(|i| i.source_id == sid && i.code == code);
    assert!(about("par-homer", "INVALID_EMAIL"), "{issues:?}");
    assert!(about("par-lookalike", "DUPLICATE_EMAIL"), "{issues:?}");
    let homer = roster_e2e::lookup::access(&server, "par-homer").await;
    assert_eq!(homer.guardian.unwrap().email, "homer@example.org");
    let created = roster_e2e::lookup::counts(&run, roster_e2e::lookup::Kind::Guardian).created;
    assert_eq!(created, 0, "the lookalike was not created");
    server.stop().await;
}
