//! Handlers for cases, their replies and notes, attachments and timeline.

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use casebook_domain::case::{Case, CaseDraft, CasePatch};
use casebook_domain::ids::AttachmentId;
use casebook_domain::policy::Visibility;
use casebook_domain::text::LongText;
use casebook_domain::timeline::{AttachmentMeta, CaseEvent, CommentDraft};
use casebook_domain::{CaseNumber, Named};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth, Form, IfMatch, is_multipart, read_form};
use super::page::{List, Paging};
use crate::actions::cases::attachments::Upload;
use crate::actions::cases::bulk::{self, BulkItemResult, BulkRequest};
use crate::actions::{ActionError, cases, cases::attachments, cases::comments};
use crate::app::AppState;
pub use crate::edge::queries::CaseQuery;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cases, open_case))
        .routes(routes!(get_case, update_case))
        .routes(routes!(bulk_change))
        .routes(routes!(add_comment))
        .routes(routes!(list_attachments, add_attachments))
        .routes(routes!(download_attachment))
        .routes(routes!(inline_attachment))
        .routes(routes!(get_timeline))
}

/// List the cases you may see, newest first, with filters.
#[utoipa::path(get, path = "/cases", tag = "cases", params(CaseQuery),
    responses((status = 200, body = List<Case>), (status = 422, body = ErrorBody)))]
async fn list_cases(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<CaseQuery>,
) -> ApiResult<Json<List<Case>>> {
    let filter = q.filter(who.user_id())?;
    let page = Paging {
        limit: q.limit,
        cursor: q.cursor,
    }
    .request()?;
    Ok(Json(cases::list(&app, &who, filter, &page).await?.into()))
}

