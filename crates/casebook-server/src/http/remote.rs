//! Handlers of remote diagnosis sessions (远程诊断, docs/field-service.md): a case's sessions
//! and the request of a new one, a session's steps (approve, decline, revoke by the customer;
//! start, end, cancel by staff), its log (read, append, mark a line internal) and recordings,
//! and the remote-access policy of organisations and sites.

use axum::Json;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, StatusCode};
use casebook_domain::CaseNumber;
use casebook_domain::field::remote::SessionDraft;
use casebook_domain::field::session::{LogLine, Recording, RemoteSession};
use casebook_domain::ids::{OrganizationId, SiteId};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, Auth, is_multipart, read_form};
use crate::actions::ActionError;
use crate::actions::field::remote::{self, Decision, StepRequest};
use crate::actions::field::remote_log::{self, Append, Appended, MarkInternal, SessionLog};
use crate::actions::field::remote_policy::{self, PolicyChange, RemoteAccess};
use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(case_sessions, request_session))
        .routes(routes!(get_session))
        .routes(routes!(approve))
        .routes(routes!(decline))
        .routes(routes!(revoke))
        .routes(routes!(start))
        .routes(routes!(end))
        .routes(routes!(cancel))
        .routes(routes!(read_log, append_log))
        .routes(routes!(mark_internal))
        .routes(routes!(add_recording))
        .routes(routes!(org_policy, set_org_policy))
        .routes(routes!(set_site_policy))
}

/// A case's remote sessions, oldest first.
#[utoipa::path(get, path = "/cases/{number}/remote-sessions", tag = "field", params(("number" = String, Path)),
    responses((status = 200, body = Vec<RemoteSession>), (status = 404, body = ErrorBody)))]
async fn case_sessions(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
) -> ApiResult<Json<Vec<RemoteSession>>> {
    Ok(Json(remote::of_case(&app, &who, number).await?))
}

/// Request a remote session on a case (staff). Under the customer's `ask` policy its
/// authorised contacts are mailed a link to approve or decline; under `allow` it is approved at
/// once; under `deny` it is refused (409).
#[utoipa::path(post, path = "/cases/{number}/remote-sessions", tag = "field", params(("number" = String, Path)),
    request_body = SessionDraft,
    responses((status = 201, body = RemoteSession), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`remote_session`: the policy denies it, or the case is closed"),
        (status = 422, body = ErrorBody)))]
async fn request_session(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
    ApiJson(draft): ApiJson<SessionDraft>,
) -> ApiResult<(StatusCode, Json<RemoteSession>)> {
    let session = remote::request(&app, &who, number, draft).await?;
    Ok((StatusCode::CREATED, Json(session)))
}

/// A remote session.
#[utoipa::path(get, path = "/remote-sessions/{id}", tag = "field", params(("id" = i64, Path)),
    responses((status = 200, body = RemoteSession), (status = 404, body = ErrorBody)))]
