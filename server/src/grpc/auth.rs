//! The tower layer in front of every roster.v1 service: it finds the caller of each call
//! from its API key (UNAUTHENTICATED without a usable one, RESOURCE_EXHAUSTED past the
//! key's rate), hands it to the handlers in the request's extensions, and records every
//! call that changed something in the audit log. Health and reflection stay open: they
//! carry no roster data (S1.6).

use crate::access::Access;
use crate::access::audit::{self, Change};
use crate::domain::{Caller, Error, Result};
use crate::store::Store;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tonic::codegen::http;
use tonic::{Request, Status};
use tower::{Layer, Service};

/// The caller of a request, put there by [`AuthLayer`].
pub fn caller<T>(req: &Request<T>) -> Result<Caller> {
    req.extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| Error::Unauthenticated("the call was not authenticated".into()))
}

/// Notes what a changing call changed, for its audit event.
pub fn audited<T>(mut response: tonic::Response<T>, change: Change) -> tonic::Response<T> {
    response.extensions_mut().insert(change);
    response
}

/// Adds [`Auth`] around the router.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    access: Access,
    store: Store,
}

impl AuthLayer {
    pub fn new(access: Access, store: Store) -> Self {
        AuthLayer { access, store }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Auth {
            inner,
            access: self.access.clone(),
            store: self.store.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Auth<S> {
    inner: S,
    access: Access,
    store: Store,
}

/// Whether a method reads only (it is then never audited).
fn reads_only(path: &str) -> bool {
    let method = path.rsplit('/').next().unwrap_or_default();
    ["Get", "List", "Watch", "Search"]
        .iter()
        .any(|verb| method.starts_with(verb))
}

/// The longest `x-roster-actor` kept.
const ACTOR_LIMIT: usize = 255;

fn header<'a, B>(req: &'a http::Request<B>, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for Auth<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<std::result::Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<ReqBody>) -> Self::Future {
        let path = req.uri().path().to_owned();
        if !path.starts_with("/roster.v1.") {
            return Box::pin(self.inner.call(req));
        }
        // The clone that was made ready serves this call (tower's pattern).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let (access, store) = (self.access.clone(), self.store.clone());
        let bearer = header(&req, "authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
        let actor: String = header(&req, "x-roster-actor")
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(ACTOR_LIMIT)
            .collect();
        Box::pin(async move {
            let caller = match access.caller(bearer.as_deref(), actor).await {
                Ok(caller) => caller,
                Err(e) => return Ok(Status::from(e).into_http()),
            };
            req.extensions_mut().insert(caller.clone());
            let response = inner.call(req).await?;
            let failed = response
                .headers()
                .get("grpc-status")
                .is_some_and(|s| s.as_bytes() != b"0");
            if !reads_only(&path) && !failed {
                let change = response
                    .extensions()
                    .get::<Change>()
                    .cloned()
                    .unwrap_or_default();
                if let Err(e) = audit::record(&store, &caller, &path, change).await {
                    tracing::error!(error = %e, method = %path, "audit event not recorded");
                }
            }
            Ok(response)
        })
    }
}
