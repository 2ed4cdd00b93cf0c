//! `kill -9` at random moments of syncs (fetching, planning, applying, just after the
//! commit), then a restart: within one lease the run is taken over and ends true (a
//! SUCCEEDED run applied its plan once, any other wrote nothing), a re-sync changes
//! nothing beyond the source, and a manual edit made before the crash survives (R7.6).
//! `ROSTER_CHAOS_KILLS` sets how many kills (5 by default).

use crate::harness::*;
use roster_proto::v1 as pb;
use roster_server::store::Store;
use std::time::{Duration, Instant};

const BEFORE: usize = 6_000;
const AFTER: usize = 7_000;
const LEASE: &str = "2s";

/// Where each round kills the server, in turn.
#[derive(Debug, Clone, Copy)]
enum Moment {
    Phase(pb::SyncPhase),
    /// Some time into the apply.
    IntoApply,
    /// As soon as the run is seen SUCCEEDED: just after the commit.
    AfterCommit,
    /// Anywhere in the run.
    Random,
}

const MOMENTS: [Moment; 5] = [
    Moment::Phase(pb::SyncPhase::Fetching),
    Moment::Phase(pb::SyncPhase::Planning),
    Moment::IntoApply,
    Moment::AfterCommit,
    Moment::Random,
];