async fn get_session(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RemoteSession>> {
    Ok(Json(remote::get(&app, &who, id).await?))
}

/// Approve a requested session for its window (an authorised contact of the customer).
#[utoipa::path(post, path = "/remote-sessions/{id}/approve", tag = "field", params(("id" = i64, Path)),
    request_body = Decision,
    responses((status = 200, body = RemoteSession), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn approve(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(decision): ApiJson<Decision>,
) -> ApiResult<Json<RemoteSession>> {
    Ok(Json(remote::decide(&app, &who, id, true, decision).await?))
}

/// Decline a requested session, with an optional note (an authorised contact).
#[utoipa::path(post, path = "/remote-sessions/{id}/decline", tag = "field", params(("id" = i64, Path)),
    request_body = Decision,
    responses((status = 200, body = RemoteSession), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn decline(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(decision): ApiJson<Decision>,
) -> ApiResult<Json<RemoteSession>> {
    Ok(Json(remote::decide(&app, &who, id, false, decision).await?))
}

/// Revoke an approval (the customer); a running session ends at once and its log is sealed.
#[utoipa::path(post, path = "/remote-sessions/{id}/revoke", tag = "field", params(("id" = i64, Path)),
    request_body = Decision,
    responses((status = 200, body = RemoteSession), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn revoke(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(decision): ApiJson<Decision>,
) -> ApiResult<Json<RemoteSession>> {
    Ok(Json(remote::revoke(&app, &who, id, decision).await?))
}

/// Start an approved session (staff); 409 with the reason outside its approved window.
#[utoipa::path(post, path = "/remote-sessions/{id}/start", tag = "field", params(("id" = i64, Path)),
    request_body = StepRequest,
    responses((status = 200, body = RemoteSession), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn start(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(step): ApiJson<StepRequest>,
) -> ApiResult<Json<RemoteSession>> {
    Ok(Json(remote::start(&app, &who, id, step).await?))
}

/// End a running session (staff): its log is sealed and its time recorded as a work entry.
#[utoipa::path(post, path = "/remote-sessions/{id}/end", tag = "field", params(("id" = i64, Path)),
    request_body = StepRequest,
    responses((status = 200, body = RemoteSession), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn end(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(step): ApiJson<StepRequest>,
) -> ApiResult<Json<RemoteSession>> {
    Ok(Json(remote::end(&app, &who, id, step).await?))
}

/// Withdraw a session that has not started (staff).
#[utoipa::path(post, path = "/remote-sessions/{id}/cancel", tag = "field", params(("id" = i64, Path)),
    request_body = StepRequest,
    responses((status = 200, body = RemoteSession), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn cancel(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(step): ApiJson<StepRequest>,
) -> ApiResult<Json<RemoteSession>> {
    Ok(Json(remote::cancel(&app, &who, id, step).await?))
}

/// A session's log and recordings, and whether a sealed log still matches its seal.
#[utoipa::path(get, path = "/remote-sessions/{id}/log", tag = "field", params(("id" = i64, Path)),
    responses((status = 200, body = SessionLog), (status = 404, body = ErrorBody)))]
async fn read_log(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SessionLog>> {
    Ok(Json(remote_log::read(&app, &who, id).await?))
}

/// Append lines to a running session's log (staff); 409 once it ended (the log is sealed).
#[utoipa::path(post, path = "/remote-sessions/{id}/log", tag = "field", params(("id" = i64, Path)),
    request_body = Append,
    responses((status = 201, body = Appended), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn append_log(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(lines): ApiJson<Append>,
) -> ApiResult<(StatusCode, Json<Appended>)> {
    Ok((
        StatusCode::CREATED,
        Json(remote_log::append(&app, &who, id, lines).await?),
    ))
}

/// Mark a log line internal with a reason (staff): customers no longer read its text; the
/// text and the seal stay.
#[utoipa::path(post, path = "/remote-sessions/{id}/log/{seq}/internal", tag = "field",
    params(("id" = i64, Path), ("seq" = i64, Path)), request_body = MarkInternal,
    responses((status = 200, body = LogLine), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn mark_internal(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath((id, seq)): ApiPath<(i64, i64)>,
    ApiJson(request): ApiJson<MarkInternal>,
) -> ApiResult<Json<LogLine>> {
    Ok(Json(
        remote_log::mark_internal(&app, &who, id, seq, request).await?,
    ))
}

/// A terminal recording, as uploaded (for the document only: `read_form` reads it); any other
/// part is refused.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct RecordingUpload {
    /// One file.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Upload a terminal recording to a running session (staff; multipart, one `file` part): kept
/// as an internal attachment of the case and sealed with the log.
#[utoipa::path(post, path = "/remote-sessions/{id}/recordings", tag = "field", params(("id" = i64, Path)),
    request_body(content = RecordingUpload, content_type = "multipart/form-data", description = "one `file` part"),
    responses((status = 201, body = Recording), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn add_recording(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    request: Request,
) -> ApiResult<(StatusCode, Json<Recording>)> {
    if !is_multipart(&headers) {
        return Err(ApiError::UnsupportedMediaType("multipart/form-data"));
    }
    let multipart =
        Multipart::from_request(request, &app)
            .await
            .map_err(|e| ApiError::BadRequest {
                code: "invalid_multipart",
                message: e.body_text(),
            })?;
    let mut form = read_form(multipart, &app, &[]).await?;
    if form.files.len() != 1 {
        return Err(ActionError::field("file", "required", "send exactly one file part").into());
    }
    let upload = form.files.remove(0);
    Ok((
        StatusCode::CREATED,
        Json(remote_log::add_recording(&app, &who, id, upload).await?),
    ))
}

/// An organisation's remote-access policy and the sites with their own.
#[utoipa::path(get, path = "/organizations/{id}/remote-access", tag = "field", params(("id" = i64, Path)),
    responses((status = 200, body = RemoteAccess), (status = 404, body = ErrorBody)))]
async fn org_policy(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<OrganizationId>,
) -> ApiResult<Json<RemoteAccess>> {
    Ok(Json(remote_policy::get(&app, &who, id).await?))
}

/// Set an organisation's remote-access policy: `deny`, `ask` or `allow` (the desk's
/// administrators and the organisation's customer administrators; audited).
#[utoipa::path(put, path = "/organizations/{id}/remote-access", tag = "field", params(("id" = i64, Path)),
    request_body = PolicyChange,
    responses((status = 200, body = RemoteAccess), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_org_policy(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<OrganizationId>,
    ApiJson(change): ApiJson<PolicyChange>,
) -> ApiResult<Json<RemoteAccess>> {
    Ok(Json(remote_policy::set(&app, &who, id, change).await?))
}

/// Set a site's own remote-access policy, or `null` to follow its organisation's.
#[utoipa::path(put, path = "/sites/{id}/remote-access", tag = "field", params(("id" = i64, Path)),
    request_body = PolicyChange,
    responses((status = 200, body = RemoteAccess), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_site_policy(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<SiteId>,
    ApiJson(change): ApiJson<PolicyChange>,
) -> ApiResult<Json<RemoteAccess>> {
    Ok(Json(remote_policy::set_site(&app, &who, id, change).await?))
}
