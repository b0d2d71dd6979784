//! Signing in and out of the pages, the language switch, and `/`, which sends each user to
//! their start page. The sign-in form is protected against login CSRF by a pre-session token
//! (a cookie and a hidden field that must match); a new session replaces any old one.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;

use super::i18n::Lang;
use super::page::{Ctx, render, render_status};
use super::session::{LANG_COOKIE, Viewer, Visitor, WebError, WebResult, home_of};
use crate::actions::{ActionError, accounts::sessions};
use crate::app::AppState;
use crate::edge::SESSION_COOKIE;

const PRE_COOKIE: &str = "casebook_pre";

/// `/sign-in`.
#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    ctx: Ctx,
    next: String,
    email: String,
    error: Option<String>,
    /// Why the visitor was signed out (after signing out everywhere or a new password).
    notice: Option<String>,
    /// The demo's accounts: address, role and what each is for, in the page's language.
    demo: Vec<(&'static str, String, &'static str)>,
    demo_password: &'static str,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
    /// `everywhere` or `password`: why the visitor was signed out.
    out: Option<String>,
}

/// Only paths of this site are followed after sign-in.
fn safe_next(next: Option<&str>) -> Option<String> {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    })
    .map(str::to_owned)
}

fn cookie(app: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(app.config.sessions.secure_cookie)
        .path("/")
        .build()
}

fn page(
    app: &AppState,
    ctx: Ctx,
    next: String,
    email: String,
    error: Option<String>,
) -> SignInPage {
    let demo = app
        .demo_accounts
        .get()
        .filter(|_| app.config.ui.show_demo_accounts);
    let accounts = demo
        .map(|d| {
            d.sign_ins
                .iter()
                .map(|&(email, role, zh, en)| {
                    let what = if ctx.lang == Lang::Zh { zh } else { en };
                    (email, ctx.tk("role", role), what)
                })
                .collect()
        })
        .unwrap_or_default();
    SignInPage {
        ctx,
        next,
        email,
        error,
        notice: None,
        demo: accounts,
        demo_password: demo.map(|d| d.password).unwrap_or_default(),
    }
}

async fn show(
    State(app): State<AppState>,
    visitor: Visitor,
    jar: CookieJar,
    Query(q): Query<NextQuery>,
) -> Response {
    let token = crate::auth::new_csrf_token();
    let mut ctx = visitor.ctx;
    ctx.csrf = token.clone();
    let next = safe_next(q.next.as_deref()).unwrap_or_default();
    let notice = match q.out.as_deref() {
        Some("everywhere") => Some(ctx.t("signed-out-everywhere")),
        Some("password") => Some(ctx.t("signed-out-password")),
        _ => None,
    };
    let body = render(&SignInPage {
        notice,
        ..page(&app, ctx, next, String::new(), None)
    });
    (jar.add(cookie(&app, PRE_COOKIE, token)), body).into_response()
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn submit(
    State(app): State<AppState>,
    visitor: Visitor,
    jar: CookieJar,
    Form(form): Form<SignInForm>,
) -> WebResult<Response> {
    let lang = visitor.ctx.lang;
    let pre = jar.get(PRE_COOKIE).map(|c| c.value().to_owned());
    if form.csrf.is_empty() || pre.as_deref() != Some(form.csrf.as_str()) {
        return Err(WebError::csrf(lang));
    }
    let retry = |key: &str, status: StatusCode| {
        let mut ctx = visitor.ctx.clone();
        ctx.csrf = form.csrf.clone();
        let error = Some(lang.t(key));
        render_status(
            status,
            &page(&app, ctx, form.next.clone(), form.email.clone(), error),
        )
    };
    let signed_in = match sessions::sign_in(&app, &form.email, &form.password).await {
        Ok(s) => s,
        Err(ActionError::Unauthenticated) => {
            return Ok(retry("sign-in-failed", StatusCode::UNAUTHORIZED));
        }
        Err(ActionError::RateLimited { .. }) => {
            return Ok(retry("sign-in-throttled", StatusCode::TOO_MANY_REQUESTS));
        }
        Err(err) => return Err(WebError::action(err, lang)),
    };
    if let Some(old) = jar.get(SESSION_COOKIE) {
        sessions::sign_out(&app, old.value())
            .await
            .map_err(|e| WebError::action(e, lang))?;
    }
    let target = safe_next(Some(&form.next))
        .unwrap_or_else(|| home_of(signed_in.user.role.is_staff()).to_owned());
    let jar = jar.remove(Cookie::build(PRE_COOKIE).path("/")).add(cookie(
        &app,
        SESSION_COOKIE,
        signed_in.session_token,
    ));
    Ok((jar, Redirect::to(&target)).into_response())
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

async fn sign_out(
    State(app): State<AppState>,
    viewer: Viewer,
    jar: CookieJar,
    Form(form): Form<CsrfOnly>,
) -> WebResult<Response> {
    viewer.check_csrf(Some(&form.csrf))?;
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        sessions::sign_out(&app, cookie.value())
            .await
            .map_err(|e| viewer.fail(e))?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/sign-in")).into_response())
}

#[derive(Deserialize)]
struct LanguageForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    lang: String,
    #[serde(default)]
    back: String,
}

/// Switches the language: remembered on the user when signed in, in a cookie otherwise.
async fn language(
    State(app): State<AppState>,
    viewer: Result<Viewer, WebError>,
    visitor: Visitor,
    jar: CookieJar,
    Form(form): Form<LanguageForm>,
) -> WebResult<Response> {
    let Some(lang) = Lang::from_tag(&form.lang) else {
        return Err(WebError::not_found(visitor.ctx.lang));
    };
    if let Ok(viewer) = viewer {
        viewer.check_csrf(Some(&form.csrf))?;
        sessions::set_locale(&app, &viewer.who, Some(lang.tag()))
            .await
            .map_err(|e| viewer.fail(e))?;
    }
    let back = safe_next(Some(&form.back)).unwrap_or_else(|| "/".to_owned());
    let jar = jar.add(cookie(&app, LANG_COOKIE, lang.tag().to_owned()));
    Ok((jar, Redirect::to(&back)).into_response())
}

async fn home(viewer: Result<Viewer, WebError>) -> Redirect {
    match viewer {
        Ok(v) => Redirect::to(home_of(v.who.is_staff())),
        Err(_) => Redirect::to("/sign-in"),
    }
}

/// `/`, `/sign-in`, `/sign-out`, `/language`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/sign-in", get(show).post(submit))
        .route("/sign-out", post(sign_out))
        .route("/language", post(language))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_of_this_site_are_followed() {
        assert_eq!(
            safe_next(Some("/console?queue=all")).as_deref(),
            Some("/console?queue=all")
        );
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/ /x",
            "",
            "/\n/evil",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?}");
        }
    }
}
