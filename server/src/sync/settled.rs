//! Runs that need not plan. Syncing the same source again changes nothing (R7.4), so
//! when a district's roster has not been written since a run of a source planned
//! nothing, a run of a source that reads the same plans nothing either: it ends
//! SUCCEEDED at once, with the counts and issues of the run that proved it, without
//! loading the roster or planning. "Reads the same" is a digest of what the source
//! gave, of the planning settings and of this build (a new release may plan otherwise):
//! a file source's bytes, digested before they are read, so a byte-identical export is
//! not even parsed (and vouched for only if no file changed while the run read them); a
//! live source's snapshot, its records.
//! The planner reads the clock only for classes gone from the source (R5.10), which a
//! plan of nothing has already archived, so no time passing unsettles a district.
//!
//! The proof is kept per district (`store::queries::settled`): a run claims it before
//! loading the roster; an empty plan settles the claim in the apply's transaction,
//! unless a write to the roster replaced it meanwhile; every applied change and every
//! edit, erasure or lifted suppression forgets it in its own transaction.

use super::env::Env;
use super::fetch;
use super::plan::Policy;
use crate::domain::{Error, Result, Run, Source, SyncSettings, Trigger};
use crate::snapshot::Snapshot;
use crate::sources::oneroster::csv::FilesDigest;
use crate::store::Store;
use crate::store::models::{IssueRow, SettledRow};
use crate::store::queries::{reports, settled};

/// Whether a run may end without planning, or settle the district by planning nothing:
/// a sync whose plan no person reviews (R9.1) and that is applied: not a dry run, not
/// one awaiting or given approval, not a revert (which plans from an undo log).
pub fn may_settle(run: &Run, settings: &SyncSettings) -> bool {
    run.trigger != Trigger::Revert && !run.dry_run && !run.approved && !settings.require_approval
}

/// What a plan depends on besides the source and the roster: the settings the planner
/// reads and this build (its code, by `build.rs`); and what was digested (`what`), so that a digest of files and
/// one of records never match each other.
fn salt(run: &Run, settings: &SyncSettings, what: &str) -> Vec<u8> {
    let policy = Policy::of(settings, run.override_threshold);
    format!("{what} {} {policy:?}", env!("ROSTER_BUILD_ID")).into_bytes()
}

/// The digest of a file source's bytes, taken before they are read: when it is the
/// settled one, the run need not read them at all.
pub async fn files_digest(
    env: &Env,
    run: &Run,
    settings: &SyncSettings,
    source: &Source,
) -> Option<FilesDigest> {
    fetch::files_digest(source, env, salt(run, settings, "files")).await
}

/// The digest of the snapshot a live source gave (on a blocking thread: it reads every
/// record).
pub async fn snapshot_digest(
    run: &Run,
    settings: &SyncSettings,
    snapshot: Snapshot,
) -> Result<(Snapshot, String)> {
    let salt = salt(run, settings, "records");
    let (snapshot, digest) = tokio::task::spawn_blocking(move || {
        let digest = snapshot.digest(&salt);
        (snapshot, digest)
    })
    .await
    .map_err(|e| Error::Internal(format!("digest stopped: {e}")))?;
    Ok((snapshot, digest.map_err(Error::Internal)?))
}

/// The district's settled source when its digest is `digest`, with the issues of the run
/// that settled it. A settled run whose report the janitor has since swept (S2.2)
/// cannot be reported again: none, and the run plans.
pub async fn find(
    store: &Store,
    district_id: i64,
    digest: &str,
) -> Result<Option<(SettledRow, Vec<IssueRow>)>> {
    let mut conn = store.conn().await?;
    let Some(row) = settled::find(&mut conn, district_id).await? else {
        return Ok(None);
    };
    if row.digest != digest {
        return Ok(None);
    }
    let issues = reports::issues_of(&mut conn, row.run_id).await?;
    if issues.len() as i64 != row.issue_count {
        return Ok(None);
    }
    Ok(Some((row, issues)))
}

/// Claims the district for `run`, which is about to load its roster.
pub async fn claim(store: &Store, run: &Run) -> Result<()> {
    let mut conn = store.conn().await?;
    settled::claim(&mut conn, run.district_id, run.id).await?;
    Ok(())
}
