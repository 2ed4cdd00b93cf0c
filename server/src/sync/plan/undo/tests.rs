//! The undo log's packed form (R9.2): it reads back as written, whatever the rows hold,
//! and a first sync's log stays small.

use super::*;
use crate::domain::new_id;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// An undo log holding `created` record rows and `added` link rows, packed and read back.
fn round_trip(created: Vec<(i64, i64)>, added: Vec<(i64, i64, i64)>) -> (Undo<'static>, usize) {
    let undo = Undo {
        run_id: 7,
        students: Written {
            created,
            ..Written::default()
        },
        class_students: Linked {
            added,
            ..Linked::default()
        },
        ..Undo::default()
    };
    let packed = undo.pack().expect("packs");
    (Undo::unpack(&packed).expect("reads back"), packed.len())
}

fn sorted<T: Ord>(mut rows: Vec<T>) -> Vec<T> {
    rows.sort_unstable();
    rows
}

proptest! {
    /// Any rows, extremes, repeats and disorder included, read back as they were (the
    /// log keeps no order).
    #[test]
    fn r9_2_an_undo_log_reads_back_as_written(
        created in prop::collection::vec((any::<i64>(), any::<i64>()), 0..200),
        added in prop::collection::vec(
            (prop_oneof![any::<i64>(), -3i64..3], any::<i64>(), Just(i64::MIN)),
            0..200,
        ),
    ) {
        let (back, _) = round_trip(created.clone(), added.clone());
        prop_assert_eq!(sorted(back.students.created), sorted(created));
        prop_assert_eq!(sorted(back.class_students.added), sorted(added));
    }
}

/// One column-packed field, read from the cells given.
#[derive(Debug, Serialize, Deserialize)]
struct Pairs(#[serde(with = "super::columns")] Vec<(i64, i64)>);

fn read(cells: &[i64]) -> Result<Vec<(i64, i64)>, postcard::Error> {
    let bytes = postcard::to_allocvec(&cells.to_vec()).expect("encodes");
    postcard::from_bytes::<Pairs>(&bytes).map(|p| p.0)
}

/// The cells are the rows, then per column its distinct values and the rows' places
/// among them, each as a difference from the one before. A log cut short, naming a
/// value it does not hold, or holding more, is refused rather than read as other rows.
#[test]
fn r9_2_a_damaged_undo_log_is_refused() {
    let whole = [2, 2, 1, 2, 0, 1, 2, 2, 2, 0, 1];
    assert_eq!(read(&whole).expect("reads"), vec![(1, 2), (3, 4)]);
    assert!(read(&whole[..5]).is_err(), "cut short");
    assert!(
        read(&[2, 2, 1, 2, 0, 5, 2, 2, 2, 0, 1]).is_err(),
        "a place past the values"
    );
    assert!(
        read(&[2, 2, 1, 2, 0, -1, 2, 2, 2, 0, 1]).is_err(),
        "a place before them"
    );
    assert!(
        read(&[whole.as_slice(), &[9]].concat()).is_err(),
        "more than its columns"
    );
    assert!(read(&[-1]).is_err(), "a negative count of rows");
}

/// A 100k-student first sync's links (600,000 enrollments, each student in six of 4,000
/// classes) and records, with ids from the generator the run uses: the log stays near a
/// byte per value, where whole ids took nine bytes each (5 MB packed).
#[test]
fn r9_2_a_first_sync_undo_log_stays_small() {
    let at = 1_796_000_000_000_000i64;
    let classes: Vec<i64> = (0..4_000).map(|_| new_id()).collect();
    let students: Vec<i64> = (0..100_000).map(|_| new_id()).collect();
    let created: Vec<(i64, i64)> = students.iter().map(|&id| (id, at)).collect();
    // Six classes a student, drawn by a fixed generator (a pattern would deflate away).
    let mut state = 1u64;
    let mut draw = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    let mut added: Vec<(i64, i64, i64)> = students
        .iter()
        .flat_map(|&student| [student; 6])
        .map(|student| (classes[draw() % classes.len()], student, at))
        .collect();
    // A plan lists links in no useful order.
    added.sort_unstable_by_key(|&(class, student, _)| student.wrapping_mul(0x9E37_79B9) ^ class);
    let (back, bytes) = round_trip(created.clone(), added.clone());
    assert_eq!(sorted(back.students.created), sorted(created));
    assert_eq!(sorted(back.class_students.added), sorted(added));
    assert!(bytes < 1_500_000, "{bytes} bytes for 700,000 rows");
}
