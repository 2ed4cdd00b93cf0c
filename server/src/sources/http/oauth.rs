//! OAuth for OneRoster REST providers (R8.6): OAuth 1.0a two-legged request signatures with
//! HMAC-SHA256 (RFC 5849, which the OneRoster 1.1 specification and ClassLink require), and
//! the OAuth 2 client-credentials grant (RFC 6749 §4.4) with its token cached for the run.

use super::url::{describe, endpoint};
use crate::sources::SourceError;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use sha2::Sha256;
use std::fmt;
use std::time::{Duration, Instant};
use url::Url;

/// Everything but RFC 3986's unreserved characters is percent-encoded (RFC 5849 §3.6).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// RFC 5849 §3.6 percent-encoding: UTF-8, uppercase hex, unreserved characters kept.
pub fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// The signature base string (RFC 5849 §3.4.1): `METHOD&enc(base_url)&enc(params)`, the
/// parameters encoded, sorted by name then value, and joined as `name=value` with `&`.
pub fn oauth1_base_string(method: &str, base_url: &str, params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .map(|(name, value)| (percent_encode(name), percent_encode(value)))
        .collect();
    encoded.sort();
    let joined = encoded
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode(base_url),
        percent_encode(&joined)
    )
}

/// The HMAC-SHA256 signature of a request, base64 (standard, padded). `base_url` is
/// `scheme://host/path` without query; `params` are the query parameters and the `oauth_*`
/// parameters except `oauth_signature`. Two-legged: the key is the encoded consumer secret
/// and `&`, with no token secret.
pub fn oauth1_signature(
    method: &str,
    base_url: &str,
    params: &[(String, String)],
    consumer_secret: &str,
) -> String {
    let key = format!("{}&", percent_encode(consumer_secret));
    let base = oauth1_base_string(method, base_url, params);
    // HMAC takes keys of any length, so the error case never happens; an empty signature
    // would only be refused by the provider.
    Hmac::<Sha256>::new_from_slice(key.as_bytes())
        .map(|mut mac| {
            mac.update(base.as_bytes());
            STANDARD.encode(mac.finalize().into_bytes())
        })
        .unwrap_or_default()
}

/// The `Authorization` header of a signed request to `url` (whose query parameters are
/// signed too): `OAuth oauth_consumer_key="..", oauth_nonce="..", oauth_signature="..",
/// oauth_signature_method="HMAC-SHA256", oauth_timestamp="..", oauth_version="1.0"`.
pub fn oauth1_header(
    method: &str,
    url: &Url,
    consumer_key: &str,
    consumer_secret: &str,
    nonce: &str,
    timestamp: u64,
) -> String {
    let timestamp = timestamp.to_string();
    let oauth = [
        ("oauth_consumer_key", consumer_key),
        ("oauth_nonce", nonce),
        ("oauth_signature_method", "HMAC-SHA256"),
        ("oauth_timestamp", timestamp.as_str()),
        ("oauth_version", "1.0"),
    ];
    let mut params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    params.extend(
        oauth
            .iter()
            .map(|&(name, value)| (name.to_owned(), value.to_owned())),
    );
    let signature = oauth1_signature(method, &endpoint(url), &params, consumer_secret);
    let mut fields = oauth.to_vec();
    fields.push(("oauth_signature", signature.as_str()));
    fields.sort();
    let fields: Vec<String> = fields
        .iter()
        .map(|(name, value)| format!("{name}=\"{}\"", percent_encode(value)))
        .collect();
    format!("OAuth {}", fields.join(", "))
}

/// The value of an HTTP basic `Authorization` header (RFC 7617), as OAuth 2 clients
/// authenticate to a token endpoint (RFC 6749 §2.3.1).
pub fn basic_authorization(client_id: &str, client_secret: &str) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{client_id}:{client_secret}"))
    )
}

/// Renew a token this long before it expires, so it does not run out mid-request.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The longest a token is kept, whatever the provider says: a run never lasts longer.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// How long a token lives when the token endpoint does not say (`expires_in` is optional).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// An OAuth 2 client-credentials client: fetches a bearer token, keeps it until a minute
/// before it expires, and fetches a new one after that or when told the token was refused.
pub struct OAuth2Client {
    token_url: String,
    client_id: String,
    client_secret: String,
    scope: String,
    /// The token and when it expires.
    cached: tokio::sync::Mutex<Option<(String, Instant)>>,
}

