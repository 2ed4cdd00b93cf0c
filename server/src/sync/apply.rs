//! Applies a plan in one transaction, as bulk loads and batched multi-row statements
//! (`store::queries::roster`), and ends the run
//! in that same transaction: the roster changes, the run's SUCCEEDED state, its counts
//! and its issues commit together or not at all, so no crash at any instant can leave an
//! applied run that says otherwise (R7.6), and a failure leaves the roster exactly as it
//! was (R7.1). The run row is touched only by the last statement, so the lease keeper's
//! renewals never wait behind a long apply; that statement is the fence: it ends the run
//! only under the lease this worker claimed it with, and only if no cancel came first.

use super::outcome;
use super::plan::{People, Plan, Records};
use crate::domain::RecordKind;
use crate::store::fields::FieldChange;
use crate::store::models::HistoryRow;
use crate::store::queries::history;
use crate::store::queries::roster as q;
use crate::store::queries::runs::{Lease, RunEnd};
use crate::store::queries::settled;
use crate::store::queries::suppressions;
use crate::store::queries::undo;
use crate::store::{DbConn, StoreError};
use chrono::NaiveDateTime;
use foldhash::HashSet;
use futures::FutureExt;
use futures::channel::oneshot;
use futures::future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

/// Why an apply wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The run was cancelled, or is not this worker's any more: rolled back.
    #[error("the run was cancelled or taken over before its changes committed")]
    Fenced,
    /// A person of the district was erased after the plan was made (S6.1): the plan may
    /// name them, so nothing was written.
    #[error(
        "a person of this district was erased while the run was planning; nothing was \
         written: start the run again"
    )]
    Erased,
    /// The plan whose records were being written was not completed for the apply (it was
    /// blocked, or planning stopped): rolled back.
    #[error("the plan was withdrawn before it was complete; nothing was written")]
    Withdrawn,
    /// The finished plan no longer holds the records it handed over ([`Records::are_of`]):
    /// a planner bug, caught before anything committed.
    #[error("the plan changed records it had handed to the apply; nothing was written")]
    Diverged,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl crate::store::Conflict for ApplyError {
    fn is_conflict(&self) -> bool {
        matches!(self, ApplyError::Store(e) if e.is_conflict())
    }
}

/// What an apply writes: a plan's records, its accounts, then the rest of the plan and
/// how the run ends. A run applied as it plans ([`ToApply::streamed`]) hands over its
/// records (schools, classes, students) as soon as the planner has them, its accounts
/// (guardians, staff) once planned, and its rest once the plan is complete: the store
/// writes each part meanwhile, in the one transaction, on the core the planner leaves
/// idle, so a first sync's planning of its accounts, links, journal and undo log costs
/// little time of its own.
pub struct ToApply {
    records: Arc<Records>,
    people: future::Shared<oneshot::Receiver<Arc<People>>>,
    rest: future::Shared<oneshot::Receiver<Rest>>,
}

/// The whole plan, once planned, and the run's end the apply commits with it.
#[derive(Clone)]
pub struct Rest {
    pub plan: Arc<Plan>,
    pub end: RunEnd,
}

/// Where a streamed plan sends its parts after the records. A sender dropped without
/// sending withdraws the plan: the apply rolls back ([`ApplyError::Withdrawn`]).
pub struct Senders {
    pub people: oneshot::Sender<Arc<People>>,
    pub rest: oneshot::Sender<Rest>,
}

impl ToApply {
    /// A plan made already, and how its run ends.
    pub fn whole(plan: Arc<Plan>, end: RunEnd) -> ToApply {
        let (to_apply, rest) = ToApply::planned(&plan);
        // The receiver is held by `to_apply`, so the send cannot fail.
        let _ = rest.send(Rest { plan, end });
        to_apply
    }

    /// A plan made already, its rest (the plan again, with how its run ends) through the
    /// sender.
    pub fn planned(plan: &Plan) -> (ToApply, oneshot::Sender<Rest>) {
        let (to_apply, send) = ToApply::streamed(plan.records());
        let _ = send.people.send(Arc::new(plan.people()));
        (to_apply, send.rest)
    }

