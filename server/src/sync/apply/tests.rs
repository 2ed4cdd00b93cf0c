//! The apply and the run's end commit together, under the run's lease, and only if no
//! cancel came first (R7.6), on the backend the environment selects.

use super::*;
use crate::domain::{Origin, RecordKind, RunState, Source, Trigger, new_id, now};
use crate::store::models::{District, Guardian, School, Student, SuppressionRow};
use crate::store::queries::erase::{self, Person};
use crate::store::queries::runs::{self as q, NewRun};
use crate::store::queries::{districts, roster};
use crate::store::testing::TestStore;
use crate::store::{Rows, State};
use crate::sync::outcome::{Outcome, run_end};
use crate::sync::plan as planner;
use chrono::TimeDelta;

/// A district with one claimed run, and a plan creating one school.
async fn setup(test: &TestStore) -> (Lease, Arc<Plan>) {
    let mut conn = test.store.conn().await.unwrap();
    let district = District {
        id: new_id(),
        display_name: "D".into(),
        created_at: now(),
        updated_at: now(),
    };
    districts::insert(&mut conn, &district).await.unwrap();
    let run = NewRun {
        id: new_id(),
        district_id: district.id,
        trigger: Trigger::Manual,
        dry_run: false,
        override_threshold: false,
        request_id: None,
        source: Source::OneRosterCsvPath { path: "x".into() },
        created_at: now(),
        reverts_run_id: None,
    };
    q::insert(&mut conn, &run).await.unwrap();
    let lease = q::claim(&mut conn, run.id, "a", now(), TimeDelta::seconds(30))
        .await
        .unwrap()
        .expect("claimed");
    let mut plan = Plan {
        district_id: district.id,
        ..Plan::default()
    };
    plan.schools.new.push(School {
        id: new_id(),
        district_id: district.id,
        source_id: Some("sch".into()),
        sis_id: String::new(),
        name: "North".into(),
        origin: Origin::Sis,
        archived_at: None,
        created_at: now(),
        updated_at: now(),
    });
    (lease, Arc::new(plan))
}

async fn applied(test: &TestStore, lease: Lease, plan: Arc<Plan>) -> Result<bool, ApplyError> {
    let end = run_end(&Outcome::Succeeded, Some(&plan)).unwrap();
    let mut conn = test.store.conn().await.unwrap();
    apply(
        &mut conn,
        ToApply::whole(plan, end),
        lease,
        now(),
        Default::default(),
        Default::default(),
    )
    .await
}

async fn schools(test: &TestStore, district: i64) -> usize {
    let state: State = roster::load_state(&test.store, district).await.unwrap();
    state.schools.len()
}

#[tokio::test(flavor = "multi_thread")]
async fn r7_6_the_roster_and_the_runs_end_commit_together() {
    let test = TestStore::new().await;
    let (lease, plan) = setup(&test).await;
    applied(&test, lease, plan.clone()).await.unwrap();
    let run = q::require(&mut test.store.conn().await.unwrap(), lease.run_id)
        .await
        .unwrap();
    assert_eq!(run.state, RunState::Succeeded);
    assert_eq!(schools(&test, plan.district_id).await, 1);
}

