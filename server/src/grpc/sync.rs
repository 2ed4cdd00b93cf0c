//! `roster.v1.SyncService`: converts, calls the sync engine, converts back.

use super::auth::{audited, caller};
use super::convert::{self as cv, Wire, req_id};
use crate::access::audit::Change;
use crate::access::{Access, Target};
use crate::domain::{ChangeAction, Error, Need, RecordKind, Result, Severity, Source, Trigger};
use crate::sources::SourcePaths;
use crate::sources::http::Outbound;
use crate::store::Store;
use crate::sync::history;
use crate::sync::keeper::LiveRuns;
use crate::sync::review::{self, ChangeFilter};
use crate::sync::runs::{self, StartRequest};
use crate::sync::secrets::Sealer;
use crate::sync::watch::Watches;
use crate::sync::worker::WorkerHandle;
use crate::sync::{health, reports, revert, settings, uploads};
use roster_proto::v1 as pb;
use roster_proto::v1::sync_service_server::SyncService;
use std::pin::Pin;
use std::sync::Arc;
use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};

/// The SyncService adapter, and what it works with.
#[derive(Debug, Clone)]
pub struct SyncApi {
    pub store: Store,
    pub access: Access,
    pub worker: WorkerHandle,
    pub watches: Watches,
    /// Runs this server works, whose status is given as it is now.
    pub live: LiveRuns,
    pub paths: SourcePaths,
    pub sealer: Arc<Sealer>,
    /// Where live sources may send the server (S4.1), checked as settings are saved.
    pub outbound: Outbound,
    pub upload_limits: uploads::UploadLimits,
}

impl SyncApi {
    /// A per-run source: OneRoster CSV only (a secret cannot ride along with one run).
    async fn run_source(&self, district_id: i64, src: pb::SyncSource) -> Result<Source> {
        let (source, secret) = cv::source_from_pb(src)?;
        let source = source.normalized();
        source.validate()?;
        if secret.is_some() || source.needs_secret() {
            return Err(Error::invalid(
                "source",
                "only OneRoster CSV sources can be given for one run; configure REST and Clever sources in the sync settings",
            ));
        }
        if let Source::OneRosterCsvUpload { upload_id } = source {
            uploads::require(&self.store, district_id, upload_id).await?;
        }
        Ok(source)
    }
}

type Res<T> = std::result::Result<Response<T>, Status>;

fn request_id(text: &str) -> Result<Option<String>> {
    match text.trim() {
        "" => Ok(None),
        id if id.len() > 255 => Err(Error::invalid(
            "request_id",
            "is longer than 255 characters",
        )),
        id => Ok(Some(id.to_owned())),
    }
}

