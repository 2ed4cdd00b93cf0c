//! A run's undo log (R9.2): every row the run writes, as it was before and as the run
//! wrote it, so a revert can put the district back exactly (ids and timestamps included)
//! and can tell a row edited since (kept) from one left as the run wrote it (restored).
//! Made from the plan and the state it was planned against, kept by the apply in its own
//! transaction. Rows are borrowed while the log is packed (a first sync's log holds most
//! of a district), owned once read back.

use super::Plan;
use crate::store::models::*;
use crate::store::{State, packed};
use chrono::NaiveDateTime;
use foldhash::{HashMap, HashMapExt, HashSet};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::hash::Hash;

/// A time as the log keeps it: microseconds since the epoch.
pub fn micros(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp_micros()
}

/// The rows of one record table a run wrote.
#[derive(Debug, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Clone + Deserialize<'de>"))]
pub struct Written<'a, T: Clone> {
    /// Inserted: each id, with the `updated_at` it was inserted with (a row that still
    /// has it was not touched since). Not whole rows: a first sync inserts most of a
    /// district, and the log must stay small there.
    #[serde(with = "columns")]
    pub created: Vec<(i64, i64)>,
    /// Updated: (before, after).
    pub changed: Vec<(Cow<'a, T>, Cow<'a, T>)>,
    /// Deleted (by a revert), as they were.
    pub deleted: Vec<Cow<'a, T>>,
}

impl<T: Clone> Default for Written<'_, T> {
    fn default() -> Self {
        Written {
            created: Vec::new(),
            changed: Vec::new(),
            deleted: Vec::new(),
        }
    }
}

/// The rows of one membership table a run wrote.
#[derive(Debug, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Clone + Deserialize<'de>"))]
pub struct Linked<'a, T: Clone> {
    /// Inserted: each key, with the `created_at` it was inserted with (micros).
    #[serde(with = "columns")]
    pub added: Vec<(i64, i64, i64)>,
    /// Deleted, as they were.
    pub removed: Vec<Cow<'a, T>>,
}

impl<T: Clone> Default for Linked<'_, T> {
    fn default() -> Self {
        Linked {
            added: Vec::new(),
            removed: Vec::new(),
        }
    }
}

