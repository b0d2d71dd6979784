//! Handlers of integrations (administrators): the event catalogue (`/event-types`), webhook and
//! chat-robot subscriptions (`/subscriptions`), each one's delivery log with the attempts,
//! redelivery and a test send. What a receiver gets is described under `webhooks` in the
//! OpenAPI document (one schema per event type) and in docs/integrations.md.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use casebook_domain::Named;
use casebook_domain::events::EventKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use super::page::{List, Paging};
use crate::actions::integrations::log::{self, AttemptView, DeliveryView, TestResult};
use crate::actions::integrations::subscriptions::{
    self, Saved, SubscriptionInput, SubscriptionView,
};
use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(event_types))
        .routes(routes!(list, create))
        .routes(routes!(get_one, put_one, delete_one))
        .routes(routes!(deliveries))
        .routes(routes!(attempts))
        .routes(routes!(redeliver))
        .routes(routes!(test))
}

/// An event type of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventType {
    /// The type's name, e.g. `case.opened`.
    pub name: &'static str,
    /// What it means.
    pub description: &'static str,
    /// The payload's sections it always carries (`case`, `change`, `reply`, `sla`, `device`,
    /// `survey`); its schema is `Event.<name>` in the OpenAPI document.
    pub sections: Vec<&'static str>,
    /// Whether a subscription may name it (`ping` is only sent by hand).
    pub subscribable: bool,
}

/// The event catalogue (anyone signed in).
#[utoipa::path(get, path = "/event-types", tag = "integrations",
    responses((status = 200, body = Vec<EventType>)))]
async fn event_types(Auth(_who): Auth) -> Json<Vec<EventType>> {
    Json(
        EventKind::ALL
            .iter()
            .map(|k| EventType {
                name: k.as_str(),
                description: k.description(),
                sections: k.sections().iter().map(|s| s.as_str()).collect(),
                subscribable: k.subscribable(),
            })
            .collect(),
    )
}

/// The subscriptions, oldest first (administrators).
#[utoipa::path(get, path = "/subscriptions", tag = "integrations", params(Paging),
    responses((status = 200, body = List<SubscriptionView>), (status = 403, body = ErrorBody)))]
async fn list(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<List<SubscriptionView>>> {
    let page = paging.request()?;
    Ok(Json(subscriptions::list(&app, &who, &page).await?.into()))
}

/// Subscribes a webhook or a chat robot to event types (administrators). A webhook's secret is
/// made when none is given and answered this once. A target whose address is loopback,
/// private, link-local or otherwise not public is refused (422, `url`) unless the
/// configuration allows its network.
#[utoipa::path(post, path = "/subscriptions", tag = "integrations", request_body = SubscriptionInput,
    responses((status = 201, body = Saved), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(input): ApiJson<SubscriptionInput>,
) -> ApiResult<(StatusCode, Json<Saved>)> {
    Ok((
        StatusCode::CREATED,
        Json(subscriptions::create(&app, &who, input).await?),
    ))
}

/// One subscription (administrators).
#[utoipa::path(get, path = "/subscriptions/{id}", tag = "integrations", params(("id" = i64, Path)),
    responses((status = 200, body = SubscriptionView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_one(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SubscriptionView>> {
    Ok(Json(subscriptions::get(&app, &who, id).await?))
}

/// Replaces a subscription at the `version` read (administrators); omit `secret` to keep it.
/// Turning a switched-off subscription on clears its failures; its queue is sent in order.
#[utoipa::path(put, path = "/subscriptions/{id}", tag = "integrations", params(("id" = i64, Path)),
    request_body = SubscriptionInput,
    responses((status = 200, body = Saved), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn put_one(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<SubscriptionInput>,
) -> ApiResult<Json<Saved>> {
    Ok(Json(subscriptions::update(&app, &who, id, input).await?))
}

/// Removes a subscription with its queue and delivery log (administrators); one that is gone
/// already answers 204 too.
#[utoipa::path(delete, path = "/subscriptions/{id}", tag = "integrations", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody)))]
async fn delete_one(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    subscriptions::delete(&app, &who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which deliveries.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Only those still waiting.
    #[serde(default)]
    pending: bool,
    /// Items per page, 1–200 (default 50); another number is refused (422).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A subscription's deliveries, newest first, with the last answer of each (administrators).
#[utoipa::path(get, path = "/subscriptions/{id}/deliveries", tag = "integrations",
    params(("id" = i64, Path), DeliveryQuery),
    responses((status = 200, body = List<DeliveryView>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn deliveries(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> ApiResult<Json<List<DeliveryView>>> {
    let page = Paging {
        limit: q.limit,
        cursor: q.cursor,
    }
    .request()?;
    Ok(Json(
        log::deliveries(&app, &who, id, q.pending, &page)
            .await?
            .into(),
    ))
}

/// The attempts of one delivery, newest first (administrators).
#[utoipa::path(get, path = "/subscriptions/{id}/deliveries/{delivery}/attempts", tag = "integrations",
    params(("id" = i64, Path), ("delivery" = i64, Path)),
    responses((status = 200, body = Vec<AttemptView>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn attempts(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath((id, delivery)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<Vec<AttemptView>>> {
    Ok(Json(log::attempts(&app, &who, id, delivery).await?))
}

/// Sends a delivery again: it goes back into its subscription's queue, due now
/// (administrators).
#[utoipa::path(post, path = "/subscriptions/{id}/deliveries/{delivery}/redeliver", tag = "integrations",
    params(("id" = i64, Path), ("delivery" = i64, Path)),
    responses((status = 202), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn redeliver(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath((id, delivery)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    log::redeliver(&app, &who, id, delivery).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Sends a `ping` event now, signed like any other, and answers what the receiver said
/// (administrators). It works on a switched-off subscription and counts no failure.
#[utoipa::path(post, path = "/subscriptions/{id}/test", tag = "integrations", params(("id" = i64, Path)),
    responses((status = 200, body = TestResult), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn test(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TestResult>> {
    Ok(Json(log::test(&app, &who, id).await?))
}
