//! Plain domain types shared by the store, the sync engine and the gRPC adapters: ids,
//! enums, validated contact details, paging, and the domain error.

mod contact;
mod enums;
mod error;
mod ids;
mod page;

pub use contact::{PhoneKind, is_phone_region, normalize_email, parse_email, parse_phone};
pub use enums::*;
pub use error::{Error, Result, Violation, Violations};
pub use ids::{new_id, parse_id};
pub use page::{Page, PageRequest};
