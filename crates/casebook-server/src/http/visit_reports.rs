//! Handlers of a visit's end and planning (docs/field-service.md): the customer's sign-off
//! (drawn, or with a one-time code mailed to the contact) that makes the service report, the
//! dispatch board of a day or week, and the assignment of engineers to a planned visit.

use axum::Json;
use axum::extract::State;
use casebook_domain::field::board::Board;
use casebook_domain::field::signature::SignOff;
use casebook_domain::field::visit::{Assignment, Visit};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::actions::field::board;
use crate::actions::field::visit_signing::{self, CodeSent};
use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_code))
        .routes(routes!(sign))
        .routes(routes!(assign))
        .routes(routes!(dispatch_board))
}

/// Mail a one-time code to the case's contact, for a customer who cannot sign on the screen
/// (staff). The code works once, for 30 minutes, five tries in all; a new one replaces it, at
/// most once a minute (409 `sign_code_wait`).
#[utoipa::path(post, path = "/visits/{id}/sign-code", tag = "field", params(("id" = i64, Path)),
    responses((status = 200, body = CodeSent), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`visit_state`, `visit_signed`, `visit_no_contact` or `sign_code_wait`")))]
async fn send_code(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CodeSent>> {
    Ok(Json(visit_signing::send_code(&app, &who, id).await?))
}

/// The customer signs the completed visit on the engineer's device (staff signed in): a
/// drawing (SVG strokes or PNG, 422 `unsafe` for an SVG that could run anything) or the
/// one-time code, and the signer's name. The service report is made in the customer's
/// language, kept on the case and mailed; a signed visit cannot be signed again.
#[utoipa::path(post, path = "/visits/{id}/signature", tag = "field", params(("id" = i64, Path)), request_body = SignOff,
    responses((status = 200, body = Visit), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`visit_state`, `visit_signed`, `sign_code_missing`, `sign_code_expired` or `sign_code_spent`"),
        (status = 422, body = ErrorBody)))]
async fn sign(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<SignOff>,
) -> ApiResult<Json<Visit>> {
    Ok(Json(visit_signing::sign(&app, &who, id, request).await?))
}

/// Assign the engineers of a planned visit, and maybe move it (staff).
#[utoipa::path(put, path = "/visits/{id}/engineers", tag = "field", params(("id" = i64, Path)), request_body = Assignment,
    responses((status = 200, body = Visit), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn assign(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<Assignment>,
) -> ApiResult<Json<Visit>> {
    Ok(Json(board::assign(&app, &who, id, request).await?))
}

/// Which days the board shows.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// The first day, in the desk's time zone (default: today).
    #[param(value_type = Option<String>, format = Date)]
    from: Option<jiff::civil::Date>,
    /// How many days, 1 to 14 (default 7).
    #[param(minimum = 1, maximum = 14)]
    days: Option<i64>,
}

/// The dispatch board (staff): the visits of the days asked for by engineer, unassigned
/// visits first, each engineer's overlapping visits flagged.
#[utoipa::path(get, path = "/dispatch-board", tag = "field", params(BoardQuery),
    responses((status = 200, body = Board), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn dispatch_board(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> ApiResult<Json<Board>> {
    let from = q
        .from
        .unwrap_or_else(|| app.clock.now().to_zoned(app.config.time_zone()).date());
    Ok(Json(
        board::board(&app, &who, from, q.days.unwrap_or(7)).await?,
    ))
}
