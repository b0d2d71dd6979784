//! The engineers' console (staff only): queues, the case page, phone intake, the managers' dashboard, and the pages of
//! the directory, installed base, contracts, calendars, plans and users, and the views of call
//! home (devices, sites, events, rules, keys), search and the knowledge base. A customer who opens a console URL is sent to the
//! portal.

pub mod admin;
pub mod bulk;
pub mod call_home;
pub mod call_home_keys;
pub mod call_home_rules;
pub mod case;
pub mod contract_edit;
pub mod dashboard;
pub mod directory;
pub mod duty;
pub mod edit;
pub mod edit_pages;
pub mod editor;
pub mod events;
pub mod export_form;
pub mod installed_base;
pub mod intake;
pub mod integrations;
pub mod kb;
pub mod kb_edit;
pub mod kb_review;
pub mod lists;
pub mod mail;
pub mod mail_review;
pub mod mail_templates;
pub mod ola_targets;
pub mod queue;
pub mod queue_setup;
pub mod replies;
pub mod search;
pub mod service_levels;
pub mod survey_settings;
pub mod surveys;
pub mod synonyms;
pub mod tables;

use axum::Router;
use axum::routing::{get, post};

use self::case::Console;
use crate::app::AppState;
use crate::web::case_forms::{ChangeForm, EntitlementForm, EscalateForm};
use crate::web::case_links::{LinkForm, MergeForm, SplitForm, UnlinkForm};
use crate::web::case_work::{WorkDeleteForm, WorkForm};
use crate::web::remote_forms::{LogForm, RequestForm, StepForm};
use crate::web::visit_forms::DispatchForm;
use crate::web::{attachment_view, case_page};

/// The console's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(case_page::routes::<Console>())
        .merge(attachment_view::routes::<Console>())
        .merge(case_page::form::<Console, ChangeForm>())
        .merge(case_page::form::<Console, EscalateForm>())
        .merge(case_page::form::<Console, EntitlementForm>())
        .merge(case_page::form::<Console, LinkForm>())
        .merge(case_page::form::<Console, UnlinkForm>())
        .merge(case_page::form::<Console, MergeForm>())
        .merge(case_page::form::<Console, SplitForm>())
        .merge(case_page::form::<Console, WorkForm>())
        .merge(case_page::form::<Console, WorkDeleteForm>())
        .merge(case_page::form::<Console, RequestForm>())
        .merge(case_page::form::<Console, StepForm>())
        .merge(case_page::form::<Console, LogForm>())
        .merge(case_page::form::<Console, DispatchForm>())
        .route("/console", get(queue::show))
        .route("/console/views", post(queue::save_view))
        .route("/console/queue/setup", post(queue_setup::save))
        .route("/console/bulk", post(bulk::apply))
        .route("/console/views/delete", post(queue::delete_view))
        .route("/console/events", get(events::stream))
        .route("/console/intake", get(intake::show).post(intake::open))
        .route("/console/search", get(search::show))
        .route("/console/dashboard", get(dashboard::show))
        .route("/console/mail", get(mail::show))
        .route("/console/mail/templates", get(mail_templates::list))
        .route(
            "/console/mail/templates/{kind}/{lang}",
            get(mail_templates::edit).post(mail_templates::save),
        )
        .route(
            "/console/mail/templates/{kind}/{lang}/reset",
            post(mail_templates::reset),
        )
        .route("/console/mail/{id}", get(mail_review::show))
        .route("/console/mail/{id}/raw", get(mail_review::raw))
        .route("/console/mail/{id}/release", post(mail_review::release))
        .route("/console/mail/{id}/open", post(mail_review::open))
        .route("/console/mail/{id}/discard", post(mail_review::discard))
        .merge(directory::routes())
        .merge(edit_pages::routes())
        .merge(service_levels::routes())
        .merge(call_home::routes())
        .merge(kb::routes())
        .merge(synonyms::routes())
        .merge(ola_targets::routes())
        .merge(replies::routes())
        .merge(surveys::routes())
        .merge(integrations::routes())
        .merge(duty::routes())
}
