//! A district's roster as one set: loaded in a few queries, written back by MySQL's bulk
//! load (new rows, `store::bulk`) and batched multi-row statements (changed rows, and
//! everything on SQLite). No statement here is per roster row, and every write touches
//! only the district's own rows: new rows are inserted (an id that exists already fails
//! the write instead of replacing a row), changed rows are updated by an id read from
//! the district itself.

use crate::store::models::*;
use crate::store::schema::*;
use crate::store::{DbConn, Store, StoreError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use foldhash::HashSet;

type R<T> = Result<T, StoreError>;

/// Everything of one district the planner compares with a snapshot.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub schools: Vec<School>,
    pub students: Vec<Student>,
    pub guardians: Vec<Guardian>,
    pub staff: Vec<Staff>,
    pub classes: Vec<Class>,
    pub school_students: Vec<SchoolStudent>,
    pub school_staff: Vec<SchoolStaff>,
    pub class_students: Vec<ClassStudent>,
    pub class_teachers: Vec<ClassTeacher>,
    pub links: Vec<FamilyLink>,
    /// Abandonments not restored yet: a record coming back closes its own (R5.7).
    pub open_abandonments: Vec<AbandonedRow>,
    /// Source ids an erasure suppressed: a sync does not create them again (S6.1).
    pub suppressed: Vec<SuppressionRow>,
}

impl State {
    /// Whether the district has no roster yet: no row of it at all, nor an abandonment
    /// open; suppressions aside, which outlive the people they name (S6.1).
    pub fn is_blank(&self) -> bool {
        self.schools.is_empty()
            && self.students.is_empty()
            && self.guardians.is_empty()
            && self.staff.is_empty()
            && self.classes.is_empty()
            && self.school_students.is_empty()
            && self.school_staff.is_empty()
            && self.class_students.is_empty()
            && self.class_teachers.is_empty()
            && self.links.is_empty()
            && self.open_abandonments.is_empty()
    }

    /// Every row, each as its table and its fields, in order: two states hold the same
    /// rows when these are equal, whatever order they were loaded in.
    #[cfg(any(test, debug_assertions))]
    pub fn listed(&self) -> Vec<String> {
        macro_rules! rows {
            ($($field:ident),*) => {{
                let mut rows = Vec::new();
                $(rows.extend(self.$field.iter().map(|r| format!("{} {r:?}", stringify!($field))));)*
                rows.sort();
                rows
            }};
        }
        rows!(
            schools,
            students,
            guardians,
            staff,
            classes,
            school_students,
            school_staff,
            class_students,
            class_teachers,
            links,
            open_abandonments,
            suppressed
        )
    }
}

/// Rows of one table a plan writes: new ones, inserted, and stored ones that changed,
/// updated in place.
#[derive(Debug, Clone)]
pub struct Rows<T> {
    pub new: Vec<T>,
    pub changed: Vec<T>,
}

impl<T> Default for Rows<T> {
    fn default() -> Self {
        Rows {
            new: Vec::new(),
            changed: Vec::new(),
        }
    }
}

impl<T> Rows<T> {
    pub fn len(&self) -> usize {
        self.new.len() + self.changed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.new.is_empty() && self.changed.is_empty()
    }

    /// Every row, new ones first.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.new.iter().chain(self.changed.iter())
    }
}

/// Rows per multi-row statement: large enough to amortize round trips, small enough for
/// MySQL's packet limit and SQLite's bound-parameter limit (16 columns × 1000 < 32766).
pub(super) const BATCH: usize = 1000;

/// Loads everything the planner compares for one district: one query per table, spread
/// over four pooled connections and four tasks so the big tables load side by side.
pub async fn load_state(store: &Store, district: i64) -> R<State> {
    start_loading(store, district).join().await
}

/// A district's roster loading in the background from now on: a run reads its source
/// meanwhile, on the other core. Awaited with [`Task::join`]; dropped, it stops.
pub type Loading = Task<State>;

/// Starts loading the district's roster (`load_state`) without waiting for it.
pub fn start_loading(store: &Store, district: i64) -> Loading {
    let store = store.clone();
    Task::spawn(async move { load_groups(&store, district).await })
}

