//! The customer portal: the customer's cases (customer admins: all of their organisation's),
//! a new case from their installed base with the severity definitions, the case page with
//! replies, files, closure confirmation and reopening, and their contracts. Everything is read
//! through the actions with the customer's principal, so internal notes, other organisations and
//! staff-only fields never reach these pages.

pub mod cases;
pub mod contracts;
pub mod new_case;

use axum::Router;
use axum::routing::{get, post};

use crate::app::AppState;

/// The portal's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal", get(cases::list))
        .route("/portal/cases/new", get(new_case::show))
        .route("/portal/cases", post(new_case::open))
        .route("/portal/cases/{number}", get(cases::show))
        .route("/portal/cases/{number}/reply", post(cases::reply))
        .route("/portal/cases/{number}/status", post(cases::status))
        .route("/portal/contracts", get(contracts::show))
}
