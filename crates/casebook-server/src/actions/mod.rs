//! The use cases of Casebook. Each is one function, called by every channel (HTTP API, CLI,
//! demo loader, later e-mail and jobs): it checks the policy, validates against stored state,
//! writes in one transaction with its audit entries, and returns the result.

pub mod accounts;
pub mod audit;
pub mod call_home;
pub mod cases;
pub mod contracts;
pub mod directory;
pub mod duty;
pub mod field;
pub mod imports;
pub mod integrations;
pub mod knowledge;
pub mod mail;
pub mod notify;
pub mod replies;
pub mod reporting;
pub mod search;
pub mod surveys;

pub use crate::error::{ActionError, ActionResult};

/// Refuses a stale `version` sent by the client.
pub(crate) fn check_version(expected: Option<i64>, actual: i64) -> ActionResult<()> {
    match expected {
        Some(v) if v != actual => Err(ActionError::StaleVersion),
        _ => Ok(()),
    }
}
