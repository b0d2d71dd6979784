//! Handlers of time accounting (工时): a case's work entries (`/cases/{number}/work`), the time
//! sheet across cases (`/work`), and what a contract has used of its bank
//! (`/contracts/{id}/usage`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use casebook_domain::CaseNumber;
use casebook_domain::ids::{ContractId, UserId};
use casebook_domain::work::CaseMinutes;
use casebook_domain::work::{ContractUsage, WorkDraft, WorkEntry};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use super::page::{List, Paging};
use crate::actions::cases::work::{self, CaseWork, WorkQuery};
use crate::actions::contracts::usage;
use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(case_work, add_work))
        .routes(routes!(delete_work))
        .routes(routes!(time_sheet))
        .routes(routes!(contract_usage))
        .routes(routes!(contract_month))
}

/// A case's work entries (newest 200) and its totals (staff).
#[utoipa::path(get, path = "/cases/{number}/work", tag = "cases", params(("number" = String, Path)),
    responses((status = 200, body = CaseWork), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn case_work(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
) -> ApiResult<Json<CaseWork>> {
    Ok(Json(work::of_case(&app, &who, number).await?))
}

/// Record time spent on a case (staff). Billable time is charged to the case's contract; its
/// service manager and the customer's administrators are told at 80 % and 100 % of its bank.
#[utoipa::path(post, path = "/cases/{number}/work", tag = "cases", params(("number" = String, Path)),
    request_body = WorkDraft,
    responses((status = 201, body = WorkEntry), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_work(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
    ApiJson(draft): ApiJson<WorkDraft>,
) -> ApiResult<(StatusCode, Json<WorkEntry>)> {
    let entry = work::add(&app, &who, number, draft).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

/// Remove a work entry (its engineer, a manager or an administrator; the audit log keeps it);
/// one that is gone already answers 204 too.
#[utoipa::path(delete, path = "/cases/{number}/work/{id}", tag = "cases",
    params(("number" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_work(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath((number, id)): ApiPath<(CaseNumber, i64)>,
) -> ApiResult<StatusCode> {
    work::delete(&app, &who, number, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which entries a time sheet lists.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SheetQuery {
    /// One person's entries.
    #[param(value_type = Option<i64>, minimum = 1)]
    user: Option<UserId>,
    /// From this day, `YYYY-MM-DD` (inclusive).
    #[param(value_type = Option<String>, format = Date)]
    from: Option<jiff::civil::Date>,
    /// To this day, `YYYY-MM-DD` (inclusive).
    #[param(value_type = Option<String>, format = Date)]
    to: Option<jiff::civil::Date>,
    /// Items per page, 1–200 (default 50); another number is refused (422).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page; absent or empty: the first page.
    cursor: Option<String>,
}

/// Work entries across cases, newest first (staff): a time sheet.
#[utoipa::path(get, path = "/work", tag = "cases", params(SheetQuery),
    responses((status = 200, body = List<WorkEntry>), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn time_sheet(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<SheetQuery>,
) -> ApiResult<Json<List<WorkEntry>>> {
    let page = Paging {
        limit: q.limit,
        cursor: q.cursor,
    }
    .request()?;
    let query = WorkQuery {
        user: q.user,
        from: q.from,
        to: q.to,
    };
    Ok(Json(work::list(&app, &who, &query, &page).await?.into()))
}

/// What a contract has used of its bank of hours and incidents, by month (staff and the
/// customer's administrators).
#[utoipa::path(get, path = "/contracts/{id}/usage", tag = "contracts", params(("id" = i64, Path)),
    responses((status = 200, body = ContractUsage), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn contract_usage(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<ContractId>,
) -> ApiResult<Json<ContractUsage>> {
    Ok(Json(usage::of_contract(&app, &who, id).await?))
}

/// The cases whose billable time a contract's bank paid for in a month, `YYYY-MM` (staff and
/// the customer's administrators).
#[utoipa::path(get, path = "/contracts/{id}/usage/{month}", tag = "contracts",
    params(("id" = i64, Path), ("month" = String, Path, description = "`YYYY-MM`")),
    responses((status = 200, body = Vec<CaseMinutes>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn contract_month(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath((id, month)): ApiPath<(ContractId, String)>,
) -> ApiResult<Json<Vec<CaseMinutes>>> {
    Ok(Json(usage::cases_of_month(&app, &who, id, &month).await?))
}
