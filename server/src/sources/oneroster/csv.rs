//! OneRoster 1.1 CSV (R8.1): a folder or a zip of CSV files in, a [`Snapshot`] out.
//!
//! This module knows files: the manifest, where the files live (folder or archive), and CSV
//! parsing. What the rows mean is [`super::oneroster`]'s, shared with the REST reader.
//! Only what makes the whole source unreadable fails the run (no manifest, a listed file or a
//! required column missing, a broken archive, a OneRoster version other than 1.1, a file
//! past a limit of [`CsvLimits`]); a bad row is skipped with an issue naming file, line and
//! id (R3.3), and bytes that are not UTF-8 are read with replacement characters, with a
//! warning (R3.4).
//!
//! Files are streamed (security S5.1): a zip entry is inflated as it is read, never written
//! to disk, and counted as it comes out; rows are parsed one at a time by [`stream`], which
//! refuses a cell, a row or a file past its limit before holding it.

mod files;
mod stream;

pub use files::{FilesDigest, digest_path};

use super::records::{
    Rows, read_classes, read_demographics, read_enrollments, read_orgs, read_sessions, read_users,
};
use crate::snapshot::{Coverage, CsvFile, Snapshot, SourceRef};
use crate::sources::SourceError;
use crate::sources::terms::Sessions;
use foldhash::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use stream::{Inflated, RowReader};
use zip::ZipArchive;
use zip::result::ZipError;

const MANIFEST: &str = CsvFile::Manifest.name();

/// Bounds on what a source can make the server read (security S5.1). Each is checked while
/// the file streams in: past one, the run fails with a message naming the file, the line
/// and the limit, and nothing more of the file is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvLimits {
    /// Largest zip entry, counted in bytes as it inflates (the size the archive declares
    /// is not trusted): a small archive must not expand into gigabytes (a zip bomb).
    pub max_entry_bytes: u64,
    /// Longest cell, in bytes once unquoted.
    pub max_cell_bytes: usize,
    /// Most cells in one row, the header included.
    pub max_cells_per_row: usize,
    /// Most data rows in one file (the header not counted).
    pub max_rows: u64,
}

impl Default for CsvLimits {
    fn default() -> Self {
        CsvLimits {
            max_entry_bytes: 2 << 30,
            max_cell_bytes: 64 << 10,
            max_cells_per_row: 512,
            max_rows: 20_000_000,
        }
    }
}

/// The OneRoster version this reader reads (R8.7), as `oneroster.version` names it.
const ONEROSTER_VERSION: &str = "1.1";

/// Reads a OneRoster export from a folder, or from a zip archive when `path` is a file.
pub fn read_path(path: &Path, limits: &CsvLimits) -> Result<Snapshot, SourceError> {
    if path.is_dir() {
        return read_files(|| Ok(Folder(path)), limits);
    }
    let name = path
        .file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy();
    let open = || {
        let file = File::open(path)
            .map_err(|err| SourceError::Io(format!("cannot open {}: {err}", path.display())))?;
        Zip::new(BufReader::new(file), &name, limits)
    };
    read_files(open, limits)
}

/// Reads a OneRoster export from a zip archive held in memory.
pub fn read_zip_bytes(bytes: &[u8], limits: &CsvLimits) -> Result<Snapshot, SourceError> {
    read_files(
        || Zip::new(Cursor::new(bytes), "the upload", limits),
        limits,
    )
}

/// Where the CSV files live, so one reader serves folders and archives.
trait Files {
    /// Opens the file called `name`; `None` when the source has no such file.
    fn open(&mut self, name: &str) -> Result<Option<Opened<'_>>, SourceError>;
}

/// A file opened for reading.
struct Opened<'a> {
    input: Box<dyn Read + 'a>,
    /// Its size in bytes as far as known before reading it (0: unknown). It only sizes
    /// what holds the file's records ([`Rows::rows_left`]); the limits are checked on the
    /// bytes as they come.
    size: u64,
}

/// An export unpacked in a folder.
struct Folder<'p>(&'p Path);

