//! Handlers of exports (staff): cases with their SLA results (`/exports/cases`), work entries
//! (`/exports/work`), survey answers (`/exports/survey-answers`) and the managers' dashboard's
//! tables (`/exports/dashboard`) as CSV (UTF-8 with BOM, or GB18030) or XLSX, streamed while
//! the rows are read.

use axum::extract::State;
use axum::response::Response;
use casebook_domain::ids::{ContractId, OrganizationId, ProductId, UserId};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiQuery, Auth};
use crate::actions::ActionError;
use crate::actions::reporting::dashboard::DashboardQuery;
use crate::actions::reporting::exports::{
    self, CaseExport, ChartExport, Days, Format, SurveyExport, WorkExport,
};
use crate::actions::surveys::results::SurveyQuery;
use crate::app::AppState;
use crate::edge::lang_of;
use crate::edge::queries::CaseQuery;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_cases))
        .routes(routes!(export_work))
        .routes(routes!(export_survey_answers))
        .routes(routes!(export_dashboard))
}

/// Filters of a case export: the case list's, and the days the cases were opened.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseExportQuery {
    /// `csv` (UTF-8 with a byte-order mark, the default), `csv-gb18030` or `xlsx`.
    format: Option<String>,
    /// Cases opened from this day, `YYYY-MM-DD` in the desk's time zone (inclusive).
    #[param(pattern = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    from: Option<String>,
    /// Cases opened up to this day (inclusive).
    #[param(pattern = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    to: Option<String>,
    /// Statuses, e.g. `new,assigned`.
    status: Option<String>,
    /// Severities, e.g. `1,2`.
    severity: Option<String>,
    /// Organisation id.
    #[param(value_type = Option<i64>, minimum = 1)]
    organization: Option<OrganizationId>,
    /// Owner: a user id, `me`, or `none` for unassigned cases.
    owner: Option<String>,
    /// Tiers, e.g. `l1,l2`.
    tier: Option<String>,
    /// Channels, e.g. `phone,email`.
    channel: Option<String>,
    /// Categories, e.g. `defect`.
    category: Option<String>,
    /// Product id.
    #[param(value_type = Option<i64>, minimum = 1)]
    product: Option<ProductId>,
    /// A case number, or text in the title.
    q: Option<String>,
    /// The headers' language, `zh-CN` or `en` (default: the caller's, else Chinese).
    lang: Option<String>,
}

/// Filters of a work-entry export (a time sheet).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WorkExportQuery {
    /// `csv` (UTF-8 with a byte-order mark, the default), `csv-gb18030` or `xlsx`.
    format: Option<String>,
    /// Entries from this day, `YYYY-MM-DD` (the desk's day, inclusive).
    #[param(pattern = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    from: Option<String>,
    /// Entries up to this day (inclusive).
    #[param(pattern = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    to: Option<String>,
    /// One person's entries.
    #[param(value_type = Option<i64>, minimum = 1)]
    user: Option<UserId>,
    /// On cases of this organisation.
    #[param(value_type = Option<i64>, minimum = 1)]
    organization: Option<OrganizationId>,
    /// On cases about this product.
    #[param(value_type = Option<i64>, minimum = 1)]
    product: Option<ProductId>,
    /// Charged to this contract.
    #[param(value_type = Option<i64>, minimum = 1)]
    contract: Option<ContractId>,
    /// Only billable (`true`) or only other (`false`) time.
    billable: Option<bool>,
    /// The headers' language, `zh-CN` or `en` (default: the caller's, else Chinese).
    lang: Option<String>,
}

/// Filters of a survey-answer export: the survey results page's.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SurveyExportQuery {
    /// `csv` (UTF-8 with a byte-order mark, the default), `csv-gb18030` or `xlsx`.
    format: Option<String>,
    /// Answered from this day, `YYYY-MM-DD` (the desk's day, inclusive).
    #[param(pattern = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    from: Option<String>,
    /// Answered up to this day (inclusive).
    #[param(pattern = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    to: Option<String>,
    /// One organisation's cases.
    #[param(value_type = Option<i64>, minimum = 1)]
    organization_id: Option<OrganizationId>,
    /// One product's cases.
    #[param(value_type = Option<i64>, minimum = 1)]
    product_id: Option<ProductId>,
    /// One engineer's cases (the owner at closure).
    #[param(value_type = Option<i64>, minimum = 1)]
    engineer_id: Option<UserId>,
    /// The headers' language, `zh-CN` or `en` (default: the caller's, else Chinese).
    lang: Option<String>,
}

/// One table of the dashboard and the dashboard's filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChartExportQuery {
    /// The table's id as `GET /dashboard` names it, e.g. `sla_attainment`.
    #[param(max_length = 100)]
    chart: String,
    /// `csv` (UTF-8 with a byte-order mark, the default), `csv-gb18030` or `xlsx`.
    format: Option<String>,
    /// The first day, `YYYY-MM-DD` (default: six months before `to`).
    #[param(pattern = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    from: Option<String>,
    /// The last day (default: today). At most 366 days after `from`.
    #[param(pattern = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    to: Option<String>,
    /// One organisation's cases.
    #[param(value_type = Option<i64>, minimum = 1)]
    organization: Option<OrganizationId>,
    /// One product's cases.
    #[param(value_type = Option<i64>, minimum = 1)]
    product: Option<ProductId>,
    /// Cases whose owner is in this team.
    #[param(max_length = 100)]
    team: Option<String>,
    /// The language of the headers and words, `zh-CN` or `en` (default: the caller's, else
    /// Chinese).
    lang: Option<String>,
}

