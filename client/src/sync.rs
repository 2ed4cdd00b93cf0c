//! Typed calls of `roster.v1.SyncService`: runs, issues, settings, abandoned records,
//! uploads.

use crate::types::{all, required, wire};
use crate::{
    AbandonedFilter, AbandonedRecord, Error, IssueFilter, ItemStream, Page, PageRequest,
    RosterClient, SettingsUpdate, StartSync, SyncHandle, SyncHealth, SyncIssue, SyncRun,
    SyncSettings, Upload, pb,
};
use futures::stream::{self, StreamExt, TryStreamExt};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Bytes per message of an upload.
const UPLOAD_CHUNK: usize = 256 * 1024;

/// The run in a response that always carries one.
pub(crate) fn run_of(run: Option<pb::SyncRun>) -> Result<SyncRun, Error> {
    required(run, "run")?.try_into()
}

impl RosterClient {
    /// Starts a sync run and returns a handle on it at once (state `Queued` or `Running`).
    ///
    /// Fails with [`Error::AlreadyExists`] if the district has an active run (unless the
    /// same `request_id` started it, in which case that run is returned), and with
    /// [`Error::FailedPrecondition`] (reason `NO_SOURCE`) if there is no source to read.
    /// With a `request_id` the call is idempotent and so retried on `UNAVAILABLE`.
    ///
    /// ```no_run
    /// use roster_client::{StartSync, SyncSourceInput};
    /// use std::time::Duration;
    ///
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let handle = client
    ///     .start_sync(StartSync {
    ///         dry_run: true,
    ///         source: Some(SyncSourceInput::csv_path("springfield")),
    ///         ..StartSync::new("1")
    ///     })
    ///     .await?;
    /// let run = handle.wait(Duration::from_secs(120)).await?;
    /// println!("{} {}", run.id, run.state);
    /// # Ok(()) }
    /// ```
    pub async fn start_sync(&self, start: StartSync) -> Result<SyncHandle, Error> {
        let keyed = start.request_id.is_some();
        let request = pb::StartSyncRequest::from(start);
        let response = self
            .write_keyed(keyed, self.sync(), request, |mut s, r| async move {
                s.start_sync(r).await
            })
            .await?;
        Ok(SyncHandle::new(self.clone(), run_of(response.run)?))
    }

