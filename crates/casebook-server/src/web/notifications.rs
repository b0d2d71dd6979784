//! `/notifications`: the signed-in user's in-app notifications (SLA warnings and escalations for
//! staff, contract renewal reminders for service managers and customer administrators), newest
//! first, with marking read.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use casebook_store::PageRequest;
use casebook_store::notifications::Notification;
use serde::Deserialize;

use super::page::{Ctx, render};
use super::session::{Viewer, WebResult};
use crate::actions::notify::in_app::{self, MarkRead};
use crate::app::AppState;

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    ctx: Ctx,
    items: Vec<Notification>,
    next: Option<String>,
    unread_only: bool,
}

impl NotificationsPage {
    fn case_href(&self, number: &str) -> String {
        if self.ctx.is_staff() {
            format!("/console/cases/{number}")
        } else {
            format!("/portal/cases/{number}")
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    cursor: Option<String>,
    unread: Option<String>,
}

async fn list(
    State(app): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> WebResult<Response> {
    let unread_only = q.unread.is_some();
    let page = in_app::list(
        &app,
        &viewer.who,
        unread_only,
        &PageRequest {
            limit: Some(50),
            cursor: q.cursor,
        },
    )
    .await
    .map_err(|e| viewer.fail(e))?;
    Ok(render(&NotificationsPage {
        ctx: viewer.ctx,
        items: page.items,
        next: page.next_cursor,
        unread_only,
    }))
}

#[derive(Debug, Deserialize)]
struct ReadForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    id: Option<i64>,
}

async fn mark(
    State(app): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ReadForm>,
) -> WebResult<Response> {
    viewer.check_csrf(Some(&form.csrf))?;
    let request = match form.id {
        Some(id) => MarkRead {
            ids: vec![id],
            all: false,
        },
        None => MarkRead {
            ids: Vec::new(),
            all: true,
        },
    };
    in_app::mark_read(&app, &viewer.who, request)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(Redirect::to("/notifications").into_response())
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list))
        .route("/notifications/read", post(mark))
}
