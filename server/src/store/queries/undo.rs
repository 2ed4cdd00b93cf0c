//! Undo logs (R9.2): what the latest run of a district that changed something did, kept
//! as one packed blob in parts; and the writes only a revert makes (records deleted,
//! abandonments reopened). Only the district's latest such run keeps a log: saving one
//! drops the district's older log in the same transaction.

use super::plans::PART_BYTES;
use super::roster::BATCH;
use crate::store::schema::*;
use crate::store::{DbConn, StoreError};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

type R<T> = Result<T, StoreError>;

/// Keeps `bytes` as the district's undo log, of `run_id`, in place of any older one.
pub async fn save(conn: &mut DbConn, district_id: i64, run_id: i64, bytes: &[u8]) -> R<()> {
    with_conn!(conn, c => diesel::delete(run_undo::table.filter(run_undo::district_id.eq(district_id)))
        .execute(c)
        .await)?;
    for (part, data) in bytes.chunks(PART_BYTES).enumerate() {
        let row = (
            run_undo::run_id.eq(run_id),
            run_undo::part.eq(part as i32),
            run_undo::district_id.eq(district_id),
            run_undo::data.eq(data),
        );
        with_conn!(conn, c => diesel::insert_into(run_undo::table).values(row).execute(c).await)?;
    }
    Ok(())
}

/// The run whose undo log the district keeps: its latest run that changed something.
pub async fn logged_run(conn: &mut DbConn, district_id: i64) -> R<Option<i64>> {
    Ok(with_conn!(conn, c => run_undo::table
        .filter(run_undo::district_id.eq(district_id))
        .select(run_undo::run_id)
        .first(c)
        .await
        .optional())?)
}

/// The undo log of a run, parts joined; None when it keeps none.
pub async fn load(conn: &mut DbConn, run_id: i64) -> R<Option<Vec<u8>>> {
    let parts: Vec<Vec<u8>> = with_conn!(conn, c => run_undo::table
        .filter(run_undo::run_id.eq(run_id))
        .order(run_undo::part.asc())
        .select(run_undo::data)
        .load(c)
        .await)?;
    Ok((!parts.is_empty()).then(|| parts.concat()))
}

/// Record ids of one district a revert deletes, by table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deleted {
    pub schools: Vec<i64>,
    pub students: Vec<i64>,
    pub guardians: Vec<i64>,
    pub staff: Vec<i64>,
    pub classes: Vec<i64>,
}

impl Deleted {
    pub fn len(&self) -> usize {
        self.schools.len()
            + self.students.len()
            + self.guardians.len()
            + self.staff.len()
            + self.classes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every id, of all tables.
    pub fn ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.schools
            .iter()
            .chain(&self.students)
            .chain(&self.guardians)
            .chain(&self.staff)
            .chain(&self.classes)
            .copied()
    }
}

/// Deletes records a reverted run created (and nothing attached since), within the
/// district only.
pub async fn delete_records(conn: &mut DbConn, district_id: i64, ids: &Deleted) -> R<()> {
    macro_rules! delete {
        ($t:ident) => {
            for piece in ids.$t.chunks(BATCH) {
                with_conn!(&mut *conn, c => diesel::delete($t::table
                    .filter($t::district_id.eq(district_id))
                    .filter($t::id.eq_any(piece)))
                    .execute(c)
                    .await)?;
                conn.wrote(piece.len())?;
            }
        };
    }
    delete!(classes);
    delete!(students);
    delete!(guardians);
    delete!(staff);
    delete!(schools);
    Ok(())
}

/// Deletes the history of deleted records: history lives as long as its record (R9.3).
pub async fn delete_history(conn: &mut DbConn, district_id: i64, ids: &[i64]) -> R<()> {
    for piece in ids.chunks(BATCH) {
        with_conn!(&mut *conn, c => diesel::delete(record_history::table
            .filter(record_history::district_id.eq(district_id))
            .filter(record_history::record_id.eq_any(piece).or(record_history::related_id.eq_any(piece))))
            .execute(c)
            .await)?;
    }
    Ok(())
}

/// Opens again abandonments a reverted run had closed: as they were before it.
pub async fn reopen_abandoned(conn: &mut DbConn, district_id: i64, ids: &[i64]) -> R<()> {
    for piece in ids.chunks(BATCH) {
        with_conn!(&mut *conn, c => diesel::update(abandoned_records::table
                .filter(abandoned_records::district_id.eq(district_id))
                .filter(abandoned_records::id.eq_any(piece)))
            .set((
                abandoned_records::restored_at.eq(None::<chrono::NaiveDateTime>),
                abandoned_records::restore_run_id.eq(None::<i64>),
            ))
            .execute(c)
            .await)?;
        conn.wrote(piece.len())?;
    }
    Ok(())
}
