//! What the index needs of the process that keeps it: the database, the clock, the search
//! settings and the index itself. The application state implements it; the search engine does
//! not know the application above it.

use casebook_store::Store;

use super::Search;
use crate::clock::Clock;
use crate::config::SearchConfig;

/// The process that keeps the index.
pub trait Host: Send + Sync {
    /// The database.
    fn store(&self) -> &Store;
    /// The clock.
    fn clock(&self) -> &dyn Clock;
    /// The `[search]` settings.
    fn search_config(&self) -> &SearchConfig;
    /// This process's index.
    fn index(&self) -> &Search;
}

impl<T: Host + ?Sized> Host for std::sync::Arc<T> {
    fn store(&self) -> &Store {
        self.as_ref().store()
    }

    fn clock(&self) -> &dyn Clock {
        self.as_ref().clock()
    }

    fn search_config(&self) -> &SearchConfig {
        self.as_ref().search_config()
    }

    fn index(&self) -> &Search {
        self.as_ref().index()
    }
}
