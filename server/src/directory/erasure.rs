//! Erasure (S6): a person, with a suppression so syncs do not bring it back, and a whole
//! district when its contract ends.

use crate::domain::{Error, Page, PageRequest, RecordKind, Result, new_id, now};
use crate::sources::SourcePaths;
use crate::store::Store;
use crate::store::models::SuppressionRow;
use crate::store::queries::erase::{self, Person};
use crate::store::queries::{directory as q, districts, settled, suppressions, uploads};
use std::collections::BTreeMap;

/// Erases a student, guardian or staff member and everything that names it; the
/// suppression left for its source id, if it has one.
pub async fn erase_person(store: &Store, person_id: i64) -> Result<Option<SuppressionRow>> {
    let mut conn = store.conn().await?;
    let (person, kind, district_id, source_id) =
        if let Some(s) = q::get_student(&mut conn, person_id).await? {
            (
                Person::Student(s.id),
                RecordKind::Student,
                s.district_id,
                s.source_id.map(String::from),
            )
        } else if let Some(g) = q::get_guardian(&mut conn, person_id).await? {
            (
                Person::Guardian(g.id),
                RecordKind::Guardian,
                g.district_id,
                g.source_id.map(String::from),
            )
        } else if let Some(s) = q::get_staff(&mut conn, person_id).await? {
            (
                Person::Staff(s.id),
                RecordKind::Staff,
                s.district_id,
                s.source_id.map(String::from),
            )
        } else {
            return Err(Error::not_found(format!("person {person_id}")));
        };
    let suppression = source_id.clone().map(|source_id| SuppressionRow {
        id: new_id(),
        district_id,
        record_kind: kind,
        source_id,
        created_at: now(),
    });
    erase::person(
        &mut conn,
        district_id,
        person,
        source_id.clone(),
        suppression,
    )
    .await?;
    Ok(match source_id {
        Some(sid) => suppressions::find(&mut conn, district_id, kind, &sid).await?,
        None => None,
    })
}

pub async fn list_suppressions(
    store: &Store,
    district_id: i64,
    page: PageRequest,
) -> Result<Page<SuppressionRow>> {
    let mut conn = store.conn().await?;
    districts::require(&mut conn, district_id).await?;
    let rows = suppressions::list(&mut conn, district_id, &page).await?;
    Ok(page.finish(rows, |s| s.id))
}

pub async fn lift_suppression(store: &Store, suppression_id: i64) -> Result<SuppressionRow> {
    let mut conn = store.conn().await?;
    let row = suppressions::get(&mut conn, suppression_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("suppression {suppression_id}")))?;
    // Lifted, the person comes back with the next run of the same source: it plans again.
    let district_id = row.district_id;
    conn.transaction::<_, Error, _>(|c| {
        Box::pin(async move {
            settled::forget(c, district_id).await?;
            suppressions::delete(c, suppression_id).await?;
            Ok(())
        })
    })
    .await?;
    Ok(row)
}

/// Erases a district whose display name is `confirm`; the rows removed per table.
pub async fn erase_district(
    store: &Store,
    paths: &SourcePaths,
    district_id: i64,
    confirm: &str,
) -> Result<BTreeMap<String, i64>> {
    let mut conn = store.conn().await?;
    let district = districts::require(&mut conn, district_id).await?;
    if confirm != district.display_name {
        return Err(Error::invalid(
            "confirm_display_name",
            "must equal the district's display name",
        ));
    }
    let files = uploads::of_district(&mut conn, district_id).await?;
    let removed = erase::district(&mut conn, district_id).await?;
    for upload in files {
        let _ = tokio::fs::remove_file(paths.upload_path(upload)).await;
    }
    Ok(removed
        .into_iter()
        .map(|(table, n)| (table.to_owned(), n))
        .collect())
}
