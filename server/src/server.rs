//! Assembles and runs the server: store, migrations, services, health, reflection, layers,
//! graceful shutdown.

use crate::access::{Access, Mode, RateLimits};
use crate::config::ServeConfig;
use crate::domain::{set_clock_offset, set_node};
use crate::grpc::{AccessApi, AuthLayer, DeadlineLayer, DirectoryApi, RpcSpanLayer, SyncApi};
use crate::sources::SourcePaths;
use crate::sources::http::Outbound;
use crate::sources::oneroster::csv::CsvLimits;
use crate::store::queries::nodes;
use crate::store::queries::{keys, settings};
use crate::store::{DbConn, Store, StoreError};
use crate::sync::env::Env;
use crate::sync::keeper::LiveRuns;
use crate::sync::retention::Retention;
use crate::sync::secrets::Sealer;
use crate::sync::uploads::UploadLimits;
use crate::sync::warm::{WarmLimits, WarmRosters};
use crate::sync::watch::Watches;
use crate::sync::worker::{self, WorkerConfig, WorkerHandle};
use chrono::TimeDelta;
use roster_proto::v1::access_service_server::AccessServiceServer;
use roster_proto::v1::directory_service_server::DirectoryServiceServer;
use roster_proto::v1::sync_service_server::SyncServiceServer;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Identity, Server, ServerTlsConfig};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("TLS: {0}")]
    Tls(String),
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("{0}")]
    Access(String),
    #[error("secret key: {0}")]
    SecretKey(String),
    #[error("--allow-source-host: {0}")]
    Outbound(String),
    #[error("--metrics-listen: {0}")]
    Metrics(String),
}

/// A started server.
pub struct Running {
    /// The address it listens on (useful with port 0).
    pub addr: SocketAddr,
    /// Where `/metrics` is served, with `--metrics-listen`.
    pub metrics_addr: Option<SocketAddr>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
}

impl Running {
    /// Stops accepting, lets in-flight calls finish, and waits for the server to end.
    pub async fn shutdown(mut self) -> Result<(), tonic::transport::Error> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.await.unwrap_or(Ok(()))
    }

    /// Waits until `signal` resolves, then shuts down gracefully.
    pub async fn run_until(
        self,
        signal: impl Future<Output = ()>,
    ) -> Result<(), tonic::transport::Error> {
        signal.await;
        tracing::info!("shutting down: finishing in-flight calls");
        self.shutdown().await
    }
}

/// The names health reports on: the server as a whole and each service.
const SERVICES: [&str; 4] = [
    "",
    "roster.v1.SyncService",
    "roster.v1.DirectoryService",
    "roster.v1.AccessService",
];

