//! Handlers of the on-duty rota (`/duty/…`): the rota now, next and by day, shifts, who is on
//! duty for each occurrence, swaps, the pages to the duty engineer with their acknowledgement,
//! and how robots @-mention a member of staff (`/users/{id}/duty-contact`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use casebook_domain::duty::ShiftDraft;
use jiff::civil::Date;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::actions::duty::pages::{self, PageView};
use crate::actions::duty::rota::{self, AssignmentInput, ContactInput, Rota, ShiftView, SwapInput};
use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_rota))
        .routes(routes!(list_shifts, create_shift))
        .routes(routes!(update_shift, delete_shift))
        .routes(routes!(assign))
        .routes(routes!(swap))
        .routes(routes!(list_pages))
        .routes(routes!(acknowledge))
        .routes(routes!(set_contact))
}

/// Which dates of the rota.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RotaQuery {
    /// The first date, `YYYY-MM-DD` (default today in the duty calendar's zone).
    #[param(value_type = Option<String>, format = Date)]
    from: Option<Date>,
    /// How many dates, 1–31 (default 14).
    #[param(minimum = 1, maximum = 31)]
    days: Option<u16>,
}

/// Who is on duty now, each team's next shift, and every occurrence of the dates asked for
/// (staff).
#[utoipa::path(get, path = "/duty/rota", tag = "duty", params(RotaQuery),
    responses((status = 200, body = Rota), (status = 403, body = ErrorBody)))]
async fn get_rota(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<RotaQuery>,
) -> ApiResult<Json<Rota>> {
    Ok(Json(rota::rota(&app, &who, q.from, q.days).await?))
}

/// The shifts (staff).
#[utoipa::path(get, path = "/duty/shifts", tag = "duty",
    responses((status = 200, body = Vec<ShiftView>), (status = 403, body = ErrorBody)))]
async fn list_shifts(
    State(app): State<AppState>,
    Auth(who): Auth,
) -> ApiResult<Json<Vec<ShiftView>>> {
    Ok(Json(rota::shifts(&app, &who).await?))
}

/// Adds a shift to a team's rota (managers and administrators).
#[utoipa::path(post, path = "/duty/shifts", tag = "duty", request_body = ShiftDraft,
    responses((status = 201, body = ShiftView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_shift(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(draft): ApiJson<ShiftDraft>,
) -> ApiResult<(StatusCode, Json<ShiftView>)> {
    Ok((
        StatusCode::CREATED,
        Json(rota::create_shift(&app, &who, draft).await?),
    ))
}

/// Replaces a shift (managers and administrators).
#[utoipa::path(put, path = "/duty/shifts/{id}", tag = "duty", params(("id" = i64, Path)), request_body = ShiftDraft,
    responses((status = 200, body = ShiftView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn update_shift(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(draft): ApiJson<ShiftDraft>,
) -> ApiResult<Json<ShiftView>> {
    Ok(Json(rota::update_shift(&app, &who, id, draft).await?))
}

/// Removes a shift with its assignments and pages (managers and administrators); one that is
/// gone already answers 204 too.
#[utoipa::path(delete, path = "/duty/shifts/{id}", tag = "duty", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody)))]
async fn delete_shift(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    rota::delete_shift(&app, &who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who is on duty for up to 400 occurrences.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignments {
    /// One per occurrence (shift and the date it starts on).
    pub assignments: Vec<AssignmentInput>,
}

/// Sets the duty engineer and manager of occurrences, all or nothing (managers and
/// administrators). An occurrence on a date its shift does not run on is refused.
#[utoipa::path(put, path = "/duty/assignments", tag = "duty", request_body = Assignments,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn assign(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(body): ApiJson<Assignments>,
) -> ApiResult<StatusCode> {
    rota::assign(&app, &who, body.assignments).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Swaps the engineer or manager of one occurrence, with a reason (managers, administrators,
/// or the engineer on duty then).
#[utoipa::path(post, path = "/duty/assignments/{shift}/{date}/swap", tag = "duty",
    params(("shift" = i64, Path), ("date" = String, Path, format = Date)), request_body = SwapInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn swap(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath((shift, date)): ApiPath<(i64, Date)>,
    ApiJson(input): ApiJson<SwapInput>,
) -> ApiResult<StatusCode> {
    rota::swap(&app, &who, shift, date, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The pages to engineers on duty of the last seven days, newest first (staff).
#[utoipa::path(get, path = "/duty/pages", tag = "duty",
    responses((status = 200, body = Vec<PageView>), (status = 403, body = ErrorBody)))]
async fn list_pages(
    State(app): State<AppState>,
    Auth(who): Auth,
) -> ApiResult<Json<Vec<PageView>>> {
    Ok(Json(pages::recent(&app, &who).await?))
}

/// Acknowledges a page: it will not escalate (staff; again changes nothing).
#[utoipa::path(post, path = "/duty/pages/{id}/acknowledge", tag = "duty", params(("id" = i64, Path)),
    responses((status = 200, body = PageView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn acknowledge(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PageView>> {
    Ok(Json(pages::acknowledge(&app, &who, id).await?))
}

/// How the chat robots @-mention a member of staff on duty: their mobile (DingTalk) and their
/// user ids on DingTalk, WeCom and Feishu (themselves or administrators).
#[utoipa::path(put, path = "/users/{id}/duty-contact", tag = "duty", params(("id" = i64, Path)), request_body = ContactInput,
    responses((status = 200, body = ContactInput), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_contact(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ContactInput>,
) -> ApiResult<Json<ContactInput>> {
    Ok(Json(rota::set_contact(&app, &who, id, input).await?))
}
