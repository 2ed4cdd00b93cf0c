//! The mock's side of OAuth: OAuth 1.0a signatures recomputed and checked, and an OAuth 2
//! token endpoint for the client-credentials grant.

use super::*;

pub(super) fn authenticate(
    state: &mut MockState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<(), &'static str> {
    let authorization = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or("no Authorization header")?;
    match state.config.auth.clone() {
        MockAuth::OAuth1 {
            consumer_key,
            consumer_secret,
        } => {
            let check = Oauth1Check {
                method,
                uri,
                headers,
                consumer_key: &consumer_key,
                consumer_secret: &consumer_secret,
            };
            check.verify(authorization, &mut state.nonces)
        }
        MockAuth::OAuth2 { .. } => {
            let token = authorization
                .strip_prefix("Bearer ")
                .ok_or("not a bearer token")?;
            if state.tokens.contains(token) {
                Ok(())
            } else {
                Err("unknown token")
            }
        }
    }
}

/// An OAuth 1.0a request to verify (RFC 5849 §3.2).
struct Oauth1Check<'a> {
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    consumer_key: &'a str,
    consumer_secret: &'a str,
}

impl Oauth1Check<'_> {
    fn verify(
        &self,
        authorization: &str,
        nonces: &mut HashSet<String>,
    ) -> Result<(), &'static str> {
        let oauth = oauth_params(authorization).ok_or("not an OAuth header")?;
        let field = |name: &str| {
            oauth
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        if field("oauth_consumer_key") != Some(self.consumer_key) {
            return Err("unknown consumer key");
        }
        if field("oauth_signature_method") != Some("HMAC-SHA256") {
            return Err("not HMAC-SHA256");
        }
        let timestamp: u64 = field("oauth_timestamp")
            .and_then(|t| t.parse().ok())
            .ok_or("no timestamp")?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        if now.abs_diff(timestamp) > 300 {
            return Err("stale timestamp");
        }
        let signature = field("oauth_signature").ok_or("no signature")?;
        if signature != self.expected_signature(&oauth)? {
            return Err("invalid signature");
        }
        let nonce = field("oauth_nonce").ok_or("no nonce")?;
        if !nonces.insert(nonce.to_owned()) {
            return Err("nonce used before");
        }
        Ok(())
    }

    /// The signature recomputed over what actually arrived: method, host, path, query and
    /// the `oauth_*` parameters.
    fn expected_signature(&self, oauth: &[(String, String)]) -> Result<String, &'static str> {
        let host = self
            .headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .ok_or("no Host header")?;
        let base_url = format!("http://{host}{}", self.uri.path());
        let mut params = query_params(self.uri);
        params.extend(
            oauth
                .iter()
                .filter(|(k, _)| k != "oauth_signature" && k != "realm")
                .cloned(),
        );
        Ok(oauth1_signature(
            self.method.as_str(),
            &base_url,
            &params,
            self.consumer_secret,
        ))
    }
}

/// The decoded parameters of an `Authorization: OAuth k="v", ...` header.
fn oauth_params(header: &str) -> Option<Vec<(String, String)>> {
    header
        .strip_prefix("OAuth ")?
        .split(',')
        .map(|field| {
            let (name, value) = field.trim().split_once('=')?;
            let value = value.trim().strip_prefix('"')?.strip_suffix('"')?;
            Some((name.trim().to_owned(), percent_decode(value)?))
        })
        .collect()
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

/// The OAuth 2 token endpoint: client credentials in HTTP basic auth, the
/// client-credentials grant, and the configured scope.
pub(super) async fn token(
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut state = app.state.lock().expect("mock state");
    state.token_requests += 1;
    let MockAuth::OAuth2 {
        client_id,
        client_secret,
        scope,
    } = state.config.auth.clone()
    else {
        return failure(StatusCode::NOT_FOUND, "this provider has no token endpoint");
    };
    let expected = basic_authorization(&client_id, &client_secret);
    if headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    if !scope.is_empty() && form.get("scope") != Some(&scope) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope");
    }
    let token = format!("tok-{:032x}", rand::random::<u128>());
    state.tokens.insert(token.clone());
    axum::Json(json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": state.config.token_expires_in,
        "scope": scope,
    }))
    .into_response()
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, axum::Json(json!({ "error": error }))).into_response()
}
