//! `[database]` and `[attachments]`: where Casebook keeps its data — the database connection
//! and where attachment content lives.

use std::path::PathBuf;
use std::time::Duration;

use casebook_store::{SqliteSync, StoreOptions};
use serde::{Deserialize, Serialize};

/// `[database]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
    /// Seconds a request waits for a connection before answering 503.
    pub acquire_timeout_secs: u64,
    /// Seconds SQLite waits for another process's lock.
    pub sqlite_busy_timeout_secs: u64,
    /// `full` (default) or `normal`.
    pub sqlite_synchronous: SqliteSynchronous,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite://casebook.db".into(),
            max_connections: 16,
            acquire_timeout_secs: 5,
            sqlite_busy_timeout_secs: 5,
            sqlite_synchronous: SqliteSynchronous::Full,
        }
    }
}

/// How SQLite syncs a commit to disk (`database.sqlite_synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SqliteSynchronous {
    /// Every commit is on disk before it is acknowledged.
    #[default]
    Full,
    /// Faster; the last commits can be lost if the machine loses power.
    Normal,
}

impl DatabaseConfig {
    /// Options for opening the store.
    pub fn store_options(&self) -> StoreOptions {
        let mut options = StoreOptions::new(self.url.clone());
        options.max_connections = self.max_connections;
        options.acquire_timeout = Duration::from_secs(self.acquire_timeout_secs);
        options.sqlite_busy_timeout = Duration::from_secs(self.sqlite_busy_timeout_secs);
        options.sqlite_sync = match self.sqlite_synchronous {
            SqliteSynchronous::Full => SqliteSync::Full,
            SqliteSynchronous::Normal => SqliteSync::Normal,
        };
        options
    }
}

/// `[attachments]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttachmentsConfig {
    /// `database` or `filesystem`.
    pub storage: AttachmentStorage,
    /// Directory for `filesystem` storage.
    pub dir: PathBuf,
}

impl Default for AttachmentsConfig {
    fn default() -> Self {
        AttachmentsConfig {
            storage: AttachmentStorage::Database,
            dir: PathBuf::from("attachments"),
        }
    }
}

/// Where attachment content is kept (`attachments.storage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentStorage {
    /// In the database.
    #[default]
    Database,
    /// In files in `attachments.dir`, named by content hash.
    Filesystem,
}
