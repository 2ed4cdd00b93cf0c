//! What every run of this server shares, set up once at start-up: the pipeline and the
//! readers it calls both take it, so it lives apart from either.

use super::keeper::LiveRuns;
use super::secrets::Sealer;
use super::warm::WarmRosters;
use crate::sources::SourcePaths;
use crate::sources::http::Outbound;
use crate::sources::oneroster::csv::CsvLimits;
use crate::store::Store;
use std::sync::Arc;

/// What every run of this server shares.
#[derive(Debug, Clone)]
pub struct Env {
    pub store: Store,
    pub paths: SourcePaths,
    /// Opens the district's stored source secret.
    pub sealer: Arc<Sealer>,
    /// Where live sources may send the server, and how much they may answer.
    pub outbound: Outbound,
    /// How much of a OneRoster file a run reads before it refuses it (S5.1).
    pub csv_limits: CsvLimits,
    /// The progress of the runs this server works, as status reads give it.
    pub live: LiveRuns,
    /// Rosters of settled districts, kept loaded for their next run.
    pub warm: WarmRosters,
}
