//! Assembles and runs the server: store, migrations, services, health, reflection, layers,
//! graceful shutdown.

use crate::config::ServeConfig;
use crate::grpc::{BearerAuth, DirectoryApi, RpcSpanLayer, SyncApi};
use crate::store::{Store, StoreError};
use crate::sync::worker::SourcePaths;
use roster_proto::v1::directory_service_server::DirectoryServiceServer;
use roster_proto::v1::sync_service_server::SyncServiceServer;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
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
}

/// A started server.
pub struct Running {
    /// The address it listens on (useful with port 0).
    pub addr: SocketAddr,
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
const SERVICES: [&str; 3] = ["", "roster.v1.SyncService", "roster.v1.DirectoryService"];

/// Starts the server in the background. Migrations run first unless disabled.
pub async fn start(config: ServeConfig) -> Result<Running, StartError> {
    let store = Store::connect(
        &config.database.database_url,
        config.database.db_pool_size,
        config.database.db_connect_timeout,
    )?;
    if !config.no_migrate {
        store.migrate().await?;
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

    let paths = SourcePaths {
        import_dir: config.import_dir.clone(),
        data_dir: config.data_dir.clone(),
    };
    let worker = crate::sync::worker::spawn(store.clone(), paths.clone());

    let (health, health_service) = tonic_health::server::health_reporter();
    for name in SERVICES {
        health
            .set_service_status(name, ServingStatus::NotServing)
            .await;
    }
    tokio::spawn(watch_store(store.clone(), health, config.health_interval));

    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(roster_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(roster_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    let auth = BearerAuth::new(config.auth_token.clone());
    let mut builder = Server::builder();
    if let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) {
        let read = |path: &std::path::PathBuf| {
            std::fs::read(path)
                .map_err(|e| StartError::Tls(format!("cannot read {}: {e}", path.display())))
        };
        let identity = Identity::from_pem(read(cert)?, read(key)?);
        builder = builder
            .tls_config(ServerTlsConfig::new().identity(identity))
            .map_err(|e| StartError::Tls(e.to_string()))?;
    }
    let router = builder
        .timeout(config.request_timeout)
        .concurrency_limit_per_connection(config.concurrency_limit)
        .layer(RpcSpanLayer)
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(SyncServiceServer::with_interceptor(
            SyncApi::new(store.clone(), worker, paths, config.max_upload_bytes),
            auth.clone(),
        ))
        .add_service(DirectoryServiceServer::with_interceptor(
            DirectoryApi::new(store.clone()),
            auth,
        ));

    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(router.serve_with_incoming_shutdown(
        TcpListenerStream::new(listener),
        async {
            let _ = rx.await;
        },
    ));
    tracing::info!(%addr, backend = ?store.backend(), "roster-server listening");
    Ok(Running {
        addr,
        shutdown: Some(tx),
        task,
    })
}

/// Reports SERVING while the store answers and NOT_SERVING while it does not; the store
/// itself refuses requests at once while it is marked down.
async fn watch_store(store: Store, health: HealthReporter, every: Duration) {
    let mut last: Option<bool> = None;
    loop {
        let up = store.probe(every.max(Duration::from_secs(1))).await;
        if last != Some(up) {
            let status = if up {
                tracing::info!("store reachable: SERVING");
                ServingStatus::Serving
            } else {
                tracing::warn!("store unreachable: NOT_SERVING");
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
