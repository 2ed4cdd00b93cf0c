//! End-to-end tests of the gRPC API: a real server on loopback, a real client, a fresh
//! database per test (SQLite, or MySQL when ROSTER_TEST_MYSQL_URL is set).

mod abandon;
mod access;
mod audit;
mod carried;
mod clever;
mod contacts;
mod delta;
mod directory;
mod edits;
mod erasure;
mod every_rpc;
mod extras;
mod fixtures;
mod health;
mod history;
mod hostile;
mod keys;
mod memberships;
mod metrics;
mod oneroster_rest;
mod outbound;
mod people;
mod review;
mod runs;
mod safety;
mod search;
mod secrets;
mod server;
mod settings;
mod sources;
mod terms;
mod undo;
mod uploads;
mod values;
mod watch;
