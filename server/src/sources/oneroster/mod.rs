//! OneRoster 1.1, as CSV files (a folder or a zip, R8.1) and as a REST API (R8.6). Both
//! carry the same records with the same fields, so both readers hand rows to one mapping,
//! `records`, which holds every rule about what a row means.

pub mod csv;
mod records;
pub mod rest;
