//! The console's knowledge base: the article list (`/console/kb`, filtered by status,
//! visibility, product and language, sorted by last change or by how often an article solved a
//! problem, with the deflection count) and the article page (`/console/kb/{id}`: its texts with
//! the body rendered and sanitized, products, linked cases, counts, who wrote and reviewed it,
//! and the review steps its state allows). The steps and drafts from cases are in
//! `kb_review.rs`, the form in `kb_edit.rs`. Also what the portal's pages share: the title of
//! an article in the reader's language and its texts in reading order.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use casebook_domain::ids::{ArticleId, ProductId};
use casebook_domain::knowledge::{
    Article, ArticleStatus, ArticleSummary, ArticleText, ArticleTitle, ArticleVisibility, Language,
};
use casebook_domain::{Named, Timestamp};
use casebook_store::PageRequest;
use casebook_store::article_list::{ArticleFilter, ArticleSort};
use serde::Deserialize;

use super::{kb_edit, kb_review};
use crate::actions::{ActionError, knowledge::articles, search};
use crate::app::AppState;
use crate::i18n::Lang;
use crate::web::choices;
use crate::web::page::{Ctx, render_status, user_html};
use crate::web::session::{Staff, Viewer, WebResult, urlencode};

/// The article language of a page's language.
pub fn language_of(lang: Lang) -> Language {
    match lang {
        Lang::Zh => Language::ZhCn,
        Lang::En => Language::En,
    }
}

/// An article's title in the reader's language, else its first.
pub fn title_in(lang: Lang, titles: &[ArticleTitle]) -> String {
    let wanted = language_of(lang);
    titles
        .iter()
        .find(|t| t.language == wanted)
        .or_else(|| titles.first())
        .map(|t| t.title.clone())
        .unwrap_or_default()
}

/// An article's texts, the reader's language first.
pub fn texts_in(lang: Lang, article: &Article) -> Vec<ArticleText> {
    let wanted = language_of(lang);
    let mut texts = article.texts.clone();
    texts.sort_by_key(|t| t.language != wanted);
    texts
}

/// The article id of a path, or a 404 (what is not a number names no article).
pub fn article_id(viewer: &Viewer, raw: &str) -> WebResult<ArticleId> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(ArticleId::new)
        .ok_or_else(|| viewer.not_found())
}

/// An article in a list, as pages show it.
pub struct Listed {
    /// The article.
    pub summary: ArticleSummary,
    /// Its title in the reader's language.
    pub title: String,
}

/// Lists with titles in the reader's language.
pub fn listed(lang: Lang, items: Vec<ArticleSummary>) -> Vec<Listed> {
    items
        .into_iter()
        .map(|summary| Listed {
            title: title_in(lang, &summary.titles),
            summary,
        })
        .collect()
}

/// The list's filters, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct KbQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    cursor: String,
}

impl KbQuery {
    fn filter(&self) -> Result<(ArticleFilter, ArticleSort), ActionError> {
        fn named<T: Named>(field: &str, raw: &str) -> Result<Option<T>, ActionError> {
            if raw.is_empty() {
                return Ok(None);
            }
            T::parse(raw)
                .map(Some)
                .map_err(|e| ActionError::Validation(vec![e.on(field)]))
        }
        let product = match self.product.as_str() {
            "" => None,
            raw => Some(ProductId::new(raw.parse().map_err(|_| {
                ActionError::field("product", "invalid", "a product id")
            })?)),
        };
        let sort = match self.sort.as_str() {
            "" | "updated" => ArticleSort::Updated,
            "solved" => ArticleSort::Solved,
            _ => return Err(ActionError::field("sort", "invalid", "updated or solved")),
        };
        let filter = ArticleFilter {
            status: named("status", &self.status)?,
            visibility: named("visibility", &self.visibility)?,
            product,
            language: named("language", &self.language)?,
            ..ArticleFilter::default()
        };
        Ok((filter, sort))
    }

