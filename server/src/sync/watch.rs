//! Watching runs. All watchers of one run on this server share one poll of the store
//! (or none, once the run is final), so a thousand watchers cost the database what one
//! does; a watcher that goes away costs nothing more; and the number of open watches is
//! capped, with a clear refusal past the cap.

use super::keeper::LiveRuns;
use crate::domain::{Error, Result, Run};
use crate::store::Store;
use crate::store::queries::runs as q;
use futures::future::OptionFuture;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// How often a watched run is read while it changes; a run this server works is read
/// again as soon as its work here is over.
const POLL: Duration = Duration::from_millis(200);

/// The watches of this server.
#[derive(Debug, Clone)]
pub struct Watches {
    store: Store,
    /// Runs this server works: their progress as it is now, not as last written.
    live: LiveRuns,
    polls: Arc<Mutex<HashMap<i64, watch::Receiver<Run>>>>,
    open: Arc<AtomicUsize>,
    limit: usize,
}

/// One open watch: the run's snapshots as they change.
#[derive(Debug)]
pub struct RunWatch {
    receiver: watch::Receiver<Run>,
    first: bool,
    done: bool,
    _open: OpenGuard,
}

#[derive(Debug)]
struct OpenGuard(Arc<AtomicUsize>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Watches {
    pub fn new(store: Store, limit: usize, live: LiveRuns) -> Self {
        Watches {
            store,
            live,
            polls: Arc::default(),
            open: Arc::default(),
            limit,
        }
    }

    /// How many watches are open on this server.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Opens a watch of a run; RESOURCE_EXHAUSTED past the server's cap.
    pub async fn watch(&self, run_id: i64) -> Result<RunWatch> {
        if self.open.fetch_add(1, Ordering::Relaxed) >= self.limit {
            self.open.fetch_sub(1, Ordering::Relaxed);
            return Err(Error::ResourceExhausted {
                message: format!(
                    "this server already has {} open watches, its limit; retry later",
                    self.limit
                ),
                retry_after: Duration::from_secs(5),
            });
        }
        let guard = OpenGuard(self.open.clone());
        let existing = self.polls.lock().ok().and_then(|p| p.get(&run_id).cloned());
        let receiver = match existing {
            Some(receiver) => receiver,
            None => self.start_poll(run_id).await?,
        };
        Ok(RunWatch {
            receiver,
            first: true,
            done: false,
            _open: guard,
        })
    }

    /// Reads the run once and starts the one poll every watcher of it shares.
    async fn start_poll(&self, run_id: i64) -> Result<watch::Receiver<Run>> {
        let run = q::require(&mut self.store.conn().await?, run_id).await?;
        let run = self.live.overlay(run);
        let final_already = !run.state.moves_on();
        let (tx, rx) = watch::channel(run);
        if final_already {
            return Ok(rx);
        }
        let mut polls = self
            .polls
            .lock()
            .map_err(|_| Error::Internal("watch registry poisoned".into()))?;
        if let Some(other) = polls.get(&run_id) {
            return Ok(other.clone()); // another watcher started it meanwhile
        }
        polls.insert(run_id, rx.clone());
        drop(polls);
        let (store, live) = (self.store.clone(), self.live.clone());
        tokio::spawn(poll(store, live, self.polls.clone(), run_id, tx));
        Ok(rx)
    }
}

/// Whether only the registry's own receiver is left; if so the poll leaves the registry,
/// under its lock, so no new watcher can pick the poll up as it ends.
fn nobody_watches(
    polls: &Mutex<HashMap<i64, watch::Receiver<Run>>>,
    run_id: i64,
    tx: &watch::Sender<Run>,
) -> bool {
    let Ok(mut polls) = polls.lock() else {
        return true;
    };
    if tx.receiver_count() <= 1 {
        polls.remove(&run_id);
        true
    } else {
        false
    }
}

/// Reads the run until it stops moving (final, or awaiting approval) or nobody watches it.
async fn poll(
    store: Store,
    live: LiveRuns,
    polls: Arc<Mutex<HashMap<i64, watch::Receiver<Run>>>>,
    run_id: i64,
    tx: watch::Sender<Run>,
) {
    loop {
        // A run not worked here has no end to wait on: that branch is disabled at once.
        let over = OptionFuture::from(live.over(run_id));
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            Some(()) = over => {}
        }
        if nobody_watches(&polls, run_id, &tx) {
            return;
        }
        let Ok(mut conn) = store.conn().await else {
            continue;
        };
        match q::get(&mut conn, run_id).await {
            Ok(Some(run)) => {
                let run = live.overlay(run);
                let last = !run.state.moves_on();
                tx.send_if_modified(|current| {
                    let changed = *current != run;
                    if changed {
                        *current = run;
                    }
                    changed
                });
                if last {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => tracing::debug!(run_id, error = %e, "watch poll failed"),
        }
    }
    if let Ok(mut polls) = polls.lock() {
        polls.remove(&run_id);
    }
}

impl RunWatch {
    /// The next snapshot of the run: the current one first, then each change, and None
    /// after the final state was given.
    pub async fn next(&mut self) -> Option<Run> {
        if self.done {
            return None;
        }
        if !self.first && self.receiver.changed().await.is_err() {
            return None;
        }
        self.first = false;
        let run = self.receiver.borrow_and_update().clone();
        self.done = !run.state.moves_on();
        Some(run)
    }
}
