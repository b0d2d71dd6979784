//! Casebook's storage: the only crate that speaks SQL.
//!
//! One [`Store`] over SQLite or PostgreSQL, chosen from the database URL. Every function takes a
//! [`Db`]: `store.read()` for reads, `store.write()` for a transaction that ends with
//! [`Db::commit`]. Audit entries queued on a write transaction are chained when it commits.
//! Migrations live in `migrations/sqlite` and `migrations/postgres`, with the same versions.

#[macro_use]
mod macros;

pub mod article_alerts;
pub mod article_list;
pub mod articles;
pub mod audit;
pub mod backup;
pub mod calendars;
pub mod call_home;
pub mod call_home_devices;
pub mod call_home_read;
pub mod call_home_views;
pub mod call_home_watch;
pub mod case_links;
pub mod case_list;
pub mod case_queue;
pub mod case_stages;
pub mod cases;
pub mod contacts;
pub mod contracts;
pub mod credentials;
pub mod dashboard;
pub mod dashboard_clocks;
mod db;
pub mod deliveries;
pub mod duty;
mod error;
pub mod exports;
pub mod faults;
mod group_commit;
pub mod lookalikes;
pub mod mail;
pub mod mail_refusals;
pub mod mail_templates;
pub mod notifications;
pub mod ola_targets;
pub mod organizations;
pub mod page;
pub mod parts;
pub mod plans;
pub mod products;
pub mod queue_preferences;
pub mod remote_sessions;
pub mod reply_templates;
mod rows;
pub mod saved_views;
pub mod search;
pub mod search_synonyms;
pub mod sites;
pub mod sla;
pub mod stock_items;
pub mod subscriptions;
pub mod survey_follow_ups;
pub mod survey_results;
pub mod surveys;
#[cfg(feature = "testing")]
pub mod testing;
mod time;
pub mod timeline;
pub mod units;
pub mod users;
pub mod visits;
pub mod work_entries;

pub use audit::{AuditActor, AuditEntry};
pub use db::{Backend, Db, SqliteSync, Store, StoreOptions, redact};
pub use error::{StoreError, StoreResult};
pub use page::{Page, PageRequest};
pub use rows::{Table, lock_row};
pub use time::Ts;
