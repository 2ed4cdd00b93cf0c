//! One run, top to bottom: fetch -> validate -> plan -> check -> apply, then its end.
//! The run's input (the run, the district's settings and secret) is loaded once by the
//! worker; each step reads what the one before produced, and every way out goes through
//! `outcome` (or, for an applied plan, through the apply's transaction).

use super::apply::{ApplyError, Rest, ToApply, apply};
use super::env::Env;
use super::fetch::fetch;
use super::history;
use super::keeper::{Control, Stop};
use super::outcome::{self, Kept, Outcome};
use super::plan::changes::{self, Change};
use super::plan::undo::Undo;
use super::plan::{self, Handoff, People, Plan, Policy, RunContext};
use super::revert;
use super::review;
use super::settled;
use super::telemetry;
use crate::domain::{Error, Result, Run, RunPhase, RunState, Source, SyncSettings, Trigger, now};
use crate::snapshot::Snapshot;
use crate::store::State;
use crate::store::models::{IssueRow, SettledRow, SuppressionRow};
use crate::store::queries::roster::{self, Loading};
use crate::store::queries::runs::Lease;
use crate::store::queries::{plans, runs, uploads};
use futures::channel::oneshot;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What a run needs, loaded once when a worker claims it.
#[derive(Debug)]
pub struct RunInput {
    pub run: Run,
    pub lease: Lease,
    pub settings: SyncSettings,
}

/// Runs the pipeline of a claimed run until it ends.
pub async fn run(env: &Env, input: RunInput, control: &Control) -> Result<()> {
    let lease = input.lease;
    let (trigger, dry_run) = (input.run.trigger, input.run.dry_run);
    let ended = |outcome: Outcome, plan: Option<Plan>| async move {
        let state = outcome.state();
        if outcome::end(&env.store, lease, outcome, plan.as_ref()).await? {
            telemetry::run_ended(state, trigger, plan.as_ref(), dry_run);
        }
        Ok(())
    };
    tracing::info!(
        run_id = lease.run_id,
        district_id = input.run.district_id,
        dry_run = input.run.dry_run,
        "run started"
    );
    let (planned, mut applying) = if trigger == Trigger::Revert {
        let timer = Instant::now();
        let planned = match revert_step(env, &input, control).await? {
            Step::Next(p) => p,
            Step::End(outcome) => return ended(outcome, None).await,
            Step::Lost => return Ok(()),
        };
        telemetry::phase_done(RunPhase::Planning, timer.elapsed());
        (planned, None)
    } else {
        let timer = Instant::now();
        let (snapshot, loading, settles) = match read_step(env, &input, control).await? {
            Step::Next(Read::Fetched(snapshot, loading, settles)) => (*snapshot, loading, settles),
            Step::Next(Read::Settled(row, issues)) => {
                return settled_end(env, &input, &row, &issues).await;
            }
            Step::End(outcome) => return ended(outcome, None).await,
            Step::Lost => return Ok(()),
        };
        telemetry::phase_done(RunPhase::Fetching, timer.elapsed());
        let timer = Instant::now();
        let (snapshot, state) = match validate_step(control, snapshot, loading).await? {
            Step::Next(v) => v,
            Step::End(outcome) => return ended(outcome, None).await,
            Step::Lost => return Ok(()),
        };
        telemetry::phase_done(RunPhase::Validating, timer.elapsed());
        let timer = Instant::now();
        let (mut planned, applying) = plan_step(env, &input, control, snapshot, state).await?;
        planned.plan.settles = settles;
        telemetry::phase_done(RunPhase::Planning, timer.elapsed());
        (planned, applying)
    };
    let Planned {
        plan,
        snapshot,
        review,
        blank,
    } = planned;
    let run = &input.run;
    let kept = |digest: String| Kept {
        expires_at: env.store.now() + input.settings.plan_ttl,
        digest,
    };
    if let Some((changes, digest)) = review {
        // Only a blocked plan's records can have been written: rolled back before anything
        // else.
        Applying::withdraw(&mut applying).await;
        let mut conn = env.store.conn().await?;
        if run.approved {
            let approved = runs::plan_digest(&mut conn, run.id).await?;
            if let Err(stale) = review::check_digest(run.id, &approved, &digest) {
                return ended(failed(stale), None).await;
            }
        } else if let Some(block) = plan.safety_block.clone() {
            review::keep(&mut conn, run.id, &changes, snapshot.as_ref()).await?;
            return ended(Outcome::Blocked(block, kept(digest)), Some(plan)).await;
        } else if run.dry_run {
            review::keep(&mut conn, run.id, &changes, None).await?;
            return ended(Outcome::Succeeded, Some(plan)).await;
        } else {
            review::keep(&mut conn, run.id, &changes, snapshot.as_ref()).await?;
            let district_id = run.district_id;
            let kept = kept(digest);
            return ended(Outcome::AwaitingApproval { district_id, kept }, Some(plan)).await;
        }
    }
    // Kept only for a review, done with now: an approved plan is applied without it.
    drop(snapshot);
    match must_stop::<()>(control) {
        None => {}
        stop => {
            Applying::withdraw(&mut applying).await;
            return match stop {
                Some(Step::End(outcome)) => ended(outcome, Some(plan)).await,
                _ => Ok(()),
            };
        }
    }
    let timer = Instant::now();
    let applied = apply_step(env, lease, control, plan, blank, trigger, applying).await;
    telemetry::phase_done(RunPhase::Applying, timer.elapsed());
    if run.approved {
        // Applied or not, the plan is done with; an expiry sweep would drop it otherwise.
        if let Ok(mut conn) = env.store.conn().await {
            let _ = plans::discard_snapshot(&mut conn, run.id).await;
        }
    }
    applied
}

