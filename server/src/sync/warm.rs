//! Rosters kept loaded between runs. A run that settles its district (`super::settled`)
//! leaves the roster exactly as the next run would load it, until something writes to
//! it; so once its transaction commits, the roster starts loading again in the
//! background and is kept here. A first sync's roster is not loaded: it is the rows its
//! plan added, taken from the applied plan (`Plan::take_first_roster`). The district's
//! next run that plans (its source changed) takes it instead of loading the roster while
//! it reads the source: on two cores the load and the read each slow the other, and a
//! 1%-changed resync of a 100k-student district reads its source in about 0.9 s where
//! it took 1.5 s beside the load.
//!
//! The store, not this process, says whether a kept roster still holds: the run claims
//! the district only if the row the settling run left still stands
//! (`settled::claim_after`), in the statement that claims it, so a write from any
//! replica in between (which replaces that row) sends the run to load the roster as
//! before. Debug builds load it as well and stop the process if the two differ
//! (`pipeline::check_warm`).
//!
//! What is kept is bounded: at most `rows` roster rows in all (the oldest go first; a
//! roster larger than that is not kept), each for at most `idle` without a run taking
//! it. A run of the district takes its roster whether it can use it or not, so a stale
//! one is freed by the next run.

use crate::store::queries::roster::Loading;
use foldhash::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The rosters this process keeps loaded, shared by its runs.
#[derive(Clone)]
pub struct WarmRosters {
    kept: Arc<Mutex<HashMap<i64, Kept>>>,
    limits: WarmLimits,
}

/// How much [`WarmRosters`] keeps, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct WarmLimits {
    /// Roster rows kept in all, over every district; 0 keeps none.
    pub rows: usize,
    /// How long a roster is kept without a run taking it.
    pub idle: Duration,
}

/// One district's roster, loading or loaded since run `settled_by` settled it.
pub struct Kept {
    pub settled_by: i64,
    pub loading: Loading,
    rows: usize,
    since: Instant,
}

impl WarmRosters {
    pub fn new(limits: WarmLimits) -> Self {
        WarmRosters {
            kept: Default::default(),
            limits,
        }
    }

    /// Run `settled_by` settled `district`, whose roster has about `rows` rows: within
    /// the limits, its roster starts loading now (`load`, called after the run's commit)
    /// and is kept in place of any earlier one of the district. Over them, nothing loads.
    pub fn keep(
        &self,
        district: i64,
        settled_by: i64,
        rows: usize,
        load: impl FnOnce() -> Loading,
    ) {
        let Ok(mut kept) = self.kept.lock() else {
            return;
        };
        kept.remove(&district);
        if !self.would_keep(rows) {
            gauge(&kept);
            return;
        }
        while kept.values().map(|k| k.rows).sum::<usize>() + rows > self.limits.rows {
            let Some(oldest) = kept.iter().min_by_key(|(_, k)| k.since).map(|(d, _)| *d) else {
                break;
            };
            kept.remove(&oldest);
        }
        let since = Instant::now();
        kept.insert(
            district,
            Kept {
                settled_by,
                loading: load(),
                rows,
                since,
            },
        );
        gauge(&kept);
        drop(kept);
        let (all, idle) = (self.kept.clone(), self.limits.idle);
        tokio::spawn(async move {
            tokio::time::sleep(idle).await;
            if let Ok(mut kept) = all.lock()
                && kept
                    .get(&district)
                    .is_some_and(|k| k.settled_by == settled_by)
            {
                kept.remove(&district);
                gauge(&kept);
            }
        });
    }

    /// Whether a roster of `rows` rows is within the limits, kept by [`Self::keep`].
    pub fn would_keep(&self, rows: usize) -> bool {
        rows != 0 && rows <= self.limits.rows
    }

    /// The district's kept roster, no longer kept: the run taking it uses it only if
    /// the store says it still holds.
    pub fn take(&self, district: i64) -> Option<Kept> {
        let mut kept = self.kept.lock().ok()?;
        let taken = kept.remove(&district);
        gauge(&kept);
        taken
    }

    /// The districts kept now.
    #[cfg(test)]
    fn districts(&self) -> Vec<i64> {
        let mut districts: Vec<i64> = self.kept.lock().unwrap().keys().copied().collect();
        districts.sort();
        districts
    }
}

impl std::fmt::Debug for WarmRosters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WarmRosters")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// Tells the dashboards how many rows are kept (`roster_warm_roster_rows`).
fn gauge(kept: &HashMap<i64, Kept>) {
    super::telemetry::warm_roster_rows(kept.values().map(|k| k.rows).sum());
}

#[cfg(test)]
mod tests;
