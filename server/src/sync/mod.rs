//! The sync engine: source -> snapshot -> plan (pure) -> safety checks -> apply -> report.

pub mod apply;
pub mod fetch;
pub mod plan;
pub mod reports;
pub mod runs;
pub mod settings;
pub mod snapshot;
pub mod state;
pub mod uploads;
pub mod worker;
