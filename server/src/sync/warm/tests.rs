use super::*;
use crate::store::State;
use crate::store::queries::roster::Task;

fn warm(rows: usize) -> WarmRosters {
    WarmRosters::new(WarmLimits {
        rows,
        idle: Duration::from_secs(60),
    })
}

fn loaded() -> Loading {
    Task::spawn(async { Ok(State::default()) })
}

fn not_loaded() -> Loading {
    panic!("a roster over the limit is not loaded")
}

#[tokio::test]
async fn r7_4_rosters_kept_stay_within_their_rows_the_oldest_going_first() {
    let warm = warm(10);
    warm.keep(1, 101, 6, loaded);
    warm.keep(2, 102, 3, loaded);
    assert_eq!(warm.districts(), [1, 2]);

    warm.keep(3, 103, 4, loaded);
    assert_eq!(
        warm.districts(),
        [2, 3],
        "district 1, kept first, made room"
    );

    warm.keep(4, 104, 11, not_loaded);
    assert_eq!(
        warm.districts(),
        [2, 3],
        "a roster over the limit is not kept"
    );

    warm.keep(2, 105, 5, loaded);
    let kept = warm.take(2).expect("district 2 kept again");
    assert_eq!(
        kept.settled_by, 105,
        "the later run's roster replaced the earlier"
    );
    assert!(warm.take(2).is_none(), "a roster is taken once");
    assert_eq!(warm.districts(), [3]);
}

#[tokio::test]
async fn r7_4_no_roster_is_kept_when_the_limit_is_zero() {
    let warm = warm(0);
    warm.keep(1, 101, 1, not_loaded);
    assert!(warm.take(1).is_none());
}

#[tokio::test(start_paused = true)]
async fn r7_4_a_roster_no_run_takes_is_dropped_after_its_idle_time() {
    let warm = warm(10);
    warm.keep(1, 101, 5, loaded);
    tokio::time::sleep(Duration::from_secs(59)).await;
    assert_eq!(warm.districts(), [1]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(warm.districts().is_empty(), "idle for over a minute");

    // A roster kept again meanwhile keeps its own time.
    warm.keep(2, 102, 5, loaded);
    tokio::time::sleep(Duration::from_secs(40)).await;
    warm.keep(2, 103, 5, loaded);
    tokio::time::sleep(Duration::from_secs(40)).await;
    assert_eq!(warm.districts(), [2], "the second roster has 20 s left");
    tokio::time::sleep(Duration::from_secs(21)).await;
    assert!(warm.districts().is_empty());
}
