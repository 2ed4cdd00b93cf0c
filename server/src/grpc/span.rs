//! One tracing span per RPC, named by its path, with its duration and status logged when
//! the response is ready.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;
use tonic::codegen::http;
use tower::{Layer, Service};
use tracing::Instrument;

/// Adds [`RpcSpan`] around a service.
#[derive(Debug, Clone, Copy, Default)]
pub struct RpcSpanLayer;

impl<S> Layer<S> for RpcSpanLayer {
    type Service = RpcSpan<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcSpan { inner }
    }
}

#[derive(Debug, Clone)]
pub struct RpcSpan<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for RpcSpan<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: std::fmt::Display,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<ReqBody>) -> Self::Future {
        let span = tracing::info_span!("rpc", method = %req.uri().path());
        let started = Instant::now();
        let future = self.inner.call(req);
        Box::pin(
            async move {
                let result = future.await;
                let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
                match &result {
                    Ok(response) => {
                        // Errors answered before any message carry grpc-status in the headers.
                        let code = response
                            .headers()
                            .get("grpc-status")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("0");
                        tracing::info!(elapsed_ms, grpc_status = code, "rpc done");
                    }
                    Err(e) => tracing::warn!(elapsed_ms, error = %e, "rpc failed"),
                }
                result
            }
            .instrument(span),
        )
    }
}
