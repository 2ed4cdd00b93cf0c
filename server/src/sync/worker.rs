//! The worker pool: each worker claims a run from the database (queued, or running under
//! a lapsed lease: its server died), runs its pipeline in a task of its own, and goes on
//! to the next, whatever that run did. A run that panics or fails ends FAILED with a
//! message, its keeper stops with it, and the worker lives on; a worker that dies is
//! started again, and the pool reports itself unhealthy until it is whole.

use super::env::Env;
use super::keeper::{self, Control};
use super::outcome::{self, Outcome};
use super::pipeline::{self, RunInput};
use super::telemetry;
use crate::domain::{Result, RunState, Trigger, short_duration};
use crate::store::queries::runs::{self as q, Lease};
use crate::store::queries::settings;
use chrono::TimeDelta;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// How the pool works.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Runs worked on at once by this server.
    pub concurrency: usize,
    /// How long a claimed run stays this server's without a renewal.
    pub lease: Duration,
    /// Claims after which a run whose server keeps dying is failed, not retried.
    pub max_attempts: i32,
    /// Longest one attempt at a run may take (S4.2): past it the run is stopped (an
    /// apply in progress rolls back) and fails, so a source that trickles forever cannot
    /// hold its district.
    pub deadline: Duration,
    /// Who holds leases: this process, uniquely.
    pub owner: String,
}

/// Wakes the pool when a run is queued, and tells whether it is whole.
#[derive(Debug, Clone)]
pub struct WorkerHandle {
    notify: Arc<Notify>,
    alive: Arc<AtomicUsize>,
    size: usize,
}

impl WorkerHandle {
    pub fn wake(&self) {
        self.notify.notify_waiters();
        self.notify.notify_one();
    }

    /// Whether every worker of the pool is running.
    pub fn healthy(&self) -> bool {
        self.alive.load(Ordering::Relaxed) == self.size
    }
}

/// Starts the pool in the background.
pub fn spawn(env: Env, config: WorkerConfig) -> WorkerHandle {
    let handle = WorkerHandle {
        notify: Arc::new(Notify::new()),
        alive: Arc::new(AtomicUsize::new(0)),
        size: config.concurrency.max(1),
    };
    for index in 0..handle.size {
        let (env, config, handle) = (env.clone(), config.clone(), handle.clone());
        tokio::spawn(async move {
            loop {
                handle.alive.fetch_add(1, Ordering::Relaxed);
                let worker = tokio::spawn(work(env.clone(), config.clone(), handle.notify.clone()));
                let ended = worker.await;
                handle.alive.fetch_sub(1, Ordering::Relaxed);
                tracing::error!(
                    worker = index,
                    ?ended,
                    "sync worker stopped; starting it again"
                );
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
    handle
}

/// One worker: claim, run, repeat.
async fn work(env: Env, config: WorkerConfig, notify: Arc<Notify>) {
    loop {
        match claim_next(&env, &config).await {
            Ok(Some(input)) => execute(&env, &config, input).await,
            Ok(None) => {
                tokio::select! {
                    () = notify.notified() => {}
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "sync worker could not claim a run");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Claims the oldest run this worker may take and loads what it needs. A run whose
/// lease lapsed too often is failed instead: its server keeps dying on it.
async fn claim_next(env: &Env, config: &WorkerConfig) -> Result<Option<RunInput>> {
    let mut conn = env.store.conn().await?;
    let length = TimeDelta::from_std(config.lease).unwrap_or(TimeDelta::seconds(30));
    for (id, attempts) in q::claimable(&mut conn, env.store.now(), 16).await? {
        if env.live.works(id) {
            // Lapsed while this server still works it: the store took no renewal in
            // time. Its keeper renews it once the store answers; taking it over (or
            // failing it as abandoned) here would end or repeat a run that is alive.
            continue;
        }
        if attempts >= config.max_attempts {
            let message = format!(
                "interrupted {attempts} times: the servers running it stopped each time; \
                 nothing was applied"
            );
            if q::fail_abandoned(&mut conn, id, env.store.now(), &message).await? {
                tracing::warn!(
                    run_id = id,
                    attempts,
                    "failed a run whose servers kept stopping"
                );
            }
            continue;
        }
        let Some(lease) = q::claim(&mut conn, id, &config.owner, env.store.now(), length).await?
        else {
            continue;
        };
        if attempts > 0 {
            tracing::warn!(run_id = id, attempts, "took over a run whose lease lapsed");
        }
        let run = q::require(&mut conn, id).await?;
        let settings = settings::load(&mut conn, run.district_id).await?;
        return Ok(Some(RunInput {
            run,
            lease,
            settings,
        }));
    }
    Ok(None)
}

/// Runs one claimed run through its pipeline.
async fn execute(env: &Env, config: &WorkerConfig, input: RunInput) {
    execute_with(env, config, input, |env, input, control| async move {
        pipeline::run(&env, input, &control).await
    })
    .await
}

/// Runs one claimed run in a task of its own, with its keeper beside it, and ends it
/// FAILED if it stopped any other way than through its own end: an error, a panic
/// anywhere in it, or its deadline.
async fn execute_with<F, Fut>(env: &Env, config: &WorkerConfig, input: RunInput, run: F)
where
    F: FnOnce(Env, RunInput, Control) -> Fut,
    Fut: Future<Output = Result<()>> + Send + 'static,
{
    let lease = input.lease;
    let trigger = input.run.trigger;
    let _active = telemetry::Active::start();
    let (control, keeper) = keeper::keep(env.store.clone(), lease, config.lease, &env.live);
    let mut task = tokio::spawn(run(env.clone(), input, control));
    let result = tokio::time::timeout(config.deadline, &mut task).await;
    if result.is_err() {
        // Dropping the run's future rolls back a transaction it holds open.
        task.abort();
        let _ = task.await;
    }
    drop(keeper);
    let failure = match result {
        Ok(Ok(Ok(()))) => return,
        Ok(Ok(Err(e))) => e.to_string(),
        Ok(Err(join)) => format!(
            "internal error: the run stopped unexpectedly ({})",
            panic_text(join)
        ),
        Err(_) => format!(
            "the run took longer than {}, the limit of a run (--run-deadline); nothing was \
             applied",
            short_duration(config.deadline)
        ),
    };
    tracing::error!(run_id = lease.run_id, error = %failure, "run failed");
    if let Err(e) = fail(env, lease, trigger, failure).await {
        tracing::error!(run_id = lease.run_id, error = %e, "could not record the run's failure");
    }
}

async fn fail(env: &Env, lease: Lease, trigger: Trigger, message: String) -> Result<()> {
    if outcome::end(&env.store, lease, Outcome::Failed(message), None).await? {
        telemetry::run_ended(RunState::Failed, trigger, None, false);
    }
    Ok(())
}

fn panic_text(join: tokio::task::JoinError) -> String {
    match join.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into()),
        Err(join) => join.to_string(),
    }
}

#[cfg(test)]
mod tests;
