//! `roster.v1.SyncService`: settings now; runs arrive with the sync engine.

use super::convert::{self as cv, req_id};
use super::report::{
    abandoned_to_pb, issue_to_pb, record_kind_from_pb, run_to_pb, severity_from_pb,
};
use crate::domain::Trigger;
use crate::domain::{Error, FamilyPolicy, Result, ScheduleKind};
use crate::store::Store;
use crate::store::queries::runs::AbandonedFilter;
use crate::sync::runs::{self, StartRequest};
use crate::sync::settings::{self, RestAuth, Schedule, SettingsUpdate, Source, SyncSettings};
use crate::sync::worker::{SourcePaths, WorkerHandle};
use crate::sync::{reports, uploads};
use roster_proto::v1 as pb;
use roster_proto::v1::sync_service_server::SyncService;
use std::pin::Pin;
use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};

/// The SyncService adapter.
#[derive(Debug, Clone)]
pub struct SyncApi {
    store: Store,
    worker: WorkerHandle,
    paths: SourcePaths,
    max_upload_bytes: u64,
}

/// How often WatchSync looks for a new snapshot of the run.
const WATCH_POLL: std::time::Duration = std::time::Duration::from_millis(200);

impl SyncApi {
    pub fn new(
        store: Store,
        worker: WorkerHandle,
        paths: SourcePaths,
        max_upload_bytes: u64,
    ) -> Self {
        SyncApi {
            store,
            worker,
            paths,
            max_upload_bytes,
        }
    }