impl fmt::Debug for OAuth2Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Client")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &format_args!("<redacted>"))
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl OAuth2Client {
    /// An empty `scope` asks for the client's default scope.
    pub fn new(
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        scope: impl Into<String>,
    ) -> Self {
        OAuth2Client {
            token_url: token_url.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scope: scope.into(),
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// The current token, fetched when there is none or it expires within a minute.
    /// Errors are [`SourceError::Io`] when the token endpoint could not be reached or
    /// failed (may pass) and [`SourceError::Invalid`] when it refused the client or answered
    /// something else than a token; they never hold the secret or a token.
    pub async fn token(&self, http: &reqwest::Client) -> Result<String, SourceError> {
        // Held across the request: concurrent callers wait for one token, not fetch many.
        let mut cached = self.cached.lock().await;
        if let Some((token, expires_at)) = cached.as_ref()
            && Instant::now() + REFRESH_MARGIN < *expires_at
        {
            return Ok(token.clone());
        }
        let (token, lifetime) = self.request_token(http).await?;
        // A provider may answer any `expires_in`; a lifetime past what the clock can hold
        // is kept for the longest it can.
        let now = Instant::now();
        let expires_at = now
            .checked_add(lifetime)
            .unwrap_or_else(|| now + MAX_LIFETIME);
        *cached = Some((token.clone(), expires_at));
        Ok(token)
    }

    /// Forgets the cached token, e.g. after the provider answered 401 to it.
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }

    /// POSTs the client-credentials grant; the token and its lifetime.
    async fn request_token(
        &self,
        http: &reqwest::Client,
    ) -> Result<(String, Duration), SourceError> {
        let what = format!("POST {}", self.token_endpoint());
        let mut form = vec![("grant_type", "client_credentials")];
        if !self.scope.trim().is_empty() {
            form.push(("scope", self.scope.trim()));
        }
        let mut credentials =
            HeaderValue::try_from(basic_authorization(&self.client_id, &self.client_secret))
                .map_err(|_| SourceError::Invalid(format!("{what}: unusable client id")))?;
        credentials.set_sensitive(true);
        let response = http
            .post(&self.token_url)
            .header(AUTHORIZATION, credentials)
            .form(&form)
            .send()
            .await
            .map_err(|err| SourceError::Io(format!("{what}: {}", describe(err))))?;
        let status = response.status();
        if !status.is_success() {
            return Err(token_status_error(&what, status));
        }
        let body = response
            .bytes()
            .await
            .map_err(|err| SourceError::Io(format!("{what}: {}", describe(err))))?;
        parse_token(&body).map_err(|problem| SourceError::Invalid(format!("{what}: {problem}")))
    }

    /// The token URL as errors name it, without a query.
    /// Where tokens are asked for.
    pub fn token_url(&self) -> &str {
        &self.token_url
    }

    fn token_endpoint(&self) -> String {
        Url::parse(&self.token_url)
            .map_or_else(|_| "the token URL".to_owned(), |url| endpoint(&url))
    }
}

/// A token endpoint's refusal is final (wrong client id or secret, a scope not granted); its
/// rate limits and server errors may pass.
fn token_status_error(what: &str, status: StatusCode) -> SourceError {
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        SourceError::Io(format!("{what}: {status}"))
    } else {
        SourceError::Invalid(format!(
            "{what}: {status} (check the client id, secret and scope)"
        ))
    }
}

