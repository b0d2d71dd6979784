//! The whole HTTP application: the API and the pages side by side, with the layers every
//! response passes (body limit, security headers, no caching, panics caught, tracing). It sits
//! above `http` and `web`, which do not know of each other.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::app::AppState;

/// The whole HTTP application.
pub fn router(app: AppState) -> Router {
    let limits = &app.config.limits;
    // JSON bodies are limited by `ApiJson`; this bound covers multipart uploads.
    let upload_limit = limits
        .max_attachment_bytes
        .saturating_mul(limits.max_files_per_request)
        .saturating_add(limits.max_body_bytes);
    crate::http::routes()
        .merge(crate::web::routes(app.clone()))
        .fallback(crate::http::not_found)
        .layer(DefaultBodyLimit::max(upload_limit))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cache-control"),
            HeaderValue::from_static("no-store"),
        ))
        .layer(CatchPanicLayer::custom(crate::http::panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}
