//! The typed client over real gRPC: a roster-server on 127.0.0.1:0 per test.

use futures::TryStreamExt;
use roster_client::{
    AbandonedFilter, AccountState, ClassMember, ClassMemberRole, ContactUpdate, District, Error,
    NewClass, NewGuardian, NewStaffMember, NewStudent, Origin, PageRequest, RecordKind,
    RecordStatus, RetryPolicy, RosterClient, SettingsUpdate, StaffRole, StartSync, StatusFilter,
    SyncRun, SyncSource, SyncSourceInput, SyncState, User,
};
use roster_e2e::TestServer;
use roster_e2e::roster::springfield;
use std::time::Duration;

/// A client of `server` built the way a service would build one.
async fn client(server: &TestServer) -> RosterClient {
    RosterClient::builder()
        .endpoint(server.endpoint.as_str())
        .bearer_token("test-token")
        .request_timeout(Duration::from_secs(20))
        .connect()
        .await
        .expect("client connects")
}

/// A district with one school, a student, a guardian and a teacher, all manual.
struct Family {
    district: String,
    school: String,
    student: String,
    guardian: String,
    teacher: String,
}

async fn family(client: &RosterClient) -> Family {
    let district = client.create_district("Springfield").await.unwrap().id;
    let school = client
        .create_school(&district, "Springfield Elementary", Some("SCH-1"))
        .await
        .unwrap();
    assert_eq!(school.origin, Origin::Manual);
    assert_eq!(school.status, RecordStatus::Active);
    assert_eq!(school.sis_id.as_deref(), Some("SCH-1"));
    assert_eq!(school.source_id, None);
    let student = client
        .create_student(NewStudent {
            district_id: district.clone(),
            school_id: school.id.clone(),
            given_name: "Lisa".into(),
            family_name: "Simpson".into(),
            grade: Some("02".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(student.grade.as_deref(), Some("02"));
    assert_eq!(student.email, None);
    assert_eq!(student.school_ids, vec![school.id.clone()]);
    let guardian = client
        .create_guardian(NewGuardian {
            district_id: district.clone(),
            given_name: "Marge".into(),
            family_name: "Simpson".into(),
            email: Some("marge@example.org".into()),
            sms_number: Some("(603) 555-0123".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(guardian.sms_number.as_deref(), Some("+16035550123"));
    assert_eq!(guardian.account_state, AccountState::Invitee);
    let teacher = client
        .create_staff_member(NewStaffMember {
            district_id: district.clone(),
            school_id: school.id.clone(),
            given_name: "Edna".into(),
            family_name: "Krabappel".into(),
            email: Some("edna@example.org".into()),
            role: Some(StaffRole::Teacher),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(teacher.role, StaffRole::Teacher);
    Family {
        district,
        school: school.id,
        student: student.id,
        guardian: guardian.id,
        teacher: teacher.id,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn districts_come_back_as_domain_types() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let created = client.create_district("Springfield").await.unwrap();
    assert!(!created.id.is_empty());
    assert_eq!(created.display_name, "Springfield");
    assert!(created.create_time.is_some());
    let got = client.get_district(&created.id).await.unwrap();
    assert_eq!(
        (got.id, got.display_name),
        (created.id, created.display_name)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn directory_calls_take_and_return_typed_records() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let f = family(&client).await;

    let linked = client.link_guardian(&f.guardian, &f.student).await.unwrap();
    assert_eq!(linked.student_ids, vec![f.student.clone()]);
    let detail = client.get_student(&f.student).await.unwrap();
    assert_eq!(detail.student.given_name, "Lisa");
    assert_eq!(detail.guardians.len(), 1);
    assert_eq!(detail.guardians[0].id, f.guardian);

    let class = client
        .create_class(NewClass {
            district_id: f.district.clone(),
            school_id: f.school.clone(),
            name: "Grade 2 B".into(),
            grades: vec!["02".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    let member = client
        .add_class_member(&class.id, &f.student, ClassMemberRole::Student)
        .await
        .unwrap();
    assert!(matches!(member, ClassMember::Student(s) if s.id == f.student));
    client
        .add_class_member(&class.id, &f.teacher, ClassMemberRole::Teacher)
        .await
        .unwrap();
    let members: Vec<ClassMember> = client
        .list_class_members(&class.id)
        .try_collect()
        .await
        .unwrap();
    assert!(matches!(&members[0], ClassMember::Teacher(t) if t.id == f.teacher));
    assert!(matches!(&members[1], ClassMember::Student(s) if s.id == f.student));

    let students: Vec<_> = client
        .list_students(&f.school, StatusFilter::Active)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(students.len(), 1);
    let staff: Vec<_> = client.list_staff(&f.school).try_collect().await.unwrap();
    assert_eq!(staff[0].id, f.teacher);
    let guardians: Vec<_> = client
        .list_guardians(&f.school, StatusFilter::All)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(guardians[0].id, f.guardian);
    let classes: Vec<_> = client
        .list_classes(&f.school, StatusFilter::Active)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(classes.len(), 1);
    assert_eq!(classes[0].id, class.id);
    assert_eq!(classes[0].grades, ["02"]);
    let schools: Vec<_> = client
        .list_schools(&f.district)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(schools[0].id, f.school);

    let access = client.get_guardian_access(&f.guardian).await.unwrap();
    assert_eq!(access.schools[0].id, f.school);
    assert_eq!(access.classes[0].id, class.id);
    let recipients: Vec<_> = client
        .list_announcement_recipients(&f.district, Some(&f.school))
        .try_collect()
        .await
        .unwrap();
    assert!(recipients.iter().any(|r| r.user_id == f.guardian));

    let updated = client
        .update_contact_details(
            &f.guardian,
            ContactUpdate {
                home_phone: Some("603 555 0199".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let User::Guardian(updated) = updated else {
        panic!("a guardian id updates a guardian");
    };
    assert_eq!(updated.home_phone.as_deref(), Some("+16035550199"));
    assert_eq!(
        updated.sms_number.as_deref(),
        Some("+16035550123"),
        "fields not in the mask stay"
    );
    let admin = client
        .set_staff_role(&f.teacher, StaffRole::Admin)
        .await
        .unwrap();
    assert_eq!(admin.role, StaffRole::Admin);
    let activated = client.activate_user(&f.teacher).await.unwrap();
    assert!(matches!(activated, User::Staff(s) if s.account_state == AccountState::Active));
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_map_to_their_variants() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let f = family(&client).await;

    let err = client.get_district("4242").await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");

    let err = client
        .create_student(NewStudent {
            district_id: f.district.clone(),
            school_id: f.school.clone(),
            family_name: "X".into(),
            email: Some("not-an-email".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    let fields: Vec<&str> = err.violations().iter().map(|v| v.field.as_str()).collect();
    assert!(fields.contains(&"email"), "{fields:?}");
    assert!(fields.contains(&"given_name"), "{fields:?}");

    let err = client
        .start_sync(StartSync::new(&f.district))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::FailedPrecondition { .. }), "{err:?}");
    assert_eq!(err.reason(), Some("NO_SOURCE"));

    client.link_guardian(&f.guardian, &f.student).await.unwrap();
    let err = client
        .link_guardian(&f.guardian, &f.student)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_server_is_unavailable_after_the_retries() {
    // Nothing listens on port 1: built lazily, the failure shows on the call.
    let client = RosterClient::builder()
        .endpoint("http://127.0.0.1:1")
        .retry(RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(10),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let err = client.get_district("1").await.unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
    assert!(err.is_retryable());
    let err = client.create_district("Nowhere").await.unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");

    // Connecting eagerly fails at once.
    let err = RosterClient::connect("http://127.0.0.1:1")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_whose_store_is_down_answers_unavailable() {
    // Port 1 on loopback refuses connections: the server starts, its store never does.
    let server = TestServer::start_with(|config| {
        config.database.database_url = "mysql://root@127.0.0.1:1/roster".into();
        config.database.db_connect_timeout = Duration::from_millis(300);
        config.no_migrate = true;
    })
    .await;
    let client = client(&server).await;
    let err = client.create_district("Nowhere").await.unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
    // A read is retried, and still unavailable after the last attempt.
    let err = client.get_district("1").await.unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
}

#[test]
fn codes_this_server_never_sends_still_map() {
    use roster_client::tonic::{Code, Status};
    assert!(matches!(
        Error::from(Status::permission_denied("no")),
        Error::PermissionDenied { .. }
    ));
    assert!(matches!(
        Error::from(Status::unauthenticated("no")),
        Error::Unauthenticated { .. }
    ));
    assert!(matches!(
        Error::from(Status::deadline_exceeded("slow")),
        Error::Timeout { .. }
    ));
    assert!(matches!(
        Error::from(Status::internal("boom")),
        Error::Server {
            code: Code::Internal,
            ..
        }
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn list_streams_fetch_pages_only_as_they_are_consumed() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    for i in 0..3 {
        client.create_district(&format!("D{i}")).await.unwrap();
    }
    let mut districts = client.with_page_size(2).list_districts();
    let first = districts
        .try_next()
        .await
        .unwrap()
        .expect("a first district");
    assert_eq!(first.display_name, "D0");
    // Only the first page (D0, D1) has been fetched: districts created now show up on
    // the pages fetched later.
    for i in 3..7 {
        client.create_district(&format!("D{i}")).await.unwrap();
    }
    let rest: Vec<District> = districts.try_collect().await.unwrap();
    let names: Vec<&str> = rest.iter().map(|d| d.display_name.as_str()).collect();
    assert_eq!(names, ["D1", "D2", "D3", "D4", "D5", "D6"]);

    // Page at a time: 7 districts in pages of 2 are 4 pages.
    let mut pages = 0;
    let mut seen = Vec::new();
    let mut request = Some(PageRequest::first(2));
    while let Some(page_request) = request {
        let page = client.list_districts_page(page_request).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|d| d.display_name.clone()));
        request = page.next_request(2);
    }
    assert_eq!(pages, 4);
    assert_eq!(seen.len(), 7);
}

#[tokio::test(flavor = "multi_thread")]
async fn start_sync_returns_a_handle_to_watch_and_wait_on() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let district = client.create_district("Springfield").await.unwrap().id;
    let folder = server.put_roster(&springfield());
    let settings = client
        .update_sync_settings(
            &district,
            SettingsUpdate {
                source: Some(SyncSourceInput::csv_path(folder.as_str())),
                abandon_threshold_percent: Some(50),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        settings.source,
        Some(SyncSource::OneRosterCsvPath {
            path: folder.clone()
        })
    );
    assert_eq!(settings.abandon_threshold_percent, 50);
    assert_eq!(settings.default_phone_region, "US", "other settings keep");

    let handle = client.start_sync(StartSync::new(&district)).await.unwrap();
    assert!(!handle.run().state.is_final());
    let snapshots: Vec<SyncRun> = handle.watch().try_collect().await.unwrap();
    let (last, before) = snapshots.split_last().expect("at least one snapshot");
    assert_eq!(last.state, SyncState::Succeeded, "{last:?}");
    assert!(before.iter().all(|run| !run.state.is_final()));
    assert_eq!(
        last.counts_for(RecordKind::Student).map(|c| c.created),
        Some(5)
    );
    assert!(last.finish_time.is_some());
    let waited = handle.wait(Duration::from_secs(30)).await.unwrap();
    assert_eq!(
        (waited.id.as_str(), waited.state),
        (handle.id(), SyncState::Succeeded)
    );

    // A wait that runs out is a Timeout; the run goes on and a longer wait sees its end.
    let again = client
        .start_sync(StartSync {
            request_id: Some("second".into()),
            ..StartSync::new(&district)
        })
        .await
        .unwrap();
    let err = again.wait(Duration::from_millis(1)).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    let done = again.wait(Duration::from_secs(60)).await.unwrap();
    assert_eq!(done.state, SyncState::Succeeded);
    assert_eq!(done.request_id.as_deref(), Some("second"));
    let err = again.cancel().await.unwrap_err();
    assert_eq!(err.reason(), Some("RUN_FINISHED"), "{err:?}");

    let runs: Vec<SyncRun> = client
        .list_sync_runs(&district)
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, [again.id(), handle.id()], "newest first");
    let issues: Vec<_> = client
        .list_sync_issues(handle.id(), Default::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(issues.len() as u64, last.issue_count);

    // Contact details of an active sis guardian belong to the sync once Update Active
    // Users is on.
    let school = client
        .list_schools(&district)
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == "Springfield Elementary")
        .expect("synced school");
    let marge = client
        .list_guardians(&school.id, StatusFilter::Active)
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.given_name == "Marge")
        .expect("synced guardian");
    assert_eq!(marge.origin, Origin::Sis);
    client.activate_user(&marge.id).await.unwrap();
    client
        .update_sync_settings(
            &district,
            SettingsUpdate {
                update_active_users: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let err = client
        .update_contact_details(
            &marge.id,
            ContactUpdate {
                email: Some("marge@elsewhere.example.org".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some("CONTACT_MANAGED_BY_SYNC"), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blocked_run_reports_why_and_abandoned_records_list_after_the_override() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let district = client.create_district("Springfield").await.unwrap().id;
    let full = springfield();
    let run = client
        .start_sync(StartSync {
            source: Some(SyncSourceInput::csv_path(server.put_roster(&full))),
            ..StartSync::new(&district)
        })
        .await
        .unwrap()
        .wait(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(run.state, SyncState::Succeeded);

    let mut truncated = full.clone();
    for student in ["stu-milhouse", "stu-nelson", "stu-martin"] {
        truncated.remove_user(student);
    }
    let truncated = SyncSourceInput::csv_path(server.put_roster(&truncated));
    let blocked = client
        .start_sync(StartSync {
            source: Some(truncated.clone()),
            ..StartSync::new(&district)
        })
        .await
        .unwrap()
        .wait(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(blocked.state, SyncState::Blocked);
    let block = blocked.safety_block.expect("why it was blocked");
    assert_eq!(block.threshold_percent, 20);
    assert!(block.abandon_percent > 20.0, "{block:?}");
    let none: Vec<_> = client
        .list_abandoned_records(&district, AbandonedFilter::default())
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty(), "a blocked run writes nothing");

    let applied = client
        .start_sync(StartSync {
            source: Some(truncated),
            override_safety_threshold: true,
            ..StartSync::new(&district)
        })
        .await
        .unwrap()
        .wait(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(applied.state, SyncState::Succeeded);
    let students: Vec<_> = client
        .list_abandoned_records(
            &district,
            AbandonedFilter {
                record_kind: Some(RecordKind::Student),
                run_id: Some(applied.id.clone()),
                restored: Some(false),
            },
        )
        .try_collect()
        .await
        .unwrap();
    assert!(!students.is_empty());
    assert!(students.iter().all(|r| r.record_kind == RecordKind::Student
        && r.run_id == applied.id
        && r.restore_time.is_none()));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_uploaded_folder_is_a_sync_source() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let district = client.create_district("Springfield").await.unwrap().id;
    let folder = server
        .files
        .join("import")
        .join(server.put_roster(&springfield()));
    let upload = client
        .upload_roster_folder(&district, &folder)
        .await
        .unwrap();
    assert!(!upload.upload_id.is_empty());
    assert!(upload.size_bytes > 0);
    let run = client
        .start_sync(StartSync {
            source: Some(SyncSourceInput::upload(upload.upload_id.clone())),
            ..StartSync::new(&district)
        })
        .await
        .unwrap()
        .wait(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(run.state, SyncState::Succeeded, "{run:?}");
    assert_eq!(
        run.source,
        Some(SyncSource::OneRosterCsvUpload {
            upload_id: upload.upload_id
        })
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bearer_token_is_sent_and_refusals_map_to_their_variants() {
    let server = TestServer::start_with(|c| c.auth_token = Some("test-token".into())).await;
    let ok = client(&server).await;
    ok.create_district("Allowed")
        .await
        .expect("the right token is accepted");

    let connect = |token: Option<&str>| {
        let builder = RosterClient::builder().endpoint(server.endpoint.as_str());
        let builder = match token {
            Some(t) => builder.bearer_token(t),
            None => builder,
        };
        builder.connect()
    };
    let anonymous = connect(None).await.unwrap();
    let err = anonymous.create_district("Refused").await.unwrap_err();
    assert!(matches!(err, Error::Unauthenticated { .. }), "{err:?}");
    let wrong = connect(Some("nope")).await.unwrap();
    let err = wrong.create_district("Refused").await.unwrap_err();
    assert!(matches!(err, Error::PermissionDenied { .. }), "{err:?}");
}

/// A self-signed certificate for 127.0.0.1, made with the openssl command line tool.
fn self_signed(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl made a certificate");
    (cert, key)
}

#[tokio::test(flavor = "multi_thread")]
async fn https_endpoints_are_reached_over_tls_trusting_the_given_ca() {
    let db = roster_e2e::TestDb::new().await;
    let dir = std::env::temp_dir().join(format!("roster_tls_{:x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = self_signed(&dir);
    let mut config = roster_server::config::ServeConfig::for_database(&db.url);
    config.tls_cert = Some(cert.clone());
    config.tls_key = Some(key);
    config.import_dir = dir.join("import");
    config.data_dir = dir.join("data");
    let running = roster_server::server::start(config)
        .await
        .expect("a TLS server starts");
    let endpoint = format!("https://127.0.0.1:{}", running.addr.port());

    let trusted = RosterClient::builder()
        .endpoint(endpoint.as_str())
        .tls_ca_certificate(std::fs::read(&cert).unwrap())
        .connect()
        .await
        .expect("TLS handshake with the given CA");
    let district = trusted.create_district("Over TLS").await.unwrap();
    assert_eq!(district.display_name, "Over TLS");

    // The system roots do not know a self-signed certificate.
    let untrusted = RosterClient::builder()
        .endpoint(endpoint.as_str())
        .connect()
        .await;
    assert!(
        matches!(untrusted, Err(Error::Transport(_))),
        "{untrusted:?}"
    );
    running.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
