//! The store: one Diesel code base for MySQL (production) and SQLite (embedded default).
//!
//! The backend is chosen by the URL scheme. Query code is written once and expanded for
//! each backend by [`with_conn!`]; backend branches exist only where the SQL differs.

#[macro_use]
mod conn;
mod bulk;
mod checkpoint;
mod clock;
mod error;
pub mod fields;
mod migrate;
pub mod models;
pub mod packed;
pub mod queries;
pub mod schema;
mod stamp;
#[cfg(test)]
pub mod testing;

pub use conn::{Backend, Conflict, DbConn, Pooled, SqliteConn, Store};
pub use error::StoreError;
pub use queries::roster::{Rows, State};
