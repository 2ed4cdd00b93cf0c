//! The pool survives anything one run does: a panic or an error fails that run, with a
//! message, and stops its keeper.

use super::*;
use crate::domain::{Run, RunPhase, RunState, Source, Trigger, new_id, now};
use crate::sources::SourcePaths;
use crate::store::Store;
use crate::store::models::District;
use crate::store::queries::districts;
use crate::store::queries::runs::NewRun;
use crate::store::testing::TestStore;
use crate::sync::keeper::{LiveRuns, Stop};
use chrono::NaiveDateTime;
use std::sync::atomic::Ordering;

fn config() -> WorkerConfig {
    WorkerConfig {
        concurrency: 1,
        lease: Duration::from_secs(30),
        max_attempts: 3,
        deadline: Duration::from_secs(60),
        owner: "test".into(),
    }
}

/// A district of its own, stored.
async fn district(store: &Store) -> i64 {
    let district = District {
        id: new_id(),
        display_name: "D".into(),
        created_at: now(),
        updated_at: now(),
    };
    districts::insert(&mut store.conn().await.unwrap(), &district)
        .await
        .unwrap();
    district.id
}

/// A new district with one run queued; the run's id.
async fn queued(store: &Store) -> i64 {
    let run = NewRun {
        id: new_id(),
        district_id: district(store).await,
        trigger: Trigger::Manual,
        dry_run: false,
        override_threshold: false,
        request_id: None,
        source: Source::OneRosterCsvPath { path: "x".into() },
        created_at: store.now(),
        reverts_run_id: None,
    };
    q::insert(&mut store.conn().await.unwrap(), &run)
        .await
        .unwrap();
    run.id
}

/// A district with one queued run, claimed: what a worker holds when it runs it.
async fn claimed(store: &Store) -> RunInput {
    queued(store).await;
    claim_next(&env(store), &config())
        .await
        .unwrap()
        .expect("the run is claimable")
}

