//! Who is asking for a page: the session cookie turned into a principal (`Viewer`), or nobody
//! (`Visitor`, for the sign-in page); the language of the page; CSRF checks of forms; and the
//! errors of pages (`WebError`), which the page layer renders in the visitor's language.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;

use super::i18n::Lang;
use super::page::{Ctx, Me};
use crate::actions::{ActionError, accounts::sessions};
use crate::app::AppState;
use crate::edge::SESSION_COOKIE;
use crate::policy::{AuthVia, Principal};

/// The cookie that remembers a visitor's language before they sign in.
pub const LANG_COOKIE: &str = "casebook_lang";

/// The CSP nonce of the current response (set by the page layer).
#[derive(Debug, Clone)]
pub struct Nonce(pub String);

/// An error page: its status, a message key or text, and the language if known.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    /// Status.
    pub status: StatusCode,
    /// Message key (`error-…`).
    pub key: &'static str,
    /// Detail for the person (already in words).
    pub detail: Option<String>,
    /// Language of the viewer, when the handler knew it.
    pub lang: Option<Lang>,
    /// The viewer's CSRF token, so the page's language switch and sign-out still work.
    pub csrf: Option<String>,
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum WebError {
    /// Not signed in: go to the sign-in page, then back to `next`.
    SignIn(String),
    /// An error page.
    Page(ErrorPage),
    /// Somewhere else (a customer on a console page, staff on a portal page).
    Redirect(&'static str),
}

impl WebError {
    /// The page of an action error.
    pub fn action(err: ActionError, lang: Lang) -> WebError {
        let (status, key, detail) = match &err {
            ActionError::NotFound(_) => (StatusCode::NOT_FOUND, "error-not-found", None),
            ActionError::Unauthenticated => return WebError::SignIn("/".into()),
            ActionError::Forbidden(m) => (
                StatusCode::FORBIDDEN,
                "error-forbidden",
                Some((*m).to_owned()),
            ),
            ActionError::Validation(fields) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "error-invalid",
                Some(
                    fields
                        .iter()
                        .map(|f| lang.field_error(f))
                        .collect::<Vec<_>>()
                        .join(if lang == Lang::Zh { "；" } else { "; " }),
                ),
            ),
            ActionError::Conflict { .. }
            | ActionError::Lifecycle(_)
            | ActionError::StaleVersion => (
                StatusCode::CONFLICT,
                "error-conflict",
                Some(err.to_string()),
            ),
            ActionError::TooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "error-too-large",
                Some(err.to_string()),
            ),
            ActionError::RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "error-rate-limited",
                Some(err.to_string()),
            ),
            ActionError::InvalidCursor => (
                StatusCode::BAD_REQUEST,
                "error-invalid",
                Some(err.to_string()),
            ),
            ActionError::Unavailable(d) => {
                tracing::warn!(detail = %d, "database unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, "error-unavailable", None)
            }
            ActionError::Internal(d) => {
                tracing::error!(detail = %d, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "error-internal", None)
            }
        };
        // The actions' own sentences are English: a Chinese page says what its key says,
        // and the refused fields in its own words.
        let detail = match &err {
            ActionError::Validation(_) => detail,
            _ if lang == Lang::Zh => None,
            _ => detail,
        };
        WebError::Page(ErrorPage {
            status,
            key,
            detail,
            lang: Some(lang),
            csrf: None,
        })
    }

    /// A 404 page.
    pub fn not_found(lang: Lang) -> WebError {
        WebError::Page(ErrorPage {
            status: StatusCode::NOT_FOUND,
            key: "error-not-found",
            detail: None,
            lang: Some(lang),
            csrf: None,
        })
    }

    /// A refused form (stale or missing CSRF token).
    pub fn csrf(lang: Lang) -> WebError {
        WebError::Page(ErrorPage {
            status: StatusCode::FORBIDDEN,
            key: "error-csrf",
            detail: None,
            lang: Some(lang),
            csrf: None,
        })
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::SignIn(next) => {
                let target = format!("/sign-in?next={}", urlencode(&next));
                Redirect::to(&target).into_response()
            }
            WebError::Redirect(to) => Redirect::to(to).into_response(),
            WebError::Page(page) => {
                let mut response = page.status.into_response();
                response.extensions_mut().insert(page);
                response
            }
        }
    }
}

/// Percent-encodes a query value.
pub fn urlencode(value: &str) -> String {
    serde_urlencoded::to_string([("v", value)])
        .map(|s| s.trim_start_matches("v=").to_owned())
        .unwrap_or_default()
}

/// Result of page handlers.
pub type WebResult<T> = Result<T, WebError>;