/// Rows of integers kept column by column, in a form deflate makes small. Each column is
/// its distinct values, sorted, then each row's place among them; both as differences from
/// the one before. The values are ids from one generator and a run's one time, so the
/// sorted values differ by little, and sorted rows make most places differ by 0 or 1.
/// Whole ids took nine bytes of postcard's varints each, and the log of a 100k-student
/// first sync (a row per record and link it inserted, over a million) came to 9 MB:
/// writing it was the last half second of the apply.
mod columns {
    use serde::de::Error as _;
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};

    /// A row of [`Row::N`] integers, three at most.
    pub trait Row: Copy {
        const N: usize;
        fn cell(self, column: usize) -> i64;
        fn of(cell: impl Fn(usize) -> i64) -> Self;
    }

    impl Row for (i64, i64) {
        const N: usize = 2;
        fn cell(self, column: usize) -> i64 {
            [self.0, self.1][column]
        }
        fn of(cell: impl Fn(usize) -> i64) -> Self {
            (cell(0), cell(1))
        }
    }

    impl Row for (i64, i64, i64) {
        const N: usize = 3;
        fn cell(self, column: usize) -> i64 {
            [self.0, self.1, self.2][column]
        }
        fn of(cell: impl Fn(usize) -> i64) -> Self {
            (cell(0), cell(1), cell(2))
        }
    }

    /// Differences of each value from the one before (the first from 0).
    fn differences(values: impl Iterator<Item = i64>) -> impl Iterator<Item = i64> {
        values.scan(0i64, |above, value| {
            let difference = value.wrapping_sub(*above);
            *above = value;
            Some(difference)
        })
    }

    /// The values back from their differences.
    fn sums(differences: &[i64]) -> impl Iterator<Item = i64> + '_ {
        differences.iter().scan(0i64, |above, difference| {
            *above = above.wrapping_add(*difference);
            Some(*above)
        })
    }

    /// `[rows, then per column: distinct values, their differences, the rows' places]`,
    /// the rows in the order of their places in the column with the most distinct values,
    /// then in the others: it runs by ones, and each other column repeats within it. The
    /// order is not kept; nothing reads the log in order.
    pub fn serialize<R: Row, S: Serializer>(rows: &[R], s: S) -> Result<S::Ok, S::Error> {
        let columns: Vec<Vec<i64>> = (0..R::N)
            .map(|column| {
                let mut values: Vec<i64> = rows.iter().map(|row| row.cell(column)).collect();
                values.sort_unstable();
                values.dedup();
                values
            })
            .collect();
        let mut order: Vec<usize> = (0..R::N).collect();
        order.sort_by_key(|&column| std::cmp::Reverse(columns[column].len()));
        // A row's places, by `order`; three at most, the rest 0: no allocation per row (a
        // first sync's log has a million rows, packed while the apply waits for the plan).
        let mut places: Vec<[i64; 3]> = rows
            .iter()
            .map(|row| {
                let mut at = [0i64; 3];
                for (place, &column) in at.iter_mut().zip(&order) {
                    // Every value is among its column's: the search finds it.
                    let values = &columns[column];
                    *place = values.binary_search(&row.cell(column)).unwrap_or(0) as i64;
                }
                at
            })
            .collect();
        places.sort_unstable();
        let cells = 1 + columns
            .iter()
            .map(|v| 1 + v.len() + rows.len())
            .sum::<usize>();
        let mut seq = s.serialize_seq(Some(cells))?;
        seq.serialize_element(&(rows.len() as i64))?;
        for (column, values) in columns.iter().enumerate() {
            seq.serialize_element(&(values.len() as i64))?;
            for difference in differences(values.iter().copied()) {
                seq.serialize_element(&difference)?;
            }
            let at = order.iter().position(|&c| c == column).unwrap_or(0);
            for difference in differences(places.iter().map(|row| row[at])) {
                seq.serialize_element(&difference)?;
            }
        }
        seq.end()
    }

    pub fn deserialize<'de, R: Row, D: Deserializer<'de>>(d: D) -> Result<Vec<R>, D::Error> {
        let cut = || D::Error::custom("a column of the undo log is cut short");
        let cells = Vec::<i64>::deserialize(d)?;
        let (&len, mut rest) = cells.split_first().ok_or_else(cut)?;
        let len = usize::try_from(len).map_err(|_| cut())?;
        let mut columns: Vec<Vec<i64>> = Vec::with_capacity(R::N);
        for _ in 0..R::N {
            let (&distinct, after) = rest.split_first().ok_or_else(cut)?;
            let distinct = usize::try_from(distinct).map_err(|_| cut())?;
            if after.len() < distinct.saturating_add(len) {
                return Err(cut());
            }
            let values: Vec<i64> = sums(&after[..distinct]).collect();
            let column = sums(&after[distinct..distinct + len])
                .map(|place| {
                    usize::try_from(place)
                        .ok()
                        .and_then(|p| values.get(p).copied())
                })
                .collect::<Option<Vec<i64>>>()
                .ok_or_else(|| D::Error::custom("the undo log names a value it does not hold"))?;
            columns.push(column);
            rest = &after[distinct + len..];
        }
        if !rest.is_empty() {
            return Err(D::Error::custom("the undo log holds more than its columns"));
        }
        Ok((0..len)
            .map(|i| R::of(|column| columns[column][i]))
            .collect())
    }
}

/// Everything a run wrote to the roster.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Undo<'a> {
    pub run_id: i64,
    /// The time the run stamped its rows with.
    pub at: NaiveDateTime,
    pub schools: Written<'a, School>,
    pub students: Written<'a, Student>,
    pub guardians: Written<'a, Guardian>,
    pub staff: Written<'a, Staff>,
    pub classes: Written<'a, Class>,
    pub school_students: Linked<'a, SchoolStudent>,
    pub school_staff: Linked<'a, SchoolStaff>,
    pub class_students: Linked<'a, ClassStudent>,
    pub class_teachers: Linked<'a, ClassTeacher>,
    pub links: Linked<'a, FamilyLink>,
    /// Abandonment records the run opened.
    pub opened: Vec<i64>,
    /// Abandonment records the run closed (a restore, R5.7; a revert).
    pub closed: Vec<i64>,
    /// Abandonment records the run opened again (a revert of a run that closed them).
    pub reopened: Vec<i64>,
}