fn with_etag(case: Case) -> Response {
    let etag = format!("\"{}\"", case.version);
    let mut response = Json(case).into_response();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// Open a case. The number is in the response and in `Location`.
#[utoipa::path(post, path = "/cases", tag = "cases", request_body = CaseDraft,
    responses((status = 201, body = Case), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn open_case(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(draft): ApiJson<CaseDraft>,
) -> ApiResult<Response> {
    let case = cases::open(&app, &who, draft).await?;
    let location = format!("/api/v1/cases/{}", case.number);
    let mut response = with_etag(case);
    *response.status_mut() = StatusCode::CREATED;
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// Read a case. The `ETag` is its version, for `If-Match`.
#[utoipa::path(get, path = "/cases/{number}", tag = "cases", params(("number" = String, Path, example = "2026-00042")),
    responses((status = 200, body = Case), (status = 404, body = ErrorBody)))]
async fn get_case(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
) -> ApiResult<Response> {
    Ok(with_etag(cases::get(&app, &who, number).await?))
}

/// Change a case: fields, owner, tier, severity, status (lifecycle-checked). Send `If-Match` or
/// `version` to refuse the change if the case changed since you read it (409).
#[utoipa::path(patch, path = "/cases/{number}", tag = "cases", params(("number" = String, Path)), request_body = CasePatch,
    responses((status = 200, body = Case), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_case(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
    IfMatch(if_match): IfMatch,
    ApiJson(patch): ApiJson<CasePatch>,
) -> ApiResult<Response> {
    Ok(with_etag(
        cases::update(&app, &who, number, patch, if_match).await?,
    ))
}

/// The result of a bulk change, one entry per case in the order sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResponse {
    /// Per case: changed (with its new version) or refused (with the error code and message).
    pub results: Vec<BulkItemResult>,
}

/// Apply one change to up to 100 cases (staff): assign, a status, tier or severity with a
/// reason, or an internal note. Each case is changed in its own transaction, checked against
/// the version sent with it: a refused case (changed since, a move the lifecycle forbids) does
/// not undo the others. The answer is 200 with a result per case; a malformed request, an empty
/// list, more than 100 cases or a case named twice is refused as a whole (422) and changes
/// nothing.
#[utoipa::path(post, path = "/cases/bulk", tag = "cases", request_body = BulkRequest,
    responses((status = 200, body = BulkResponse), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn bulk_change(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(request): ApiJson<BulkRequest>,
) -> ApiResult<Json<BulkResponse>> {
    let outcomes = bulk::apply(&app, &who, request).await?;
    Ok(Json(BulkResponse {
        results: outcomes.into_iter().map(Into::into).collect(),
    }))
}

/// A reply or note, from JSON or from a multipart form with files.
#[derive(Debug)]
pub struct CommentInput {
    draft: CommentDraft,
    files: Vec<Upload>,
}

fn visibility_field(form: &Form) -> Result<Option<Visibility>, ApiError> {
    form.text("visibility")
        .map(|v| {
            <Visibility as Named>::parse(v)
                .map_err(|e| ApiError::Action(ActionError::Validation(vec![e.on("visibility")])))
        })
        .transpose()
}

impl FromRequest<AppState> for CommentInput {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &AppState) -> Result<Self, Self::Rejection> {
        if !is_multipart(req.headers()) {
            let ApiJson(draft) = ApiJson::<CommentDraft>::from_request(req, app).await?;
            return Ok(CommentInput {
                draft,
                files: Vec::new(),
            });
        }
        let multipart =
            Multipart::from_request(req, app)
                .await
                .map_err(|e| ApiError::BadRequest {
                    code: "invalid_multipart",
                    message: e.body_text(),
                })?;
        let form = read_form(multipart, app, &["body", "visibility"]).await?;
        let body = LongText::parse(form.text("body").unwrap_or_default())
            .map_err(|e| ApiError::Action(ActionError::Validation(vec![e.on("body")])))?;
        let visibility = visibility_field(&form)?;
        Ok(CommentInput {
            draft: CommentDraft {
                body,
                visibility,
                work: None,
            },
            files: form.files,
        })
    }
}

/// Add a public reply or an internal note (staff), as JSON or multipart with `file` parts.
#[utoipa::path(post, path = "/cases/{number}/comments", tag = "cases", params(("number" = String, Path)), request_body = CommentDraft,
    responses((status = 201, body = CaseEvent), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`case_closed`: a public reply to a closed or cancelled case"), (status = 413, body = ErrorBody)))]
async fn add_comment(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
    input: CommentInput,
) -> ApiResult<(StatusCode, Json<CaseEvent>)> {
    Ok((
        StatusCode::CREATED,
        Json(comments::add(&app, &who, number, input.draft, input.files).await?),
    ))
}

/// The attachments of a case you may see.
#[utoipa::path(get, path = "/cases/{number}/attachments", tag = "cases", params(("number" = String, Path)),
    responses((status = 200, body = Vec<AttachmentMeta>), (status = 404, body = ErrorBody)))]
async fn list_attachments(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
) -> ApiResult<Json<Vec<AttachmentMeta>>> {
    Ok(Json(attachments::list(&app, &who, number).await?))
}

/// The parts of an upload, for the document only (`read_form` reads them): any other part is
/// refused.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct AttachmentUpload {
    /// The files, each in a part named `file`.
    #[schema(value_type = Vec<String>, format = Binary, min_items = 1)]
    file: Vec<Vec<u8>>,
    /// `public` (default) or `internal` (staff only).
    visibility: Option<Visibility>,
}