impl Files for Folder<'_> {
    fn open(&mut self, name: &str) -> Result<Option<Opened<'_>>, SourceError> {
        match File::open(self.0.join(name)) {
            Ok(file) => Ok(Some(Opened {
                size: file.metadata().map_or(0, |m| m.len()),
                input: Box::new(file),
            })),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(SourceError::Io(format!("cannot open {name}: {err}"))),
        }
    }
}

/// An export as a zip archive. Zipping a folder puts the files inside that folder, so the
/// files are looked up beside `manifest.csv`: at the root or in one top-level folder.
struct Zip<R> {
    archive: ZipArchive<R>,
    /// `""` or `"<top folder>/"`.
    folder: String,
    max_entry_bytes: u64,
}

impl<R: Read + Seek> Zip<R> {
    /// `name` says what the archive is in the error when it is not one.
    fn new(reader: R, name: &str, limits: &CsvLimits) -> Result<Self, SourceError> {
        let archive = ZipArchive::new(reader)
            .map_err(|err| SourceError::Invalid(format!("{name} is not a zip archive ({err})")))?;
        let folder = manifest_folder(&archive)?;
        Ok(Zip {
            archive,
            folder,
            max_entry_bytes: limits.max_entry_bytes,
        })
    }
}

impl<R: Read + Seek> Files for Zip<R> {
    fn open(&mut self, name: &str) -> Result<Option<Opened<'_>>, SourceError> {
        let path = format!("{}{name}", self.folder);
        let Some(index) = self.archive.index_for_name(&path) else {
            return Ok(None);
        };
        let entry = self
            .archive
            .by_index(index)
            .map_err(|err| zip_error(&path, err))?;
        // An entry that admits it is too large is refused before anything is inflated. The
        // declared size is not trusted otherwise: the bytes are counted as they come out.
        if entry.size() > self.max_entry_bytes {
            return Err(SourceError::Invalid(format!(
                "{name}: the zip entry `{path}` declares {} bytes once inflated, more than {} bytes, the limit",
                entry.size(),
                self.max_entry_bytes
            )));
        }
        // The declared size, within the limit: an archive that lies about it only
        // misjudges the room made for its records.
        Ok(Some(Opened {
            size: entry.size(),
            input: Box::new(Inflated::new(entry, &path, self.max_entry_bytes)),
        }))
    }
}

/// The folder holding `manifest.csv`: the root, or a single top-level folder. Without any
/// manifest the root is used, so the missing manifest is reported as such.
fn manifest_folder<R: Read + Seek>(archive: &ZipArchive<R>) -> Result<String, SourceError> {
    let mut folders = Vec::new();
    for name in archive.file_names().filter_map(Result::ok) {
        if name == MANIFEST {
            return Ok(String::new());
        }
        if let Some(folder) = name
            .strip_suffix(MANIFEST)
            .and_then(|f| f.strip_suffix('/'))
            && !folder.is_empty()
            && !folder.contains('/')
        {
            folders.push(format!("{folder}/"));
        }
    }
    match folders.as_slice() {
        [] => Ok(String::new()),
        [folder] => Ok(folder.clone()),
        _ => Err(SourceError::Invalid(format!(
            "the archive holds a manifest.csv in several folders: {}",
            folders.join(", ")
        ))),
    }
}

fn zip_error(path: &str, err: ZipError) -> SourceError {
    match err {
        ZipError::Io(err) => SourceError::Io(format!("{path}: {err}")),
        other => SourceError::Invalid(format!("{path}: {other}")),
    }
}

/// A data file and the columns it cannot do without.
struct FileSpec {
    file: CsvFile,
    required: &'static [&'static str],
}

