//! A source unchanged since a run applied its plan is not planned again (R7.4): the run
//! ends SUCCEEDED with the counts and issues planning it again would give (every record
//! the source keeps unchanged, the same issues less those that described that run's own
//! changes), without loading the roster or planning. Any write to the roster in between,
//! or a change of the settings the planner reads, makes the next run of the same source
//! plan again.

use roster_client::pb;
use roster_e2e::lookup::*;
use roster_e2e::roster::springfield;
use roster_e2e::{TestServer, id_of};
use roster_server::store::models::SettledRow;
use roster_server::store::queries::settled;

/// The run the district is settled on, if any.
async fn settled_by(server: &TestServer, district: &str) -> Option<String> {
    let mut conn = server.store().conn().await.expect("store connection");
    settled::find(&mut conn, district.parse().unwrap())
        .await
        .expect("settled source")
        .map(|row| row.run_id.to_string())
}

/// What a caller reads of a run's issues, without their ids.
async fn issue_rows(
    server: &TestServer,
    run_id: &str,
) -> Vec<(String, String, i64, String, String)> {
    server
        .issues(run_id)
        .await
        .into_iter()
        .map(|i| (i.code, i.source_id, i.source_line, i.field, i.message))
        .collect()
}

/// Edits invitee Kirk's email through the API: the email the source gave him.
async fn edit_kirks_email(server: &TestServer) -> String {
    let kirk = id_of(&server.store(), "guardians", "par-kirk").await;
    let synced = access(server, "par-kirk").await.guardian.unwrap().email;
    server
        .dir()
        .update_contact_details(pb::UpdateContactDetailsRequest {
            user_id: kirk,
            contact_details: Some(pb::ContactDetails {
                email: "edited@example.org".into(),
                ..Default::default()
            }),
            update_mask: Some(roster_client::prost_types::FieldMask {
                paths: vec!["email".into()],
            }),
        })
        .await
        .expect("an invitee is editable");
    synced
}

#[tokio::test(flavor = "multi_thread")]
async fn r7_4_a_source_unchanged_since_a_run_applied_it_is_not_planned_again() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    // An issue to carry: Bart names a school that does not exist.
    let mut roster = springfield();
    roster.user_mut("stu-bart").orgs.push("sch-gone".into());
    let first = server.sync_ok(&district, &roster).await;
    assert_eq!(counts(&first, Kind::Student).created, 5);
    assert_eq!(
        settled_by(&server, &district).await,
        Some(first.run_id.clone()),
        "the first run left the roster in step with its source"
    );

    // The same source again: nothing created, every student unchanged, the same issues.
    let second = server.sync_ok(&district, &roster).await;
    let students = counts(&second, Kind::Student);
    assert_eq!((students.created, students.unchanged), (0, 5));
    assert!(
        second
            .counts
            .iter()
            .all(|c| c.created == 0 && c.updated == 0)
    );
    let issues = issue_rows(&server, &second.run_id).await;
    assert!(issues.iter().any(|i| i.1 == "stu-bart"), "{issues:?}");
    assert_eq!(issues, issue_rows(&server, &first.run_id).await);

    let third = server.sync_ok(&district, &roster).await;
    assert_ne!(third.run_id, second.run_id);
    assert_eq!(third.counts, second.counts);
    assert_eq!(third.issue_count, second.issue_count);
    assert_eq!(issues, issue_rows(&server, &third.run_id).await);
    assert_eq!(
        settled_by(&server, &district).await,
        Some(first.run_id.clone()),
        "still the run that proved it"
    );

    // A changed source plans again, and settles the district on itself.
    roster.user_mut("stu-bart").given = "Bartholomew".into();
    let changed = server.sync_ok(&district, &roster).await;
    assert_eq!(counts(&changed, Kind::Student).updated, 1);
    assert_eq!(
        settled_by(&server, &district).await,
        Some(changed.run_id.clone())
    );
    let after = server.sync_ok(&district, &roster).await;
    let students = counts(&after, Kind::Student);
    assert_eq!((students.updated, students.unchanged), (0, 5));
}

// R4.5: an invitee's contact details follow the source. An edit made after the district
// settled is a write to the roster: the next run of the same source plans, and puts the
// source's value back.
#[tokio::test(flavor = "multi_thread")]
async fn r4_5_an_edit_after_the_district_settled_is_synced_over_by_the_same_source() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let roster = springfield();
    let settling = server.sync_ok(&district, &roster).await;
    assert_eq!(settled_by(&server, &district).await, Some(settling.run_id));

    let synced = edit_kirks_email(&server).await;
    assert_eq!(settled_by(&server, &district).await, None);

    let again = server.sync_ok(&district, &roster).await;
    assert_eq!(counts(&again, Kind::Guardian).updated, 1);
    let email = access(&server, "par-kirk").await.guardian.unwrap().email;
    assert_eq!(email, synced);
}

