//! Handlers of on-site visits and spare parts (docs/field-service.md): a case's visits and the
//! dispatch of one, a visit's steps (check in, complete, cancel), and for staff the parts
//! catalogue, depots and stock.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use casebook_domain::CaseNumber;
use casebook_domain::field::parts::{
    Depot, DepotDraft, ItemState, Part, PartDraft, StockItem, StockLevel, StockMovement,
};
use casebook_domain::field::visit::{CheckIn, Completion, Visit, VisitDraft};
use casebook_domain::ids::ProductId;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::actions::field::parts;
use crate::actions::field::visits::{self, Cancel};
use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(case_visits, dispatch))
        .routes(routes!(get_visit))
        .routes(routes!(check_in))
        .routes(routes!(complete))
        .routes(routes!(cancel))
        .routes(routes!(list_parts, create_part))
        .routes(routes!(list_depots, create_depot))
        .routes(routes!(stock))
        .routes(routes!(stock_items))
        .routes(routes!(move_stock))
}

/// A case's on-site visits, oldest first.
#[utoipa::path(get, path = "/cases/{number}/visits", tag = "field", params(("number" = String, Path)),
    responses((status = 200, body = Vec<Visit>), (status = 404, body = ErrorBody)))]
async fn case_visits(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
) -> ApiResult<Json<Vec<Visit>>> {
    Ok(Json(visits::of_case(&app, &who, number).await?))
}

/// Dispatch an on-site visit from a case (staff): engineers, site, planned arrival and spare
/// parts reserved (409 `stock_short` when a part is not free at its depot: nothing is kept).
/// Starts the plan's on-site arrival clock.
#[utoipa::path(post, path = "/cases/{number}/visits", tag = "field", params(("number" = String, Path)),
    request_body = VisitDraft,
    responses((status = 201, body = Visit), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`stock_short`, or `visit_case_closed`"), (status = 422, body = ErrorBody)))]
async fn dispatch(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
    ApiJson(draft): ApiJson<VisitDraft>,
) -> ApiResult<(StatusCode, Json<Visit>)> {
    Ok((
        StatusCode::CREATED,
        Json(visits::dispatch(&app, &who, number, draft).await?),
    ))
}

/// A visit.
#[utoipa::path(get, path = "/visits/{id}", tag = "field", params(("id" = i64, Path)),
    responses((status = 200, body = Visit), (status = 404, body = ErrorBody)))]
async fn get_visit(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Visit>> {
    Ok(Json(visits::get(&app, &who, id).await?))
}

/// The engineer arrived (staff): meets the on-site arrival clock.
#[utoipa::path(post, path = "/visits/{id}/check-in", tag = "field", params(("id" = i64, Path)), request_body = CheckIn,
    responses((status = 200, body = Visit), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn check_in(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<CheckIn>,
) -> ApiResult<Json<Visit>> {
    Ok(Json(visits::check_in(&app, &who, id, request).await?))
}

/// The work is done (staff): parts used with their serial numbers (into the units' history),
/// unused parts back to stock, each engineer's travel and on-site time recorded.
#[utoipa::path(post, path = "/visits/{id}/complete", tag = "field", params(("id" = i64, Path)), request_body = Completion,
    responses((status = 200, body = Visit), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn complete(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<Completion>,
) -> ApiResult<Json<Visit>> {
    Ok(Json(visits::complete(&app, &who, id, request).await?))
}

/// Call off a planned visit (staff): its parts go back to stock.
#[utoipa::path(post, path = "/visits/{id}/cancel", tag = "field", params(("id" = i64, Path)), request_body = Cancel,
    responses((status = 200, body = Visit), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn cancel(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<Cancel>,
) -> ApiResult<Json<Visit>> {
    Ok(Json(visits::cancel(&app, &who, id, request).await?))
}

/// Which parts to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PartsQuery {
    /// Only the parts this product uses.
    #[param(value_type = Option<i64>, minimum = 1)]
    product: Option<ProductId>,
}

/// The spare parts catalogue (staff).
#[utoipa::path(get, path = "/parts", tag = "field", params(PartsQuery),
    responses((status = 200, body = Vec<Part>), (status = 403, body = ErrorBody)))]
async fn list_parts(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<PartsQuery>,
) -> ApiResult<Json<Vec<Part>>> {
    Ok(Json(parts::list(&app, &who, q.product).await?))
}

/// Add a part to the catalogue (staff).
#[utoipa::path(post, path = "/parts", tag = "field", request_body = PartDraft,
    responses((status = 201, body = Part), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_part(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(draft): ApiJson<PartDraft>,
) -> ApiResult<(StatusCode, Json<Part>)> {
    Ok((
        StatusCode::CREATED,
        Json(parts::create(&app, &who, draft).await?),
    ))
}

/// The depots (staff).
#[utoipa::path(get, path = "/depots", tag = "field",
    responses((status = 200, body = Vec<Depot>), (status = 403, body = ErrorBody)))]
async fn list_depots(State(app): State<AppState>, Auth(who): Auth) -> ApiResult<Json<Vec<Depot>>> {
    Ok(Json(parts::depots(&app, &who).await?))
}

/// Add a depot (staff).
#[utoipa::path(post, path = "/depots", tag = "field", request_body = DepotDraft,
    responses((status = 201, body = Depot), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_depot(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(draft): ApiJson<DepotDraft>,
) -> ApiResult<(StatusCode, Json<Depot>)> {
    Ok((
        StatusCode::CREATED,
        Json(parts::create_depot(&app, &who, draft).await?),
    ))
}

/// Which stock to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StockQuery {
    /// One depot.
    #[param(minimum = 1)]
    depot: Option<i64>,
    /// One part.
    #[param(minimum = 1)]
    part: Option<i64>,
}

/// Stock levels by depot and part: on hand, reserved by visits, free (staff).
#[utoipa::path(get, path = "/stock", tag = "field", params(StockQuery),
    responses((status = 200, body = Vec<StockLevel>), (status = 403, body = ErrorBody)))]
async fn stock(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<StockQuery>,
) -> ApiResult<Json<Vec<StockLevel>>> {
    Ok(Json(parts::stock(&app, &who, q.depot, q.part).await?))
}

/// Which items to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ItemsQuery {
    /// One depot.
    #[param(minimum = 1)]
    depot: Option<i64>,
    /// One part.
    #[param(minimum = 1)]
    part: Option<i64>,
    /// One state.
    state: Option<ItemState>,
}

/// Items of serialised parts by serial number: in stock, used on a visit, written off or
/// returned defective (staff).
#[utoipa::path(get, path = "/stock/items", tag = "field", params(ItemsQuery),
    responses((status = 200, body = Vec<StockItem>), (status = 403, body = ErrorBody)))]
async fn stock_items(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<ItemsQuery>,
) -> ApiResult<Json<Vec<StockItem>>> {
    Ok(Json(
        parts::items(&app, &who, q.depot, q.part, q.state).await?,
    ))
}

/// Receive stock at a depot, or write it off with a negative quantity (staff; never more than
/// is free: 409 `stock_short`). For a serialised part, `serials` names each item (as many as
/// the quantity): received ones are kept by serial number (409 `duplicate_serial` for one in
/// stock or in use already), written-off ones must be in stock there.
#[utoipa::path(post, path = "/depots/{id}/stock", tag = "field", params(("id" = i64, Path)), request_body = StockMovement,
    responses((status = 200, body = StockLevel), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn move_stock(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(movement): ApiJson<StockMovement>,
) -> ApiResult<Json<StockLevel>> {
    Ok(Json(parts::move_stock(&app, &who, id, movement).await?))
}
