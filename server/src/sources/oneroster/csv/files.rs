//! A OneRoster export's files as bytes, before any is read as CSV: their digest, so a
//! run of an export byte for byte the same as a settled one need not read it
//! (`sync::settled`), and their size and time of change, so a run that read the files
//! can tell whether they were the ones digested.

use super::CsvLimits;
use crate::snapshot::{CsvFile, Digester};
use crate::sources::SourceError;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The digest of an export's files, and what each file was when it was taken.
#[derive(Debug, Clone)]
pub struct FilesDigest {
    pub hex: String,
    stamps: Vec<(PathBuf, Option<Stamp>)>,
}

/// A file's size and time of change; none for a file that does not exist.
type Stamp = (u64, SystemTime);

impl FilesDigest {
    /// Whether every file is still as it was when digested: a folder written to while a
    /// run read it cannot vouch for what the run read.
    pub fn unchanged(&self) -> bool {
        self.stamps.iter().all(|(path, was)| stamp(path) == *was)
    }
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

/// Bytes read from a file at a time for its digest.
const DIGEST_BLOCK: usize = 1 << 18;

/// Digests the files [`super::read_path`] reads from `path` (a folder's files by name, a
/// zip archive whole), after `salt` and the limits they are read within.
pub fn digest_path(
    path: &Path,
    limits: &CsvLimits,
    salt: &[u8],
) -> Result<FilesDigest, SourceError> {
    let mut digester = Digester::new(salt);
    digester.update(format!("{limits:?}").as_bytes());
    let files: Vec<PathBuf> = if path.is_dir() {
        CsvFile::ALL.iter().map(|f| path.join(f.name())).collect()
    } else {
        vec![path.to_owned()]
    };
    let mut stamps = Vec::with_capacity(files.len());
    for file in files {
        // Taken before the bytes: a write while they are read changes it.
        let was = stamp(&file);
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let unreadable = |err: io::Error| SourceError::Io(format!("cannot read {name}: {err}"));
        digester.update(format!("{name}\n").as_bytes());
        match File::open(&file) {
            Ok(opened) => {
                digester.update(&[1]);
                // Read in large blocks: the hash works on many of its chunks at once only
                // when given as many (`io::copy` hands on a `BufReader`'s whole buffer).
                let mut opened = io::BufReader::with_capacity(DIGEST_BLOCK, opened);
                let n = io::copy(&mut opened, &mut digester).map_err(unreadable)?;
                // Its length after it: no two sets of files digest the same bytes.
                digester.update(&n.to_le_bytes());
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => digester.update(&[0]),
            Err(err) => return Err(unreadable(err)),
        }
        stamps.push((file, was));
    }
    Ok(FilesDigest {
        hex: digester.finish(),
        stamps,
    })
}
