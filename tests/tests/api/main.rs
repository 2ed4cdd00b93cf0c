//! End-to-end tests of the gRPC API: a real server on loopback, a real client, a fresh
//! database per test (SQLite, or MySQL when ROSTER_TEST_MYSQL_URL is set).

mod access;
mod clever;
mod directory;
mod extras;
mod oneroster_rest;
mod people;
mod runs;
mod server;
mod settings;
mod sync;