/// A plan and, for a plan a person reviews (R9.1), its changes and digest, and the
/// snapshot it was made from (none for a revert, whose approval plans again from the
/// reverted run's undo log).
struct Planned {
    plan: Plan,
    snapshot: Option<Snapshot>,
    review: Option<(Vec<Change>, String)>,
    /// Made against a district with no roster yet (its first sync): the suppressions
    /// that stood, with which the applied plan is the roster it leaves
    /// (`Plan::take_first_roster`).
    blank: Option<Vec<SuppressionRow>>,
}

/// A run that fails on `e`, its reason code (PLAN_STALE) leading the message.
fn failed(e: Error) -> Outcome {
    Outcome::Failed(match e {
        Error::FailedPrecondition { reason, message } => format!("{reason}: {message}"),
        other => other.to_string(),
    })
}

/// Where a step leaves the run.
enum Step<T> {
    Next(T),
    /// The run ends here, with nothing applied.
    End(Outcome),
    /// Another worker holds the run now: this one writes nothing more.
    Lost,
}

/// Where the run goes instead of the next step, when it must stop.
fn must_stop<T>(control: &Control) -> Option<Step<T>> {
    match control.stop() {
        Stop::No => None,
        Stop::Cancel => Some(Step::End(Outcome::Cancelled)),
        Stop::Lost => Some(Step::Lost),
    }
}

/// Reads the source. A live source can take minutes: a cancel stops the fetch itself,
/// not only the next step, and the records received so far show as progress. An
/// approved run reads the snapshot its plan was made from instead (R9.1).
async fn fetch_step(env: &Env, input: &RunInput, control: &Control) -> Step<Snapshot> {
    control.progress.set(RunPhase::Fetching, 0, 0);
    if input.run.approved {
        let kept = match env.store.conn().await {
            Ok(mut conn) => review::kept_snapshot(&mut conn, input.run.id).await,
            Err(e) => Err(e.into()),
        };
        return match kept {
            Ok(snapshot) => Step::Next(snapshot),
            Err(e) => Step::End(failed(e)),
        };
    }
    let Some(source) = input.run.source.as_ref() else {
        return Step::End(Outcome::Failed("the run's source is unreadable".into()));
    };
    let secret = match input.settings.secret_for(source) {
        None => None,
        Some(stored) => match env.sealer.reveal(input.run.district_id, &stored) {
            Ok(secret) => secret,
            Err(message) => return Step::End(Outcome::Failed(message)),
        },
    };
    touch_upload(env, &input.run).await;
    let fetched = Arc::new(AtomicU64::new(0));
    let reading = fetch(source, secret, env, fetched.clone());
    tokio::pin!(reading);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            result = &mut reading => return match result {
                Ok(snapshot) => Step::Next(snapshot),
                Err(message) => Step::End(Outcome::Failed(message)),
            },
            stop = control.stopped() => return match stop {
                Stop::Lost => Step::Lost,
                _ => Step::End(Outcome::Cancelled),
            },
            _ = tick.tick() => control
                .progress
                .set(RunPhase::Fetching, fetched.load(Ordering::Relaxed) as usize, 0),
        }
    }
}

