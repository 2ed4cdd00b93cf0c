//! Record history (R9.3): each run and each edit that touched a record, newest first,
//! with old and new values and what made the change.

use roster_client::pb;
use roster_e2e::roster::springfield;
use roster_e2e::{TestServer, id_of};

async fn history(server: &TestServer, record_id: &str) -> Vec<pb::HistoryEntry> {
    server
        .sync()
        .list_record_history(pb::ListRecordHistoryRequest {
            record_id: record_id.into(),
            page_size: 100,
            page_token: String::new(),
        })
        .await
        .expect("ListRecordHistory")
        .into_inner()
        .entries
}

fn field<'a>(e: &'a pb::HistoryEntry, name: &str) -> Option<(&'a str, &'a str)> {
    e.field_changes
        .iter()
        .find(|f| f.field == name)
        .map(|f| (f.old_value.as_str(), f.new_value.as_str()))
}

// R9.3: a record's history shows the run that created it, a run that changed it and an
// edit through the API, newest first, each with its old and new values.
#[tokio::test(flavor = "multi_thread")]
async fn r9_3_a_records_history_shows_each_run_and_edit_that_touched_it() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let first = server.sync_ok(&district, &springfield()).await;
    let mut renamed = springfield();
    renamed.user_mut("par-marge").family = "Bouvier".into();
    renamed.enroll("cls-music", "stu-bart", "student");
    let second = server.sync_ok(&district, &renamed).await;
    let marge = id_of(&server.store(), "guardians", "par-marge").await;
    server
        .dir()
        .update_contact_details(pb::UpdateContactDetailsRequest {
            user_id: marge.clone(),
            contact_details: Some(pb::ContactDetails {
                email: "marge@new.example.org".into(),
                ..Default::default()
            }),
            update_mask: Some(roster_client::prost_types::FieldMask {
                paths: vec!["email".into()],
            }),
        })
        .await
        .expect("edit");

    let entries = history(&server, &marge).await;
    assert_eq!(entries.len(), 3, "{entries:#?}");
    let (edit, update, create) = (&entries[0], &entries[1], &entries[2]);
    assert!(edit.run_id.is_empty(), "an edit is no run's");
    assert_eq!(edit.action, pb::PlannedChangeAction::Update as i32);
    assert_eq!(
        field(edit, "email"),
        Some(("marge@example.org", "marge@new.example.org"))
    );
    assert_eq!(update.run_id, second.run_id);
    assert_eq!(field(update, "family_name"), Some(("Simpson", "Bouvier")));
    assert_eq!(update.field_changes.len(), 1, "{update:?}");
    assert_eq!(create.run_id, first.run_id);
    assert_eq!(create.action, pb::PlannedChangeAction::Create as i32);
    assert_eq!(
        field(create, "family_name"),
        Some(("", "Simpson")),
        "the values the run gave, not today's"
    );
    let at = |e: &pb::HistoryEntry| e.time.map(|t| (t.seconds, t.nanos));
    assert!(at(create) <= at(update) && at(update) <= at(edit));

    // A membership is in the person's history and in the class's.
    let bart = id_of(&server.store(), "students", "stu-bart").await;
    let music = id_of(&server.store(), "classes", "cls-music").await;
    let enrolled = history(&server, &bart).await;
    let joined = enrolled
        .iter()
        .find(|e| e.record_kind == pb::RecordKind::StudentEnrollment as i32)
        .expect("Bart's enrollment");
    assert_eq!(joined.run_id, second.run_id);
    assert_eq!(field(joined, "class"), Some(("", "cls-music")));
    let class = history(&server, &music).await;
    assert!(
        class
            .iter()
            .any(|e| e.record_id == bart && e.run_id == second.run_id),
        "{class:#?}"
    );

    // Paging walks the same list.
    let page = server
        .sync()
        .list_record_history(pb::ListRecordHistoryRequest {
            record_id: marge.clone(),
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.entries.len(), 2);
    let rest = server
        .sync()
        .list_record_history(pb::ListRecordHistoryRequest {
            record_id: marge,
            page_size: 2,
            page_token: page.next_page_token,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.entries.len(), 1);
    assert_eq!(rest.entries[0].run_id, first.run_id);
}

// R9.3 with S6.1: an erased person's history goes with it.
#[tokio::test(flavor = "multi_thread")]
async fn s6_1_an_erased_persons_history_is_erased() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    server.sync_ok(&district, &springfield()).await;
    let mut renamed = springfield();
    renamed.user_mut("par-homer").family = "Thompson".into();
    server.sync_ok(&district, &renamed).await;
    let homer = id_of(&server.store(), "guardians", "par-homer").await;
    assert_eq!(history(&server, &homer).await.len(), 2);
    server
        .dir()
        .erase_person(pb::ErasePersonRequest {
            person_id: homer.clone(),
        })
        .await
        .expect("ErasePerson");
    let gone = server
        .sync()
        .list_record_history(pb::ListRecordHistoryRequest {
            record_id: homer,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(gone.code(), roster_client::tonic::Code::NotFound);
}

// R9.3: edits through the API are journalled, manual records' creation included, and a
// membership an edit makes or removes shows in the person's history and the class's.
#[tokio::test(flavor = "multi_thread")]
async fn r9_3_edits_through_the_api_are_journalled() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let school = server.school(&district, "Lincoln").await;
    let mut dir = server.dir();
    let class = dir
        .create_class(pb::CreateClassRequest {
            district_id: district.clone(),
            school_id: school.clone(),
            name: "Math".into(),
            grades: vec!["04".into()],
            sis_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .class
        .unwrap();
    let student = dir
        .create_student(pb::CreateStudentRequest {
            district_id: district.clone(),
            school_id: school.clone(),
            given_name: "Lisa".into(),
            family_name: "Simpson".into(),
            grade: "04".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .student
        .unwrap();
    dir.add_class_member(pb::AddClassMemberRequest {
        class_id: class.id.clone(),
        user_id: student.id.clone(),
        role: pb::ClassMemberRole::Student as i32,
    })
    .await
    .unwrap();
    dir.archive_student(pb::ArchiveStudentRequest {
        student_id: student.id.clone(),
    })
    .await
    .unwrap();

    let entries = history(&server, &student.id).await;
    let actions: Vec<i32> = entries.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [
            pb::PlannedChangeAction::Abandon as i32,
            pb::PlannedChangeAction::Create as i32,
            pb::PlannedChangeAction::Create as i32,
        ],
        "{entries:#?}"
    );
    assert_eq!(
        field(&entries[1], "class"),
        Some(("", &*format!("#{}", class.id)))
    );
    assert_eq!(field(&entries[2], "given_name"), Some(("", "Lisa")));
    assert!(entries.iter().all(|e| e.run_id.is_empty()));
    let of_class = history(&server, &class.id).await;
    assert_eq!(
        of_class.len(),
        2,
        "its creation and its new member: {of_class:#?}"
    );
}

// R9.3: an account's activation is a change of it too: its history shows the state
// going from invitee to active, made through the API, not by a run.
#[tokio::test(flavor = "multi_thread")]
async fn r9_3_an_activation_is_in_the_accounts_history() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    server.sync_ok(&district, &springfield()).await;
    let marge = id_of(&server.store(), "guardians", "par-marge").await;
    for _ in 0..2 {
        server
            .dir()
            .activate_user(pb::ActivateUserRequest {
                user_id: marge.clone(),
            })
            .await
            .expect("ActivateUser");
    }
    let entries = history(&server, &marge).await;
    assert_eq!(
        entries.len(),
        2,
        "the activation once, then the creation: {entries:#?}"
    );
    assert!(entries[0].run_id.is_empty(), "an activation is no run's");
    assert_eq!(
        field(&entries[0], "account_state"),
        Some(("invitee", "active"))
    );
}
