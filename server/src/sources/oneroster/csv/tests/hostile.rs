//! Files that are broken or hostile: limits met while streaming (security S5.1), bytes that
//! are not UTF-8 (R3.4), OneRoster versions other than 1.1 (R8.7), blank lines and line
//! ends of every kind.

use super::*;
use crate::snapshot::SnapStudent;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A source folder whose `users.csv` is `users`, as bytes.
fn users_bytes(users: &[u8]) -> Source {
    let source = Source::new(&[(MANIFEST, USERS_ONLY)]);
    fs::write(source.0.join("users.csv"), users).unwrap();
    source
}

fn with_header(rows: &[u8]) -> Vec<u8> {
    [USERS_HEADER.as_bytes(), rows].concat()
}

fn zip_bytes(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for &(name, body) in files {
        writer.start_file(name, options).unwrap();
        writer.write_all(body).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// Files made on demand, e.g. endless ones or ones that trickle in.
struct Streams<F>(F);

impl<F: FnMut(&str) -> Option<Box<dyn Read>>> Files for Streams<F> {
    /// Their size is not known: an endless file has none.
    fn open(&mut self, name: &str) -> Result<Option<Opened<'_>>, SourceError> {
        Ok((self.0)(name).map(|input| Opened { input, size: 0 }))
    }
}

/// `prefix`, then `a` for ever; counts what was pulled out of it.
struct Endless {
    prefix: Cursor<Vec<u8>>,
    pulled: Arc<AtomicU64>,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = self.prefix.read(buf)?;
        if n == 0 {
            buf.fill(b'a');
            n = buf.len();
        }
        self.pulled.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Enrollment rows without end, each with its own ids; counts what was pulled out of it.
struct Numbered {
    header: Cursor<Vec<u8>>,
    next: u64,
    pending: Vec<u8>,
    pulled: Arc<AtomicU64>,
}

impl Read for Numbered {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = self.header.read(buf)?;
        if n == 0 {
            if self.pending.is_empty() {
                self.pending = format!("e-{0},cls-1,stu-{0},student\n", self.next).into_bytes();
                self.next += 1;
            }
            n = buf.len().min(self.pending.len());
            buf[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
        }
        self.pulled.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A reader that hands over one byte per read, as a slow archive or pipe may.
struct OneByte<R>(R);

impl<R: Read> Read for OneByte<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let len = buf.len().min(1);
        self.0.read(&mut buf[..len])
    }
}

/// A folder whose files trickle in a byte at a time.
struct Trickle<'p>(Folder<'p>);

impl Files for Trickle<'_> {
    fn open(&mut self, name: &str) -> Result<Option<Opened<'_>>, SourceError> {
        Ok(self.0.open(name)?.map(|opened| Opened {
            input: Box::new(OneByte(opened.input)),
            size: opened.size,
        }))
    }
}

fn names(students: &[SnapStudent]) -> Vec<(&str, &str, u64)> {
    students
        .iter()
        .map(|s| (s.source_id.as_str(), s.given_name.as_str(), s.at.line()))
        .collect()
}

// S5.1: a cell past 64 KiB fails the run, naming the file, the line and the limit.
#[test]
fn s5_1_a_cell_past_the_limit_fails_the_run_naming_file_line_and_limit() {
    let giant = "x".repeat(1 << 20);
    let users = with_header(
        format!("stu-1,,student,Ana,Ruiz,sch-1,\nstu-2,,student,{giant},Ruiz,sch-1,\n").as_bytes(),
    );
    assert_eq!(
        invalid_message(users_bytes(&users).read()),
        "users.csv line 3: a cell is longer than 65536 bytes, the limit"
    );
    // The same in a zip, quoted, spanning lines.
    let quoted = format!("\"{}\n{}\"", "y".repeat(40_000), "y".repeat(40_000));
    let users = with_header(format!("stu-1,,student,Ana,{quoted},sch-1,\n").as_bytes());
    let bytes = zip_bytes(&[(MANIFEST, USERS_ONLY.as_bytes()), ("users.csv", &users)]);
    assert_eq!(
        invalid_message(read_zip_bytes(&bytes, &CsvLimits::default())),
        "users.csv line 2: a cell is longer than 65536 bytes, the limit"
    );
}

