//! Directory calls: typed records in and out, lazy paging.

use super::*;

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
        .list_class_members(&class.id, StatusFilter::Active)
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
