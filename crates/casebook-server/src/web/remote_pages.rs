//! Pages of remote sessions beside the case page: the log of a session (`/console/remote/{id}`
//! for staff, who may mark a line internal with a reason; `/portal/remote/{id}` for the
//! customer, who sees that a line was withheld but not its text), with its recordings and
//! whether a sealed log still matches its seal; and `/remote/{token}`, where the link of a
//! request mail leads: the request, and buttons to approve or decline it as the contact the
//! mail was sent to (no sign-in; a mail scanner fetching the link changes nothing).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use casebook_domain::Named;
use serde::Deserialize;

use super::case_page::Signed;
use super::forms::refusal;
use super::page::{Ctx, render, render_status};
use super::posted::Checked;
use super::session::{Customer, Staff, Visitor, WebError, WebResult};
use crate::actions::ActionError;
use crate::actions::field::remote_links::{self, LinkView};
use crate::actions::field::remote_log::{self, MarkInternal, SessionLog};
use crate::app::AppState;

#[derive(Template)]
#[template(path = "remote_log.html")]
struct LogPage {
    ctx: Ctx,
    log: SessionLog,
    errors: Vec<String>,
}

async fn log_page<S: Signed>(
    State(app): State<AppState>,
    who: S,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let viewer = who.into_viewer();
    let log = remote_log::read(&app, &viewer.who, id)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render(&LogPage {
        ctx: viewer.ctx,
        log,
        errors: Vec::new(),
    }))
}

#[derive(Deserialize)]
struct InternalForm {
    seq: i64,
    #[serde(default)]
    reason: String,
}

async fn mark_internal(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(Staff(viewer), form): Checked<Staff, InternalForm>,
) -> WebResult<Response> {
    let request = MarkInternal {
        reason: form.reason,
    };
    match remote_log::mark_internal(&app, &viewer.who, id, form.seq, request).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/console/remote/{id}#line-{}", form.seq)).into_response())
        }
        Err(err) => {
            let (status, errors) = refusal(&viewer, err)?;
            let log = remote_log::read(&app, &viewer.who, id)
                .await
                .map_err(|e| viewer.fail(e))?;
            Ok(render_status(
                status,
                &LogPage {
                    ctx: viewer.ctx,
                    log,
                    errors,
                },
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "remote_link.html")]
struct LinkPage {
    ctx: Ctx,
    token: String,
    link: LinkView,
    errors: Vec<String>,
}

async fn link_page(
    State(app): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> WebResult<Response> {
    let lang = visitor.ctx.lang;
    let link = remote_links::check_link(&app, &token)
        .await
        .map_err(|e| WebError::action(e, lang))?;
    Ok(render(&LinkPage {
        ctx: visitor.ctx,
        token,
        link,
        errors: Vec::new(),
    }))
}

#[derive(Deserialize)]
struct AnswerForm {
    #[serde(default)]
    answer: String,
    #[serde(default)]
    note: String,
}

async fn answer(
    State(app): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
    axum::Form(form): axum::Form<AnswerForm>,
) -> WebResult<Response> {
    let lang = visitor.ctx.lang;
    let approve = match form.answer.as_str() {
        "approve" => true,
        "decline" => false,
        _ => {
            return Err(WebError::action(
                ActionError::field("answer", "invalid", "approve or decline"),
                lang,
            ));
        }
    };
    let note = Some(form.note).filter(|n| !n.trim().is_empty());
    match remote_links::answer(&app, &token, approve, note).await {
        Ok(link) => Ok(render(&LinkPage {
            ctx: visitor.ctx,
            token,
            link,
            errors: Vec::new(),
        })),
        Err(err @ ActionError::Conflict { .. }) => {
            let errors = super::forms::messages(&err, lang);
            let link = remote_links::check_link(&app, &token)
                .await
                .map_err(|e| WebError::action(e, lang))?;
            Ok(render_status(
                axum::http::StatusCode::CONFLICT,
                &LinkPage {
                    ctx: visitor.ctx,
                    token,
                    link,
                    errors,
                },
            ))
        }
        Err(err) => Err(WebError::action(err, lang)),
    }
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/remote/{id}", get(log_page::<Staff>))
        .route("/portal/remote/{id}", get(log_page::<Customer>))
        .route("/console/remote/{id}/internal", post(mark_internal))
        .route("/remote/{token}", get(link_page).post(answer))
}
