//! One tracing span per RPC, named by its path, with its duration and status logged when
//! the response is ready, and counted for the metrics.

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
        let method = req.uri().path().to_owned();
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
                        record(&method, code, elapsed_ms / 1000.0);
                    }
                    Err(e) => tracing::warn!(elapsed_ms, error = %e, "rpc failed"),
                }
                result
            }
            .instrument(span),
        )
    }
}

/// One answered call, for `roster_rpc_requests_total` and `roster_rpc_duration_seconds`.
/// The method label is the route only when the server has it: a path nobody serves
/// (answered UNIMPLEMENTED) counts as `unknown`, so a caller cannot mint series.
fn record(method: &str, code: &str, seconds: f64) {
    let code = tonic::Code::from(code.parse::<i32>().unwrap_or(2));
    let method = if code == tonic::Code::Unimplemented {
        "unknown".to_owned()
    } else {
        method.to_owned()
    };
    metrics::counter!(
        "roster_rpc_requests_total",
        "method" => method.clone(),
        "code" => code_name(code)
    )
    .increment(1);
    metrics::histogram!("roster_rpc_duration_seconds", "method" => method).record(seconds);
}

/// `OK`, `INVALID_ARGUMENT`, ...: the code as gRPC names it.
fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}