/// What reading a run's source gave.
enum Read {
    /// The district is settled on this source (`settled`): the report of the run that
    /// settled it.
    Settled(SettledRow, Vec<IssueRow>),
    /// The snapshot to plan, the district's roster loading meanwhile, and the digest the
    /// applied plan settles the district on.
    Fetched(Box<Snapshot>, Loading, Option<String>),
}

/// Reads the source, unless the district is settled on it. A file source is digested
/// before it is read: byte for byte the settled one, it is not even parsed, and it
/// vouches for what the fetch read only if no file changed meanwhile. A live source's
/// snapshot is digested once read.
///
/// The district's roster loads while the source is read, as soon as no settled run can
/// end this one: at once for a run that does not settle, after the digest of a file
/// source that is not the settled one, after the fetch for a live source. A run that
/// may settle claims the district first (`settled`), so that a write to the roster from
/// here on is seen. A claim made before the fetch and not followed by a settling plan
/// (the files changed while read, the run failed) only costs the next run its shortcut.
async fn read_step(env: &Env, input: &RunInput, control: &Control) -> Result<Step<Read>> {
    let (run, settings) = (&input.run, &input.settings);
    let settling = settled::may_settle(run, settings);
    let files = match (settling, run.source.as_ref()) {
        (true, Some(source)) => settled::files_digest(env, run, settings, source).await,
        _ => None,
    };
    let settled_on_files = match &files {
        Some(files) => settled::find(&env.store, run.district_id, &files.hex).await?,
        None => None,
    };
    if let Some((row, issues)) = settled_on_files {
        #[cfg(debug_assertions)]
        check_settled(env, input, control, &row, &issues, None).await?;
        touch_upload(env, run).await;
        return Ok(settled_step(control, Read::Settled(row, issues)));
    }
    let loading = match (&files, settling) {
        (Some(_), _) => Some(claim_and_load(env, run).await?),
        (None, false) => Some(roster::start_loading(&env.store, run.district_id)),
        (None, true) => None,
    };
    let snapshot = match fetch_step(env, input, control).await {
        Step::Next(snapshot) => Box::new(snapshot),
        Step::End(outcome) => return Ok(Step::End(outcome)),
        Step::Lost => return Ok(Step::Lost),
    };
    let read = match loading {
        Some(loading) => {
            let settles = files.and_then(|files| files.unchanged().then_some(files.hex));
            Read::Fetched(snapshot, loading, settles)
        }
        None => {
            let (snapshot, digest) = settled::snapshot_digest(run, settings, *snapshot).await?;
            match settled::find(&env.store, run.district_id, &digest).await? {
                Some((row, issues)) => {
                    #[cfg(debug_assertions)]
                    check_settled(env, input, control, &row, &issues, Some(snapshot)).await?;
                    Read::Settled(row, issues)
                }
                None => {
                    let loading = claim_and_load(env, run).await?;
                    Read::Fetched(Box::new(snapshot), loading, Some(digest))
                }
            }
        }
    };
    Ok(settled_step(control, read))
}

