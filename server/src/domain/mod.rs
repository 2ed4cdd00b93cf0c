//! Plain domain types shared by every layer above: ids, enums, validated contact details,
//! paging, settings, secrets, the clock, and the domain error.

mod access;
mod contact;
mod enums;
mod error;
mod health;
mod ids;
mod page;
mod phone_types;
mod run;
mod secret;
pub mod settings;
mod time;

pub use access::{Caller, Need, Scope};
pub use contact::{
    PhoneKind, is_phone_region, load_phone_metadata, normalize_email, parse_email, parse_phone,
};
pub use enums::*;
pub use error::{Error, Result, Violation, Violations};
pub use health::{AttentionReason, SyncHealth, assess};
pub use ids::{NODE_BITS, hex, new_id, parse_id, set_clock_offset, set_node};
pub use page::{Page, PageRequest};
pub use run::{AbandonedFilter, Counts, CountsByKind, Run, SafetyBlock};
pub use secret::{Secret, StoredSecret};
pub use settings::{PLAN_TTL_RANGE, RestAuth, Schedule, Source, SyncSettings};
pub use time::{now, short_duration};

/// A short text held in the value itself: up to 24 bytes (a source id, a name, a phone
/// number, a grade) needs no allocation of its own; a longer one sits on the heap. A sync
/// holds several per row of a district, in what it reads and what it loads, so their
/// allocations were much of its memory. Reads as a `&str`.
pub type Text = compact_str::CompactString;

/// A source id, as [`Text`].
pub type SourceId = Text;