/// A load started earlier and kept (`sync::warm`), or a fresh one if that load failed:
/// a store that failed while nothing waited for it fails no run now.
pub fn resume_loading(store: &Store, district: i64, kept: Loading) -> Loading {
    let store = store.clone();
    Task::spawn(async move {
        match kept.join().await {
            Ok(state) => Ok(state),
            Err(e) => {
                tracing::warn!(
                    district,
                    "the roster kept loaded failed ({e}): loading it again"
                );
                load_groups(&store, district).await
            }
        }
    })
}

/// The load itself: its four groups of tables, each a task of its own.
async fn load_groups(store: &Store, district: i64) -> R<State> {
    // On SQLite the rows are read on the connection's own thread straight into models:
    // through the async wrapper every row of a district was first copied into an owned
    // intermediate row, which doubled the memory of a resync and tripled its load time.
    macro_rules! all {
        ($conn:expr, $table:ident, $row:ty) => {
            all!($conn, $table, $row, $table::district_id.eq(district))
        };
        // A link table's rows, found through their parent's rows of the district and the
        // primary key that leads with the parent (links keep no index on district_id).
        ($conn:expr, $table:ident, $row:ty, $key:ident of $parent:ident) => {
            all!(
                $conn,
                $table,
                $row,
                $table::district_id.eq(district).and(
                    $table::$key.eq_any(
                        $parent::table
                            .filter($parent::district_id.eq(district))
                            .select($parent::id)
                    )
                )
            )
        };
        ($conn:expr, $table:ident, $row:ty, $which:expr) => {{
            // Written in each arm: the selection is typed by its backend.
            with_conn!(&mut $conn,
                mysql: c => $table::table
                    .filter($which)
                    .select(<$row>::as_select())
                    .load(c)
                    .await,
                sqlite: c => c
                    .spawn_blocking(move |c| {
                        diesel::RunQueryDsl::load::<$row>(
                            $table::table
                                .filter($which)
                                .select(<$row>::as_select()),
                            c,
                        )
                    })
                    .await
            )?
        }};
    }
    let students = Task::load(store, async move |mut c| {
        Ok((
            all!(c, students, Student),
            all!(c, school_students, SchoolStudent, school_id of schools),
        ))
    });
    let families = Task::load(store, async move |mut c| {
        Ok((
            all!(c, guardians, Guardian),
            all!(c, family_links, FamilyLink, student_id of students),
        ))
    });
    let enrollments = Task::load(store, async move |mut c| {
        Ok((
            all!(c, class_students, ClassStudent, class_id of classes),
            all!(c, class_teachers, ClassTeacher, class_id of classes),
        ))
    });
    let rest = Task::load(store, async move |mut c| {
        let suppressed = super::suppressions::of_district(&mut c, district).await?;
        let open = with_conn!(&mut c, c => abandoned_records::table
            .filter(abandoned_records::district_id.eq(district).and(abandoned_records::restored_at.is_null()))
            .select(AbandonedRow::as_select())
            .load(c)
            .await)?;
        Ok((
            all!(c, schools, School),
            all!(c, staff, Staff),
            all!(c, school_staff, SchoolStaff, school_id of schools),
            all!(c, classes, Class),
            open,
            suppressed,
        ))
    });
    let (
        (students, school_students),
        (guardians, links),
        (class_students, class_teachers),
        (schools, staff, school_staff, classes, open_abandonments, suppressed),
    ) = tokio::try_join!(
        students.join(),
        families.join(),
        enrollments.join(),
        rest.join()
    )?;
    Ok(State {
        schools,
        students,
        guardians,
        staff,
        classes,
        school_students,
        school_staff,
        class_students,
        class_teachers,
        links,
        open_abandonments,
        suppressed,
    })
}

/// A district's load, or one group of its tables, run as a task of its own: on MySQL the
/// rows are decoded on the runtime's threads, and the groups joined in one task were all
/// decoded on one of them. Dropped (the run stopped waiting), the task stops too.
pub struct Task<T>(tokio::task::JoinHandle<R<T>>);