// S5.1: the limit is on the cell as read (quotes undone); a cell of exactly 64 KiB is read.
#[test]
fn s5_1_a_cell_at_the_limit_is_read() {
    let name = "x".repeat(65_536);
    let quotes = format!("\"{}\"", "\"\"".repeat(65_536));
    let users = with_header(
        format!("stu-1,,student,{name},Ruiz,sch-1,\nstu-2,,student,{quotes},Ruiz,sch-1,\n")
            .as_bytes(),
    );
    let snap = users_bytes(&users).read().unwrap();
    assert_eq!(snap.students[0].given_name.len(), 65_536);
    assert_eq!(snap.students[1].given_name, "\"".repeat(65_536));
}

// S5.1: memory does not grow with what is refused. An endless cell is refused once the
// limit is passed, having pulled no more than the limit and the read buffers.
#[test]
fn s5_1_an_endless_cell_is_refused_while_streaming() {
    let pulled = Arc::new(AtomicU64::new(0));
    let counter = pulled.clone();
    let open = move |name: &str| -> Option<Box<dyn Read>> {
        match name {
            MANIFEST => Some(Box::new(Cursor::new(USERS_ONLY.as_bytes().to_vec()))),
            "users.csv" => Some(Box::new(Endless {
                prefix: Cursor::new(with_header(b"stu-1,,student,\"")),
                pulled: counter.clone(),
            })),
            _ => None,
        }
    };
    let files = || Ok(Streams(open.clone()));
    let message = invalid_message(read_files(files, &CsvLimits::default()));
    assert_eq!(
        message,
        "users.csv line 2: a cell is longer than 65536 bytes, the limit"
    );
    let pulled = pulled.load(Ordering::Relaxed);
    assert!(pulled < 256 << 10, "pulled {pulled} bytes");
}

// S5.1: at most 512 cells in a row, the header included; the limit can be set.
#[test]
fn s5_1_a_row_with_too_many_cells_fails_the_run() {
    let wide_header = format!("{}\n", vec!["metadata.x"; 513].join(","));
    let source = users_bytes(wide_header.as_bytes());
    assert_eq!(
        invalid_message(source.read()),
        "users.csv line 1: a row has more than 512 cells, the limit"
    );
    let users =
        with_header(b"stu-1,,student,Ana,Ruiz,sch-1,,x\nstu-2,,student,Bo,Ruiz,sch-1,,x,y\n");
    let source = users_bytes(&users);
    let limits = CsvLimits {
        max_cells_per_row: 8,
        ..CsvLimits::default()
    };
    assert_eq!(
        invalid_message(read_path(&source.0, &limits)),
        "users.csv line 3: a row has more than 8 cells, the limit"
    );
}

// S5.1: at most so many data rows in a file; the header and blank lines are no rows.
#[test]
fn s5_1_a_file_with_too_many_rows_fails_the_run() {
    let limits = CsvLimits {
        max_rows: 2,
        ..CsvLimits::default()
    };
    let two = with_header(b"stu-1,,student,Ana,Ruiz,sch-1,\n\n\nstu-2,,student,Bo,Ruiz,sch-1,\n\n");
    let snap = read_path(&users_bytes(&two).0, &limits).unwrap();
    assert_eq!(snap.students.len(), 2);
    let three = [two.as_slice(), b"stu-3,,student,Cy,Ruiz,sch-1,\n"].concat();
    assert_eq!(
        invalid_message(read_path(&users_bytes(&three).0, &limits)),
        "users.csv line 7: the file has more than 2 rows, the limit"
    );
}

// S5.1: an entry that declares more than the limit is refused before it is inflated.
#[test]
fn s5_1_a_zip_entry_declared_past_the_limit_is_refused_before_reading() {
    let users = with_header("stu-1,,student,Ana,Ruiz,sch-1,\n".repeat(200).as_bytes());
    let bytes = zip_bytes(&[
        ("export/manifest.csv", USERS_ONLY.as_bytes()),
        ("export/users.csv", &users),
    ]);
    let limits = CsvLimits {
        max_entry_bytes: 1000,
        ..CsvLimits::default()
    };
    let message = invalid_message(read_zip_bytes(&bytes, &limits));
    assert_eq!(
        message,
        format!(
            "users.csv: the zip entry `export/users.csv` declares {} bytes once inflated, \
             more than 1000 bytes, the limit",
            users.len()
        )
    );
}

