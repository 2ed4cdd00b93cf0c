//! Erasure (S6): a person and everything that names it, in one transaction; a whole
//! district in batches, each its own short transaction, so erasing one district never
//! holds locks that other districts wait on for long.

use crate::store::models::SuppressionRow;
use crate::store::schema::*;
use crate::store::{Backend, DbConn, StoreError};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

type R<T> = Result<T, StoreError>;

/// Which person, with its district and source id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Person {
    Student(i64),
    Guardian(i64),
    Staff(i64),
}

/// Deletes a person, its memberships and links, its abandoned-record entries and the
/// issues that name its source id, and leaves `suppression` (when it has a source id),
/// all or nothing.
pub async fn person(
    conn: &mut DbConn,
    district_id: i64,
    person: Person,
    source_id: Option<String>,
    suppression: Option<SuppressionRow>,
) -> R<()> {
    conn.transaction::<_, StoreError, _>(|c| {
        let (source_id, suppression) = (source_id.clone(), suppression.clone());
        Box::pin(async move {
            // The roster changes: the next run of the same source plans again.
            super::settled::forget(c, district_id).await?;
            memberships(c, person).await?;
            let id = match person {
                Person::Student(id) | Person::Guardian(id) | Person::Staff(id) => id,
            };
            with_conn!(c, c => diesel::delete(abandoned_records::table
                .filter(abandoned_records::district_id.eq(district_id))
                .filter(abandoned_records::record_id.eq(id).or(abandoned_records::related_id.eq(id))))
                .execute(c)
                .await)?;
            // Its history goes with it (R9.3), and so do the memberships others' histories
            // show of it.
            with_conn!(c, c => diesel::delete(record_history::table
                .filter(record_history::district_id.eq(district_id))
                .filter(record_history::record_id.eq(id).or(record_history::related_id.eq(id))))
                .execute(c)
                .await)?;
            // Stored plans may name the person: they go, and an approval of one is
            // refused as stale (R9.1) instead of applying a plan that names nobody.
            let runs = || {
                sync_runs::table
                    .filter(sync_runs::district_id.eq(district_id))
                    .select(sync_runs::id)
            };
            with_conn!(c, c => diesel::delete(planned_changes::table.filter(planned_changes::run_id.eq_any(runs())))
                .execute(c)
                .await)?;
            with_conn!(c, c => diesel::delete(run_snapshots::table.filter(run_snapshots::run_id.eq_any(runs())))
                .execute(c)
                .await)?;
            // So may the undo log (whole rows): the district's latest run can no longer
            // be reverted (R9.2), rather than a revert bringing the person back.
            with_conn!(c, c => diesel::delete(run_undo::table.filter(run_undo::district_id.eq(district_id)))
                .execute(c)
                .await)?;
            if let Some(sid) = &source_id {
                let runs = runs();
                with_conn!(c, c => diesel::delete(sync_issues::table
                    .filter(sync_issues::source_id.eq(sid))
                    .filter(sync_issues::run_id.eq_any(runs)))
                    .execute(c)
                    .await)?;
            }
            if let Some(row) = &suppression {
                super::suppressions::insert(c, row).await?;
            }
            Ok(())
        })
    })
    .await
}

/// The person's own row and every membership and link that names it.
async fn memberships(c: &mut DbConn, person: Person) -> R<()> {
    match person {
        Person::Student(id) => {
            with_conn!(c, c => diesel::delete(class_students::table.filter(class_students::student_id.eq(id))).execute(c).await)?;
            with_conn!(c, c => diesel::delete(school_students::table.filter(school_students::student_id.eq(id))).execute(c).await)?;
            with_conn!(c, c => diesel::delete(family_links::table.filter(family_links::student_id.eq(id))).execute(c).await)?;
            with_conn!(c, c => diesel::delete(students::table.find(id)).execute(c).await)?;
        }
        Person::Guardian(id) => {
            with_conn!(c, c => diesel::delete(family_links::table.filter(family_links::guardian_id.eq(id))).execute(c).await)?;
            with_conn!(c, c => diesel::delete(guardians::table.find(id)).execute(c).await)?;
        }
        Person::Staff(id) => {
            with_conn!(c, c => diesel::delete(class_teachers::table.filter(class_teachers::staff_id.eq(id))).execute(c).await)?;
            with_conn!(c, c => diesel::delete(school_staff::table.filter(school_staff::staff_id.eq(id))).execute(c).await)?;
            with_conn!(c, c => diesel::delete(staff::table.find(id)).execute(c).await)?;
        }
    }
    Ok(())
}

/// Rows deleted per statement while erasing a district.
const BATCH: i64 = 20_000;

