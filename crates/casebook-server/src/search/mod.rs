//! Search over cases, knowledge articles, organisations, contacts and installed units (tantivy,
//! with jieba for Chinese and an English stemmer).
//!
//! The index is a cache of the database kept by each process: database triggers append every
//! change of a searchable row to `search_changes` in the changing transaction; [`follow`] applies
//! the feed every `[search] refresh_millis` and commits the index with the feed's mark, so
//! several servers on one PostgreSQL each see every change within about a second, and a crash
//! loses nothing. [`rebuild`] (also `casebook reindex`) makes the index from the tables.
//!
//! - `analyzer.rs`: how text becomes terms (jieba, filters, stemming, stop words).
//! - `schema.rs`: the index's fields; `documents.rs`: documents from rows.
//! - `engine.rs`: the open index and its lock; `indexer.rs`: the feed applied, rebuilds.
//! - `query.rs`: a query with the caller's rights as filters, ranking and snippets.
//! - `synonyms.rs`: the admins' synonym groups, applied to a query's words.

mod analyzer;
mod documents;
mod engine;
mod host;
mod indexer;
mod query;
mod schema;
mod synonyms;

pub use analyzer::{index_terms, query_terms};
pub use engine::{Engine, Search, SearchError};
pub use host::Host;
pub use indexer::{catch_up, follow, prune, rebuild};
pub use query::{Hit, MAX_OFFSET, MAX_QUERY_CHARS, Request, Results, Scope, run};
pub use synonyms::{SynonymCache, Synonyms};