    /// The query string without the cursor.
    fn without_cursor(&self) -> String {
        [
            ("status", &self.status),
            ("visibility", &self.visibility),
            ("product", &self.product),
            ("language", &self.language),
            ("sort", &self.sort),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
    }
}

#[derive(Template)]
#[template(path = "console/kb_list.html")]
struct ListPage {
    ctx: Ctx,
    q: KbQuery,
    articles: Vec<Listed>,
    next: Option<String>,
    errors: Vec<String>,
    statuses: &'static [ArticleStatus],
    visibilities: &'static [ArticleVisibility],
    languages: &'static [Language],
    products: Vec<(String, String)>,
    deflections: i64,
}

/// `GET /console/kb`.
async fn list(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Query(q): Query<KbQuery>,
) -> WebResult<Response> {
    let who = &viewer.who;
    let (status, articles, next, errors) = match q.filter() {
        Ok((filter, sort)) => {
            let page = PageRequest {
                limit: Some(50),
                cursor: Some(q.cursor.clone()).filter(|c| !c.is_empty()),
            };
            let page = articles::list(&app, who, filter, sort, &page)
                .await
                .map_err(|e| viewer.fail(e))?;
            (StatusCode::OK, page.items, page.next_cursor, Vec::new())
        }
        Err(err) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Vec::new(),
            None,
            crate::web::forms::messages(&err, viewer.ctx.lang),
        ),
    };
    let products = choices::product_options(&app, who)
        .await
        .map_err(|e| viewer.fail(e))?;
    let deflections = search::deflections(&app, who, 30)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render_status(
        status,
        &ListPage {
            articles: listed(viewer.ctx.lang, articles),
            ctx: viewer.ctx,
            q,
            next,
            errors,
            statuses: ArticleStatus::ALL,
            visibilities: ArticleVisibility::ALL,
            languages: Language::ALL,
            products,
            deflections,
        },
    ))
}

/// The review steps the article page offers in a state: `(step, message key)`.
fn steps_of(status: ArticleStatus) -> &'static [&'static str] {
    match status {
        ArticleStatus::Draft => &["submit"],
        ArticleStatus::InReview => &["publish"],
        ArticleStatus::Published => &["retire", "revise"],
        ArticleStatus::Retired => &["revise"],
    }
}

#[derive(Template)]
#[template(path = "console/kb_view.html")]
pub struct ViewPage {
    ctx: Ctx,
    article: Article,
    texts: Vec<ArticleText>,
    steps: &'static [&'static str],
    is_author: bool,
    errors: Vec<String>,
    note: String,
    done: String,
}

impl ViewPage {
    fn html(&self, text: &str) -> String {
        user_html(text)
    }

    fn editable(&self) -> bool {
        matches!(
            self.article.status,
            ArticleStatus::Draft | ArticleStatus::InReview
        )
    }

    fn when(&self, at: &Option<Timestamp>) -> String {
        at.map(|t| self.ctx.time(t)).unwrap_or_else(|| "–".into())
    }
}

/// The article page, with the refusal of a step and the note that was typed.
pub async fn view_page(
    app: &AppState,
    viewer: &Viewer,
    id: ArticleId,
    errors: Vec<String>,
    note: String,
    done: String,
) -> Result<ViewPage, ActionError> {
    let article = articles::get(app, &viewer.who, id).await?;
    Ok(ViewPage {
        ctx: viewer.ctx.clone(),
        texts: texts_in(viewer.ctx.lang, &article),
        steps: steps_of(article.status),
        is_author: viewer
            .who
            .user_id()
            .is_some_and(|me| article.writers().contains(&me)),
        article,
        errors,
        note,
        done,
    })
}

/// What a redirect after a step says.
#[derive(Debug, Default, Deserialize)]
pub struct ViewQuery {
    #[serde(default)]
    done: String,
}

/// `GET /console/kb/{id}`.
async fn view(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Path(raw): Path<String>,
    Query(q): Query<ViewQuery>,
) -> WebResult<Response> {
    let id = article_id(&viewer, &raw)?;
    let done = match q.done.as_str() {
        d @ ("submit" | "publish" | "reject" | "retire" | "revise" | "saved" | "created") => {
            d.to_owned()
        }
        _ => String::new(),
    };
    let page = view_page(&app, &viewer, id, Vec::new(), String::new(), done)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render_status(StatusCode::OK, &page))
}

/// The routes of the knowledge base's console pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/kb", get(list))
        .route("/console/kb/new", get(kb_edit::new).post(kb_edit::create))
        .route("/console/kb/{id}", get(view))
        .route(
            "/console/kb/{id}/edit",
            get(kb_edit::edit).post(kb_edit::save),
        )
        .route("/console/kb/{id}/{step}", post(kb_review::step))
        .route(
            "/console/cases/{number}/article",
            post(kb_review::from_case),
        )
}
