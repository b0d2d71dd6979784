//! Handlers of the mail channel: the quarantine review (staff) and the texts of the mail
//! Casebook sends (admins).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use casebook_domain::CaseNumber;
use casebook_domain::case::Case;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, Auth};
use crate::actions::mail::review::{self, MailDetail, OpenFromMail, QuarantineItem, RefusedMail};
use crate::actions::notify::templates::{self, MailTemplate, MailTemplateEdit};
use crate::app::AppState;
use crate::edge::eml_download;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates))
        .routes(routes!(get_template, save_template, reset_template))
        .routes(routes!(quarantine))
        .routes(routes!(refused))
        .routes(routes!(message))
        .routes(routes!(raw_message))
        .routes(routes!(release))
        .routes(routes!(open_case))
        .routes(routes!(discard))
}

/// The quarantine, newest first (staff; at most 200).
#[utoipa::path(get, path = "/mail/quarantine", tag = "mail",
    responses((status = 200, body = Vec<QuarantineItem>), (status = 403, body = ErrorBody)))]
async fn quarantine(
    State(app): State<AppState>,
    Auth(who): Auth,
) -> ApiResult<Json<Vec<QuarantineItem>>> {
    let held = review::quarantine(&app, &who, 200).await?;
    Ok(Json(held.into_iter().map(Into::into).collect()))
}

/// Mail refused for being larger than `mail.max_message_bytes`, newest first (staff; at most
/// 200): who sent what, how large, and which way it came. The messages are not kept.
#[utoipa::path(get, path = "/mail/refused", tag = "mail",
    responses((status = 200, body = Vec<RefusedMail>), (status = 403, body = ErrorBody)))]
async fn refused(
    State(app): State<AppState>,
    Auth(who): Auth,
) -> ApiResult<Json<Vec<RefusedMail>>> {
    Ok(Json(review::refused(&app, &who, 200).await?))
}

/// A stored message with its new text and attachment names (staff).
#[utoipa::path(get, path = "/mail/messages/{id}", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, body = MailDetail), (status = 404, body = ErrorBody)))]
async fn message(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<MailDetail>> {
    Ok(Json(review::read(&app, &who, id).await?))
}

/// The raw message as kept, as a download (staff).
#[utoipa::path(get, path = "/mail/messages/{id}/raw", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, description = "the raw message", content_type = "message/rfc822"), (status = 404, body = ErrorBody)))]
async fn raw_message(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let raw = review::raw(&app, &who, id).await?;
    Ok(eml_download(id, raw))
}

/// Where to release a message.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReleaseTo {
    /// The case, e.g. `2026-00042`.
    #[schema(value_type = String)]
    case_number: CaseNumber,
}

/// Releases a quarantined message into a case: the sender's reply if they may see the case,
/// otherwise an internal note quoting them (staff). 409 when it was reviewed already or
/// cannot be read within the limits.
#[utoipa::path(post, path = "/mail/messages/{id}/release", tag = "mail", params(("id" = i64, Path)), request_body = ReleaseTo,
    responses((status = 200, body = MailDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn release(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(to): ApiJson<ReleaseTo>,
) -> ApiResult<Json<MailDetail>> {
    Ok(Json(review::release(&app, &who, id, to.case_number).await?))
}

/// Opens a case with a quarantined message for an organisation (staff).
#[utoipa::path(post, path = "/mail/messages/{id}/open", tag = "mail", params(("id" = i64, Path)), request_body = OpenFromMail,
    responses((status = 201, body = Case), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn open_case(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(how): ApiJson<OpenFromMail>,
) -> ApiResult<(StatusCode, Json<Case>)> {
    Ok((
        StatusCode::CREATED,
        Json(review::open_case(&app, &who, id, how).await?),
    ))
}

/// Why a message is discarded.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DiscardNote {
    /// A note for the record.
    #[serde(default)]
    reason: String,
}

/// Discards a quarantined message; it stays stored with the note (staff).
#[utoipa::path(post, path = "/mail/messages/{id}/discard", tag = "mail", params(("id" = i64, Path)), request_body = DiscardNote,
    responses((status = 200, body = MailDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn discard(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(note): ApiJson<DiscardNote>,
) -> ApiResult<Json<MailDetail>> {
    Ok(Json(review::discard(&app, &who, id, &note.reason).await?))
}

/// Every kind of mail in both languages, as it is sent now, with a preview (admins).
#[utoipa::path(get, path = "/mail-templates", tag = "mail",
    responses((status = 200, body = Vec<MailTemplate>), (status = 403, body = ErrorBody)))]
async fn list_templates(
    State(app): State<AppState>,
    Auth(who): Auth,
) -> ApiResult<Json<Vec<MailTemplate>>> {
    Ok(Json(templates::list(&app, &who).await?))
}

/// One kind of mail in one language (`zh-CN` or `en`) (admins).
#[utoipa::path(get, path = "/mail-templates/{kind}/{lang}", tag = "mail",
    params(("kind" = String, Path, example = "case_opened"), ("lang" = String, Path, example = "zh-CN")),
    responses((status = 200, body = MailTemplate), (status = 404, body = ErrorBody)))]
async fn get_template(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath((kind, lang)): ApiPath<(String, String)>,
) -> ApiResult<Json<MailTemplate>> {
    Ok(Json(templates::get(&app, &who, &kind, &lang).await?))
}

/// Replaces the text (MiniJinja, sandboxed). Refused with 422 when it does not render with the
/// sample values of its kind, 409 when `version` is not the current one (0 for the built-in).
#[utoipa::path(put, path = "/mail-templates/{kind}/{lang}", tag = "mail",
    params(("kind" = String, Path), ("lang" = String, Path)), request_body = MailTemplateEdit,
    responses((status = 200, body = MailTemplate), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn save_template(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath((kind, lang)): ApiPath<(String, String)>,
    ApiJson(edit): ApiJson<MailTemplateEdit>,
) -> ApiResult<Json<MailTemplate>> {
    Ok(Json(templates::save(&app, &who, &kind, &lang, edit).await?))
}

/// Goes back to the built-in text.
#[utoipa::path(delete, path = "/mail-templates/{kind}/{lang}", tag = "mail",
    params(("kind" = String, Path), ("lang" = String, Path)),
    responses((status = 200, body = MailTemplate), (status = 404, body = ErrorBody)))]
async fn reset_template(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath((kind, lang)): ApiPath<(String, String)>,
) -> ApiResult<Json<MailTemplate>> {
    Ok(Json(templates::reset(&app, &who, &kind, &lang).await?))
}
