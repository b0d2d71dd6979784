//! Handlers for business calendars: CRUD, import, days and deadlines.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use casebook_domain::sla::plan::MAX_TARGET_MINUTES;
use casebook_domain::sla::{CalendarId, CalendarSpec};
use jiff::civil::Date;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth, IfMatch, within};
use super::page::{List, Paging};
use crate::actions::ActionError;
use crate::actions::contracts::calendars::{
    self, CalendarDay, CalendarDraft, CalendarView, Deadline, DeadlineTarget, ImportOutcome,
    ImportRequest,
};
use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_calendars, create_calendar))
        .routes(routes!(get_calendar, replace_calendar))
        .routes(routes!(import_calendar))
        .routes(routes!(calendar_days))
        .routes(routes!(calendar_deadline))
}

/// List calendars, with warnings such as missing holidays for the coming year.
#[utoipa::path(get, path = "/calendars", tag = "sla", params(Paging),
    responses((status = 200, body = List<CalendarView>), (status = 401, body = ErrorBody)))]
async fn list_calendars(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<List<CalendarView>>> {
    Ok(Json(
        calendars::list(&app, &who, &paging.request()?)
            .await?
            .into(),
    ))
}

/// Create a calendar (admins).
#[utoipa::path(post, path = "/calendars", tag = "sla", request_body = CalendarDraft,
    responses((status = 201, body = CalendarView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_calendar(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(draft): ApiJson<CalendarDraft>,
) -> ApiResult<(StatusCode, Json<CalendarView>)> {
    Ok((
        StatusCode::CREATED,
        Json(calendars::create(&app, &who, draft).await?),
    ))
}

/// Read a calendar (`china-5x8`, `24x7` or one of yours).
#[utoipa::path(get, path = "/calendars/{id}", tag = "sla", params(("id" = String, Path, example = "china-5x8")),
    responses((status = 200, body = CalendarView), (status = 404, body = ErrorBody)))]
async fn get_calendar(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<CalendarId>,
) -> ApiResult<Json<CalendarView>> {
    Ok(Json(calendars::get(&app, &who, &id).await?))
}

/// Replace a calendar's definition (admins). Send `If-Match` with the version you read.
#[utoipa::path(put, path = "/calendars/{id}", tag = "sla", params(("id" = String, Path)), request_body = CalendarSpec,
    responses((status = 200, body = CalendarView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn replace_calendar(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<CalendarId>,
    IfMatch(if_match): IfMatch,
    ApiJson(spec): ApiJson<CalendarSpec>,
) -> ApiResult<Json<CalendarView>> {
    Ok(Json(
        calendars::replace(&app, &who, &id, spec, if_match).await?,
    ))
}

/// Import a year's holidays and make-up working days from iCalendar, JSON or CSV (admins).
/// With `"dry_run": true` nothing changes and the answer shows the difference.
#[utoipa::path(post, path = "/calendars/{id}/import", tag = "sla", params(("id" = String, Path)), request_body = ImportRequest,
    responses((status = 200, body = ImportOutcome), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_calendar(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<CalendarId>,
    ApiJson(request): ApiJson<ImportRequest>,
) -> ApiResult<Json<ImportOutcome>> {
    Ok(Json(calendars::import(&app, &who, &id, request).await?))
}

/// A date range.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DaysQuery {
    /// First date, `YYYY-MM-DD`.
    #[param(value_type = String, format = Date)]
    from: Date,
    /// Last date (included), at most 366 days after `from`.
    #[param(value_type = String, format = Date)]
    to: Date,
}

/// Each date of a range: working or not, its hours, and why (weekend, holiday, make-up day).
#[utoipa::path(get, path = "/calendars/{id}/days", tag = "sla", params(("id" = String, Path), DaysQuery),
    responses((status = 200, body = Vec<CalendarDay>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn calendar_days(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<CalendarId>,
    ApiQuery(q): ApiQuery<DaysQuery>,
) -> ApiResult<Json<Vec<CalendarDay>>> {
    Ok(Json(calendars::days(&app, &who, &id, q.from, q.to).await?))
}

/// A deadline request.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeadlineQuery {
    /// The start, RFC 3339 (e.g. `2026-09-30T16:50:00+08:00`).
    start: String,
    /// Working minutes to add, 0 to ten years (5,270,400).
    #[param(minimum = 0, maximum = 5_270_400)]
    minutes: Option<u32>,
    /// `nbd`: the end of the next business day.
    target: Option<String>,
}

/// The deadline a number of working minutes, or the next business day, after a start.
#[utoipa::path(get, path = "/calendars/{id}/deadline", tag = "sla", params(("id" = String, Path), DeadlineQuery),
    responses((status = 200, body = Deadline), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn calendar_deadline(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<CalendarId>,
    ApiQuery(q): ApiQuery<DeadlineQuery>,
) -> ApiResult<Json<Deadline>> {
    let start = q.start.parse().map_err(|_| {
        ActionError::field(
            "start",
            "invalid",
            "an RFC 3339 time with its offset, e.g. 2026-09-30T16:50:00+08:00",
        )
    })?;
    let target = match (q.minutes, q.target.as_deref()) {
        (Some(m), None) => DeadlineTarget::Minutes(within("minutes", m, 0, MAX_TARGET_MINUTES)?),
        (None, Some("nbd")) => DeadlineTarget::NextBusinessDay,
        _ => {
            return Err(ActionError::field(
                "target",
                "required",
                "give either minutes=N or target=nbd",
            )
            .into());
        }
    };
    Ok(Json(
        calendars::deadline(&app, &who, &id, start, target).await?,
    ))
}
