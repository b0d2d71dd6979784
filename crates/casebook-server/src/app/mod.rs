//! The application state shared by every request, CLI command and job.

pub mod call_home;
pub mod outbound;
pub mod throttle;

use std::sync::{Arc, OnceLock};

use casebook_store::Store;

use self::call_home::{KeyTurns, RefusalCounter};
use self::throttle::SignInThrottle;
use crate::blobs::Blobs;
use crate::calendar_cache::CalendarCache;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;

/// Everything a use case needs besides its input: the store, the configuration, the clock and
/// where attachment content lives.
#[derive(Debug)]
pub struct App {
    /// The database.
    pub store: Store,
    /// The loaded configuration.
    pub config: Config,
    /// The clock (injected so tests can move time).
    pub clock: Arc<dyn Clock>,
    /// Attachment content storage.
    pub blobs: Blobs,
    /// Compiled business calendars.
    pub calendars: CalendarCache,
    /// Failed sign-ins per e-mail address.
    pub sign_in_throttle: SignInThrottle,
    /// Refused call-home requests not yet counted in the database.
    pub call_home_refusals: RefusalCounter,
    /// One batch at a time per call-home key.
    pub call_home_turns: KeyTurns,
    /// The installation's mail signing key, once read from the database (it never changes).
    pub mail_key: std::sync::OnceLock<Vec<u8>>,
    /// This process's search index (opened on first use).
    pub search: crate::search::Search,
    /// The demo's sign-ins, shown on the sign-in page when the demo runs (set by `casebook demo`).
    pub demo_accounts: OnceLock<DemoAccounts>,
    /// The client of webhooks and chat robots, and the bell of their sender.
    pub outbound: outbound::Outbound,
}

/// The sign-ins of the demo data, as the sign-in page lists them.
#[derive(Debug, Clone)]
pub struct DemoAccounts {
    /// The password of every demo account.
    pub password: &'static str,
    /// E-mail address, role and what the account is for (in Chinese and English), per account.
    pub sign_ins: Vec<(&'static str, &'static str, &'static str, &'static str)>,
}

/// Shared handle to the application.
pub type AppState = Arc<App>;

impl App {
    /// Opens the store (migrating it) and builds the application with the system clock.
    pub async fn open(config: Config) -> anyhow::Result<AppState> {
        let store = Store::open(&config.store_options()).await?;
        Ok(Self::with_store(config, store, Arc::new(SystemClock)))
    }

    /// Builds the application on an open store.
    pub fn with_store(config: Config, store: Store, clock: Arc<dyn Clock>) -> AppState {
        let blobs = Blobs::from_config(&config.attachments);
        let call_home_turns = KeyTurns::new(config.database.max_connections);
        let search = crate::search::Search::new(
            config.search.index_dir.clone(),
            config.search.writer_memory_mb,
        );
        let outbound = outbound::Outbound::new(&config.integrations);
        Arc::new(App {
            outbound,
            store,
            config,
            clock,
            blobs,
            calendars: CalendarCache::default(),
            sign_in_throttle: SignInThrottle::default(),
            call_home_refusals: RefusalCounter::default(),
            mail_key: OnceLock::new(),
            call_home_turns,
            search,
            demo_accounts: OnceLock::new(),
        })
    }
}

impl crate::search::Host for App {
    fn store(&self) -> &Store {
        &self.store
    }

    fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    fn search_config(&self) -> &crate::config::SearchConfig {
        &self.config.search
    }

    fn index(&self) -> &crate::search::Search {
        &self.search
    }
}
