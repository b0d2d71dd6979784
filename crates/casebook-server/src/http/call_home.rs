//! Handlers of call home: the device endpoint (signed with a device key, not a user's
//! credentials) and, for staff, the keys devices sign with (make, list, rotate, revoke) and the
//! rules that say what an event code does.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use casebook_domain::ids::OrganizationId;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth, within};
use crate::actions::call_home::keys::{self, KeyDraft, KeyInfo, NewKeyFile, SignedHeaders};
use crate::actions::call_home::rules::{self, CallHomeRule};
use crate::actions::call_home::watch::{self, Refusals};
use crate::actions::call_home::{self as call_home_in, Accepted};
use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(events).layer(DefaultBodyLimit::max(LARGEST_BATCH)))
        .routes(routes!(list_keys, create_key))
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(update_rule, delete_rule))
        .routes(routes!(rotate_key))
        .routes(routes!(revoke_key))
        .routes(routes!(refusals))
}

/// The largest request body a device may send.
pub const LARGEST_BATCH: usize = 4 * 1024 * 1024;

/// Device events, one or a batch (`{"events": [...]}`, at most 500), signed with a device key
/// (docs/call-home.md). Each event is taken once per idempotency key; the answer says what became
/// of each.
#[utoipa::path(post, path = "/call-home/events", tag = "call-home", security(()),
    request_body(content = serde_json::Value, description = "one event or {\"events\": [...]}; see docs/call-home.md"),
    params(
        ("X-Casebook-Key" = String, Header, description = "the key's public id"),
        ("X-Casebook-Timestamp" = i64, Header, description = "Unix seconds, within 5 minutes"),
        ("X-Casebook-Nonce" = String, Header, description = "16–64 of A-Z a-z 0-9 - _, never reused"),
        ("X-Casebook-Signature" = String, Header, description = "v1=<hex HMAC-SHA256>"),
    ),
    responses((status = 200, body = Accepted), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn events(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let body = body.inspect_err(|_| {
        // Over the limit (or cut off): counted, with no key, as it cannot be checked.
        app.call_home_refusals
            .count("payload_too_large", None, app.clock.now());
    });
    let Ok(body) = body else {
        // The rest of the body is not read: the connection cannot carry another request.
        let mut response = ApiError::TooLarge(LARGEST_BATCH).into_response();
        response.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
        return Ok(response);
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signed = SignedHeaders {
        key: header("x-casebook-key"),
        timestamp: header("x-casebook-timestamp"),
        nonce: header("x-casebook-nonce"),
        signature: header("x-casebook-signature"),
    };
    let path = "/api/v1/call-home/events";
    match call_home_in::ingest(&app, &signed, "POST", path, &body).await? {
        Ok(accepted) => Ok(Json(accepted).into_response()),
        Err(refused) => {
            tracing::warn!(code = refused.code(), key = ?signed.key, "call-home request refused");
            let body = serde_json::json!({"error": {"code": refused.code(), "message": refused.message(), "details": {}}});
            Ok((StatusCode::UNAUTHORIZED, Json(body)).into_response())
        }
    }
}

/// Which keys to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KeyQuery {
    /// Only this organisation's keys.
    #[param(value_type = Option<i64>, minimum = 1)]
    pub organization_id: Option<OrganizationId>,
}

/// The device keys, newest first (staff; never their secrets).
#[utoipa::path(get, path = "/call-home/keys", tag = "call-home", params(KeyQuery),
    responses((status = 200, body = Vec<KeyInfo>), (status = 403, body = ErrorBody)))]
async fn list_keys(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(query): ApiQuery<KeyQuery>,
) -> ApiResult<Json<Vec<KeyInfo>>> {
    Ok(Json(keys::list(&app, &who, query.organization_id).await?))
}