// S5.1: the declared size is not trusted: an entry is counted as it inflates, and reading
// stops one byte past the limit, naming the file, the line being read and the limit.
#[test]
fn s5_1_a_zip_entry_is_counted_as_it_inflates() {
    let pulled = Arc::new(AtomicU64::new(0));
    let endless = Endless {
        prefix: Cursor::new(Vec::new()),
        pulled: pulled.clone(),
    };
    let mut inflated = Inflated::new(endless, "users.csv", 100);
    let mut sink = Vec::new();
    let err = inflated.read_to_end(&mut sink).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the zip entry `users.csv` inflates to more than 100 bytes, the limit"
    );
    assert_eq!(
        pulled.load(Ordering::Relaxed),
        101,
        "one byte past the limit"
    );
    assert!(sink.len() <= 100);

    let users = with_header("stu-1,,student,Ana,Ruiz,sch-1,\n".repeat(100).as_bytes());
    let input = Inflated::new(Cursor::new(users), "export/users.csv", 1000);
    let mut rows =
        stream::RowReader::new("users.csv", Box::new(OneByte(input)), &CsvLimits::default());
    let err = loop {
        match rows.next_row() {
            Ok(true) => {}
            Ok(false) => panic!("read past the limit"),
            Err(err) => break err,
        }
    };
    assert_eq!(
        err.to_string(),
        "users.csv line 31: the zip entry `export/users.csv` inflates to more than 1000 bytes, the limit"
    );
}

