//! Reads a run's source into a snapshot: OneRoster CSV on a blocking thread, OneRoster
//! REST and Clever over HTTP with the district's stored credentials, reporting records
//! fetched so far while it goes. An error is the run's failure message; it never holds a
//! secret (the HTTP layer names endpoints and statuses only).

use super::settings::{RestAuth, Source};
use super::snapshot::Snapshot;
use super::worker::SourcePaths;
use crate::directory::now;
use crate::domain::RunPhase;
use crate::sources::http::{Auth, Fetcher, RetryPolicy};
use crate::sources::oauth::OAuth2Client;
use crate::sources::oneroster_csv::{self, CsvLimits};
use crate::sources::{clever, oneroster_rest};
use crate::store::Store;
use crate::store::queries::runs as q;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// How often fetch progress is written to the run.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// Reads `source`. `secret` is the district's stored secret for it, if any.
pub async fn fetch(
    store: &Store,
    run_id: i64,
    source: &Source,
    secret: Option<String>,
    paths: &SourcePaths,
) -> Result<Snapshot, String> {
    match source {
        Source::OneRosterCsvPath { path } => read_csv(paths.import_path(path)?).await,
        Source::OneRosterCsvUpload { upload_id } => read_csv(paths.upload_path(*upload_id)).await,
        Source::OneRosterRest { .. } | Source::Clever { .. } => {
            fetch_live(store, run_id, source, secret).await
        }
    }
}

/// Reads a live API source, writing the number of records fetched so far to the run.
async fn fetch_live(
    store: &Store,
    run_id: i64,
    source: &Source,
    secret: Option<String>,
) -> Result<Snapshot, String> {
    let fetcher = Fetcher::new(RetryPolicy::default()).map_err(|e| e.to_string())?;
    let progress = {
        let (store, records) = (store.clone(), fetcher.records.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(PROGRESS_EVERY).await;
                let done = records.load(Ordering::Relaxed) as i64;
                if let Ok(mut conn) = store.conn().await {
                    let _ = q::set_phase(
                        &mut conn,
                        run_id,
                        RunPhase::Fetching.as_str(),
                        done,
                        0,
                        now(),
                    )
                    .await;
                }
            }
        })
    };
    let result = match source {
        Source::Clever { base_url } => match secret {
            Some(token) => clever::read(base_url, &token, &fetcher)
                .await
                .map_err(|e| e.to_string()),
            None => Err(
                "the Clever source has no stored district token: set it in the sync settings"
                    .into(),
            ),
        },
        Source::OneRosterRest { base_url, auth } => match rest_auth(auth, secret) {
            Ok(auth) => oneroster_rest::read(base_url, &auth, &fetcher)
                .await
                .map_err(|e| e.to_string()),
            Err(message) => Err(message),
        },
        Source::OneRosterCsvPath { .. } | Source::OneRosterCsvUpload { .. } => {
            Err("a CSV source is not read over HTTP".into())
        }
    };
    progress.abort();
    result
}

fn rest_auth(auth: &RestAuth, secret: Option<String>) -> Result<Auth, String> {
    let secret = secret
        .ok_or("the OneRoster REST source has no stored secret: set it in the sync settings")?;
    Ok(match auth {
        RestAuth::OAuth1 { consumer_key } => Auth::OAuth1 {
            consumer_key: consumer_key.clone(),
            consumer_secret: secret,
        },
        RestAuth::OAuth2 {
            token_url,
            client_id,
            scope,
        } => Auth::OAuth2(OAuth2Client::new(
            token_url.clone(),
            client_id.clone(),
            secret,
            scope.clone(),
        )),
    })
}

async fn read_csv(path: std::path::PathBuf) -> Result<Snapshot, String> {
    tokio::task::spawn_blocking(move || oneroster_csv::read_path(&path, &CsvLimits::default()))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}
