//! Edits through the API go in the edited record's history (R9.3), with the key that
//! made them and the end user it acted for, like a run's changes do.

use crate::domain::{Caller, Result};
use crate::store::DbConn;
use crate::store::fields::Reviewed;
use crate::store::queries::history::{Edit, record_edit};

/// Journals the fields an edit changed, `before` and `after` being the record's rows.
pub(super) async fn updated<T: Reviewed>(
    conn: &mut DbConn,
    by: &Caller,
    district_id: i64,
    before: &T,
    after: &T,
) -> Result<()> {
    let edit = Edit::update(district_id, before, after);
    record_edit(conn, by.key_id, &by.actor, edit).await?;
    Ok(())
}

/// Journals a record made through the API.
pub(super) async fn created<T: Reviewed>(
    conn: &mut DbConn,
    by: &Caller,
    district_id: i64,
    record: &T,
) -> Result<()> {
    record_edit(
        conn,
        by.key_id,
        &by.actor,
        Edit::create(district_id, record),
    )
    .await?;
    Ok(())
}
