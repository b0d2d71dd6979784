//! Handlers for the knowledge base: articles (list, write, read, edit), their review steps,
//! readers' feedback, drafts from solved cases and the articles of a case, and the products
//! contacts subscribe to for critical-issue alerts.

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use casebook_domain::ids::{ArticleId, ContactId, ProductId};
use casebook_domain::knowledge::{
    Article, ArticleDraft, ArticleFeedback, ArticlePatch, ArticleStatus, ArticleSummary,
    ArticleVisibility, Language, Subscriptions, SubscriptionsEdit, Tag,
};
use casebook_domain::{CaseNumber, Named};
use casebook_store::article_list::{ArticleFilter, ArticleSort};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth, parse_json};
use super::page::{List, Paging};
use crate::actions::knowledge::review::{self, RejectInput, StepInput};
use crate::actions::{
    ActionError, knowledge::articles, knowledge::feedback, knowledge::from_case,
    knowledge::subscriptions,
};
use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_articles, create_article))
        .routes(routes!(get_article, update_article))
        .routes(routes!(submit_article))
        .routes(routes!(publish_article))
        .routes(routes!(reject_article))
        .routes(routes!(retire_article))
        .routes(routes!(revise_article))
        .routes(routes!(give_feedback))
        .routes(routes!(article_from_case))
        .routes(routes!(case_articles))
        .routes(routes!(get_subscriptions, set_subscriptions))
}

/// A JSON body that may be left out: an empty body means the defaults.
#[derive(Debug)]
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default> FromRequest<AppState> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &AppState) -> Result<Self, Self::Rejection> {
        let limit = app.config.limits.max_body_bytes;
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| ApiError::TooLarge(limit))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        parse_json(&bytes).map(OptionalJson)
    }
}

/// Filters of the article list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ArticleQuery {
    /// `draft`, `in_review`, `published` or `retired` (customers see published articles only).
    status: Option<String>,
    /// `internal`, `customers` or `public`.
    visibility: Option<String>,
    /// Applying to this product.
    product: Option<ProductId>,
    /// With a text in `zh-CN` or `en`.
    language: Option<String>,
    /// With this tag.
    tag: Option<String>,
    /// `updated` (last changed first, the default) or `solved` (most often solved a problem first).
    sort: Option<String>,
    /// Items per page, 1–200 (default 50); another number is refused (422).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page; absent or empty: the first page.
    cursor: Option<String>,
}

fn parsed<T: Named>(field: &str, raw: &Option<String>) -> Result<Option<T>, ActionError> {
    raw.as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| T::parse(s).map_err(|e| ActionError::Validation(vec![e.on(field)])))
        .transpose()
}

