//! Matching source records to stored ones: by source id, or for a manual user by a
//! unique email (R1.4).

use super::resolve::{Stored, sis_by_source};
use crate::domain::{Origin, normalize_email};
use crate::snapshot::{SnapGuardian, SnapStaff, SnapStudent};
use crate::store::models::{Guardian, Staff, Student};
use foldhash::{HashMap, HashMapExt};

/// A stored record with an email, as association needs it.
pub(super) trait WithEmail: Stored {
    fn email(&self) -> &str;
}

/// A source record, as matching needs it.
pub(super) trait Listed {
    fn source_id(&self) -> &str;
    fn email(&self) -> &str;
}

macro_rules! matchable {
    ($($row:ty => $listed:ty),+) => {$(
        impl WithEmail for $row {
            fn email(&self) -> &str {
                &self.email
            }
        }
        impl Listed for $listed {
            fn source_id(&self) -> &str {
                &self.source_id
            }
            fn email(&self) -> &str {
                &self.email
            }
        }
    )+};
}

matchable!(Student => SnapStudent, Guardian => SnapGuardian, Staff => SnapStaff);

/// The stored sis rows by source id, and each listed record's stored row: the sis row
/// with its source id, else the manual row R1.4 associates with it (its email matches
/// exactly one source record and exactly one manual row of the kind), else none.
pub(super) fn match_stored<'a, T: WithEmail, S: Listed>(
    rows: &'a [T],
    listed: &'a [S],
) -> (HashMap<&'a str, &'a T>, Vec<Option<&'a T>>) {
    let stored = sis_by_source(rows);
    let mut manual: HashMap<String, Vec<&T>> = HashMap::new();
    for row in rows.iter().filter(|r| r.origin() == Origin::Manual) {
        let e = normalize_email(row.email());
        if !e.is_empty() {
            manual.entry(e).or_default().push(row);
        }
    }
    let mut unmatched: HashMap<String, Vec<&str>> = HashMap::new();
    for record in listed
        .iter()
        .filter(|r| !stored.contains_key(r.source_id()))
    {
        let e = normalize_email(record.email());
        if !e.is_empty() {
            unmatched.entry(e).or_default().push(record.source_id());
        }
    }
    let associated: HashMap<&str, &T> = unmatched
        .into_iter()
        .filter_map(
            |(e, sids)| match (sids.as_slice(), manual.get(&e).map(Vec::as_slice)) {
                ([sid], Some([row])) => Some((*sid, *row)),
                _ => None,
            },
        )
        .collect();
    let matched = listed
        .iter()
        .map(|r| {
            stored
                .get(r.source_id())
                .or(associated.get(r.source_id()))
                .copied()
        })
        .collect();
    (stored, matched)
}