    /// A plan's records now, its accounts and its rest through the senders.
    pub fn streamed(records: Records) -> (ToApply, Senders) {
        let (people, people_rx) = oneshot::channel();
        let (rest, rest_rx) = oneshot::channel();
        let to_apply = ToApply {
            records: Arc::new(records),
            people: people_rx.shared(),
            rest: rest_rx.shared(),
        };
        (to_apply, Senders { people, rest })
    }
}

/// Writes the plan and ends the run as the plan's [`Rest`] says, all in one transaction.
/// `written` counts the plan's rows as they are sent (from 0 again if the transaction is
/// retried), out of [`Plan::change_count`]: the run's progress while it applies. Once
/// `stopping` is set (the run was cancelled, or lost), the next statement rolls
/// everything back and the apply is [`ApplyError::Fenced`]: on SQLite the apply holds the
/// one write lock, so a cancel could not reach the store's fence before the commit. True
/// when the run left the district settled on its source (`super::settled`).
pub async fn apply(
    conn: &mut DbConn,
    to_apply: ToApply,
    lease: Lease,
    now: NaiveDateTime,
    written: Arc<AtomicI64>,
    stopping: Arc<AtomicBool>,
) -> Result<bool, ApplyError> {
    let ToApply {
        records,
        people,
        rest,
    } = to_apply;
    let stopped = move |stopping: &AtomicBool| stopping.load(Ordering::Relaxed);
    conn.transaction::<_, ApplyError, _>(move |c| {
        let (records, people, rest) = (records.clone(), people.clone(), rest.clone());
        let (written, stopping) = (written.clone(), stopping.clone());
        Box::pin(async move {
            if stopped(&stopping) {
                return Err(ApplyError::Fenced);
            }
            // First, and locked: an erasure committing from here on waits for this
            // transaction; one committed before it is seen.
            let suppressions = suppressions::ids_locked(c, records.district_id).await?;
            if suppressions
                .iter()
                .any(|id| !records.suppressions_seen.contains(id))
            {
                return Err(ApplyError::Erased);
            }
            c.count_rows_into(Some(written));
            c.stop_writes_when(Some(stopping.clone()));
            let wrote = write_plan(c, &records, people, rest, lease.run_id, now).await;
            c.count_rows_into(None);
            c.stop_writes_when(None);
            let Rest { plan, end } = match wrote {
                Err(ApplyError::Store(StoreError::Stopped)) => return Err(ApplyError::Fenced),
                wrote => wrote?,
            };
            let settled = settled_after(c, &plan, lease.run_id).await?;
            // A stop after the last statement: the fence reads only what reached the store.
            if stopped(&stopping) {
                return Err(ApplyError::Fenced);
            }
            let issues = outcome::issue_rows(Some(&plan), lease.run_id);
            if outcome::write(c, lease, &end, &issues, true).await? {
                Ok(settled)
            } else {
                Err(ApplyError::Fenced)
            }
        })
    })
    .await
}

/// The run leaves the district settled on the source it read (`super::settled`), unless
/// it read no digest or a write to the roster came since it claimed the district; a plan
/// that changed the roster and does not settle it ends whatever settled source stood.
/// True when it settled the district.
async fn settled_after(c: &mut DbConn, plan: &Plan, run_id: i64) -> Result<bool, StoreError> {
    let settles = match super::settled::proof(plan, run_id) {
        Some(proof) => settled::settle(c, &proof).await?,
        None => false,
    };
    if !settles && !plan.is_empty() {
        settled::forget(c, plan.district_id).await?;
    }
    Ok(settles)
}

/// Writes the records, then the accounts once planned, then, once the plan is complete,
/// the rest of it.
async fn write_plan(
    c: &mut DbConn,
    records: &Records,
    people: future::Shared<oneshot::Receiver<Arc<People>>>,
    rest: future::Shared<oneshot::Receiver<Rest>>,
    run_id: i64,
    now: NaiveDateTime,
) -> Result<Rest, ApplyError> {
    q::write_schools(c, &records.schools).await?;
    q::write_classes(c, &records.classes).await?;
    q::write_students(c, &records.students).await?;
    let people = people.await.map_err(|_| ApplyError::Withdrawn)?;
    let keep_contact = keep_contact(c, &people).await?;
    q::write_guardians(c, &people.guardians, &keep_contact).await?;
    q::write_staff(c, &people.staff, &keep_contact).await?;
    let rest = rest.await.map_err(|_| ApplyError::Withdrawn)?;
    if !records.are_of(&rest.plan) || !people.are_of(&rest.plan) {
        return Err(ApplyError::Diverged);
    }
    write_rest(c, &rest.plan, &keep_contact, run_id, now).await?;
    Ok(rest)
}

