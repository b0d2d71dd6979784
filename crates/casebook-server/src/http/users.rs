//! Handlers for signing in and out, the current user, users and API tokens.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use casebook_domain::ids::{ApiTokenId, OrganizationId, UserId};
use casebook_domain::users::{ApiToken, User, UserDraft, UserPatch};
use casebook_store::users::UserFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth, SESSION_COOKIE};
use super::page::{List, Paging};
use crate::actions::accounts::sessions::SignedOutEverywhere;
use crate::actions::accounts::tokens::IssuedToken;
use crate::actions::{ActionError, accounts::sessions, accounts::tokens, accounts::users};
use crate::app::AppState;
use crate::policy::AuthVia;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_in))
        .routes(routes!(sign_out))
        .routes(routes!(me))
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(sign_out_everywhere))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// E-mail and password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    /// Sign-in e-mail.
    email: String,
    /// Password.
    password: String,
}

/// The signed-in user and the CSRF token to send as `X-CSRF-Token` with state changes.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    /// The user.
    user: User,
    /// Send it back in `X-CSRF-Token` on POST, PATCH and DELETE with the session cookie.
    csrf_token: Option<String>,
}

/// Sign in with e-mail and password; sets the session cookie (a new one on every sign-in).
#[utoipa::path(post, path = "/auth/sign-in", tag = "auth", request_body = SignInRequest, security(()),
    responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn sign_in(
    State(app): State<AppState>,
    jar: CookieJar,
    ApiJson(body): ApiJson<SignInRequest>,
) -> ApiResult<(CookieJar, Json<SessionInfo>)> {
    let signed_in = sessions::sign_in(&app, &body.email, &body.password).await?;
    if let Some(old) = jar.get(SESSION_COOKIE) {
        sessions::sign_out(&app, old.value()).await?;
    }
    let cookie = Cookie::build((SESSION_COOKIE, signed_in.session_token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(app.config.sessions.secure_cookie)
        .path("/")
        .build();
    let info = SessionInfo {
        user: signed_in.user,
        csrf_token: Some(signed_in.csrf_token),
    };
    Ok((jar.add(cookie), Json(info)))
}

/// Sign out: ends the session and clears the cookie.
#[utoipa::path(post, path = "/auth/sign-out", tag = "auth", responses((status = 204)))]
async fn sign_out(
    State(app): State<AppState>,
    Auth(_who): Auth,
    jar: CookieJar,
) -> ApiResult<(CookieJar, StatusCode)> {
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        sessions::sign_out(&app, cookie.value()).await?;
    }
    Ok((
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
        StatusCode::NO_CONTENT,
    ))
}

/// The current user (and, for a session, its CSRF token).
#[utoipa::path(get, path = "/me", tag = "auth", responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody)))]
async fn me(State(app): State<AppState>, Auth(who): Auth) -> ApiResult<Json<SessionInfo>> {
    let id = who.user_id().ok_or(ActionError::Unauthenticated)?;
    let user = users::get(&app, &who, id).await?;
    let csrf_token = match who.via {
        AuthVia::Session { csrf_token } => Some(csrf_token),
        _ => None,
    };
    Ok(Json(SessionInfo { user, csrf_token }))
}

/// Filters of the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Text in the name or e-mail.
    q: Option<String>,
    /// Only users of this organisation.
    organization: Option<OrganizationId>,
    /// Only staff (`true`) or only customers (`false`).
    staff: Option<bool>,
    /// Include disabled users.
    #[serde(default)]
    inactive: bool,
    /// Items per page, 1–200 (default 50); another number is refused (422).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page; absent or empty: the first page.
    cursor: Option<String>,
}

/// List users (staff: all; customer admins: their organisation; customers: themselves).
#[utoipa::path(get, path = "/users", tag = "users", params(UserQuery), responses((status = 200, body = List<User>)))]
async fn list_users(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> ApiResult<Json<List<User>>> {
    let filter = UserFilter {
        organization: q.organization,
        staff: q.staff,
        only: None,
        q: q.q,
        include_inactive: q.inactive,
    };
    let page = Paging {
        limit: q.limit,
        cursor: q.cursor,
    }
    .request()?;
    Ok(Json(users::list(&app, &who, filter, &page).await?.into()))
}

/// Create a user (administrators).
#[utoipa::path(post, path = "/users", tag = "users", request_body = UserDraft,
    responses((status = 201, body = User), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_user(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(draft): ApiJson<UserDraft>,
) -> ApiResult<(StatusCode, Json<User>)> {
    Ok((
        StatusCode::CREATED,
        Json(users::create(&app, &who, draft).await?),
    ))
}

/// Read a user.
#[utoipa::path(get, path = "/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
async fn get_user(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<Json<User>> {
    Ok(Json(users::get(&app, &who, id).await?))
}

/// Change a user (administrators; anyone: their own name and password).
#[utoipa::path(patch, path = "/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UserPatch,
    responses((status = 200, body = User), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_user(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> ApiResult<Json<User>> {
    Ok(Json(users::update(&app, &who, id, patch).await?))
}

/// What to end besides the sessions.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignOutEverywhere {
    /// Also revoke every API token of the user (default `false`).
    #[serde(default)]
    tokens: bool,
}

/// Sign a user out everywhere: end every session (this one too, if it is theirs) and, on
/// request, revoke every API token (yourself; administrators: users they manage).
#[utoipa::path(post, path = "/users/{id}/sign-out-everywhere", tag = "users", params(("id" = i64, Path)),
    request_body = SignOutEverywhere,
    responses((status = 200, body = SignedOutEverywhere), (status = 404, body = ErrorBody)))]
async fn sign_out_everywhere(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(body): ApiJson<SignOutEverywhere>,
) -> ApiResult<Json<SignedOutEverywhere>> {
    Ok(Json(
        sessions::sign_out_everywhere(&app, &who, id, body.tokens).await?,
    ))
}

/// What a new token is for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// A label, e.g. "monitoring integration".
    label: String,
}

/// Your API tokens.
#[utoipa::path(get, path = "/tokens", tag = "auth", responses((status = 200, body = Vec<ApiToken>)))]
async fn list_tokens(
    State(app): State<AppState>,
    Auth(who): Auth,
) -> ApiResult<Json<Vec<ApiToken>>> {
    Ok(Json(tokens::list_own(&app, &who).await?))
}

/// Create an API token for yourself; the secret is in this response only.
#[utoipa::path(post, path = "/tokens", tag = "auth", request_body = TokenRequest,
    responses((status = 201, body = IssuedToken), (status = 422, body = ErrorBody)))]
async fn create_token(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(body): ApiJson<TokenRequest>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    let user = who.user_id().ok_or(ActionError::Unauthenticated)?;
    Ok((
        StatusCode::CREATED,
        Json(tokens::create(&app, &who, user, &body.label).await?),
    ))
}

/// Revoke a token.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "auth", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn revoke_token(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ApiTokenId>,
) -> ApiResult<StatusCode> {
    tokens::revoke(&app, &who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