    /// How a district's sync is doing: last run, last success, failures since, next
    /// scheduled run, and whether (and why) it needs attention.
    ///
    /// ```no_run
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let health = client.get_sync_health("1").await?;
    /// if health.needs_attention {
    ///     println!("{}: {:?}", health.display_name, health.attention_reasons);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_sync_health(&self, district_id: &str) -> Result<SyncHealth, Error> {
        let request = pb::GetSyncHealthRequest {
            district_id: district_id.to_owned(),
        };
        let response = self
            .read(self.sync(), request, |mut s, r| async move {
                s.get_sync_health(r).await
            })
            .await?;
        required(response.health, "health")?.try_into()
    }

    /// The sync health of every district the caller may see; with `needs_attention`, only
    /// those that need it.
    pub fn list_sync_health(&self, needs_attention: bool) -> ItemStream<SyncHealth> {
        self.stream(move |client, page| async move {
            client.list_sync_health_page(needs_attention, page).await
        })
    }

    /// One page of [`Self::list_sync_health`].
    pub async fn list_sync_health_page(
        &self,
        needs_attention: bool,
        page: PageRequest,
    ) -> Result<Page<SyncHealth>, Error> {
        let request = pb::ListSyncHealthRequest {
            page_size: page.size(),
            page_token: page.token(),
            needs_attention,
        };
        let response = self
            .read(self.sync(), request, |mut s, r| async move {
                s.list_sync_health(r).await
            })
            .await?;
        Ok(Page::new(
            all(response.districts)?,
            response.next_page_token,
        ))
    }

    /// One run.
    pub async fn get_sync_status(&self, run_id: &str) -> Result<SyncRun, Error> {
        let request = pb::GetSyncStatusRequest {
            run_id: run_id.to_owned(),
        };
        let response = self
            .read(self.sync(), request, |mut s, r| async move {
                s.get_sync_status(r).await
            })
            .await?;
        run_of(response.run)
    }

    /// Snapshots of a run as it moves through its phases, until it stops moving (see
    /// [`SyncState::moves_on`](crate::SyncState::moves_on)): at its final state, or at
    /// `AwaitingApproval`.
    ///
    /// The first snapshot is the run as it is now; later ones are sent as it changes.
    pub fn watch_sync(&self, run_id: &str) -> ItemStream<SyncRun> {
        let client = self.clone();
        let request = pb::WatchSyncRequest {
            run_id: run_id.to_owned(),
        };
        stream::once(async move {
            let updates = client
                .read(client.sync(), request, |mut s, r| async move {
                    s.watch_sync(r).await
                })
                .await?;
            Ok::<_, Error>(updates.map(|update| run_of(update?.run)))
        })
        .try_flatten()
        .boxed()
    }

    /// Every run of a district, newest first.
    pub fn list_sync_runs(&self, district_id: &str) -> ItemStream<SyncRun> {
        let district_id = district_id.to_owned();
        self.stream(move |client, page| {
            let district_id = district_id.clone();
            async move { client.list_sync_runs_page(&district_id, page).await }
        })
    }

    /// One page of a district's runs, newest first.
    pub async fn list_sync_runs_page(
        &self,
        district_id: &str,
        page: PageRequest,
    ) -> Result<Page<SyncRun>, Error> {
        let request = pb::ListSyncRunsRequest {
            district_id: district_id.to_owned(),
            page_size: page.size(),
            page_token: page.token(),
        };
        let response = self
            .read(self.sync(), request, |mut s, r| async move {
                s.list_sync_runs(r).await
            })
            .await?;
        Ok(Page::new(all(response.runs)?, response.next_page_token))
    }

    /// Cancels a queued or running run; a run cancelled before applying wrote nothing.
    ///
    /// Fails with [`Error::FailedPrecondition`] (reason `RUN_FINISHED`) for a run that
    /// has already ended.
    pub async fn cancel_sync(&self, run_id: &str) -> Result<SyncRun, Error> {
        let request = pb::CancelSyncRequest {
            run_id: run_id.to_owned(),
        };
        let response = self
            .write(self.sync(), request, |mut s, r| async move {
                s.cancel_sync(r).await
            })
            .await?;
        run_of(response.run)
    }

    /// Every issue of a run that passes the filter.
    pub fn list_sync_issues(&self, run_id: &str, filter: IssueFilter) -> ItemStream<SyncIssue> {
        let run_id = run_id.to_owned();
        self.stream(move |client, page| {
            let run_id = run_id.clone();
            async move { client.list_sync_issues_page(&run_id, filter, page).await }
        })
    }

    /// One page of a run's issues that pass the filter.
    pub async fn list_sync_issues_page(
        &self,
        run_id: &str,
        filter: IssueFilter,
        page: PageRequest,
    ) -> Result<Page<SyncIssue>, Error> {
        let request = pb::ListSyncIssuesRequest {
            run_id: run_id.to_owned(),
            severity: wire(filter.severity),
            record_kind: wire(filter.record_kind),
            page_size: page.size(),
            page_token: page.token(),
        };
        let response = self
            .read(self.sync(), request, |mut s, r| async move {
                s.list_sync_issues(r).await
            })
            .await?;
        Ok(Page::new(all(response.issues)?, response.next_page_token))
    }

    /// A district's sync settings. Secrets are never returned, only whether they are set.
    pub async fn get_sync_settings(&self, district_id: &str) -> Result<SyncSettings, Error> {
        let request = pb::GetSyncSettingsRequest {
            district_id: district_id.to_owned(),
        };
        let response = self
            .read(self.sync(), request, |mut s, r| async move {
                s.get_sync_settings(r).await
            })
            .await?;
        required(response.settings, "settings")?.try_into()
    }

    /// Changes the `Some` fields of `update` in a district's sync settings and returns
    /// the settings after the change.
    ///
    /// ```no_run
    /// use roster_client::{AbandonedFamilyPolicy, SettingsUpdate, SyncSourceInput};
    ///
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let settings = client
    ///     .update_sync_settings(
    ///         "1",
    ///         SettingsUpdate {
    ///             source: Some(SyncSourceInput::csv_path("springfield")),
    ///             abandoned_family_policy: Some(AbandonedFamilyPolicy::Extreme),
    ///             ..Default::default()
    ///         },
    ///     )
    ///     .await?;
    /// assert_eq!(settings.abandoned_family_policy, AbandonedFamilyPolicy::Extreme);
    /// # Ok(()) }
    /// ```
    pub async fn update_sync_settings(
        &self,
        district_id: &str,
        update: SettingsUpdate,
    ) -> Result<SyncSettings, Error> {
        let request = update.into_request(district_id);
        let response = self
            .write(self.sync(), request, |mut s, r| async move {
                s.update_sync_settings(r).await
            })
            .await?;
        required(response.settings, "settings")?.try_into()
    }

    /// Every record abandoned by a district's syncs that passes the filter, newest first.
    pub fn list_abandoned_records(
        &self,
        district_id: &str,
        filter: AbandonedFilter,
    ) -> ItemStream<AbandonedRecord> {
        let district_id = district_id.to_owned();
        self.stream(move |client, page| {
            let (district_id, filter) = (district_id.clone(), filter.clone());
            async move {
                client
                    .list_abandoned_records_page(&district_id, &filter, page)
                    .await
            }
        })
    }

    /// One page of the records abandoned by a district's syncs, newest first.
    pub async fn list_abandoned_records_page(
        &self,
        district_id: &str,
        filter: &AbandonedFilter,
        page: PageRequest,
    ) -> Result<Page<AbandonedRecord>, Error> {
        let request = pb::ListAbandonedRecordsRequest {
            district_id: district_id.to_owned(),
            record_kind: wire(filter.record_kind),
            run_id: filter.run_id.clone().unwrap_or_default(),
            restored: filter.restored_filter(),
            page_size: page.size(),
            page_token: page.token(),
        };
        let response = self
            .read(self.sync(), request, |mut s, r| async move {
                s.list_abandoned_records(r).await
            })
            .await?;
        Ok(Page::new(all(response.records)?, response.next_page_token))
    }

    /// Uploads a OneRoster CSV zip for a district; its `upload_id` can be a sync source.
    pub async fn upload_roster_archive(
        &self,
        district_id: &str,
        archive: Vec<u8>,
    ) -> Result<Upload, Error> {
        let mut messages: Vec<pb::UploadRosterArchiveRequest> = archive
            .chunks(UPLOAD_CHUNK)
            .map(|chunk| pb::UploadRosterArchiveRequest {
                district_id: String::new(),
                chunk: chunk.to_vec(),
            })
            .collect();
        match messages.first_mut() {
            Some(first) => first.district_id = district_id.to_owned(),
            None => messages.push(pb::UploadRosterArchiveRequest {
                district_id: district_id.to_owned(),
                chunk: Vec::new(),
            }),
        }
        let response = self
            .write(self.sync(), messages, |mut s, m| async move {
                s.upload_roster_archive(stream::iter(m)).await
            })
            .await?;
        Ok(response.into())
    }

    /// Zips the files of a OneRoster CSV folder in memory and uploads them.
    ///
    /// Only the folder's files are packed (not its subfolders), under their own names.
    ///
    /// ```no_run
    /// use roster_client::{StartSync, SyncSourceInput};
    ///
    /// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
    /// let upload = client
    ///     .upload_roster_folder("1", std::path::Path::new("exports/2026-09-01"))
    ///     .await?;
    /// let handle = client
    ///     .start_sync(StartSync {
    ///         source: Some(SyncSourceInput::upload(upload.upload_id)),
    ///         ..StartSync::new("1")
    ///     })
    ///     .await?;
    /// # let _ = handle;
    /// # Ok(()) }
    /// ```
    pub async fn upload_roster_folder(
        &self,
        district_id: &str,
        folder: &Path,
    ) -> Result<Upload, Error> {
        let folder = folder.to_path_buf();
        let archive = tokio::task::spawn_blocking(move || zip_folder(&folder))
            .await
            .map_err(|e| Error::Io(format!("packing the roster folder failed: {e}")))??;
        self.upload_roster_archive(district_id, archive).await
    }
}

/// The files of `folder` as a zip archive, sorted by name.
fn zip_folder(folder: &Path) -> Result<Vec<u8>, Error> {
    let io = |e: std::io::Error| Error::Io(format!("cannot read {}: {e}", folder.display()));
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(io)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    files.retain(|path| path.is_file());
    files.sort();
    if files.is_empty() {
        return Err(Error::Io(format!(
            "{} has no files to upload",
            folder.display()
        )));
    }
    let zip_error =
        |e: zip::result::ZipError| Error::Io(format!("cannot zip {}: {e}", folder.display()));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .map_err(zip_error)?;
        let bytes = std::fs::read(path)
            .map_err(|e| Error::Io(format!("cannot read {}: {e}", path.display())))?;
        zip.write_all(&bytes)
            .map_err(|e| Error::Io(format!("cannot zip {}: {e}", path.display())))?;
    }
    Ok(zip.finish().map_err(zip_error)?.into_inner())
}
