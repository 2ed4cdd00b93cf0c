//! Roster sources: readers that turn what a district's SIS sends into a
//! [`Snapshot`](crate::snapshot::Snapshot). Row-level problems travel inside the snapshot
//! as issues; only a source that cannot be read as a whole is an error here.

pub mod clever;
mod files;
pub mod http;
pub mod oneroster;
mod terms;

pub use files::SourcePaths;

/// Fatal problems: the run fails, nothing is written.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The source is not a roster this reader accepts (no manifest, missing file or column,
    /// not a zip archive, an entry over the size limit).
    #[error("{0}")]
    Invalid(String),
    /// The source could not be read.
    #[error("{0}")]
    Io(String),
}
