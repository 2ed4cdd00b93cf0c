//! roster-sync: keeps a school communication product's directory in step with the
//! districts' Student Information Systems (see `shared/spec/sync-rules.md`).
//!
//! Layers, outside in: [`grpc`] (wire adapters) → [`directory`] and [`sync`] (the rules)
//! → [`store`] (SQL for MySQL and SQLite). [`domain`] holds the plain types they share.

pub mod config;
pub mod directory;
pub mod domain;
pub mod grpc;
pub mod server;
#[macro_use]
pub mod store;
pub mod sources;
pub mod sync;