/// The language for a request without a user's choice: the language cookie, then the browser's.
pub fn guess_lang(parts_headers: &axum::http::HeaderMap) -> Lang {
    let jar = CookieJar::from_headers(parts_headers);
    jar.get(LANG_COOKIE)
        .and_then(|c| Lang::from_tag(c.value()))
        .or_else(|| {
            parts_headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or(Lang::Zh)
}

fn ctx(parts: &Parts, app: &AppState, lang: Lang, csrf: String, me: Option<Me>) -> Ctx {
    Ctx {
        lang,
        nonce: parts
            .extensions
            .get::<Nonce>()
            .map(|n| n.0.clone())
            .unwrap_or_default(),
        csrf,
        me,
        path: parts.uri.path().to_owned(),
        here_url: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned()),
        tz: app.config.time_zone(),
        hotline: app.config.desk.hotline.clone(),
    }
}

/// A signed-in user asking for a page.
#[derive(Debug)]
pub struct Viewer {
    /// Who.
    pub who: Principal,
    /// The page context.
    pub ctx: Ctx,
}

impl Viewer {
    /// Refuses a form whose `_csrf` is not this session's token.
    pub fn check_csrf(&self, sent: Option<&str>) -> WebResult<()> {
        match &self.who.via {
            AuthVia::Session { csrf_token } if sent == Some(csrf_token.as_str()) => Ok(()),
            _ => Err(WebError::csrf(self.ctx.lang)),
        }
    }

    fn with_token(&self, mut err: WebError) -> WebError {
        if let WebError::Page(page) = &mut err {
            page.csrf = Some(self.ctx.csrf.clone());
        }
        err
    }

    /// The page of an action error, in this viewer's language.
    pub fn fail(&self, err: ActionError) -> WebError {
        self.with_token(WebError::action(err, self.ctx.lang))
    }

    /// The case number of a path, or a 404 (a malformed number names no case).
    pub fn case_number(&self, raw: &str) -> WebResult<casebook_domain::CaseNumber> {
        casebook_domain::CaseNumber::parse(raw).map_err(|_| self.not_found())
    }

    /// A 404 in this viewer's language.
    pub fn not_found(&self) -> WebError {
        self.with_token(WebError::not_found(self.ctx.lang))
    }
}

fn next_of(parts: &Parts) -> String {
    match parts.uri.query() {
        Some(q) if parts.method == axum::http::Method::GET => format!("{}?{q}", parts.uri.path()),
        _ if parts.method == axum::http::Method::GET => parts.uri.path().to_owned(),
        _ => "/".to_owned(),
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(SESSION_COOKIE) else {
            return Err(WebError::SignIn(next_of(parts)));
        };
        let who = match sessions::authenticate_session(app, cookie.value()).await {
            Ok(who) => who,
            Err(ActionError::Unauthenticated) => return Err(WebError::SignIn(next_of(parts))),
            Err(err) => return Err(WebError::action(err, guess_lang(&parts.headers))),
        };
        let lang = who
            .locale
            .as_deref()
            .and_then(Lang::from_tag)
            .unwrap_or_else(|| guess_lang(&parts.headers));
        let csrf = match &who.via {
            AuthVia::Session { csrf_token } => csrf_token.clone(),
            _ => String::new(),
        };
        let me = who.actor().map(|a| Me {
            name: who.name.clone(),
            email: who.label.clone(),
            role: a.role,
        });
        let ctx = ctx(parts, app, lang, csrf, me);
        Ok(Viewer { who, ctx })
    }
}

/// Anyone (signed in or not) asking for a public page such as the sign-in page.
#[derive(Debug)]
pub struct Visitor {
    /// The page context (no user, no session CSRF token).
    pub ctx: Ctx,
    /// Whether a session cookie came with the request.
    pub has_session: bool,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let has_session = jar.get(SESSION_COOKIE).is_some();
        let lang = guess_lang(&parts.headers);
        Ok(Visitor {
            ctx: ctx(parts, app, lang, String::new(), None),
            has_session,
        })
    }
}

/// Where a signed-in user starts: staff in the console, customers in the portal.
pub fn home_of(is_staff: bool) -> &'static str {
    if is_staff { "/console" } else { "/portal" }
}

/// A signed-in member of staff (customers are sent to the portal).
#[derive(Debug)]
pub struct Staff(pub Viewer);

impl FromRequestParts<AppState> for Staff {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let viewer = Viewer::from_request_parts(parts, app).await?;
        if viewer.who.is_staff() {
            Ok(Staff(viewer))
        } else {
            Err(WebError::Redirect("/portal"))
        }
    }
}

/// A signed-in customer (staff are sent to the console).
#[derive(Debug)]
pub struct Customer(pub Viewer);

impl FromRequestParts<AppState> for Customer {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let viewer = Viewer::from_request_parts(parts, app).await?;
        if viewer.who.is_staff() {
            Err(WebError::Redirect("/console"))
        } else {
            Ok(Customer(viewer))
        }
    }
}
