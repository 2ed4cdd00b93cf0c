//! Property tests of the folder and zip readers on whatever a source may send: arbitrary
//! bytes, truncated files and archives, random quoting, embedded line ends and commas,
//! bytes that are not UTF-8, limits met anywhere. Whatever comes in, the reader never
//! panics: it gives a snapshot (with issues) or an error message, and the snapshot goes
//! through the checks every source's snapshot goes through.

use super::*;
use crate::snapshot::KnownIds;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};

const FULL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/oneroster/full/"
);

const FILES: [&str; 5] = [
    "orgs.csv",
    "users.csv",
    "classes.csv",
    "enrollments.csv",
    "demographics.csv",
];

/// Enough cases to find the usual mistakes, few enough to run in seconds unoptimized.
fn config() -> Config {
    Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    }
}

/// The full fixture's file, or for demographics (which it has not) a small one.
fn fixture(name: &str) -> Vec<u8> {
    fs::read(format!("{FULL}{name}")).unwrap_or_else(|_| {
        b"sourcedId,status,dateLastModified,birthDate,sex,metadata.x\n\
          stu-nguyen,,2024-01-02,2015-03-04,F,\"a,b\"\n"
            .to_vec()
    })
}

/// Bytes a CSV cell may hold, the troublesome ones often.
fn cell() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => prop::sample::select(b"abc-1 ,\"\n\r".to_vec()),
        1 => prop::sample::select(b"\xe9\xc3\xa9\xef\xbb\xbf\xff\x80".to_vec()),
        1 => any::<u8>(),
    ];
    prop::collection::vec(byte, 0..10)
}

/// Rows of cells, each quoted or not, with any line end.
fn rows() -> impl Strategy<Value = Vec<u8>> {
    let row = prop::collection::vec((cell(), any::<bool>()), 0..10);
    let end = prop::sample::select(vec![&b"\n"[..], b"\r\n", b"\r", b""]);
    prop::collection::vec((row, end), 0..8).prop_map(|rows| {
        let mut out = Vec::new();
        for (cells, end) in rows {
            for (index, (cell, quoted)) in cells.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                if quoted {
                    out.push(b'"');
                    for byte in cell {
                        if byte == b'"' {
                            out.push(b'"');
                        }
                        out.push(byte);
                    }
                    out.push(b'"');
                } else {
                    out.extend(cell);
                }
            }
            out.extend_from_slice(end);
        }
        out
    })
}

/// One file of the export: missing, the fixture cut short, the fixture's header over
/// random rows, the fixture with random rows after it, or arbitrary bytes.
fn file(name: &'static str) -> impl Strategy<Value = Option<Vec<u8>>> {
    let whole = fixture(name);
    let header_end = whole.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
    let header = whole[..header_end].to_vec();
    let truncated = whole.clone();
    prop_oneof![
        1 => Just(None),
        2 => (0..=truncated.len()).prop_map(move |n| Some(truncated[..n].to_vec())),
        3 => rows().prop_map(move |rows| Some([header.as_slice(), &rows].concat())),
        2 => rows().prop_map(move |rows| Some([whole.as_slice(), &rows].concat())),
        1 => prop::collection::vec(any::<u8>(), 0..300).prop_map(Some),
    ]
}

/// A manifest listing each file as bulk, delta or absent; sometimes random bytes.
fn manifest() -> impl Strategy<Value = Vec<u8>> {
    let coverage = prop_oneof![
        24 => prop::sample::select(vec!["bulk", "delta", "BULK"]),
        8 => Just("absent"),
        1 => Just("sometimes"),
    ];
    let version = prop_oneof![
        8 => prop::sample::select(vec!["1.1", "\"1.1\"", ""]),
        1 => Just("1.2"),
    ];
    prop_oneof![
        5 => (version, prop::collection::vec(coverage, 5)).prop_map(|(version, coverages)| {
            let mut text = format!("propertyName,value\noneroster.version,{version}\n");
            for (name, coverage) in FILES.iter().zip(coverages) {
                let property = name.trim_end_matches(".csv");
                text.push_str(&format!("file.{property},{coverage}\n"));
            }
            text.into_bytes()
        }),
        1 => rows().prop_map(|rows| [b"propertyName,value\n".as_slice(), &rows].concat()),
    ]
}

/// Small limits often, so each is met somewhere.
fn limits() -> impl Strategy<Value = CsvLimits> {
    prop_oneof![
        3 => Just(CsvLimits::default()),
        2 => (8usize..160, 3usize..24, 6u64..40, 256u64..8192).prop_map(
            |(cell, cells, rows, entry)| CsvLimits {
                max_entry_bytes: entry,
                max_cell_bytes: cell,
                max_cells_per_row: cells,
                max_rows: rows,
            }
        ),
    ]
}

type Export = (Vec<u8>, Vec<Option<Vec<u8>>>);

fn export() -> impl Strategy<Value = Export> {
    (manifest(), Vec::from(FILES.map(file)))
}

fn named(export: &Export) -> Vec<(&str, &[u8])> {
    let (manifest, files) = export;
    let mut named = vec![(MANIFEST, manifest.as_slice())];
    for (name, body) in FILES.iter().zip(files) {
        if let Some(body) = body {
            named.push((name, body.as_slice()));
        }
    }
    named
}

fn zip_of_bytes(files: &[(&str, &[u8])], folder: &str) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for &(name, body) in files {
        let options = zip::write::SimpleFileOptions::default();
        writer
            .start_file(format!("{folder}{name}"), options)
            .unwrap();
        writer.write_all(body).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// The property: a snapshot whose issues say where they were found, and which survives
/// the checks before planning; or a message.
fn judge(result: Result<Snapshot, SourceError>) -> Result<(), TestCaseError> {
    match result {
        Ok(mut snap) => {
            for issue in &snap.issues {
                prop_assert!(!issue.at.file().is_empty(), "{issue:?}");
                prop_assert!(issue.at.line() >= 2, "{issue:?}");
            }
            snap.check_references(&KnownIds::default());
        }
        Err(SourceError::Invalid(message) | SourceError::Io(message)) => {
            prop_assert!(!message.is_empty());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    // The folder reader, on any files.
    #[test]
    fn the_folder_reader_never_panics(export in export(), limits in limits()) {
        let source = Source::new(&[]);
        for (name, body) in named(&export) {
            fs::write(source.0.join(name), body).unwrap();
        }
        judge(read_path(&source.0, &limits))?;
    }

    // The zip reader, on the same files zipped (at the root or in a folder), and on the
    // archive cut short or with a byte changed.
    #[test]
    fn the_zip_reader_never_panics(
        export in export(),
        limits in limits(),
        in_folder in any::<bool>(),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let folder = if in_folder { "export/" } else { "" };
        let bytes = zip_of_bytes(&named(&export), folder);
        judge(read_zip_bytes(&bytes, &limits))?;
        let cut = cut.index(bytes.len() + 1);
        judge(read_zip_bytes(&bytes[..cut], &limits))?;
        let mut flipped = bytes;
        let at = flip.index(flipped.len());
        flipped[at] = byte;
        judge(read_zip_bytes(&flipped, &limits))?;
    }

    // Arbitrary bytes as an archive.
    #[test]
    fn arbitrary_bytes_as_an_archive_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..2000),
    ) {
        judge(read_zip_bytes(&bytes, &CsvLimits::default()))?;
    }
}