/// A table's rows by key.
pub(super) fn by_key<T, K: Eq + Hash>(rows: &[T], key: impl Fn(&T) -> K) -> HashMap<K, &T> {
    let mut map = HashMap::with_capacity(rows.len());
    for row in rows {
        map.insert(key(row), row);
    }
    map
}

fn written<'a, T: Clone>(
    new: &'a [T],
    changed: &'a [T],
    deleted: &[i64],
    stored: &'a [T],
    stamp: impl Fn(&T) -> (i64, NaiveDateTime) + Copy,
) -> Written<'a, T> {
    let id = move |row: &T| stamp(row).0;
    let created = new
        .iter()
        .map(|row| {
            let (id, at) = stamp(row);
            (id, micros(at))
        })
        .collect();
    if changed.is_empty() && deleted.is_empty() {
        return Written {
            created,
            ..Written::default()
        };
    }
    let stored = by_key(stored, id);
    Written {
        created,
        changed: changed
            .iter()
            .filter_map(|after| {
                let before = stored.get(&id(after))?;
                Some((Cow::Borrowed(*before), Cow::Borrowed(after)))
            })
            .collect(),
        deleted: deleted
            .iter()
            .filter_map(|i| stored.get(i).map(|row| Cow::Borrowed(*row)))
            .collect(),
    }
}

fn linked<'a, T: Clone + Membership>(
    added: &'a [T],
    removed: &[(i64, i64)],
    stored: &'a [T],
) -> Linked<'a, T> {
    let removed: Vec<Cow<'a, T>> = if removed.is_empty() {
        Vec::new()
    } else {
        let keys: HashSet<(i64, i64)> = removed.iter().copied().collect();
        stored
            .iter()
            .filter(|row| keys.contains(&row.key()))
            .map(Cow::Borrowed)
            .collect()
    };
    Linked {
        added: added
            .iter()
            .map(|row| {
                let (a, b) = row.key();
                (a, b, micros(row.created_at()))
            })
            .collect(),
        removed,
    }
}

impl<'a> Undo<'a> {
    /// The log of applying `plan` to `state`, stamped `at`.
    pub fn of(plan: &'a Plan, state: &'a State, run_id: i64, at: NaiveDateTime) -> Undo<'a> {
        let d = &plan.deleted;
        Undo {
            run_id,
            at,
            schools: written(
                &plan.schools.new,
                &plan.schools.changed,
                &d.schools,
                &state.schools,
                |r| (r.id, r.updated_at),
            ),
            students: written(
                &plan.students.new,
                &plan.students.changed,
                &d.students,
                &state.students,
                |r| (r.id, r.updated_at),
            ),
            guardians: written(
                &plan.guardians.new,
                &plan.guardians.changed,
                &d.guardians,
                &state.guardians,
                |r| (r.id, r.updated_at),
            ),
            staff: written(
                &plan.staff.new,
                &plan.staff.changed,
                &d.staff,
                &state.staff,
                |r| (r.id, r.updated_at),
            ),
            classes: written(
                &plan.classes.new,
                &plan.classes.changed,
                &d.classes,
                &state.classes,
                |r| (r.id, r.updated_at),
            ),
            school_students: linked(
                &plan.add_school_students,
                &plan.remove_school_students,
                &state.school_students,
            ),
            school_staff: linked(
                &plan.add_school_staff,
                &plan.remove_school_staff,
                &state.school_staff,
            ),
            class_students: linked(
                &plan.add_class_students,
                &plan.remove_class_students,
                &state.class_students,
            ),
            class_teachers: linked(
                &plan.add_class_teachers,
                &plan.remove_class_teachers,
                &state.class_teachers,
            ),
            links: linked(&plan.add_links, &plan.remove_links, &state.links),
            opened: plan.abandoned.iter().map(|a| a.id).collect(),
            closed: plan.restored.clone(),
            reopened: plan.reopened.clone(),
        }
    }

    pub fn pack(&self) -> Result<Vec<u8>, String> {
        packed::pack(self, "undo log")
    }
}

impl Undo<'static> {
    pub fn unpack(bytes: &[u8]) -> Result<Undo<'static>, String> {
        packed::unpack(bytes, "undo log")
    }
}

#[cfg(test)]
mod tests;
