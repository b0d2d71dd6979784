//! The public knowledge base, for visitors who are not signed in: `/kb` lists the published
//! `public` articles, most often solved first, with a search field (`actions::search::
//! search_public`: articles only, each hit checked against the database), and `/kb/{id}` shows
//! one of them with its body rendered and sanitized. Every other article — a draft, one in
//! review, internal, for customers only, retired, an unknown or malformed id — is the same 404
//! page. A signed-in reader keeps their language and header; what they read here is only what
//! anyone may read. Feedback needs an account: the page links to the sign-in page and the
//! portal's copy of the article.

use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use casebook_domain::ids::ArticleId;
use casebook_domain::knowledge::{Article, ArticleText};
use casebook_store::PageRequest;
use casebook_store::article_list::{ArticleFilter, ArticleSort};

use crate::actions::{ActionError, knowledge::articles, search};
use crate::app::AppState;
use crate::web::console::kb::{Listed, listed, texts_in};
use crate::web::page::{Ctx, render, user_html};
use crate::web::session::{ErrorPage, Viewer, Visitor, WebError, WebResult, urlencode};

/// Articles and results per page.
const PER_PAGE: u32 = 20;

/// The context of a public page: a signed-in reader's (their language, CSRF token and header),
/// else the visitor's (language cookie, `Accept-Language`, Chinese).
fn ctx_of(viewer: Result<Viewer, WebError>, visitor: Visitor) -> Ctx {
    match viewer {
        Ok(viewer) => viewer.ctx,
        Err(_) => visitor.ctx,
    }
}

/// The page of an action error in the reader's language. Every article a visitor may not read
/// is the same 404 page, whatever the reason.
fn fail(ctx: &Ctx, err: ActionError) -> WebError {
    let mut err = WebError::action(err, ctx.lang);
    if let WebError::Page(ErrorPage { csrf, .. }) = &mut err {
        *csrf = Some(ctx.csrf.clone());
    }
    err
}

/// The 404 page of an article that does not exist for visitors.
fn not_found(ctx: &Ctx) -> WebError {
    fail(ctx, ActionError::NotFound("article"))
}

/// What the list's query string says.
#[derive(Debug, Default)]
struct ListQuery {
    q: String,
    cursor: String,
}

impl ListQuery {
    fn parse(raw: Option<&str>) -> ListQuery {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default();
        let mut query = ListQuery::default();
        for (name, value) in pairs {
            match name.as_str() {
                "q" => query.q = value.trim().chars().take(500).collect(),
                "cursor" => query.cursor = value.trim().to_owned(),
                _ => {}
            }
        }
        query
    }

    /// The offset of a search page (`s.N`, as the portal's search pages).
    fn offset(&self) -> Result<usize, ActionError> {
        crate::edge::queries::offset_of(&self.cursor)
    }
}

/// One search result as the page shows it.
struct Found {
    /// The article's public page.
    href: String,
    /// The title as escaped HTML with `<mark>` (from the engine).
    title_html: String,
    /// A passage as escaped HTML with `<mark>` (from the engine).
    snippet_html: String,
}

#[derive(Template)]
#[template(path = "public/kb_list.html")]
struct ListPage {
    ctx: Ctx,
    /// The words searched for (empty: the list).
    q: String,
    /// The list, most often solved first (when not searching).
    articles: Vec<Listed>,
    /// The search results (when searching).
    found: Vec<Found>,
    /// How many results the search has, up to the count's limit.
    total: usize,
    /// False when there are more than `total`.
    total_exact: bool,
    /// The next page's link.
    next: Option<String>,
}

impl ListPage {
    fn searched(&self) -> bool {
        !self.q.is_empty()
    }
}

/// `GET /kb`: the public articles, or the results of a search among them.
async fn list(
    State(app): State<AppState>,
    viewer: Result<Viewer, WebError>,
    visitor: Visitor,
    RawQuery(raw): RawQuery,
) -> WebResult<Response> {
    let ctx = ctx_of(viewer, visitor);
    let query = ListQuery::parse(raw.as_deref());
    if query.q.is_empty() {
        let page = articles::list_public(
            &app,
            ArticleFilter::default(),
            ArticleSort::Solved,
            &PageRequest {
                limit: Some(PER_PAGE),
                cursor: Some(query.cursor.clone()).filter(|c| !c.is_empty()),
            },
        )
        .await
        .map_err(|e| fail(&ctx, e))?;
        return Ok(render(&ListPage {
            articles: listed(ctx.lang, page.items),
            next: page
                .next_cursor
                .map(|c| format!("/kb?cursor={}", urlencode(&c))),
            ctx,
            q: String::new(),
            found: Vec::new(),
            total: 0,
            total_exact: true,
        }));
    }
    let offset = query.offset().map_err(|e| fail(&ctx, e))?;
    let results = search::search_public(
        &app,
        crate::search::Request {
            q: query.q.clone(),
            limit: PER_PAGE as usize,
            offset,
            locale: ctx.lang.tag().to_owned(),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| fail(&ctx, e))?;
    // Hits the database no longer shows to visitors were dropped; on the last page the total
    // can say so.
    let total = match results.next_offset {
        None => results.total.min(offset + results.hits.len()),
        Some(_) => results.total,
    };
    let found = results
        .hits
        .into_iter()
        .map(|hit| Found {
            href: format!("/kb/{}", hit.id),
            title_html: hit.title_html,
            snippet_html: hit.snippet_html,
        })
        .collect();
    Ok(render(&ListPage {
        next: results.next_offset.map(|n| {
            let cursor = crate::edge::queries::cursor_at(n);
            format!("/kb?q={}&cursor={cursor}", urlencode(&query.q))
        }),
        ctx,
        q: query.q,
        articles: Vec::new(),
        found,
        total,
        total_exact: results.total_exact,
    }))
}

#[derive(Template)]
#[template(path = "public/kb_view.html")]
struct ViewPage {
    ctx: Ctx,
    article: Article,
    texts: Vec<ArticleText>,
    /// Where the reader gives feedback: the sign-in page (then the portal's copy of the
    /// article), the portal for a signed-in customer, none for staff.
    feedback_href: Option<String>,
}

impl ViewPage {
    fn html(&self, text: &str) -> String {
        user_html(text)
    }
}

/// `GET /kb/{id}`: a published `public` article; anything else is the same 404 page.
async fn view(
    State(app): State<AppState>,
    viewer: Result<Viewer, WebError>,
    visitor: Visitor,
    Path(raw): Path<String>,
) -> WebResult<Response> {
    let ctx = ctx_of(viewer, visitor);
    let id = raw
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(ArticleId::new)
        .ok_or_else(|| not_found(&ctx))?;
    let article = articles::get_public(&app, id).await.map_err(|e| match e {
        ActionError::NotFound(_) => not_found(&ctx),
        other => fail(&ctx, other),
    })?;
    let portal = format!("/portal/kb/{id}");
    let feedback_href = match &ctx.me {
        None => Some(format!("/sign-in?next={}", urlencode(&portal))),
        Some(_) if ctx.is_staff() => None,
        Some(_) => Some(portal),
    };
    Ok(render(&ViewPage {
        texts: texts_in(ctx.lang, &article),
        ctx,
        article,
        feedback_href,
    }))
}

/// `/kb` and `/kb/{id}`: no sign-in needed.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/kb", get(list))
        .route("/kb/{id}", get(view))
}
