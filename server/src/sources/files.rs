//! Where file sources live on the server: CSV folders by path under the import directory,
//! and uploaded archives in the data directory. With several replicas, the data directory
//! is storage they share, so a run can read an upload whichever replica received it.

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct SourcePaths {
    /// OneRoster CSV sources given by path must lie under this folder.
    pub import_dir: PathBuf,
    /// Uploaded archives live in `data_dir/uploads/<id>.zip`.
    pub data_dir: PathBuf,
}

impl SourcePaths {
    pub fn upload_path(&self, upload_id: i64) -> PathBuf {
        self.data_dir
            .join("uploads")
            .join(format!("{upload_id}.zip"))
    }

    /// A path under the import directory; anything that escapes it (`..`, links) is refused.
    pub fn import_path(&self, relative: &str) -> Result<PathBuf, String> {
        let base = self.import_dir.canonicalize().map_err(|e| {
            format!(
                "import directory {} is not readable: {e}",
                self.import_dir.display()
            )
        })?;
        let full = base
            .join(relative)
            .canonicalize()
            .map_err(|e| format!("{relative}: {e}"))?;
        if full.starts_with(&base) {
            Ok(full)
        } else {
            Err(format!("{relative} is outside the import directory"))
        }
    }
}