// S5.1: entries are read as streams by the name the manifest's folder gives them; none is
// ever written to disk, whatever its name says.
#[test]
fn s5_1_a_zip_entry_is_never_written_to_disk() {
    let tag = format!("{:016x}", rand::random::<u64>());
    let escape = format!("../../roster-escape-{tag}.csv");
    let absolute = std::env::temp_dir().join(format!("roster-absolute-{tag}.csv"));
    let users = with_header(b"stu-1,,student,Ana,Ruiz,sch-1,\n");
    let bytes = zip_bytes(&[
        (MANIFEST, USERS_ONLY.as_bytes()),
        ("users.csv", &users),
        (&escape, b"x"),
        (absolute.to_str().unwrap(), b"x"),
    ]);
    let source = Source::new(&[]);
    let archive = source.0.join("roster.zip");
    fs::write(&archive, bytes).unwrap();
    let snap = read_path(&archive, &CsvLimits::default()).unwrap();
    assert_eq!(snap.students.len(), 1);
    let written: Vec<_> = fs::read_dir(&source.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(written, ["roster.zip"]);
    assert!(!absolute.exists());
    assert!(
        !std::env::temp_dir()
            .join(format!("roster-escape-{tag}.csv"))
            .exists()
    );
}

// R3.4: bytes that are not UTF-8 (Windows-1252 here) do not fail the run: the value is
// read with replacement characters and a warning names file, line, id and field.
#[test]
fn r3_4_bytes_that_are_not_utf8_are_replaced_with_a_warning() {
    let header = b"sourcedId,status,role,givenName,familyName,orgSourcedIds,metadata.city\n";
    let users = [
        header.as_slice(),
        b"stu-1,,student,Jos\xe9,Ruiz,sch-1,\n",
        b"stu-2,,student,Ana,G\xf6mez,sch-1,M\xfcnchen\n",
        b"stu-3,,student,Bo,Li,sch-1,,\x80\n",
        b"stu-4,,student,Cy,Ode,sch-1,\n",
    ]
    .concat();
    let snap = users_bytes(&users).read().unwrap();
    assert_eq!(
        names(&snap.students),
        [
            ("stu-1", "Jos\u{fffd}", 2),
            ("stu-2", "Ana", 3),
            ("stu-3", "Bo", 4),
            ("stu-4", "Cy", 5)
        ]
    );
    assert_eq!(snap.students[1].family_name, "G\u{fffd}mez");
    assert_eq!(
        snap.students[1].attributes.get("city").map(String::as_str),
        Some("M\u{fffd}nchen")
    );
    assert_eq!(
        codes(&snap),
        [
            (IssueCode::InvalidEncoding, "stu-1", 2, "givenName"),
            (IssueCode::InvalidEncoding, "stu-2", 3, "familyName"),
            (IssueCode::InvalidEncoding, "stu-2", 3, "metadata.city"),
            (IssueCode::InvalidEncoding, "stu-3", 4, "column 8"),
        ]
    );
    let first = &snap.issues[0];
    assert_eq!(
        (first.severity, first.record_kind, first.at.file()),
        (Severity::Warning, RecordKind::Student, "users.csv")
    );
    assert!(first.message.contains("Jos\u{fffd}"), "{}", first.message);
}

// R3.4 in a zip, and in the other files: a class title, an enrollment, demographics.
#[test]
fn r3_4_bytes_that_are_not_utf8_are_replaced_in_every_file() {
    let manifest = "propertyName,value\noneroster.version,1.1\nfile.users,bulk\nfile.classes,bulk\nfile.enrollments,bulk\nfile.demographics,bulk\n";
    let users = with_header(b"stu-1,,student,Ana,Ruiz,sch-1,\n");
    let classes: &[u8] = b"sourcedId,title,schoolSourcedId\ncls-1,Fran\xe7ais,sch-1\n";
    let enrollments: &[u8] =
        b"sourcedId,classSourcedId,userSourcedId,role\nenr-\xff,cls-1,stu-1,student\n";
    let demographics: &[u8] = b"sourcedId,sex,birthCity\nstu-1,F,Bogot\xe1\nghost,M,\xe1\n";
    let bytes = zip_bytes(&[
        (MANIFEST, manifest.as_bytes()),
        ("users.csv", &users),
        ("classes.csv", classes),
        ("enrollments.csv", enrollments),
        ("demographics.csv", demographics),
    ]);
    let snap = read_zip_bytes(&bytes, &CsvLimits::default()).unwrap();
    assert_eq!(snap.classes[0].name, "Fran\u{fffd}ais");
    assert_eq!(snap.student_enrollments[0].source_id, "enr-\u{fffd}");
    assert_eq!(
        codes(&snap),
        [
            (IssueCode::InvalidEncoding, "cls-1", 2, "title"),
            (IssueCode::InvalidEncoding, "enr-\u{fffd}", 2, "sourcedId"),
            (IssueCode::InvalidEncoding, "stu-1", 2, "birthCity"),
        ]
    );
    let kinds: Vec<RecordKind> = snap.issues.iter().map(|i| i.record_kind).collect();
    assert_eq!(
        kinds,
        [
            RecordKind::Class,
            RecordKind::StudentEnrollment,
            RecordKind::Student
        ]
    );
}

// R8.7: a version other than 1.1 fails the run, naming the version and what is read.
#[test]
fn r8_7_a_manifest_of_another_version_fails_the_run() {
    for version in ["1.2", "1.0", "2", "\"1.2\"", "1.1x"] {
        let manifest =
            format!("propertyName,value\noneroster.version,{version}\nfile.users,bulk\n");
        let users = with_header(b"stu-1,,student,Ana,Ruiz,sch-1,\n");
        let source = Source::new(&[(MANIFEST, manifest.as_str())]);
        fs::write(source.0.join("users.csv"), users).unwrap();
        let shown = version.trim_matches('"');
        assert_eq!(
            invalid_message(source.read()),
            format!(
                "manifest.csv line 2: oneroster.version is `{shown}`; this server reads OneRoster 1.1 only"
            )
        );
    }
}

// R8.7: 1.1 as exporters write it is read: quoted, spaced, `v1.1`, `1.1.0`. A manifest
// without the row, or with an empty value, is read as 1.1 without an issue (a choice:
// docs/rules.md, "Choices").
#[test]
fn r8_7_version_1_1_as_exporters_write_it_is_read() {
    for row in [
        "oneroster.version,1.1\n",
        "\"oneroster.version\",\"1.1\"\n",
        "oneroster.version, 1.1 \n",
        "oneroster.version,v1.1\n",
        "oneroster.version,1.1.0\n",
        "oneroster.version,\n",
        "",
    ] {
        let manifest = format!("propertyName,value\nmanifest.version,1.0\n{row}file.users,bulk\n");
        let users = with_header(b"stu-1,,student,Ana,Ruiz,sch-1,\n");
        let source = Source::new(&[(MANIFEST, manifest.as_str())]);
        fs::write(source.0.join("users.csv"), users).unwrap();
        let snap = source.read().unwrap_or_else(|e| panic!("{row:?}: {e}"));
        assert_eq!(snap.students.len(), 1, "{row:?}");
        assert!(snap.issues.is_empty(), "{row:?}: {:?}", snap.issues);
    }
}

// R8.1: blank lines are no rows, and each row is at its own line whatever ends lines:
// `\n`, `\r\n`, or a bare `\r` (counted by rows, as the parser counts `\n` only).
#[test]
fn r8_1_rows_are_at_their_lines_whatever_ends_lines() {
    let users = with_header(
        b"\r\nstu-1,,student,Ana,Ruiz,sch-1,\r\n\n\n\"stu-2\",,student,\"Bo\nBo\",Ruiz,sch-1,\nstu-3,,student,Cy,Ruiz,sch-1,",
    );
    let snap = users_bytes(&users).read().unwrap();
    assert_eq!(
        names(&snap.students),
        [
            ("stu-1", "Ana", 3),
            ("stu-2", "Bo\nBo", 6),
            ("stu-3", "Cy", 8)
        ]
    );
    let bare_cr = USERS_HEADER.replace('\n', "\r")
        + "stu-1,,student,Ana,Ruiz,sch-1,\rstu-2,,student,Bo,Ruiz,sch-1,\r";
    let snap = users_bytes(bare_cr.as_bytes()).read().unwrap();
    assert_eq!(
        names(&snap.students),
        [("stu-1", "Ana", 2), ("stu-2", "Bo", 3)]
    );
}

// A file that arrives a byte at a time (the byte-order mark split too) reads the same.
#[test]
fn r8_1_a_file_read_a_byte_at_a_time_reads_the_same() {
    for fixture in ["full", "minimal", "templates"] {
        let path = Path::new(FIXTURES).join(fixture);
        let whole = read_fixture(fixture);
        let trickled = read_files(|| Ok(Trickle(Folder(&path))), &CsvLimits::default()).unwrap();
        assert_eq!(trickled.schools, whole.schools, "{fixture}");
        assert_eq!(trickled.students, whole.students, "{fixture}");
        assert_eq!(trickled.guardians, whole.guardians, "{fixture}");
        assert_eq!(trickled.staff, whole.staff, "{fixture}");
        assert_eq!(trickled.classes, whole.classes, "{fixture}");
        assert_eq!(
            trickled.student_enrollments, whole.student_enrollments,
            "{fixture}"
        );
        assert_eq!(trickled.links, whole.links, "{fixture}");
        assert_eq!(trickled.issues, whole.issues, "{fixture}");
    }
    let bom = [
        b"\xef\xbb\xbf".as_slice(),
        &with_header(b"stu-1,,student,Ana,Ruiz,sch-1,\n"),
    ]
    .concat();
    let source = users_bytes(&bom);
    let snap = read_files(|| Ok(Trickle(Folder(&source.0))), &CsvLimits::default()).unwrap();
    assert_eq!(names(&snap.students), [("stu-1", "Ana", 2)]);
}

// S5.1: enrollments.csv is read beside the other files; when one of those fails, the run
// fails on it, and the enrollments stop at their next row instead of being read, and
// held, to the end. Here they never end: without the stop, the read would go on to the
// row limit, pulling tens of megabytes.
#[test]
fn s5_1_a_failed_file_stops_the_enrollments_read_beside_it() {
    let pulled = Arc::new(AtomicU64::new(0));
    let counter = pulled.clone();
    let open = move |name: &str| -> Option<Box<dyn Read>> {
        let text = |t: &str| -> Option<Box<dyn Read>> {
            Some(Box::new(Cursor::new(t.as_bytes().to_vec())))
        };
        match name {
            MANIFEST => text("propertyName,value\nfile.users,bulk\nfile.enrollments,bulk\n"),
            "users.csv" => text("sourcedId,role\nstu-1,student\n"),
            "enrollments.csv" => Some(Box::new(Numbered {
                header: Cursor::new(b"sourcedId,classSourcedId,userSourcedId,role\n".to_vec()),
                next: 0,
                pending: Vec::new(),
                pulled: counter.clone(),
            })),
            _ => None,
        }
    };
    let limits = CsvLimits {
        max_rows: 1_000_000,
        ..CsvLimits::default()
    };
    let message = invalid_message(read_files(|| Ok(Streams(open.clone())), &limits));
    assert!(message.starts_with("users.csv has no"), "{message}");
    let pulled = pulled.load(Ordering::Relaxed);
    assert!(pulled < 4 << 20, "pulled {pulled} bytes");
}
