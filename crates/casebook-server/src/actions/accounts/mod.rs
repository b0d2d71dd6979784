//! Who signs in: users, their sessions and API tokens, and the views they save.

pub mod saved_views;
pub mod sessions;
pub mod tokens;
pub mod users;
