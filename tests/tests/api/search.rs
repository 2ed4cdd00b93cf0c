//! SearchPeople: by source id, SIS ID, email (ignoring case), phone (any format) and name
//! prefix; archived students and the guardians of removed families too (R6.2).

use roster_client::pb;
use roster_client::tonic::Code;
use roster_e2e::lookup::{no_threshold, settings};
use roster_e2e::roster::springfield;
use roster_e2e::{TestServer, assert_invalid};
use roster_server::domain::ApiKeyRole;

/// What a search finds, as (kind, source id or, for a manual record, given name).
fn found(people: &[pb::Person]) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = people
        .iter()
        .map(|p| match p.person.as_ref().expect("a person") {
            pb::person::Person::Student(s) => ("student", key(&s.source_id, &s.given_name)),
            pb::person::Person::Guardian(g) => ("guardian", key(&g.source_id, &g.given_name)),
            pb::person::Person::StaffMember(s) => ("staff", key(&s.source_id, &s.given_name)),
        })
        .collect();
    out.sort();
    out
}

fn key(source_id: &str, given_name: &str) -> String {
    if source_id.is_empty() {
        given_name.to_owned()
    } else {
        source_id.to_owned()
    }
}

fn request(district: &str, query: &str, kinds: &[pb::RecordKind]) -> pb::SearchPeopleRequest {
    pb::SearchPeopleRequest {
        district_id: district.into(),
        query: query.into(),
        kinds: kinds.iter().map(|k| *k as i32).collect(),
        page_size: 0,
        page_token: String::new(),
    }
}

async fn search(server: &TestServer, district: &str, query: &str) -> Vec<(&'static str, String)> {
    search_kinds(server, district, query, &[]).await
}

async fn search_kinds(
    server: &TestServer,
    district: &str,
    query: &str,
    kinds: &[pb::RecordKind],
) -> Vec<(&'static str, String)> {
    let response = server
        .dir()
        .search_people(request(district, query, kinds))
        .await
        .unwrap_or_else(|e| panic!("search `{query}`: {e:?}"))
        .into_inner();
    assert_eq!(response.next_page_token, "", "one page");
    found(&response.people)
}

fn people(list: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> =
        list.iter().map(|(k, s)| (*k, (*s).to_owned())).collect();
    out.sort();
    out
}

