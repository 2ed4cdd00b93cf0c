//! Roster archives received by UploadRosterArchive: streamed to the data directory with
//! a size limit and the district's quota, then recorded, so a run (even after a restart,
//! on any replica sharing the data directory) can read them by id. An upload that does not
//! complete (an error, a client gone, its time limit) leaves nothing behind (S5.3): it is
//! written under a `.part` name, removed when dropped unfinished, and renamed only once
//! whole.

use crate::domain::{Error, Result, new_id};
use crate::sources::SourcePaths;
use crate::store::Store;
use crate::store::models::UploadRow;
use crate::store::queries::{districts, uploads as q};
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

/// Limits on what a district may upload.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    /// Largest single archive, in bytes.
    pub max_bytes: u64,
    /// Most bytes a district's uploads may hold together.
    pub quota_bytes: u64,
}

/// An upload being received.
pub struct Upload {
    id: i64,
    district_id: i64,
    path: PathBuf,
    part: PathBuf,
    file: tokio::fs::File,
    size: u64,
    limit: u64,
    /// Room left in the district's quota when the upload began.
    room: u64,
    quota: u64,
    done: bool,
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

impl Upload {
    pub async fn begin(
        store: &Store,
        paths: &SourcePaths,
        district_id: i64,
        limits: UploadLimits,
    ) -> Result<Self> {
        let mut conn = store.conn().await?;
        districts::require(&mut conn, district_id).await?;
        let held = q::bytes_of(&mut conn, district_id).await?.max(0) as u64;
        drop(conn);
        let id = new_id();
        let path = paths.upload_path(id);
        let part = path.with_extension("part");
        let io = |e: std::io::Error| Error::Internal(format!("cannot store upload: {e}"));
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(io)?;
        }
        let file = tokio::fs::File::create(&part).await.map_err(io)?;
        Ok(Upload {
            id,
            district_id,
            path,
            part,
            file,
            size: 0,
            limit: limits.max_bytes,
            room: limits.quota_bytes.saturating_sub(held),
            quota: limits.quota_bytes,
            done: false,
        })
    }

    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.size += chunk.len() as u64;
        if self.size > self.room && self.size <= self.limit {
            return Err(Error::ResourceExhausted {
                message: format!(
                    "district {} would hold more than its upload quota of {} bytes; uploads \
                     are deleted a week after their last use",
                    self.district_id, self.quota
                ),
                retry_after: std::time::Duration::from_secs(3600),
            });
        }
        if self.size > self.limit {
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

    /// Flushes the file, gives it its name and records the upload; returns its id and
    /// size.
    pub async fn finish(mut self, store: &Store) -> Result<(i64, i64)> {
        if self.size == 0 {
            return Err(Error::invalid("chunk", "the archive is empty"));
        }
        let io = |e: std::io::Error| Error::Internal(format!("cannot store upload: {e}"));
        self.file.sync_all().await.map_err(io)?;
        tokio::fs::rename(&self.part, &self.path)
            .await
            .map_err(io)?;
        self.done = true;
        let row = UploadRow {
            id: self.id,
            district_id: self.district_id,
            size_bytes: self.size as i64,
            created_at: store.now(),
            last_used_at: None,
        };
        let recorded = match store.conn().await {
            Ok(mut conn) => q::insert(&mut conn, &row).await.map_err(Error::from),
            Err(e) => Err(e.into()),
        };
        if let Err(e) = recorded {
            let _ = tokio::fs::remove_file(&self.path).await;
            return Err(e);
        }
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