/// Debug builds check every settled run against the plan it skips: the source, read
/// and planned in full against the roster as stored, must plan nothing, with the counts
/// and the issues the settled run reports (`settled::proof`). A mismatch means settled
/// runs would not tell the truth about themselves (R7.6): the process stops, so that no
/// test passes over it. A write to the roster meanwhile (the district no longer settled
/// by the same run) leaves nothing to check.
#[cfg(debug_assertions)]
async fn check_settled(
    env: &Env,
    input: &RunInput,
    control: &Control,
    row: &SettledRow,
    issues: &[IssueRow],
    snapshot: Option<Snapshot>,
) -> Result<()> {
    let mut snapshot = match snapshot {
        Some(snapshot) => snapshot,
        None => match fetch_step(env, input, control).await {
            Step::Next(snapshot) => snapshot,
            _ => return Ok(()),
        },
    };
    let run = &input.run;
    let state = roster::start_loading(&env.store, run.district_id)
        .join()
        .await?;
    plan::validate(&mut snapshot, &state);
    let policy = Policy::of(&input.settings, run.override_threshold);
    let plan = plan::plan(&state, &snapshot, &policy, &context(run));
    let still = settled::find(&env.store, run.district_id, &row.digest).await?;
    if still.is_none_or(|(now, _)| now.run_id != row.run_id) {
        return Ok(());
    }
    let said = |rows: &[IssueRow]| {
        let mut rows: Vec<IssueRow> = rows
            .iter()
            .map(|i| IssueRow {
                id: 0,
                run_id: 0,
                ..i.clone()
            })
            .collect();
        rows.sort_by(|a, b| {
            (&a.code, &a.source_id, &a.message).cmp(&(&b.code, &b.source_id, &b.message))
        });
        rows
    };
    let planned = outcome::issue_rows(Some(&plan), 0);
    let counts: crate::domain::CountsByKind = serde_json::from_str(&row.counts).unwrap_or_default();
    if !plan.is_empty() || plan.counts != counts || said(&planned) != said(issues) {
        eprintln!(
            "run {} would end settled by run {} and not tell the truth: planned again, the \
             source changes {} rows, counts {:?} (settled: {:?}), reports {:?} (settled: {:?})",
            run.id,
            row.run_id,
            plan.change_count(),
            plan.counts,
            counts,
            said(&planned),
            said(issues),
        );
        std::process::abort();
    }
    Ok(())
}

/// Claims the district for a run that may settle it, then starts loading its roster:
/// the one kept loaded since the run that settled the district (`super::warm`) if no
/// write came since, or a fresh load.
async fn claim_and_load(env: &Env, run: &Run) -> Result<Loading> {
    if let Some(kept) = env.warm.take(run.district_id)
        && settled::claim_after(&env.store, run, kept.settled_by).await?
    {
        tracing::debug!(
            run_id = run.id,
            settled_by = kept.settled_by,
            "planning against the roster kept loaded since the run that settled it"
        );
        let loading = roster::resume_loading(&env.store, run.district_id, kept.loading);
        #[cfg(debug_assertions)]
        let loading = check_warm(env, run, loading);
        return Ok(loading);
    }
    settled::claim(&env.store, run).await?;
    Ok(roster::start_loading(&env.store, run.district_id))
}

/// Debug builds load the roster again beside every kept one a run uses, and stop the
/// process if they differ while the run's claim still stands (no write came since it):
/// a kept roster that was not the stored one would plan from a roster that is not there.
#[cfg(debug_assertions)]
fn check_warm(env: &Env, run: &Run, kept: Loading) -> Loading {
    let (store, district, run_id) = (env.store.clone(), run.district_id, run.id);
    roster::Task::spawn(async move {
        let kept = kept.join().await?;
        let fresh = roster::start_loading(&store, district).join().await?;
        let mut conn = store.conn().await?;
        let holder = crate::store::queries::settled::holder(&mut conn, district).await?;
        if holder == Some(run_id) && kept.listed() != fresh.listed() {
            let (kept, fresh) = (kept.listed(), fresh.listed());
            eprintln!(
                "run {run_id} would plan against a kept roster the store does not hold: kept \
                 only {:?}, stored only {:?}",
                kept.iter()
                    .filter(|r| !fresh.contains(r))
                    .collect::<Vec<_>>(),
                fresh
                    .iter()
                    .filter(|r| !kept.contains(r))
                    .collect::<Vec<_>>(),
            );
            std::process::abort();
        }
        Ok(kept)
    })
}

/// A settled run ends here: a cancel asked meanwhile ends it CANCELLED instead.
fn settled_step(control: &Control, read: Read) -> Step<Read> {
    if let Read::Settled(..) = read
        && let Some(step) = must_stop(control)
    {
        return step;
    }
    Step::Next(read)
}

/// Ends a run whose source the district is settled on: nothing to load, plan or apply.
async fn settled_end(
    env: &Env,
    input: &RunInput,
    row: &SettledRow,
    issues: &[IssueRow],
) -> Result<()> {
    tracing::info!(
        run_id = input.lease.run_id,
        settled_by = row.run_id,
        "source unchanged since a run applied it: nothing to plan"
    );
    if outcome::end_settled(&env.store, input.lease, row, issues).await? {
        let counts = serde_json::from_str(&row.counts).unwrap_or_default();
        let codes = issues.iter().map(|i| i.code.as_str());
        telemetry::settled_run_ended(input.run.trigger, codes, &counts);
    }
    Ok(())
}