impl<T: Send + 'static> Task<T> {
    /// Runs `work` as a task.
    pub fn spawn(work: impl Future<Output = R<T>> + Send + 'static) -> Self {
        Task(tokio::spawn(work))
    }

    /// A task whose value is there already: a roster known without loading it.
    pub fn ready(value: T) -> Self {
        Task::spawn(std::future::ready(Ok(value)))
    }

    /// Runs `load` on a connection of its own.
    fn load<F>(store: &Store, load: impl FnOnce(DbConn) -> F + Send + 'static) -> Self
    where
        F: Future<Output = R<T>> + Send,
    {
        let store = store.clone();
        Task::spawn(async move { load(store.conn().await?).await })
    }

    /// What the task gave, once it ends; a panic in it is raised here.
    pub async fn join(mut self) -> R<T> {
        match (&mut self.0).await {
            Ok(rows) => rows,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(StoreError::Unavailable(format!(
                "loading the roster stopped: {e}"
            ))),
        }
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs one multi-row statement per chunk of `rows`. MySQL takes it through diesel-async;
/// SQLite's batch insert only exists in sync diesel, so it runs on the blocking thread
/// that owns the connection. Either way with owned rows: a roster row writes its
/// timestamps as `Stamp`s (`store::stamp`), which diesel inserts only by value.
macro_rules! batched {
    ($conn:expr, $rows:expr, |$chunk:ident| $stmt:expr) => {
        batched!($conn, $rows, mysql: |$chunk| $stmt, sqlite: |$chunk| $stmt)
    };
    // Where the SQL differs by backend (upserts), one statement for each.
    ($conn:expr, $rows:expr, mysql: |$m:ident| $mysql:expr, sqlite: |$s:ident| $sqlite:expr) => {{
        for piece in $rows.chunks(BATCH) {
            let owned = piece.to_vec();
            with_conn!($conn,
                mysql: c => {
                    let $m = owned;
                    RunQueryDsl::execute($mysql, c).await?
                },
                sqlite: c => {
                    let $s = owned;
                    c.spawn_blocking(move |c| diesel::RunQueryDsl::execute($sqlite, c))
                        .await?
                }
            );
            $conn.wrote(piece.len())?;
        }
    }};
}

diesel::define_sql_function! {
    /// MySQL's `VALUES(col)` in `ON DUPLICATE KEY UPDATE`: the value the insert proposed.
    #[sql_name = "VALUES"]
    fn mysql_values<T: diesel::sql_types::SqlType + diesel::sql_types::SingleValue>(x: T) -> T;
}

/// Upserts rows, updating only the listed columns on a row that exists.
macro_rules! upsert {
    ($conn:expr, $rows:expr, $t:ident, [$($col:ident),+ $(,)?]) => {
        batched!($conn, $rows,
            mysql: |chunk| diesel::insert_into($t::table)
                .values(chunk)
                .on_conflict(diesel::dsl::DuplicatedKeys)
                .do_update()
                .set(($($t::$col.eq(mysql_values($t::$col)),)+)),
            sqlite: |chunk| diesel::insert_into($t::table)
                .values(chunk)
                .on_conflict($t::id)
                .do_update()
                .set(($($t::$col.eq(excluded($t::$col)),)+))
        )
    };
}

/// Inserts rows: by MySQL's bulk path where the server allows it (`store::bulk`), as
/// multi-row statements otherwise. Either way in primary-key order, so each table's
/// B-tree grows at its end instead of splitting pages all over. `ignore` skips a row
/// whose key exists (`INSERT IGNORE`); without it such a row fails the write.
macro_rules! insert {
    ($conn:expr, $rows:expr, $t:ident) => {
        insert!(@ $conn, $rows, Fail, |chunk| diesel::insert_into($t::table).values(chunk))
    };
    (ignore: $conn:expr, $rows:expr, $t:ident) => {
        insert!(@ $conn, $rows, Skip, |chunk| diesel::insert_or_ignore_into($t::table)
            .values(chunk))
    };
    (@ $conn:expr, $rows:expr, $mode:ident, |$chunk:ident| $stmt:expr) => {
        // A plan lists enrollments student by student, not class by class.
        let mut sorted: Vec<&_> = $rows.iter().collect();
        sorted.sort_unstable_by_key(|row| $crate::store::bulk::Loadable::key(*row));
        if !$crate::store::bulk::load(&mut *$conn, &sorted, $crate::store::bulk::OnDuplicate::$mode)
            .await?
        {
            for piece in sorted.chunks(BATCH) {
                // Owned, as in `batched!`.
                let owned: Vec<_> = piece.iter().map(|row| (*row).clone()).collect();
                // A full batch goes as an array: its statement, the same each time, is
                // prepared once per connection and kept (parsing a thousand rows' SQL
                // was a tenth of a first sync's apply on SQLite). Only the last, shorter
                // batch is parsed afresh.
                match <Box<[_; BATCH]>>::try_from(owned.into_boxed_slice()) {
                    Ok($chunk) => {
                        insert!(@run $conn, $stmt);
                    }
                    Err(rest) => {
                        let $chunk = rest.into_vec();
                        insert!(@run $conn, $stmt);
                    }
                }
                $conn.wrote(piece.len())?;
            }
        }
    };
    (@run $conn:expr, $stmt:expr) => {
        with_conn!($conn,
            mysql: c => diesel_async::RunQueryDsl::execute($stmt, c).await?,
            sqlite: c => c
                .spawn_blocking(move |c| diesel::RunQueryDsl::execute($stmt, c))
                .await?
        )
    };
}

/// Declares a function returning which of `ids` (accounts of one table) are activated now,
/// locking those rows until the transaction ends on MySQL (SQLite's write transaction
/// holds the whole database already): an activation cannot slip between this read and
/// the write that depends on it.
macro_rules! activated_among {
    ($(#[$meta:meta])* $name:ident, $t:ident) => {
        $(#[$meta])*
        pub async fn $name(conn: &mut DbConn, ids: &[i64]) -> R<HashSet<i64>> {
            let mut active = HashSet::default();
            for piece in ids.chunks(BATCH) {
                let query = $t::table
                    .filter($t::id.eq_any(piece))
                    .filter($t::activated_at.is_not_null())
                    .select($t::id);
                let found: Vec<i64> = with_conn!(conn,
                    mysql: c => query.for_update().load(c).await,
                    sqlite: c => query.load(c).await
                )?;
                active.extend(found);
            }
            Ok(active)
        }
    };
}

activated_among!(
    /// Guardians among `ids` that are activated.
    activated_guardians, guardians
);
activated_among!(
    /// Staff members among `ids` that are activated.
    activated_staff, staff
);

/// Writes account rows (guardians or staff), updating only the columns a sync owns. The
/// role (R4.3), the activation time (R4.5) and the language stay as they are in the
/// store, so an activation or role change made while the run was planning is not
/// undone; rows in `keep_contact` (the source did not change their contact) leave the
/// contact columns alone too, so a user's own edit made meanwhile stands (R4.6).
macro_rules! write_accounts {
    ($conn:expr, $rows:expr, $keep_contact:expr, $t:ident) => {{
        insert!($conn, &$rows.new, $t);
        let (names_only, with_contact): (Vec<_>, Vec<_>) = $rows
            .changed
            .iter()
            .cloned()
            .partition(|r| $keep_contact.contains(&r.id));
        upsert!(
            $conn,
            with_contact,
            $t,
            [
                source_id,
                sis_id,
                given_name,
                family_name,
                email,
                sms_number,
                home_phone,
                origin,
                updated_at
            ]
        );
        upsert!(
            $conn,
            names_only,
            $t,
            [
                source_id,
                sis_id,
                given_name,
                family_name,
                origin,
                updated_at
            ]
        );
    }};
}

pub async fn write_schools(conn: &mut DbConn, rows: &Rows<School>) -> R<()> {
    insert!(conn, &rows.new, schools);
    upsert!(conn, rows.changed, schools, [sis_id, name, updated_at]);
    Ok(())
}

pub async fn write_students(conn: &mut DbConn, rows: &Rows<Student>) -> R<()> {
    insert!(conn, &rows.new, students);
    upsert!(
        conn,
        rows.changed,
        students,
        [
            source_id,
            sis_id,
            given_name,
            family_name,
            email,
            grade,
            attributes,
            origin,
            archived_at,
            updated_at
        ]
    );
    Ok(())
}

pub async fn write_guardians(
    conn: &mut DbConn,
    rows: &Rows<Guardian>,
    keep_contact: &HashSet<i64>,
) -> R<()> {
    write_accounts!(conn, rows, keep_contact, guardians);
    Ok(())
}

pub async fn write_staff(
    conn: &mut DbConn,
    rows: &Rows<Staff>,
    keep_contact: &HashSet<i64>,
) -> R<()> {
    write_accounts!(conn, rows, keep_contact, staff);
    Ok(())
}

pub async fn write_classes(conn: &mut DbConn, rows: &Rows<Class>) -> R<()> {
    insert!(conn, &rows.new, classes);
    upsert!(
        conn,
        rows.changed,
        classes,
        [
            school_id,
            sis_id,
            name,
            grades,
            archived_at,
            updated_at,
            term_end_date
        ]
    );
    Ok(())
}

/// Link rows are added with INSERT IGNORE: a manual link made meanwhile wins.
pub async fn add_school_students(conn: &mut DbConn, rows: &[SchoolStudent]) -> R<()> {
    insert!(ignore: conn, rows, school_students);
    Ok(())
}

pub async fn add_school_staff(conn: &mut DbConn, rows: &[SchoolStaff]) -> R<()> {
    insert!(ignore: conn, rows, school_staff);
    Ok(())
}

pub async fn add_class_students(conn: &mut DbConn, rows: &[ClassStudent]) -> R<()> {
    insert!(ignore: conn, rows, class_students);
    Ok(())
}

pub async fn add_class_teachers(conn: &mut DbConn, rows: &[ClassTeacher]) -> R<()> {
    insert!(ignore: conn, rows, class_teachers);
    Ok(())
}

pub async fn add_links(conn: &mut DbConn, rows: &[FamilyLink]) -> R<()> {
    insert!(ignore: conn, rows, family_links);
    Ok(())
}

pub async fn insert_abandoned(conn: &mut DbConn, rows: &[AbandonedRow]) -> R<()> {
    insert!(conn, rows, abandoned_records);
    Ok(())
}

pub async fn insert_issues(conn: &mut DbConn, rows: &[IssueRow]) -> R<()> {
    insert!(conn, rows, sync_issues);
    Ok(())
}

/// Declares a function deleting link rows of one table by their two-column key, many
/// pairs per statement and only within the district. The planner decides which links
/// the sync manages (sis ones, and those of associated people, R1.4). The values are
/// integers formatted here, so the SQL text carries no caller input.
macro_rules! delete_links {
    ($(#[$meta:meta])* $name:ident, $table:ident, $a:ident, $b:ident) => {
        $(#[$meta])*
        pub async fn $name(conn: &mut DbConn, district_id: i64, pairs: &[(i64, i64)]) -> R<()> {
            for piece in pairs.chunks(BATCH) {
                let list = piece
                    .iter()
                    .map(|(a, b)| format!("({a},{b})"))
                    .collect::<Vec<_>>()
                    .join(",");
                let sql = format!(
                    concat!(
                        "DELETE FROM ", stringify!($table),
                        " WHERE district_id = {} AND (",
                        stringify!($a), ", ", stringify!($b), ") IN ({})"
                    ),
                    district_id,
                    list
                );
                with_conn!(&mut *conn, c => c.batch_execute(&sql).await)?;
                conn.wrote(piece.len())?;
            }
            Ok(())
        }
    };
}

delete_links!(
    /// (school, student) memberships.
    remove_school_students, school_students, school_id, student_id
);
delete_links!(
    /// (school, staff member) memberships.
    remove_school_staff, school_staff, school_id, staff_id
);
delete_links!(
    /// (class, student) enrollments.
    remove_class_students, class_students, class_id, student_id
);
delete_links!(
    /// (class, staff member) enrollments.
    remove_class_teachers, class_teachers, class_id, staff_id
);
delete_links!(
    /// (student, guardian) family links.
    remove_links, family_links, student_id, guardian_id
);

/// Closes abandonments whose record came back (R5.7).
pub async fn restore_abandoned(
    conn: &mut DbConn,
    ids: &[i64],
    run_id: i64,
    now: NaiveDateTime,
) -> R<()> {
    for piece in ids.chunks(BATCH) {
        with_conn!(&mut *conn, c => diesel::update(abandoned_records::table.filter(abandoned_records::id.eq_any(piece)))
            .set((abandoned_records::restored_at.eq(now), abandoned_records::restore_run_id.eq(run_id)))
            .execute(c)
            .await)?;
        conn.wrote(piece.len())?;
    }
    Ok(())
}