/// Starts the server in the background. Migrations run first unless disabled.
pub async fn start(config: ServeConfig) -> Result<Running, StartError> {
    crate::tune_allocator();
    crate::domain::load_phone_metadata();
    let store = Store::connect(
        &config.database.database_url,
        config.database.db_pool_size,
        config.database.db_connect_timeout,
    )?;
    if !config.no_migrate {
        store.migrate().await?;
    }
    // Before any lease is judged; a store down now is measured once it answers.
    if let Ok(Ok(mut conn)) = tokio::time::timeout(Duration::from_secs(1), store.conn()).await {
        measure_clock(&store, &mut conn, &mut false).await;
    }
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: config.listen,
        source,
    })?;
    let outbound = Outbound::new(
        &config.allow_source_hosts,
        config.max_response_bytes,
        config.max_pages,
    )
    .map_err(StartError::Outbound)?;
    let metrics_addr = match config.metrics_listen {
        Some(addr) => {
            let bound = crate::telemetry::serve(addr)
                .await
                .map_err(StartError::Metrics)?;
            crate::sync::health::spawn_gauge(store.clone());
            Some(bound)
        }
        None => None,
    };
    let sealer = Arc::new(sealer(&config)?);
    seal_legacy_secrets(&store, &sealer).await;
    let access = Access::new(
        store.clone(),
        access_mode(&config, &store, addr).await?,
        RateLimits::new(config.rate_limit_per_second),
    );
    let engine = start_engine(&config, &store, addr, sealer.clone(), outbound);
    let (health, health_service) = tonic_health::server::health_reporter();
    for name in SERVICES {
        health
            .set_service_status(name, ServingStatus::NotServing)
            .await;
    }
    tokio::spawn(watch_health(
        store.clone(),
        engine.worker.clone(),
        health,
        config.health_interval,
    ));
    let (reflection_v1, reflection_v1alpha) = reflection()?;
    let router = builder(&config)?
        .concurrency_limit_per_connection(config.concurrency_limit)
        .layer(RpcSpanLayer)
        .layer(DeadlineLayer {
            unary: config.request_timeout,
            upload: config.upload_timeout,
        })
        .layer(AuthLayer::new(access.clone(), store.clone()))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(SyncServiceServer::new(SyncApi {
            store: store.clone(),
            access: access.clone(),
            worker: engine.worker,
            watches: engine.watches,
            live: engine.live,
            paths: engine.paths.clone(),
            sealer,
            outbound: engine.outbound,
            upload_limits: UploadLimits {
                max_bytes: config.max_upload_bytes,
                quota_bytes: config.upload_quota_bytes,
            },
        }))
        .add_service(DirectoryServiceServer::new(DirectoryApi::new(
            store.clone(),
            access,
            engine.paths,
        )))
        .add_service(AccessServiceServer::new(AccessApi::new(store.clone())));
    let (tx, rx) = oneshot::channel::<()>();
    // tonic sets TCP_NODELAY only on listeners it binds itself; without it, a response
    // larger than one segment waits out the peer's delayed ACK (40 ms a page of results).
    let incoming = TcpListenerStream::new(listener).map(|accepted| {
        accepted.inspect(|stream| {
            let _ = stream.set_nodelay(true);
        })
    });
    let task = tokio::spawn(router.serve_with_incoming_shutdown(incoming, async {
        let _ = rx.await;
    }));
    tracing::info!(%addr, backend = ?store.backend(), "roster-server listening");
    Ok(Running {
        addr,
        metrics_addr,
        shutdown: Some(tx),
        task,
    })
}

/// The sync engine of this server: its worker pool, scheduler and watches.
struct Engine {
    worker: WorkerHandle,
    live: LiveRuns,
    watches: Watches,
    paths: SourcePaths,
    outbound: Outbound,
}

fn start_engine(
    config: &ServeConfig,
    store: &Store,
    addr: SocketAddr,
    sealer: Arc<Sealer>,
    outbound: Outbound,
) -> Engine {
    let owner = process_owner(addr);
    let live = LiveRuns::default();
    hold_id_node(store.clone(), owner.clone());
    let paths = SourcePaths {
        import_dir: config.import_dir.clone(),
        data_dir: config.data_dir.clone(),
    };
    let worker = worker::spawn(
        Env {
            store: store.clone(),
            paths: paths.clone(),
            sealer,
            outbound: outbound.clone(),
            live: live.clone(),
            warm: WarmRosters::new(WarmLimits {
                rows: config.warm_roster_rows,
                idle: config.warm_roster_idle,
            }),
            csv_limits: CsvLimits {
                max_entry_bytes: config.max_zip_entry_bytes,
                max_cell_bytes: config.max_csv_cell_bytes,
                max_cells_per_row: config.max_csv_cells_per_row,
                max_rows: config.max_csv_rows,
            },
        },
        WorkerConfig {
            concurrency: config.worker_concurrency as usize,
            lease: config.run_lease,
            max_attempts: 3,
            deadline: config.run_deadline,
            owner,
        },
    );
    crate::sync::schedule::spawn(store.clone(), worker.clone());
    crate::sync::retention::spawn(
        store.clone(),
        paths.clone(),
        Retention {
            reports: config.report_retention,
            uploads: config.upload_retention,
        },
    );
    Engine {
        worker,
        watches: Watches::new(store.clone(), config.max_watch_streams, live.clone()),
        live,
        paths,
        outbound,
    }
}

