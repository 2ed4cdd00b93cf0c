//! How long a call may take, by kind (S5.3): a unary call `--request-timeout`, an upload
//! stream `--upload-timeout` (a large archive on a slow link takes minutes), a watch no
//! limit of its own (it ends with its run, or when the client goes). Past it the call
//! answers DEADLINE_EXCEEDED and its work is dropped: an upload leaves nothing behind.

use crate::domain::short_duration;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tonic::Status;
use tonic::codegen::http;
use tower::{Layer, Service};

/// Adds [`Deadline`] around a service.
#[derive(Debug, Clone, Copy)]
pub struct DeadlineLayer {
    pub unary: Duration,
    pub upload: Duration,
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Deadline {
            inner,
            limits: *self,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Deadline<S> {
    inner: S,
    limits: DeadlineLayer,
}

impl DeadlineLayer {
    /// The limit of a method, by its path; `None` for streams that end with their subject.
    fn of(&self, path: &str) -> Option<Duration> {
        match path.rsplit('/').next().unwrap_or_default() {
            "UploadRosterArchive" => Some(self.upload),
            "WatchSync" | "Watch" => None,
            _ => Some(self.unary),
        }
    }
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for Deadline<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<ReqBody>) -> Self::Future {
        let limit = self.limits.of(req.uri().path());
        let future = self.inner.call(req);
        Box::pin(async move {
            let Some(limit) = limit else {
                return future.await;
            };
            match tokio::time::timeout(limit, future).await {
                Ok(result) => result,
                Err(_) => Ok(Status::deadline_exceeded(format!(
                    "the call took longer than its limit of {}",
                    short_duration(limit)
                ))
                .into_http()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s5_3_uploads_have_their_own_limit_and_watches_none() {
        let limits = DeadlineLayer {
            unary: Duration::from_secs(30),
            upload: Duration::from_secs(1800),
        };
        let of = |m: &str| limits.of(&format!("/roster.v1.SyncService/{m}"));
        assert_eq!(of("StartSync"), Some(Duration::from_secs(30)));
        assert_eq!(of("UploadRosterArchive"), Some(Duration::from_secs(1800)));
        assert_eq!(of("WatchSync"), None);
        assert_eq!(short_duration(Duration::from_secs(1800)), "30m");
        assert_eq!(short_duration(Duration::from_millis(300)), "300ms");
    }
}
