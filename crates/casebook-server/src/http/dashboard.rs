//! The managers' dashboard as JSON (`/dashboard`): the same tables the console draws.

use axum::Json;
use axum::extract::State;
use casebook_domain::ids::{OrganizationId, ProductId};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiQuery, Auth};
use crate::actions::reporting::dashboard::{self, Dashboard, DashboardQuery};
use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show))
}

/// The dashboard's filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DashboardParams {
    /// The first day, `YYYY-MM-DD` on the desk's calendar (default: six months before `to`).
    #[param(value_type = Option<String>, format = Date)]
    from: Option<jiff::civil::Date>,
    /// The last day, `YYYY-MM-DD` (default: today). At most 366 days after `from`.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<jiff::civil::Date>,
    /// One organisation's cases.
    #[param(value_type = Option<i64>, minimum = 1)]
    organization: Option<OrganizationId>,
    /// One product's cases.
    #[param(value_type = Option<i64>, minimum = 1)]
    product: Option<ProductId>,
    /// Cases whose owner is in this team (a team of the staff).
    #[param(max_length = 100)]
    team: Option<String>,
}

/// The managers' dashboard (managers and administrators): the backlog over time, SLA
/// attainment, response and resolution times, volumes, time at each tier and workload, each
/// chart a table of typed cells. Refused (422): `from` after `to`, a period over 366 days, an
/// unknown organisation, product or team.
#[utoipa::path(get, path = "/dashboard", tag = "reports", params(DashboardParams),
    responses((status = 200, body = Dashboard), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn show(
    State(app): State<AppState>,
    Auth(who): Auth,
    ApiQuery(q): ApiQuery<DashboardParams>,
) -> ApiResult<Json<Dashboard>> {
    let query = DashboardQuery {
        from: q.from,
        to: q.to,
        organization: q.organization,
        product: q.product,
        team: q.team,
    };
    Ok(Json(dashboard::dashboard(&app, &who, &query).await?))
}
