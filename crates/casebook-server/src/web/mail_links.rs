//! `/mail-links/{token}`: where the accept and reject links of a "solution proposed" mail lead.
//! The page says what the link will do; the button does it (a fetch of the link by a mail
//! scanner changes nothing). No sign-in: the signed token names the case and the user.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use super::page::{Ctx, render, render_status};
use super::session::{Visitor, WebError, WebResult};
use crate::actions::notify::tokens::LinkAction;
use crate::actions::{ActionError, mail::links};
use crate::app::AppState;

#[derive(Template)]
#[template(path = "mail_link.html")]
struct LinkPage {
    ctx: Ctx,
    token: String,
    number: String,
    title: String,
    accept: bool,
    reason: String,
    error: Option<String>,
    done: Option<String>,
}

async fn show(
    State(app): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> WebResult<Response> {
    let lang = visitor.ctx.lang;
    let valid = links::check(&app, &token)
        .await
        .map_err(|e| WebError::action(e, lang))?;
    Ok(render(&LinkPage {
        ctx: visitor.ctx,
        number: valid.case.number.to_string(),
        title: valid.case.title,
        accept: valid.link.action == LinkAction::Accept,
        token,
        reason: String::new(),
        error: None,
        done: None,
    }))
}

#[derive(Debug, Deserialize)]
struct AnswerForm {
    #[serde(default)]
    reason: String,
}

async fn answer(
    State(app): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
    Form(form): Form<AnswerForm>,
) -> WebResult<Response> {
    let lang = visitor.ctx.lang;
    let valid = links::check(&app, &token)
        .await
        .map_err(|e| WebError::action(e, lang))?;
    let accept = valid.link.action == LinkAction::Accept;
    let mut page = LinkPage {
        ctx: visitor.ctx,
        number: valid.case.number.to_string(),
        title: valid.case.title,
        accept,
        token: token.clone(),
        reason: form.reason.clone(),
        error: None,
        done: None,
    };
    match links::answer(&app, &token, Some(&form.reason)).await {
        Ok(_) => {
            let key = if accept {
                "mail-link-accepted"
            } else {
                "mail-link-rejected"
            };
            page.done = Some(lang.t(key));
            Ok(render(&page))
        }
        Err(
            err @ (ActionError::Conflict { .. }
            | ActionError::Lifecycle(_)
            | ActionError::StaleVersion),
        ) => {
            page.error = Some(crate::web::forms::messages(&err, lang).join(" "));
            Ok(render_status(StatusCode::CONFLICT, &page))
        }
        Err(err) => Err(WebError::action(err, lang)),
    }
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/mail-links/{token}", get(show).post(answer))
}