/// A run's upload, read now (or found byte for byte the settled one), is kept a while
/// longer (S2.2). Best effort: a store that cannot note it will not fail the run, and the
/// next run notes it again.
async fn touch_upload(env: &Env, run: &Run) {
    if let Some(Source::OneRosterCsvUpload { upload_id }) = &run.source
        && let Ok(mut conn) = env.store.conn().await
    {
        let at = conn.now();
        let _ = uploads::touch(&mut conn, *upload_id, at).await;
    }
}

/// Waits for the district as stored and checks the snapshot's references against the
/// source and the store together (R3.3).
async fn validate_step(
    control: &Control,
    mut snapshot: Snapshot,
    loading: Loading,
) -> Result<Step<(Snapshot, State)>> {
    if let Some(step) = must_stop(control) {
        return Ok(step);
    }
    control
        .progress
        .set(RunPhase::Validating, 0, snapshot.record_count());
    let state = loading.join().await?;
    plan::validate(&mut snapshot, &state);
    Ok(Step::Next((snapshot, state)))
}

/// The fewest records (schools, classes and students to write) for which the apply starts
/// while the rest is planned. Under it, the store's work on them would cover too little
/// of the planner's to pay for a transaction held open beside it (a resync that changes
/// a few hundred students): such a plan is applied whole, once made.
const STREAM_FROM: usize = 10_000;

/// Computes the plan on a blocking thread: it is pure, CPU-bound work. A plan a person
/// reviews (a dry run, a blocked one, one awaiting approval, an approved one) is also
/// listed change by change, with its digest. A plan applied as soon as it is made, with
/// enough records to write, starts its apply with them while the planner goes on to the
/// accounts and the links (`Applying`).
async fn plan_step(
    env: &Env,
    input: &RunInput,
    control: &Control,
    snapshot: Snapshot,
    state: State,
) -> Result<(Planned, Option<Applying>)> {
    control
        .progress
        .set(RunPhase::Planning, 0, snapshot.record_count());
    let run = &input.run;
    let policy = Policy::of(&input.settings, run.override_threshold);
    let ctx = context(run);
    let reviewed = reviewed(input);
    let streams = !reviewed.0 && reviewed.1;
    let (records_done, records) = tokio::sync::oneshot::channel();
    let planning = tokio::task::spawn_blocking(move || {
        let mut handoff = Streaming {
            records: streams.then_some(records_done),
            people: None,
        };
        let plan = plan::plan_with(&state, &snapshot, &policy, &ctx, &mut handoff);
        let planned = finish(plan, &state, Some(snapshot), reviewed, &ctx);
        drop(let_go(state));
        planned
    });
    // No records come when the plan is not applied at once, or planning stopped.
    let mut applying = match records.await {
        Ok((to_apply, rest)) => {
            Some(Applying::start(env, input.lease, control, to_apply, rest).await?)
        }
        Err(_) => None,
    };
    let planned = planning
        .await
        .map_err(|e| Error::Internal(format!("planning stopped: {e}")))
        .and_then(|planned| planned);
    if planned.is_err() {
        Applying::withdraw(&mut applying).await;
    }
    Ok((planned?, applying))
}

/// The planner's side of a run applied as it plans: with enough records, hands them to a
/// new apply (through `records`, to be started by the pipeline), then its accounts.
struct Streaming {
    records: Option<tokio::sync::oneshot::Sender<(ToApply, oneshot::Sender<Rest>)>>,
    people: Option<oneshot::Sender<Arc<People>>>,
}

impl Handoff for Streaming {
    fn records(&mut self, plan: &Plan) {
        let Some(done) = self.records.take() else {
            return;
        };
        let records = plan.records();
        if records.row_count() >= STREAM_FROM {
            let (to_apply, send) = ToApply::streamed(records);
            self.people = Some(send.people);
            let _ = done.send((to_apply, send.rest));
        }
    }

    fn people(&mut self, plan: &Plan) {
        if let Some(people) = self.people.take() {
            // A send that fails finds the apply ended already; its result says why.
            let _ = people.send(Arc::new(plan.people()));
        }
    }
}

