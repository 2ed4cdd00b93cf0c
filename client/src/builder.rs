//! Configuring a [`RosterClient`]: endpoint, timeouts, token, retries, page size.

use crate::{BearerAuth, Error, RetryPolicy, RosterClient, Secret};
use std::time::Duration;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

/// Builds a [`RosterClient`]. Start from [`RosterClient::builder`].
///
/// ```no_run
/// use roster_client::{RetryPolicy, RosterClient};
/// use std::time::Duration;
///
/// # async fn demo() -> Result<(), roster_client::Error> {
/// let client = RosterClient::builder()
///     .endpoint("http://roster.internal:50051")
///     .connect_timeout(Duration::from_secs(2))
///     .request_timeout(Duration::from_secs(10))
///     .bearer_token(std::env::var("ROSTER_TOKEN").unwrap_or_default())
///     .retry(RetryPolicy { max_attempts: 5, ..RetryPolicy::default() })
///     .connect()
///     .await?;
/// # let _ = client;
/// # Ok(()) }
/// ```
///
/// # TLS
///
/// An `https://` endpoint is reached over TLS (rustls), trusting the system's root
/// certificates, or only the CA given with [`RosterClientBuilder::tls_ca_certificate`]
/// (for an internal CA or a self-signed server certificate).
#[derive(Debug, Clone)]
pub struct RosterClientBuilder {
    endpoint: String,
    connect_timeout: Duration,
    request_timeout: Option<Duration>,
    token: Option<Secret>,
    retry: RetryPolicy,
    page_size: u32,
    /// PEM of the CA to trust for `https://` instead of the system roots.
    tls_ca: Option<Vec<u8>>,
    /// Certificate and private key (PEM) shown to a server that asks for one (mutual
    /// TLS); the key is kept as a secret, never printed.
    tls_identity: Option<(Vec<u8>, Secret)>,
    /// The end user calls are made for.
    actor: Option<String>,
}

impl Default for RosterClientBuilder {
    fn default() -> Self {
        RosterClientBuilder {
            endpoint: RosterClientBuilder::DEFAULT_ENDPOINT.to_owned(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Some(Duration::from_secs(30)),
            token: None,
            retry: RetryPolicy::default(),
            page_size: 0,
            tls_ca: None,
            tls_identity: None,
            actor: None,
        }
    }
}

impl RosterClientBuilder {
    /// Where a local server listens by default.
    pub const DEFAULT_ENDPOINT: &'static str = "http://127.0.0.1:50051";

    /// The server's address, e.g. `http://127.0.0.1:50051` (the default).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// How long to wait for the connection to open (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long to wait for the answer to each call (default 30 s); a call that takes
    /// longer fails with [`Error::Timeout`]. For `WatchSync` this bounds only the start of
    /// the stream.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// Lets calls take as long as they take.
    pub fn no_request_timeout(mut self) -> Self {
        self.request_timeout = None;
        self
    }

    /// A token sent as `authorization: Bearer <token>` on every call. An empty token sends
    /// nothing.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.token = if token.is_empty() {
            None
        } else {
            Some(Secret::new(token))
        };
        self
    }

    /// The end user calls are made for, sent as `x-roster-actor` for the server's audit
    /// log: a service acting for a person names that person.
    pub fn actor(mut self, actor: impl Into<String>) -> Self {
        let actor = actor.into();
        self.actor = (!actor.is_empty()).then_some(actor);
        self
    }

    /// When read-only calls are retried after `UNAVAILABLE` (default: 3 attempts).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The page size of the list streams (default 0: the server's, 50).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    /// Trusts only this CA (PEM) for `https://` endpoints, instead of the system roots.
    pub fn tls_ca_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls_ca = Some(pem.into());
        self
    }

    /// Shows this certificate and key (PEM) to a server that requires client
    /// certificates (mutual TLS).
    pub fn tls_client_identity(
        mut self,
        cert_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        let key = Secret::new(String::from_utf8_lossy(&key_pem.into()).into_owned());
        self.tls_identity = Some((cert_pem.into(), key));
        self
    }

    /// Connects now: fails with [`Error::Transport`] if the server cannot be reached.
    pub async fn connect(self) -> Result<RosterClient, Error> {
        let endpoint = self.transport_endpoint()?;
        let channel = endpoint
            .connect()
            .await
            .map_err(|e| Error::Transport(format!("{}: {}", self.endpoint, error_chain(&e))))?;
        self.finish(channel)
    }

    /// Builds the client without connecting: the connection opens on the first call, and
    /// an unreachable server shows as [`Error::Unavailable`] from that call. Call it from
    /// within a Tokio runtime.
    pub fn build(self) -> Result<RosterClient, Error> {
        let channel = self.transport_endpoint()?.connect_lazy();
        self.finish(channel)
    }

    fn transport_endpoint(&self) -> Result<Endpoint, Error> {
        let invalid = |e: tonic::transport::Error| {
            Error::Transport(format!("{}: {}", self.endpoint, error_chain(&e)))
        };
        let mut endpoint = Endpoint::from_shared(self.endpoint.clone()).map_err(invalid)?;
        if self.endpoint.starts_with("https://") {
            let mut tls = match &self.tls_ca {
                Some(pem) => ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem)),
                None => ClientTlsConfig::new().with_native_roots(),
            };
            if let Some((cert, key)) = &self.tls_identity {
                tls = tls.identity(Identity::from_pem(cert, key.expose()));
            }
            endpoint = endpoint.tls_config(tls).map_err(invalid)?;
        }
        Ok(endpoint.connect_timeout(self.connect_timeout))
    }

    fn finish(self, channel: tonic::transport::Channel) -> Result<RosterClient, Error> {
        let auth = match &self.token {
            Some(token) => BearerAuth::new(token.expose())?,
            None => BearerAuth::default(),
        };
        let auth = match &self.actor {
            Some(actor) => auth.with_actor(actor)?,
            None => auth,
        };
        Ok(RosterClient {
            channel,
            auth,
            request_timeout: self.request_timeout,
            retry: self.retry,
            page_size: self.page_size,
        })
    }
}

/// An error with its sources, e.g. "transport error: tcp connect error: Connection refused".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
