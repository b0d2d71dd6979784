//! `[database]` and `[attachments]`: where Casebook keeps its data — the database connection
//! and where attachment content lives.

use std::path::PathBuf;
use std::time::Duration;

use casebook_store::{SqliteSync, StoreOptions};
use serde::{Deserialize, Serialize};

use super::ConfigError;

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
    pub sqlite_synchronous: String,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite://casebook.db".into(),
            max_connections: 16,
            acquire_timeout_secs: 5,
            sqlite_busy_timeout_secs: 5,
            sqlite_synchronous: "full".into(),
        }
    }
}

impl DatabaseConfig {
    /// Checks what the types alone do not.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if !matches!(self.sqlite_synchronous.as_str(), "full" | "normal") {
            return Err(ConfigError::Invalid(
                "database.sqlite_synchronous: must be 'full' or 'normal'".into(),
            ));
        }
        Ok(())
    }

    /// Options for opening the store.
    pub fn store_options(&self) -> StoreOptions {
        let mut options = StoreOptions::new(self.url.clone());
        options.max_connections = self.max_connections;
        options.acquire_timeout = Duration::from_secs(self.acquire_timeout_secs);
        options.sqlite_busy_timeout = Duration::from_secs(self.sqlite_busy_timeout_secs);
        options.sqlite_sync = if self.sqlite_synchronous == "normal" {
            SqliteSync::Normal
        } else {
            SqliteSync::Full
        };
        options
    }
}

/// `[attachments]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttachmentsConfig {
    /// `database` or `filesystem`.
    pub storage: String,
    /// Directory for `filesystem` storage.
    pub dir: PathBuf,
}

impl Default for AttachmentsConfig {
    fn default() -> Self {
        AttachmentsConfig {
            storage: "database".into(),
            dir: PathBuf::from("attachments"),
        }
    }
}

impl AttachmentsConfig {
    /// Checks what the types alone do not.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if !matches!(self.storage.as_str(), "database" | "filesystem") {
            return Err(ConfigError::Invalid(
                "attachments.storage: must be 'database' or 'filesystem'".into(),
            ));
        }
        Ok(())
    }
}
