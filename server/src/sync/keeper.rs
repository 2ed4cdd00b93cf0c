//! The side task of a running run: it renews the run's lease well within its length,
//! writes the run's phase and progress as the pipeline moves, and tells the pipeline
//! when CancelSync asked it to stop or the lease was lost. It is the only writer of the
//! run row while the run works, it writes only under the run's lease, and it ends with
//! the run (its guard aborts it), so nothing rewrites a run that has ended.

use crate::domain::{Run, RunPhase, RunState};
use crate::store::Store;
use crate::store::queries::runs::{self as q, Lease, Renewal};
use chrono::TimeDelta;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often progress is written while it changes.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Why a run must stop before it ends by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Keep going.
    No,
    /// CancelSync asked: end CANCELLED, having written nothing.
    Cancel,
    /// Another worker holds the run now (this one was cut off for longer than the
    /// lease): write nothing more.
    Lost,
}

/// Where a running run stands: its phase and records done of a total.
#[derive(Debug, Default)]
pub struct Progress {
    phase: AtomicU8,
    /// Shared with the apply, which counts the rows it writes here.
    done: Arc<AtomicI64>,
    total: AtomicI64,
    /// Wakes the keeper at a change of phase, so watchers see it at once.
    changed: tokio::sync::Notify,
}

impl Progress {
    pub fn set(&self, phase: RunPhase, done: usize, total: usize) {
        self.done.store(done as i64, Ordering::Relaxed);
        self.set_phase(phase, total);
    }

    /// A new phase and total, the records done so far kept: an apply started while the
    /// rest of its plan was made has written some already.
    pub fn set_phase(&self, phase: RunPhase, total: usize) {
        self.total.store(total as i64, Ordering::Relaxed);
        let index = RunPhase::ALL.iter().position(|p| *p == phase).unwrap_or(0) as u8;
        if self.phase.swap(index, Ordering::Relaxed) != index {
            self.changed.notify_one();
        }
    }

    /// Counts `n` more records done.
    pub fn advance(&self, n: usize) {
        self.done.fetch_add(n as i64, Ordering::Relaxed);
    }

    /// The shared counter of records done, for code that counts as it goes.
    pub fn done_counter(&self) -> Arc<AtomicI64> {
        self.done.clone()
    }

    fn read(&self) -> (RunPhase, i64, i64) {
        let phase = RunPhase::ALL
            .get(usize::from(self.phase.load(Ordering::Relaxed)))
            .copied()
            .unwrap_or(RunPhase::None);
        // A total of 0 means not known yet (a fetch counts what it received).
        let total = self.total.load(Ordering::Relaxed);
        let done = self.done.load(Ordering::Relaxed);
        (phase, if total > 0 { done.min(total) } else { done }, total)
    }
}

/// The stop signal of a run, sent by its keeper (a cancel seen in the store, a lost
/// lease) or by CancelSync on the run's own server ([`LiveRuns::cancel`]).
#[derive(Debug)]
struct Stopper {
    signal: watch::Sender<Stop>,
    /// Set with the first stop, for the apply to read between its statements: on SQLite
    /// a cancel cannot reach the store while the apply holds its one write lock.
    stopping: Arc<AtomicBool>,
}

impl Stopper {
    fn new() -> (Self, watch::Receiver<Stop>) {
        let (signal, receiver) = watch::channel(Stop::No);
        let stopper = Stopper {
            signal,
            stopping: Arc::new(AtomicBool::new(false)),
        };
        (stopper, receiver)
    }

    /// Asks the run to end CANCELLED, unless it is already stopping.
    fn cancel(&self) {
        self.signal.send_if_modified(|s| {
            let first = *s == Stop::No;
            if first {
                *s = Stop::Cancel;
                self.stopping.store(true, Ordering::Relaxed);
            }
            first
        });
    }

    /// The run is another worker's now: nothing more is written.
    fn lost(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        let _ = self.signal.send(Stop::Lost);
    }
}

