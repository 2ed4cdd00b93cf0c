//! The store's clock, as this process reads it. Leases (a run's, an id node's) are
//! written by one replica and judged by another, each comparing the expiry in the row with
//! its own idea of now: were that its host's clock, a replica whose clock ran a minute
//! ahead would take over runs, and id nodes, that live replicas still hold. So every
//! replica judges leases by the database's clock. Reading it in each statement would
//! differ by backend (MySQL's `UTC_TIMESTAMP(6)`, SQLite's `strftime` to the millisecond);
//! instead the process reads it at start-up and with each renewal of its id node (every
//! 10 seconds), and counts on from the last reading by its monotonic clock: a step of the
//! host's clock in between (a time service correcting it) moves nothing. The monotonic
//! clock stops while the host is suspended: a resumed host is behind by the time it slept
//! until its next reading, as its leases, not renewed meanwhile, have lapsed anyway.

use crate::store::{DbConn, StoreError};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::dsl::sql;
use diesel::sql_types::Timestamp;
#[cfg(test)]
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// The slowest round trip a measurement is kept from: its middle is within half of it.
const SLOWEST: std::time::Duration = std::time::Duration::from_secs(1);

/// The store's clock: its time at an instant of this process's monotonic clock, as last
/// read; this process's own clock until the first reading.
#[derive(Debug, Default)]
pub struct Clock {
    reading: Mutex<Option<(Instant, NaiveDateTime)>>,
    /// Added to this process's clock, to stand for a host whose clock is off.
    #[cfg(test)]
    pub(crate) skew: AtomicI64,
}

impl Clock {
    /// This process's clock, until the store's is read.
    fn own(&self) -> NaiveDateTime {
        let now = crate::domain::now();
        #[cfg(test)]
        let now = now + TimeDelta::microseconds(self.skew.load(Ordering::Relaxed));
        now
    }

    fn last_reading(&self) -> Option<(Instant, NaiveDateTime)> {
        *self.reading.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Now, by the store's clock: its last reading and the time elapsed since, to the
    /// microsecond, as the store keeps times (and [`crate::domain::now`] gives them).
    pub fn now(&self) -> NaiveDateTime {
        match self.last_reading() {
            Some((at, store)) => store + micros(at.elapsed()),
            None => self.own(),
        }
    }

    /// Reads the store's clock through `conn`, as of the middle of the round trip, and
    /// keeps the reading: how far it is ahead of this process's clock, or `None` when the
    /// round trip took over [`SLOWEST`], whose middle could be that far off (the reading
    /// before stands).
    pub async fn measure(&self, conn: &mut DbConn) -> Result<Option<TimeDelta>, StoreError> {
        use diesel_async::RunQueryDsl;
        let (sent, own) = (Instant::now(), self.own());
        let store: NaiveDateTime = with_conn!(conn,
            mysql: c => diesel::select(sql::<Timestamp>("UTC_TIMESTAMP(6)")).get_result(c).await,
            sqlite: c => diesel::select(sql::<Timestamp>("strftime('%Y-%m-%d %H:%M:%f', 'now')"))
                .get_result(c)
                .await
        )?;
        let took = sent.elapsed();
        if took > SLOWEST {
            return Ok(None);
        }
        let middle = sent + took / 2;
        *self.reading.lock().unwrap_or_else(PoisonError::into_inner) = Some((middle, store));
        Ok(Some(store - (own + micros(took / 2))))
    }
}

/// A monotonic span as whole microseconds.
fn micros(span: std::time::Duration) -> TimeDelta {
    TimeDelta::microseconds(i64::try_from(span.as_micros()).unwrap_or(i64::MAX))
}
