//! `[search]`: where this process keeps its search index and how quickly it follows changes.
//!
//! The index is a cache of the database: each `casebook serve` keeps its own (two processes must
//! not share a directory) and rebuilds it when it is missing, damaged or too old.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[search]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchConfig {
    /// The directory of this process's index.
    pub index_dir: PathBuf,
    /// Milliseconds between two looks at the change feed.
    pub refresh_millis: u64,
    /// Days the change feed is kept; an index that is older is rebuilt at start.
    pub keep_changes_days: u32,
    /// Memory for the index writer, in megabytes.
    pub writer_memory_mb: u32,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            index_dir: PathBuf::from("search-index"),
            refresh_millis: 500,
            keep_changes_days: 7,
            writer_memory_mb: 32,
        }
    }
}

impl SearchConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if !(50..=60_000).contains(&self.refresh_millis) {
            return Err(ConfigError::Invalid(
                "search.refresh_millis: must be between 50 and 60000".into(),
            ));
        }
        if self.keep_changes_days == 0 {
            return Err(ConfigError::Invalid(
                "search.keep_changes_days: must be at least 1".into(),
            ));
        }
        if !(16..=4096).contains(&self.writer_memory_mb) {
            return Err(ConfigError::Invalid(
                "search.writer_memory_mb: must be between 16 and 4096".into(),
            ));
        }
        if self.index_dir.as_os_str().is_empty() {
            return Err(ConfigError::Invalid(
                "search.index_dir: must not be empty".into(),
            ));
        }
        Ok(())
    }
}
