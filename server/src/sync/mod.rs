//! The sync engine. A run's life: `runs::start` queues it; a `worker` claims it under a
//! lease, which its `keeper` renews; the `pipeline` reads the source (`fetch`), checks it
//! against the store, computes the `plan` (pure), checks safety, and `apply`s it in one
//! transaction that also ends the run; any other end goes through `outcome`. `schedule`
//! starts runs by themselves, `watch` lets callers follow them, `retention` deletes what
//! outlived its time; `warm` keeps a settled district's roster loaded for its next run.

pub mod apply;
pub mod env;
pub mod fetch;
pub mod health;
pub mod history;
pub mod keeper;
pub mod outcome;
pub mod pipeline;
pub mod plan;
pub mod reports;
pub mod retention;
pub mod revert;
pub mod review;
pub mod runs;
pub mod schedule;
pub mod secrets;
pub mod settings;
pub mod settled;
pub mod telemetry;
pub mod uploads;
pub mod warm;
pub mod watch;
pub mod worker;