/// A run's apply, started with the plan's records (`apply::ToApply`): it writes them and
/// its accounts as the planner hands them over, and waits, in its transaction, for the
/// rest of the plan.
struct Applying {
    task: tokio::task::JoinHandle<std::result::Result<bool, ApplyError>>,
    rest: oneshot::Sender<Rest>,
}

impl Applying {
    /// Starts the apply of `to_apply` on a connection of its own; `rest` hands it the
    /// rest of the plan.
    async fn start(
        env: &Env,
        lease: Lease,
        control: &Control,
        to_apply: ToApply,
        rest: oneshot::Sender<Rest>,
    ) -> Result<Self> {
        let mut conn = env.store.conn().await?;
        let (written, stopping) = (control.progress.done_counter(), control.stopping());
        let at = conn.now();
        let task =
            tokio::spawn(
                async move { apply(&mut conn, to_apply, lease, at, written, stopping).await },
            );
        Ok(Applying { task, rest })
    }

    /// Hands the apply the rest of the plan and waits until it has committed or rolled
    /// back.
    async fn finish(self, rest: Rest) -> Result<std::result::Result<bool, ApplyError>> {
        // A send that fails finds the apply ended already; its result says why.
        let _ = self.rest.send(rest);
        self.task
            .await
            .map_err(|e| Error::Internal(format!("the apply stopped: {e}")))
    }

    /// Withdraws the plan: the apply rolls back what it wrote, and is waited for, so that
    /// nothing the run writes next waits behind it (SQLite's one write lock).
    async fn withdraw(applying: &mut Option<Applying>) {
        if let Some(Applying { task, rest }) = applying.take() {
            drop(rest);
            let _ = task.await;
        }
    }
}

/// Whether a person reviews the run's plan (a dry run, an approved one, or one of a
/// district that requires approval), and whether it is applied.
fn reviewed(input: &RunInput) -> (bool, bool) {
    let run = &input.run;
    (
        run.approved || run.dry_run || input.settings.require_approval,
        !run.dry_run,
    )
}

/// A made plan readied for what follows: listed for review when a person reviews it (or
/// it is blocked); when it will be applied and changes something, its journal (R9.3) and
/// its undo log (R9.2), both written by the apply.
fn finish(
    mut plan: Plan,
    state: &State,
    snapshot: Option<Snapshot>,
    (reviewed, applies): (bool, bool),
    ctx: &RunContext,
) -> Result<Planned> {
    let review = (reviewed || plan.safety_block.is_some()).then(|| changes::review(&plan, state));
    // Only a plan a person reviews keeps its snapshot (R9.1). Any other lets it go here,
    // on a thread of its own, before its journal and undo log are made and while it is
    // applied: at a first sync, the snapshot is about half of what the run holds.
    let snapshot = match snapshot {
        Some(unkept) if review.is_none() => {
            drop(let_go(unkept));
            None
        }
        kept => kept,
    };
    // Nothing to journal or undo in a plan that changes nothing (the common resync).
    if applies && !plan.is_empty() {
        let (district, run, at) = (ctx.district_id, ctx.run_id, ctx.now);
        plan.journal = match &review {
            Some((listed, _)) => history::journal(listed, district, run, at),
            None => history::journal(&changes::of_stored(&plan, state), district, run, at),
        };
        let undo = Undo::of(&plan, state, run, at)
            .pack()
            .map_err(Error::Internal)?;
        plan.undo = undo;
    }
    Ok(Planned {
        plan,
        snapshot,
        review,
        blank: state.is_blank().then(|| state.suppressed.clone()),
    })
}

/// Plans a revert run (R9.2): the reverse of the reverted run's undo log against the
/// district as it is now. Nothing is fetched.
async fn revert_step(env: &Env, input: &RunInput, control: &Control) -> Result<Step<Planned>> {
    if let Some(step) = must_stop(control) {
        return Ok(step);
    }
    control.progress.set(RunPhase::Planning, 0, 0);
    let run = &input.run;
    let undo = match revert::log_of(&env.store, run).await {
        Ok(undo) => undo,
        Err(e) => return Ok(Step::End(failed(e))),
    };
    let state = roster::load_state(&env.store, run.district_id).await?;
    let policy = Policy::of(&input.settings, run.override_threshold);
    let ctx = context(run);
    let reviewed = reviewed(input);
    tokio::task::spawn_blocking(move || {
        let plan = plan::revert(&undo, &state, &policy, &ctx);
        finish(plan, &state, None, reviewed, &ctx)
    })
    .await
    .map_err(|e| Error::Internal(format!("planning stopped: {e}")))?
    .map(Step::Next)
}

