//! The customer portal: the customer's cases (customer admins: all of their organisation's),
//! a new case from their installed base with the severity definitions, the case page with
//! replies, files, closure confirmation and reopening, their contracts, search, the knowledge
//! base with "did this solve your problem?", alert subscriptions, satisfaction surveys, and the articles suggested
//! while a new case's title is typed (deflection). Everything is read
//! through the actions with the customer's principal, so internal notes, other organisations and
//! staff-only fields never reach these pages.

pub mod cases;
pub mod contracts;
pub mod kb;
pub mod kb_subscriptions;
pub mod kb_suggest;
pub mod new_case;
pub mod search;
pub mod surveys;

use axum::Router;
use axum::routing::{get, post};

use self::cases::Portal;
use crate::app::AppState;
use crate::web::case_forms::StatusForm;
use crate::web::remote_forms::StepForm;
use crate::web::{attachment_view, case_page};

/// The portal's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(case_page::routes::<Portal>())
        .merge(attachment_view::routes::<Portal>())
        .merge(case_page::form::<Portal, StatusForm>())
        .merge(case_page::form::<Portal, StepForm>())
        .route("/portal", get(cases::list))
        .route("/portal/cases/new", get(new_case::show))
        .route("/portal/cases", post(new_case::open))
        .route("/portal/contracts", get(contracts::show))
        .route("/portal/search", get(search::show))
        .route("/portal/surveys", get(surveys::list))
        .route(
            "/portal/surveys/{id}",
            get(surveys::show).post(surveys::submit),
        )
        .route("/portal/kb/suggest", get(kb_suggest::suggest))
        .route("/portal/kb/deflected", post(kb_suggest::deflected))
        .route("/portal/kb", get(kb::list))
        .route("/portal/kb/{id}", get(kb::view))
        .route("/portal/kb/{id}/feedback", post(kb::feedback))
        .route(
            "/portal/subscriptions",
            get(kb_subscriptions::show).post(kb_subscriptions::save),
        )
}