/// What the pipeline of a run holds: its progress, and the stop signal.
#[derive(Debug, Clone)]
pub struct Control {
    pub progress: Arc<Progress>,
    stop: watch::Receiver<Stop>,
    stopping: Arc<AtomicBool>,
}

impl Control {
    /// The stop signal as it stands.
    pub fn stop(&self) -> Stop {
        *self.stop.borrow()
    }

    /// Set once the run must stop, whichever way: what the apply reads between its
    /// statements, to roll back rather than write on.
    pub fn stopping(&self) -> Arc<AtomicBool> {
        self.stopping.clone()
    }

    /// Resolves once the run must stop, with why.
    pub async fn stopped(&self) -> Stop {
        let mut stop = self.stop.clone();
        let stopped = stop.wait_for(|s| *s != Stop::No).await.map(|s| *s);
        match stopped {
            Ok(s) => s,
            // The keeper is gone only when the run is over.
            Err(_) => std::future::pending().await,
        }
    }
}

/// The progress of the runs this server is working, by run id, for status reads to
/// give as it is now. A run's row holds the keeper's last write, and a write can wait:
/// on SQLite the apply's transaction holds the database's one write lock until it
/// commits, so the row said PLANNING through a whole apply. Where the run's own server
/// answers, its status never lags its progress. For the same reason a cancel reaches a
/// run here in memory, not only through the row ([`LiveRuns::cancel`]).
#[derive(Debug, Clone, Default)]
pub struct LiveRuns(Arc<Mutex<HashMap<i64, Live>>>);

/// A run this server is working.
#[derive(Debug, Clone)]
struct Live {
    progress: Arc<Progress>,
    stopper: Arc<Stopper>,
    /// Closed when the work on the run here is over ([`KeeperGuard`] dropped).
    over: watch::Receiver<()>,
}

impl LiveRuns {
    /// Asks `run_id` to end CANCELLED at once when this server works it: its pipeline
    /// stops at its next step, its apply at its next statement, rolled back. The store's
    /// cancel flag is still written, for a run another server works and for the fence.
    pub fn cancel(&self, run_id: i64) {
        let live = self.0.lock().ok().and_then(|l| l.get(&run_id).cloned());
        if let Some(live) = live {
            live.stopper.cancel();
        }
    }

    /// Whether this server is working `run_id` now. Its lease may still have lapsed: a
    /// store that takes no write for a whole lease (a stall, a failover) holds back the
    /// keeper's renewals, though the run is alive here.
    pub fn works(&self, run_id: i64) -> bool {
        self.0.lock().is_ok_and(|l| l.contains_key(&run_id))
    }

    /// `run` with its phase and progress as this server's worker has them now, when it is
    /// running here; as read otherwise.
    pub fn overlay(&self, mut run: Run) -> Run {
        if run.state != RunState::Running {
            return run;
        }
        let live = self.0.lock().ok().and_then(|l| l.get(&run.id).cloned());
        if let Some(live) = live {
            (run.phase, run.progress_done, run.progress_total) = live.progress.read();
        }
        run
    }

    /// When this server works `run_id`: what resolves once that work is over, so that a
    /// watcher reads the run's end at once rather than at its next poll. A run that ended
    /// by its own steps has its end written by then; one that failed outside them is
    /// written just after, and read at the poll after.
    pub fn over(&self, run_id: i64) -> Option<impl Future<Output = ()> + Send + 'static> {
        let mut over = self.0.lock().ok()?.get(&run_id)?.over.clone();
        // Nothing is ever sent: the wait ends when the sender is dropped with the guard.
        Some(async move { while over.changed().await.is_ok() {} })
    }
}

/// Aborts the keeper when the run is over, whichever way it ended, and takes the run
/// out of the server's live runs.
pub struct KeeperGuard {
    task: JoinHandle<()>,
    live: LiveRuns,
    run_id: i64,
    /// Dropped with the guard, after the run left `live`: ends [`LiveRuns::over`].
    _over: watch::Sender<()>,
}

