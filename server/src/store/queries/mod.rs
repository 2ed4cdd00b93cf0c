//! Queries by area. Each function takes a checked-out connection, so a caller can run
//! several in one transaction; none knows a sync rule.

// First: its batching macro serves the modules after it.
#[macro_use]
pub mod roster;

pub mod audit;
pub mod directory;
pub mod districts;
pub mod edits;
pub mod erase;
pub mod health;
pub mod history;
pub mod keys;
pub mod nodes;
pub mod plans;
pub mod reports;
pub mod retention;
pub mod runs;
pub mod schedules;
pub mod search;
pub mod settings;
pub mod settled;
pub mod suppressions;
pub mod undo;
pub mod uploads;
