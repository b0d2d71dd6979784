//! The one mapping from errors to HTTP responses. Every error body has the same shape:
//! `{"error": {"code": "snake_case", "message": "…", "details": {…}}}`. Codes are stable.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use casebook_domain::lifecycle::LifecycleError;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::actions::ActionError;

/// The error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `validation_failed`, `not_found`.
    pub code: String,
    /// For a person.
    pub message: String,
    /// More about it, e.g. `{"fields": [{"field": "title", "code": "required", "message": "…"}]}`.
    #[schema(value_type = Object)]
    pub details: Value,
}

/// An error of the HTTP layer or of an action.
#[derive(Debug)]
pub enum ApiError {
    /// From a use case.
    Action(ActionError),
    /// A body that is not JSON, or not the JSON asked for.
    InvalidJson(String),
    /// A request the server cannot read (bad header, bad multipart, bad query).
    BadRequest {
        /// Stable code.
        code: &'static str,
        /// For a person.
        message: String,
    },
    /// A body larger than allowed.
    TooLarge(usize),
    /// A body of a media type the route does not take.
    UnsupportedMediaType(&'static str),
    /// A cookie-authenticated state change without the session's CSRF token.
    CsrfFailed,
}

/// Result of handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<ActionError> for ApiError {
    fn from(err: ActionError) -> Self {
        match err {
            ActionError::TooLarge { limit, .. } => ApiError::TooLarge(limit),
            other => ApiError::Action(other),
        }
    }
}

fn body(status: StatusCode, code: &str, message: String, details: Value) -> Response {
    let mut response = (
        status,
        axum::Json(ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
                details,
            },
        }),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn lifecycle_status(err: &LifecycleError) -> StatusCode {
    match err {
        LifecycleError::NotAllowed { .. } | LifecycleError::ReopenWindowPassed { .. } => {
            StatusCode::CONFLICT
        }
        LifecycleError::StaffOnly { .. } => StatusCode::FORBIDDEN,
        LifecycleError::OwnerRequired { .. } => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let none = json!({});
        match self {
            ApiError::InvalidJson(message) => {
                body(StatusCode::BAD_REQUEST, "invalid_json", message, none)
            }
            ApiError::BadRequest { code, message } => {
                body(StatusCode::BAD_REQUEST, code, message, none)
            }
            ApiError::TooLarge(limit) => body(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the request is larger than the limit of {limit} bytes"),
                json!({"limit_bytes": limit}),
            ),
            ApiError::UnsupportedMediaType(expected) => body(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("send the body as {expected}"),
                none,
            ),
            ApiError::CsrfFailed => body(
                StatusCode::FORBIDDEN,
                "csrf_failed",
                "send the session's CSRF token in the X-CSRF-Token header".into(),
                none,
            ),
            ApiError::Action(err) => action_response(err),
        }
    }
}

fn action_response(err: ActionError) -> Response {
    let message = err.to_string();
    let none = json!({});
    match err {
        ActionError::NotFound(what) => body(
            StatusCode::NOT_FOUND,
            "not_found",
            message,
            json!({"resource": what}),
        ),
        ActionError::Unauthenticated => {
            let mut r = body(StatusCode::UNAUTHORIZED, "unauthenticated", message, none);
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"casebook\""),
            );
            r
        }
        ActionError::Forbidden(_) => body(StatusCode::FORBIDDEN, "forbidden", message, none),
        ActionError::Validation(fields) => {
            let first = fields
                .first()
                .map(|f| format!("{}: {}", f.field, f.message))
                .unwrap_or_default();
            body(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                first,
                json!({"fields": fields}),
            )
        }
        ActionError::Conflict { code, .. } => body(StatusCode::CONFLICT, code, message, none),
        ActionError::Lifecycle(e) => body(lifecycle_status(&e), e.code(), message, none),
        ActionError::StaleVersion => body(StatusCode::CONFLICT, "version_conflict", message, none),
        ActionError::TooLarge { limit, .. } => ApiError::TooLarge(limit).into_response(),
        ActionError::InvalidCursor => {
            body(StatusCode::BAD_REQUEST, "invalid_cursor", message, none)
        }
        ActionError::RateLimited { retry_after_secs } => {
            let mut r = body(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                message,
                json!({"retry_after_secs": retry_after_secs}),
            );
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        ActionError::Unavailable(detail) => {
            tracing::warn!(%detail, "database unavailable");
            let mut r = body(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "the database is unavailable; nothing was changed, try again shortly".into(),
                none,
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            r
        }
        ActionError::Internal(detail) => {
            tracing::error!(%detail, "internal error");
            body(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "an internal error occurred; it has been logged".into(),
                none,
            )
        }
    }
}
