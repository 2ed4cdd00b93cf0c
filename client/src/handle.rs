//! A started (or approved, or reverting) sync run: wait for its end or watch its progress.

use crate::{Error, ItemStream, RosterClient, SyncRun};
use futures::TryStreamExt;
use std::time::Duration;

/// How often `wait` asks for the run's state when the watch stream ended early.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// A sync run started by [`RosterClient::start_sync`] or [`RosterClient::revert_sync`],
/// or queued again by [`RosterClient::approve_sync`].
///
/// ```no_run
/// use futures::TryStreamExt;
/// use roster_client::StartSync;
///
/// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
/// let handle = client.start_sync(StartSync::new("1")).await?;
/// let mut snapshots = handle.watch();
/// while let Some(run) = snapshots.try_next().await? {
///     let phase = run.phase.map(|p| p.to_string()).unwrap_or_default();
///     println!("{} {phase} {}/{}", run.state, run.progress.records_done, run.progress.records_total);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SyncHandle {
    client: RosterClient,
    run: SyncRun,
}

impl SyncHandle {
    pub(crate) fn new(client: RosterClient, run: SyncRun) -> Self {
        SyncHandle { client, run }
    }

    /// The run as `StartSync` (or `ApproveSync`, `RevertSync`) returned it.
    pub fn run(&self) -> &SyncRun {
        &self.run
    }

    /// The run's id.
    pub fn id(&self) -> &str {
        &self.run.id
    }

    /// The run as it is now.
    pub async fn status(&self) -> Result<SyncRun, Error> {
        self.client.get_sync_status(&self.run.id).await
    }

    /// Cancels the run (see [`RosterClient::cancel_sync`]).
    pub async fn cancel(&self) -> Result<SyncRun, Error> {
        self.client.cancel_sync(&self.run.id).await
    }

    /// Snapshots of the run as it moves through its phases, until it stops moving (see
    /// [`RosterClient::watch_sync`]).
    pub fn watch(&self) -> ItemStream<SyncRun> {
        self.client.watch_sync(&self.run.id)
    }

    /// Waits until the run stops moving and returns it: at a final state, or at
    /// `AwaitingApproval`, where it stays until someone approves or rejects its plan (see
    /// [`SyncState::moves_on`](crate::SyncState::moves_on)). [`Error::Timeout`] if it has
    /// not after `timeout` (the run goes on).
    ///
    /// A `Blocked`, `Failed` or `AwaitingApproval` run is returned, not an error: check
    /// its `state`.
    pub async fn wait(&self, timeout: Duration) -> Result<SyncRun, Error> {
        tokio::time::timeout(timeout, self.until_settled())
            .await
            .map_err(|_| Error::Timeout {
                message: format!("sync run {} did not end within {timeout:?}", self.run.id),
            })?
    }

    async fn until_settled(&self) -> Result<SyncRun, Error> {
        let mut snapshots = self.watch();
        while let Some(run) = snapshots.try_next().await? {
            if !run.state.moves_on() {
                return Ok(run);
            }
        }
        // The stream ended before the run stopped (a server restart, say): poll instead.
        loop {
            let run = self.status().await?;
            if !run.state.moves_on() {
                return Ok(run);
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// The run as `StartSync` (or `ApproveSync`, `RevertSync`) returned it, dropping the
    /// handle.
    pub fn into_run(self) -> SyncRun {
        self.run
    }
}
