//! Handlers of satisfaction surveys: the caller's surveys and their answers (`/surveys`), a
//! case's surveys (`/cases/{number}/surveys`), the results with response rates, the answers'
//! list and the monthly trend (`/survey-results`, `/survey-answers`), the follow-ups
//! (`/survey-follow-ups`) and the admins' settings (`/survey-settings`).

use axum::Json;
use axum::extract::State;
use casebook_domain::CaseNumber;
use casebook_domain::ids::{OrganizationId, ProductId, UserId};
use casebook_domain::survey::{
    AnswerDraft, Figures, FollowUp, Grouping, MonthSatisfaction, Survey,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use super::page::{List, Paging};
use crate::actions::surveys::answer;
use crate::actions::surveys::follow_ups::{self, FollowUpQuery};
use crate::actions::surveys::read::{self, CaseSurveys};
use crate::actions::surveys::results::{self, SurveyQuery};
use crate::actions::surveys::settings::{self, SettingsView};
use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_surveys))
        .routes(routes!(one_survey))
        .routes(routes!(answer_survey))
        .routes(routes!(case_surveys))
        .routes(routes!(survey_results))
        .routes(routes!(survey_months))
        .routes(routes!(survey_answers))
        .routes(routes!(follow_up_list))
        .routes(routes!(complete_follow_up))
        .routes(routes!(get_settings, put_settings))
}

/// One page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1–200 (default 50); another number is refused (422).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page; absent or empty: the first page.
    cursor: Option<String>,
}

/// Sent and answered surveys, newest first: all for staff, the organisation's for a customer
/// administrator, the ones asking you for a customer user.
#[utoipa::path(get, path = "/surveys", tag = "surveys", params(PageQuery),
    responses((status = 200, body = List<Survey>), (status = 422, body = ErrorBody)))]
async fn my_surveys(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<Survey>>> {
    let page = Paging {
        limit: q.limit,
        cursor: q.cursor,
    }
    .request()?;
    Ok(Json(read::list(&app, &who, &page).await?.into()))
}

/// One survey: staff see any, a customer only one addressed to them.
#[utoipa::path(get, path = "/surveys/{id}", tag = "surveys", params(("id" = i64, Path)),
    responses((status = 200, body = Survey), (status = 404, body = ErrorBody)))]
async fn one_survey(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Survey>> {
    Ok(Json(read::get(&app, &who, id).await?))
}

/// Answer a survey addressed to you, once, before it expires (409 `survey_answered`,
/// `survey_expired`). A score at or below the threshold or a negative comment opens a
/// follow-up for the service manager.
#[utoipa::path(post, path = "/surveys/{id}/answer", tag = "surveys", params(("id" = i64, Path)),
    request_body = AnswerDraft,
    responses((status = 200, body = Survey), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn answer_survey(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(draft): ApiJson<AnswerDraft>,
) -> ApiResult<Json<Survey>> {
    Ok(Json(answer::as_customer(&app, &who, id, &draft).await?))
}

/// A case's surveys (with the reason of a skipped one) and follow-ups (staff); customers see
/// the surveys addressed to them and no follow-ups.
#[utoipa::path(get, path = "/cases/{number}/surveys", tag = "surveys",
    params(("number" = String, Path)),
    responses((status = 200, body = CaseSurveys), (status = 404, body = ErrorBody)))]
async fn case_surveys(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
) -> ApiResult<Json<CaseSurveys>> {
    Ok(Json(read::of_case(&app, &who, number).await?))
}

/// Which surveys results count.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResultQuery {
    /// How to group: `engineer`, `team`, `organization`, `product` or `month` (default); the
    /// monthly trend is always by month.
    group_by: Option<Grouping>,
    /// From this day, `YYYY-MM-DD` (inclusive; the day sent for results, answered for the
    /// monthly trend).
    #[param(value_type = Option<String>, format = Date)]
    from: Option<jiff::civil::Date>,
    /// To this day, `YYYY-MM-DD` (inclusive).
    #[param(value_type = Option<String>, format = Date)]
    to: Option<jiff::civil::Date>,
    /// One organisation's cases.
    #[param(value_type = Option<i64>, minimum = 1)]
    organization_id: Option<OrganizationId>,
    /// One product's cases.
    #[param(value_type = Option<i64>, minimum = 1)]
    product_id: Option<ProductId>,
    /// One engineer's cases (the owner at closure).
    #[param(value_type = Option<i64>, minimum = 1)]
    engineer_id: Option<UserId>,
}

impl ResultQuery {
    fn query(&self) -> SurveyQuery {
        SurveyQuery {
            from: self.from,
            to: self.to,
            organization: self.organization_id,
            product: self.product_id,
            engineer: self.engineer_id,
        }
    }
}

