//! Replicas, crashes and leases with real server processes (the built `roster-server`
//! binary) on one database: MySQL when `ROSTER_TEST_MYSQL_URL` is set, a SQLite file
//! otherwise, or the nodes of a multi-primary Galera cluster when
//! `ROSTER_TEST_GALERA_URLS` lists them (each server on its own node). R7.4, R7.6.

mod chaos;
mod harness;
mod long_apply;
mod race;