/// Reflection in both versions: Python's grpcio-reflection speaks only v1alpha.
fn reflection() -> Result<
    (
        tonic_reflection::server::v1::ServerReflectionServer<
            impl tonic_reflection::server::v1::ServerReflection,
        >,
        tonic_reflection::server::v1alpha::ServerReflectionServer<
            impl tonic_reflection::server::v1alpha::ServerReflection,
        >,
    ),
    StartError,
> {
    let builder = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(roster_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
    };
    Ok((builder().build_v1()?, builder().build_v1alpha()?))
}

/// The transport, with TLS when a certificate and key are configured.
fn builder(config: &ServeConfig) -> Result<Server, StartError> {
    let builder = Server::builder();
    let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) else {
        return Ok(builder);
    };
    let read = |path: &std::path::PathBuf| {
        std::fs::read(path)
            .map_err(|e| StartError::Tls(format!("cannot read {}: {e}", path.display())))
    };
    let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(read(cert)?, read(key)?));
    if let Some(ca) = &config.tls_client_ca {
        // Mutual TLS: only clients with a certificate from this CA connect (S1.6).
        tls = tls.client_ca_root(tonic::transport::Certificate::from_pem(read(ca)?));
    }
    builder
        .tls_config(tls)
        .map_err(|e| StartError::Tls(e.to_string()))
}

/// How callers get in (S1.5): with `--insecure-no-auth`, freely (warned); on loopback,
/// freely until the first key exists; on any other address only with a key, and a server
/// there refuses to start while the store holds no key.
async fn access_mode(
    config: &ServeConfig,
    store: &Store,
    addr: SocketAddr,
) -> Result<Mode, StartError> {
    if config.insecure_no_auth {
        tracing::warn!("--insecure-no-auth: every call is let in without an API key");
        return Ok(Mode::Insecure);
    }
    if addr.ip().is_loopback() {
        return Ok(Mode::OpenUntilFirstKey);
    }
    let mut conn = store.conn().await?;
    if !keys::any(&mut conn).await? {
        return Err(StartError::Access(format!(
            "refusing to serve on {addr} without any API key: create the first one with \
             `roster-server keys create --role admin --name NAME` (or start with \
             --insecure-no-auth, which lets anyone in)"
        )));
    }
    Ok(Mode::Keys)
}

/// The key source secrets are sealed with: the key file, `ROSTER_SECRET_KEY`, or the
/// data directory's own key, created on first start (the embedded default).
fn sealer(config: &ServeConfig) -> Result<Sealer, StartError> {
    let fail = |e: crate::domain::Error| StartError::SecretKey(e.to_string());
    if let Some(path) = &config.secret_key_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| StartError::SecretKey(format!("cannot read {}: {e}", path.display())))?;
        return Sealer::from_base64(&text).map_err(fail);
    }
    if let Ok(text) = std::env::var("ROSTER_SECRET_KEY") {
        return Sealer::from_base64(&text).map_err(fail);
    }
    Sealer::from_file_or_create(&config.data_dir.join("secret.key")).map_err(fail)
}

/// Seals the secrets the previous release stored plain (their plain copy stays for that
/// release until `roster-server secrets finish-rollout`). A store that is down now is
/// sealed at the next start.
async fn seal_legacy_secrets(store: &Store, sealer: &Sealer) {
    let Ok(mut conn) = store.conn().await else {
        return;
    };
    let Ok(unsealed) = settings::unsealed(&mut conn).await else {
        return;
    };
    for district in unsealed {
        let Some(plain) = district.secret.and_then(|s| s.legacy) else {
            continue;
        };
        match sealer.seal(district.district_id, &plain) {
            Ok(sealed) => {
                if let Err(e) =
                    settings::add_sealed(&mut conn, district.district_id, &plain, &sealed).await
                {
                    tracing::warn!(district_id = district.district_id, error = %e, "secret not sealed");
                }
            }
            Err(e) => tracing::warn!(error = %e, "secret not sealed"),
        }
    }
}