/// Survey results per group with the response rate (answered of sent) beside the mean scores
/// (staff).
#[utoipa::path(get, path = "/survey-results", tag = "surveys", params(ResultQuery),
    responses((status = 200, body = Vec<Figures>), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn survey_results(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<ResultQuery>,
) -> ApiResult<Json<Vec<Figures>>> {
    let grouping = q.group_by.unwrap_or(Grouping::Month);
    Ok(Json(
        results::grouped(&app, &who, grouping, &q.query()).await?,
    ))
}

/// Answers and their mean resolution score per month of answering (staff): the satisfaction
/// trend.
#[utoipa::path(get, path = "/survey-results/monthly", tag = "surveys", params(ResultQuery),
    responses((status = 200, body = Vec<MonthSatisfaction>), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn survey_months(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<ResultQuery>,
) -> ApiResult<Json<Vec<MonthSatisfaction>>> {
    Ok(Json(results::monthly(&app, &who, &q.query()).await?))
}

/// Which answers a list holds.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnswerQuery {
    /// From this day, `YYYY-MM-DD` (inclusive; the day answered).
    #[param(value_type = Option<String>, format = Date)]
    from: Option<jiff::civil::Date>,
    /// To this day (inclusive).
    #[param(value_type = Option<String>, format = Date)]
    to: Option<jiff::civil::Date>,
    /// One organisation's cases.
    #[param(value_type = Option<i64>, minimum = 1)]
    organization_id: Option<OrganizationId>,
    /// One product's cases.
    #[param(value_type = Option<i64>, minimum = 1)]
    product_id: Option<ProductId>,
    /// One engineer's cases.
    #[param(value_type = Option<i64>, minimum = 1)]
    engineer_id: Option<UserId>,
    /// Items per page, 1–200 (default 50); another number is refused (422).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page; absent or empty: the first page.
    cursor: Option<String>,
}

/// Answered surveys one by one, newest first, keyset-paginated (staff).
#[utoipa::path(get, path = "/survey-answers", tag = "surveys", params(AnswerQuery),
    responses((status = 200, body = List<Survey>), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn survey_answers(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<AnswerQuery>,
) -> ApiResult<Json<List<Survey>>> {
    let page = Paging {
        limit: q.limit,
        cursor: q.cursor,
    }
    .request()?;
    let query = SurveyQuery {
        from: q.from,
        to: q.to,
        organization: q.organization_id,
        product: q.product_id,
        engineer: q.engineer_id,
    };
    Ok(Json(
        results::answers(&app, &who, &query, &page).await?.into(),
    ))
}

/// Which follow-ups to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FollowUpParams {
    /// Only open ones.
    open: Option<bool>,
    /// Only yours and those without a service manager (always so for staff who are not
    /// managers or administrators).
    mine: Option<bool>,
    /// Items per page, 1–200 (default 50); another number is refused (422).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page; absent or empty: the first page.
    cursor: Option<String>,
}

/// Follow-ups of unhappy answers, newest first (staff).
#[utoipa::path(get, path = "/survey-follow-ups", tag = "surveys", params(FollowUpParams),
    responses((status = 200, body = List<FollowUp>), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn follow_up_list(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<FollowUpParams>,
) -> ApiResult<Json<List<FollowUp>>> {
    let page = Paging {
        limit: q.limit,
        cursor: q.cursor,
    }
    .request()?;
    let query = FollowUpQuery {
        open: q.open.unwrap_or(false),
        mine: q.mine.unwrap_or(false),
    };
    Ok(Json(
        follow_ups::list(&app, &who, query, &page).await?.into(),
    ))
}

/// What was done about a follow-up.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Completion {
    /// What was done, 1–2,000 characters.
    #[schema(min_length = 1, max_length = 2000)]
    note: String,
}

/// Complete a follow-up with a note (its service manager, a manager or an administrator; 409
/// `follow_up_completed` when it was completed already).
#[utoipa::path(post, path = "/survey-follow-ups/{id}/complete", tag = "surveys",
    params(("id" = i64, Path)), request_body = Completion,
    responses((status = 200, body = FollowUp), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn complete_follow_up(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Completion>,
) -> ApiResult<Json<FollowUp>> {
    Ok(Json(
        follow_ups::complete(&app, &who, id, &body.note).await?,
    ))
}

/// The survey settings and questions (anyone signed in: customers read the questions).
#[utoipa::path(get, path = "/survey-settings", tag = "surveys",
    responses((status = 200, body = SettingsView)))]
async fn get_settings(
    State(app): State<AppState>,
    Auth(who): Auth,
) -> ApiResult<Json<SettingsView>> {
    Ok(Json(settings::get(&app, &who).await?))
}

/// Replace the survey settings and questions (administrators), with the version read (409
/// `version_conflict` when someone saved in between).
#[utoipa::path(put, path = "/survey-settings", tag = "surveys", request_body = SettingsView,
    responses((status = 200, body = SettingsView), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_settings(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiJson(edit): ApiJson<SettingsView>,
) -> ApiResult<Json<SettingsView>> {
    Ok(Json(settings::save(&app, &who, edit).await?))
}