/// Makes a key for an organisation (optionally bound to one of its sites). The answer is the
/// only time the secret is shown.
#[utoipa::path(post, path = "/call-home/keys", tag = "call-home", request_body = KeyDraft,
    responses((status = 201, body = NewKeyFile), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_key(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(draft): ApiJson<KeyDraft>,
) -> ApiResult<(StatusCode, Json<NewKeyFile>)> {
    let made = keys::create(&app, &who, draft).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// How long a rotated key keeps working.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// Hours the old key keeps working (0–720, default 24).
    #[serde(default = "one_day")]
    #[schema(maximum = 720)]
    pub grace_hours: u16,
}

fn one_day() -> u16 {
    24
}

/// Rotates a key: a new key for the same organisation and site (its secret shown once), the old
/// one working for the grace period.
#[utoipa::path(post, path = "/call-home/keys/{id}/rotate", tag = "call-home", params(("id" = i64, Path)),
    request_body = Rotation,
    responses((status = 201, body = NewKeyFile), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn rotate_key(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(rotation): ApiJson<Rotation>,
) -> ApiResult<(StatusCode, Json<NewKeyFile>)> {
    let hours = within("grace_hours", rotation.grace_hours, 0, 720)?;
    let grace = jiff::SignedDuration::from_hours(i64::from(hours));
    let made = keys::end(&app, &who, id, Some(grace)).await?;
    let made = made.ok_or(crate::actions::ActionError::Internal(
        "a rotation makes a key".into(),
    ))?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Revokes a key at once.
#[utoipa::path(post, path = "/call-home/keys/{id}/revoke", tag = "call-home", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn revoke_key(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    keys::end(&app, &who, id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The call-home rules (staff).
#[utoipa::path(get, path = "/call-home/rules", tag = "call-home",
    responses((status = 200, body = Vec<CallHomeRule>), (status = 403, body = ErrorBody)))]
async fn list_rules(
    State(app): State<AppState>,
    Auth(who): Auth,
) -> ApiResult<Json<Vec<CallHomeRule>>> {
    Ok(Json(rules::list(&app, &who).await?))
}

/// Adds a rule: for a product (or every product) and an event code, prefix `E12*` or `*`.
#[utoipa::path(post, path = "/call-home/rules", tag = "call-home", request_body = CallHomeRule,
    responses((status = 201, body = CallHomeRule), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_rule(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(rule): ApiJson<CallHomeRule>,
) -> ApiResult<(StatusCode, Json<CallHomeRule>)> {
    let made = rules::create(&app, &who, rule).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Changes a rule; send the version you read (a stale one is 409).
#[utoipa::path(put, path = "/call-home/rules/{id}", tag = "call-home", params(("id" = i64, Path)),
    request_body = CallHomeRule,
    responses((status = 200, body = CallHomeRule), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_rule(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(rule): ApiJson<CallHomeRule>,
) -> ApiResult<Json<CallHomeRule>> {
    Ok(Json(rules::update(&app, &who, id, rule).await?))
}

/// Deletes a rule (204 also when it was deleted before).
#[utoipa::path(delete, path = "/call-home/rules/{id}", tag = "call-home", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody)))]
async fn delete_rule(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    rules::delete(&app, &who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How many days of refusals to show.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RefusalQuery {
    /// Days back from today, 1–90 (default 7); another number is refused (422).
    #[param(minimum = 1, maximum = 90)]
    pub days: Option<u32>,
}

/// Refused device requests per day, code and key (staff): bad signatures, stale timestamps,
/// replays, revoked or unknown keys, oversize or invalid bodies.
#[utoipa::path(get, path = "/call-home/refusals", tag = "call-home", params(RefusalQuery),
    responses((status = 200, body = Vec<Refusals>), (status = 403, body = ErrorBody)))]
async fn refusals(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(query): ApiQuery<RefusalQuery>,
) -> ApiResult<Json<Vec<Refusals>>> {
    let days = within("days", query.days.unwrap_or(7), 1, 90)?;
    Ok(Json(watch::refusals(&app, &who, days).await?))
}