/// A day, `YYYY-MM-DD`; empty (a form's blank date field) is none.
fn day(field: &str, raw: Option<&str>) -> Result<Option<jiff::civil::Date>, ActionError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| ActionError::field(field, "invalid", "a day is written YYYY-MM-DD")),
    }
}

/// Both ends of a period, each checked.
fn days(from: Option<&str>, to: Option<&str>) -> Result<Days, ActionError> {
    let from = day("from", from);
    let to = day("to", to);
    match (from, to) {
        (Ok(from), Ok(to)) => Ok(Days { from, to }),
        (Err(ActionError::Validation(mut a)), Err(ActionError::Validation(b))) => {
            a.extend(b);
            Err(ActionError::Validation(a))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

fn format_of(asked: Option<&str>) -> Result<Format, ActionError> {
    Format::parse(asked.unwrap_or("csv"))
}

fn stamp(app: &AppState) -> String {
    app.clock
        .now()
        .to_zoned(app.config.time_zone())
        .strftime("%Y%m%d-%H%M%S")
        .to_string()
}

/// Export cases with their SLA results, one row per case, newest first (staff). Each SLA
/// metric has four columns: target (business minutes, or `nbd`), state of the latest cycle,
/// `met` or `breached` (breached if any cycle was), business minutes used. Times are in the
/// desk's time zone. The file is streamed while the cases are read; an XLSX file starts once
/// the last row is read. Text starting with `=`, `+`, `-`, `@`, tab or CR is written as text
/// (behind a `'` in CSV).
#[utoipa::path(get, path = "/exports/cases", tag = "reports", params(CaseExportQuery),
    responses(
        (status = 200, description = "the cases as a file (`Content-Disposition: attachment`)",
            content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn export_cases(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<CaseExportQuery>,
) -> ApiResult<Response> {
    let format = format_of(q.format.as_deref())?;
    let lang = lang_of(q.lang.as_deref(), &who)?;
    let filter = CaseQuery {
        status: q.status,
        severity: q.severity,
        organization: q.organization,
        owner: q.owner,
        tier: q.tier,
        channel: q.channel,
        category: q.category,
        product: q.product,
        q: q.q,
        limit: None,
        cursor: None,
    }
    .filter(who.user_id())?;
    let export = CaseExport {
        filter,
        opened: days(q.from.as_deref(), q.to.as_deref())?,
        format,
        lang,
    };
    let table = exports::cases(&app, &who, export).await?;
    Ok(crate::edge::export::response(table, format, &stamp(&app))?)
}

/// Export work entries (a time sheet), newest first (staff): case, organisation, person, day,
/// start time in the desk's time zone, minutes, hours, activity, billable, contract, note,
/// source. Streamed like the case export.
#[utoipa::path(get, path = "/exports/work", tag = "reports", params(WorkExportQuery),
    responses(
        (status = 200, description = "the work entries as a file (`Content-Disposition: attachment`)",
            content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn export_work(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<WorkExportQuery>,
) -> ApiResult<Response> {
    let format = format_of(q.format.as_deref())?;
    let export = WorkExport {
        user: q.user,
        organization: q.organization,
        product: q.product,
        contract: q.contract,
        billable: q.billable,
        days: days(q.from.as_deref(), q.to.as_deref())?,
        format,
        lang: lang_of(q.lang.as_deref(), &who)?,
    };
    let table = exports::work(&app, &who, export).await?;
    Ok(crate::edge::export::response(table, format, &stamp(&app))?)
}

/// Export answered surveys, newest first (staff): case, organisation, engineer, recipient, when
/// sent and answered (the desk's time zone), how, the three scores, the comment and whether it
/// was read as negative. Streamed like the case export; a comment starting with a formula
/// character is written as text.
#[utoipa::path(get, path = "/exports/survey-answers", tag = "reports", params(SurveyExportQuery),
    responses(
        (status = 200, description = "the answers as a file (`Content-Disposition: attachment`)",
            content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn export_survey_answers(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<SurveyExportQuery>,
) -> ApiResult<Response> {
    let format = format_of(q.format.as_deref())?;
    let period = days(q.from.as_deref(), q.to.as_deref())?;
    let export = SurveyExport {
        query: SurveyQuery {
            from: period.from,
            to: period.to,
            organization: q.organization_id,
            product: q.product_id,
            engineer: q.engineer_id,
        },
        format,
        lang: lang_of(q.lang.as_deref(), &who)?,
    };
    let table = exports::survey_answers(&app, &who, export).await?;
    Ok(crate::edge::export::response(table, format, &stamp(&app))?)
}

/// Export one table of the managers' dashboard for its filters (managers and administrators):
/// the rows `GET /dashboard` gives, words in the chosen language, counts as whole numbers, times
/// as hours with two decimals, percentages with one and mean scores with two. Refused (422): an
/// unknown table, and the dashboard's refusals.
#[utoipa::path(get, path = "/exports/dashboard", tag = "reports", params(ChartExportQuery),
    responses(
        (status = 200, description = "the table as a file (`Content-Disposition: attachment`)",
            content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn export_dashboard(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<ChartExportQuery>,
) -> ApiResult<Response> {
    let format = format_of(q.format.as_deref())?;
    let period = days(q.from.as_deref(), q.to.as_deref())?;
    let export = ChartExport {
        chart: q.chart,
        query: DashboardQuery {
            from: period.from,
            to: period.to,
            organization: q.organization,
            product: q.product,
            team: q.team,
        },
        format,
        lang: lang_of(q.lang.as_deref(), &who)?,
    };
    let table = exports::dashboard_chart(&app, &who, export).await?;
    Ok(crate::edge::export::response(table, format, &stamp(&app))?)
}
