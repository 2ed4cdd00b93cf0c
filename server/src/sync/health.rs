//! Sync health (GetSyncHealth, ListSyncHealth): which districts need attention, and why;
//! and, when the server serves metrics, `roster_districts_needing_attention`.

use crate::domain::{Error, Page, PageRequest, Result, SyncHealth, SyncSettings, assess};
use crate::store::Store;
use crate::store::models::District;
use crate::store::queries::{districts, health as q};
use std::time::Duration;

/// The health of the given districts, in their order.
async fn of(store: &Store, list: &[District]) -> Result<Vec<SyncHealth>> {
    let ids: Vec<i64> = list.iter().map(|d| d.id).collect();
    let mut conn = store.conn().await?;
    let mut runs = q::recent_runs(&mut conn, &ids).await?;
    let mut settings = q::settings(&mut conn, &ids).await?;
    let now = conn.now();
    Ok(list
        .iter()
        .map(|d| {
            let (settings, next) = settings
                .remove(&d.id)
                .unwrap_or_else(|| (SyncSettings::defaults(d.id, now), None));
            let runs = runs.remove(&d.id).unwrap_or_default();
            assess(
                (d.id, &d.display_name, d.created_at),
                &runs,
                &settings,
                next,
                now,
            )
        })
        .collect())
}

pub async fn get(store: &Store, district_id: i64) -> Result<SyncHealth> {
    let district = districts::require(&mut store.conn().await?, district_id).await?;
    of(store, &[district])
        .await?
        .pop()
        .ok_or_else(|| Error::Internal("no health for the district".into()))
}

/// A page of the `visible` districts' health (all when None); with `needs_attention`,
/// only those that need it: districts are read in pages of the requested size until the
/// page is full or they end.
pub async fn list(
    store: &Store,
    visible: Option<&[i64]>,
    needs_attention: bool,
    page: PageRequest,
) -> Result<Page<SyncHealth>> {
    let mut found = Vec::new();
    let mut cursor = page.clone();
    loop {
        let batch = districts::list(&mut store.conn().await?, visible, &cursor).await?;
        let last = batch.last().map(|d| d.id);
        let full = batch.len() as i64 == cursor.limit();
        for health in of(store, &batch).await? {
            if !needs_attention || health.needs_attention() {
                found.push(health);
            }
        }
        match last {
            Some(id) if full && (found.len() as i64) < page.limit() => cursor.after = Some(id),
            _ => break,
        }
    }
    found.truncate(page.limit() as usize);
    Ok(page.finish(found, |h| h.district_id))
}

/// Sets `roster_districts_needing_attention` every minute. Every replica reports the same
/// count (it reads the shared store): dashboards take the max.
pub fn spawn_gauge(store: Store) {
    tokio::spawn(async move {
        loop {
            match count_needing_attention(&store).await {
                Ok(n) => metrics::gauge!("roster_districts_needing_attention").set(n as f64),
                Err(e) => tracing::warn!(error = %e, "could not count districts needing attention"),
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    });
}

async fn count_needing_attention(store: &Store) -> Result<usize> {
    let mut n = 0;
    let mut page = PageRequest::parse(500, "", "health")?;
    loop {
        let batch = districts::list(&mut store.conn().await?, None, &page).await?;
        n += of(store, &batch)
            .await?
            .iter()
            .filter(|h| h.needs_attention())
            .count();
        match batch.last() {
            Some(d) if batch.len() as i64 == page.limit() => page.after = Some(d.id),
            _ => return Ok(n),
        }
    }
}
