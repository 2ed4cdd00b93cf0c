//! HTTP for live sources (OneRoster REST, Clever): GETs of JSON pages with a timeout per
//! request and retries with backoff for what may pass (connection errors, timeouts, a body
//! cut short, 429, 5xx), so that a provider's bad minute does not fail a nightly sync, while
//! a refusal (401, 403, another 4xx) or a malformed answer fails at once.
//!
//! Errors become a run's failure message, which users read: they name the endpoint
//! (`scheme://host/path`) and the HTTP status, never a query string, a header, a token or a
//! secret.

use super::SourceError;
pub mod oauth;
mod outbound;
#[cfg(test)]
mod tests;
mod url;

use self::url::{describe, endpoint, path_and_query, request_url};
use ::url::Url;
pub use oauth::OAuth2Client;
use outbound::Refused;
pub use outbound::{Outbound, internal};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode};
use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Once};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How hard to try. Default: 5 attempts, 500 ms initial backoff doubling to at most 30 s,
/// 30 s per request.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// The pause before the second attempt; it doubles for each one after.
    pub initial_backoff: Duration,
    /// The longest pause, also for a provider's `Retry-After`.
    pub max_backoff: Duration,
    /// The whole of one attempt: connecting, sending, and reading the body.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The pause after failed attempt `attempt` (1-based): what the provider asked for, or
    /// the exponential backoff, never more than `max_backoff`.
    fn pause(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let backoff = || {
            let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
            self.initial_backoff.saturating_mul(factor)
        };
        retry_after.unwrap_or_else(backoff).min(self.max_backoff)
    }
}

/// How requests are authenticated. Debug does not print secrets.
pub enum Auth {
    None,
    /// A bearer token, e.g. a Clever district token.
    Bearer(String),
    /// OAuth 1.0a two-legged, HMAC-SHA256: every attempt is signed anew.
    OAuth1 {
        consumer_key: String,
        consumer_secret: String,
    },
    /// OAuth 2 client credentials: a cached bearer token.
    OAuth2(OAuth2Client),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Auth::OAuth1 { consumer_key, .. } => f
                .debug_struct("OAuth1")
                .field("consumer_key", consumer_key)
                .field("consumer_secret", &format_args!("<redacted>"))
                .finish(),
            Auth::OAuth2(client) => f.debug_tuple("OAuth2").field(client).finish(),
        }
    }
}

/// A page of JSON and the response headers (for `Link` and `X-Total-Count`).
#[derive(Debug)]
pub struct JsonPage {
    /// The request's path and query, e.g. `/users?limit=100&offset=200`: where issues say
    /// a record was read. Never a secret (credentials travel in headers).
    pub url: String,
    pub body: serde_json::Value,
    pub headers: HeaderMap,
}

/// Fetches JSON pages for one run.
pub struct Fetcher {
    client: reqwest::Client,
    retry: RetryPolicy,
    outbound: Outbound,
    /// Pages fetched so far by this run, against the outbound page limit.
    pages: AtomicU64,
    /// Records received so far, for the run's progress: connectors add to it as pages
    /// arrive, the worker reads it.
    pub records: Arc<AtomicU64>,
    /// The kind of source, the `source` label of `roster_source_requests_total`.
    pub source: &'static str,
}

/// reqwest is built without a crypto provider of its own (`rustls-no-provider`): it uses
/// the process default, which is installed once, here.
static CRYPTO_PROVIDER: Once = Once::new();

