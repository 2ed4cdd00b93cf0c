//! A Clever API v3.0 source end to end (R8.5, R2.6, R7.1): a mock Clever on loopback serves
//! the springfield roster in Clever's shapes; the district's settings name it; runs start
//! without a source of their own, as scheduled runs do.

use roster_client::pb;
use roster_e2e::TestServer;
use roster_e2e::mock_clever::{self, MockClever, MockServer, TOKEN};
use roster_e2e::mock_oneroster::{self, MockOneRoster};
use roster_e2e::roster::springfield;
use roster_server::store::queries::settled;

type Kind = pb::RecordKind;

/// Starts a run on the configured source and waits for its end.
async fn start_and_wait(server: &TestServer, district: &str) -> pb::SyncRun {
    let started = server
        .sync()
        .start_sync(pb::StartSyncRequest {
            district_id: district.into(),
            ..Default::default()
        })
        .await
        .expect("StartSync")
        .into_inner()
        .run
        .expect("run");
    server.wait(&started.run_id).await
}

/// A new district synced from a mock Clever serving springfield with `config`.
async fn sync_from(
    server: &TestServer,
    config: MockClever,
    token: &str,
) -> (String, MockServer, pb::SyncRun) {
    let mock = mock_clever::start(springfield(), config).await;
    let district = server.district("Springfield (Clever)").await;
    server.use_clever(&district, &mock.base_url, token).await;
    let run = start_and_wait(server, &district).await;
    (district, mock, run)
}

#[track_caller]
fn assert_state(run: &pb::SyncRun, state: pb::SyncState) {
    assert_eq!(run.state, state as i32, "{run:?}");
}

fn sorted_counts(run: &pb::SyncRun) -> Vec<pb::RecordCounts> {
    let mut counts = run.counts.clone();
    counts.sort_by_key(|c| c.record_kind);
    counts
}