const ORGS: FileSpec = FileSpec {
    file: CsvFile::Orgs,
    required: &["sourcedId", "name", "type"],
};
const USERS: FileSpec = FileSpec {
    file: CsvFile::Users,
    required: &[
        "sourcedId",
        "role",
        "givenName",
        "familyName",
        "orgSourcedIds",
    ],
};
const CLASSES: FileSpec = FileSpec {
    file: CsvFile::Classes,
    required: &["sourcedId", "title", "schoolSourcedId"],
};
const ENROLLMENTS: FileSpec = FileSpec {
    file: CsvFile::Enrollments,
    required: &["sourcedId", "classSourcedId", "userSourcedId", "role"],
};
/// Read for the end of each class's term (R5.10). No column is required: a file without
/// `sourcedId` or `endDate` gives no term ends, and the stored ones stay.
const SESSIONS: FileSpec = FileSpec {
    file: CsvFile::AcademicSessions,
    required: &[],
};
const DEMOGRAPHICS: FileSpec = FileSpec {
    file: CsvFile::Demographics,
    required: &["sourcedId"],
};
const MANIFEST_SPEC: FileSpec = FileSpec {
    file: CsvFile::Manifest,
    required: &["propertyName", "value"],
};

/// Reads the files `open` gives. `enrollments.csv`, most of an export's rows and read into
/// lists of its own, is read on a second thread from its own opening of the source, while
/// this one reads the others: a source's reading takes about the longer of the two, not
/// their sum. What is reported is as if the files were read one after another: the
/// first file's error fails the run, and issues keep file order.
fn read_files<F: Files>(
    open: impl Fn() -> Result<F, SourceError> + Sync,
    limits: &CsvLimits,
) -> Result<Snapshot, SourceError> {
    let mut files = open()?;
    let manifest = read_manifest(&mut files, limits)?;
    let mut snap = Snapshot {
        orgs: manifest.orgs,
        users: manifest.users,
        class_coverage: manifest.classes,
        enrollments: manifest.enrollments,
        attributes_supported: true,
        ..Snapshot::default()
    };
    // Set when the other files failed: their error fails the run, so the enrollments stop
    // at their next row rather than be read, and held, for nothing (S5.1).
    let halt = AtomicBool::new(false);
    let (read, enrollments) = std::thread::scope(|scope| {
        let enrollments =
            scope.spawn(|| read_enrollments_file(&open, limits, manifest.enrollments, &halt));
        let read = read_places_and_people(&mut files, limits, &manifest, &mut snap);
        if read.is_err() {
            halt.store(true, Ordering::Relaxed);
        }
        let enrollments = enrollments
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (read, enrollments)
    });
    read?;
    if let Some(mut part) = enrollments? {
        snap.student_enrollments = part.student_enrollments;
        snap.teacher_enrollments = part.teacher_enrollments;
        snap.deleted.enrollments = part.deleted.enrollments;
        snap.issues.append(&mut part.issues);
    }
    if let Some(mut table) = open_listed(&mut files, &DEMOGRAPHICS, limits, manifest.demographics)?
    {
        let bulk = manifest.demographics == Coverage::Bulk;
        read_demographics(&mut table, &mut snap, bulk)?;
    }
    Ok(snap)
}

/// Orgs, users, sessions and classes, in that order, into `snap`.
fn read_places_and_people<F: Files>(
    files: &mut F,
    limits: &CsvLimits,
    manifest: &Manifest,
    snap: &mut Snapshot,
) -> Result<(), SourceError> {
    if let Some(mut table) = open_listed(files, &ORGS, limits, manifest.orgs)? {
        read_orgs(&mut table, snap)?;
    }
    if let Some(mut table) = open_listed(files, &USERS, limits, manifest.users)? {
        read_users(&mut table, snap)?;
    }
    let sessions = read_sessions_file(files, limits, manifest.sessions, snap)?;
    if let Some(mut table) = open_listed(files, &CLASSES, limits, manifest.classes)? {
        read_classes(&mut table, snap, sessions.as_ref())?;
    }
    Ok(())
}

/// `enrollments.csv` into a snapshot of its own (its lists and its issues); `None` when
/// the manifest says it is absent.
fn read_enrollments_file<F: Files>(
    open: &impl Fn() -> Result<F, SourceError>,
    limits: &CsvLimits,
    coverage: Coverage,
    halt: &AtomicBool,
) -> Result<Option<Snapshot>, SourceError> {
    if coverage == Coverage::Absent {
        return Ok(None);
    }
    let mut files = open()?;
    let Some(mut table) = open_listed(&mut files, &ENROLLMENTS, limits, coverage)? else {
        return Ok(None);
    };
    table.halt = Some(halt);
    let mut part = Snapshot::default();
    read_enrollments(&mut table, &mut part)?;
    Ok(Some(part))
}

