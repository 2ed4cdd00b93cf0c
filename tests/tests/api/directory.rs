//! Districts and schools, paging, and the bad requests every RPC refuses the same way.

use roster_client::pb;
use roster_client::tonic::Code;
use roster_e2e::{TestServer, assert_invalid};

#[tokio::test(flavor = "multi_thread")]
async fn districts_are_created_read_and_listed() {
    let server = TestServer::start().await;
    let mut dir = server.dir();
    let created = dir
        .create_district(pb::CreateDistrictRequest {
            display_name: "  Springfield Public Schools ".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .district
        .unwrap();
    assert_eq!(created.display_name, "Springfield Public Schools");
    assert!(created.create_time.is_some());

    let got = dir
        .get_district(pb::GetDistrictRequest {
            district_id: created.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .district
        .unwrap();
    assert_eq!(got, created);

    let listed = dir
        .list_districts(pb::ListDistrictsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.districts, vec![created]);
    assert_eq!(listed.next_page_token, "");
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_page_with_opaque_tokens_until_an_empty_one() {
    let server = TestServer::start().await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(server.district(&format!("District {i}")).await);
    }
    let mut dir = server.dir();
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = dir
            .list_districts(pb::ListDistrictsRequest {
                page_size: 2,
                page_token: token.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        pages += 1;
        assert!(page.districts.len() <= 2);
        seen.extend(page.districts.into_iter().map(|d| d.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, made, "every district once, in creation order");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_paging_is_invalid_argument() {
    let server = TestServer::start().await;
    let district_id = server.district("D").await;
    let mut dir = server.dir();
    let err = dir
        .list_districts(pb::ListDistrictsRequest {
            page_size: 0,
            page_token: "not-a-token".into(),
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "page_token");
    let err = dir
        .list_districts(pb::ListDistrictsRequest {
            page_size: -3,
            page_token: String::new(),
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "page_size");

    // A token of one list is refused by another.
    server.district("E").await;
    let token = dir
        .list_districts(pb::ListDistrictsRequest {
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .next_page_token;
    assert!(!token.is_empty());
    let err = dir
        .list_schools(pb::ListSchoolsRequest {
            district_id,
            page_size: 1,
            page_token: token,
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "page_token");
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_malformed_and_unknown_ids() {
    let server = TestServer::start().await;
    let mut dir = server.dir();
    let err = dir
        .get_district(pb::GetDistrictRequest {
            district_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "district_id");
    let err = dir
        .get_district(pb::GetDistrictRequest {
            district_id: "abc".into(),
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "district_id");
    let err = dir
        .get_district(pb::GetDistrictRequest {
            district_id: "12345".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert!(
        err.message().contains("district 12345"),
        "{}",
        err.message()
    );

    let err = dir
        .list_schools(pb::ListSchoolsRequest {
            district_id: "12345".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    let err = dir
        .create_district(pb::CreateDistrictRequest {
            display_name: "   ".into(),
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "display_name");
}

#[tokio::test(flavor = "multi_thread")]
async fn schools_belong_to_their_district() {
    let server = TestServer::start().await;
    let a = server.district("A").await;
    let b = server.district("B").await;
    let school = server.school(&a, "Lincoln Elementary").await;
    server.school(&b, "Other").await;
    let listed = server
        .dir()
        .list_schools(pb::ListSchoolsRequest {
            district_id: a.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .schools;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, school);
    assert_eq!(listed[0].name, "Lincoln Elementary");
    assert_eq!(listed[0].origin, pb::Origin::Manual as i32);
    assert_eq!(listed[0].status, pb::RecordStatus::Active as i32);
    assert_eq!(listed[0].district_id, a);
}
