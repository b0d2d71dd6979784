//! Handlers of call home for staff: the keys devices sign with (make, list, rotate, revoke).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use casebook_domain::ids::OrganizationId;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::actions::call_home_keys::{self, KeyDraft, KeyInfo, NewKeyFile};
use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_keys, create_key))
        .routes(routes!(rotate_key))
        .routes(routes!(revoke_key))
}

/// Which keys to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyQuery {
    /// Only this organisation's keys.
    #[param(value_type = Option<i64>)]
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
    Ok(Json(
        call_home_keys::list(&app, &who, query.organization_id).await?,
    ))
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
    let made = call_home_keys::create(&app, &who, draft).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// How long a rotated key keeps working.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// Hours the old key keeps working (0–720, default 24).
    #[serde(default = "one_day")]
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
    if rotation.grace_hours > 720 {
        return Err(crate::actions::ActionError::field(
            "grace_hours",
            "out_of_range",
            "at most 720 hours (30 days)",
        )
        .into());
    }
    let grace = jiff::SignedDuration::from_hours(i64::from(rotation.grace_hours));
    let made = call_home_keys::end(&app, &who, id, Some(grace)).await?;
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
    call_home_keys::end(&app, &who, id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