/// The academic sessions, when the manifest lists them and the file is there with the
/// columns they need. A listed file that is missing or lacks those columns fails nothing:
/// the export is read as before sessions were read (no term known, R4.8).
fn read_sessions_file<F: Files>(
    files: &mut F,
    limits: &CsvLimits,
    coverage: Coverage,
    snap: &mut Snapshot,
) -> Result<Option<Sessions>, SourceError> {
    if coverage == Coverage::Absent {
        return Ok(None);
    }
    let Some(mut table) = Table::open(files, &SESSIONS, limits)? else {
        return Ok(None);
    };
    if !["sourcedId", "endDate"]
        .iter()
        .all(|column| table.columns.contains_key(*column))
    {
        return Ok(None);
    }
    let complete = coverage == Coverage::Bulk;
    read_sessions(&mut table, snap, complete).map(Some)
}

/// What `manifest.csv` says about the files this reader uses.
struct Manifest {
    sessions: Coverage,
    orgs: Coverage,
    users: Coverage,
    classes: Coverage,
    enrollments: Coverage,
    demographics: Coverage,
}

/// Reads the manifest; a file it does not mention is absent. A manifest naming a OneRoster
/// version other than 1.1 fails the run (R8.7); one naming none is read as 1.1 (see
/// `docs/rules.md`, "Choices").
fn read_manifest<F: Files>(files: &mut F, limits: &CsvLimits) -> Result<Manifest, SourceError> {
    let mut table = Table::open(files, &MANIFEST_SPEC, limits)?
        .ok_or_else(|| SourceError::Invalid(format!("{MANIFEST} is missing")))?;
    let mut manifest = Manifest {
        sessions: Coverage::Absent,
        orgs: Coverage::Absent,
        users: Coverage::Absent,
        classes: Coverage::Absent,
        enrollments: Coverage::Absent,
        demographics: Coverage::Absent,
    };
    while table.advance()? {
        let slot = match table.get("propertyName") {
            "oneroster.version" => {
                check_version(table.get("value"), table.line())?;
                continue;
            }
            "file.academicSessions" => &mut manifest.sessions,
            "file.orgs" => &mut manifest.orgs,
            "file.users" => &mut manifest.users,
            "file.classes" => &mut manifest.classes,
            "file.enrollments" => &mut manifest.enrollments,
            "file.demographics" => &mut manifest.demographics,
            _ => continue,
        };
        let value = table.get("value");
        *slot = parse_coverage(value).ok_or_else(|| {
            SourceError::Invalid(format!(
                "{MANIFEST} line {}: `{value}` is not bulk, delta or absent",
                table.line()
            ))
        })?;
    }
    Ok(manifest)
}

/// R8.7: `1.1` is read, as are the ways exporters write it (`1.1.0`, `v1.1`); any other
/// version fails the run, never read as if it were 1.1.
fn check_version(value: &str, line: u64) -> Result<(), SourceError> {
    let bare = value.strip_prefix(['v', 'V']).unwrap_or(value);
    // An empty value says no more than a missing row.
    if bare.is_empty() || bare == ONEROSTER_VERSION || bare == "1.1.0" {
        return Ok(());
    }
    Err(SourceError::Invalid(format!(
        "{MANIFEST} line {line}: oneroster.version is `{value}`; this server reads OneRoster {ONEROSTER_VERSION} only"
    )))
}

fn parse_coverage(value: &str) -> Option<Coverage> {
    match value.to_ascii_lowercase().as_str() {
        "bulk" => Some(Coverage::Bulk),
        "delta" => Some(Coverage::Delta),
        "absent" => Some(Coverage::Absent),
        _ => None,
    }
}