impl ArticleQuery {
    fn filter(&self) -> Result<(ArticleFilter, ArticleSort), ActionError> {
        let tag = match self.tag.as_deref().filter(|s| !s.is_empty()) {
            Some(raw) => Some(
                Tag::parse(raw)
                    .map_err(|e| ActionError::Validation(vec![e.on("tag")]))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        let sort = match self.sort.as_deref() {
            None | Some("") | Some("updated") => ArticleSort::Updated,
            Some("solved") => ArticleSort::Solved,
            Some(other) => {
                return Err(ActionError::field(
                    "sort",
                    "invalid",
                    format!("unknown sort '{other}'; expected updated or solved"),
                ));
            }
        };
        let filter = ArticleFilter {
            customers_only: false,
            status: parsed::<ArticleStatus>("status", &self.status)?,
            visibility: parsed::<ArticleVisibility>("visibility", &self.visibility)?,
            product: self.product,
            language: parsed::<Language>("language", &self.language)?,
            tag,
        };
        Ok((filter, sort))
    }
}

/// List articles (customers: published articles meant for them).
#[utoipa::path(get, path = "/articles", tag = "knowledge", params(ArticleQuery),
    responses((status = 200, body = List<ArticleSummary>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_articles(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<ArticleQuery>,
) -> ApiResult<Json<List<ArticleSummary>>> {
    let (filter, sort) = q.filter()?;
    let page = Paging {
        limit: q.limit,
        cursor: q.cursor,
    }
    .request()?;
    Ok(Json(
        articles::list(&app, &who, filter, sort, &page)
            .await?
            .into(),
    ))
}

/// Write a new article (staff); it starts as a draft.
#[utoipa::path(post, path = "/articles", tag = "knowledge", request_body = ArticleDraft,
    responses((status = 201, body = Article), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_article(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(draft): ApiJson<ArticleDraft>,
) -> ApiResult<(StatusCode, Json<Article>)> {
    Ok((
        StatusCode::CREATED,
        Json(articles::create(&app, &who, draft).await?),
    ))
}

/// Read an article, with its bodies rendered to sanitized HTML.
#[utoipa::path(get, path = "/articles/{id}", tag = "knowledge", params(("id" = i64, Path)),
    responses((status = 200, body = Article), (status = 404, body = ErrorBody)))]
async fn get_article(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ArticleId>,
) -> ApiResult<Json<Article>> {
    Ok(Json(articles::get(&app, &who, id).await?))
}

/// Change a draft or an article in review (staff; an article in review goes back to draft).
#[utoipa::path(patch, path = "/articles/{id}", tag = "knowledge", params(("id" = i64, Path)), request_body = ArticlePatch,
    responses((status = 200, body = Article), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_article(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ArticleId>,
    ApiJson(patch): ApiJson<ArticlePatch>,
) -> ApiResult<Json<Article>> {
    Ok(Json(articles::update(&app, &who, id, patch).await?))
}

/// Submit a draft for review (staff). The body (`{"version": n}`) may be left out.
#[utoipa::path(post, path = "/articles/{id}/submit", tag = "knowledge", params(("id" = i64, Path)), request_body = Option<StepInput>,
    responses((status = 200, body = Article), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn submit_article(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ArticleId>,
    OptionalJson(input): OptionalJson<StepInput>,
) -> ApiResult<Json<Article>> {
    Ok(Json(review::submit(&app, &who, id, input).await?))
}

/// Publish an article in review (staff who did not write, change or submit it: `reviewer_is_author` otherwise);
/// an alert is mailed to the contacts it concerns.
#[utoipa::path(post, path = "/articles/{id}/publish", tag = "knowledge", params(("id" = i64, Path)), request_body = Option<StepInput>,
    responses((status = 200, body = Article), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn publish_article(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ArticleId>,
    OptionalJson(input): OptionalJson<StepInput>,
) -> ApiResult<Json<Article>> {
    Ok(Json(review::publish(&app, &who, id, input).await?))
}

/// Send an article in review back to draft with a note (staff who did not write, change or submit it).
#[utoipa::path(post, path = "/articles/{id}/reject", tag = "knowledge", params(("id" = i64, Path)), request_body = RejectInput,
    responses((status = 200, body = Article), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reject_article(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ArticleId>,
    ApiJson(input): ApiJson<RejectInput>,
) -> ApiResult<Json<Article>> {
    Ok(Json(review::reject(&app, &who, id, input).await?))
}

/// Retire a published article (staff).
#[utoipa::path(post, path = "/articles/{id}/retire", tag = "knowledge", params(("id" = i64, Path)), request_body = Option<StepInput>,
    responses((status = 200, body = Article), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn retire_article(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ArticleId>,
    OptionalJson(input): OptionalJson<StepInput>,
) -> ApiResult<Json<Article>> {
    Ok(Json(review::retire(&app, &who, id, input).await?))
}

/// Take a published or retired article back to draft (staff); customers no longer see it
/// until it is published again.
#[utoipa::path(post, path = "/articles/{id}/revise", tag = "knowledge", params(("id" = i64, Path)), request_body = Option<StepInput>,
    responses((status = 200, body = Article), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn revise_article(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ArticleId>,
    OptionalJson(input): OptionalJson<StepInput>,
) -> ApiResult<Json<Article>> {
    Ok(Json(review::revise(&app, &who, id, input).await?))
}

/// Say whether a published article solved your problem (one answer per reader; a new answer
/// replaces yours).
#[utoipa::path(post, path = "/articles/{id}/feedback", tag = "knowledge", params(("id" = i64, Path)), request_body = ArticleFeedback,
    responses((status = 200, body = Article), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn give_feedback(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ArticleId>,
    ApiJson(feedback): ApiJson<ArticleFeedback>,
) -> ApiResult<Json<Article>> {
    Ok(Json(feedback::give(&app, &who, id, feedback).await?))
}

/// Write a draft from a solved case (staff): prefilled without the customer's names, linked to
/// the case. A case that is not solved is refused with `case_not_solved`.
#[utoipa::path(post, path = "/cases/{number}/article", tag = "knowledge", params(("number" = String, Path)),
    responses((status = 201, body = Article), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn article_from_case(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
) -> ApiResult<(StatusCode, Json<Article>)> {
    Ok((
        StatusCode::CREATED,
        Json(from_case::draft_from_case(&app, &who, number).await?),
    ))
}

/// The articles linked to a case, as you may see them.
#[utoipa::path(get, path = "/cases/{number}/articles", tag = "knowledge", params(("number" = String, Path), Paging),
    responses((status = 200, body = List<ArticleSummary>), (status = 404, body = ErrorBody)))]
async fn case_articles(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<List<ArticleSummary>>> {
    Ok(Json(
        from_case::of_case(&app, &who, number, &paging.request()?)
            .await?
            .into(),
    ))
}

/// The products a contact receives critical-issue alerts for.
#[utoipa::path(get, path = "/contacts/{id}/subscriptions", tag = "knowledge", params(("id" = i64, Path)),
    responses((status = 200, body = Subscriptions), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_subscriptions(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ContactId>,
) -> ApiResult<Json<Subscriptions>> {
    Ok(Json(subscriptions::get(&app, &who, id).await?))
}

/// Set the products a contact receives critical-issue alerts for (all of them).
#[utoipa::path(put, path = "/contacts/{id}/subscriptions", tag = "knowledge", params(("id" = i64, Path)), request_body = SubscriptionsEdit,
    responses((status = 200, body = Subscriptions), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_subscriptions(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ContactId>,
    ApiJson(edit): ApiJson<SubscriptionsEdit>,
) -> ApiResult<Json<Subscriptions>> {
    Ok(Json(subscriptions::set(&app, &who, id, edit).await?))
}
