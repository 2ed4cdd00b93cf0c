//! OneRoster 1.1 CSV (R8.1): a folder or a zip of CSV files in, a [`Snapshot`] out.
//!
//! This module knows files: the manifest, where the files live (folder or archive), and CSV
//! parsing. What the rows mean is [`super::oneroster`]'s, shared with the REST reader.
//! Only what makes the whole source unreadable fails the run (no manifest, a listed file or a
//! required column missing, a broken archive); a bad row is skipped with an issue naming file,
//! line and id (R3.3).

use super::records::{
    Rows, read_classes, read_demographics, read_enrollments, read_orgs, read_users,
};
use crate::snapshot::{Coverage, Snapshot, SourceRef};
use crate::sources::SourceError;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::Path;
use zip::ZipArchive;
use zip::result::ZipError;

const MANIFEST: &str = "manifest.csv";

/// Bounds on what a source can make the server read.
#[derive(Debug, Clone, Copy)]
pub struct CsvLimits {
    /// Largest uncompressed zip entry accepted: a small archive must not expand into
    /// gigabytes (a zip bomb).
    pub max_entry_bytes: u64,
}

impl Default for CsvLimits {
    fn default() -> Self {
        CsvLimits {
            max_entry_bytes: 1 << 30,
        }
    }
}

/// Reads a OneRoster export from a folder, or from a zip archive when `path` is a file.
pub fn read_path(path: &Path, limits: &CsvLimits) -> Result<Snapshot, SourceError> {
    if path.is_dir() {
        return read_files(&mut Folder(path));
    }
    let file = File::open(path)
        .map_err(|err| SourceError::Io(format!("cannot open {}: {err}", path.display())))?;
    let name = path
        .file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy();
    read_files(&mut Zip::new(BufReader::new(file), &name, limits)?)
}

/// Reads a OneRoster export from a zip archive, e.g. an upload held in memory.
pub fn read_zip_bytes<R: Read + Seek>(
    reader: R,
    limits: &CsvLimits,
) -> Result<Snapshot, SourceError> {
    read_files(&mut Zip::new(reader, "the upload", limits)?)
}

/// Where the CSV files live, so one reader serves folders and archives.
trait Files {
    /// Opens the file called `name`; `None` when the source has no such file.
    fn open(&mut self, name: &str) -> Result<Option<Box<dyn Read + '_>>, SourceError>;
}

/// An export unpacked in a folder.
struct Folder<'p>(&'p Path);

impl Files for Folder<'_> {
    fn open(&mut self, name: &str) -> Result<Option<Box<dyn Read + '_>>, SourceError> {
        match File::open(self.0.join(name)) {
            Ok(file) => Ok(Some(Box::new(file))),
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
    fn open(&mut self, name: &str) -> Result<Option<Box<dyn Read + '_>>, SourceError> {
        let path = format!("{}{name}", self.folder);
        let Some(index) = self.archive.index_for_name(&path) else {
            return Ok(None);
        };
        let entry = self
            .archive
            .by_index(index)
            .map_err(|err| zip_error(&path, err))?;
        // The declared size is checked here; the zip crate stops reading an entry that grows
        // past its declared size, so together they bound what is read.
        if entry.size() > self.max_entry_bytes {
            return Err(SourceError::Invalid(format!(
                "{path} is {} bytes uncompressed, over the limit of {} bytes",
                entry.size(),
                self.max_entry_bytes
            )));
        }
        Ok(Some(Box::new(entry)))
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
    name: &'static str,
    required: &'static [&'static str],
}

const ORGS: FileSpec = FileSpec {
    name: "orgs.csv",
    required: &["sourcedId", "name", "type"],
};
const USERS: FileSpec = FileSpec {
    name: "users.csv",
    required: &[
        "sourcedId",
        "role",
        "givenName",
        "familyName",
        "orgSourcedIds",
    ],
};
const CLASSES: FileSpec = FileSpec {
    name: "classes.csv",
    required: &["sourcedId", "title", "schoolSourcedId"],
};
const ENROLLMENTS: FileSpec = FileSpec {
    name: "enrollments.csv",
    required: &["sourcedId", "classSourcedId", "userSourcedId", "role"],
};
const DEMOGRAPHICS: FileSpec = FileSpec {
    name: "demographics.csv",
    required: &["sourcedId"],
};
const MANIFEST_SPEC: FileSpec = FileSpec {
    name: MANIFEST,
    required: &["propertyName", "value"],
};

fn read_files<F: Files>(files: &mut F) -> Result<Snapshot, SourceError> {
    let manifest = read_manifest(files)?;
    let mut snap = Snapshot {
        orgs: manifest.orgs,
        users: manifest.users,
        class_coverage: manifest.classes,
        enrollments: manifest.enrollments,
        attributes_supported: true,
        ..Snapshot::default()
    };
    if let Some(mut table) = open_listed(files, &ORGS, manifest.orgs)? {
        read_orgs(&mut table, &mut snap)?;
    }
    if let Some(mut table) = open_listed(files, &USERS, manifest.users)? {
        read_users(&mut table, &mut snap)?;
    }
    if let Some(mut table) = open_listed(files, &CLASSES, manifest.classes)? {
        read_classes(&mut table, &mut snap)?;
    }
    if let Some(mut table) = open_listed(files, &ENROLLMENTS, manifest.enrollments)? {
        read_enrollments(&mut table, &mut snap)?;
    }
    if let Some(mut table) = open_listed(files, &DEMOGRAPHICS, manifest.demographics)? {
        read_demographics(&mut table, &mut snap)?;
    }
    Ok(snap)
}