/// Writes what links the records, what the run abandons and restores, its journal (less
/// the contact changes `keep_contact` kept out beyond the plan's) and its undo log.
async fn write_rest(
    c: &mut DbConn,
    plan: &Plan,
    keep_contact: &HashSet<i64>,
    run_id: i64,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let district = plan.district_id;
    q::remove_school_students(c, district, &plan.remove_school_students).await?;
    q::remove_school_staff(c, district, &plan.remove_school_staff).await?;
    q::remove_class_students(c, district, &plan.remove_class_students).await?;
    q::remove_class_teachers(c, district, &plan.remove_class_teachers).await?;
    q::remove_links(c, district, &plan.remove_links).await?;
    q::add_school_students(c, &plan.add_school_students).await?;
    q::add_school_staff(c, &plan.add_school_staff).await?;
    q::add_class_students(c, &plan.add_class_students).await?;
    q::add_class_teachers(c, &plan.add_class_teachers).await?;
    q::add_links(c, &plan.add_links).await?;
    q::insert_abandoned(c, &plan.abandoned).await?;
    q::restore_abandoned(c, &plan.restored, run_id, now).await?;
    undo::reopen_abandoned(c, district, &plan.reopened).await?;
    undo::delete_records(c, district, &plan.deleted).await?;
    if keep_contact.len() == plan.keep_contact.len() {
        history::insert(c, &plan.journal).await?;
    } else {
        let journal = without_contact(&plan.journal, keep_contact, &plan.keep_contact);
        history::insert(c, &journal).await?;
    }
    if !plan.deleted.is_empty() {
        let ids: Vec<i64> = plan.deleted.ids().collect();
        undo::delete_history(c, district, &ids).await?;
    }
    if !plan.undo.is_empty() {
        undo::save(c, district, run_id, &plan.undo).await?;
    }
    Ok(())
}

/// The accounts whose contact columns the apply leaves alone: those the plan says, and,
/// unless the district updates active users, those activated since the plan was made
/// (R4.6): the plan took them for invitees, but from their activation on their contact
/// is theirs.
async fn keep_contact(c: &mut DbConn, people: &People) -> Result<HashSet<i64>, StoreError> {
    let mut keep = HashSet::clone(&people.keep_contact);
    if people.update_active_users {
        return Ok(keep);
    }
    let changed = |ids: &mut Vec<i64>, id: i64| {
        if !keep.contains(&id) {
            ids.push(id);
        }
    };
    let (mut guardians, mut staff) = (Vec::new(), Vec::new());
    people
        .guardians
        .changed
        .iter()
        .for_each(|g| changed(&mut guardians, g.id));
    people
        .staff
        .changed
        .iter()
        .for_each(|s| changed(&mut staff, s.id));
    keep.extend(q::activated_guardians(c, &guardians).await?);
    keep.extend(q::activated_staff(c, &staff).await?);
    Ok(keep)
}

/// The journal without the contact changes the apply left out for accounts activated
/// since planning (R4.6): the history says what was written, not what was planned.
fn without_contact(
    journal: &[HistoryRow],
    kept: &HashSet<i64>,
    planned: &HashSet<i64>,
) -> Vec<HistoryRow> {
    const CONTACT: [&str; 3] = ["email", "sms_number", "home_phone"];
    journal
        .iter()
        .filter_map(|row| {
            let account = matches!(row.record_kind, RecordKind::Guardian | RecordKind::Staff);
            if !account
                || row.related_id.is_some()
                || !kept.contains(&row.record_id)
                || planned.contains(&row.record_id)
            {
                return Some(row.clone());
            }
            let fields: Vec<FieldChange> = FieldChange::from_json(&row.fields)
                .into_iter()
                .filter(|f| !CONTACT.contains(&f.0.as_str()))
                .collect();
            (!fields.is_empty()).then(|| HistoryRow {
                fields: FieldChange::to_json(&fields),
                ..row.clone()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