/// `{"access_token": .., "token_type": "Bearer", "expires_in": 3600}`. `expires_in` may be
/// a number or, with some providers, a string. The error never quotes the answer, which
/// may hold a token.
fn parse_token(body: &[u8]) -> Result<(String, Duration), String> {
    let answer: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "the answer is not JSON".to_owned())?;
    let token = answer
        .get("access_token")
        .and_then(serde_json::Value::as_str)
        .filter(|token| !token.is_empty())
        .ok_or("the answer has no access_token")?;
    if let Some(kind) = answer.get("token_type").and_then(serde_json::Value::as_str)
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return Err(format!("token_type `{kind}` is not Bearer"));
    }
    let expires_in = answer.get("expires_in").and_then(|value| {
        value
            .as_u64()
            .or_else(|| value.as_str().and_then(|text| text.trim().parse().ok()))
    });
    let lifetime = expires_in.map_or(DEFAULT_LIFETIME, |s| {
        Duration::from_secs(s).min(MAX_LIFETIME)
    });
    Ok((token.to_owned(), lifetime))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|&(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    /// RFC 5849 §3.4.1.1's request, signed with HMAC-SHA256: a repeated parameter (sorted by
    /// value), encoded names and values, and spaces, `!`, `=`, `/` and `@` encoded.
    fn rfc_request() -> Vec<(String, String)> {
        params(&[
            ("b5", "=%3D"),
            ("a3", "a"),
            ("c@", ""),
            ("a2", "r b"),
            ("oauth_consumer_key", "9djdj82h48djs9d2"),
            ("oauth_token", "kkk9d7dh3k39sjv7"),
            ("oauth_signature_method", "HMAC-SHA256"),
            ("oauth_timestamp", "137131201"),
            ("oauth_nonce", "7d8f3e4a"),
            ("c2", ""),
            ("a3", "2 q"),
        ])
    }

    #[test]
    fn the_base_string_follows_rfc_5849() {
        let base = oauth1_base_string("post", "http://example.com/request", &rfc_request());
        assert_eq!(
            base,
            "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
        );
    }

    #[test]
    fn signatures_are_hmac_sha256_of_the_base_string() {
        let request = rfc_request();
        let url = "http://example.com/request";
        let signature = oauth1_signature("POST", url, &request, "j49sk3j29djd");
        // Computed independently (Python's hmac, hashlib.sha256 and base64 over the base
        // string above, keyed `j49sk3j29djd&`).
        assert_eq!(signature, "Nsi5O3LWE1ns6+M995z0vIhMuY+1swaYraFJwBju/iI=");
        assert_eq!(signature.len(), 44, "32 bytes, base64 with padding");
        assert!(signature.ends_with('='));
        assert_eq!(
            signature,
            oauth1_signature("POST", url, &request, "j49sk3j29djd"),
            "deterministic"
        );
        assert_ne!(
            signature,
            oauth1_signature("POST", url, &request, "another-secret")
        );
        assert_ne!(
            signature,
            oauth1_signature("GET", url, &request, "j49sk3j29djd")
        );
    }

    #[test]
    fn percent_encoding_keeps_only_unreserved_characters() {
        assert_eq!(percent_encode("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(
            percent_encode(" !\"#$%&'()*+,/:;<=>?@[]"),
            "%20%21%22%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3C%3D%3E%3F%40%5B%5D"
        );
        assert_eq!(percent_encode("é"), "%C3%A9");
    }

    #[test]
    fn the_header_signs_the_query_and_the_oauth_parameters() {
        let url = Url::parse("https://sis.example.org/ims/oneroster/v1p1/users?limit=100&offset=0")
            .unwrap();
        let header = oauth1_header("GET", &url, "key one", "s3cret", "abc123", 1_700_000_000);
        // The signature over `limit`, `offset` and the `oauth_*` parameters, computed
        // independently as above, then percent-encoded (`=` is `%3D`).
        assert_eq!(
            header,
            "OAuth oauth_consumer_key=\"key%20one\", oauth_nonce=\"abc123\", \
             oauth_signature=\"ro4JqQBz4GlevGjge1pMEG0880HHYyFCCxzMOP80RXY%3D\", \
             oauth_signature_method=\"HMAC-SHA256\", oauth_timestamp=\"1700000000\", \
             oauth_version=\"1.0\""
        );
        assert!(!header.contains("s3cret"));
    }

    #[test]
    fn basic_authorization_is_base64_of_id_and_secret() {
        assert_eq!(
            basic_authorization("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn token_answers_are_parsed_without_quoting_them() {
        let (token, lifetime) =
            parse_token(br#"{"access_token":"t-1","token_type":"bearer","expires_in":120}"#)
                .unwrap();
        assert_eq!(
            (token.as_str(), lifetime),
            ("t-1", Duration::from_secs(120))
        );
        let (_, lifetime) = parse_token(br#"{"access_token":"t-1","expires_in":"90"}"#).unwrap();
        assert_eq!(lifetime, Duration::from_secs(90));
        let (_, lifetime) = parse_token(br#"{"access_token":"t-1"}"#).unwrap();
        assert_eq!(lifetime, DEFAULT_LIFETIME);
        // A lifetime no clock can hold is capped rather than overflowing.
        let huge = format!(r#"{{"access_token":"t-1","expires_in":{}}}"#, u64::MAX);
        let (_, lifetime) = parse_token(huge.as_bytes()).unwrap();
        assert_eq!(lifetime, MAX_LIFETIME);
        assert!(Instant::now().checked_add(lifetime).is_some());
        let err = parse_token(br#"{"access_token":"t-SECRET","token_type":"mac"}"#).unwrap_err();
        assert!(!err.contains("t-SECRET"), "{err}");
        assert!(parse_token(br#"{"token":"x"}"#).is_err());
        assert!(parse_token(b"<html>").is_err());
    }

    #[test]
    fn debug_hides_the_client_secret() {
        let client = OAuth2Client::new("https://sis.example.org/token", "id", "s3cret", "");
        let text = format!("{client:?}");
        assert!(text.contains("id") && !text.contains("s3cret"), "{text}");
    }
}
