//! Automatic runs. A due schedule starts a run once across replicas (one conditional
//! update of the due time decides which replica starts it), and waits while another run
//! of the district is active: it fires as soon as that one ends, instead of being
//! skipped.

use super::review;
use super::runs::{self, StartRequest};
use super::worker::WorkerHandle;
use crate::domain::{Error, Result, Trigger};
use crate::store::Store;
use crate::store::queries::{runs as run_rows, schedules};
use std::time::Duration;

/// Scheduler passes (a second each) between two sweeps of expired plans (R9.1).
const EXPIRY_EVERY: u64 = 15;

/// Starts the scheduler in the background; it also ends plans that expired unapproved.
pub fn spawn(store: Store, worker: WorkerHandle) {
    tokio::spawn(async move {
        for pass in 0u64.. {
            // An expired plan frees its district first, so a due schedule fires at once.
            if pass % EXPIRY_EVERY == 0
                && let Err(e) = review::expire(&store).await
            {
                tracing::warn!(error = %e, "plan expiry pass failed");
            }
            match start_due(&store).await {
                Ok(0) => {}
                Ok(_) => worker.wake(),
                Err(e) => tracing::warn!(error = %e, "scheduler pass failed"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

/// Starts the runs that are due; how many it started.
async fn start_due(store: &Store) -> Result<usize> {
    let mut conn = store.conn().await?;
    let mut started = 0;
    for (settings, due) in schedules::due(&mut conn, store.now()).await? {
        let district_id = settings.district_id;
        if run_rows::active(&mut conn, district_id).await?.is_some() {
            continue; // deferred until the active run ends
        }
        let next = settings.schedule.next_after(store.now());
        let result = conn
            .transaction::<_, Error, _>(|c| {
                Box::pin(async move {
                    if !schedules::advance(c, district_id, due, next).await? {
                        return Ok(false); // another replica started it
                    }
                    let request = StartRequest {
                        district_id,
                        source: None,
                        dry_run: false,
                        override_threshold: false,
                        request_id: None,
                        trigger: Trigger::Scheduled,
                        reverts_run_id: None,
                    };
                    match runs::start_on(c, request).await {
                        Ok(_) => Ok(true),
                        // Rolled back: committed, the advance would skip the due run. A
                        // conflict is tried again by the transaction, then by the next pass.
                        Err(e) if stays_due(&e) => Err(e),
                        Err(e) => {
                            tracing::warn!(district_id, error = %e, "scheduled run not started");
                            Ok(false)
                        }
                    }
                })
            })
            .await;
        match result {
            Ok(true) => started += 1,
            Ok(false) | Err(Error::AlreadyExists { .. }) => {}
            Err(e) if stays_due(&e) => {
                tracing::warn!(district_id, error = %e, "scheduled run deferred to the next pass");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(started)
}

/// Whether a scheduled run that could not start leaves its schedule due, the advance
/// rolled back: another run is active, or the store could not take the write now. Any
/// other refusal would recur, and advances the schedule.
fn stays_due(e: &Error) -> bool {
    matches!(
        e,
        Error::AlreadyExists { .. } | Error::Conflict(_) | Error::Unavailable(_)
    )
}
