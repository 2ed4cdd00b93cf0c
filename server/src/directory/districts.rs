//! Districts and schools.

use crate::domain::{Error, Origin, Page, PageRequest, Result, new_id, now};
use crate::store::Store;
use crate::store::models::{District, School};
use crate::store::queries::{directory as q, districts, settled};

pub async fn create_district(store: &Store, display_name: &str) -> Result<District> {
    let display_name = required_name("display_name", display_name)?;
    let now = now();
    let row = District {
        id: new_id(),
        display_name,
        created_at: now,
        updated_at: now,
    };
    districts::insert(&mut store.conn().await?, &row).await?;
    Ok(row)
}

pub async fn get_district(store: &Store, id: i64) -> Result<District> {
    districts::require(&mut store.conn().await?, id).await
}

/// Districts, oldest first; only `visible` ones when given (a key covering some).
pub async fn list_districts(
    store: &Store,
    visible: Option<&[i64]>,
    page: PageRequest,
) -> Result<Page<District>> {
    let rows = districts::list(&mut store.conn().await?, visible, &page).await?;
    Ok(page.finish(rows, |d| d.id))
}

pub async fn create_school(
    store: &Store,
    district_id: i64,
    name: &str,
    sis_id: &str,
) -> Result<School> {
    let name = required_name("name", name)?;
    let mut conn = store.conn().await?;
    districts::require(&mut conn, district_id).await?;
    let now = now();
    let row = School {
        id: new_id(),
        district_id,
        source_id: None,
        sis_id: sis_id.trim().to_owned(),
        name,
        origin: Origin::Manual,
        archived_at: None,
        created_at: now,
        updated_at: now,
    };
    conn.transaction::<_, Error, _>(|c| {
        let row = row.clone();
        Box::pin(async move {
            settled::forget(c, district_id).await?;
            q::insert_school(c, &row).await?;
            Ok(())
        })
    })
    .await?;
    Ok(row)
}

pub async fn list_schools(
    store: &Store,
    district_id: i64,
    page: PageRequest,
) -> Result<Page<School>> {
    let mut conn = store.conn().await?;
    districts::require(&mut conn, district_id).await?;
    let rows = q::list_schools(&mut conn, district_id, &page).await?;
    Ok(page.finish(rows, |s| s.id))
}

/// A trimmed, non-empty name of at most 255 characters.
pub(super) fn required_name(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    optional_text(field, value)
}

/// A trimmed text of at most 255 characters (the stored column width).
pub(super) fn optional_text(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.chars().count() > 255 {
        return Err(Error::invalid(field, "is longer than 255 characters"));
    }
    Ok(value.to_owned())
}