#[tonic::async_trait]
impl SyncService for SyncApi {
    async fn start_sync(&self, req: Request<pb::StartSyncRequest>) -> Res<pb::StartSyncResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let district_id = req_id("district_id", &r.district_id)?;
        self.access
            .allow(&caller, Need::Write, Target::District(district_id))
            .await?;
        let mut fields = vec!["dry_run", "override_safety_threshold", "request_id"];
        if r.source.is_some() {
            fields.push("source");
        }
        let source = match r.source {
            None => {
                // The configured source must still be one the server may reach (S4.1):
                // the allowed hosts may have changed since it was saved.
                let configured = settings::get(&self.store, district_id).await?;
                if let Some(source) = &configured.source {
                    settings::check_outbound(&self.outbound, source).await?;
                }
                None
            }
            Some(src) => Some(self.run_source(district_id, src).await?),
        };
        let run = runs::start(
            &self.store,
            StartRequest {
                district_id,
                source,
                dry_run: r.dry_run,
                override_threshold: r.override_safety_threshold,
                request_id: request_id(&r.request_id)?,
                trigger: Trigger::Manual,
                reverts_run_id: None,
            },
        )
        .await?;
        self.worker.wake();
        let change = Change::new(district_id).target(run.id).fields(fields);
        Ok(audited(
            Response::new(pb::StartSyncResponse {
                run: Some(cv::run(run)),
            }),
            change,
        ))
    }

    async fn get_sync_status(
        &self,
        req: Request<pb::GetSyncStatusRequest>,
    ) -> Res<pb::GetSyncStatusResponse> {
        let run_id = req_id("run_id", &req.get_ref().run_id)?;
        self.access
            .allow(&caller(&req)?, Need::Read, Target::Run(run_id))
            .await?;
        let run = self.live.overlay(runs::get(&self.store, run_id).await?);
        Ok(Response::new(pb::GetSyncStatusResponse {
            run: Some(cv::run(run)),
        }))
    }

    type WatchSyncStream =
        Pin<Box<dyn Stream<Item = std::result::Result<pb::WatchSyncResponse, Status>> + Send>>;

    async fn watch_sync(&self, req: Request<pb::WatchSyncRequest>) -> Res<Self::WatchSyncStream> {
        let run_id = req_id("run_id", &req.get_ref().run_id)?;
        self.access
            .allow(&caller(&req)?, Need::Read, Target::Run(run_id))
            .await?;
        let watch = self.watches.watch(run_id).await?;
        // The stream holds the watch: when the client goes, tonic drops the stream, and
        // with it the watch.
        let stream = futures::stream::unfold(watch, |mut watch| async move {
            let run = watch.next().await?;
            Some((
                Ok(pb::WatchSyncResponse {
                    run: Some(cv::run(run)),
                }),
                watch,
            ))
        });
        Ok(Response::new(Box::pin(stream)))
    }

    async fn list_sync_runs(
        &self,
        req: Request<pb::ListSyncRunsRequest>,
    ) -> Res<pb::ListSyncRunsResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let district_id = req_id("district_id", &r.district_id)?;
        self.access
            .allow(&caller, Need::Read, Target::District(district_id))
            .await?;
        let p = cv::page(r.page_size, &r.page_token, format!("runs:{district_id}"))?;
        let (runs, next_page_token) =
            cv::paged(runs::list(&self.store, district_id, p).await?, |run| {
                cv::run(self.live.overlay(run))
            });
        Ok(Response::new(pb::ListSyncRunsResponse {
            runs,
            next_page_token,
        }))
    }

    async fn cancel_sync(
        &self,
        req: Request<pb::CancelSyncRequest>,
    ) -> Res<pb::CancelSyncResponse> {
        let run_id = req_id("run_id", &req.get_ref().run_id)?;
        let district_id = self
            .access
            .allow(&caller(&req)?, Need::Write, Target::Run(run_id))
            .await?;
        let run = runs::cancel(&self.store, &self.live, run_id).await?;
        Ok(audited(
            Response::new(pb::CancelSyncResponse {
                run: Some(cv::run(run)),
            }),
            Change::new(district_id)
                .target(run_id)
                .fields(["cancel_requested"]),
        ))
    }

    async fn list_planned_changes(
        &self,
        req: Request<pb::ListPlannedChangesRequest>,
    ) -> Res<pb::ListPlannedChangesResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let run_id = req_id("run_id", &r.run_id)?;
        self.access
            .allow(&caller, Need::Read, Target::Run(run_id))
            .await?;
        let filter = ChangeFilter {
            kind: RecordKind::read("record_kind", r.record_kind)?,
            action: ChangeAction::read("action", r.action)?,
        };
        let p = cv::page(
            r.page_size,
            &r.page_token,
            format!("changes:{run_id}:{:?}:{:?}", filter.kind, filter.action),
        )?;
        let page = review::list(&self.store, run_id, filter, p).await?;
        let (changes, next_page_token) = cv::paged(page, cv::planned_change);
        Ok(Response::new(pb::ListPlannedChangesResponse {
            changes,
            next_page_token,
        }))
    }

    async fn approve_sync(
        &self,
        req: Request<pb::ApproveSyncRequest>,
    ) -> Res<pb::ApproveSyncResponse> {
        let run_id = req_id("run_id", &req.get_ref().run_id)?;
        let district_id = self
            .access
            .allow(&caller(&req)?, Need::Write, Target::Run(run_id))
            .await?;
        let run = review::approve(&self.store, run_id).await?;
        self.worker.wake();
        Ok(audited(
            Response::new(pb::ApproveSyncResponse {
                run: Some(cv::run(run)),
            }),
            Change::new(district_id).target(run_id).fields(["approved"]),
        ))
    }

    async fn reject_sync(
        &self,
        req: Request<pb::RejectSyncRequest>,
    ) -> Res<pb::RejectSyncResponse> {
        let run_id = req_id("run_id", &req.get_ref().run_id)?;
        let district_id = self
            .access
            .allow(&caller(&req)?, Need::Write, Target::Run(run_id))
            .await?;
        let run = review::reject(&self.store, run_id).await?;
        Ok(audited(
            Response::new(pb::RejectSyncResponse {
                run: Some(cv::run(run)),
            }),
            Change::new(district_id).target(run_id).fields(["state"]),
        ))
    }

    async fn revert_sync(
        &self,
        req: Request<pb::RevertSyncRequest>,
    ) -> Res<pb::RevertSyncResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let run_id = req_id("run_id", &r.run_id)?;
        let district_id = self
            .access
            .allow(&caller, Need::Write, Target::Run(run_id))
            .await?;
        let run = runs::revert(&self.store, run_id, request_id(&r.request_id)?).await?;
        self.worker.wake();
        let change = Change::new(district_id)
            .target(run.id)
            .fields(["reverted_run_id", "schedule_paused"]);
        Ok(audited(
            Response::new(pb::RevertSyncResponse {
                run: Some(cv::run(run)),
            }),
            change,
        ))
    }

    async fn resume_schedule(
        &self,
        req: Request<pb::ResumeScheduleRequest>,
    ) -> Res<pb::ResumeScheduleResponse> {
        let district_id = req_id("district_id", &req.get_ref().district_id)?;
        self.access
            .allow(&caller(&req)?, Need::Write, Target::District(district_id))
            .await?;
        let s = revert::resume(&self.store, district_id).await?;
        Ok(audited(
            Response::new(pb::ResumeScheduleResponse {
                settings: Some(cv::settings(s)),
            }),
            Change::new(district_id)
                .target(district_id)
                .fields(["schedule_paused"]),
        ))
    }

    async fn list_record_history(
        &self,
        req: Request<pb::ListRecordHistoryRequest>,
    ) -> Res<pb::ListRecordHistoryResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let record_id = req_id("record_id", &r.record_id)?;
        self.access
            .allow(&caller, Need::Read, Target::Record(record_id))
            .await?;
        let p = cv::page(r.page_size, &r.page_token, format!("history:{record_id}"))?;
        let page = history::list(&self.store, record_id, p).await?;
        let (entries, next_page_token) = cv::paged(page, cv::history_entry);
        Ok(Response::new(pb::ListRecordHistoryResponse {
            entries,
            next_page_token,
        }))
    }

    async fn list_sync_issues(
        &self,
        req: Request<pb::ListSyncIssuesRequest>,
    ) -> Res<pb::ListSyncIssuesResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let run_id = req_id("run_id", &r.run_id)?;
        self.access
            .allow(&caller, Need::Read, Target::Run(run_id))
            .await?;
        let severity = Severity::read("severity", r.severity)?;
        let kind = RecordKind::read("record_kind", r.record_kind)?;
        let p = cv::page(
            r.page_size,
            &r.page_token,
            format!("issues:{run_id}:{severity:?}:{kind:?}"),
        )?;
        let page = reports::list_issues(&self.store, run_id, severity, kind, p).await?;
        let (issues, next_page_token) = cv::paged(page, cv::issue);
        Ok(Response::new(pb::ListSyncIssuesResponse {
            issues,
            next_page_token,
        }))
    }

    async fn get_sync_settings(
        &self,
        req: Request<pb::GetSyncSettingsRequest>,
    ) -> Res<pb::GetSyncSettingsResponse> {
        let district_id = req_id("district_id", &req.get_ref().district_id)?;
        self.access
            .allow(&caller(&req)?, Need::Read, Target::District(district_id))
            .await?;
        let s = settings::get(&self.store, district_id).await?;
        Ok(Response::new(pb::GetSyncSettingsResponse {
            settings: Some(cv::settings(s)),
        }))
    }

    async fn update_sync_settings(
        &self,
        req: Request<pb::UpdateSyncSettingsRequest>,
    ) -> Res<pb::UpdateSyncSettingsResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let s = r
            .settings
            .ok_or_else(|| Error::invalid("settings", "is required"))?;
        let district_id = req_id("settings.district_id", &s.district_id)?;
        self.access
            .allow(&caller, Need::Write, Target::District(district_id))
            .await?;
        let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
        let update = cv::settings_update(s, &paths)?;
        let s = settings::update(
            &self.store,
            &self.sealer,
            &self.outbound,
            district_id,
            update,
        )
        .await?;
        // The field names only: a secret's value never reaches the audit log.
        let change = Change::new(district_id).target(district_id).fields(paths);
        Ok(audited(
            Response::new(pb::UpdateSyncSettingsResponse {
                settings: Some(cv::settings(s)),
            }),
            change,
        ))
    }

    async fn list_abandoned_records(
        &self,
        req: Request<pb::ListAbandonedRecordsRequest>,
    ) -> Res<pb::ListAbandonedRecordsResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let district_id = req_id("district_id", &r.district_id)?;
        self.access
            .allow(&caller, Need::Read, Target::District(district_id))
            .await?;
        let filter = cv::abandoned_filter(&r)?;
        let scope = format!(
            "abandoned:{district_id}:{:?}:{:?}:{:?}",
            filter.kind, filter.run_id, filter.restored
        );
        let p = cv::page(r.page_size, &r.page_token, scope)?;
        let page = reports::list_abandoned(&self.store, district_id, filter, p).await?;
        let (records, next_page_token) = cv::paged(page, cv::abandoned);
        Ok(Response::new(pb::ListAbandonedRecordsResponse {
            records,
            next_page_token,
        }))
    }

    async fn get_sync_health(
        &self,
        req: Request<pb::GetSyncHealthRequest>,
    ) -> Res<pb::GetSyncHealthResponse> {
        let district_id = req_id("district_id", &req.get_ref().district_id)?;
        self.access
            .allow(&caller(&req)?, Need::Read, Target::District(district_id))
            .await?;
        let health = health::get(&self.store, district_id).await?;
        Ok(Response::new(pb::GetSyncHealthResponse {
            health: Some(cv::health(health)),
        }))
    }

    async fn list_sync_health(
        &self,
        req: Request<pb::ListSyncHealthRequest>,
    ) -> Res<pb::ListSyncHealthResponse> {
        let caller = caller(&req)?;
        let r = req.into_inner();
        let scope = format!("health:{}", r.needs_attention);
        let p = cv::page(r.page_size, &r.page_token, scope)?;
        let page = health::list(&self.store, caller.visible(), r.needs_attention, p).await?;
        let (districts, next_page_token) = cv::paged(page, cv::health);
        Ok(Response::new(pb::ListSyncHealthResponse {
            districts,
            next_page_token,
        }))
    }

    async fn upload_roster_archive(
        &self,
        req: Request<Streaming<pb::UploadRosterArchiveRequest>>,
    ) -> Res<pb::UploadRosterArchiveResponse> {
        let caller = caller(&req)?;
        let mut stream = req.into_inner();
        let mut upload = None;
        let mut district_id = 0;
        while let Some(message) = stream.message().await? {
            if upload.is_none() {
                let id = req_id("district_id", &message.district_id)?;
                self.access
                    .allow(&caller, Need::Write, Target::District(id))
                    .await?;
                district_id = id;
                upload = Some(
                    uploads::Upload::begin(&self.store, &self.paths, id, self.upload_limits)
                        .await?,
                );
            }
            if let Some(upload) = upload.as_mut() {
                upload.write(&message.chunk).await?;
            }
        }
        let upload = upload
            .ok_or_else(|| Error::invalid("district_id", "is required on the first message"))?;
        let (upload_id, size_bytes) = upload.finish(&self.store).await?;
        Ok(audited(
            Response::new(pb::UploadRosterArchiveResponse {
                upload_id: cv::id(upload_id),
                size_bytes,
            }),
            Change::new(district_id).target(upload_id).fields(["chunk"]),
        ))
    }
}
