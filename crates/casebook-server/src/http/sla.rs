//! Handlers for SLA clocks of cases, the time at each tier and with each owner, the urgency
//! queue, and notifications.

use axum::Json;
use axum::extract::State;
use casebook_domain::CaseNumber;
use casebook_store::notifications::Notification;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use super::page::{List, Paging};
use crate::actions::cases::sla::{self, CaseSla, QueueItem};
use crate::actions::cases::{ola, stages};
use crate::actions::notify::in_app::{self, MarkRead, Marked};
use crate::app::AppState;
use casebook_domain::ola::OlaTargets;
use casebook_domain::stages::CaseStages;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(case_sla))
        .routes(routes!(case_stages))
        .routes(routes!(ola_targets, replace_ola_targets))
        .routes(routes!(sla_queue))
        .routes(routes!(list_notifications))
        .routes(routes!(read_notifications))
}

/// The SLA clocks of a case with their event logs: deadline, time used and left, paused,
/// breached (escalations: staff only).
#[utoipa::path(get, path = "/cases/{number}/sla", tag = "sla", params(("number" = String, Path, example = "2026-00042")),
    responses((status = 200, body = CaseSla), (status = 404, body = ErrorBody)))]
async fn case_sla(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
) -> ApiResult<Json<CaseSla>> {
    Ok(Json(sla::of_case(&app, &who, number).await?))
}

/// The business time a case spent at each tier and with each owner (per-tier clocks, OLA), on
/// the calendar of its SLA clocks (staff; internal).
#[utoipa::path(get, path = "/cases/{number}/stages", tag = "sla", params(("number" = String, Path, example = "2026-00042")),
    responses((status = 200, body = CaseStages), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn case_stages(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
) -> ApiResult<Json<CaseStages>> {
    Ok(Json(stages::of_case(&app, &who, number).await?))
}

/// The internal targets per tier and severity (OLA; staff).
#[utoipa::path(get, path = "/ola-targets", tag = "sla",
    responses((status = 200, body = OlaTargets), (status = 403, body = ErrorBody)))]
async fn ola_targets(State(app): State<AppState>, Auth(who): Auth) -> ApiResult<Json<OlaTargets>> {
    Ok(Json(ola::targets(&app, &who).await?))
}

/// Replace every internal target per tier and severity (administrators of service levels). The
/// stays at a tier that last get the new deadlines at once.
#[utoipa::path(put, path = "/ola-targets", tag = "sla", request_body = OlaTargets,
    responses((status = 200, body = OlaTargets), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn replace_ola_targets(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(set): ApiJson<OlaTargets>,
) -> ApiResult<Json<OlaTargets>> {
    Ok(Json(ola::set_targets(&app, &who, set).await?))
}

/// Running SLA clocks of all cases, the nearest deadline first (staff).
#[utoipa::path(get, path = "/sla/queue", tag = "sla", params(Paging),
    responses((status = 200, body = List<QueueItem>), (status = 403, body = ErrorBody)))]
async fn sla_queue(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<List<QueueItem>>> {
    Ok(Json(
        sla::queue(&app, &who, &paging.request()?).await?.into(),
    ))
}

/// Filters of the notification list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only unread ones.
    #[serde(default)]
    unread: bool,
    /// Items per page, 1–200 (default 50); another number is refused (422).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page; absent or empty: the first page.
    cursor: Option<String>,
}

/// Your notifications, newest first.
#[utoipa::path(get, path = "/notifications", tag = "auth", params(NotificationQuery),
    responses((status = 200, body = List<Notification>), (status = 401, body = ErrorBody)))]
async fn list_notifications(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> ApiResult<Json<List<Notification>>> {
    let page = Paging {
        limit: q.limit,
        cursor: q.cursor,
    }
    .request()?;
    Ok(Json(
        in_app::list(&app, &who, q.unread, &page).await?.into(),
    ))
}

/// Mark your notifications read: `{"ids": [1, 2]}` or `{"all": true}`.
#[utoipa::path(post, path = "/notifications/read", tag = "auth", request_body = MarkRead,
    responses((status = 200, body = Marked), (status = 422, body = ErrorBody)))]
async fn read_notifications(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(request): ApiJson<MarkRead>,
) -> ApiResult<Json<Marked>> {
    Ok(Json(in_app::mark_read(&app, &who, request).await?))
}
