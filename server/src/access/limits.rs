//! Per-key request rates (S1.7): each key has its own budget, so one runaway caller
//! cannot starve the others. Past it, a call fails RESOURCE_EXHAUSTED with the delay
//! after which it would pass.

use crate::domain::{Error, Result};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

/// A key's limiter, with the rate it was made for.
type Limiter = (u32, Arc<DefaultDirectRateLimiter>);

/// The limiters of the keys this server has seen, each at its key's rate.
#[derive(Debug, Clone)]
pub struct RateLimits {
    default_per_second: u32,
    limiters: Arc<Mutex<HashMap<i64, Limiter>>>,
}

impl RateLimits {
    /// `default_per_second` applies to keys without a rate of their own.
    pub fn new(default_per_second: u32) -> Self {
        RateLimits {
            default_per_second,
            limiters: Arc::default(),
        }
    }

    /// Lets one call of `key` pass, at `rate` per second (0: the default), or refuses it.
    pub fn admit(&self, key: i64, rate: i32) -> Result<()> {
        let rate = u32::try_from(rate)
            .ok()
            .filter(|r| *r > 0)
            .unwrap_or(self.default_per_second)
            .max(1);
        let limiter = {
            let mut limiters = self
                .limiters
                .lock()
                .map_err(|_| Error::Internal("rate limiter poisoned".into()))?;
            let entry = limiters
                .entry(key)
                .or_insert_with(|| (rate, Arc::new(limiter(rate))));
            if entry.0 != rate {
                *entry = (rate, Arc::new(limiter(rate)));
            }
            entry.1.clone()
        };
        limiter
            .check()
            .map_err(|not_until| Error::ResourceExhausted {
                message: format!("this API key may make {rate} calls a second; slow down"),
                retry_after: not_until.wait_time_from(DefaultClock::default().now()),
            })
    }
}

fn limiter(rate: u32) -> DefaultDirectRateLimiter {
    let per_second = NonZeroU32::new(rate).unwrap_or(NonZeroU32::MIN);
    // A burst of one second's worth: short spikes pass, a flood does not.
    RateLimiter::direct(Quota::per_second(per_second).allow_burst(per_second))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s1_7_a_key_past_its_rate_is_told_when_to_retry_and_others_are_not_slowed() {
        let limits = RateLimits::new(100);
        for _ in 0..3 {
            limits.admit(1, 3).unwrap();
        }
        match limits.admit(1, 3) {
            Err(Error::ResourceExhausted { retry_after, .. }) => {
                assert!(retry_after.as_millis() > 0)
            }
            other => panic!("expected RESOURCE_EXHAUSTED, got {other:?}"),
        }
        limits.admit(2, 3).unwrap();
    }
}
