//! roster-sync: keeps a school communication product's directory in step with the
//! districts' Student Information Systems (the rules: `docs/rules.md`).
//!
//! Layers, each importing only those below it: [`server`] (assembly, with
//! [`telemetry`], the metrics endpoint) → [`grpc`] (the
//! wire) → [`sync`] (runs and the planner) and [`directory`] (reads and manual edits) →
//! [`sources`] (readers) → [`snapshot`] (what a source says) → [`store`] (SQL) →
//! [`domain`] (plain types). The one-way order is what lets each layer be read and
//! tested on its own: the planner knows no SQL, the store no rule, the wire no rule.

pub mod access;
pub mod config;
pub mod directory;
pub mod domain;
pub mod grpc;
pub mod server;
pub mod snapshot;
#[macro_use]
pub mod store;
pub mod sources;
pub mod sync;
pub mod telemetry;

/// mimalloc for every binary that runs the service (the server, its benchmarks, its
/// tests): a sync allocates and frees millions of small values (CSV cells, source ids,
/// rows), and glibc's malloc spent over a quarter of the process CPU of a 100k-student
/// sync. Declared here, not in `main.rs`, so what the benchmarks measure is what runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
