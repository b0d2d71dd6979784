//! Handlers of fault-handling reports (故障处理报告) and the fault database
//! (docs/field-service.md): a case's report, written and read; for staff the database queried,
//! the part numbers that fail most, the cases that owe a report, the export, and a
//! knowledge-base draft started from a report.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use casebook_domain::CaseNumber;
use casebook_domain::field::fault::{
    FaultCategory, FaultDraft, FaultReport, PartFailures, ReportDue,
};
use casebook_domain::ids::{OrganizationId, ProductId};
use casebook_domain::knowledge::Article;
use casebook_store::faults::FaultQuery;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::actions::ActionResult;
use crate::actions::field::faults;
use crate::actions::reporting::exports::Format;
use crate::app::AppState;
use crate::edge::fault_query::{FaultFilter, fault_query};
use crate::edge::lang_of;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(case_report, write_report))
        .routes(routes!(list))
        .routes(routes!(part_failures))
        .routes(routes!(due))
        .routes(routes!(export))
        .routes(routes!(start_article))
}

/// A case's fault-handling report, for anyone who may see the case (404 when it has none).
#[utoipa::path(get, path = "/cases/{number}/fault-report", tag = "field", params(("number" = String, Path)),
    responses((status = 200, body = FaultReport), (status = 404, body = ErrorBody)))]
async fn case_report(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
) -> ApiResult<Json<FaultReport>> {
    Ok(Json(faults::of_case(&app, &who, number).await?))
}

/// Write the case's fault-handling report, or rewrite it with its `version` (staff): 201 when
/// new. The parts default to those used on the case's visits.
#[utoipa::path(put, path = "/cases/{number}/fault-report", tag = "field", params(("number" = String, Path)),
    request_body = FaultDraft,
    responses((status = 200, body = FaultReport), (status = 201, body = FaultReport), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn write_report(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(number): ApiPath<CaseNumber>,
    ApiJson(draft): ApiJson<FaultDraft>,
) -> ApiResult<(StatusCode, Json<FaultReport>)> {
    let (report, created) = faults::write(&app, &who, number, draft).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)))
}

/// What the fault database is asked.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FaultsQuery {
    /// One product.
    #[param(value_type = Option<i64>, minimum = 1)]
    product: Option<ProductId>,
    /// One version of it.
    #[param(max_length = 100)]
    version: Option<String>,
    /// Reports naming this part number.
    #[param(max_length = 64)]
    part_number: Option<String>,
    /// Root causes containing this text.
    #[param(max_length = 200)]
    root_cause: Option<String>,
    /// One category.
    category: Option<FaultCategory>,
    /// One customer.
    #[param(value_type = Option<i64>, minimum = 1)]
    organization: Option<OrganizationId>,
    /// Reports written from this day (the desk's day, inclusive).
    #[param(value_type = Option<String>, format = Date)]
    from: Option<jiff::civil::Date>,
    /// Reports written up to this day (inclusive).
    #[param(value_type = Option<String>, format = Date)]
    to: Option<jiff::civil::Date>,
    /// For the export: `csv` (the default), `csv-gb18030` or `xlsx`.
    format: Option<String>,
    /// For the export: the headers' language, `zh-CN` or `en`.
    lang: Option<String>,
}

impl FaultsQuery {
    fn query(&self, app: &AppState) -> ActionResult<FaultQuery> {
        let filter = FaultFilter {
            product: self.product,
            version: self.version.as_deref(),
            part_number: self.part_number.as_deref(),
            root_cause: self.root_cause.as_deref(),
            category: self.category,
            organization: self.organization,
            from: self.from,
            to: self.to,
        };
        fault_query(&filter, &app.config.time_zone())
    }
}

/// The fault database (staff): the reports answering the query, newest first (at most 1000).
#[utoipa::path(get, path = "/faults", tag = "field", params(FaultsQuery),
    responses((status = 200, body = Vec<FaultReport>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<FaultsQuery>,
) -> ApiResult<Json<Vec<FaultReport>>> {
    Ok(Json(faults::query(&app, &who, &q.query(&app)?).await?))
}

/// The part numbers that fail most in the reports answering the query (staff): "which part
/// numbers fail most on product X this year".
#[utoipa::path(get, path = "/faults/part-failures", tag = "field", params(FaultsQuery),
    responses((status = 200, body = Vec<PartFailures>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn part_failures(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<FaultsQuery>,
) -> ApiResult<Json<Vec<PartFailures>>> {
    Ok(Json(
        faults::part_failures(&app, &who, &q.query(&app)?).await?,
    ))
}

/// The cases that owe a fault-handling report: severity 1, or a part replaced (staff).
#[utoipa::path(get, path = "/faults/due", tag = "field",
    responses((status = 200, body = Vec<ReportDue>), (status = 403, body = ErrorBody)))]
async fn due(State(app): State<AppState>, Auth(who): Auth) -> ApiResult<Json<Vec<ReportDue>>> {
    Ok(Json(faults::due(&app, &who).await?))
}

/// Export the reports answering the query as CSV or XLSX (staff); times in the desk's time
/// zone, text that starts like a formula written as text.
#[utoipa::path(get, path = "/faults/export", tag = "field", params(FaultsQuery),
    responses(
        (status = 200, description = "the reports as a file (`Content-Disposition: attachment`)",
            content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn export(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<FaultsQuery>,
) -> ApiResult<Response> {
    let format = Format::parse(q.format.as_deref().unwrap_or("csv"))?;
    let lang = lang_of(q.lang.as_deref(), &who)?;
    let table = faults::export(&app, &who, &q.query(&app)?, lang).await?;
    let stamp = app
        .clock
        .now()
        .to_zoned(app.config.time_zone())
        .strftime("%Y%m%d-%H%M%S")
        .to_string();
    Ok(crate::edge::export::response(table, format, &stamp)?)
}

/// Start a knowledge-base draft from a report (staff): its symptom, root cause as the cause and
/// actions as the resolution, the customer's names removed, linked to the case.
#[utoipa::path(post, path = "/faults/{id}/article", tag = "field", params(("id" = i64, Path)),
    responses((status = 201, body = Article), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`fault_article_exists`"), (status = 422, body = ErrorBody)))]
async fn start_article(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<(StatusCode, Json<Article>)> {
    Ok((
        StatusCode::CREATED,
        Json(faults::start_article(&app, &who, id).await?),
    ))
}