async fn schools(server: &TestServer, district: &str) -> Vec<pb::School> {
    server
        .dir()
        .list_schools(pb::ListSchoolsRequest {
            district_id: district.into(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .expect("ListSchools")
        .into_inner()
        .schools
}

/// What the directory shows of a district, without its product ids, in a stable order.
/// Classes show their first grade only: a Clever section has one.
async fn directory_view(server: &TestServer, district: &str) -> Vec<String> {
    let mut view = Vec::new();
    for school in schools(server, district).await {
        let at = school.source_id.clone();
        view.push(format!("school {at} {} {}", school.sis_id, school.name));
        view.extend(students_view(server, &school.id, &at).await);
        view.extend(guardians_view(server, &school.id, &at).await);
        view.extend(staff_view(server, &school.id, &at).await);
        view.extend(classes_view(server, &school.id, &at).await);
    }
    view.sort();
    view
}

async fn students_view(server: &TestServer, school_id: &str, at: &str) -> Vec<String> {
    let students = server
        .dir()
        .list_students(pb::ListStudentsRequest {
            school_id: school_id.into(),
            status_filter: pb::StatusFilter::Active as i32,
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .expect("ListStudents")
        .into_inner()
        .students;
    students
        .iter()
        .map(|s| {
            format!(
                "{at} student {} {} {} {} <{}> grade {} guardians {} attributes {}",
                s.source_id,
                s.sis_id,
                s.given_name,
                s.family_name,
                s.email,
                s.grade,
                s.guardian_ids.len(),
                s.attributes.len()
            )
        })
        .collect()
}

async fn guardians_view(server: &TestServer, school_id: &str, at: &str) -> Vec<String> {
    let guardians = server
        .dir()
        .list_guardians(pb::ListGuardiansRequest {
            school_id: school_id.into(),
            status_filter: pb::StatusFilter::Active as i32,
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .expect("ListGuardians")
        .into_inner()
        .guardians;
    guardians
        .iter()
        .map(|g| {
            format!(
                "{at} guardian {} {} {} {} <{}> sms {} home {} students {}",
                g.source_id,
                g.sis_id,
                g.given_name,
                g.family_name,
                g.email,
                g.sms_number,
                g.home_phone,
                g.student_ids.len()
            )
        })
        .collect()
}

async fn staff_view(server: &TestServer, school_id: &str, at: &str) -> Vec<String> {
    let staff = server
        .dir()
        .list_staff(pb::ListStaffRequest {
            school_id: school_id.into(),
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .expect("ListStaff")
        .into_inner()
        .staff;
    staff
        .iter()
        .map(|s| {
            format!(
                "{at} staff {} {} {} {} <{}> role {}",
                s.source_id, s.sis_id, s.given_name, s.family_name, s.email, s.role
            )
        })
        .collect()
}

async fn classes_view(server: &TestServer, school_id: &str, at: &str) -> Vec<String> {
    let classes = server
        .dir()
        .list_classes(pb::ListClassesRequest {
            school_id: school_id.into(),
            status_filter: pb::StatusFilter::Active as i32,
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .expect("ListClasses")
        .into_inner()
        .classes;
    classes
        .iter()
        .map(|c| {
            let first_grade = c.grades.first().map_or("", String::as_str);
            format!(
                "{at} class {} {} {} grade {first_grade}",
                c.source_id, c.sis_id, c.name
            )
        })
        .collect()
}

// R8.5, R2.6: a Clever district read page by page syncs into the same roster as its CSV
// export, and the run says once that student attributes are not synced from Clever.
#[tokio::test(flavor = "multi_thread")]
async fn r8_5_a_clever_district_read_page_by_page_syncs_like_its_csv_export() {
    let server = TestServer::start().await;
    let config = MockClever {
        page_limit_cap: Some(2),
        ..MockClever::default()
    };
    let (district, mock, run) = sync_from(&server, config, TOKEN).await;
    assert_state(&run, pb::SyncState::Succeeded);
    let created = |kind| TestServer::counts(&run, kind).created;
    assert_eq!(created(Kind::School), 2);
    assert_eq!(created(Kind::Student), 5);
    assert_eq!(created(Kind::Guardian), 5);
    assert_eq!(created(Kind::Staff), 4);
    assert_eq!(created(Kind::Class), 3);
    assert_eq!(created(Kind::StudentEnrollment), 5);
    assert_eq!(created(Kind::TeacherEnrollment), 3);
    assert_eq!(created(Kind::FamilyRelationship), 6);
    let paths = mock.seen().paths.clone();
    let user_pages = paths
        .iter()
        .filter(|p| p.starts_with("/v3.0/users") && p.contains("starting_after="))
        .count();
    assert!(user_pages >= 6, "14 users in pages of 2: {paths:?}");

    let issues = server.issues(&run.run_id).await;
    let not_synced: Vec<_> = issues
        .iter()
        .filter(|i| i.code == "ATTRIBUTES_NOT_SYNCED")
        .collect();
    assert_eq!(not_synced.len(), 1, "{issues:?}");
    assert_eq!(not_synced[0].severity, pb::IssueSeverity::Info as i32);
    assert!(
        !issues
            .iter()
            .any(|i| i.severity == pb::IssueSeverity::Error as i32),
        "{issues:?}"
    );

    // The same district as a CSV export and from a OneRoster REST provider: all three
    // sources give the same roster.
    let csv_district = server.district("Springfield (CSV)").await;
    let csv_run = server.sync_ok(&csv_district, &springfield()).await;
    assert_eq!(sorted_counts(&run), sorted_counts(&csv_run));
    let rest = mock_oneroster::start(springfield(), MockOneRoster::oauth1("key", "secret")).await;
    let rest_district = server.district("Springfield (OneRoster REST)").await;
    let rest_source = pb::SyncSource {
        kind: Some(pb::sync_source::Kind::OnerosterRest(pb::OneRosterRest {
            base_url: rest.base_url.clone(),
            auth: Some(pb::one_roster_rest::Auth::Oauth1(pb::OAuth1 {
                consumer_key: "key".into(),
                consumer_secret: "secret".into(),
                consumer_secret_set: false,
            })),
        })),
    };
    server
        .set(
            pb::SyncSettings {
                district_id: rest_district.clone(),
                source: Some(rest_source),
                ..Default::default()
            },
            &["source"],
        )
        .await;
    let rest_run = start_and_wait(&server, &rest_district).await;
    assert_state(&rest_run, pb::SyncState::Succeeded);
    let clever_view = directory_view(&server, &district).await;
    assert_eq!(clever_view, directory_view(&server, &csv_district).await);
    assert_eq!(clever_view, directory_view(&server, &rest_district).await);
}

// R7.4 with R8.5: a second read of an unchanged Clever district changes nothing, and a
// third finds the district settled on it.
#[tokio::test(flavor = "multi_thread")]
async fn r8_5_a_resync_of_an_unchanged_clever_district_changes_nothing() {
    let server = TestServer::start().await;
    let (district, _mock, first) = sync_from(&server, MockClever::default(), TOKEN).await;
    assert_state(&first, pb::SyncState::Succeeded);
    let again = start_and_wait(&server, &district).await;
    assert_state(&again, pb::SyncState::Succeeded);
    for c in &again.counts {
        assert_eq!(
            (c.created, c.updated, c.abandoned, c.restored),
            (0, 0, 0, 0),
            "{c:?}"
        );
    }

    // The first run settled the district on what Clever served: read again and found the
    // same, the records are not planned again, and each run reports the same.
    let settled = |server: &TestServer| {
        let store = server.store();
        let district = district.parse::<i64>().unwrap();
        async move {
            let mut conn = store.conn().await.unwrap();
            settled::find(&mut conn, district)
                .await
                .unwrap()
                .map(|r| r.run_id.to_string())
        }
    };
    assert_eq!(settled(&server).await, Some(first.run_id.clone()));
    let third = start_and_wait(&server, &district).await;
    assert_state(&third, pb::SyncState::Succeeded);
    assert_eq!(sorted_counts(&third), sorted_counts(&again));
    assert_eq!(settled(&server).await, Some(first.run_id));
}

// A provider's rate limit is waited out: 429 with Retry-After, then success.
#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_are_waited_out() {
    let server = TestServer::start().await;
    let config = MockClever {
        fail_first_with_429: 2,
        ..MockClever::default()
    };
    let (_district, mock, run) = sync_from(&server, config, TOKEN).await;
    assert_state(&run, pb::SyncState::Succeeded);
    assert_eq!(mock.seen().throttled, 2);
    assert_eq!(TestServer::counts(&run, Kind::Student).created, 5);
}

// A connection dropped mid-page is retried, and the page read whole the second time.
#[tokio::test(flavor = "multi_thread")]
async fn a_connection_dropped_mid_page_is_retried() {
    let server = TestServer::start().await;
    let config = MockClever {
        drop_connection_once: true,
        ..MockClever::default()
    };
    let (_district, mock, run) = sync_from(&server, config, TOKEN).await;
    assert_state(&run, pb::SyncState::Succeeded);
    let seen = mock.seen();
    assert_eq!(seen.dropped, 1);
    let user_requests = seen
        .paths
        .iter()
        .filter(|p| p.starts_with("/v3.0/users"))
        .count();
    assert_eq!(user_requests, 2, "{:?}", seen.paths);
    drop(seen);
    assert_eq!(TestServer::counts(&run, Kind::Guardian).created, 5);
    assert_eq!(
        TestServer::counts(&run, Kind::FamilyRelationship).created,
        6
    );
}

// A refused token fails the run at once, naming the endpoint and the status but never the
// token; nothing is written (R7.1).
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_fails_the_run_and_writes_nothing() {
    let server = TestServer::start().await;
    let wrong = "tok-WRONG-SECRET-4242";
    let (district, mock, run) = sync_from(&server, MockClever::default(), wrong).await;
    assert_state(&run, pb::SyncState::Failed);
    let message = &run.error_message;
    assert!(message.contains("/v3.0/districts"), "{message}");
    assert!(message.contains("401"), "{message}");
    assert!(
        !message.contains(wrong) && !message.contains(TOKEN),
        "{message}"
    );
    assert_eq!(mock.seen().requests, 1, "a refusal is not retried");
    assert!(schools(&server, &district).await.is_empty());

    let forbidding = MockClever {
        reject_all: Some(403),
        ..MockClever::default()
    };
    let (district, _mock, run) = sync_from(&server, forbidding, TOKEN).await;
    assert_state(&run, pb::SyncState::Failed);
    assert!(run.error_message.contains("403"), "{}", run.error_message);
    assert!(!run.error_message.contains(TOKEN), "{}", run.error_message);
    assert!(schools(&server, &district).await.is_empty());
}

// A body that is not JSON fails the run naming the endpoint; the pages read before it are
// not written (R7.1).
#[tokio::test(flavor = "multi_thread")]
async fn malformed_json_fails_the_run_and_writes_nothing() {
    let server = TestServer::start().await;
    let config = MockClever {
        malformed_json: true,
        ..MockClever::default()
    };
    let (district, _mock, run) = sync_from(&server, config, TOKEN).await;
    assert_state(&run, pb::SyncState::Failed);
    assert!(
        run.error_message.contains("/v3.0/users"),
        "{}",
        run.error_message
    );
    assert!(!run.error_message.contains(TOKEN), "{}", run.error_message);
    assert!(schools(&server, &district).await.is_empty());
}

// CancelSync stops a run while it is still fetching from a slow provider.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_is_cancelled_while_fetching() {
    let server = TestServer::start().await;
    let mock = mock_clever::start(
        springfield(),
        MockClever {
            fail_first_with_429: 1000,
            ..MockClever::default()
        },
    )
    .await;
    let district = server.district("Slow").await;
    server.use_clever(&district, &mock.base_url, TOKEN).await;
    let run = server
        .sync()
        .start_sync(pb::StartSyncRequest {
            district_id: district.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .run
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    server
        .sync()
        .cancel_sync(pb::CancelSyncRequest {
            run_id: run.run_id.clone(),
        })
        .await
        .unwrap();
    let ended = server.wait(&run.run_id).await;
    assert_state(&ended, pb::SyncState::Cancelled);
    assert!(
        schools(&server, &district).await.is_empty(),
        "nothing written"
    );
}

// R3.1: a Clever user who is both a teacher and a contact (a teacher who is also a
// parent) is one person: her email is not "shared" with herself, so her guardian record
// is created beside her staff record.
#[tokio::test(flavor = "multi_thread")]
async fn r3_1_a_teacher_who_is_also_a_contact_is_not_her_own_duplicate() {
    let server = TestServer::start().await;
    let mut roster = springfield();
    let edna = roster.user_mut("tch-edna");
    edna.role = "teacher,guardian".into();
    edna.email = "edna@example.org".into();
    edna.agents = vec!["stu-martin".into()];
    let mock = mock_clever::start(roster, MockClever::default()).await;
    let district = server.district("D").await;
    server.use_clever(&district, &mock.base_url, TOKEN).await;
    let run = start_and_wait(&server, &district).await;
    assert_state(&run, pb::SyncState::Succeeded);
    let issues = server.issues(&run.run_id).await;
    assert!(
        !issues.iter().any(|i| i.source_id == "tch-edna"),
        "{issues:?}"
    );
    let martin = roster_e2e::lookup::student(&server, "stu-martin").await;
    let guardians: Vec<&str> = martin
        .guardians
        .iter()
        .map(|g| g.source_id.as_str())
        .collect();
    assert!(guardians.contains(&"tch-edna"), "{guardians:?}");
}
