//! Values outside their vocabulary are reported and left out, never stored silently
//! (R3.4).

use roster_e2e::TestServer;
use roster_e2e::lookup::student;
use roster_e2e::roster::springfield;

// R3.4: a grade outside the OneRoster vocabulary is reported INVALID_GRADE and left out:
// the stored grade stays. A grade written `4` is read as `04`.
#[tokio::test(flavor = "multi_thread")]
async fn r3_4_a_grade_outside_the_vocabulary_is_reported_and_left_out() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let mut roster = springfield();
    roster.user_mut("stu-lisa").grade = "2".into();
    let run = server.sync_ok(&district, &roster).await;
    assert!(
        server
            .issues(&run.run_id)
            .await
            .iter()
            .all(|i| i.code != "INVALID_GRADE")
    );
    let lisa = student(&server, "stu-lisa").await.student.unwrap();
    assert_eq!(lisa.grade, "02");

    roster.user_mut("stu-lisa").grade = "Second grade".into();
    roster.user_mut("stu-bart").grade = "05".into();
    let run = server.sync_ok(&district, &roster).await;
    let issues = server.issues(&run.run_id).await;
    let bad: Vec<_> = issues
        .iter()
        .filter(|i| i.code == "INVALID_GRADE")
        .collect();
    assert_eq!(bad.len(), 1, "{issues:?}");
    assert_eq!(bad[0].source_id, "stu-lisa");
    assert!(bad[0].message.contains("Second grade"));
    assert_eq!(
        student(&server, "stu-lisa").await.student.unwrap().grade,
        "02"
    );
    assert_eq!(
        student(&server, "stu-bart").await.student.unwrap().grade,
        "05"
    );
    server.stop().await;
}