impl Drop for KeeperGuard {
    fn drop(&mut self) {
        self.task.abort();
        if let Ok(mut live) = self.live.0.lock() {
            live.remove(&self.run_id);
        }
    }
}

/// Starts the keeper of a claimed run, and lists its progress in `live`.
pub fn keep(
    store: Store,
    lease: Lease,
    length: Duration,
    live: &LiveRuns,
) -> (Control, KeeperGuard) {
    let progress = Arc::new(Progress::default());
    let (stopper, stop) = Stopper::new();
    let stopper = Arc::new(stopper);
    let control = Control {
        progress: progress.clone(),
        stop,
        stopping: stopper.stopping.clone(),
    };
    let (over_tx, over) = watch::channel(());
    if let Ok(mut runs) = live.0.lock() {
        let live = Live {
            progress: progress.clone(),
            stopper: stopper.clone(),
            over,
        };
        runs.insert(lease.run_id, live);
    }
    let task = tokio::spawn(run(store, lease, length, progress, stopper));
    let guard = KeeperGuard {
        task,
        live: live.clone(),
        run_id: lease.run_id,
        _over: over_tx,
    };
    (control, guard)
}

async fn run(
    store: Store,
    lease: Lease,
    length: Duration,
    progress: Arc<Progress>,
    stop: Arc<Stopper>,
) {
    let lease_length = TimeDelta::from_std(length).unwrap_or(TimeDelta::seconds(30));
    let renew_every = length / 3;
    // A renewal is late once half the lease is gone, or, for a lease under 1.5 s, once
    // past the tick its schedule allows: the warnings below never fire on schedule.
    let late_after = (length / 2).max(renew_every + PROGRESS_EVERY);
    let mut last_renewal = tokio::time::Instant::now();
    let mut written = None;
    // Whether the renewal now overdue was told: once per delay, not every 250 ms.
    let mut told = false;
    loop {
        tokio::select! {
            () = tokio::time::sleep(PROGRESS_EVERY) => {}
            () = progress.changed.notified() => {}
        }
        let mut conn = match store.conn().await {
            Ok(conn) => conn,
            Err(e) => {
                let since = last_renewal.elapsed();
                if since > late_after && !std::mem::replace(&mut told, true) {
                    tracing::warn!(
                        run_id = lease.run_id,
                        error = %e,
                        since_renewal_s = since.as_secs(),
                        lease_s = length.as_secs(),
                        "lease renewal overdue: no connection to the store"
                    );
                }
                continue;
            }
        };
        let current = progress.read();
        if written != Some(current) {
            match q::set_progress(&mut conn, lease, current.0, current.1, current.2).await {
                Ok(true) => written = Some(current),
                Ok(false) => {
                    stop.lost();
                    return;
                }
                Err(e) => {
                    tracing::debug!(run_id = lease.run_id, error = %e, "progress not written")
                }
            }
        }
        let renewal = if last_renewal.elapsed() >= renew_every {
            let renewed = q::renew(&mut conn, lease, store.now(), lease_length).await;
            if let Ok(Renewal::Held { .. }) = renewed {
                let since = last_renewal.elapsed();
                if since > late_after {
                    // The store took the renewal late: another server may have taken the
                    // run over meanwhile (this one never does, `LiveRuns::works`).
                    tracing::warn!(
                        run_id = lease.run_id,
                        since_renewal_s = since.as_secs(),
                        lease_s = length.as_secs(),
                        "lease renewed late: the store answered slowly"
                    );
                }
                last_renewal = tokio::time::Instant::now();
                told = false;
            }
            renewed
        } else {
            q::check(&mut conn, lease).await
        };
        match renewal {
            Ok(Renewal::Held { cancel: false }) => {}
            Ok(Renewal::Held { cancel: true }) => stop.cancel(),
            Ok(Renewal::Lost) => {
                tracing::warn!(run_id = lease.run_id, "lost the run's lease: stopping");
                stop.lost();
                return;
            }
            Err(e) => tracing::warn!(run_id = lease.run_id, error = %e, "lease not renewed"),
        }
    }
}
