//! Request extractors: JSON bodies parsed into domain types with the failing field named,
//! authentication (bearer token or session cookie with CSRF check), `If-Match`, queries and
//! multipart uploads with size limits.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum_extra::extract::CookieJar;
use casebook_domain::FieldError;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::actions::cases::attachments::Upload;
use crate::actions::{ActionError, accounts::sessions};
use crate::app::AppState;
pub use crate::edge::{Form, SESSION_COOKIE, within};
use crate::policy::{AuthVia, Principal};

/// Header that must echo the session's CSRF token on state changes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Turns a serde error with its path into a field error (422) or a syntax error (400).
pub(crate) fn json_error(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        return ApiError::InvalidJson(format!("the body is not valid JSON: {inner}"));
    }
    let message = inner.to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
    let (field, code) = if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.split('`').next())
    {
        let field = if path == "." {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        };
        (field, "required")
    } else if message.starts_with("unknown field `") {
        // The path already ends at the unknown field.
        (path, "unknown_field")
    } else {
        (if path == "." { String::new() } else { path }, "invalid")
    };
    ApiError::Action(ActionError::Validation(vec![FieldError {
        field,
        code,
        message,
    }]))
}

/// Parses JSON text into `T`, naming the failing field.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(de).map_err(json_error)?;
    Ok(value)
}

/// A JSON body, limited to `limits.max_body_bytes`, with unknown fields refused.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|c| c.split(';').next())
        .is_some_and(|c| {
            let c = c.trim().to_ascii_lowercase();
            c == "application/json" || (c.starts_with("application/") && c.ends_with("+json"))
        })
}

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &AppState) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if !is_json(content_type) {
            return Err(ApiError::UnsupportedMediaType("application/json"));
        }
        let limit = app.config.limits.max_body_bytes;
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| ApiError::TooLarge(limit))?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Query parameters, with unknown or malformed ones refused (400) and a value holding a NUL
/// character refused (422 naming the parameter): no text column of PostgreSQL can hold one, so
/// it could never match and would fail in the database.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if query.contains("%00") {
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_str(query).unwrap_or_default();
            if let Some((name, _)) = pairs.iter().find(|(_, v)| v.contains('\0')) {
                return Err(ActionError::field(
                    name,
                    "invalid",
                    "a query value cannot hold a NUL character",
                )
                .into());
            }
        }
        serde_urlencoded::from_str(query)
            .map(ApiQuery)
            .map_err(|e| ApiError::BadRequest {
                code: "invalid_query",
                message: format!("invalid query parameters: {e}"),
            })
    }
}

/// The authenticated principal of a request.
#[derive(Debug)]
pub struct Auth(pub Principal);

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(token) = bearer(parts) {
            return Ok(Auth(sessions::authenticate_token(app, token).await?));
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(SESSION_COOKIE) else {
            return Err(ActionError::Unauthenticated.into());
        };
        let principal = sessions::authenticate_session(app, cookie.value()).await?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if let AuthVia::Session { csrf_token } = &principal.via {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if !safe && sent != Some(csrf_token.as_str()) {
                return Err(ApiError::CsrfFailed);
            }
        }
        Ok(Auth(principal))
    }
}

/// The version in an `If-Match` header (`"3"`, `W/"3"` or `3`); `*` and absence mean any.
#[derive(Debug)]
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let text = value.to_str().unwrap_or_default().trim();
        if text == "*" {
            return Ok(IfMatch(None));
        }
        let bare = text.trim_start_matches("W/").trim_matches('"');
        bare.parse()
            .map(|v| IfMatch(Some(v)))
            .map_err(|_| ApiError::BadRequest {
                code: "invalid_if_match",
                message: "If-Match must be the ETag of the case, e.g. \"3\"".into(),
            })
    }
}

/// Reads a multipart body: parts named `file` are files (each at most `max_attachment_bytes`),
/// the names in `text_fields` are text (each at most `max_body_bytes`); any other part is refused.
pub async fn read_form(
    mut multipart: Multipart,
    app: &AppState,
    text_fields: &[&str],
) -> Result<Form, ApiError> {
    let limits = &app.config.limits;
    let mut form = Form::default();
    let bad = |message: String| ApiError::BadRequest {
        code: "invalid_multipart",
        message,
    };
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(e, limits.max_attachment_bytes))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if form.files.len() >= limits.max_files_per_request {
                return Err(ActionError::field(
                    "file",
                    "too_many",
                    format!("at most {} files per request", limits.max_files_per_request),
                )
                .into());
            }
            let file_name = field.file_name().unwrap_or("attachment").to_owned();
            let content_type = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_owned();
            let mut content = Vec::new();
            while let Some(chunk) = field
                .chunk()
                .await
                .map_err(|e| multipart_error(e, limits.max_attachment_bytes))?
            {
                if content.len() + chunk.len() > limits.max_attachment_bytes {
                    return Err(ApiError::TooLarge(limits.max_attachment_bytes));
                }
                content.extend_from_slice(&chunk);
            }
            form.files.push(Upload {
                file_name,
                content_type,
                content: Bytes::from(content),
            });
        } else if text_fields.contains(&name.as_str()) {
            let mut text = Vec::new();
            while let Some(chunk) = field
                .chunk()
                .await
                .map_err(|e| multipart_error(e, limits.max_body_bytes))?
            {
                if text.len() + chunk.len() > limits.max_body_bytes {
                    return Err(ApiError::TooLarge(limits.max_body_bytes));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text)
                .map_err(|_| bad(format!("the part '{name}' is not UTF-8 text")))?;
            form.fields.push((name, text));
        } else {
            return Err(ActionError::field(
                &name,
                "unknown_field",
                format!(
                    "unknown part '{name}'; expected file or {}",
                    text_fields.join(", ")
                ),
            )
            .into());
        }
    }
    Ok(form)
}

fn multipart_error(err: axum::extract::multipart::MultipartError, limit: usize) -> ApiError {
    if err.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(limit)
    } else {
        ApiError::BadRequest {
            code: "invalid_multipart",
            message: err.body_text(),
        }
    }
}

/// Whether a request body is multipart form data.
pub fn is_multipart(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| {
            c.trim()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// Path parameters; a value that does not parse names no existing object, so it is a 404.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|_| ApiError::Action(ActionError::NotFound("resource")))
    }
}
