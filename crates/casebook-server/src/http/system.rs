//! Handlers for health, the OpenAPI document and the audit log.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use casebook_store::audit::{AuditFilter, StoredAuditEntry};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiQuery, Auth};
use super::page::{List, Paging};
use crate::actions::audit;
use crate::app::AppState;

/// Routes under `/api/v1`.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// Routes at the root.
pub fn root_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz))
}

/// Health of the server and its database.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    status: &'static str,
    /// `ok`, or why the database cannot be used.
    database: String,
}

/// Liveness and database reachability; 503 while the database is unreachable.
#[utoipa::path(get, path = "/healthz", tag = "system", security(()),
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn healthz(State(app): State<AppState>) -> (StatusCode, Json<Health>) {
    match app.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Health {
                status: "ok",
                database: "ok".into(),
            }),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "unavailable",
                database: e.to_string(),
            }),
        ),
    }
}

/// Filters of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Kind of object, e.g. `case`, `organization`.
    object_type: Option<String>,
    /// The object's id or case number.
    object_id: Option<String>,
    /// Items per page, 1–200 (default 50); another number is refused (422).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page; absent or empty: the first page.
    cursor: Option<String>,
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuditEntry)]
pub struct AuditEntryView {
    /// Position in the hash chain.
    seq: i64,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    at: jiff::Timestamp,
    /// Acting user's id.
    actor_id: Option<i64>,
    /// Acting user's e-mail or `system:…`.
    actor_label: String,
    /// What happened, e.g. `case.update`.
    action: String,
    /// Kind of object.
    object_type: String,
    /// Its id or number.
    object_id: String,
    /// The object before: any JSON value (an object, or a list such as subscriptions), or null.
    #[schema(value_type = serde_json::Value)]
    before: Option<serde_json::Value>,
    /// The object after: any JSON value, or null.
    #[schema(value_type = serde_json::Value)]
    after: Option<serde_json::Value>,
    /// Hash of the previous entry.
    prev_hash: String,
    /// SHA-256 over the previous hash and this entry.
    hash: String,
}

impl From<StoredAuditEntry> for AuditEntryView {
    fn from(e: StoredAuditEntry) -> Self {
        AuditEntryView {
            seq: e.seq,
            at: e.at,
            actor_id: e.actor_id,
            actor_label: e.actor_label,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            before: e.before,
            after: e.after,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// The audit log, newest first (administrators and managers).
#[utoipa::path(get, path = "/audit", tag = "system", params(AuditQuery),
    responses((status = 200, body = List<AuditEntryView>), (status = 403, body = ErrorBody)))]
async fn list_audit(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<List<AuditEntryView>>> {
    let filter = AuditFilter {
        object_type: q.object_type,
        object_id: q.object_id,
    };
    let page = Paging {
        limit: q.limit,
        cursor: q.cursor,
    }
    .request()?;
    Ok(Json(
        audit::list(&app, &who, filter, &page)
            .await?
            .map(AuditEntryView::from)
            .into(),
    ))
}
