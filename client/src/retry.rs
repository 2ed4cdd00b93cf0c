//! How calls are made: the request timeout on every call, and retries with backoff for
//! read-only calls that fail with `UNAVAILABLE`.

use crate::{Error, RosterClient};
use std::future::Future;
use std::time::Duration;

/// When read-only calls (`Get*`, `List*`, `WatchSync`) are retried.
///
/// Only `UNAVAILABLE` is retried, and only on calls that change nothing (plus `StartSync`,
/// `ApproveSync` and `RevertSync` with a `request_id`, and `ResumeSchedule`, which are
/// idempotent), so a retry can never apply a change twice.
///
/// ```
/// use roster_client::RetryPolicy;
/// use std::time::Duration;
///
/// let policy = RetryPolicy {
///     max_attempts: 5,
///     initial_backoff: Duration::from_millis(50),
///     ..RetryPolicy::default()
/// };
/// assert_eq!(policy.backoff(1), Duration::from_millis(50));
/// assert_eq!(policy.backoff(2), Duration::from_millis(100));
/// assert_eq!(RetryPolicy::never().max_attempts, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 never retries.
    pub max_attempts: u32,
    /// Wait before the first retry; it doubles for each further one.
    pub initial_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, waiting 100 ms then 200 ms (at most 2 s).
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// No retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The wait after failed attempt number `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(16);
        self.initial_backoff
            .saturating_mul(1_u32 << doublings)
            .min(self.max_backoff)
    }
}

impl RosterClient {
    /// A call that changes nothing: retried on `UNAVAILABLE` per the retry policy.
    pub(crate) async fn read<S, Req, T, F, Fut>(
        &self,
        stub: S,
        request: Req,
        call: F,
    ) -> Result<T, Error>
    where
        S: Clone,
        Req: Clone,
        F: Fn(S, Req) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        let mut attempt = 1;
        loop {
            match self.timed(call(stub.clone(), request.clone())).await {
                Err(Error::Unavailable { .. }) if attempt < self.retry.max_attempts => {
                    tokio::time::sleep(self.retry.backoff(attempt)).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// A call that may change something: made once.
    pub(crate) async fn write<S, Req, T, F, Fut>(
        &self,
        stub: S,
        request: Req,
        call: F,
    ) -> Result<T, Error>
    where
        F: FnOnce(S, Req) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        self.timed(call(stub, request)).await
    }

    /// A write that may carry an idempotency key: with one, it is retried like a read
    /// (the server answers a repeat with the first result); without one, made once.
    pub(crate) async fn write_keyed<S, Req, T, F, Fut>(
        &self,
        keyed: bool,
        stub: S,
        request: Req,
        call: F,
    ) -> Result<T, Error>
    where
        S: Clone,
        Req: Clone,
        F: Fn(S, Req) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        if keyed {
            self.read(stub, request, call).await
        } else {
            self.write(stub, request, call).await
        }
    }

    /// Awaits a call within the request timeout.
    async fn timed<T>(
        &self,
        call: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    ) -> Result<T, Error> {
        let response = match self.request_timeout {
            Some(limit) => tokio::time::timeout(limit, call)
                .await
                .map_err(|_| Error::Timeout {
                    message: format!("no response within {limit:?}"),
                })?,
            None => call.await,
        };
        Ok(response?.into_inner())
    }
}