/// Who this process is, for leases: unique across replicas and restarts.
fn process_owner(addr: SocketAddr) -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    format!(
        "{host}:{}:{addr}:{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// How far this host's clock may be from the database's before the server says so.
const CLOCK_OFF: TimeDelta = TimeDelta::seconds(5);

/// Measures the store's clock (`store::clock`), which ids count by too
/// (`domain::set_clock_offset`). Says so when it is far from this host's, once until it
/// comes back (`told`): leases go by the store's, but a host that far off has a broken
/// clock.
async fn measure_clock(store: &Store, conn: &mut DbConn, told: &mut bool) {
    match store.measure_clock(conn).await {
        Ok(Some(offset)) => {
            set_clock_offset(offset);
            let off = offset.abs() > CLOCK_OFF;
            if off && !*told {
                tracing::warn!(
                    offset_ms = offset.num_milliseconds(),
                    "this host's clock is off the database's: leases and ids go by the \
                     database's"
                );
            }
            *told = off;
        }
        Ok(None) => tracing::debug!("the database's clock answered too slowly to be read"),
        Err(e) => tracing::warn!(error = %e, "the database's clock not read"),
    }
}

/// How long this process holds its id node without a renewal.
const NODE_LEASE: TimeDelta = TimeDelta::seconds(60);

/// Leases a node number for ids (see `domain::ids`) and keeps renewing it while the
/// server runs; a lost lease is taken again, under a new node if need be. A server whose
/// store is down at start-up starts all the same (and reports NOT_SERVING): it leases its
/// node as soon as the store answers.
fn hold_id_node(store: Store, owner: String) {
    tokio::spawn(async move {
        let (mut node, mut told): (Option<i32>, bool) = (None, false);
        loop {
            if let Ok(mut conn) = store.conn().await {
                measure_clock(&store, &mut conn, &mut told).await;
                let held = match node {
                    Some(n) => nodes::renew(&mut conn, n, &owner, store.now(), NODE_LEASE).await,
                    None => Ok(false),
                };
                match held {
                    Ok(true) => {}
                    Ok(false) => match nodes::lease(&mut conn, &owner, store.now(), NODE_LEASE)
                        .await
                    {
                        Ok(Some(taken)) => {
                            if node.is_some() {
                                tracing::error!(taken, "lost the id node lease: took a node again");
                            }
                            node = Some(taken);
                            set_node(i64::from(taken));
                        }
                        Ok(None) => tracing::error!("no id node is free"),
                        Err(e) => tracing::warn!(error = %e, "id node not leased"),
                    },
                    Err(e) => tracing::warn!(error = %e, "id node lease not renewed"),
                }
            }
            let pause = if node.is_some() { 10 } else { 1 };
            tokio::time::sleep(Duration::from_secs(pause)).await;
        }
    });
}

/// Reports SERVING while the store answers and the worker pool is whole, NOT_SERVING
/// otherwise; the store itself refuses requests at once while it is marked down.
async fn watch_health(store: Store, worker: WorkerHandle, health: HealthReporter, every: Duration) {
    let mut last: Option<bool> = None;
    let mut store_up = true;
    loop {
        if let Some(answered) = store.probe(every.max(Duration::from_secs(1))).await {
            store_up = answered;
        }
        let up = store_up && worker.healthy();
        if last != Some(up) {
            let status = if up {
                tracing::info!("store reachable and workers running: SERVING");
                ServingStatus::Serving
            } else {
                tracing::warn!(store_up, workers = worker.healthy(), "NOT_SERVING");
                ServingStatus::NotServing
            };
            for name in SERVICES {
                health.set_service_status(name, status).await;
            }
            last = Some(up);
        }
        tokio::time::sleep(every).await;
    }
}
