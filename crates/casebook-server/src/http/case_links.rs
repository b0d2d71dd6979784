//! Handlers for links between cases, merging a duplicate into another case and splitting a
//! reply into a new case.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use casebook_domain::CaseNumber;
use casebook_domain::case::Case;
use casebook_domain::links::CaseLink;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, Auth, IfMatch};
use crate::actions::cases::links::{self, LinkDraft};
use crate::actions::cases::merge::{self, MergeDraft};
use crate::actions::cases::split::{self, SplitDraft};
use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_links, add_link))
        .routes(routes!(remove_link))
        .routes(routes!(merge_case))
        .routes(routes!(split_reply))
}

/// The links of a case, each seen from it (`role`: what the other case is to this one).
/// Customers see only links between cases of their own organisation that they may open.
#[utoipa::path(get, path = "/cases/{number}/links", tag = "cases", params(("number" = String, Path)),
    responses((status = 200, body = Vec<CaseLink>), (status = 404, body = ErrorBody)))]
async fn list_links(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
) -> ApiResult<Json<Vec<CaseLink>>> {
    Ok(Json(links::list(&app, &who, number).await?))
}

/// Link a case to another (staff): a duplicate, a cause, a related case, a parent problem or a
/// child case. Refused: a second link between the same cases (`already_linked`), a second parent
/// (`has_parent`), a parent/child cycle (`link_cycle`).
#[utoipa::path(post, path = "/cases/{number}/links", tag = "cases", params(("number" = String, Path)), request_body = LinkDraft,
    responses((status = 201, body = CaseLink), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_link(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
    ApiJson(draft): ApiJson<LinkDraft>,
) -> ApiResult<(StatusCode, Json<CaseLink>)> {
    Ok((
        StatusCode::CREATED,
        Json(links::link(&app, &who, number, draft).await?),
    ))
}

/// Remove a link of a case (staff); `204` also when it was removed before.
#[utoipa::path(delete, path = "/cases/{number}/links/{id}", tag = "cases", params(("number" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove_link(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath((number, id)): ApiPath<(CaseNumber, i64)>,
) -> ApiResult<StatusCode> {
    links::unlink(&app, &who, number, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Merge this case (a duplicate) into another of the same organisation (staff). Its timeline
/// and attachments move to the survivor, mail replies to it land there, its clocks stop; it is
/// closed and its `merged_into` names the survivor, which is returned. Send `If-Match` or
/// `version` to refuse the merge if the case changed since you read it (409). Refused:
/// `merge_into_itself`, `already_merged`, `merged_case` (the target was merged itself),
/// `merge_across_organizations`, `case_closed` (the target is closed).
#[utoipa::path(post, path = "/cases/{number}/merge", tag = "cases", params(("number" = String, Path)), request_body = MergeDraft,
    responses((status = 200, body = Case), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn merge_case(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
    IfMatch(if_match): IfMatch,
    ApiJson(draft): ApiJson<MergeDraft>,
) -> ApiResult<Json<Case>> {
    Ok(Json(
        merge::merge(&app, &who, number, draft, if_match).await?,
    ))
}

/// Split a public reply of this case into a new case for the same organisation and contact,
/// with the reply's text and files (staff). The cases are linked `split_from`/`split_into`.
#[utoipa::path(post, path = "/cases/{number}/split", tag = "cases", params(("number" = String, Path)), request_body = SplitDraft,
    responses((status = 201, body = Case), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn split_reply(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
    ApiJson(draft): ApiJson<SplitDraft>,
) -> ApiResult<Response> {
    let case = split::split(&app, &who, number, draft).await?;
    let location = format!("/api/v1/cases/{}", case.number);
    let mut response = (StatusCode::CREATED, Json(case)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}
