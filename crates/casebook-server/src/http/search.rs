//! Handlers of search: `GET /search` over every kind with the caller's rights, the
//! self-service deflection count, and the synonym groups admins keep.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use casebook_domain::synonyms::{SynonymDraft, SynonymGroup, SynonymPatch};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth, within};
use crate::actions::search::{self, synonyms};
use crate::app::AppState;
pub use crate::edge::queries::{SearchQuery, cursor_at, offset_of, request_of};
use crate::search::Hit;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(find))
        .routes(routes!(count_deflections, add_deflection))
        .routes(routes!(list_synonyms, create_synonyms))
        .routes(routes!(get_synonyms, update_synonyms, delete_synonyms))
}

/// One result.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    /// `case`, `article`, `organization`, `contact` or `unit`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Its id.
    pub id: i64,
    /// The case number (use it in `/cases/{number}`), customer number, serial number or e-mail.
    pub number: Option<String>,
    /// Its title (an article's in the caller's language when it has one).
    pub title: String,
    /// The title as HTML (escaped), the matching words in `<mark>`.
    pub title_html: String,
    /// A passage as HTML (escaped), the matching words in `<mark>`.
    pub snippet_html: String,
    /// Its status.
    pub status: Option<String>,
    /// Its organisation.
    pub organization_id: Option<i64>,
    /// Relevance (higher is better).
    pub score: f32,
}

impl From<Hit> for SearchHit {
    fn from(h: Hit) -> Self {
        SearchHit {
            kind: h.kind.as_str(),
            id: h.id,
            number: h.number,
            title: h.title,
            title_html: h.title_html,
            snippet_html: h.snippet_html,
            status: h.status,
            organization_id: h.organization,
            score: h.score,
        }
    }
}

/// A page of results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPage {
    /// Best first.
    pub items: Vec<SearchHit>,
    /// How many results there are in all, counted up to 1,000.
    pub total: usize,
    /// False when there are more than `total` results (counting stops at 1,000).
    pub total_exact: bool,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// One search over cases, knowledge articles, organisations, contacts and installed units, with
/// the caller's rights: a customer finds only their organisation's objects, the cases they may
/// see and published articles for customers; staff-only text (internal notes) is searched and
/// shown for staff only. Chinese is cut into words and English stemmed, so 数据库连接失败 finds
/// 数据库无法连接 and "connection refused" finds "connections refused".
#[utoipa::path(get, path = "/search", tag = "search", params(SearchQuery),
    responses((status = 200, body = SearchPage), (status = 400, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn find(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> ApiResult<Json<SearchPage>> {
    let request = request_of(query)?;
    let results = search::search(&app, &who, request).await?;
    Ok(Json(SearchPage {
        items: results.hits.into_iter().map(SearchHit::from).collect(),
        total: results.total,
        total_exact: results.total_exact,
        next_cursor: results.next_offset.map(cursor_at),
    }))
}

/// A customer saw matching articles while typing a new case and left without filing it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deflection {
    /// What they typed.
    pub query: String,
    /// The article they opened, if any.
    pub article_id: Option<i64>,
}

/// How many customers left without filing.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deflections {
    /// Deflections in the period.
    pub count: i64,
    /// The period, in days back from now.
    pub days: u32,
}

/// Which period to count.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeflectionQuery {
    /// Days back from now, 1–3660 (default 30); another number is refused (422).
    #[param(minimum = 1, maximum = 3660)]
    pub days: Option<u32>,
}

/// Counts a deflection (customers; for staff it counts nothing and answers 204 all the same).
#[utoipa::path(post, path = "/search/deflections", tag = "search", request_body = Deflection,
    responses((status = 204), (status = 422, body = ErrorBody)))]
async fn add_deflection(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(body): ApiJson<Deflection>,
) -> ApiResult<StatusCode> {
    search::deflected(&app, &who, &body.query, body.article_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deflections in the last days: all for staff, their organisation's for a customer admin.
#[utoipa::path(get, path = "/search/deflections", tag = "search", params(DeflectionQuery),
    responses((status = 200, body = Deflections), (status = 403, body = ErrorBody)))]
async fn count_deflections(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(query): ApiQuery<DeflectionQuery>,
) -> ApiResult<Json<Deflections>> {
    let days = within("days", query.days.unwrap_or(30), 1, 3660)?;
    let count = search::deflections(&app, &who, days).await?;
    Ok(Json(Deflections { count, days }))
}

/// Every synonym group (staff). A search for one word of a group also finds the group's other
/// words; Casebook ships a starter list for IT support Chinese.
#[utoipa::path(get, path = "/search/synonyms", tag = "search",
    responses((status = 200, body = Vec<SynonymGroup>), (status = 403, body = ErrorBody)))]
async fn list_synonyms(
    State(app): State<AppState>,
    Auth(who): Auth,
) -> ApiResult<Json<Vec<SynonymGroup>>> {
    Ok(Json(synonyms::list(&app, &who).await?))
}

/// Adds a synonym group (admins): two to twelve words, none twice.
#[utoipa::path(post, path = "/search/synonyms", tag = "search", request_body = SynonymDraft,
    responses((status = 201, body = SynonymGroup), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_synonyms(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(draft): ApiJson<SynonymDraft>,
) -> ApiResult<(StatusCode, Json<SynonymGroup>)> {
    let group = synonyms::create(&app, &who, draft).await?;
    Ok((StatusCode::CREATED, Json(group)))
}

/// One synonym group (staff).
#[utoipa::path(get, path = "/search/synonyms/{id}", tag = "search", params(("id" = i64, Path)),
    responses((status = 200, body = SynonymGroup), (status = 404, body = ErrorBody)))]
async fn get_synonyms(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SynonymGroup>> {
    Ok(Json(synonyms::get(&app, &who, id).await?))
}

/// Replaces a group's words (admins); with `version`, a group changed since is refused (409).
#[utoipa::path(patch, path = "/search/synonyms/{id}", tag = "search", params(("id" = i64, Path)),
    request_body = SynonymPatch,
    responses((status = 200, body = SynonymGroup), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_synonyms(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<SynonymPatch>,
) -> ApiResult<Json<SynonymGroup>> {
    Ok(Json(synonyms::update(&app, &who, id, patch).await?))
}

/// Deletes a synonym group (admins); a group that is gone already answers 204 too.
#[utoipa::path(delete, path = "/search/synonyms/{id}", tag = "search", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody)))]
async fn delete_synonyms(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    synonyms::delete(&app, &who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