    /// A per-run source: OneRoster CSV only (a secret cannot ride along with one run).
    async fn run_source(&self, district_id: i64, src: pb::SyncSource) -> Result<Source> {
        let (source, secret) = source_from_pb(src)?;
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

type Res<T> = Result<Response<T>, Status>;

/// The wire form of a source: secrets never leave, only whether one is set.
pub(super) fn source_to_pb(source: &Source, secret_set: bool) -> pb::SyncSource {
    use pb::sync_source::Kind;
    let kind = match source {
        Source::OneRosterCsvUpload { upload_id } => {
            Kind::OnerosterCsvUpload(pb::OneRosterCsvUpload {
                upload_id: cv::id(*upload_id),
            })
        }
        Source::OneRosterCsvPath { path } => {
            Kind::OnerosterCsvPath(pb::OneRosterCsvPath { path: path.clone() })
        }
        Source::OneRosterRest { base_url, auth } => Kind::OnerosterRest(pb::OneRosterRest {
            base_url: base_url.clone(),
            auth: Some(match auth {
                RestAuth::OAuth1 { consumer_key } => {
                    pb::one_roster_rest::Auth::Oauth1(pb::OAuth1 {
                        consumer_key: consumer_key.clone(),
                        consumer_secret: String::new(),
                        consumer_secret_set: secret_set,
                    })
                }
                RestAuth::OAuth2 {
                    token_url,
                    client_id,
                    scope,
                } => pb::one_roster_rest::Auth::Oauth2(pb::OAuth2ClientCredentials {
                    token_url: token_url.clone(),
                    client_id: client_id.clone(),
                    client_secret: String::new(),
                    scope: scope.clone(),
                    client_secret_set: secret_set,
                }),
            }),
        }),
        Source::Clever { base_url } => Kind::Clever(pb::Clever {
            base_url: base_url.clone(),
            district_token: String::new(),
            district_token_set: secret_set,
        }),
    };
    pb::SyncSource { kind: Some(kind) }
}

/// A source from the wire, with its secret (empty secrets are None).
pub fn source_from_pb(source: pb::SyncSource) -> Result<(Source, Option<String>)> {
    use pb::sync_source::Kind;
    let secret = |s: String| if s.is_empty() { None } else { Some(s) };
    match source.kind {
        None => Err(Error::invalid("source", "must set one kind of source")),
        Some(Kind::OnerosterCsvUpload(u)) => Ok((
            Source::OneRosterCsvUpload {
                upload_id: req_id("source.oneroster_csv_upload.upload_id", &u.upload_id)?,
            },
            None,
        )),
        Some(Kind::OnerosterCsvPath(p)) => Ok((
            Source::OneRosterCsvPath {
                path: p.path.trim().to_owned(),
            },
            None,
        )),
        Some(Kind::OnerosterRest(r)) => {
            let (auth, s) = match r.auth {
                Some(pb::one_roster_rest::Auth::Oauth1(a)) => (
                    RestAuth::OAuth1 {
                        consumer_key: a.consumer_key.trim().to_owned(),
                    },
                    secret(a.consumer_secret),
                ),
                Some(pb::one_roster_rest::Auth::Oauth2(a)) => (
                    RestAuth::OAuth2 {
                        token_url: a.token_url.trim().to_owned(),
                        client_id: a.client_id.trim().to_owned(),
                        scope: a.scope.trim().to_owned(),
                    },
                    secret(a.client_secret),
                ),
                None => {
                    return Err(Error::invalid(
                        "source.oneroster_rest.auth",
                        "must be oauth1 or oauth2",
                    ));
                }
            };
            Ok((
                Source::OneRosterRest {
                    base_url: r.base_url.trim().trim_end_matches('/').to_owned(),
                    auth,
                },
                s,
            ))
        }
        Some(Kind::Clever(c)) => {
            let base_url = match c.base_url.trim() {
                "" => settings::DEFAULT_CLEVER_BASE_URL.to_owned(),
                url => url.trim_end_matches('/').to_owned(),
            };
            Ok((Source::Clever { base_url }, secret(c.district_token)))
        }
    }
}

fn settings_to_pb(s: SyncSettings) -> pb::SyncSettings {
    let secret_set = s.secret.is_some();
    pb::SyncSettings {
        district_id: cv::id(s.district_id),
        source: s.source.as_ref().map(|src| source_to_pb(src, secret_set)),
        update_active_users: s.update_active_users,
        abandoned_family_policy: match s.abandoned_family_policy {
            FamilyPolicy::Soft => pb::AbandonedFamilyPolicy::Soft as i32,
            FamilyPolicy::Extreme => pb::AbandonedFamilyPolicy::Extreme as i32,
        },
        abandon_threshold_percent: s.abandon_threshold_percent,
        default_phone_region: s.default_phone_region,
        schedule: Some(pb::SyncSchedule {
            kind: match s.schedule.kind {
                ScheduleKind::Off => pb::ScheduleKind::Off,
                ScheduleKind::Interval => pb::ScheduleKind::Interval,
                ScheduleKind::Daily => pb::ScheduleKind::Daily,
            } as i32,
            interval_minutes: s.schedule.interval_minutes,
            daily_time: s.schedule.daily_time,
            time_zone: s.schedule.time_zone,
        }),
        update_time: cv::timestamp(s.updated_at),
    }
}

/// Reads the fields named by the mask out of the wire settings.
fn settings_update(s: pb::SyncSettings, paths: &[String]) -> Result<SettingsUpdate> {
    if paths.is_empty() {
        return Err(Error::invalid(
            "update_mask",
            "must name at least one field: source, update_active_users, abandoned_family_policy, \
             abandon_threshold_percent, default_phone_region, schedule",
        ));
    }
    let mut update = SettingsUpdate::default();
    for path in paths {
        match path.trim_start_matches("settings.") {
            "source" => {
                update.source = Some(match s.source.clone() {
                    Some(src) => Some(source_from_pb(src).map_err(|e| e.within("settings"))?),
                    None => None,
                })
            }
            "update_active_users" => update.update_active_users = Some(s.update_active_users),
            "abandoned_family_policy" => {
                update.abandoned_family_policy = Some(
                    match pb::AbandonedFamilyPolicy::try_from(s.abandoned_family_policy) {
                        Ok(pb::AbandonedFamilyPolicy::Soft) => FamilyPolicy::Soft,
                        Ok(pb::AbandonedFamilyPolicy::Extreme) => FamilyPolicy::Extreme,
                        _ => {
                            return Err(Error::invalid(
                                "settings.abandoned_family_policy",
                                "must be SOFT or EXTREME",
                            ));
                        }
                    },
                )
            }
            "abandon_threshold_percent" => {
                update.abandon_threshold_percent = Some(s.abandon_threshold_percent)
            }
            "default_phone_region" => {
                update.default_phone_region = Some(s.default_phone_region.clone())
            }
            "schedule" => {
                let sch = s.schedule.clone().unwrap_or_default();
                let kind = match pb::ScheduleKind::try_from(sch.kind) {
                    Ok(pb::ScheduleKind::Unspecified | pb::ScheduleKind::Off) => ScheduleKind::Off,
                    Ok(pb::ScheduleKind::Interval) => ScheduleKind::Interval,
                    Ok(pb::ScheduleKind::Daily) => ScheduleKind::Daily,
                    Err(_) => {
                        return Err(Error::invalid(
                            "settings.schedule.kind",
                            format!("unknown value {}", sch.kind),
                        ));
                    }
                };
                update.schedule = Some(match kind {
                    ScheduleKind::Off => Schedule::off(),
                    _ => Schedule {
                        kind,
                        interval_minutes: if kind == ScheduleKind::Interval {
                            sch.interval_minutes
                        } else {
                            0
                        },
                        daily_time: if kind == ScheduleKind::Daily {
                            sch.daily_time.trim().to_owned()
                        } else {
                            String::new()
                        },
                        time_zone: if kind == ScheduleKind::Daily {
                            sch.time_zone.trim().to_owned()
                        } else {
                            String::new()
                        },
                    },
                })
            }
            other => {
                return Err(Error::invalid(
                    "update_mask",
                    format!("unknown path `{other}`"),
                ));
            }
        }
    }
    Ok(update)
}

#[tonic::async_trait]
impl SyncService for SyncApi {
    async fn start_sync(&self, req: Request<pb::StartSyncRequest>) -> Res<pb::StartSyncResponse> {
        let r = req.into_inner();
        let district_id = req_id("district_id", &r.district_id)?;
        let source = match r.source {
            None => None,
            Some(src) => Some(self.run_source(district_id, src).await?),
        };
        let request_id = match r.request_id.trim() {
            "" => None,
            id if id.len() > 255 => {
                return Err(Error::invalid("request_id", "is longer than 255 characters").into());
            }
            id => Some(id.to_owned()),
        };
        let run = runs::start(
            &self.store,
            StartRequest {
                district_id,
                source,
                dry_run: r.dry_run,
                override_threshold: r.override_safety_threshold,
                request_id,
                trigger: Trigger::Manual,
            },
        )
        .await?;
        self.worker.wake();
        Ok(Response::new(pb::StartSyncResponse {
            run: Some(run_to_pb(run)),
        }))
    }

    async fn get_sync_status(
        &self,
        req: Request<pb::GetSyncStatusRequest>,
    ) -> Res<pb::GetSyncStatusResponse> {
        let run_id = req_id("run_id", &req.get_ref().run_id)?;
        let run = runs::get(&self.store, run_id).await?;
        Ok(Response::new(pb::GetSyncStatusResponse {
            run: Some(run_to_pb(run)),
        }))
    }

    type WatchSyncStream =
        Pin<Box<dyn Stream<Item = Result<pb::WatchSyncResponse, Status>> + Send>>;

    async fn watch_sync(&self, req: Request<pb::WatchSyncRequest>) -> Res<Self::WatchSyncStream> {
        let run_id = req_id("run_id", &req.get_ref().run_id)?;
        let first = runs::get(&self.store, run_id).await?;
        let store = self.store.clone();
        let (tx, rx) = tokio::sync::mpsc::channel(8);
        tokio::spawn(async move {
            let mut last = run_to_pb(first.clone());
            let mut done = first.is_final();
            if tx
                .send(Ok(pb::WatchSyncResponse {
                    run: Some(last.clone()),
                }))
                .await
                .is_err()
            {
                return;
            }
            while !done {
                tokio::time::sleep(WATCH_POLL).await;
                let next = match runs::get(&store, run_id).await {
                    Ok(run) => run,
                    Err(e) => {
                        let _ = tx.send(Err(e.into())).await;
                        return;
                    }
                };
                done = next.is_final();
                let snapshot = run_to_pb(next);
                if snapshot != last {
                    last = snapshot.clone();
                    if tx
                        .send(Ok(pb::WatchSyncResponse {
                            run: Some(snapshot),
                        }))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }

    async fn list_sync_runs(
        &self,
        req: Request<pb::ListSyncRunsRequest>,
    ) -> Res<pb::ListSyncRunsResponse> {
        let r = req.into_inner();
        let district_id = req_id("district_id", &r.district_id)?;
        let p = cv::page(r.page_size, &r.page_token, format!("runs:{district_id}"))?;
        let (runs, next_page_token) =
            cv::paged(runs::list(&self.store, district_id, p).await?, run_to_pb);
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
        let run = runs::cancel(&self.store, run_id).await?;
        Ok(Response::new(pb::CancelSyncResponse {
            run: Some(run_to_pb(run)),
        }))
    }

    async fn list_sync_issues(
        &self,
        req: Request<pb::ListSyncIssuesRequest>,
    ) -> Res<pb::ListSyncIssuesResponse> {
        let r = req.into_inner();
        let run_id = req_id("run_id", &r.run_id)?;
        let severity = severity_from_pb(r.severity)?;
        let kind = record_kind_from_pb("record_kind", r.record_kind)?;
        let p = cv::page(
            r.page_size,
            &r.page_token,
            format!("issues:{run_id}:{severity:?}:{kind:?}"),
        )?;
        let page = reports::list_issues(&self.store, run_id, severity, kind, p).await?;
        let (issues, next_page_token) = cv::paged(page, issue_to_pb);
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
        let s = settings::get(&self.store, district_id).await?;
        Ok(Response::new(pb::GetSyncSettingsResponse {
            settings: Some(settings_to_pb(s)),
        }))
    }

    async fn update_sync_settings(
        &self,
        req: Request<pb::UpdateSyncSettingsRequest>,
    ) -> Res<pb::UpdateSyncSettingsResponse> {
        let r = req.into_inner();
        let s = r
            .settings
            .ok_or_else(|| Error::invalid("settings", "is required"))?;
        let district_id = req_id("settings.district_id", &s.district_id)?;
        let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
        let update = settings_update(s, &paths)?;
        let s = settings::update(&self.store, district_id, update).await?;
        Ok(Response::new(pb::UpdateSyncSettingsResponse {
            settings: Some(settings_to_pb(s)),
        }))
    }

    async fn list_abandoned_records(
        &self,
        req: Request<pb::ListAbandonedRecordsRequest>,
    ) -> Res<pb::ListAbandonedRecordsResponse> {
        let r = req.into_inner();
        let district_id = req_id("district_id", &r.district_id)?;
        let filter = AbandonedFilter {
            kind: record_kind_from_pb("record_kind", r.record_kind)?,
            run_id: match r.run_id.trim() {
                "" => None,
                id => Some(req_id("run_id", id)?),
            },
            restored: match pb::RestoredFilter::try_from(r.restored) {
                Ok(pb::RestoredFilter::Unspecified) => None,
                Ok(pb::RestoredFilter::Restored) => Some(true),
                Ok(pb::RestoredFilter::NotRestored) => Some(false),
                Err(_) => {
                    return Err(Error::invalid(
                        "restored",
                        format!("unknown value {}", r.restored),
                    )
                    .into());
                }
            },
        };
        let scope = format!(
            "abandoned:{district_id}:{:?}:{:?}:{:?}",
            filter.kind, filter.run_id, filter.restored
        );
        let p = cv::page(r.page_size, &r.page_token, scope)?;
        let page = reports::list_abandoned(&self.store, district_id, filter, p).await?;
        let (records, next_page_token) = cv::paged(page, abandoned_to_pb);
        Ok(Response::new(pb::ListAbandonedRecordsResponse {
            records,
            next_page_token,
        }))
    }

    async fn upload_roster_archive(
        &self,
        req: Request<Streaming<pb::UploadRosterArchiveRequest>>,
    ) -> Res<pb::UploadRosterArchiveResponse> {
        let mut stream = req.into_inner();
        let mut district_id = None;
        let mut upload = None;
        while let Some(message) = stream.message().await? {
            if district_id.is_none() {
                let id = req_id("district_id", &message.district_id)?;
                upload = Some(
                    uploads::Upload::begin(&self.store, &self.paths, id, self.max_upload_bytes)
                        .await?,
                );
                district_id = Some(id);
            }
            if let Some(upload) = upload.as_mut() {
                upload.write(&message.chunk).await?;
            }
        }
        let upload = upload
            .ok_or_else(|| Error::invalid("district_id", "is required on the first message"))?;
        let (upload_id, size_bytes) = upload.finish(&self.store).await?;
        Ok(Response::new(pb::UploadRosterArchiveResponse {
            upload_id: cv::id(upload_id),
            size_bytes,
        }))
    }
}
