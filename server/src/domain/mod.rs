//! Plain domain types shared by every layer above: ids, enums, validated contact details,
//! paging, settings, secrets, the clock, and the domain error.

mod access;
mod contact;
mod enums;
mod error;
mod health;
mod ids;
mod page;
mod run;
mod secret;
pub mod settings;
mod time;

pub use access::{Caller, Need, Scope};
pub use contact::{PhoneKind, is_phone_region, normalize_email, parse_email, parse_phone};
pub use enums::*;
pub use error::{Error, Result, Violation, Violations};
pub use health::{AttentionReason, SyncHealth, assess};
pub use ids::{NODE_BITS, hex, new_id, parse_id, set_node};
pub use page::{Page, PageRequest};
pub use run::{AbandonedFilter, Counts, CountsByKind, Run, SafetyBlock};
pub use secret::{Secret, StoredSecret};
pub use settings::{PLAN_TTL_RANGE, RestAuth, Schedule, Source, SyncSettings};
pub use time::{now, short_duration};

/// A source id where one is held per row of a district's most numerous kinds (enrollments,
/// family links, class memberships): an id of up to 24 bytes (Clever's 24 hex digits, most
/// SIS ids) sits in the value itself, with no allocation of its own. Reads as a `&str`.
pub type SourceId = compact_str::CompactString;