fn env(store: &Store) -> Env {
    Env {
        store: store.clone(),
        paths: SourcePaths {
            import_dir: std::env::temp_dir(),
            data_dir: std::env::temp_dir(),
        },
        sealer: std::sync::Arc::new(crate::sync::secrets::Sealer::new(&[1; 32]).unwrap()),
        outbound: crate::sources::http::Outbound::new(&[], 1 << 20, 10).unwrap(),
        csv_limits: Default::default(),
        live: Default::default(),
        warm: crate::sync::warm::WarmRosters::new(crate::sync::warm::WarmLimits {
            rows: 0,
            idle: std::time::Duration::ZERO,
        }),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn r7_6_a_panic_in_a_run_fails_that_run_with_a_message() {
    let test = TestStore::new().await;
    let store = &test.store;
    let input = claimed(store).await;
    let run_id = input.run.id;
    execute_with(&env(store), &config(), input, |_, _, _| async {
        panic!("index out of bounds in a reader");
    })
    .await;
    let run = q::require(&mut store.conn().await.unwrap(), run_id)
        .await
        .unwrap();
    assert_eq!(run.state, RunState::Failed);
    assert!(
        run.error_message.contains("stopped unexpectedly")
            && run.error_message.contains("index out of bounds"),
        "{}",
        run.error_message
    );
    assert!(
        q::active(&mut store.conn().await.unwrap(), run.district_id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn r7_6_an_error_in_a_run_fails_it_and_its_keeper_stops() {
    let test = TestStore::new().await;
    let store = &test.store;
    let input = claimed(store).await;
    let run_id = input.run.id;
    execute_with(&env(store), &config(), input, |_, _, control| async move {
        control
            .progress
            .set(crate::domain::RunPhase::Planning, 1, 2);
        // Long enough for the keeper to write the progress once.
        tokio::time::sleep(Duration::from_millis(600)).await;
        Err(crate::domain::Error::Internal("the store went away".into()))
    })
    .await;
    let mut conn = store.conn().await.unwrap();
    let ended = q::require(&mut conn, run_id).await.unwrap();
    assert_eq!(ended.state, RunState::Failed);
    assert!(ended.error_message.contains("the store went away"));
    // The keeper is gone: nothing rewrites the ended run.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(q::require(&mut conn, run_id).await.unwrap(), ended);
}

/// Makes `run_id`'s lease lapse, as a store that took no renewal for a whole lease does.
async fn lapse(store: &Store, run_id: i64) {
    use crate::store::schema::sync_runs;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let mut conn = store.conn().await.unwrap();
    let past = now() - chrono::TimeDelta::seconds(1);
    let n = with_conn!(&mut conn, c => diesel::update(sync_runs::table.find(run_id))
        .set(sync_runs::lease_expires_at.eq(past))
        .execute(c)
        .await)
    .unwrap();
    assert_eq!(n, 1);
}

// A store that takes no write for a whole lease (a stall, a failover) lets a run's
// lease lapse while its server still works it. That server does not take the run over:
// it would start it again beside itself, with two plans in memory, and the first would
// be cut off; nor does it fail it as abandoned. Its keeper renews the lease once the
// store answers. Another server, which cannot know the run is alive, still takes it
// over.
#[tokio::test(flavor = "multi_thread")]
async fn r7_6_a_server_does_not_take_over_a_run_it_still_works() {
    let test = TestStore::new().await;
    let store = &test.store;
    let input = claimed(store).await;
    let run_id = input.run.id;
    let here = env(store);
    // Renewed every second: the first renewal comes after the claims below.
    let length = Duration::from_secs(3);
    let (control, _keeper) = keeper::keep(store.clone(), input.lease, length, &here.live);
    let kept = tokio::time::Instant::now();
    lapse(store, run_id).await;
    let mut conn = store.conn().await.unwrap();
    let lapsed = q::claimable(&mut conn, now(), 16).await.unwrap();
    assert_eq!(lapsed, vec![(run_id, 1)], "the lease lapsed");
    assert!(
        claim_next(&here, &config()).await.unwrap().is_none(),
        "its own server took the run over"
    );
    // Nor does it fail the run as abandoned, at its last attempt.
    let last = WorkerConfig {
        max_attempts: 1,
        ..config()
    };
    assert!(claim_next(&here, &last).await.unwrap().is_none());
    let stored = q::require(&mut conn, run_id).await.unwrap();
    assert_eq!(stored.state, RunState::Running, "{}", stored.error_message);
    tokio::time::sleep_until(kept + Duration::from_millis(2200)).await;
    assert_eq!(
        q::claimable(&mut conn, now(), 16).await.unwrap(),
        vec![],
        "the keeper renewed the lease it still holds"
    );
    assert_eq!(control.stop(), Stop::No);

    lapse(store, run_id).await;
    let elsewhere = claim_next(&env(store), &config()).await.unwrap();
    assert_eq!(elsewhere.map(|i| i.run.id), Some(run_id), "another server");
    let stopped = tokio::time::timeout(Duration::from_secs(5), control.stopped()).await;
    assert_eq!(stopped.unwrap(), Stop::Lost);
}

// R7.6 across replicas: leases are judged by the store's clock. A replica whose host
// clock runs two minutes ahead would see every live lease as lapsed (30 s) and take the
// run over, starting it again beside the server that works it. Measured against the
// store, its clock is put right, and it leaves the run alone.
#[tokio::test(flavor = "multi_thread")]
async fn r7_6_a_replica_whose_clock_runs_ahead_leaves_a_live_run_alone() {
    let test = TestStore::new().await;
    let input = claimed(&test.store).await;
    let ahead = test.store.with_skewed_clock(chrono::TimeDelta::minutes(2));
    let mut conn = ahead.conn().await.unwrap();
    let offset = ahead.measure_clock(&mut conn).await.unwrap().unwrap();
    assert!(
        (offset + chrono::TimeDelta::minutes(2)).abs() < chrono::TimeDelta::seconds(1),
        "{offset}"
    );
    let ahead_env = env(&ahead);
    assert!(
        claim_next(&ahead_env, &config()).await.unwrap().is_none(),
        "the run was taken over under a live lease"
    );
    let lapsed = q::claimable(&mut conn, ahead.now(), 16).await.unwrap();
    assert_eq!(lapsed, vec![], "by the store's clock the lease stands");

    // By its own clock, the same replica would have taken it.
    let unmeasured = env(&test.store.with_skewed_clock(chrono::TimeDelta::minutes(2)));
    let taken = claim_next(&unmeasured, &config()).await.unwrap();
    assert_eq!(taken.map(|i| i.run.id), Some(input.run.id));
}

/// The store as a replica whose host clock is `skew` off sees it, once it has measured
/// the store's clock.
async fn measured(store: &Store, skew: chrono::TimeDelta) -> Store {
    let replica = store.with_skewed_clock(skew);
    let mut conn = replica.conn().await.unwrap();
    replica.measure_clock(&mut conn).await.unwrap().unwrap();
    replica
}

/// Starts, claims and works a run through `replica` (its source is missing: it fails at
/// once); its created, started and finished times as stored.
async fn times_of_a_run(replica: &Store) -> [NaiveDateTime; 3] {
    let district_id = district(replica).await;
    let run = crate::sync::runs::start(
        replica,
        crate::sync::runs::StartRequest {
            district_id,
            source: Some(Source::OneRosterCsvPath {
                path: "no-such-folder".into(),
            }),
            dry_run: false,
            override_threshold: false,
            request_id: None,
            trigger: Trigger::Manual,
            reverts_run_id: None,
        },
    )
    .await
    .unwrap();
    let env = env(replica);
    let input = claim_next(&env, &config())
        .await
        .unwrap()
        .expect("claimable");
    execute(&env, &config(), input).await;
    let run = q::require(&mut replica.conn().await.unwrap(), run.id)
        .await
        .unwrap();
    assert_eq!(run.state, RunState::Failed, "{}", run.error_message);
    let ended = "an ended run has every time set";
    [
        run.created_at,
        run.started_at.expect(ended),
        run.finished_at.expect(ended),
    ]
}

// R7.6: a run's times are the store's, whichever replica wrote them. A replica whose
// host clock runs two minutes behind, measured against the store, stamps the run it
// starts, claims and ends with the store's time, as every other replica does; by its own
// clock its runs would seem to have ended two minutes before the others' began.
#[tokio::test(flavor = "multi_thread")]
async fn r7_6_a_replica_whose_clock_runs_behind_stamps_its_runs_by_the_stores_clock() {
    let test = TestStore::new().await;
    let two = chrono::TimeDelta::minutes(2);
    let slack = chrono::TimeDelta::seconds(5);
    for (replica, off) in [
        (measured(&test.store, -two).await, chrono::TimeDelta::zero()),
        // By its own clock, the same replica's times would be two minutes off.
        (test.store.with_skewed_clock(-two), -two),
    ] {
        let before = test.store.now() + off;
        let times = times_of_a_run(&replica).await;
        let after = test.store.now() + off;
        for at in times {
            assert!(
                before - slack <= at && at <= after + slack,
                "{at} is not within {before} to {after} ({off} off the store's): {times:?}"
            );
        }
        assert!(times.is_sorted(), "created, started, finished: {times:?}");
    }
}

// R9.1 across replicas: a kept plan expires by the store's clock. A replica whose clock
// runs two minutes ahead, measured, leaves a plan with a minute to go alone in its sweep;
// by its own clock it would have ended it, and the person reviewing it would find it gone.
#[tokio::test(flavor = "multi_thread")]
async fn r9_1_a_replica_whose_clock_runs_ahead_leaves_an_unexpired_plan_alone() {
    let test = TestStore::new().await;
    let store = &test.store;
    let run_id = queued(store).await;
    let mut conn = store.conn().await.unwrap();
    let awaiting = format!(
        "UPDATE sync_runs SET state = 'awaiting_approval', plan_expires_at = '{}' WHERE id = {run_id}",
        (store.now() + chrono::TimeDelta::minutes(1)).format("%Y-%m-%d %H:%M:%S%.6f"),
    );
    with_conn!(&mut conn, c => diesel_async::RunQueryDsl::execute(diesel::sql_query(&awaiting), c).await)
        .unwrap();
    let state =
        async |conn: &mut crate::store::DbConn| q::require(conn, run_id).await.unwrap().state;

    let ahead = measured(store, chrono::TimeDelta::minutes(2)).await;
    assert_eq!(crate::sync::review::expire(&ahead).await.unwrap(), 0);
    assert_eq!(state(&mut conn).await, RunState::AwaitingApproval);

    // By its own clock, the same replica would have ended it.
    let unmeasured = store.with_skewed_clock(chrono::TimeDelta::minutes(2));
    assert_eq!(crate::sync::review::expire(&unmeasured).await.unwrap(), 1);
    assert_eq!(state(&mut conn).await, RunState::Cancelled);
}

// R7.6 across replicas: once measured, the store's time counts on by the monotonic clock.
// A replica whose host clock steps two minutes ahead (a time service correcting it)
// between two measurements still leaves a live run alone; going
// by its stepped clock plus the offset measured before, it would take the run over.
#[tokio::test(flavor = "multi_thread")]
async fn r7_6_a_replica_whose_clock_steps_ahead_after_measuring_leaves_a_live_run_alone() {
    let test = TestStore::new().await;
    let input = claimed(&test.store).await;
    let replica = measured(&test.store, chrono::TimeDelta::zero()).await;
    replica.step_clock(chrono::TimeDelta::minutes(2));
    let drift = replica.now() - test.store.now();
    assert!(drift.abs() < chrono::TimeDelta::seconds(1), "{drift}");
    assert!(
        claim_next(&env(&replica), &config())
            .await
            .unwrap()
            .is_none(),
        "the run was taken over under a live lease"
    );
    // Stepped and not measured, the same replica would have taken it.
    let unmeasured = test.store.with_skewed_clock(chrono::TimeDelta::minutes(2));
    let taken = claim_next(&env(&unmeasured), &config()).await.unwrap();
    assert_eq!(taken.map(|i| i.run.id), Some(input.run.id));
}

#[tokio::test(flavor = "multi_thread")]
async fn s4_2_a_run_past_its_deadline_fails_and_frees_its_district() {
    let test = TestStore::new().await;
    let store = &test.store;
    let input = claimed(store).await;
    let run_id = input.run.id;
    let short = WorkerConfig {
        deadline: Duration::from_millis(300),
        ..config()
    };
    execute_with(&env(store), &short, input, |_, _, _| async {
        // A source that never finishes answering.
        std::future::pending::<()>().await;
        Ok(())
    })
    .await;
    let mut conn = store.conn().await.unwrap();
    let run = q::require(&mut conn, run_id).await.unwrap();
    assert_eq!(run.state, RunState::Failed);
    assert!(
        run.error_message.contains("longer than 300ms")
            && run.error_message.contains("--run-deadline"),
        "{}",
        run.error_message
    );
    assert!(
        q::active(&mut conn, run.district_id)
            .await
            .unwrap()
            .is_none()
    );
}

// R7.6 and the progress of issue 12: a status read on the server working a run gives its
// phase and progress as they are now, not the row's last write (on SQLite the apply holds
// the one write lock, so the row said PLANNING through a whole apply). An ended run, or
// one this server no longer works, is given as stored.
#[tokio::test(flavor = "multi_thread")]
async fn r7_6_a_status_read_gives_a_running_runs_progress_as_it_is_now() {
    let test = TestStore::new().await;
    let store = &test.store;
    let input = claimed(store).await;
    let live = LiveRuns::default();
    let stored = q::require(&mut store.conn().await.unwrap(), input.run.id)
        .await
        .unwrap();
    assert_eq!(stored.state, RunState::Running);
    assert_ne!(stored.phase, RunPhase::Applying);
    let (control, guard) = keeper::keep(store.clone(), input.lease, config().lease, &live);
    control.progress.set(RunPhase::Applying, 0, 10);
    control.progress.advance(4);
    let now_seen = live.overlay(stored.clone());
    assert_eq!(
        (
            now_seen.phase,
            now_seen.progress_done,
            now_seen.progress_total
        ),
        (RunPhase::Applying, 4, 10)
    );
    let ended = Run {
        state: RunState::Succeeded,
        ..stored.clone()
    };
    assert_eq!(live.overlay(ended.clone()), ended);
    drop(guard);
    assert_eq!(live.overlay(stored.clone()), stored);
}

// CancelSync on the server working a run tells it in memory, at once: the pipeline sees
// the cancel, and the apply's stop flag is set (on SQLite a cancel cannot reach the
// store while the apply holds the write lock). Another run is not touched, nor a run
// this server no longer works.
#[tokio::test(flavor = "multi_thread")]
async fn r7_6_a_cancel_on_the_runs_own_server_reaches_it_in_memory() {
    let test = TestStore::new().await;
    let store = &test.store;
    let input = claimed(store).await;
    let live = LiveRuns::default();
    let (control, guard) = keeper::keep(store.clone(), input.lease, config().lease, &live);
    let stopping = control.stopping();
    live.cancel(input.run.id + 1);
    assert_eq!(control.stop(), Stop::No);
    assert!(!stopping.load(Ordering::Relaxed));
    live.cancel(input.run.id);
    assert_eq!(control.stop(), Stop::Cancel);
    assert!(stopping.load(Ordering::Relaxed), "the apply is told too");
    drop(guard);
    live.cancel(input.run.id);
}

// A watch of a run this server works is woken as the work ends, rather than at its next
// poll: `over` resolves once the run's guard is gone, and not before. A run not worked
// here has nothing to wait on, and the watch polls the store as before.
#[tokio::test(flavor = "multi_thread")]
async fn r7_6_a_watch_of_a_run_worked_here_is_woken_as_its_work_ends() {
    use futures::FutureExt;
    let test = TestStore::new().await;
    let store = &test.store;
    let input = claimed(store).await;
    let live = LiveRuns::default();
    assert!(live.over(input.run.id).is_none(), "not worked here yet");
    let (_control, guard) = keeper::keep(store.clone(), input.lease, config().lease, &live);
    assert!(live.over(input.run.id + 1).is_none());
    let over = live.over(input.run.id).expect("worked here");
    let mut over = Box::pin(over);
    assert!((&mut over).now_or_never().is_none(), "the work goes on");
    let before = live.over(input.run.id).expect("worked here");
    drop(guard);
    tokio::time::timeout(Duration::from_secs(10), over)
        .await
        .expect("woken when the guard went");
    before.now_or_never().expect("every waiter is woken");
    assert!(live.over(input.run.id).is_none(), "no longer worked here");
}