/// What `manifest.csv` says about the files this reader uses.
struct Manifest {
    orgs: Coverage,
    users: Coverage,
    classes: Coverage,
    enrollments: Coverage,
    demographics: Coverage,
}

/// Reads the manifest; a file it does not mention is absent.
fn read_manifest<F: Files>(files: &mut F) -> Result<Manifest, SourceError> {
    let mut table = Table::open(files, &MANIFEST_SPEC)?
        .ok_or_else(|| SourceError::Invalid(format!("{MANIFEST} is missing")))?;
    let mut manifest = Manifest {
        orgs: Coverage::Absent,
        users: Coverage::Absent,
        classes: Coverage::Absent,
        enrollments: Coverage::Absent,
        demographics: Coverage::Absent,
    };
    while table.advance()? {
        let slot = match table.get("propertyName") {
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
    coverage: Coverage,
) -> Result<Option<Table<'a>>, SourceError> {
    let listed_as = match coverage {
        Coverage::Absent => return Ok(None),
        Coverage::Bulk => "bulk",
        Coverage::Delta => "delta",
    };
    let table = Table::open(files, spec)?.ok_or_else(|| {
        SourceError::Invalid(format!(
            "manifest lists {} as {listed_as} but the file is missing",
            spec.name
        ))
    })?;
    Ok(Some(table))
}

/// One CSV file, streamed a row at a time into a reused record; cells are found by column
/// name, so column order and extra columns do not matter (R8.1).
struct Table<'a> {
    file: &'static str,
    headers: Vec<String>,
    columns: HashMap<String, usize>,
    reader: csv::Reader<Box<dyn Read + 'a>>,
    record: csv::StringRecord,
}

impl<'a> Table<'a> {
    /// Opens `spec`'s file and checks its header; `None` when the source has no such file.
    fn open<F: Files>(files: &'a mut F, spec: &FileSpec) -> Result<Option<Self>, SourceError> {
        let Some(input) = files.open(spec.name)? else {
            return Ok(None);
        };
        // Flexible: a row with too few or too many cells is read by name like any other,
        // and judged by the fields it lacks rather than failing the file.
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(input);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|err| csv_error(spec.name, err))?
            .iter()
            .map(header_name)
            .collect();
        let mut columns = HashMap::new();
        for (index, name) in headers.iter().enumerate() {
            columns.entry(name.clone()).or_insert(index);
        }
        for column in spec.required {
            if !columns.contains_key(*column) {
                return Err(SourceError::Invalid(format!(
                    "{} has no `{column}` column",
                    spec.name
                )));
            }
        }
        Ok(Some(Table {
            file: spec.name,
            headers,
            columns,
            reader,
            record: csv::StringRecord::new(),
        }))
    }

    /// The physical line the current row starts on; the header is line 1. The csv crate
    /// counts `\n` only, so files that end lines with a bare `\r` (seen in real exports)
    /// would drift; the record count (header = record 0) is a floor for the line.
    fn line(&self) -> u64 {
        self.record
            .position()
            .map_or(0, |p| p.line().max(p.record() + 1))
    }
}

impl Rows for Table<'_> {
    fn name(&self) -> &str {
        self.file
    }

    /// Moves to the next row; `false` at the end of the file.
    fn advance(&mut self) -> Result<bool, SourceError> {
        self.reader
            .read_record(&mut self.record)
            .map_err(|err| csv_error(self.file, err))
    }

    /// The trimmed cell of `column`; empty when the file has no such column or the row is
    /// too short to reach it.
    fn get(&self, column: &str) -> &str {
        self.columns
            .get(column)
            .and_then(|&index| self.record.get(index))
            .map_or("", str::trim)
    }

    fn cells(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers
            .iter()
            .map(String::as_str)
            .zip(self.record.iter().map(str::trim))
    }

    fn at(&self) -> SourceRef {
        SourceRef::csv(self.file, self.line())
    }
}

/// A header as written, without surrounding spaces. The csv crate drops a leading UTF-8
/// byte-order mark (R8.1) only when it arrives in one read, so it is trimmed here as well.
fn header_name(raw: &str) -> String {
    raw.trim_start_matches('\u{feff}').trim().to_owned()
}

fn csv_error(file: &str, err: csv::Error) -> SourceError {
    match err.kind() {
        csv::ErrorKind::Io(_) => SourceError::Io(format!("{file}: {err}")),
        _ => SourceError::Invalid(format!("{file}: {err}")),
    }
}

#[cfg(test)]
mod tests;
