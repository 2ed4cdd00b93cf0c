//! Review before apply (R9.1): a plan awaiting approval writes nothing and lists its
//! changes; approval applies exactly it, unless a record it touches changed (PLAN_STALE);
//! rejection and expiry end it; a BLOCKED run is approved the same way.

use roster_client::pb;
use roster_client::tonic::Code;
use roster_e2e::lookup::*;
use roster_e2e::roster::springfield;
use roster_e2e::{TestServer, exec_sql, id_of};
use tonic_types::StatusExt;

async fn require_approval(server: &TestServer, district: &str) {
    server
        .set(
            pb::SyncSettings {
                require_approval: true,
                ..settings(district)
            },
            &["require_approval"],
        )
        .await;
}

async fn changes(server: &TestServer, run_id: &str) -> Vec<pb::PlannedChange> {
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = server
            .sync()
            .list_planned_changes(pb::ListPlannedChangesRequest {
                run_id: run_id.into(),
                page_size: 7,
                page_token,
                ..Default::default()
            })
            .await
            .expect("ListPlannedChanges")
            .into_inner();
        all.extend(page.changes);
        if page.next_page_token.is_empty() {
            return all;
        }
        page_token = page.next_page_token;
    }
}

async fn approve(
    server: &TestServer,
    run_id: &str,
) -> Result<pb::SyncRun, roster_client::tonic::Status> {
    server
        .sync()
        .approve_sync(pb::ApproveSyncRequest {
            run_id: run_id.into(),
            request_id: String::new(),
        })
        .await
        .map(|r| r.into_inner().run.expect("run"))
}

fn reason(status: &roster_client::tonic::Status) -> String {
    status
        .get_details_error_info()
        .map(|i| i.reason)
        .unwrap_or_default()
}

fn change<'a>(
    changes: &'a [pb::PlannedChange],
    kind: Kind,
    source_id: &str,
) -> &'a pb::PlannedChange {
    changes
        .iter()
        .find(|c| c.record_kind == kind as i32 && c.source_id == source_id)
        .unwrap_or_else(|| panic!("no {kind:?} change of {source_id} in {changes:#?}"))
}

fn field<'a>(c: &'a pb::PlannedChange, name: &str) -> (&'a str, &'a str) {
    let f = c
        .field_changes
        .iter()
        .find(|f| f.field == name)
        .unwrap_or_else(|| panic!("no field {name} in {c:#?}"));
    (&f.old_value, &f.new_value)
}

