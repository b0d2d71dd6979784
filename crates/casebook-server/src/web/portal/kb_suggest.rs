//! Self-service deflection on the portal's new-case page: while the customer types the title,
//! `app.js` fetches `GET /portal/kb/suggest?q=` (a fragment listing at most five published
//! articles that match), and when suggestions were shown and the customer leaves without filing
//! the case, it sends `POST /portal/kb/deflected` (with the session's CSRF token), which counts
//! a deflection through `actions::search::deflected`.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use casebook_store::search::Kind;
use serde::Deserialize;

use crate::actions::search;
use crate::app::AppState;
use crate::web::console::search::{Row, SearchForm, find};
use crate::web::page::{Ctx, render};
use crate::web::session::{Customer, WebResult, urlencode};

/// Most articles suggested at once.
const SUGGESTIONS: u32 = 5;
/// Fewer characters than this suggest nothing.
const MIN_CHARS: usize = 2;

/// What the customer typed so far.
#[derive(Debug, Default, Deserialize)]
pub struct SuggestQuery {
    /// The title as typed.
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "portal/kb_suggest.html")]
struct Suggestions {
    ctx: Ctx,
    rows: Vec<Row>,
}

/// The link of a suggested article: it remembers where the customer came from and what they
/// typed, so "this solved my problem" on the article counts the deflection.
pub fn article_href(id: i64, q: &str) -> String {
    format!("/portal/kb/{id}?from=new-case&q={}", urlencode(q))
}

/// `GET /portal/kb/suggest?q=`: the fragment of matching published articles.
pub async fn suggest(
    State(app): State<AppState>,
    Customer(viewer): Customer,
    Query(query): Query<SuggestQuery>,
) -> WebResult<Response> {
    let q = query.q.trim().to_owned();
    let rows = if q.chars().count() < MIN_CHARS {
        Vec::new()
    } else {
        let form = SearchForm {
            q: q.clone(),
            types: vec![Kind::Article.as_str().to_owned()],
            status: "published".into(),
            ..SearchForm::default()
        };
        let (_, found) = find(&app, &viewer, &form, &[Kind::Article], SUGGESTIONS, |hit| {
            article_href(hit.id, &q)
        })
        .await?;
        found.rows
    };
    Ok(render(&Suggestions {
        ctx: viewer.ctx,
        rows,
    }))
}

/// A deflection as `app.js` sends it with `navigator.sendBeacon`.
#[derive(Debug, Deserialize)]
pub struct DeflectedForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    /// What the customer had typed.
    #[serde(default)]
    q: String,
    /// The article they read, if any.
    #[serde(default)]
    article_id: Option<String>,
}

/// `POST /portal/kb/deflected`: counts a customer who left the new-case form without filing.
pub async fn deflected(
    State(app): State<AppState>,
    Customer(viewer): Customer,
    Form(form): Form<DeflectedForm>,
) -> WebResult<Response> {
    viewer.check_csrf(Some(&form.csrf))?;
    let article = form
        .article_id
        .as_deref()
        .and_then(|a| a.trim().parse::<i64>().ok());
    search::deflected(&app, &viewer.who, &form.q, article)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
