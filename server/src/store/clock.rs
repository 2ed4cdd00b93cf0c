//! The store's clock, as this process reads it. Leases (a run's, an id node's) are
//! written by one replica and judged by another, each comparing the expiry in the row with
//! its own idea of now: were that its host's clock, a replica whose clock ran a minute
//! ahead would take over runs, and id nodes, that live replicas still hold. So every
//! replica judges leases by the database's clock. Reading it in each statement would
//! differ by backend (MySQL's `UTC_TIMESTAMP(6)`, SQLite's `strftime` to the millisecond);
//! instead the process measures how far the store's clock is from its own, at start-up
//! and with each renewal of its id node (every 10 seconds), and adds that to its clock.
//! A step of the host's clock between two measurements counts until the next one.

use crate::store::{DbConn, StoreError};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::dsl::sql;
use diesel::sql_types::Timestamp;
use std::sync::atomic::{AtomicI64, Ordering};

/// The slowest round trip a measurement is kept from: its middle is within half of it.
const SLOWEST: TimeDelta = TimeDelta::seconds(1);

/// How far the store's clock is ahead of this process's, in microseconds.
#[derive(Debug, Default)]
pub struct Clock {
    offset: AtomicI64,
    /// Added to this process's clock, to stand for a host whose clock is off.
    #[cfg(test)]
    pub(crate) skew: AtomicI64,
}

impl Clock {
    /// This process's clock: the one ids and a run's own timing use.
    fn own(&self) -> NaiveDateTime {
        let now = crate::domain::now();
        #[cfg(test)]
        let now = now + TimeDelta::microseconds(self.skew.load(Ordering::Relaxed));
        now
    }

    /// Now, by the store's clock as last measured.
    pub fn now(&self) -> NaiveDateTime {
        self.own() + TimeDelta::microseconds(self.offset.load(Ordering::Relaxed))
    }

    /// Reads the store's clock through `conn` and keeps its offset from this process's,
    /// taken at the middle of the round trip: the offset kept, or `None` when the round
    /// trip took over [`SLOWEST`], whose middle could be that far off (the offset measured
    /// before stands).
    pub async fn measure(&self, conn: &mut DbConn) -> Result<Option<TimeDelta>, StoreError> {
        use diesel_async::RunQueryDsl;
        let before = self.own();
        let store: NaiveDateTime = with_conn!(conn,
            mysql: c => diesel::select(sql::<Timestamp>("UTC_TIMESTAMP(6)")).get_result(c).await,
            sqlite: c => diesel::select(sql::<Timestamp>("strftime('%Y-%m-%d %H:%M:%f', 'now')"))
                .get_result(c)
                .await
        )?;
        let after = self.own();
        if after - before > SLOWEST {
            return Ok(None);
        }
        let offset = store - (before + (after - before) / 2);
        let micros = offset.num_microseconds().unwrap_or(0);
        self.offset.store(micros, Ordering::Relaxed);
        Ok(Some(offset))
    }
}
