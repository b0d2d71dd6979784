//! The HTTP API: routes, OpenAPI 3.1 generated from the handlers, middleware. Handlers are thin:
//! they parse input, call one action and render its result.

pub mod articles;
pub mod calendars;
pub mod call_home;
pub mod case_links;
pub mod cases;
pub mod contracts;
pub mod dashboard;
pub mod directory;
pub mod duty;
pub mod error;
pub mod exports;
pub mod extract;
pub mod faults;
pub mod integrations;
pub mod mail;
pub mod openapi;
pub mod page;
pub mod plans;
pub mod remote;
pub mod replies;
pub mod search;
pub mod sla;
pub mod surveys;
pub mod system;
pub mod users;
pub mod visit_reports;
pub mod visits;
pub mod webhooks;
pub mod work;

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::actions::ActionError;
use crate::app::AppState;
use error::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(title = "Casebook API", description = "Technical-support and after-sales service desk. Errors: {\"error\": {\"code\", \"message\", \"details\"}}."),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
    tags((name = "cases"), (name = "call-home"), (name = "directory"), (name = "users"), (name = "auth"), (name = "mail"), (name = "search"), (name = "surveys"), (name = "reports"), (name = "integrations"), (name = "duty"), (name = "field"), (name = "system")),
    components(schemas(casebook_domain::events::Event))
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                extract::SESSION_COOKIE,
                "Session cookie from POST /api/v1/auth/sign-in; state changes also need X-CSRF-Token.",
            ))),
        );
    }
}

fn api() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .merge(articles::routes())
        .merge(calendars::routes())
        .merge(call_home::routes())
        .merge(contracts::routes())
        .merge(cases::routes())
        .merge(case_links::routes())
        .merge(plans::routes())
        .merge(sla::routes())
        .merge(directory::routes())
        .merge(users::routes())
        .merge(mail::routes())
        .merge(replies::routes())
        .merge(work::routes())
        .merge(surveys::routes())
        .merge(integrations::routes())
        .merge(duty::routes())
        .merge(remote::routes())
        .merge(visits::routes())
        .merge(visit_reports::routes())
        .merge(faults::routes())
        .merge(dashboard::routes())
        .merge(exports::routes())
        .merge(search::routes())
        .merge(system::api_routes());
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", v1)
        .merge(system::root_routes())
}

/// The OpenAPI document of every route, as served at `/api/v1/openapi.json`.
pub fn openapi() -> serde_json::Value {
    finished(api().split_for_parts().1)
}

fn finished(generated: utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut document = serde_json::to_value(&generated).unwrap_or_default();
    openapi::finish(&mut document);
    document
}

/// A route nobody serves: the API's 404 body.
pub async fn not_found() -> impl IntoResponse {
    ApiError::Action(ActionError::NotFound("route"))
}

/// A handler that panicked: the API's 500 body.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    ApiError::Action(ActionError::Internal("a handler panicked".into())).into_response()
}

/// The API's routes and `/api/v1/openapi.json`, the document of them all.
pub fn routes() -> Router<AppState> {
    let (routes, openapi) = api().split_for_parts();
    let document = finished(openapi);
    routes.route(
        "/api/v1/openapi.json",
        get(move || async move { axum::Json(document) }),
    )
}