/// Opens a file the manifest lists; `None` when it says the file is absent.
fn open_listed<'a, F: Files>(
    files: &'a mut F,
    spec: &FileSpec,
    limits: &CsvLimits,
    coverage: Coverage,
) -> Result<Option<Table<'a>>, SourceError> {
    let listed_as = match coverage {
        Coverage::Absent => return Ok(None),
        Coverage::Bulk => "bulk",
        Coverage::Delta => "delta",
    };
    let table = Table::open(files, spec, limits)?.ok_or_else(|| {
        SourceError::Invalid(format!(
            "manifest lists {} as {listed_as} but the file is missing",
            spec.file
        ))
    })?;
    Ok(Some(table))
}

/// One CSV file, streamed a row at a time; cells are found by column name, so column order
/// and extra columns do not matter (R8.1).
struct Table<'a> {
    file: CsvFile,
    headers: Vec<String>,
    columns: HashMap<String, usize>,
    rows: RowReader<'a>,
    /// The file's size in bytes, when known (else 0), for [`Rows::rows_left`].
    size: u64,
    /// Once set, the file ends at the next row: another file's error fails the run.
    halt: Option<&'a AtomicBool>,
}

impl<'a> Table<'a> {
    /// Opens `spec`'s file and checks its header; `None` when the source has no such file.
    fn open<F: Files>(
        files: &'a mut F,
        spec: &FileSpec,
        limits: &CsvLimits,
    ) -> Result<Option<Self>, SourceError> {
        let Some(Opened { input, size }) = files.open(spec.file.name())? else {
            return Ok(None);
        };
        // A row with too few or too many cells is read by name like any other, and judged
        // by the fields it lacks rather than failing the file.
        let mut rows = RowReader::new(spec.file.name(), input, limits);
        rows.next_row()?;
        let headers: Vec<String> = rows.cells().map(header_name).collect();
        let mut columns = HashMap::default();
        for (index, name) in headers.iter().enumerate() {
            columns.entry(name.clone()).or_insert(index);
        }
        for column in spec.required {
            if !columns.contains_key(*column) {
                return Err(SourceError::Invalid(format!(
                    "{} has no `{column}` column",
                    spec.file
                )));
            }
        }
        Ok(Some(Table {
            file: spec.file,
            headers,
            columns,
            rows,
            size,
            halt: None,
        }))
    }

    /// The physical line the current row starts on; the header is line 1.
    fn line(&self) -> u64 {
        self.rows.line()
    }
}

impl Rows for Table<'_> {
    fn name(&self) -> &str {
        self.file.name()
    }

    /// Moves to the next row; `false` at the end of the file.
    fn advance(&mut self) -> Result<bool, SourceError> {
        if self.halt.is_some_and(|halt| halt.load(Ordering::Relaxed)) {
            return Err(SourceError::Invalid(format!(
                "{}: not read to its end, as another file failed",
                self.file
            )));
        }
        self.rows.next_row()
    }

    /// The trimmed cell of `column`; empty when the file has no such column or the row is
    /// too short to reach it.
    fn get(&self, column: &str) -> &str {
        self.columns
            .get(column)
            .and_then(|&index| self.rows.cell(index))
            .map_or("", str::trim)
    }

    /// By the header's index, not a scan of the row's trimmed cells: asked of every user
    /// four times (R4.8).
    fn has(&self, column: &str) -> bool {
        self.columns
            .get(column)
            .is_some_and(|&index| self.rows.cell(index).is_some())
    }

    fn cells(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers
            .iter()
            .map(String::as_str)
            .zip(self.rows.cells().map(str::trim))
    }

    fn at(&self) -> SourceRef {
        SourceRef::csv(self.file, self.line())
    }

    fn rows_left(&self) -> usize {
        self.rows.rows_left(self.size)
    }

    /// R3.4: the columns whose cell held bytes that are not UTF-8. A cell past the header
    /// has no name; it is called by its position.
    fn replaced_columns(&self) -> Vec<String> {
        self.rows
            .replaced()
            .iter()
            .map(|&index| match self.headers.get(index) {
                Some(name) => name.clone(),
                None => format!("column {}", index + 1),
            })
            .collect()
    }
}

/// A header as written, without surrounding spaces or a UTF-8 byte-order mark (R8.1).
fn header_name(raw: &str) -> String {
    raw.trim_start_matches('\u{feff}').trim().to_owned()
}

#[cfg(test)]
mod tests;
