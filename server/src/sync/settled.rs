//! Runs that need not plan. Syncing the same source again changes nothing (R7.4), so
//! when a district's roster has not been written since a run of a source applied its
//! plan (of changes or of nothing), a run of a source that reads the same plans nothing:
//! it ends SUCCEEDED at once, with the counts and issues planning would give ([`proof`]:
//! every record the source keeps counted unchanged, the same rows skipped and invalid,
//! the same issues less those that described the proving run's own changes), without
//! loading the roster or planning. This is what makes the resync right after a first
//! sync, and every scheduled run of a district whose SIS did not change, cost a digest.
//! "Reads the same" is a digest of what the source gave, of the planning settings and of
//! this build (a new release may plan otherwise): a file source's bytes, digested before
//! they are read, so a byte-identical export is not even parsed (and vouched for only if
//! no file changed while the run read them); a live source's snapshot, its records.
//! The planner reads the clock only for classes gone from the source (R5.10), which an
//! applied plan has archived, so no time passing unsettles a district.
//!
//! The proof is kept per district (`store::queries::settled`): a run claims it before
//! loading the roster; the apply's transaction settles the claim, unless a write to the
//! roster replaced it meanwhile (then a plan that changed something forgets it); every
//! edit, erasure or lifted suppression forgets it in its own transaction. Debug builds
//! plan every settled run in full as well and stop the process if the plan is not empty
//! or reports otherwise (`pipeline::check_settled`): every test that syncs twice checks
//! the proof.

use super::env::Env;
use super::fetch;
use super::plan::{Plan, Policy};
use crate::domain::{Error, IssueCode, Result, Run, Source, SyncSettings, Trigger};
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
    let mut issues = reports::issues_of(&mut conn, row.run_id).await?;
    issues.retain(|i| IssueCode::parse(&i.code).is_none_or(IssueCode::recurs));
    if issues.len() as i64 != row.issue_count {
        return Ok(None);
    }
    Ok(Some((row, issues)))
}

/// The proof a run that applies `plan` leaves, when it read the source's digest: the
/// roster is in step with that source from the commit on, so a run of it would plan
/// nothing (R7.4) and would report the plan's counts again ([`Plan::counts_again`]) and
/// the issues that recur. None when the run read no digest to vouch for.
pub fn proof(plan: &Plan, run_id: i64) -> Option<SettledRow> {
    Some(SettledRow {
        district_id: plan.district_id,
        run_id,
        digest: plan.settles.clone()?,
        counts: serde_json::to_string(&plan.counts_again).ok()?,
        issue_count: plan.issues.iter().filter(|i| i.code.recurs()).count() as i64,
    })
}

/// Claims the district for `run` only if run `settled_by` has it settled still: true
/// when it did, and the roster is as that run left it (`super::warm`).
pub async fn claim_after(store: &Store, run: &Run, settled_by: i64) -> Result<bool> {
    let mut conn = store.conn().await?;
    Ok(settled::claim_after(&mut conn, run.district_id, settled_by, run.id).await?)
}

/// Claims the district for `run`, which is about to load its roster.
pub async fn claim(store: &Store, run: &Run) -> Result<()> {
    let mut conn = store.conn().await?;
    settled::claim(&mut conn, run.district_id, run.id).await?;
    Ok(())
}