/// Attach files (multipart `file` parts; optional `visibility`, staff only `internal`).
#[utoipa::path(post, path = "/cases/{number}/attachments", tag = "cases", params(("number" = String, Path)),
    request_body(content = AttachmentUpload, content_type = "multipart/form-data", description = "`file` parts and an optional `visibility`"),
    responses((status = 201, body = CaseEvent), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_attachments(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
    headers: HeaderMap,
    request: Request,
) -> ApiResult<(StatusCode, Json<CaseEvent>)> {
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
    let form = read_form(multipart, &app, &["visibility"]).await?;
    let visibility = visibility_field(&form)?;
    Ok((
        StatusCode::CREATED,
        Json(attachments::add(&app, &who, number, visibility, form.files).await?),
    ))
}

/// Media types that a browser could run; they are always served as plain bytes.
fn served_type(declared: &str) -> &str {
    let active = ["html", "xml", "svg", "javascript", "ecmascript", "xhtml"];
    if active.iter().any(|a| declared.contains(a)) {
        "application/octet-stream"
    } else {
        declared
    }
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded`.
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Download an attachment: always as a download (`Content-Disposition: attachment`), never
/// sniffed, sandboxed.
#[utoipa::path(get, path = "/cases/{number}/attachments/{id}", tag = "cases", params(("number" = String, Path), ("id" = i64, Path)),
    responses((status = 200, description = "the file, with the type it was uploaded with (active types as application/octet-stream)", content_type = "*/*"), (status = 404, body = ErrorBody)))]
async fn download_attachment(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath((number, id)): ApiPath<(CaseNumber, AttachmentId)>,
) -> ApiResult<Response> {
    let (meta, content) = attachments::download(&app, &who, number, id).await?;
    let served = served_type(&meta.content_type).to_owned();
    let disposition = content_disposition(&meta.file_name);
    file_response(
        &meta,
        content,
        served,
        disposition,
        "sandbox; default-src 'none'",
        "DENY",
    )
}

/// A file with the headers that keep a browser from running or sniffing it.
fn file_response(
    meta: &AttachmentMeta,
    content: Vec<u8>,
    content_type: String,
    disposition: String,
    policy: &str,
    frames: &str,
) -> ApiResult<Response> {
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_DISPOSITION, disposition),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (header::CONTENT_SECURITY_POLICY, policy.to_owned()),
        (header::X_FRAME_OPTIONS, frames.to_owned()),
        (header::CACHE_CONTROL, "private, no-cache".to_owned()),
        (header::ETAG, format!("\"{}\"", meta.sha256)),
    ];
    let mut response = Response::new(Body::from(content));
    for (name, value) in headers {
        let value =
            HeaderValue::from_str(&value).map_err(|e| ActionError::Internal(e.to_string()))?;
        response.headers_mut().insert(name, value);
    }
    Ok(response)
}

/// An image (PNG, JPEG, GIF, WebP) or PDF attachment to show in a page (`Content-Disposition:
/// inline`), never sniffed; any other type is not shown inline (404: download it instead).
#[utoipa::path(get, path = "/cases/{number}/attachments/{id}/inline", tag = "cases",
    params(("number" = String, Path), ("id" = i64, Path)),
    responses((status = 200, description = "the image or PDF", content_type = "*/*"),
        (status = 404, body = ErrorBody)))]
async fn inline_attachment(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath((number, id)): ApiPath<(CaseNumber, AttachmentId)>,
) -> ApiResult<Response> {
    let (meta, content) = attachments::download(&app, &who, number, id).await?;
    if !crate::edge::attachment_text::inline_type(&meta.content_type) {
        return Err(ActionError::NotFound("inline preview").into());
    }
    let disposition = content_disposition(&meta.file_name).replacen("attachment", "inline", 1);
    // Images: nothing in them may run. PDFs: the browser's viewer must run, in its own
    // process, so the sandbox directive (which would stop it) is left out.
    let policy = if meta.content_type == "application/pdf" {
        "default-src 'none'; frame-ancestors 'self'"
    } else {
        "sandbox; default-src 'none'; frame-ancestors 'self'"
    };
    let content_type = meta.content_type.clone();
    file_response(
        &meta,
        content,
        content_type,
        disposition,
        policy,
        "SAMEORIGIN",
    )
}

/// The timeline of a case in time order (customers never see internal notes).
#[utoipa::path(get, path = "/cases/{number}/timeline", tag = "cases", params(("number" = String, Path), Paging),
    responses((status = 200, body = List<CaseEvent>), (status = 404, body = ErrorBody)))]
async fn get_timeline(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<List<CaseEvent>>> {
    Ok(Json(
        comments::timeline(&app, &who, number, &paging.request()?)
            .await?
            .into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_are_named_safely() {
        assert_eq!(
            content_disposition("日志 1.log"),
            "attachment; filename=\"__ 1.log\"; filename*=UTF-8''%E6%97%A5%E5%BF%97%201.log"
        );
        assert_eq!(served_type("text/html"), "application/octet-stream");
        assert_eq!(served_type("image/svg+xml"), "application/octet-stream");
        assert_eq!(served_type("image/png"), "image/png");
    }
}