fn install_crypto_provider() {
    CRYPTO_PROVIDER.call_once(|| {
        // An error means another part of the process installed one first: it is used.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// What one attempt came to, when not a page.
enum Failure {
    /// Worth another attempt, after the pause the provider asked for, if any.
    Retry {
        message: String,
        retry_after: Option<Duration>,
    },
    /// 401: with OAuth 2 a fresh token may help, once.
    Unauthorized(SourceError),
    /// No point in trying again.
    Fatal(SourceError),
}

/// A fetched page, or the endpoint's 404.
enum Fetched {
    Page(JsonPage),
    NotFound { endpoint: String },
}

impl Fetcher {
    pub fn new(retry: RetryPolicy, outbound: Outbound) -> Result<Self, SourceError> {
        install_crypto_provider();
        let client = build_client(&retry, &outbound).map_err(|err| {
            SourceError::Io(format!("cannot set up the HTTP client: {}", describe(err)))
        })?;
        Ok(Fetcher {
            client,
            retry,
            outbound,
            pages: AtomicU64::new(0),
            records: Arc::default(),
            source: "source",
        })
    }

    /// GETs `url` (absolute) with `query` appended, retrying connection errors, timeouts, a
    /// body cut short, 429 and 5xx with exponential backoff (honouring `Retry-After`). A
    /// refusal (401, 403), another 4xx, including 404, or malformed JSON fails at once; the
    /// error names the endpoint and the status.
    pub async fn get_json(
        &self,
        url: &str,
        query: &[(&str, String)],
        auth: &Auth,
    ) -> Result<JsonPage, SourceError> {
        match self.fetch(url, query, auth).await? {
            Fetched::Page(page) => Ok(page),
            Fetched::NotFound { endpoint } => Err(SourceError::Invalid(format!(
                "GET {endpoint}: {}",
                StatusCode::NOT_FOUND
            ))),
        }
    }

    /// Like [`Self::get_json`], but `None` when the endpoint answers 404 Not Found: for
    /// resources a provider may not offer (OneRoster `demographics`).
    pub async fn get_json_if_present(
        &self,
        url: &str,
        query: &[(&str, String)],
        auth: &Auth,
    ) -> Result<Option<JsonPage>, SourceError> {
        match self.fetch(url, query, auth).await? {
            Fetched::Page(page) => Ok(Some(page)),
            Fetched::NotFound { .. } => Ok(None),
        }
    }

    async fn fetch(
        &self,
        url: &str,
        query: &[(&str, String)],
        auth: &Auth,
    ) -> Result<Fetched, SourceError> {
        let url = request_url(url, query)?;
        let endpoint = endpoint(&url);
        self.outbound
            .check_url(&url)
            .map_err(SourceError::Invalid)?;
        let pages = self
            .pages
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        if pages > self.outbound.max_pages {
            return Err(SourceError::Invalid(format!(
                "the source answers with more than {} pages, the limit of a run",
                self.outbound.max_pages
            )));
        }
        let mut attempt = 1;
        let mut token_renewed = false;
        loop {
            match self.attempt(&url, &endpoint, auth).await {
                Ok(fetched) => return Ok(fetched),
                Err(Failure::Fatal(error)) => return Err(error),
                Err(Failure::Unauthorized(error)) => {
                    if token_renewed || !forget_token(auth).await {
                        return Err(error);
                    }
                    token_renewed = true;
                }
                Err(Failure::Retry {
                    message,
                    retry_after,
                }) => {
                    if attempt >= self.retry.attempts {
                        return Err(SourceError::Io(format!(
                            "{message} (gave up after {attempt} attempts)"
                        )));
                    }
                    let pause = self.retry.pause(attempt, retry_after);
                    tracing::warn!(
                        attempt,
                        pause_ms = pause.as_millis() as u64,
                        error = %message,
                        "retrying a source request"
                    );
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
            }
        }
    }

    /// One try: authenticate, send, read the whole body, parse it.
    async fn attempt(&self, url: &Url, endpoint: &str, auth: &Auth) -> Result<Fetched, Failure> {
        let request = self
            .client
            .get(url.clone())
            .header(ACCEPT, "application/json");
        let response = self
            .authenticate(request, url, auth)
            .await?
            .send()
            .await
            .map_err(|err| {
                self.count_request("error");
                transport_failure(endpoint, err)
            })?;
        let status = response.status();
        self.count_request(status.as_str());
        if status == StatusCode::NOT_FOUND {
            return Ok(Fetched::NotFound {
                endpoint: endpoint.to_owned(),
            });
        }
        if !status.is_success() {
            return Err(status_failure(endpoint, status, response.headers()));
        }
        let headers = response.headers().clone();
        let bytes = self.body(endpoint, response).await?;
        let body = serde_json::from_slice(&bytes).map_err(|err| {
            Failure::Fatal(SourceError::Invalid(format!(
                "GET {endpoint}: the answer is not valid JSON ({err})"
            )))
        })?;
        Ok(Fetched::Page(JsonPage {
            url: path_and_query(url),
            body,
            headers,
        }))
    }

    /// One request for the dashboards: its HTTP status, or `error` without an answer.
    fn count_request(&self, status: &str) {
        metrics::counter!(
            "roster_source_requests_total",
            "source" => self.source,
            "status" => status.to_owned()
        )
        .increment(1);
    }

    /// The whole body, read a chunk at a time and given up past the outbound cap (S4.2):
    /// memory never holds more than the cap. A connection dropped mid-body fails here,
    /// and is retried like any transport error.
    async fn body(
        &self,
        endpoint: &str,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, Failure> {
        let cap = self.outbound.max_body_bytes;
        if response.content_length().is_some_and(|n| n > cap) {
            return Err(over_cap(endpoint, cap));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|err| transport_failure(endpoint, err))?
        {
            if (body.len() + chunk.len()) as u64 > cap {
                return Err(over_cap(endpoint, cap));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Adds the credentials to one attempt: a fresh OAuth 1 signature (new nonce and
    /// timestamp), or the current OAuth 2 token.
    async fn authenticate(
        &self,
        request: RequestBuilder,
        url: &Url,
        auth: &Auth,
    ) -> Result<RequestBuilder, Failure> {
        Ok(match auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::OAuth1 {
                consumer_key,
                consumer_secret,
            } => {
                let header = oauth::oauth1_header(
                    "GET",
                    url,
                    consumer_key,
                    consumer_secret,
                    &nonce(),
                    unix_time(),
                );
                request.header(AUTHORIZATION, sensitive(header)?)
            }
            Auth::OAuth2(client) => {
                let token_url = Url::parse(client.token_url()).map_err(|_| {
                    Failure::Fatal(SourceError::Invalid("the token URL is not a URL".into()))
                })?;
                self.outbound
                    .check_url(&token_url)
                    .map_err(|e| Failure::Fatal(SourceError::Invalid(e)))?;
                let token = client.token(&self.client).await.map_err(token_failure)?;
                request.bearer_auth(token)
            }
        })
    }
}

/// The client, verifying certificates with the system's roots. Without any (a bare
/// container) the platform verifier cannot be built; the client then trusts no root, so
/// plain `http` (a provider on the local network) still works and `https` fails per
/// request with a certificate error.
fn build_client(retry: &RetryPolicy, outbound: &Outbound) -> reqwest::Result<reqwest::Client> {
    let builder = || {
        reqwest::Client::builder()
            .timeout(retry.request_timeout)
            .connect_timeout(retry.request_timeout)
            .user_agent(concat!("roster-sync/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(outbound.resolver())
            .redirect(same_host_redirects())
    };
    builder().build().or_else(|err| {
        tracing::warn!(error = %err, "no system CA certificates: https sources will fail");
        builder()
            .tls_certs_only(std::iter::empty::<reqwest::Certificate>())
            .build()
    })
}

/// Redirects are followed only on the host (scheme and port) they started on, a few at
/// most: a provider may move a page, never send the server elsewhere (S4.1).
fn same_host_redirects() -> reqwest::redirect::Policy {
    const MAX_REDIRECTS: usize = 5;
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().cloned();
        let same = first.is_some_and(|f| {
            f.scheme() == attempt.url().scheme()
                && f.host_str() == attempt.url().host_str()
                && f.port_or_known_default() == attempt.url().port_or_known_default()
        });
        // `previous` holds the first URL too: five redirects make six URLs.
        if same && attempt.previous().len() <= MAX_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

fn over_cap(endpoint: &str, cap: u64) -> Failure {
    Failure::Fatal(SourceError::Invalid(format!(
        "GET {endpoint}: the answer is larger than {cap} bytes, the limit"
    )))
}

/// Drops a cached OAuth 2 token after a 401; `false` when there is none to renew.
async fn forget_token(auth: &Auth) -> bool {
    match auth {
        Auth::OAuth2(client) => {
            client.invalidate().await;
            true
        }
        _ => false,
    }
}

/// A status that is no page: refusals and other client errors are final; rate limits and
/// server errors pass, with the pause the provider asks for.
fn status_failure(endpoint: &str, status: StatusCode, headers: &HeaderMap) -> Failure {
    let message = format!("GET {endpoint}: {status}");
    if status.is_redirection() {
        return Failure::Fatal(SourceError::Invalid(format!(
            "{message}: a redirect to another host is never followed"
        )));
    }
    match status {
        StatusCode::UNAUTHORIZED => Failure::Unauthorized(refused(message)),
        StatusCode::FORBIDDEN => Failure::Fatal(refused(message)),
        _ if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() => {
            Failure::Retry {
                message,
                retry_after: retry_after(headers),
            }
        }
        _ => Failure::Fatal(SourceError::Invalid(message)),
    }
}

fn refused(message: String) -> SourceError {
    SourceError::Invalid(format!("{message} (check the credentials)"))
}

/// A request that got no complete answer. A request that could not be built or a redirect
/// gone wrong will not improve; anything else (no connection, a timeout, a connection
/// dropped mid-body) may.
fn transport_failure(endpoint: &str, err: reqwest::Error) -> Failure {
    let mut cause = std::error::Error::source(&err);
    while let Some(inner) = cause {
        if let Some(refused) = inner.downcast_ref::<Refused>() {
            return Failure::Fatal(SourceError::Invalid(format!("GET {endpoint}: {refused}")));
        }
        cause = inner.source();
    }
    let lasting = err.is_builder() || err.is_redirect();
    let message = format!("GET {endpoint}: {}", describe(err));
    if lasting {
        Failure::Fatal(SourceError::Io(message))
    } else {
        Failure::Retry {
            message,
            retry_after: None,
        }
    }
}

/// An OAuth 2 token that could not be had: the token endpoint was unreachable or failing
/// (`Io`, may pass) or refused the client (`Invalid`, final).
fn token_failure(err: SourceError) -> Failure {
    match err {
        SourceError::Io(message) => Failure::Retry {
            message,
            retry_after: None,
        },
        invalid @ SourceError::Invalid(_) => Failure::Fatal(invalid),
    }
}

/// `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    // An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) is an RFC 2822 date.
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or_default())
}

/// A header value kept out of debug output.
fn sensitive(value: String) -> Result<HeaderValue, Failure> {
    let mut header = HeaderValue::try_from(value).map_err(|_| {
        Failure::Fatal(SourceError::Invalid(
            "the credentials cannot be sent in an HTTP header".into(),
        ))
    })?;
    header.set_sensitive(true);
    Ok(header)
}

/// A one-time value for an OAuth 1 signature.
fn nonce() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn unix_time() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