/// The run's ids and time as the planner takes them. Records the run writes carry the
/// time it was claimed: a record's creation is then the run that started at its
/// `created_at` (R9.3).
fn context(run: &Run) -> RunContext {
    RunContext {
        district_id: run.district_id,
        run_id: run.id,
        now: run.started_at.unwrap_or_else(now),
    }
}

/// Applies the plan and ends the run in one transaction, through the apply its records
/// started (`applying`) or one started now. When the fence refused (a cancel came
/// first, or the run was taken over), the run ends CANCELLED if it was cancelled, and is
/// left to its new holder otherwise.
async fn apply_step(
    env: &Env,
    lease: Lease,
    control: &Control,
    plan: Plan,
    blank: Option<Vec<SuppressionRow>>,
    trigger: Trigger,
    applying: Option<Applying>,
) -> Result<()> {
    // The rows an apply started with the records has written count already.
    control
        .progress
        .set_phase(RunPhase::Applying, plan.change_count());
    let plan = Arc::new(plan);
    let end = outcome::run_end(&Outcome::Succeeded, Some(&plan))?;
    let applying = match applying {
        Some(applying) => applying,
        None => {
            let (to_apply, rest) = ToApply::planned(&plan);
            Applying::start(env, lease, control, to_apply, rest).await?
        }
    };
    // A refused apply wrote nothing: the run ends CANCELLED if the fence refused it (left
    // to its new holder if it was taken over), FAILED if a person was erased meanwhile.
    let rest = Rest {
        plan: plan.clone(),
        end,
    };
    let applied = applying.finish(rest).await?;
    let refused = match applied {
        Ok(settled) => {
            tracing::info!(run_id = lease.run_id, "run applied");
            telemetry::run_ended(RunState::Succeeded, trigger, Some(&plan), false);
            // The records the source keeps, links included: about the roster's rows.
            let rows = plan.counts_again.values().map(|c| c.unchanged).sum::<i64>() as usize;
            let district = plan.district_id;
            // A first sync's roster is its plan's rows: kept, not loaded back.
            let mut plan = plan;
            let written = blank
                .filter(|_| settled && env.warm.would_keep(rows))
                .and_then(|suppressed| Arc::get_mut(&mut plan)?.take_first_roster(suppressed));
            if written.is_some() {
                tracing::debug!(
                    run_id = lease.run_id,
                    "the roster this first sync leaves is kept from its plan, not loaded back"
                );
            }
            // Freed before the roster loads again: a run's peak stays its own.
            let _ = let_go(plan).await;
            if settled {
                env.warm
                    .keep(district, lease.run_id, rows, || match written {
                        Some(roster) => roster::Task::ready(roster),
                        None => roster::start_loading(&env.store, district),
                    });
            }
            return Ok(());
        }
        Err(ApplyError::Fenced) => Outcome::Cancelled,
        Err(e @ (ApplyError::Erased | ApplyError::Withdrawn | ApplyError::Diverged)) => {
            Outcome::Failed(e.to_string())
        }
        Err(ApplyError::Store(e)) => return Err(e.into()),
    };
    let state = refused.state();
    if outcome::end(&env.store, lease, refused, Some(&plan)).await? {
        telemetry::run_ended(state, trigger, Some(&plan), false);
    }
    let _ = let_go(plan).await;
    Ok(())
}

/// Frees `value` on a blocking thread; the handle says when it is freed. A run's plan,
/// the roster it planned against and the source it read each hold up to a million rows:
/// freed on one of the runtime's threads, a first sync's plan held up the status reads
/// of the run that had just ended (55 ms), and freeing the roster and the source in
/// place took 30-45 ms each of a 100k-student resync, between its plan and its apply.
/// An applied plan's freeing is waited for, so that a run's peak stays its own before
/// the roster loads again; the roster's and the source's is not.
fn let_go<T: Send + 'static>(value: T) -> tokio::task::JoinHandle<()> {
    tokio::task::spawn_blocking(move || drop(value))
}
