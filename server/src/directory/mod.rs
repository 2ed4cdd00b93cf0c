//! The directory: what the rest of the product reads and edits. Model functions here hold
//! the rules of manual records (R1.3, R4.3, R4.6); the gRPC adapters only convert.

mod access;
mod classes;
mod districts;
mod people;

pub use access::{GuardianAccess, Recipient, guardian_access, list_announcement_recipients};
pub use classes::{
    ClassMember, NewClass, add_class_member, create_class, list_class_members, list_classes,
};
pub use districts::{
    create_district, create_school, get_district, list_districts, list_schools, require_district,
};
pub use people::*;

use crate::domain::Result;
use crate::store::{DbConn, Store};

/// Checks out a connection, mapping a store that cannot be reached to UNAVAILABLE.
async fn conn(store: &Store) -> Result<DbConn> {
    Ok(store.conn().await?)
}

/// The current time as stored (UTC, microseconds: what DATETIME(6) keeps).
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    chrono::DurationRound::duration_trunc(now, chrono::TimeDelta::microseconds(1)).unwrap_or(now)
}
