//! Where attachment content lives: in the database (the default, so one backup holds
//! everything) or in a directory, named by the content's SHA-256 so that files are never
//! overwritten and the uploader's name never touches the filesystem.

use std::io::Write;
use std::path::{Path, PathBuf};

use casebook_store::Db;
use casebook_store::timeline::{self, BlobStorage};

use crate::config::{AttachmentStorage, AttachmentsConfig};
use crate::error::ActionError;

/// Attachment content storage.
#[derive(Debug, Clone)]
pub enum Blobs {
    /// In the `attachment_blobs` table.
    Database,
    /// In a directory.
    Filesystem(PathBuf),
}

impl Blobs {
    /// From the configuration.
    pub fn from_config(config: &AttachmentsConfig) -> Self {
        match config.storage {
            AttachmentStorage::Filesystem => Blobs::Filesystem(config.dir.clone()),
            AttachmentStorage::Database => Blobs::Database,
        }
    }

    /// Which storage new content goes to.
    pub fn kind(&self) -> BlobStorage {
        match self {
            Blobs::Database => BlobStorage::Database,
            Blobs::Filesystem(_) => BlobStorage::Filesystem,
        }
    }

    /// Stores content under its hash. For the filesystem the file is synced and in place before
    /// the transaction that refers to it commits; content already stored is not written again.
    pub async fn put(&self, db: &mut Db, sha256: &str, content: &[u8]) -> Result<(), ActionError> {
        match self {
            Blobs::Database => Ok(timeline::put_blob(db, sha256, content).await?),
            Blobs::Filesystem(dir) => {
                let (dir, sha, bytes) = (dir.clone(), sha256.to_owned(), content.to_vec());
                tokio::task::spawn_blocking(move || write_file(&dir, &sha, &bytes))
                    .await
                    .map_err(|e| ActionError::Internal(e.to_string()))?
                    .map_err(|e| ActionError::Internal(format!("cannot store an attachment: {e}")))
            }
        }
    }

    /// Reads content stored by [`Blobs::put`] under either storage.
    pub async fn get(
        &self,
        db: &mut Db,
        storage: BlobStorage,
        sha256: &str,
    ) -> Result<Vec<u8>, ActionError> {
        match storage {
            BlobStorage::Database => timeline::get_blob(db, sha256).await?.ok_or_else(|| {
                ActionError::Internal(format!("attachment content {sha256} is missing"))
            }),
            BlobStorage::Filesystem => {
                let Blobs::Filesystem(dir) = self else {
                    return Err(ActionError::Internal(
                        "attachments are in files but attachments.storage is not 'filesystem'"
                            .into(),
                    ));
                };
                let path = blob_path(dir, sha256)
                    .ok_or_else(|| ActionError::Internal("invalid content hash".into()))?;
                tokio::fs::read(&path).await.map_err(|e| {
                    ActionError::Internal(format!("cannot read {}: {e}", path.display()))
                })
            }
        }
    }
}

fn blob_path(dir: &Path, sha256: &str) -> Option<PathBuf> {
    let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
    valid.then(|| dir.join(&sha256[..2]).join(sha256))
}

fn write_file(dir: &Path, sha256: &str, content: &[u8]) -> std::io::Result<()> {
    let path =
        blob_path(dir, sha256).ok_or_else(|| std::io::Error::other("invalid content hash"))?;
    if path.exists() {
        return Ok(());
    }
    let parent = path
        .parent()
        .ok_or_else(|| std::io::Error::other("no parent directory"))?;
    std::fs::create_dir_all(parent)?;
    let tmp = parent.join(format!("{sha256}.{}.tmp", std::process::id()));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(content)?;
    file.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    std::fs::File::open(parent)?.sync_all()
}
