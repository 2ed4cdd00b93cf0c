//! Typed calls of `roster.v1.SyncService` for reviewed plans (R9.1): what a planned run
//! would change, and approving or rejecting it; and for undo (R9.2): reverting a run and
//! resuming the schedule the revert paused.
//!
//! A district with `require_approval` has every run stop after planning, in state
//! `AwaitingApproval`; a `Blocked` run keeps its plan too, so approving it is the override
//! of the abandon thresholds. A revert run is planned and reviewed the same way.

use crate::sync::run_of;
use crate::types::{all, required, wire};
use crate::{
    Error, ItemStream, Page, PageRequest, PlannedChange, PlannedChangeFilter, RosterClient,
    SyncHandle, SyncRun, SyncSettings, pb,
};

impl RosterClient {
    /// Every change of a run's plan that passes the filter, in plan order.
    ///
    /// The run is `AwaitingApproval`, `Blocked`, or a dry run; for a run that kept no
    /// plan the call fails with [`Error::FailedPrecondition`].
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use roster_client::{PlannedChangeAction, PlannedChangeFilter};
    ///
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let filter = PlannedChangeFilter {
    ///     action: Some(PlannedChangeAction::Abandon),
    ///     ..Default::default()
    /// };
    /// let abandons: Vec<_> = client.list_planned_changes("7", filter).try_collect().await?;
    /// for change in &abandons {
    ///     println!("{} {} {}", change.action, change.record_kind, change.display_name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_planned_changes(
        &self,
        run_id: &str,
        filter: PlannedChangeFilter,
    ) -> ItemStream<PlannedChange> {
        let run_id = run_id.to_owned();
        self.stream(move |client, page| {
            let run_id = run_id.clone();
            async move {
                client
                    .list_planned_changes_page(&run_id, filter, page)
                    .await
            }
        })
    }

    /// One page of a run's planned changes that pass the filter, in plan order.
    pub async fn list_planned_changes_page(
        &self,
        run_id: &str,
        filter: PlannedChangeFilter,
        page: PageRequest,
    ) -> Result<Page<PlannedChange>, Error> {
        let request = pb::ListPlannedChangesRequest {
            run_id: run_id.to_owned(),
            record_kind: wire(filter.record_kind),
            action: wire(filter.action),
            page_size: page.size(),
            page_token: page.token(),
        };
        let response = self
            .read(self.sync(), request, |mut s, r| async move {
                s.list_planned_changes(r).await
            })
            .await?;
        Ok(Page::new(all(response.changes)?, response.next_page_token))
    }

    /// Applies exactly the stored plan of a run `AwaitingApproval` or `Blocked`: the run is
    /// queued again and applies the plan it showed. Returns a handle on it, as
    /// [`Self::start_sync`] does, to [`wait`](SyncHandle::wait) for its end.
    ///
    /// Fails with [`Error::FailedPrecondition`], reason `PLAN_STALE` if a record the plan
    /// touches changed since planning (start a new run), `PLAN_EXPIRED` past the
    /// district's `plan_ttl`. With a `request_id` the call is idempotent (approving again
    /// returns the run) and so retried on `UNAVAILABLE`.
    ///
    /// ```no_run
    /// use std::time::Duration;
    ///
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let run = client
    ///     .approve_sync("7", Some("approve-7"))
    ///     .await?
    ///     .wait(Duration::from_secs(300))
    ///     .await?;
    /// println!("{} {}", run.id, run.state);
    /// # Ok(()) }
    /// ```
    pub async fn approve_sync(
        &self,
        run_id: &str,
        request_id: Option<&str>,
    ) -> Result<SyncHandle, Error> {
        let request = pb::ApproveSyncRequest {
            run_id: run_id.to_owned(),
            request_id: request_id.unwrap_or_default().to_owned(),
        };
        let response = self
            .write_keyed(
                request_id.is_some(),
                self.sync(),
                request,
                |mut s, r| async move { s.approve_sync(r).await },
            )
            .await?;
        Ok(SyncHandle::new(self.clone(), run_of(response.run)?))
    }

    /// Discards the plan of a run `AwaitingApproval` or `Blocked`; the run ends
    /// `Cancelled` and nothing is written. Returns the run.
    pub async fn reject_sync(&self, run_id: &str) -> Result<SyncRun, Error> {
        let request = pb::RejectSyncRequest {
            run_id: run_id.to_owned(),
        };
        let response = self
            .write(self.sync(), request, |mut s, r| async move {
                s.reject_sync(r).await
            })
            .await?;
        run_of(response.run)
    }

    /// Starts a run (trigger [`Revert`](crate::SyncTrigger::Revert)) that reverses every
    /// change of `run_id`, so the roster is as it was before it (R9.2). Returns a handle on
    /// the revert run, `Queued`, as [`Self::start_sync`] does, to
    /// [`wait`](SyncHandle::wait) for its end; the run names `run_id` in its
    /// `reverted_run_id`.
    ///
    /// The revert is a run of its own: it has its own report and safety check, and stops
    /// `AwaitingApproval` where the district requires approval. Reverting also pauses the
    /// district's schedule (`schedule_paused`), so the next scheduled run does not apply
    /// again what was undone; it stays paused until [`Self::resume_schedule`].
    ///
    /// Fails with [`Error::FailedPrecondition`], reason `NOT_LATEST_RUN` if a later run
    /// changed the district (revert that one first), `NOTHING_TO_REVERT` if `run_id`
    /// applied nothing (or its undo log is gone). With a `request_id` the call is
    /// idempotent (the same id returns the same revert run) and so retried on
    /// `UNAVAILABLE`.
    ///
    /// ```no_run
    /// use std::time::Duration;
    ///
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let run = client
    ///     .revert_sync("7", Some("revert-7"))
    ///     .await?
    ///     .wait(Duration::from_secs(300))
    ///     .await?;
    /// println!("{} {} reverts {:?}", run.id, run.state, run.reverted_run_id);
    /// client.resume_schedule(&run.district_id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn revert_sync(
        &self,
        run_id: &str,
        request_id: Option<&str>,
    ) -> Result<SyncHandle, Error> {
        let request = pb::RevertSyncRequest {
            run_id: run_id.to_owned(),
            request_id: request_id.unwrap_or_default().to_owned(),
        };
        let response = self
            .write_keyed(
                request_id.is_some(),
                self.sync(),
                request,
                |mut s, r| async move { s.revert_sync(r).await },
            )
            .await?;
        Ok(SyncHandle::new(self.clone(), run_of(response.run)?))
    }

    /// Resumes a district's schedule paused by [`Self::revert_sync`] (R9.2): the next
    /// scheduled run is due from now by the schedule. Returns the settings after the
    /// change, `schedule_paused` off.
    ///
    /// Resuming a schedule that is not paused changes nothing, so the call is idempotent
    /// and retried on `UNAVAILABLE`.
    pub async fn resume_schedule(&self, district_id: &str) -> Result<SyncSettings, Error> {
        let request = pb::ResumeScheduleRequest {
            district_id: district_id.to_owned(),
        };
        let response = self
            .write_keyed(true, self.sync(), request, |mut s, r| async move {
                s.resume_schedule(r).await
            })
            .await?;
        required(response.settings, "settings")?.try_into()
    }
}