/// The tables of a district, children before parents; each with the condition that
/// picks the district's rows. A link table's rows are picked through their parent, by the
/// primary key that leads with it (links keep no index on district_id).
const DISTRICT_TABLES: [(&str, &str); 22] = [
    (
        "sync_issues",
        "run_id IN (SELECT id FROM sync_runs WHERE district_id = {d})",
    ),
    ("abandoned_records", "district_id = {d}"),
    ("record_history", "district_id = {d}"),
    (
        "class_students",
        "class_id IN (SELECT id FROM classes WHERE district_id = {d})",
    ),
    (
        "class_teachers",
        "class_id IN (SELECT id FROM classes WHERE district_id = {d})",
    ),
    (
        "school_students",
        "school_id IN (SELECT id FROM schools WHERE district_id = {d})",
    ),
    (
        "school_staff",
        "school_id IN (SELECT id FROM schools WHERE district_id = {d})",
    ),
    (
        "family_links",
        "student_id IN (SELECT id FROM students WHERE district_id = {d})",
    ),
    ("students", "district_id = {d}"),
    ("guardians", "district_id = {d}"),
    ("staff", "district_id = {d}"),
    ("classes", "district_id = {d}"),
    ("schools", "district_id = {d}"),
    (
        "planned_changes",
        "run_id IN (SELECT id FROM sync_runs WHERE district_id = {d})",
    ),
    (
        "run_snapshots",
        "run_id IN (SELECT id FROM sync_runs WHERE district_id = {d})",
    ),
    ("run_undo", "district_id = {d}"),
    ("sync_runs", "district_id = {d}"),
    ("uploads", "district_id = {d}"),
    ("sync_settings", "district_id = {d}"),
    ("suppressions", "district_id = {d}"),
    ("api_key_districts", "district_id = {d}"),
    // Last: a run that claimed the district while its roster went is unsettled here.
    ("settled_sources", "district_id = {d}"),
];

/// Deletes every row of a district, table by table in batches, then the district
/// itself; the rows removed per table.
pub async fn district(conn: &mut DbConn, district_id: i64) -> R<Vec<(&'static str, i64)>> {
    // First: no run of the same source ends settled on a roster half erased, should the
    // erasure stop midway.
    super::settled::forget(conn, district_id).await?;
    let mut removed = vec![("api_keys revoked", revoke_keys_of(conn, district_id).await?)];
    for (table, condition) in DISTRICT_TABLES {
        let condition = condition.replace("{d}", &district_id.to_string());
        removed.push((table, delete_batched(conn, table, &condition).await?));
    }
    let n =
        with_conn!(conn, c => diesel::delete(districts::table.find(district_id)).execute(c).await)?;
    removed.push(("districts", n as i64));
    Ok(removed)
}

/// Revokes the unrevoked keys that cover this district and no other: once it is gone they
/// would cover nothing, and a key that opens nothing should not look like a live one.
async fn revoke_keys_of(conn: &mut DbConn, district_id: i64) -> R<i64> {
    let now = crate::domain::now();
    let only_this = api_key_districts::table
        .filter(api_key_districts::district_id.eq(district_id))
        .select(api_key_districts::key_id);
    let elsewhere = api_key_districts::table
        .filter(api_key_districts::district_id.ne(district_id))
        .select(api_key_districts::key_id);
    let n = with_conn!(conn, c => diesel::update(
        api_keys::table
            .filter(api_keys::revoked_at.is_null())
            .filter(api_keys::all_districts.eq(false))
            .filter(api_keys::id.eq_any(only_this))
            .filter(api_keys::id.ne_all(elsewhere)),
    )
    .set(api_keys::revoked_at.eq(Some(now)))
    .execute(c)
    .await)?;
    Ok(n as i64)
}

/// Deletes the rows of `table` that meet `condition`, a batch per statement, so no
/// statement holds its locks for long; how many.
pub(super) async fn delete_batched(conn: &mut DbConn, table: &str, condition: &str) -> R<i64> {
    let mut total = 0;
    loop {
        let n = delete_batch(conn, table, condition).await?;
        total += n;
        if n < BATCH {
            return Ok(total);
        }
    }
}

/// One batch of the rows of `table` that meet `condition`. The SQL is ours (table names,
/// integer ids, times we format), never a caller's text. MySQL limits a DELETE itself; SQLite picks the rows first.
async fn delete_batch(conn: &mut DbConn, table: &str, condition: &str) -> R<i64> {
    let sql = match conn.backend() {
        Backend::Mysql => format!("DELETE FROM {table} WHERE {condition} LIMIT {BATCH}"),
        Backend::Sqlite => format!(
            "DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE {condition} LIMIT {BATCH})"
        ),
    };
    let n = with_conn!(conn, c => diesel::sql_query(&sql).execute(c).await)?;
    Ok(n as i64)
}
