//! Handlers of canned replies and macros: the templates (`/reply-templates`), a template's text
//! for a case, and applying it to a case.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use casebook_domain::CaseNumber;
use casebook_domain::case::Case;
use casebook_domain::policy::Visibility;
use casebook_domain::replies::{
    MacroChanges, ReplyTemplate, ReplyTemplateDraft, ReplyTemplatePatch,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, Auth};
use crate::actions::replies::{self, apply, render};
use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, create_template))
        .routes(routes!(get_template, update_template, delete_template))
        .routes(routes!(render_template))
        .routes(routes!(apply_template))
}

/// The language of a template's text for a case.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderRequest {
    /// `zh-CN` or `en` (default: the caller's language, else Chinese).
    pub lang: Option<String>,
}

/// A template's text for a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenderedReply {
    /// The text with the case's values.
    pub text: String,
    /// A public reply or an internal note.
    pub visibility: Visibility,
    /// What applying it also changes.
    pub changes: MacroChanges,
}

/// Applying a template to a case.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyRequest {
    /// The text to post, as edited; the template's rendered text when absent.
    pub text: Option<String>,
    /// `zh-CN` or `en` (default: the caller's language, else Chinese).
    pub lang: Option<String>,
}

use crate::edge::lang_of;

/// The desk's shared templates and the caller's own (staff), by name.
#[utoipa::path(get, path = "/reply-templates", tag = "cases",
    responses((status = 200, body = Vec<ReplyTemplate>), (status = 403, body = ErrorBody)))]
async fn list_templates(
    State(app): State<AppState>,
    Auth(who): Auth,
) -> ApiResult<Json<Vec<ReplyTemplate>>> {
    Ok(Json(replies::list(&app, &who).await?))
}

/// Writes a template: the caller's own, or shared with the desk (`shared`, managers and admins).
/// Texts are MiniJinja with the placeholders `case.number`, `case.title`, `case.status`,
/// `case.severity`, `case.organization`, `case.url`, `contact.name`, `engineer.name`,
/// `deadline` and `desk.name`; a text that does not render is refused (422).
#[utoipa::path(post, path = "/reply-templates", tag = "cases", request_body = ReplyTemplateDraft,
    responses((status = 201, body = ReplyTemplate), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_template(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(draft): ApiJson<ReplyTemplateDraft>,
) -> ApiResult<(StatusCode, Json<ReplyTemplate>)> {
    let template = replies::create(&app, &who, draft).await?;
    Ok((StatusCode::CREATED, Json(template)))
}

/// One template the caller may see.
#[utoipa::path(get, path = "/reply-templates/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = ReplyTemplate), (status = 404, body = ErrorBody)))]
async fn get_template(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ReplyTemplate>> {
    Ok(Json(replies::get(&app, &who, id).await?))
}

/// Changes a template (the caller's own; shared ones by managers and admins); a stale
/// `version` is refused (409).
#[utoipa::path(patch, path = "/reply-templates/{id}", tag = "cases", params(("id" = i64, Path)),
    request_body = ReplyTemplatePatch,
    responses((status = 200, body = ReplyTemplate), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn update_template(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<ReplyTemplatePatch>,
) -> ApiResult<Json<ReplyTemplate>> {
    Ok(Json(replies::update(&app, &who, id, patch).await?))
}

/// Deletes a template (the caller's own; shared ones by managers and admins); one that is gone
/// already answers 204 too.
#[utoipa::path(delete, path = "/reply-templates/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody)))]
async fn delete_template(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    replies::delete(&app, &who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A template's text for a case, with the case's values (nothing is posted).
#[utoipa::path(post, path = "/cases/{number}/reply-templates/{id}/render", tag = "cases",
    params(("number" = String, Path), ("id" = i64, Path)), request_body = RenderRequest,
    responses((status = 200, body = RenderedReply), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn render_template(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath((number, id)): ApiPath<(CaseNumber, i64)>,
    ApiJson(body): ApiJson<RenderRequest>,
) -> ApiResult<Json<RenderedReply>> {
    // A case the caller may not see does not exist for them, whatever else is wrong.
    crate::actions::cases::get(&app, &who, number).await?;
    let lang = lang_of(body.lang.as_deref(), &who)?;
    let template = replies::get(&app, &who, id).await?;
    let text = render::text_for(&app, &who, &template, number, lang).await?;
    Ok(Json(RenderedReply {
        text,
        visibility: template.visibility,
        changes: template.changes,
    }))
}

/// Applies a template to a case: posts its text (or `text`, as edited) and makes a macro's
/// changes, with the template's name as the reason; a status the case cannot move to now is
/// refused before anything is posted (422).
#[utoipa::path(post, path = "/cases/{number}/reply-templates/{id}/apply", tag = "cases",
    params(("number" = String, Path), ("id" = i64, Path)), request_body = ApplyRequest,
    responses((status = 200, body = Case), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn apply_template(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath((number, id)): ApiPath<(CaseNumber, i64)>,
    ApiJson(body): ApiJson<ApplyRequest>,
) -> ApiResult<Json<Case>> {
    let lang = lang_of(body.lang.as_deref(), &who)?;
    Ok(Json(
        apply::apply(&app, &who, id, number, body.text, lang).await?,
    ))
}
