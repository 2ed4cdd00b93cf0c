//! An apply that lasts longer than the run lease, with a second replica running beside
//! it: the lease keeper renews the lease while the apply writes (the apply does not
//! touch the run row until its last statement), so the other replica never takes the
//! run over, and the run ends SUCCEEDED, applied once (R7.6). Its progress moves while it
//! applies.

use crate::harness::*;
use roster_proto::v1 as pb;
use std::time::{Duration, Instant};

const STUDENTS: usize = 40_000;
/// Short enough that the apply of `STUDENTS` lasts several leases even on a fast machine.
const LEASE: Duration = Duration::from_millis(500);

#[tokio::test(flavor = "multi_thread")]
async fn r7_6_a_long_apply_is_never_taken_over() {
    let db = Database::new().await;
    let files = Files::new();
    let lease = format!("{}ms", LEASE.as_millis());
    let worker = Server::start(db.url(0), &files, &lease);
    let watcher = Server::start(db.url(1), &files, &lease);
    write_roster(&files, "big", STUDENTS, 1);
    let district = district(&worker, "Big", "big").await;
    let run_id = start(&worker, &district).await;
    // The other replica watches the run through its own connection to the database.
    let mut watch = watcher
        .sync()
        .await
        .watch_sync(pb::WatchSyncRequest {
            run_id: run_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut applying_since = None;
    let mut partial = Vec::new();
    let mut last = None;
    while let Some(message) = watch.message().await.unwrap() {
        let run = message.run.unwrap();
        let p = run.progress.unwrap_or_default();
        // The apply's transaction opens while the rest of a large plan is still made: rows
        // counted during PLANNING are its writes, and the lease must hold from the first.
        let writing = run.phase == pb::SyncPhase::Planning as i32 && p.records_done > 0;
        if writing || run.phase == pb::SyncPhase::Applying as i32 {
            applying_since.get_or_insert_with(Instant::now);
            if p.records_done > 0 && p.records_done < p.records_total {
                partial.push(p.records_done);
            }
        }
        last = Some(run);
    }
    let run = last.expect("the watch saw the run");
    let applying = applying_since.map(|t| t.elapsed()).unwrap_or_default();
    eprintln!("long apply: {applying:?} applying, with a {LEASE:?} lease");
    assert_eq!(
        run.state,
        pb::SyncState::Succeeded as i32,
        "{}",
        run.error_message
    );
    assert_eq!(created(&run, pb::RecordKind::Student), STUDENTS as i64);
    let store = db.store();
    assert_eq!(students(&store, &district).await, STUDENTS as i64);
    let attempts = count(
        &store,
        &format!("SELECT CAST(attempts AS SIGNED) AS n FROM sync_runs WHERE id = {run_id}"),
    )
    .await;
    assert_eq!(attempts, 1, "claimed once, never taken over");
    assert!(
        applying > LEASE || !db.is_mysql(),
        "the apply should outlast the lease to prove anything ({applying:?})"
    );
    // The watcher saw the apply's progress move, not jump from 0 to the total (on MySQL:
    // SQLite's single writer holds progress writes back until the apply commits).
    eprintln!("progress seen while applying: {partial:?}");
    assert!(
        !partial.is_empty() || !db.is_mysql(),
        "progress moved during APPLYING"
    );
}