// R6.2 (search) over every key: the email in another case, the phone in other formats,
// the SIS ID, the source id, a given-name, family-name or full-name prefix in any case;
// manual records too; a kinds filter.
#[tokio::test(flavor = "multi_thread")]
async fn r6_2_search_finds_people_by_every_key() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    server.sync_ok(&district, &springfield()).await;
    let school = roster_e2e::lookup::school_id(&server, "sch-1").await;
    server
        .client
        .create_student(roster_client::NewStudent {
            district_id: district.clone(),
            school_id: school,
            given_name: "Ralph".into(),
            family_name: "Wiggum".into(),
            email: Some("Ralph.Wiggum@Kids.example.org".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let d = district.as_str();

    let marge = people(&[("guardian", "par-marge")]);
    assert_eq!(search(&server, d, "MARGE@Example.ORG").await, marge);
    assert_eq!(search(&server, d, "  marge@example.org ").await, marge);
    assert_eq!(
        search(&server, d, "bart@KIDS.example.org").await,
        people(&[("student", "stu-bart")])
    );
    // Marge's SMS number was given as "(603) 555-0101" and is stored in E.164.
    for phone in [
        "603.555.0101",
        "+1 603-555-0101",
        "(603) 5550101",
        "+16035550101",
    ] {
        assert_eq!(search(&server, d, phone).await, marge, "{phone}");
    }
    assert_eq!(
        search(&server, d, "SIS-stu-lisa").await,
        people(&[("student", "stu-lisa")])
    );
    assert_eq!(
        search(&server, d, "tch-edna").await,
        people(&[("staff", "tch-edna")])
    );
    assert_eq!(
        search(&server, d, "simp").await,
        people(&[
            ("guardian", "par-homer"),
            ("guardian", "par-marge"),
            ("student", "stu-bart"),
            ("student", "stu-lisa"),
        ])
    );
    assert_eq!(
        search(&server, d, "EDN").await,
        people(&[("staff", "tch-edna")])
    );
    assert_eq!(
        search(&server, d, "bart   SIM").await,
        people(&[("student", "stu-bart")])
    );
    // A family name of two words, and a full name with it.
    assert_eq!(
        search(&server, d, "van hou").await,
        people(&[("guardian", "par-kirk"), ("student", "stu-milhouse")])
    );
    assert_eq!(
        search(&server, d, "Kirk Van H").await,
        people(&[("guardian", "par-kirk")])
    );
    // Manual records are found like any other.
    assert_eq!(
        search(&server, d, "wig").await,
        people(&[("student", "Ralph")])
    );
    assert_eq!(
        search(&server, d, "ralph.wiggum@kids.EXAMPLE.org").await,
        people(&[("student", "Ralph")])
    );
    // Only the kinds asked for.
    assert_eq!(
        search_kinds(&server, d, "simp", &[pb::RecordKind::Guardian]).await,
        people(&[("guardian", "par-homer"), ("guardian", "par-marge")])
    );
    assert_eq!(
        search_kinds(
            &server,
            d,
            "s",
            &[pb::RecordKind::Staff, pb::RecordKind::Staff]
        )
        .await,
        people(&[("staff", "adm-skinner")])
    );
    // A name is matched from its start only; nothing matches nothing.
    assert!(search(&server, d, "impson").await.is_empty());
    assert!(search(&server, d, "nobody@example.org").await.is_empty());
}

/// Syncs springfield, then springfield without the Prince family, under `policy`.
async fn prince_family_gone(policy: pb::AbandonedFamilyPolicy) -> (TestServer, String) {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    no_threshold(&server, &district).await;
    server
        .set(
            pb::SyncSettings {
                abandoned_family_policy: policy as i32,
                ..settings(&district)
            },
            &["abandoned_family_policy"],
        )
        .await;
    let full = springfield();
    server.sync_ok(&district, &full).await;
    let mut without = full.clone();
    without.remove_user("stu-martin").remove_user("par-prince");
    server.sync_ok(&district, &without).await;
    (server, district)
}

/// The student and the guardian a search for "prince" finds.
async fn princes(server: &TestServer, district: &str) -> (pb::Student, pb::Guardian) {
    let response = server
        .dir()
        .search_people(request(district, "prince", &[]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        found(&response.people),
        people(&[("guardian", "par-prince"), ("student", "stu-martin")])
    );
    let (mut student, mut guardian) = (None, None);
    for person in response.people {
        match person.person.unwrap() {
            pb::person::Person::Student(s) => student = Some(s),
            pb::person::Person::Guardian(g) => guardian = Some(g),
            other => panic!("unexpected {other:?}"),
        }
    }
    (student.unwrap(), guardian.unwrap())
}

// R6.1, R6.2: a student archived with its abandoned family (SOFT) is found, by name and
// by id, with its guardian.
#[tokio::test(flavor = "multi_thread")]
async fn r6_1_search_finds_archived_students() {
    let (server, district) = prince_family_gone(pb::AbandonedFamilyPolicy::Soft).await;
    let (martin, prince) = princes(&server, &district).await;
    assert_eq!(martin.status, pb::RecordStatus::Archived as i32);
    assert_eq!(prince.student_ids, vec![martin.id.clone()]);
    assert_eq!(
        search(&server, &district, "SIS-stu-martin").await,
        people(&[("student", "stu-martin")])
    );
    assert_eq!(
        search(&server, &district, "martin pr").await,
        people(&[("student", "stu-martin")])
    );
}

// R6.2: "search still finds it": under EXTREME the family left every school and class,
// and the student and the guardian of that removed family are found all the same.
#[tokio::test(flavor = "multi_thread")]
async fn r6_2_search_finds_extreme_removed_families() {
    let (server, district) = prince_family_gone(pb::AbandonedFamilyPolicy::Extreme).await;
    let (martin, prince) = princes(&server, &district).await;
    assert!(martin.school_ids.is_empty(), "EXTREME: in no school");
    assert_eq!(
        prince.student_ids,
        vec![martin.id.clone()],
        "the link stays"
    );
    assert_eq!(
        search(&server, &district, "Prince@Example.org").await,
        people(&[("guardian", "par-prince")])
    );
    assert_eq!(
        search(&server, &district, "par-prince").await,
        people(&[("guardian", "par-prince")])
    );
}

// Paging: a page at a time in id order, the same people as one page; a token belongs to
// its own query.
#[tokio::test(flavor = "multi_thread")]
async fn search_pages_in_id_order() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    server.sync_ok(&district, &springfield()).await;
    let all = server
        .dir()
        .search_people(request(&district, "s", &[]))
        .await
        .unwrap()
        .into_inner()
        .people;
    assert!(all.len() >= 4, "{all:?}");
    let mut paged = Vec::new();
    let mut token = String::new();
    loop {
        let page = server
            .dir()
            .search_people(pb::SearchPeopleRequest {
                page_size: 1,
                page_token: token.clone(),
                ..request(&district, "s", &[])
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.people.len() <= 1);
        paged.extend(page.people);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
        // The token is not this other query's.
        let err = server
            .dir()
            .search_people(pb::SearchPeopleRequest {
                page_size: 1,
                page_token: token.clone(),
                ..request(&district, "b", &[])
            })
            .await
            .unwrap_err();
        assert_invalid(&err, "page_token");
    }
    assert_eq!(paged, all);
    let ids: Vec<i64> = found_ids(&all);
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "id order");
}

fn found_ids(people: &[pb::Person]) -> Vec<i64> {
    people
        .iter()
        .map(|p| match p.person.as_ref().unwrap() {
            pb::person::Person::Student(s) => s.id.parse().unwrap(),
            pb::person::Person::Guardian(g) => g.id.parse().unwrap(),
            pb::person::Person::StaffMember(s) => s.id.parse().unwrap(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn search_checks_its_query_and_kinds() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let err = server
        .dir()
        .search_people(request(&district, "   ", &[]))
        .await
        .unwrap_err();
    assert_invalid(&err, "query");
    let err = server
        .dir()
        .search_people(request(&district, "x", &[pb::RecordKind::Class]))
        .await
        .unwrap_err();
    assert_invalid(&err, "kinds[0]");
    let err = server
        .dir()
        .search_people(request(&district, &"x".repeat(321), &[]))
        .await
        .unwrap_err();
    assert_invalid(&err, "query");
    let err = server
        .dir()
        .search_people(request("", "x", &[]))
        .await
        .unwrap_err();
    assert_invalid(&err, "district_id");
    let err = server
        .dir()
        .search_people(request("123456789", "x", &[]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

// R1.1, S1.2: a search finds the people of its own district only, even with the same
// roster in another; a reader key of the district may search, another district's key may
// not.
#[tokio::test(flavor = "multi_thread")]
async fn s1_2_search_stays_in_its_district() {
    let server = TestServer::start().await;
    let a = server.district("A").await;
    let b = server.district("B").await;
    server.sync_ok(&a, &springfield()).await;
    server.sync_ok(&b, &springfield()).await;
    let reader = server.key(ApiKeyRole::Reader, &[&a]).await;
    let client = server.client_with(&reader).await;
    let response = client
        .directory()
        .search_people(request(&a, "simpson", &[]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.people.len(), 4);
    for person in &response.people {
        let district = match person.person.as_ref().unwrap() {
            pb::person::Person::Student(s) => &s.district_id,
            pb::person::Person::Guardian(g) => &g.district_id,
            pb::person::Person::StaffMember(s) => &s.district_id,
        };
        assert_eq!(district, &a);
    }
    let err = client
        .directory()
        .search_people(request(&b, "simpson", &[]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}

// Case is ignored as each backend folds it: every letter on MySQL (utf8mb4), ASCII
// letters on SQLite (its lower()). Either way a query in the stored case is found.
#[tokio::test(flavor = "multi_thread")]
async fn search_ignores_case_as_the_backend_folds_it() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let school = server.school(&district, "S").await;
    server
        .client
        .create_student(roster_client::NewStudent {
            district_id: district.clone(),
            school_id: school,
            given_name: "Émile".into(),
            family_name: "Zola".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let emile = people(&[("student", "Émile")]);
    assert_eq!(search(&server, &district, "Émi").await, emile);
    assert_eq!(search(&server, &district, "ÉMILE ZO").await, emile);
    let lower = search(&server, &district, "émile").await;
    if server.db.is_mysql() {
        assert_eq!(lower, emile);
    } else {
        assert!(lower.is_empty(), "SQLite folds ASCII letters only");
    }
}
