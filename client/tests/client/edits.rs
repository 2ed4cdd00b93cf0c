//! Search, Get* and manual edits through the typed client: domain types in and out,
//! `MANAGED_BY_SYNC` as a reason on `Error::FailedPrecondition`.

use super::*;
use roster_client::{AccountUpdate, ClassUpdate, Person, StudentUpdate};

#[tokio::test(flavor = "multi_thread")]
async fn search_people_streams_typed_people() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let f = family(&client).await;
    client.link_guardian(&f.guardian, &f.student).await.unwrap();

    let found: Vec<Person> = client
        .search_people(&f.district, "SIMPSON", &[])
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    assert!(matches!(&found[0], Person::Student(s) if s.id == f.student));
    assert!(matches!(&found[1], Person::Guardian(g) if g.id == f.guardian));
    assert_eq!(found[1].id(), f.guardian);

    // A page at a time gives the same people.
    let paged: Vec<Person> = client
        .with_page_size(1)
        .search_people(&f.district, "simpson", &[])
        .try_collect()
        .await
        .unwrap();
    assert_eq!(paged, found);

    // The guardian's SMS number in another format; a kinds filter.
    let by_phone: Vec<Person> = client
        .search_people(&f.district, "603-555-0123", &[RecordKind::Guardian])
        .try_collect()
        .await
        .unwrap();
    assert_eq!(by_phone.len(), 1);
    assert_eq!(by_phone[0].id(), f.guardian);
    let staff: Vec<Person> = client
        .search_people(&f.district, "edna@EXAMPLE.org", &[RecordKind::Staff])
        .try_collect()
        .await
        .unwrap();
    assert!(matches!(&staff[..], [Person::Staff(t)] if t.id == f.teacher));

    let err = client
        .search_people_page(&f.district, " ", &[], PageRequest::first(10))
        .await
        .unwrap_err();
    assert!(err.violations().iter().any(|v| v.field == "query"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn get_calls_return_records_with_their_links() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let f = family(&client).await;
    client.link_guardian(&f.guardian, &f.student).await.unwrap();
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
    client
        .add_class_member(&class.id, &f.teacher, ClassMemberRole::Teacher)
        .await
        .unwrap();

    let guardian = client.get_guardian(&f.guardian).await.unwrap();
    assert_eq!(guardian.guardian.id, f.guardian);
    assert_eq!(guardian.students[0].id, f.student);
    let teacher = client.get_staff_member(&f.teacher).await.unwrap();
    assert_eq!(teacher.staff_member.family_name, "Krabappel");
    assert_eq!(teacher.classes[0].id, class.id);
    let detail = client.get_class(&class.id).await.unwrap();
    assert_eq!(detail.class.name, "Grade 2 B");
    assert_eq!(detail.school.id, f.school);
    assert!(matches!(
        client.get_class(&f.student).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_take_and_return_typed_records() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let f = family(&client).await;
    client.link_guardian(&f.guardian, &f.student).await.unwrap();
    let class = client
        .create_class(NewClass {
            district_id: f.district.clone(),
            school_id: f.school.clone(),
            name: "Grade 2 B".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    client
        .add_class_member(&class.id, &f.student, ClassMemberRole::Student)
        .await
        .unwrap();

    let student = client
        .update_student(
            &f.student,
            StudentUpdate {
                grade: Some("03".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(student.grade.as_deref(), Some("03"));
    assert_eq!(student.given_name, "Lisa", "fields left None stay");
    let guardian = client
        .update_guardian(
            &f.guardian,
            AccountUpdate {
                given_name: Some("Marjorie".into()),
                language: Some("en-US".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(guardian.given_name, "Marjorie");
    assert_eq!(guardian.language.as_deref(), Some("en-US"));
    let teacher = client
        .update_staff_member(
            &f.teacher,
            AccountUpdate {
                language: Some("fr".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(teacher.language.as_deref(), Some("fr"));
    let renamed = client
        .update_class(
            &class.id,
            ClassUpdate {
                name: Some("Grade 3 B".into()),
                grades: Some(vec!["03".into()]),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), &renamed.grades[..]),
        ("Grade 3 B", &["03".to_owned()][..])
    );

    let archived = client.archive_student(&f.student).await.unwrap();
    assert_eq!(archived.status, RecordStatus::Archived);
    let restored = client.restore_student(&f.student).await.unwrap();
    assert_eq!(restored.status, RecordStatus::Active);
    let archived = client.archive_class(&class.id).await.unwrap();
    assert_eq!(archived.status, RecordStatus::Archived);
    let restored = client.restore_class(&class.id).await.unwrap();
    assert_eq!(restored.status, RecordStatus::Active);

    client
        .remove_class_member(&class.id, &f.student)
        .await
        .unwrap();
    assert!(matches!(
        client.remove_class_member(&class.id, &f.student).await,
        Err(Error::NotFound { .. })
    ));
    let unlinked = client
        .unlink_guardian(&f.guardian, &f.student)
        .await
        .unwrap();
    assert!(unlinked.student_ids.is_empty());
    client
        .remove_school_member(&f.school, &f.teacher)
        .await
        .unwrap();
    let teacher = client.get_staff_member(&f.teacher).await.unwrap();
    assert!(teacher.staff_member.school_ids.is_empty());

    let err = client
        .update_student(
            &f.student,
            StudentUpdate {
                given_name: Some(" ".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        err.violations().iter().any(|v| v.field == "given_name"),
        "{err}"
    );
    let err = client
        .update_student(&f.student, StudentUpdate::default())
        .await
        .unwrap_err();
    assert!(
        err.violations().iter().any(|v| v.field == "update_mask"),
        "nothing to change: {err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn what_the_sync_manages_fails_with_managed_by_sync() {
    let server = TestServer::start().await;
    let client = client(&server).await;
    let district = client.create_district("Springfield").await.unwrap().id;
    server.sync_ok(&district, &springfield()).await;
    let store = server.store();
    let bart = roster_e2e::id_of(&store, "students", "stu-bart").await;
    let marge = roster_e2e::id_of(&store, "guardians", "par-marge").await;

    let err = client
        .update_student(
            &bart,
            StudentUpdate {
                grade: Some("05".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some("MANAGED_BY_SYNC"), "{err}");
    let err = client.archive_student(&bart).await.unwrap_err();
    assert_eq!(err.reason(), Some("MANAGED_BY_SYNC"), "{err}");
    let err = client.unlink_guardian(&marge, &bart).await.unwrap_err();
    assert_eq!(err.reason(), Some("MANAGED_BY_SYNC"), "{err}");
    // A sis guardian's language is not the sync's.
    let marge = client
        .update_guardian(
            &marge,
            AccountUpdate {
                language: Some("fr".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(marge.language.as_deref(), Some("fr"));
    assert_eq!(marge.origin, Origin::Sis);
}
