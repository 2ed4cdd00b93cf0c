//! Configuring a [`RosterClient`]: endpoint, timeouts, token, retries, page size.

use crate::{BearerAuth, Error, RetryPolicy, RosterClient, Secret};
use std::time::Duration;
use tonic::transport::Endpoint;

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
/// This build of the crate has no TLS support compiled in: `https://` endpoints are
/// refused with [`Error::Transport`]. Reach a TLS-only server through a local
/// TLS-terminating proxy or sidecar with a plain `http://` endpoint.
#[derive(Debug, Clone)]
pub struct RosterClientBuilder {
    endpoint: String,
    connect_timeout: Duration,
    request_timeout: Option<Duration>,
    token: Option<Secret>,
    retry: RetryPolicy,
    page_size: u32,
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
        if self.endpoint.starts_with("https://") {
            return Err(Error::Transport(format!(
                "{}: TLS is not compiled into this build of roster-client; use an http:// \
                 endpoint (for example through a TLS-terminating sidecar)",
                self.endpoint
            )));
        }
        let endpoint = Endpoint::from_shared(self.endpoint.clone())
            .map_err(|e| Error::Transport(format!("{}: {e}", self.endpoint)))?;
        Ok(endpoint.connect_timeout(self.connect_timeout))
    }

    fn finish(self, channel: tonic::transport::Channel) -> Result<RosterClient, Error> {
        let auth = match &self.token {
            Some(token) => BearerAuth::new(token.expose())?,
            None => BearerAuth::default(),
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