// R4.6: turning Update Active Users on changes what the same source does to an active
// user: the settings the planner reads are part of what settles a district.
#[tokio::test(flavor = "multi_thread")]
async fn r4_6_turning_update_active_users_on_plans_the_same_source_again() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut roster = springfield();
    server.sync_ok(&district, &roster).await;
    let homer = id_of(&server.store(), "guardians", "par-homer").await;
    server
        .dir()
        .activate_user(pb::ActivateUserRequest { user_id: homer })
        .await
        .unwrap();
    roster.user_mut("par-homer").email = "homer.new@example.org".into();
    // Setting off: the changed email leaves an active user alone, so this run plans
    // nothing and the district settles on this source.
    let settling = server.sync_ok(&district, &roster).await;
    assert_eq!(counts(&settling, Kind::Guardian).updated, 0);
    assert_eq!(settled_by(&server, &district).await, Some(settling.run_id));
    let kept = access(&server, "par-homer").await.guardian.unwrap().email;
    assert_eq!(
        kept, "homer@example.org",
        "setting off: an active user's contact stays"
    );

    server
        .set(
            pb::SyncSettings {
                update_active_users: true,
                ..settings(&district)
            },
            &["update_active_users"],
        )
        .await;
    let on = server.sync_ok(&district, &roster).await;
    assert_eq!(counts(&on, Kind::Guardian).updated, 1);
    let email = access(&server, "par-homer").await.guardian.unwrap().email;
    assert_eq!(email, "homer.new@example.org");
}

/// Run `run_id`'s proof that the district is settled, as the store keeps it.
fn proof(district_id: i64, run_id: i64) -> SettledRow {
    SettledRow {
        district_id,
        run_id,
        digest: "d".repeat(64),
        counts: "{}".into(),
        issue_count: 0,
    }
}

// A write that lands while a run plans replaces the run's claim: the run's plan was made
// from a roster that write may have changed, so it cannot settle the district.
#[tokio::test(flavor = "multi_thread")]
async fn r7_4_a_write_after_a_runs_claim_keeps_the_district_unsettled() {
    let server = TestServer::start().await;
    let district: i64 = server.district("D").await.parse().unwrap();
    let mut conn = server.store().conn().await.unwrap();
    let proof = |run_id| proof(district, run_id);
    settled::claim(&mut conn, district, 11).await.unwrap();
    settled::forget(&mut conn, district).await.unwrap();
    assert!(!settled::settle(&mut conn, &proof(11)).await.unwrap());
    assert_eq!(settled::find(&mut conn, district).await.unwrap(), None);

    settled::claim(&mut conn, district, 12).await.unwrap();
    assert_eq!(
        settled::find(&mut conn, district).await.unwrap(),
        None,
        "a claim is no proof"
    );
    assert!(settled::settle(&mut conn, &proof(12)).await.unwrap());
    assert_eq!(
        settled::find(&mut conn, district).await.unwrap(),
        Some(proof(12))
    );
    settled::forget(&mut conn, district).await.unwrap();
    assert_eq!(settled::find(&mut conn, district).await.unwrap(), None);
}

// A run that settles its district leaves the roster loaded for the next run (`warm`),
// which uses it only if the row that run left still stands when it claims the district.
#[tokio::test(flavor = "multi_thread")]
async fn r7_4_a_kept_roster_is_used_only_while_its_settling_run_stands() {
    let server = TestServer::start().await;
    let district: i64 = server.district("D").await.parse().unwrap();
    let mut conn = server.store().conn().await.unwrap();
    let proof = |run_id| proof(district, run_id);
    assert!(
        !settled::claim_after(&mut conn, district, 11, 12)
            .await
            .unwrap(),
        "nothing settled"
    );
    settled::claim(&mut conn, district, 11).await.unwrap();
    assert!(
        !settled::claim_after(&mut conn, district, 11, 12)
            .await
            .unwrap(),
        "a claim is no proof"
    );
    assert!(settled::settle(&mut conn, &proof(11)).await.unwrap());

    assert!(
        settled::claim_after(&mut conn, district, 11, 12)
            .await
            .unwrap()
    );
    assert_eq!(
        settled::find(&mut conn, district).await.unwrap(),
        None,
        "now run 12's claim"
    );
    assert!(
        !settled::claim_after(&mut conn, district, 11, 13)
            .await
            .unwrap(),
        "run 11's roster was taken"
    );
    assert!(
        settled::settle(&mut conn, &proof(12)).await.unwrap(),
        "run 12 can settle"
    );

    settled::forget(&mut conn, district).await.unwrap();
    assert!(
        !settled::claim_after(&mut conn, district, 12, 14)
            .await
            .unwrap(),
        "a write came after run 12"
    );
}

// R4.5 with a changed source: the run after an edit plans against the roster as stored,
// edit included, not against the one kept loaded since the run before the edit.
#[tokio::test(flavor = "multi_thread")]
async fn r4_5_an_edit_after_a_settling_run_is_seen_by_the_next_run_of_a_changed_source() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut roster = springfield();
    let settling = server.sync_ok(&district, &roster).await;
    assert_eq!(settled_by(&server, &district).await, Some(settling.run_id));

    let synced = edit_kirks_email(&server).await;

    roster.user_mut("stu-bart").given = "Bartholomew".into();
    let changed = server.sync_ok(&district, &roster).await;
    assert_eq!(counts(&changed, Kind::Student).updated, 1);
    assert_eq!(
        counts(&changed, Kind::Guardian).updated,
        1,
        "the edited email is put back"
    );
    let email = access(&server, "par-kirk").await.guardian.unwrap().email;
    assert_eq!(email, synced);
}
