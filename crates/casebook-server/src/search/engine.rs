//! The index of this process: opened on first use from `[search] index_dir`, locked against a
//! second writer, and remembered with the mark of the change feed it has applied (kept in each
//! commit's payload, so a crash loses nothing: after a restart the feed is read again from the
//! last commit, and applying a change twice gives the same document).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use casebook_domain::synonyms::SynonymGroup;
use casebook_store::search::Mark;
use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy};
use tokio::sync::OnceCell;

use super::analyzer::{INDEX_ANALYZER, index_analyzer};
use super::schema::{self, Fields, SCHEMA_VERSION};
use super::synonyms::{SynonymCache, Synonyms};

/// Why the index cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// Another process holds the index directory.
    #[error(
        "the search index {0} is in use by another casebook process; give each process its own \
         [search] index_dir, or stop the other one"
    )]
    InUse(PathBuf),
    /// The index or its directory failed.
    #[error("the search index failed: {0}")]
    Index(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] casebook_store::StoreError),
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> Self {
        SearchError::Index(e.to_string())
    }
}

/// What each commit of the index remembers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Payload {
    /// The schema version the index was written with.
    pub schema: u32,
    /// The change-feed mark applied.
    pub mark: String,
    /// When the commit was made, epoch milliseconds.
    pub at: i64,
}

/// The search handle of the application: opens the index on first use.
pub struct Search {
    dir: PathBuf,
    memory_bytes: usize,
    engine: OnceCell<Arc<Engine>>,
    synonyms: SynonymCache,
}

impl std::fmt::Debug for Search {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Search").field("dir", &self.dir).finish()
    }
}

impl Search {
    /// A handle for the index in `dir`, not opened yet.
    pub fn new(dir: PathBuf, writer_memory_mb: u32) -> Search {
        Search {
            dir,
            memory_bytes: writer_memory_mb as usize * 1024 * 1024,
            engine: OnceCell::new(),
            synonyms: SynonymCache::default(),
        }
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The open index (opened now if it was not).
    pub async fn engine(&self) -> Result<Arc<Engine>, SearchError> {
        self.engine
            .get_or_try_init(|| async {
                let dir = self.dir.clone();
                let memory = self.memory_bytes;
                tokio::task::spawn_blocking(move || Engine::open(&dir, memory).map(Arc::new))
                    .await
                    .map_err(|e| SearchError::Index(e.to_string()))?
            })
            .await
            .cloned()
    }

    /// The synonyms of the groups as read now (cut into terms again only after a change).
    pub fn synonyms(&self, groups: &[SynonymGroup]) -> Arc<Synonyms> {
        self.synonyms.of(groups)
    }

    /// The index if it is open already.
    pub fn opened(&self) -> Option<Arc<Engine>> {
        self.engine.get().cloned()
    }
}

/// Decompressed blocks of stored text kept per segment.
const DOC_STORE_CACHE_BLOCKS: usize = 4;

/// An open index with its only writer.
pub struct Engine {
    pub(super) reader: IndexReader,
    pub(super) fields: Fields,
    /// Taken inside blocking tasks only.
    pub(super) writer: Arc<Mutex<IndexWriter>>,
    /// The feed position; held while changes are applied, so one pass runs at a time.
    pub(super) state: tokio::sync::Mutex<State>,
}

/// Where the index is in the change feed.
#[derive(Debug, Default)]
pub(super) struct State {
    /// The mark applied, `None` until the index was built.
    pub mark: Option<Mark>,
    /// When the last commit was made (epoch ms).
    pub committed_at: i64,
    /// Changes applied ahead of the mark (PostgreSQL: committed while an older transaction
    /// still runs), by id, so that they are not applied again until the mark passes them.
    pub ahead: std::collections::HashSet<i64>,
}

impl Engine {
    fn open(dir: &Path, memory_bytes: usize) -> Result<Engine, SearchError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| SearchError::Index(format!("{}: {e}", dir.display())))?;
        let (schema, fields) = schema::build();
        let open = || -> tantivy::Result<Index> {
            let directory = MmapDirectory::open(dir)
                .map_err(|e| tantivy::TantivyError::SystemError(e.to_string()))?;
            Index::open_or_create(directory, schema.clone())
        };
        let index = match open() {
            Ok(index) => index,
            // Another schema (an older Casebook) or a damaged index: it is only a cache.
            Err(e) => {
                tracing::warn!(error = %e, dir = %dir.display(), "search index unreadable; making a new one");
                wipe(dir)?;
                open()?
            }
        };
        index
            .tokenizers()
            .register(INDEX_ANALYZER, index_analyzer());
        let writer: IndexWriter = match index.writer_with_num_threads(1, memory_bytes) {
            Ok(w) => w,
            Err(tantivy::TantivyError::LockFailure(..)) => {
                return Err(SearchError::InUse(dir.to_path_buf()));
            }
            Err(e) => return Err(e.into()),
        };
        let payload = index
            .load_metas()?
            .payload
            .and_then(|p| serde_json::from_str::<Payload>(&p).ok())
            .filter(|p| p.schema == SCHEMA_VERSION);
        let state = State {
            mark: payload.as_ref().and_then(|p| Mark::decode(&p.mark)),
            committed_at: payload.map_or(0, |p| p.at),
            ahead: Default::default(),
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            // Hits are read once per search, scattered over the index: a cache of decompressed
            // blocks (100 per segment by default) would mostly hold memory.
            .doc_store_cache_num_blocks(DOC_STORE_CACHE_BLOCKS)
            .try_into()?;
        Ok(Engine {
            reader,
            fields,
            writer: Arc::new(Mutex::new(writer)),
            state: tokio::sync::Mutex::new(state),
        })
    }

    /// How many documents the searchable index holds.
    pub fn documents(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

/// Deletes an unreadable index, only if the directory holds nothing but tantivy's files (an
/// `index_dir` pointed at a directory with other content is never emptied).
fn wipe(dir: &Path) -> Result<(), SearchError> {
    let fail = |e: std::io::Error| SearchError::Index(format!("{}: {e}", dir.display()));
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(fail)? {
        let entry = entry.map_err(fail)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() || !is_index_file(&name) {
            return Err(SearchError::Index(format!(
                "{} holds {name:?}, which is not part of a search index; give [search] index_dir \
                 a directory of its own",
                dir.display()
            )));
        }
        files.push(entry.path());
    }
    for file in files {
        std::fs::remove_file(&file).map_err(fail)?;
    }
    Ok(())
}

/// Whether a file name is one tantivy writes: its metadata, locks, or segment files named by a
/// 32-hex-digit segment id.
fn is_index_file(name: &str) -> bool {
    matches!(name, "meta.json" | ".managed.json")
        || name.starts_with(".tantivy-")
        || (name.len() > 33
            && name.as_bytes()[32] == b'.'
            && name[..32].bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_index_files_are_wiped() {
        assert!(is_index_file("meta.json") && is_index_file(".tantivy-writer.lock"));
        assert!(is_index_file("0123456789abcdef0123456789abcdef.idx"));
        assert!(is_index_file("0123456789abcdef0123456789abcdef.12.del"));
        assert!(!is_index_file("casebook.db") && !is_index_file("notes.txt"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("meta.json"), "broken").unwrap();
        std::fs::write(dir.path().join("casebook.db"), "keep me").unwrap();
        assert!(wipe(dir.path()).is_err());
        assert!(dir.path().join("casebook.db").exists() && dir.path().join("meta.json").exists());
        std::fs::remove_file(dir.path().join("casebook.db")).unwrap();
        wipe(dir.path()).unwrap();
        assert!(!dir.path().join("meta.json").exists());
    }
}
