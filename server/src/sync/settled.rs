//! Runs that need not plan. Syncing the same source again changes nothing (R7.4), so
//! when a district's roster has not been written since a run of a source planned
//! nothing, a run of a source that reads the same plans nothing either: it ends
//! SUCCEEDED at once, with the counts and issues of the run that proved it, without
//! loading the roster or planning. "Reads the same" is the digest of the snapshot's
//! records, the planning settings and this build (a new release may plan differently).
//! The planner reads the clock only for classes gone from the source (R5.10), which a
//! plan of nothing has already archived, so no time passing unsettles a district.
//!
//! The proof is kept per district (`store::queries::settled`): a run claims it before
//! loading the roster; an empty plan settles the claim in the apply's transaction,
//! unless a write to the roster replaced it meanwhile; every applied change and every
//! edit, erasure or lifted suppression forgets it in its own transaction.

use super::plan::Policy;
use crate::domain::{Error, Result, Run, SyncSettings, Trigger};
use crate::snapshot::Snapshot;
use crate::store::Store;
use crate::store::models::{IssueRow, SettledRow};
use crate::store::queries::{reports, settled};

/// What a run's source says against the district's settled one.
pub enum Checked {
    /// The same: the run ends with what `SettledRow`'s run reported, these issues.
    Settled(SettledRow, Vec<IssueRow>),
    /// Not (or no longer) known: the run plans, and the digest settles an empty plan.
    Unsettled(Box<Snapshot>, String),
}

/// Whether a run may end without planning, or settle the district by planning nothing:
/// a sync whose plan no person reviews (R9.1) and that is applied: not a dry run, not
/// one awaiting or given approval, not a revert (which plans from an undo log).
pub fn may_settle(run: &Run, settings: &SyncSettings) -> bool {
    run.trigger != Trigger::Revert && !run.dry_run && !run.approved && !settings.require_approval
}

/// Digests the snapshot (on a blocking thread: it reads every record) and compares it
/// with the district's settled source. A settled run whose report the janitor has since
/// swept (S2.2) cannot be reported again: the run plans.
pub async fn check(
    store: &Store,
    run: &Run,
    settings: &SyncSettings,
    snapshot: Snapshot,
) -> Result<Checked> {
    let policy = Policy::of(settings, run.override_threshold);
    let salt = format!("{} {policy:?}", env!("CARGO_PKG_VERSION")).into_bytes();
    let (snapshot, digest) = tokio::task::spawn_blocking(move || {
        let digest = snapshot.digest(&salt);
        (snapshot, digest)
    })
    .await
    .map_err(|e| Error::Internal(format!("digest stopped: {e}")))?;
    let digest = digest.map_err(Error::Internal)?;
    let mut conn = store.conn().await?;
    let Some(row) = settled::find(&mut conn, run.district_id).await? else {
        return Ok(Checked::Unsettled(Box::new(snapshot), digest));
    };
    if row.digest != digest {
        return Ok(Checked::Unsettled(Box::new(snapshot), digest));
    }
    let issues = reports::issues_of(&mut conn, row.run_id).await?;
    if issues.len() as i64 != row.issue_count {
        return Ok(Checked::Unsettled(Box::new(snapshot), digest));
    }
    Ok(Checked::Settled(row, issues))
}

/// Claims the district for `run`, which is about to load its roster.
pub async fn claim(store: &Store, run: &Run) -> Result<()> {
    let mut conn = store.conn().await?;
    settled::claim(&mut conn, run.district_id, run.id).await?;
    Ok(())
}
