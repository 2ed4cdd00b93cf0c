//! Reads a run's source into a snapshot: OneRoster CSV on a blocking thread, OneRoster
//! REST and Clever over HTTP with the district's stored credentials. An error is the
//! run's failure message; it never holds a secret (the HTTP layer names endpoints and
//! statuses only).

use super::env::Env;
use crate::domain::{RestAuth, Secret, Source};
use crate::snapshot::Snapshot;
use crate::sources::http::{Auth, Fetcher, OAuth2Client, Outbound, RetryPolicy};
use crate::sources::oneroster::csv::{self, CsvLimits, FilesDigest};
use crate::sources::{clever, oneroster};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// Reads `source` with `secret`, the district's stored secret for it. `fetched` counts
/// the records received so far, for the run's progress. Files come from the server's
/// paths, read within its CSV limits; live sources are reached within its outbound limits.
pub async fn fetch(
    source: &Source,
    secret: Option<Secret>,
    env: &Env,
    fetched: Arc<AtomicU64>,
) -> Result<Snapshot, String> {
    let fetcher = |fetched, source| fetcher(fetched, env.outbound.clone(), source);
    let (paths, limits) = (&env.paths, env.csv_limits);
    match source {
        Source::OneRosterCsvPath { path } => read_csv(paths.import_path(path)?, limits).await,
        Source::OneRosterCsvUpload { upload_id } => {
            read_csv(paths.upload_path(*upload_id), limits).await
        }
        Source::Clever { base_url } => {
            let token = secret.ok_or(
                "the Clever source has no stored district token: set it in the sync settings",
            )?;
            let fetcher = fetcher(fetched, "clever")?;
            clever::read(base_url, token.expose(), &fetcher)
                .await
                .map_err(|e| e.to_string())
        }
        Source::OneRosterRest { base_url, auth } => {
            let auth = rest_auth(auth, secret)?;
            let fetcher = fetcher(fetched, "oneroster_rest")?;
            oneroster::rest::read(base_url, &auth, &fetcher)
                .await
                .map_err(|e| e.to_string())
        }
    }
}

/// The digest of a file source's bytes (a OneRoster CSV folder, archive or upload) as
/// the server's CSV limits read them, after `salt`: none for a live source, or when the
/// files cannot be read (the fetch then says why).
pub async fn files_digest(source: &Source, env: &Env, salt: Vec<u8>) -> Option<FilesDigest> {
    let path = match source {
        Source::OneRosterCsvPath { path } => env.paths.import_path(path).ok()?,
        Source::OneRosterCsvUpload { upload_id } => env.paths.upload_path(*upload_id),
        Source::Clever { .. } | Source::OneRosterRest { .. } => return None,
    };
    let limits = env.csv_limits;
    tokio::task::spawn_blocking(move || csv::digest_path(&path, &limits, &salt).ok())
        .await
        .ok()
        .flatten()
}

fn fetcher(
    fetched: Arc<AtomicU64>,
    outbound: Outbound,
    source: &'static str,
) -> Result<Fetcher, String> {
    let mut fetcher = Fetcher::new(RetryPolicy::default(), outbound).map_err(|e| e.to_string())?;
    fetcher.records = fetched;
    fetcher.source = source;
    Ok(fetcher)
}

fn rest_auth(auth: &RestAuth, secret: Option<Secret>) -> Result<Auth, String> {
    let secret = secret
        .ok_or("the OneRoster REST source has no stored secret: set it in the sync settings")?;
    Ok(match auth {
        RestAuth::OAuth1 { consumer_key } => Auth::OAuth1 {
            consumer_key: consumer_key.clone(),
            consumer_secret: secret.expose().to_owned(),
        },
        RestAuth::OAuth2 {
            token_url,
            client_id,
            scope,
        } => Auth::OAuth2(OAuth2Client::new(
            token_url.clone(),
            client_id.clone(),
            secret.expose().to_owned(),
            scope.clone(),
        )),
    })
}

async fn read_csv(path: PathBuf, limits: CsvLimits) -> Result<Snapshot, String> {
    tokio::task::spawn_blocking(move || csv::read_path(&path, &limits))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}
