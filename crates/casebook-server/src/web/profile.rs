//! `/profile`: the signed-in user's own account, for staff and customers alike: who they are,
//! changing their password (with the current one), signing out everywhere (every session and,
//! if ticked, every API token), and their API tokens with when each was last used, made and
//! revoked here. Every form calls the same actions as the API.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use casebook_domain::ids::{ApiTokenId, UserId};
use casebook_domain::users::{ApiToken, UserPatch};
use serde::Deserialize;
use serde_json::json;

use super::forms::{parse, refusal};
use super::page::{Ctx, render_status};
use super::session::{Viewer, WebResult};
use crate::actions::{ActionError, accounts::sessions, accounts::tokens, accounts::users};
use crate::app::AppState;
use crate::edge::SESSION_COOKIE;

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    ctx: Ctx,
    tokens: Vec<ApiToken>,
    /// A token just made, with its secret, shown this once.
    issued: Option<(String, String)>,
    /// Messages of a refused form, and which form.
    errors: Vec<String>,
    refused: &'static str,
}

impl ProfilePage {
    fn refused_here(&self, form: &str) -> bool {
        self.refused == form && !self.errors.is_empty()
    }
}

fn own_id(viewer: &Viewer) -> WebResult<UserId> {
    viewer.who.user_id().ok_or_else(|| viewer.not_found())
}

async fn page(
    app: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    issued: Option<(String, String)>,
    refused: (&'static str, Vec<String>),
) -> WebResult<Response> {
    let tokens = tokens::list_own(app, &viewer.who)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render_status(
        status,
        &ProfilePage {
            ctx: viewer.ctx.clone(),
            tokens,
            issued,
            errors: refused.1,
            refused: refused.0,
        },
    ))
}

/// A form refused by its action: the page again, with the messages over that form.
async fn again(
    app: &AppState,
    viewer: &Viewer,
    form: &'static str,
    err: ActionError,
) -> WebResult<Response> {
    let (status, errors) = refusal(viewer, err)?;
    page(app, viewer, status, None, (form, errors)).await
}

async fn show(State(app): State<AppState>, viewer: Viewer) -> WebResult<Response> {
    page(&app, &viewer, StatusCode::OK, None, ("", Vec::new())).await
}

/// Signed out: the session cookie goes, the sign-in page says why.
fn signed_out(jar: CookieJar, why: &str) -> Response {
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    (jar, Redirect::to(&format!("/sign-in?out={why}"))).into_response()
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
    revoke_tokens: Option<String>,
}

/// `POST /profile/password`: a new password ends every session, this one too.
async fn change_password(
    State(app): State<AppState>,
    viewer: Viewer,
    jar: CookieJar,
    Form(form): Form<PasswordForm>,
) -> WebResult<Response> {
    viewer.check_csrf(Some(&form.csrf))?;
    let id = own_id(&viewer)?;
    if form.password != form.password_again {
        let mismatch = ActionError::field(
            "password_again",
            "mismatch",
            viewer.ctx.t("profile-passwords-differ"),
        );
        return again(&app, &viewer, "password", mismatch).await;
    }
    let patch = parse::<UserPatch>(json!({
        "password": form.password,
        "current_password": (!form.current_password.is_empty()).then_some(&form.current_password),
        "revoke_tokens": form.revoke_tokens.is_some(),
    }));
    let changed = match patch {
        Ok(patch) => users::update(&app, &viewer.who, id, patch)
            .await
            .map(|_| ()),
        Err(err) => Err(err),
    };
    match changed {
        Ok(()) => Ok(signed_out(jar, "password")),
        Err(err) => again(&app, &viewer, "password", err).await,
    }
}

#[derive(Debug, Deserialize)]
struct EverywhereForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    tokens: Option<String>,
}

/// `POST /profile/sign-out-everywhere`.
async fn sign_out_everywhere(
    State(app): State<AppState>,
    viewer: Viewer,
    jar: CookieJar,
    Form(form): Form<EverywhereForm>,
) -> WebResult<Response> {
    viewer.check_csrf(Some(&form.csrf))?;
    let id = own_id(&viewer)?;
    sessions::sign_out_everywhere(&app, &viewer.who, id, form.tokens.is_some())
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(signed_out(jar, "everywhere"))
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    label: String,
}

/// `POST /profile/tokens`: the new token's secret is shown on the answer, once (never in a URL).
async fn create_token(
    State(app): State<AppState>,
    viewer: Viewer,
    Form(form): Form<TokenForm>,
) -> WebResult<Response> {
    viewer.check_csrf(Some(&form.csrf))?;
    let id = own_id(&viewer)?;
    match tokens::create(&app, &viewer.who, id, &form.label).await {
        Ok(issued) => {
            let shown = (issued.token.label, issued.secret);
            page(&app, &viewer, StatusCode::OK, Some(shown), ("", Vec::new())).await
        }
        Err(err) => again(&app, &viewer, "token", err).await,
    }
}

#[derive(Debug, Deserialize)]
struct CsrfOnly {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// `POST /profile/tokens/{id}/revoke`: one of the user's own tokens.
async fn revoke_token(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> WebResult<Response> {
    viewer.check_csrf(Some(&form.csrf))?;
    let id: i64 = raw.parse().map_err(|_| viewer.not_found())?;
    let own = tokens::list_own(&app, &viewer.who)
        .await
        .map_err(|e| viewer.fail(e))?;
    // Only one's own tokens here, even for an administrator.
    if !own.iter().any(|t| t.id.get() == id) {
        return Err(viewer.not_found());
    }
    tokens::revoke(&app, &viewer.who, ApiTokenId::new(id))
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(Redirect::to("/profile").into_response())
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/profile", get(show))
        .route("/profile/password", post(change_password))
        .route("/profile/sign-out-everywhere", post(sign_out_everywhere))
        .route("/profile/tokens", post(create_token))
        .route("/profile/tokens/{id}/revoke", post(revoke_token))
}
