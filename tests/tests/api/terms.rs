//! End of term (R5.10): a class gone from the source after its term ended is archived as
//! ended, not abandoned, so a new school year's export applies without an override; a
//! truncated export is still blocked (R7.2). From every kind of source: OneRoster CSV,
//! OneRoster REST and Clever, each read for its classes' terms.

use roster_client::pb;
use roster_e2e::lookup::*;
use roster_e2e::mock_clever::{self, MockClever, TOKEN};
use roster_e2e::mock_oneroster::{self, MockOneRoster};
use roster_e2e::roster::{Roster, springfield};
use roster_e2e::{TestServer, id_of};

/// Last year's term ended long before any run of these tests; this year's ends long after.
const ENDED: &str = "2026-06-12";
const RUNS_ON: &str = "2099-06-12";

/// Springfield's people in 10 classes of the school year `year`, which ends on `end`:
/// even classes at sch-1 with Bart, Lisa and Edna, odd ones at sch-2 with Nelson and Largo.
fn school_year(year: &str, end: &str) -> Roster {
    let mut r = springfield();
    r.classes.clear();
    r.enrollments.clear();
    let session = format!("sy-{year}");
    r.session(&session, &format!("School year {year}"), "2025-08-25", end);
    for n in 0..10 {
        let id = format!("cls-{year}-{n}");
        let (school, people): (&str, &[(&str, &str)]) = if n % 2 == 0 {
            (
                "sch-1",
                &[
                    ("stu-bart", "student"),
                    ("stu-lisa", "student"),
                    ("tch-edna", "teacher"),
                ],
            )
        } else {
            (
                "sch-2",
                &[("stu-nelson", "student"), ("tch-largo", "teacher")],
            )
        };
        r.class(&id, &format!("Class {n} ({year})"), school, "04")
            .class_terms(&id, &[&session]);
        for (user, role) in people {
            r.enroll(&id, user, role);
        }
    }
    r
}

/// The stored term end of the class with `source_id`, as `YYYY-MM-DD`.
async fn term_end(server: &TestServer, source_id: &str) -> Option<String> {
    use diesel_async::RunQueryDsl;
    use roster_server::store::Pooled;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        end: Option<String>,
    }
    let id = id_of(&server.store(), "classes", source_id).await;
    let sql = format!("SELECT CAST(term_end_date AS CHAR) AS end FROM classes WHERE id = {id}");
    let mut conn = server.store().conn().await.expect("store connection");
    let rows: Vec<Row> = match &mut conn.pooled {
        Pooled::Mysql(c) => diesel::sql_query(&sql).load(&mut **c).await,
        Pooled::Sqlite(c) => diesel::sql_query(&sql).load(&mut **c).await,
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter().next().and_then(|r| r.end)
}

