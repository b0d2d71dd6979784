//! `/duty/ack/{token}`: where the acknowledgement link of a duty page leads (mail and robot
//! messages). The page names the case and why it paged; the button acknowledges it (a mail
//! scanner fetching the link changes nothing). No sign-in: the signed token names the page.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;

use super::page::{Ctx, render};
use super::session::{Visitor, WebError, WebResult};
use crate::actions::duty::pages::{self, PageView};
use crate::app::AppState;

#[derive(Template)]
#[template(path = "duty_ack.html")]
struct AckPage {
    ctx: Ctx,
    token: String,
    page: PageView,
}

async fn show(
    State(app): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> WebResult<Response> {
    let lang = visitor.ctx.lang;
    let page = pages::check_link(&app, &token)
        .await
        .map_err(|e| WebError::action(e, lang))?;
    Ok(render(&AckPage {
        ctx: visitor.ctx,
        token,
        page,
    }))
}

async fn acknowledge(
    State(app): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> WebResult<Response> {
    let lang = visitor.ctx.lang;
    let page = pages::acknowledge_by_link(&app, &token)
        .await
        .map_err(|e| WebError::action(e, lang))?;
    Ok(render(&AckPage {
        ctx: visitor.ctx,
        token,
        page,
    }))
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/duty/ack/{token}", get(show).post(acknowledge))
}
