//! Our own stylesheet, script and icon, compiled into the binary and served with a content hash in
//! their URL so browsers may keep them for a year.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::app::AppState;

const CSS: &str = include_str!("../../assets/app.css");
const JS: &str = include_str!("../../assets/app.js");
const ICON: &str = include_str!("../../assets/icon.svg");

fn short_hash(text: &str) -> String {
    hex::encode(&Sha256::digest(text.as_bytes())[..6])
}

static CSS_HASH: LazyLock<String> = LazyLock::new(|| short_hash(CSS));
static JS_HASH: LazyLock<String> = LazyLock::new(|| short_hash(JS));

/// The URL of the stylesheet.
pub fn css_url() -> String {
    format!("/assets/app.{}.css", *CSS_HASH)
}

/// The URL of the script.
pub fn js_url() -> String {
    format!("/assets/app.{}.js", *JS_HASH)
}

async fn asset(Path(name): Path<String>) -> Response {
    let (body, kind) = if name == format!("app.{}.css", *CSS_HASH) {
        (CSS, "text/css; charset=utf-8")
    } else if name == format!("app.{}.js", *JS_HASH) {
        (JS, "text/javascript; charset=utf-8")
    } else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    response
}

async fn icon() -> Response {
    let mut response = ICON.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}

/// `GET /assets/{name}` and the site icon.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assets/{name}", get(asset))
        .route("/favicon.ico", get(icon))
        .route("/favicon.svg", get(icon))
}
