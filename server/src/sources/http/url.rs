//! URLs as requests carry them and as messages name them. Messages name an endpoint
//! (`scheme://host/path`) and never a query string, user info or header: those can hold
//! credentials.

use crate::sources::SourceError;
use std::error::Error as _;
use url::Url;

/// `url` with `query` appended (form-encoded, as the request will carry it).
pub fn request_url(url: &str, query: &[(&str, String)]) -> Result<Url, SourceError> {
    let mut parsed = Url::parse(url).map_err(|err| {
        let without_query = url.split('?').next().unwrap_or_default();
        SourceError::Invalid(format!("`{without_query}` is not a valid URL ({err})"))
    })?;
    if !query.is_empty() {
        let mut pairs = parsed.query_pairs_mut();
        for (name, value) in query {
            pairs.append_pair(name, value);
        }
    }
    Ok(parsed)
}

/// `scheme://host[:port]/path`: what errors name. Without user info, query or fragment, so
/// never a secret. It is also RFC 5849's base string URI (§3.4.1.2): the url crate
/// lowercases scheme and host and leaves a default port out.
pub fn endpoint(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{}://{host}:{port}{}", url.scheme(), url.path()),
        None => format!("{}://{host}{}", url.scheme(), url.path()),
    }
}

pub fn path_and_query(url: &Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// A reqwest error and its causes, without the URL reqwest adds (its query is not ours to
/// show).
pub fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}