async fn classes(server: &TestServer, school: &str, filter: pb::StatusFilter) -> Vec<String> {
    let listed = server
        .dir()
        .list_classes(pb::ListClassesRequest {
            school_id: school_id(server, school).await,
            status_filter: filter as i32,
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("ListClasses")
        .into_inner()
        .classes;
    source_ids(&listed, |c| &c.source_id)
}

#[track_caller]
fn assert_state(run: &pb::SyncRun, state: pb::SyncState) {
    assert_eq!(run.state, state as i32, "{run:?}");
}

/// What a new school year's run must have done, whatever the source: SUCCEEDED without
/// an override; last year's classes archived as ended (counted updated, one
/// CLASS_TERM_ENDED each, no abandonment), this year's created; the students as they were.
async fn assert_new_year_applied(server: &TestServer, district: &str, run: &pb::SyncRun) {
    assert_state(run, pb::SyncState::Succeeded);
    assert!(!run.override_safety_threshold);
    let class = counts(run, Kind::Class);
    assert_eq!(
        (class.created, class.updated, class.abandoned),
        (10, 10, 0),
        "{class:?}"
    );
    for kind in [
        Kind::StudentEnrollment,
        Kind::TeacherEnrollment,
        Kind::Student,
    ] {
        assert_eq!(counts(run, kind).abandoned, 0, "{kind:?}");
    }
    let issues = server.issues(&run.run_id).await;
    let ended: Vec<&pb::SyncIssue> = issues
        .iter()
        .filter(|i| i.code == "CLASS_TERM_ENDED")
        .collect();
    assert_eq!(ended.len(), 10, "{issues:?}");
    assert!(ended.iter().all(|i| {
        i.severity == pb::IssueSeverity::Info as i32
            && i.record_kind == Kind::Class as i32
            && i.source_id.starts_with("cls-old-")
            && i.message.contains(ENDED)
    }));
    assert!(
        abandoned(server, district).await.is_empty(),
        "archived as ended, not abandoned"
    );
    let old_at_1: Vec<String> = (0..10).step_by(2).map(|n| format!("cls-old-{n}")).collect();
    let new_at_1: Vec<String> = (0..10).step_by(2).map(|n| format!("cls-new-{n}")).collect();
    assert_eq!(
        classes(server, "sch-1", pb::StatusFilter::Archived).await,
        old_at_1
    );
    assert_eq!(
        classes(server, "sch-1", pb::StatusFilter::Active).await,
        new_at_1
    );
    let sch1 = school_id(server, "sch-1").await;
    assert_eq!(
        students(server, &sch1, pb::StatusFilter::Active)
            .await
            .len(),
        4,
        "students whose classes ended stay"
    );
    // R5.3: an ended class keeps its members, as its history.
    let bart = student(server, "stu-bart").await;
    assert_eq!(
        bart.classes.len(),
        10,
        "5 ended and 5 new: {:?}",
        bart.classes
    );
    assert_eq!(term_end(server, "cls-old-0").await.as_deref(), Some(ENDED));
    assert_eq!(
        term_end(server, "cls-new-0").await.as_deref(),
        Some(RUNS_ON)
    );
}

// R5.10, R7.2: last year's 10 classes, whose term ended, are all gone; this year's 10
// appear. The run applies without an override and archives the old classes as ended.
#[tokio::test(flavor = "multi_thread")]
async fn r5_10_a_new_school_year_whose_old_terms_ended_applies_without_an_override() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let first = server.sync_ok(&district, &school_year("old", ENDED)).await;
    assert_eq!(counts(&first, Kind::Class).created, 10);
    assert_eq!(term_end(&server, "cls-old-3").await.as_deref(), Some(ENDED));
    let run = server
        .sync_roster(&district, &school_year("new", RUNS_ON))
        .await;
    assert_new_year_applied(&server, &district, &run).await;
    // R7.4: the same export again changes nothing. The run before settled the district
    // on it: this one reports this year's classes unchanged, and not last year's as ended
    // again (they were archived once).
    let again = server
        .sync_ok(&district, &school_year("new", RUNS_ON))
        .await;
    assert!(
        again
            .counts
            .iter()
            .all(|c| (c.created, c.updated, c.abandoned) == (0, 0, 0)),
        "{again:?}"
    );
    assert_eq!(counts(&again, Kind::Class).unchanged, 10);
    let issues = server.issues(&again.run_id).await;
    assert!(
        issues.iter().all(|i| i.code != "CLASS_TERM_ENDED"),
        "{issues:?}"
    );
}

// R5.10, R7.2: a truncated export whose classes' terms have not ended is still blocked,
// and writes nothing; so is one whose classes have no known term (no sessions at all).
#[tokio::test(flavor = "multi_thread")]
async fn r5_10_a_truncated_export_whose_terms_have_not_ended_is_still_blocked() {
    let server = TestServer::start().await;
    for (name, full) in [
        ("running term", school_year("new", RUNS_ON)),
        ("no sessions", {
            let mut r = school_year("new", RUNS_ON);
            r.sessions.clear();
            r.class_terms.clear();
            r
        }),
    ] {
        let district = server.district(name).await;
        server.sync_ok(&district, &full).await;
        let mut truncated = full.clone();
        for n in 0..5 {
            truncated.remove_class(&format!("cls-new-{n}"));
        }
        let run = server.sync_roster(&district, &truncated).await;
        assert_state(&run, pb::SyncState::Blocked);
        let block = run.safety_block.expect("safety block");
        assert_eq!(block.record_kind, Kind::Class as i32, "{name}: {block:?}");
        assert_eq!((block.abandon_count, block.stored_count), (5, 10), "{name}");
        assert!(
            classes(&server, "sch-1", pb::StatusFilter::Archived)
                .await
                .is_empty(),
            "{name}: nothing written"
        );
    }
}

// R5.10, R3.4: a session whose end date is no date is reported (INVALID_DATE, naming the
// file, line and field) and leaves the term end of its classes as stored.
#[tokio::test(flavor = "multi_thread")]
async fn r5_10_a_bad_end_date_is_reported_and_keeps_the_stored_term_end() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let year = school_year("old", ENDED);
    server.sync_ok(&district, &year).await;
    let mut bad = year.clone();
    bad.sessions[0].3 = "June 2026".into();
    let run = server.sync_ok(&district, &bad).await;
    let issues = server.issues(&run.run_id).await;
    let rows: Vec<(&str, &str, i64, &str, &str, i32)> = issues
        .iter()
        .map(|i| {
            (
                i.code.as_str(),
                i.source_file.as_str(),
                i.source_line,
                i.source_id.as_str(),
                i.field.as_str(),
                i.severity,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [(
            "INVALID_DATE",
            "academicSessions.csv",
            2,
            "sy-old",
            "endDate",
            pb::IssueSeverity::Warning as i32
        )]
    );
    assert_eq!(counts(&run, Kind::Class).unchanged, 10);
    assert_eq!(counts(&run, Kind::Class).invalid, 0);
    assert_eq!(term_end(&server, "cls-old-0").await.as_deref(), Some(ENDED));
}

/// A OneRoster REST source at `base_url` for the district's next runs.
async fn use_rest(server: &TestServer, district: &str, base_url: &str) {
    let source = pb::SyncSource {
        kind: Some(pb::sync_source::Kind::OnerosterRest(pb::OneRosterRest {
            base_url: base_url.into(),
            auth: Some(pb::one_roster_rest::Auth::Oauth1(pb::OAuth1 {
                consumer_key: "key".into(),
                consumer_secret: "secret".into(),
                consumer_secret_set: false,
            })),
        })),
    };
    let settings = pb::SyncSettings {
        district_id: district.into(),
        source: Some(source),
        ..Default::default()
    };
    server.set(settings, &["source"]).await;
}

/// Starts a run on the district's configured source and waits for its end.
async fn sync_configured(server: &TestServer, district: &str) -> pb::SyncRun {
    let run = server
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
    server.wait(&run.run_id).await
}

// R5.10, R8.6: a OneRoster REST provider's `/academicSessions` and the classes' `terms`
// give the term end; the new school year applies without an override.
#[tokio::test(flavor = "multi_thread")]
async fn r5_10_a_new_school_year_from_oneroster_rest_applies_without_an_override() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let last = mock_oneroster::start(
        school_year("old", ENDED),
        MockOneRoster::oauth1("key", "secret"),
    )
    .await;
    use_rest(&server, &district, &last.base_url).await;
    let first = sync_configured(&server, &district).await;
    assert_state(&first, pb::SyncState::Succeeded);
    assert!(
        last.state()
            .requests
            .iter()
            .any(|r| r.contains("/academicSessions"))
    );
    assert_eq!(term_end(&server, "cls-old-1").await.as_deref(), Some(ENDED));
    let this = mock_oneroster::start(
        school_year("new", RUNS_ON),
        MockOneRoster::oauth1("key", "secret"),
    )
    .await;
    use_rest(&server, &district, &this.base_url).await;
    let run = sync_configured(&server, &district).await;
    assert_new_year_applied(&server, &district, &run).await;
}

// R5.10, R8.5: Clever's `/terms` and each section's `term_id` give the term end; the new
// school year applies without an override.
#[tokio::test(flavor = "multi_thread")]
async fn r5_10_a_new_school_year_from_clever_applies_without_an_override() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let last = mock_clever::start(school_year("old", ENDED), MockClever::default()).await;
    server.use_clever(&district, &last.base_url, TOKEN).await;
    let first = sync_configured(&server, &district).await;
    assert_state(&first, pb::SyncState::Succeeded);
    assert!(
        last.seen()
            .paths
            .iter()
            .any(|p| p.starts_with("/v3.0/terms"))
    );
    assert_eq!(term_end(&server, "cls-old-1").await.as_deref(), Some(ENDED));
    let this = mock_clever::start(school_year("new", RUNS_ON), MockClever::default()).await;
    server.use_clever(&district, &this.base_url, TOKEN).await;
    let run = sync_configured(&server, &district).await;
    assert_new_year_applied(&server, &district, &run).await;
}
