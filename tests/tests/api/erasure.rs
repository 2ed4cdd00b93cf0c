//! Erasure (S6): a person and everything that names it, kept from coming back by a
//! suppression until an operator lifts it; a whole district when its contract ends.

use roster_client::pb;
use roster_client::tonic::{Code, Request};
use roster_e2e::lookup::*;
use roster_e2e::roster::springfield;
use roster_e2e::{TestServer, id_of};
use roster_server::domain::ApiKeyRole;

#[tokio::test(flavor = "multi_thread")]
async fn s6_1_an_erased_student_is_gone_everywhere_and_not_brought_back() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    no_threshold(&server, &district).await;
    // Bart names a school that does not exist (an issue with his source id), then leaves
    // a class (an abandoned-record entry for him).
    let mut roster = springfield();
    roster.user_mut("stu-bart").orgs.push("sch-gone".into());
    let first = server.sync_ok(&district, &roster).await;
    assert!(
        server
            .issues(&first.run_id)
            .await
            .iter()
            .any(|i| i.source_id == "stu-bart")
    );
    roster.enrollments.retain(|e| e.2 != "stu-bart");
    server.sync_ok(&district, &roster).await;
    let store = server.store();
    let bart = id_of(&store, "students", "stu-bart").await;
    assert!(
        abandoned(&server, &district)
            .await
            .iter()
            .any(|a| a.record_id == bart)
    );

    let erased = server
        .dir()
        .erase_person(pb::ErasePersonRequest {
            person_id: bart.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let suppression = erased.suppression.expect("a suppression");
    assert_eq!(suppression.source_id, "stu-bart");
    let gone = server
        .dir()
        .get_student(pb::GetStudentRequest {
            student_id: bart.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
    let school = school_id(&server, "sch-1").await;
    let listed = students(&server, &school, pb::StatusFilter::All).await;
    assert!(listed.iter().all(|s| s.id != bart));
    assert!(
        server
            .issues(&first.run_id)
            .await
            .iter()
            .all(|i| i.source_id != "stu-bart")
    );
    assert!(
        abandoned(&server, &district)
            .await
            .iter()
            .all(|a| a.record_id != bart)
    );

    // The source still lists Bart: the next sync does not bring him back.
    let again = server.sync_ok(&district, &roster).await;
    assert_eq!(counts(&again, Kind::Student).created, 0);
    assert_eq!(counts(&again, Kind::Student).skipped, 1);
    assert!(
        server
            .issues(&again.run_id)
            .await
            .iter()
            .all(|i| i.source_id != "stu-bart")
    );

    // Lifted, the next sync creates him again.
    server
        .dir()
        .lift_suppression(pb::LiftSuppressionRequest {
            suppression_id: suppression.suppression_id,
        })
        .await
        .unwrap();
    let back = server.sync_ok(&district, &roster).await;
    assert_eq!(counts(&back, Kind::Student).created, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn s6_2_a_district_is_erased_whole_and_only_by_an_admin_who_names_it() {
    let server = TestServer::start().await;
    let gone = server.district("Closing District").await;
    let kept = server.district("Kept District").await;
    server.sync_ok(&gone, &springfield()).await;
    server.sync_ok(&kept, &springfield()).await;
    let admin = server.key(ApiKeyRole::Admin, &[]).await;
    let operator = server.key(ApiKeyRole::Operator, &[&gone]).await;
    let erase = |key: &str, name: &str| {
        let mut request = Request::new(pb::EraseDistrictRequest {
            district_id: gone.clone(),
            confirm_display_name: name.into(),
        });
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {key}").parse().unwrap());
        request
    };
    let dir = server.dir();
    assert_eq!(
        dir.clone()
            .erase_district(erase(&operator, "Closing District"))
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
    assert_eq!(
        dir.clone()
            .erase_district(erase(&admin, "Closing"))
            .await
            .unwrap_err()
            .code(),
        Code::InvalidArgument
    );
    let removed = dir
        .clone()
        .erase_district(erase(&admin, "Closing District"))
        .await
        .unwrap()
        .into_inner()
        .removed;
    assert_eq!(removed["students"], 5);
    assert_eq!(removed["districts"], 1);
    assert_eq!(
        removed["api_keys revoked"], 1,
        "the operator key covered only it"
    );
    let orphan = server.client_with(&operator).await;
    let err = orphan
        .list_districts_page(Default::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, roster_client::Error::Unauthenticated { .. }),
        "a key for the erased district alone is revoked: {err:?}"
    );
    assert!(removed["sync_runs"] >= 1 && removed["class_students"] > 0);
    let client = server.client_with(&admin).await;
    let err = client.get_district(&gone).await.unwrap_err();
    assert!(
        matches!(err, roster_client::Error::NotFound { .. }),
        "{err:?}"
    );
    let store = server.store();
    assert_eq!(
        count_rows(
            &store,
            &format!("SELECT COUNT(*) AS n FROM students WHERE district_id = {kept}")
        )
        .await,
        5,
        "another district is untouched"
    );
}

async fn count_rows(store: &roster_server::store::Store, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    use diesel_async::RunQueryDsl;
    use roster_server::store::Pooled;
    let mut conn = store.conn().await.unwrap();
    let n: N = match &mut conn.pooled {
        Pooled::Mysql(c) => diesel::sql_query(sql).get_result(&mut **c).await.unwrap(),
        Pooled::Sqlite(c) => diesel::sql_query(sql).get_result(&mut **c).await.unwrap(),
    };
    n.n
}