// R7.6: a run's finish time is when its apply committed. Its end is made as the plan is
// completed, while the apply may go on writing for minutes (the accounts and links of a
// large district): that moment is not when the run finished.
#[tokio::test(flavor = "multi_thread")]
async fn r7_6_a_runs_finish_time_is_its_commits_not_its_plans() {
    let test = TestStore::new().await;
    let (lease, plan) = setup(&test).await;
    let end = run_end(&Outcome::Succeeded, Some(&plan)).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let applying = test.store.now();
    let mut conn = test.store.conn().await.unwrap();
    let to_apply = ToApply::whole(plan, end);
    apply(
        &mut conn,
        to_apply,
        lease,
        now(),
        Default::default(),
        Default::default(),
    )
    .await
    .unwrap();
    let run = q::require(&mut conn, lease.run_id).await.unwrap();
    assert_eq!(run.state, RunState::Succeeded);
    let finished = run.finished_at.expect("finished");
    assert!(
        finished >= applying,
        "finished {finished}, applied from {applying}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn r7_6_a_cancel_before_the_commit_wins() {
    let test = TestStore::new().await;
    let (lease, plan) = setup(&test).await;
    q::request_cancel(&mut test.store.conn().await.unwrap(), lease.run_id)
        .await
        .unwrap();
    assert!(matches!(
        applied(&test, lease, plan.clone()).await,
        Err(ApplyError::Fenced)
    ));
    assert_eq!(schools(&test, plan.district_id).await, 0, "nothing applied");
    let run = q::require(&mut test.store.conn().await.unwrap(), lease.run_id)
        .await
        .unwrap();
    assert_eq!(
        run.state,
        RunState::Running,
        "left for the worker to end as CANCELLED"
    );
}

// A cancel told in memory (CancelSync on the run's own server, which on SQLite cannot
// write while the apply holds the lock) stops the apply: nothing is written, and the run
// is left for its worker to end CANCELLED.
#[tokio::test(flavor = "multi_thread")]
async fn r7_6_a_cancel_told_in_memory_stops_the_apply() {
    let test = TestStore::new().await;
    let (lease, plan) = setup(&test).await;
    let end = run_end(&Outcome::Succeeded, Some(&plan)).unwrap();
    let mut conn = test.store.conn().await.unwrap();
    let stopping = Arc::new(AtomicBool::new(true));
    let applied = apply(
        &mut conn,
        ToApply::whole(plan.clone(), end),
        lease,
        now(),
        Default::default(),
        stopping,
    );
    assert!(matches!(applied.await, Err(ApplyError::Fenced)));
    drop(conn);
    assert_eq!(schools(&test, plan.district_id).await, 0, "nothing applied");
    let run = q::require(&mut test.store.conn().await.unwrap(), lease.run_id)
        .await
        .unwrap();
    assert_eq!(run.state, RunState::Running);
}

// The stop reaches writes under way: the statement after it fails, and the transaction
// rolls back whole, what was sent before the stop included.
#[tokio::test(flavor = "multi_thread")]
async fn r7_6_writes_stopped_midway_roll_back_whole() {
    let test = TestStore::new().await;
    let (_, plan) = setup(&test).await;
    let district = plan.district_id;
    let stop = Arc::new(AtomicBool::new(false));
    let mut conn = test.store.conn().await.unwrap();
    let watched = stop.clone();
    let wrote = conn
        .transaction::<(), StoreError, _>(move |c| {
            let (plan, stop) = (plan.clone(), watched.clone());
            Box::pin(async move {
                c.stop_writes_when(Some(stop.clone()));
                roster::write_schools(c, &plan.schools).await?;
                stop.store(true, Ordering::Relaxed);
                let mut more = Rows::default();
                more.new.push(School {
                    id: new_id(),
                    source_id: Some("sch-2".into()),
                    ..plan.schools.new[0].clone()
                });
                roster::write_schools(c, &more).await
            })
        })
        .await;
    assert!(matches!(wrote, Err(StoreError::Stopped)), "{wrote:?}");
    drop(conn);
    assert_eq!(
        schools(&test, district).await,
        0,
        "the first write rolled back too"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn r7_6_a_worker_whose_run_was_taken_over_applies_nothing() {
    let test = TestStore::new().await;
    let (lease, plan) = setup(&test).await;
    // The lease lapses (its worker was cut off) and another worker takes the run over.
    let later = now() + TimeDelta::seconds(60);
    let mut conn = test.store.conn().await.unwrap();
    let taken = q::claim(&mut conn, lease.run_id, "b", later, TimeDelta::seconds(30))
        .await
        .unwrap()
        .expect("taken over");
    assert_eq!(taken.token, lease.token + 1);
    drop(conn);
    assert!(matches!(
        applied(&test, lease, plan.clone()).await,
        Err(ApplyError::Fenced)
    ));
    assert_eq!(schools(&test, plan.district_id).await, 0);
    // The new holder applies it, once.
    applied(&test, taken, plan.clone()).await.unwrap();
    assert_eq!(schools(&test, plan.district_id).await, 1);
}

/// A guardian of `district`, as synced: an invitee with an email.
fn marge(district_id: i64) -> Guardian {
    Guardian {
        id: new_id(),
        district_id,
        source_id: Some("g1".into()),
        sis_id: Default::default(),
        given_name: "Marge".into(),
        family_name: "Simpson".into(),
        email: "marge@example.org".into(),
        sms_number: Default::default(),
        home_phone: Default::default(),
        language: Default::default(),
        origin: Origin::Sis,
        activated_at: None,
        created_at: now(),
        updated_at: now(),
    }
}

/// R4.6: a guardian activated while the run was planning keeps the contact she now
/// manages; the plan, made while she was an invitee, still renames her. Her history
/// (R9.3) says what was written: the new name, not the email left alone.
#[tokio::test(flavor = "multi_thread")]
async fn r4_6_an_activation_during_the_run_keeps_the_users_contact() {
    use diesel_async::RunQueryDsl;
    let test = TestStore::new().await;
    let (lease, plan) = setup(&test).await;
    let mut plan = Arc::try_unwrap(plan).unwrap();
    let stored = marge(plan.district_id);
    let mut conn = test.store.conn().await.unwrap();
    let mut rows = crate::store::Rows::default();
    rows.new.push(stored.clone());
    roster::write_guardians(&mut conn, &rows, &Default::default())
        .await
        .unwrap();
    // Planned while an invitee: a new name and a new email.
    plan.guardians.changed.push(Guardian {
        given_name: "Marjorie".into(),
        email: "new@example.org".into(),
        ..stored.clone()
    });
    let change = |f: &str, old: &str, new: &str| {
        crate::store::fields::FieldChange(f.into(), old.into(), new.into())
    };
    plan.journal.push(crate::store::models::HistoryRow {
        id: new_id(),
        district_id: plan.district_id,
        record_kind: crate::domain::RecordKind::Guardian,
        record_id: stored.id,
        related_id: None,
        run_id: Some(lease.run_id),
        key_id: None,
        actor: String::new(),
        action: crate::domain::ChangeAction::Update,
        fields: crate::store::fields::FieldChange::to_json(&[
            change("given_name", "Marge", "Marjorie"),
            change("email", "marge@example.org", "new@example.org"),
        ]),
        at: now(),
    });
    // She activates her account before the apply commits.
    let activate = format!(
        "UPDATE guardians SET activated_at = '{}' WHERE id = {}",
        now().format("%Y-%m-%d %H:%M:%S"),
        stored.id
    );
    with_conn!(&mut conn, c => diesel::sql_query(&activate).execute(c).await).unwrap();
    drop(conn);
    applied(&test, lease, Arc::new(plan)).await.unwrap();
    let state = roster::load_state(&test.store, stored.district_id)
        .await
        .unwrap();
    let after = &state.guardians[0];
    assert_eq!(after.given_name, "Marjorie", "the sync still owns the name");
    assert_eq!(after.email, "marge@example.org", "her contact is hers now");
    let mut conn = test.store.conn().await.unwrap();
    let history = crate::store::queries::history::list(
        &mut conn,
        stored.id,
        &crate::domain::PageRequest::parse(10, "", "history").unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(history.len(), 1);
    let fields = crate::store::fields::FieldChange::from_json(&history[0].fields);
    assert_eq!(fields, [change("given_name", "Marge", "Marjorie")]);
}

// Progress while applying: the counter the keeper reports ends at the plan's row count,
// whatever the run's issues add to the same transaction.
#[tokio::test(flavor = "multi_thread")]
async fn the_apply_counts_the_rows_it_writes_for_progress() {
    let test = TestStore::new().await;
    let (lease, plan) = setup(&test).await;
    let end = run_end(&Outcome::Succeeded, Some(&plan)).unwrap();
    let written = Arc::new(AtomicI64::new(-5));
    let mut conn = test.store.conn().await.unwrap();
    apply(
        &mut conn,
        ToApply::whole(plan.clone(), end),
        lease,
        now(),
        written.clone(),
        Default::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        written.load(std::sync::atomic::Ordering::Relaxed),
        plan.change_count() as i64
    );
}

/// A stored sis student of the plan's district, and the plan updating her.
async fn with_student_update(test: &TestStore, plan: Arc<Plan>) -> (Plan, Student) {
    let stored = Student {
        id: new_id(),
        district_id: plan.district_id,
        source_id: Some("stu-lisa".into()),
        sis_id: "S1".into(),
        given_name: "Lisa".into(),
        family_name: "Simpson".into(),
        email: Default::default(),
        grade: "02".into(),
        attributes: "{}".into(),
        origin: Origin::Sis,
        archived_at: None,
        created_at: now(),
        updated_at: now(),
    };
    let rows = Rows {
        new: vec![stored.clone()],
        changed: Vec::new(),
    };
    let mut conn = test.store.conn().await.unwrap();
    roster::write_students(&mut conn, &rows).await.unwrap();
    let mut plan = Arc::unwrap_or_clone(plan);
    plan.students.changed.push(Student {
        given_name: "Lisa Marie".into(),
        ..stored.clone()
    });
    (plan, stored)
}

async fn erase(test: &TestStore, student: &Student) {
    let suppression = SuppressionRow {
        id: new_id(),
        district_id: student.district_id,
        record_kind: RecordKind::Student,
        source_id: student.source_id.clone().unwrap().into(),
        created_at: now(),
    };
    let mut conn = test.store.conn().await.unwrap();
    erase::person(
        &mut conn,
        student.district_id,
        Person::Student(student.id),
        student.source_id.clone().map(String::from),
        Some(suppression),
    )
    .await
    .unwrap();
}

/// S6.1: a person erased while the run was planning is not brought back by its apply
/// (its upsert would insert her again): the apply writes nothing and the run says why.
#[tokio::test(flavor = "multi_thread")]
async fn s6_1_a_person_erased_while_the_run_planned_is_not_brought_back() {
    let test = TestStore::new().await;
    let (lease, plan) = setup(&test).await;
    let (plan, lisa) = with_student_update(&test, plan).await;
    erase(&test, &lisa).await;
    let result = applied(&test, lease, Arc::new(plan.clone())).await;
    assert!(matches!(result, Err(ApplyError::Erased)), "{result:?}");
    let state = roster::load_state(&test.store, plan.district_id)
        .await
        .unwrap();
    assert!(state.students.is_empty(), "the erased student came back");
    assert!(state.schools.is_empty(), "part of the plan was written");
}

/// S6.1: suppressions the plan already knew of (erasures before the run) do not stop it.
#[tokio::test(flavor = "multi_thread")]
async fn s6_1_an_erasure_before_the_run_does_not_stop_its_apply() {
    let test = TestStore::new().await;
    let (lease, plan) = setup(&test).await;
    let (mut plan, lisa) = with_student_update(&test, plan).await;
    erase(&test, &lisa).await;
    let state = roster::load_state(&test.store, plan.district_id)
        .await
        .unwrap();
    plan.students.changed.clear();
    plan.suppressions_seen = state.suppressed.iter().map(|s| s.id).collect();
    assert_eq!(plan.suppressions_seen.len(), 1);
    applied(&test, lease, Arc::new(plan.clone())).await.unwrap();
    assert_eq!(schools(&test, plan.district_id).await, 1);
}

/// Starts the apply of `plan`'s records alone, as a run applied while the rest of its
/// plan is made does, and waits until the records are written.
async fn records_written(
    test: &TestStore,
    lease: Lease,
    plan: &Plan,
) -> (tokio::task::JoinHandle<Result<bool, ApplyError>>, Senders) {
    let (to_apply, send) = ToApply::streamed(plan.records());
    let written = Arc::new(AtomicI64::new(0));
    let task = start(test, lease, to_apply, written.clone()).await;
    let records = plan.schools.len() as i64;
    rows_written(&task, &written, records).await;
    (task, send)
}

/// Starts the apply of `to_apply`, counting the rows it writes into `written`.
async fn start(
    test: &TestStore,
    lease: Lease,
    to_apply: ToApply,
    written: Arc<AtomicI64>,
) -> tokio::task::JoinHandle<Result<bool, ApplyError>> {
    let mut conn = test.store.conn().await.unwrap();
    tokio::spawn(async move {
        apply(
            &mut conn,
            to_apply,
            lease,
            now(),
            written,
            Default::default(),
        )
        .await
    })
}

/// Waits until the apply has written `rows` rows, or ended.
async fn rows_written(
    task: &tokio::task::JoinHandle<Result<bool, ApplyError>>,
    written: &AtomicI64,
    rows: i64,
) {
    while written.load(Ordering::Relaxed) < rows && !task.is_finished() {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// `setup`'s plan, also creating one guardian.
async fn with_new_guardian(test: &TestStore) -> (Lease, Arc<Plan>) {
    let (lease, plan) = setup(test).await;
    let mut plan = Arc::unwrap_or_clone(plan);
    plan.guardians.new.push(marge(plan.district_id));
    (lease, Arc::new(plan))
}

/// Starts the apply of `plan`, hands it the plan's accounts, and waits until its school
/// and its guardian are written: the rest of the plan is to come.
async fn accounts_written(
    test: &TestStore,
    lease: Lease,
    plan: &Plan,
) -> (
    tokio::task::JoinHandle<Result<bool, ApplyError>>,
    oneshot::Sender<Rest>,
) {
    let (to_apply, send) = ToApply::streamed(plan.records());
    let written = Arc::new(AtomicI64::new(0));
    let task = start(test, lease, to_apply, written.clone()).await;
    assert!(send.people.send(Arc::new(plan.people())).is_ok());
    rows_written(&task, &written, 2).await;
    (task, send.rest)
}

async fn guardians(test: &TestStore, district: i64) -> usize {
    let state: State = roster::load_state(&test.store, district).await.unwrap();
    state.guardians.len()
}

// R7.1, R7.6: records written while the rest of the plan is made are seen by no one
// until the rest is written and the run's end commits with them.
#[tokio::test(flavor = "multi_thread")]
async fn r7_6_records_written_while_the_rest_is_planned_commit_with_the_rest() {
    let test = TestStore::new().await;
    let (lease, plan) = setup(&test).await;
    let (task, send) = records_written(&test, lease, &plan).await;
    assert_eq!(
        schools(&test, plan.district_id).await,
        0,
        "not committed yet"
    );
    assert!(send.people.send(Arc::new(plan.people())).is_ok());
    let end = run_end(&Outcome::Succeeded, Some(&plan)).unwrap();
    let plan_again = plan.clone();
    assert!(
        send.rest
            .send(Rest {
                plan: plan_again,
                end
            })
            .is_ok()
    );
    task.await.unwrap().unwrap();
    assert_eq!(schools(&test, plan.district_id).await, 1);
    let run = q::require(&mut test.store.conn().await.unwrap(), lease.run_id)
        .await
        .unwrap();
    assert_eq!(run.state, RunState::Succeeded);
}

// R7.1, R7.6: accounts written while the links are planned are seen by no one until the
// rest is written and the run's end commits with them.
#[tokio::test(flavor = "multi_thread")]
async fn r7_6_accounts_written_while_the_links_are_planned_commit_with_the_rest() {
    let test = TestStore::new().await;
    let (lease, plan) = with_new_guardian(&test).await;
    let (task, rest_sender) = accounts_written(&test, lease, &plan).await;
    assert!(!task.is_finished(), "waits for the rest of the plan");
    assert_eq!(
        guardians(&test, plan.district_id).await,
        0,
        "not committed yet"
    );
    let end = run_end(&Outcome::Succeeded, Some(&plan)).unwrap();
    let rest = Rest {
        plan: plan.clone(),
        end,
    };
    assert!(rest_sender.send(rest).is_ok());
    task.await.unwrap().unwrap();
    assert_eq!(guardians(&test, plan.district_id).await, 1);
    assert_eq!(schools(&test, plan.district_id).await, 1);
}

// R7.2: a plan found blocked once it is complete is withdrawn, and the records
// its apply had written roll back: the run is left to end BLOCKED, having written
// nothing.
#[tokio::test(flavor = "multi_thread")]
async fn r7_2_a_withdrawn_plan_leaves_nothing_of_its_records() {
    let test = TestStore::new().await;
    let (lease, plan) = setup(&test).await;
    let (task, send) = records_written(&test, lease, &plan).await;
    drop(send);
    assert!(matches!(task.await.unwrap(), Err(ApplyError::Withdrawn)));
    assert_eq!(schools(&test, plan.district_id).await, 0, "rolled back");
    let run = q::require(&mut test.store.conn().await.unwrap(), lease.run_id)
        .await
        .unwrap();
    assert_eq!(run.state, RunState::Running, "left for its worker to end");
}

// R7.2: a plan withdrawn once its accounts were handed over (it was blocked, or its
// planning stopped) leaves nothing of its records or its accounts.
#[tokio::test(flavor = "multi_thread")]
async fn r7_2_a_plan_withdrawn_after_its_accounts_leaves_nothing() {
    let test = TestStore::new().await;
    let (lease, plan) = with_new_guardian(&test).await;
    let (task, rest) = accounts_written(&test, lease, &plan).await;
    drop(rest);
    assert!(matches!(task.await.unwrap(), Err(ApplyError::Withdrawn)));
    assert_eq!(schools(&test, plan.district_id).await, 0, "rolled back");
    assert_eq!(guardians(&test, plan.district_id).await, 0, "rolled back");
}

// R7.1: a finished plan that no longer holds the accounts it handed over (a planner bug)
// is not applied: the apply would commit accounts the plan does not say.
#[tokio::test(flavor = "multi_thread")]
async fn r7_1_a_plan_whose_accounts_changed_after_the_handoff_writes_nothing() {
    let test = TestStore::new().await;
    let (lease, plan) = with_new_guardian(&test).await;
    let (to_apply, send) = ToApply::streamed(plan.records());
    let task = start(&test, lease, to_apply, Default::default()).await;
    assert!(send.people.send(Arc::new(plan.people())).is_ok());
    let mut changed = Plan::clone(&plan);
    changed.guardians.new[0].given_name = "Marjorie".into();
    let end = run_end(&Outcome::Succeeded, Some(&plan)).unwrap();
    let rest = Rest {
        plan: Arc::new(changed),
        end,
    };
    assert!(send.rest.send(rest).is_ok());
    assert!(matches!(task.await.unwrap(), Err(ApplyError::Diverged)));
    assert_eq!(guardians(&test, plan.district_id).await, 0, "rolled back");
    assert_eq!(schools(&test, plan.district_id).await, 0, "rolled back");
}

/// The repository's full sample export, as read for a run.
fn full_export() -> crate::snapshot::Snapshot {
    let folder = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/oneroster/full"
    );
    crate::sources::oneroster::csv::read_path(std::path::Path::new(folder), &Default::default())
        .unwrap()
}

// R7.4: a first sync's roster is kept for the district's next run from the applied plan,
// not loaded back, so it must be the roster the store holds, row for row: every record,
// membership and link (terms' ends, attributes and phones as written), with the
// suppressions that stood. A later run's plan, which changes rows, gives none.
#[tokio::test(flavor = "multi_thread")]
async fn r7_4_a_first_syncs_roster_taken_from_its_plan_is_the_stored_one() {
    let test = TestStore::new().await;
    let (lease, setup) = setup(&test).await;
    let district = setup.district_id;
    let suppressed = SuppressionRow {
        id: new_id(),
        district_id: district,
        record_kind: RecordKind::Student,
        source_id: "stu-haddad".into(),
        created_at: now(),
    };
    let mut conn = test.store.conn().await.unwrap();
    crate::store::queries::suppressions::insert(&mut conn, &suppressed)
        .await
        .unwrap();
    let blank = roster::load_state(&test.store, district).await.unwrap();
    assert!(blank.is_blank());
    let settings = crate::domain::SyncSettings::defaults(district, now());
    let policy = planner::Policy::of(&settings, false);
    let ctx = planner::RunContext {
        district_id: district,
        run_id: lease.run_id,
        now: now(),
    };
    let mut snapshot = full_export();
    planner::validate(&mut snapshot, &blank);
    let plan = Arc::new(planner::plan(&blank, &snapshot, &policy, &ctx));
    assert!(applied(&test, lease, plan.clone()).await.is_ok());

    let mut plan = Arc::try_unwrap(plan).expect("the apply holds nothing of the plan");
    let kept = plan
        .take_first_roster(blank.suppressed.clone())
        .expect("a first sync's plan only adds rows");
    let stored = roster::load_state(&test.store, district).await.unwrap();
    assert_eq!(kept.listed(), stored.listed());
    assert!(
        !stored.students.is_empty()
            && !stored.guardians.is_empty()
            && !stored.class_students.is_empty()
            && !stored.links.is_empty()
            && stored.classes.iter().any(|c| c.term_end_date.is_some())
            && stored.suppressed == [suppressed],
        "{stored:#?}"
    );

    let mut changed = full_export();
    changed.students[0].given_name = "Renamed".into();
    planner::validate(&mut changed, &stored);
    let mut later = planner::plan(&stored, &changed, &policy, &ctx);
    assert!(later.take_first_roster(Vec::new()).is_none());
}
