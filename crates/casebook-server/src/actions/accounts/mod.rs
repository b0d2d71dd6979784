//! Who signs in: users, their sessions and API tokens, the views they save and how they set up
//! the console's queue.

pub mod queue_prefs;
pub mod saved_views;
pub mod sessions;
pub mod tokens;
pub mod users;