// R9.1: with require_approval, a run stops after planning; nothing is written, the
// district is held, and the plan lists every change. Approving applies exactly it.
#[tokio::test(flavor = "multi_thread")]
async fn r9_1_a_plan_awaiting_approval_writes_nothing_and_approval_applies_it() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    require_approval(&server, &district).await;
    let planned = server.sync_roster(&district, &springfield()).await;
    assert_eq!(
        planned.state,
        pb::SyncState::AwaitingApproval as i32,
        "{planned:?}"
    );
    assert!(planned.plan_expire_time.is_some());
    assert_eq!(
        counts(&planned, Kind::Student).created,
        5,
        "the plan's counts"
    );
    let schools = server
        .dir()
        .list_schools(pb::ListSchoolsRequest {
            district_id: district.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .schools;
    assert!(
        schools.is_empty(),
        "nothing written while awaiting approval"
    );

    let listed = changes(&server, &planned.run_id).await;
    let bart = change(&listed, Kind::Student, "stu-bart");
    assert_eq!(bart.action, pb::PlannedChangeAction::Create as i32);
    assert!(bart.record_id.is_empty(), "a new record has no id yet");
    assert_eq!(bart.display_name, "Bart Simpson");
    assert_eq!(field(bart, "given_name"), ("", "Bart"));
    assert_eq!(field(bart, "email"), ("", "bart@kids.example.org"));
    assert_eq!(field(bart, "school"), ("", "sch-1"));
    let enrolled = change(&listed, Kind::StudentEnrollment, "stu-lisa");
    assert_eq!(field(enrolled, "class"), ("", "cls-2b"));
    let link = change(&listed, Kind::FamilyRelationship, "par-homer");
    assert_eq!(field(link, "student"), ("", "stu-bart"));
    let students_only = server
        .sync()
        .list_planned_changes(pb::ListPlannedChangesRequest {
            run_id: planned.run_id.clone(),
            record_kind: Kind::Student as i32,
            action: pb::PlannedChangeAction::Create as i32,
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .changes;
    assert_eq!(students_only.len(), 5);

    // The district is held: no second run while a plan waits.
    let folder = server.put_roster(&springfield());
    let refused = server
        .sync()
        .start_sync(pb::StartSyncRequest {
            district_id: district.clone(),
            source: Some(pb::SyncSource {
                kind: Some(pb::sync_source::Kind::OnerosterCsvPath(
                    pb::OneRosterCsvPath { path: folder },
                )),
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::AlreadyExists, "{refused:?}");

    let approved = approve(&server, &planned.run_id)
        .await
        .expect("ApproveSync");
    assert!(approved.approved);
    let again = approve(&server, &planned.run_id)
        .await
        .expect("approving twice");
    assert_eq!(again.run_id, planned.run_id);
    let done = server.wait(&planned.run_id).await;
    assert_eq!(done.state, pb::SyncState::Succeeded as i32, "{done:?}");
    assert_eq!(counts(&done, Kind::Student).created, 5);
    let sch1 = school_id(&server, "sch-1").await;
    assert_eq!(
        students(&server, &sch1, pb::StatusFilter::Active)
            .await
            .len(),
        4
    );
}

// R9.1: an edit of a record the plan touches makes its approval PLAN_STALE; an edit of
// a record it does not touch leaves the plan good.
#[tokio::test(flavor = "multi_thread")]
async fn r9_1_an_edit_of_a_planned_record_makes_the_plan_stale_an_unrelated_one_does_not() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    server.sync_ok(&district, &springfield()).await;
    require_approval(&server, &district).await;
    let mut renamed = springfield();
    renamed.user_mut("par-marge").family = "Bouvier".into();
    let edit = |user: String, email: &str| pb::UpdateContactDetailsRequest {
        user_id: user,
        contact_details: Some(pb::ContactDetails {
            email: email.into(),
            ..Default::default()
        }),
        update_mask: Some(roster_client::prost_types::FieldMask {
            paths: vec!["email".into()],
        }),
    };

    // Unrelated: a guardian entered by hand is not in the plan. (An edit of a record
    // the sync manages, like Kirk's email, is undone by the plan made now: stale too.)
    let aunt = server
        .manual_guardian(&district, "Patty", "Bouvier", "patty@example.org")
        .await;
    let planned = server.sync_roster(&district, &renamed).await;
    assert_eq!(planned.state, pb::SyncState::AwaitingApproval as i32);
    let listed = changes(&server, &planned.run_id).await;
    assert_eq!(listed.len(), 1, "one change: {listed:#?}");
    let marge = change(&listed, Kind::Guardian, "par-marge");
    assert_eq!(marge.action, pb::PlannedChangeAction::Update as i32);
    assert_eq!(field(marge, "family_name"), ("Simpson", "Bouvier"));
    server
        .dir()
        .update_contact_details(edit(aunt.id, "patty@new.example.org"))
        .await
        .expect("edit the manual guardian");
    approve(&server, &planned.run_id)
        .await
        .expect("an unrelated edit leaves the plan good");
    let done = server.wait(&planned.run_id).await;
    assert_eq!(done.state, pb::SyncState::Succeeded as i32, "{done:?}");

    // Related: Marge herself changes between plan and approval.
    renamed.user_mut("par-marge").family = "Simpson".into();
    let planned = server.sync_roster(&district, &renamed).await;
    assert_eq!(planned.state, pb::SyncState::AwaitingApproval as i32);
    let marge = id_of(&server.store(), "guardians", "par-marge").await;
    server
        .dir()
        .update_contact_details(edit(marge, "marge@new.example.org"))
        .await
        .expect("edit Marge");
    let stale = approve(&server, &planned.run_id).await.unwrap_err();
    assert_eq!(stale.code(), Code::FailedPrecondition, "{stale:?}");
    assert_eq!(reason(&stale), "PLAN_STALE");
    let guardian = server
        .dir()
        .get_guardian(pb::GetGuardianRequest {
            guardian_id: id_of(&server.store(), "guardians", "par-marge").await,
        })
        .await
        .unwrap()
        .into_inner()
        .guardian
        .unwrap();
    assert_eq!(
        guardian.family_name, "Bouvier",
        "a stale plan applies nothing"
    );
}

// R9.1: RejectSync ends the run CANCELLED and frees the district; a plan past plan_ttl
// is refused PLAN_EXPIRED.
#[tokio::test(flavor = "multi_thread")]
async fn r9_1_a_rejected_or_expired_plan_is_never_applied() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    require_approval(&server, &district).await;
    let planned = server.sync_roster(&district, &springfield()).await;
    let rejected = server
        .sync()
        .reject_sync(pb::RejectSyncRequest {
            run_id: planned.run_id.clone(),
        })
        .await
        .expect("RejectSync")
        .into_inner()
        .run
        .unwrap();
    assert_eq!(rejected.state, pb::SyncState::Cancelled as i32);
    let late = approve(&server, &planned.run_id).await.unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition);
    assert_eq!(reason(&late), "RUN_NOT_AWAITING_APPROVAL");

    let planned = server.sync_roster(&district, &springfield()).await;
    assert_eq!(
        planned.state,
        pb::SyncState::AwaitingApproval as i32,
        "district free again"
    );
    exec_sql(
        &server.store(),
        &format!(
            "UPDATE sync_runs SET plan_expires_at = '2020-01-01 00:00:00' WHERE id = {}",
            planned.run_id
        ),
    )
    .await;
    let expired = approve(&server, &planned.run_id).await.unwrap_err();
    assert_eq!(reason(&expired), "PLAN_EXPIRED", "{expired:?}");
    let run = server.wait(&planned.run_id).await;
    assert_eq!(
        run.state,
        pb::SyncState::Cancelled as i32,
        "an expired plan frees the district"
    );
    let refused = server
        .sync()
        .update_sync_settings(pb::UpdateSyncSettingsRequest {
            settings: Some(pb::SyncSettings {
                plan_ttl: Some(roster_client::prost_types::Duration {
                    seconds: 5,
                    nanos: 0,
                }),
                ..settings(&district)
            }),
            update_mask: Some(roster_client::prost_types::FieldMask {
                paths: vec!["plan_ttl".into()],
            }),
        })
        .await
        .unwrap_err();
    roster_e2e::assert_invalid(&refused, "settings.plan_ttl");
}

// R9.1: a BLOCKED run keeps its plan and is approved the same way: it applies past the
// threshold, without starting another run.
#[tokio::test(flavor = "multi_thread")]
async fn r9_1_a_blocked_run_is_approved_like_a_plan() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    server.sync_ok(&district, &springfield()).await;
    let mut truncated = springfield();
    truncated.remove_user("stu-bart").remove_user("stu-lisa");
    let blocked = server.sync_roster(&district, &truncated).await;
    assert_eq!(blocked.state, pb::SyncState::Blocked as i32);
    let listed = changes(&server, &blocked.run_id).await;
    let bart = change(&listed, Kind::Student, "stu-bart");
    assert_eq!(
        bart.action,
        pb::PlannedChangeAction::Abandon as i32,
        "{bart:?}"
    );
    approve(&server, &blocked.run_id)
        .await
        .expect("ApproveSync of a blocked run");
    let done = server.wait(&blocked.run_id).await;
    assert_eq!(done.state, pb::SyncState::Succeeded as i32, "{done:?}");
    let sch1 = school_id(&server, "sch-1").await;
    assert_eq!(
        students(&server, &sch1, pb::StatusFilter::Active)
            .await
            .len(),
        2
    );
}

// R7.3 with R9.1: a dry run's plan can be read change by change, and not approved.
#[tokio::test(flavor = "multi_thread")]
async fn r9_1_a_dry_run_lists_its_plan() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let folder = server.put_roster(&springfield());
    let run = server.start_sync(&district, &folder, true, false).await;
    let run = server.wait(&run.run_id).await;
    assert_eq!(run.state, pb::SyncState::Succeeded as i32);
    let listed = changes(&server, &run.run_id).await;
    assert_eq!(
        change(&listed, Kind::School, "sch-2").action,
        pb::PlannedChangeAction::Create as i32
    );
    let refused = approve(&server, &run.run_id).await.unwrap_err();
    assert_eq!(reason(&refused), "RUN_NOT_AWAITING_APPROVAL");

    let applied = server.sync_ok(&district, &springfield()).await;
    let none = server
        .sync()
        .list_planned_changes(pb::ListPlannedChangesRequest {
            run_id: applied.run_id,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&none), "NO_PLAN", "{none:?}");
}

// S6.1 with R9.1: an erasure drops the district's kept plans, which may name the person;
// approving one then is refused as stale instead of applying a plan without them.
#[tokio::test(flavor = "multi_thread")]
async fn s6_1_an_erasure_drops_kept_plans() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    server.sync_ok(&district, &springfield()).await;
    require_approval(&server, &district).await;
    let mut renamed = springfield();
    renamed.user_mut("par-homer").family = "Thompson".into();
    let planned = server.sync_roster(&district, &renamed).await;
    assert_eq!(planned.state, pb::SyncState::AwaitingApproval as i32);
    assert_eq!(changes(&server, &planned.run_id).await.len(), 1);
    let homer = id_of(&server.store(), "guardians", "par-homer").await;
    server
        .dir()
        .erase_person(pb::ErasePersonRequest { person_id: homer })
        .await
        .expect("ErasePerson");
    assert!(
        changes(&server, &planned.run_id).await.is_empty(),
        "no kept change names the erased"
    );
    let stale = approve(&server, &planned.run_id).await.unwrap_err();
    assert_eq!(reason(&stale), "PLAN_STALE", "{stale:?}");
}
