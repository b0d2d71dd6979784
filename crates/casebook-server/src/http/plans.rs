//! Handlers for support plans.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use casebook_domain::sla::plan::{Plan, PlanId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth, IfMatch};
use super::page::{List, Paging};
use crate::actions::contracts::plans::{self, PlanInput};
use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plans, create_plan))
        .routes(routes!(get_plan, replace_plan))
}

/// List support plans (staff).
#[utoipa::path(get, path = "/plans", tag = "sla", params(Paging),
    responses((status = 200, body = List<Plan>), (status = 403, body = ErrorBody)))]
async fn list_plans(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<List<Plan>>> {
    Ok(Json(
        plans::list(&app, &who, &paging.request()?).await?.into(),
    ))
}

/// Create a support plan (admins): per severity a calendar and targets, channel overrides, pause
/// statuses and escalation steps.
#[utoipa::path(post, path = "/plans", tag = "sla", request_body = PlanInput,
    responses((status = 201, body = Plan), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_plan(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(input): ApiJson<PlanInput>,
) -> ApiResult<(StatusCode, Json<Plan>)> {
    Ok((
        StatusCode::CREATED,
        Json(plans::create(&app, &who, input).await?),
    ))
}

/// Read a support plan (staff).
#[utoipa::path(get, path = "/plans/{id}", tag = "sla", params(("id" = String, Path, example = "standard")),
    responses((status = 200, body = Plan), (status = 404, body = ErrorBody)))]
async fn get_plan(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<PlanId>,
) -> ApiResult<Json<Plan>> {
    Ok(Json(plans::get(&app, &who, &id).await?))
}

/// Replace a support plan (admins); `"is_default": true` makes it the default.
#[utoipa::path(put, path = "/plans/{id}", tag = "sla", params(("id" = String, Path)), request_body = PlanInput,
    responses((status = 200, body = Plan), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn replace_plan(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<PlanId>,
    IfMatch(if_match): IfMatch,
    ApiJson(input): ApiJson<PlanInput>,
) -> ApiResult<Json<Plan>> {
    Ok(Json(
        plans::replace(&app, &who, &id, input, if_match).await?,
    ))
}