/// Waits until the run reaches `moment`; where it was when it got there.
async fn reach(server: &Server, run_id: &str, moment: Moment, took: Duration) -> String {
    if let Moment::Random = moment {
        tokio::time::sleep(took.mul_f64(rand::random::<f64>())).await;
        return phase_of(server, run_id).await;
    }
    loop {
        let run = status(server, run_id).await;
        let hit = match moment {
            Moment::Phase(phase) => run.phase >= phase as i32 || is_final(&run),
            Moment::IntoApply => run.phase == pb::SyncPhase::Applying as i32 || is_final(&run),
            Moment::AfterCommit => is_final(&run),
            Moment::Random => true,
        };
        if hit {
            if let Moment::IntoApply = moment {
                tokio::time::sleep(Duration::from_millis(rand::random::<u64>() % 150)).await;
            }
            return phase_of(server, run_id).await;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn r7_6_kill_9_at_random_moments_leaves_every_run_true() {
    let kills: usize = std::env::var("ROSTER_CHAOS_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(5);
    let db = Database::new().await;
    let files = Files::new();
    write_roster(&files, "before", BEFORE, 1);
    write_roster(&files, "after", AFTER, 2);
    let store = db.store();
    let mut server = Server::start(db.url(0), &files, LEASE);
    let mut figures = Vec::new();
    for round in 0..kills {
        let district = district(&server, &format!("Chaos {round}"), "before").await;
        let took = sync_whole(&server, &district).await;
        let edited = edit_a_guardian(&server, &store, &district).await;
        set_source(&server, &district, "after").await;
        let run_id = start(&server, &district).await;
        let phase = reach(&server, &run_id, MOMENTS[round % MOMENTS.len()], took).await;
        server.kill();
        let killed = Instant::now();
        server = Server::start(db.url(round), &files, LEASE);
        let run = wait_final(&server, &run_id).await;
        let free_after = killed.elapsed();
        check_truth(&server, &store, &district, &run).await;
        assert_eq!(
            guardian_email(&server, &store, &district).await,
            edited,
            "the edit survives"
        );
        figures.push((phase, state_name(run.state), free_after));
    }
    for (phase, state, free_after) in &figures {
        eprintln!(
            "chaos: killed while {phase}, run ended {state}, district free {free_after:?} after the kill"
        );
    }
    let worst = figures.iter().map(|f| f.2).max().unwrap_or_default();
    eprintln!("chaos: {kills} kills survived, worst time to a free district {worst:?}");
}

/// Syncs the district to the end; how long it took.
async fn sync_whole(server: &Server, district: &str) -> Duration {
    let started = Instant::now();
    let run_id = start(server, district).await;
    let run = wait_final(server, &run_id).await;
    assert_eq!(
        run.state,
        pb::SyncState::Succeeded as i32,
        "{}",
        run.error_message
    );
    started.elapsed()
}

async fn wait_final(server: &Server, run_id: &str) -> pb::SyncRun {
    let started = Instant::now();
    loop {
        let run = status(server, run_id).await;
        if is_final(&run) {
            return run;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "run stuck: {run:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn status(server: &Server, run_id: &str) -> pb::SyncRun {
    server
        .sync()
        .await
        .get_sync_status(pb::GetSyncStatusRequest {
            run_id: run_id.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .run
        .unwrap()
}

async fn phase_of(server: &Server, run_id: &str) -> String {
    let run = status(server, run_id).await;
    if is_final(&run) {
        return format!("ended {}", state_name(run.state));
    }
    pb::SyncPhase::try_from(run.phase)
        .map(|p| {
            p.as_str_name()
                .trim_start_matches("SYNC_PHASE_")
                .to_lowercase()
        })
        .unwrap_or_default()
}

fn state_name(state: i32) -> String {
    pb::SyncState::try_from(state)
        .map(|s| s.as_str_name().trim_start_matches("SYNC_STATE_").to_owned())
        .unwrap_or_default()
}

async fn set_source(server: &Server, district: &str, folder: &str) {
    server
        .sync()
        .await
        .update_sync_settings(pb::UpdateSyncSettingsRequest {
            settings: Some(pb::SyncSettings {
                district_id: district.into(),
                source: Some(pb::SyncSource {
                    kind: Some(pb::sync_source::Kind::OnerosterCsvPath(
                        pb::OneRosterCsvPath {
                            path: folder.into(),
                        },
                    )),
                }),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["source".into()],
            }),
        })
        .await
        .unwrap();
}

/// The id of a stored record of the district by its source id.
async fn id_of(store: &Store, table: &str, district: &str, source_id: &str) -> String {
    count(
        store,
        &format!(
            "SELECT id AS n FROM {table} WHERE district_id = {district} AND source_id = '{source_id}'"
        ),
    )
    .await
    .to_string()
}

/// The first guardian activates its account and edits its email: an active user's
/// contact is its own while Update Active Users is off (R4.6). The edited email.
async fn edit_a_guardian(server: &Server, store: &Store, district: &str) -> String {
    let id = id_of(store, "guardians", district, "par-0").await;
    let mut dir = server.dir().await;
    dir.activate_user(pb::ActivateUserRequest {
        user_id: id.clone(),
    })
    .await
    .unwrap();
    let email = format!("edited.{district}@example.org");
    dir.update_contact_details(pb::UpdateContactDetailsRequest {
        user_id: id,
        contact_details: Some(pb::ContactDetails {
            email: email.clone(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["email".into()],
        }),
    })
    .await
    .unwrap();
    email
}

async fn guardian_email(server: &Server, store: &Store, district: &str) -> String {
    let id = id_of(store, "students", district, "stu-0").await;
    let student = server
        .dir()
        .await
        .get_student(pb::GetStudentRequest { student_id: id })
        .await
        .unwrap()
        .into_inner();
    student.guardians[0].email.clone()
}

/// A SUCCEEDED run applied the new roster once; any other run wrote nothing. Either way
/// a re-sync brings the roster to the source and changes nothing more after that.
async fn check_truth(server: &Server, store: &Store, district: &str, run: &pb::SyncRun) {
    let stored = students(store, district).await;
    if run.state == pb::SyncState::Succeeded as i32 {
        assert_eq!(stored, AFTER as i64, "applied: {run:?}");
        assert_eq!(
            created(run, pb::RecordKind::Student),
            (AFTER - BEFORE) as i64
        );
    } else {
        assert_eq!(
            stored, BEFORE as i64,
            "ended {} yet wrote: {run:?}",
            run.state
        );
    }
    sync_whole(server, district).await;
    assert_eq!(students(store, district).await, AFTER as i64);
    let again = status(server, &start(server, district).await).await;
    let again = wait_final(server, &again.run_id).await;
    let changed: i64 = again
        .counts
        .iter()
        .map(|c| c.created + c.updated + c.abandoned + c.restored)
        .sum();
    assert_eq!(
        changed, 0,
        "a re-sync of the same source changes nothing: {again:?}"
    );
}
