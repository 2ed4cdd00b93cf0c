//! Roster archives received by UploadRosterArchive: streamed to the data directory with
//! a size limit, then recorded, so a run (even after a restart, on any replica sharing
//! the data directory) can read them by id.

use crate::domain::{Error, Result, new_id, now};
use crate::sources::SourcePaths;
use crate::store::Store;
use crate::store::models::UploadRow;
use crate::store::queries::{districts, uploads as q};
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

/// An upload being received.
pub struct Upload {
    id: i64,
    district_id: i64,
    path: PathBuf,
    file: tokio::fs::File,
    size: u64,
    limit: u64,
}

impl Upload {
    pub async fn begin(
        store: &Store,
        paths: &SourcePaths,
        district_id: i64,
        limit: u64,
    ) -> Result<Self> {
        districts::require(&mut store.conn().await?, district_id).await?;
        let id = new_id();
        let path = paths.upload_path(id);
        let io = |e: std::io::Error| Error::Internal(format!("cannot store upload: {e}"));
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(io)?;
        }
        let file = tokio::fs::File::create(&path).await.map_err(io)?;
        Ok(Upload {
            id,
            district_id,
            path,
            file,
            size: 0,
            limit,
        })
    }

    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            let _ = tokio::fs::remove_file(&self.path).await;
            return Err(Error::invalid(
                "chunk",
                format!(
                    "the archive exceeds the upload limit of {} bytes",
                    self.limit
                ),
            ));
        }
        self.file
            .write_all(chunk)
            .await
            .map_err(|e| Error::Internal(format!("cannot store upload: {e}")))
    }

    /// Flushes the file and records the upload; returns its id and size.
    pub async fn finish(self, store: &Store) -> Result<(i64, i64)> {
        if self.size == 0 {
            let _ = tokio::fs::remove_file(&self.path).await;
            return Err(Error::invalid("chunk", "the archive is empty"));
        }
        self.file
            .sync_all()
            .await
            .map_err(|e| Error::Internal(format!("cannot store upload: {e}")))?;
        let row = UploadRow {
            id: self.id,
            district_id: self.district_id,
            size_bytes: self.size as i64,
            created_at: now(),
            last_used_at: None,
        };
        q::insert(&mut store.conn().await?, &row).await?;
        Ok((self.id, self.size as i64))
    }
}

/// The upload, which must belong to the district.
pub async fn require(store: &Store, district_id: i64, upload_id: i64) -> Result<()> {
    match q::get(&mut store.conn().await?, upload_id).await? {
        Some(u) if u.district_id == district_id => Ok(()),
        _ => Err(Error::not_found(format!(
            "upload {upload_id} of district {district_id}"
        ))),
    }
}
