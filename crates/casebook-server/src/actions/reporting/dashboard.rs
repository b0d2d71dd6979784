//! The managers' dashboard (managers and administrators): its filters checked, then one small
//! function per chart, each returning a plain [`Table`] that the console draws, the API returns
//! and exports write. Adding a chart is a function in `cases`, `clocks`, `satisfaction` or a new
//! module here and one line in [`build`].

mod cases;
mod clocks;
mod satisfaction;

use casebook_domain::Timestamp;
use casebook_domain::ids::{OrganizationId, ProductId};
use casebook_domain::policy::Permission;
use casebook_domain::reporting::period::Period;
use casebook_domain::reporting::{Filters, Table};
use casebook_store::dashboard::{ROW_CAP, Scope};
use casebook_store::{Db, organizations, products, users};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use utoipa::ToSchema;

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, require};

/// What the dashboard is asked for, as given (absent dates: the last six months).
#[derive(Debug, Clone, Default)]
pub struct DashboardQuery {
    /// The first day, on the desk's calendar.
    pub from: Option<Date>,
    /// The last day.
    pub to: Option<Date>,
    /// One organisation's cases.
    pub organization: Option<OrganizationId>,
    /// One product's cases.
    pub product: Option<ProductId>,
    /// Cases owned by members of this team.
    pub team: Option<String>,
}

/// The dashboard: the filters it was computed for and its charts' tables.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dashboard {
    /// The first day (`YYYY-MM-DD`, the desk's calendar).
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    /// The last day.
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    /// The organisation filtered on.
    #[schema(value_type = Option<i64>)]
    pub organization: Option<OrganizationId>,
    /// The product filtered on.
    #[schema(value_type = Option<i64>)]
    pub product: Option<ProductId>,
    /// The team filtered on.
    pub team: Option<String>,
    /// The charts, each a table.
    pub charts: Vec<Table>,
}

/// What every chart reads with.
pub(crate) struct Reading<'a> {
    pub(crate) app: &'a App,
    pub(crate) db: Db,
    pub(crate) filters: &'a Filters,
    pub(crate) tz: TimeZone,
    pub(crate) now: Timestamp,
}

impl<'a> Reading<'a> {
    /// The cases the filters count (borrowing the filters, not the reading).
    fn scope(&self) -> Scope<'a> {
        Scope {
            organization: self.filters.organization,
            product: self.filters.product,
            team: self.filters.team.as_deref(),
        }
    }
}

/// Refused when a statement would read more than the cap.
fn too_many() -> ActionError {
    ActionError::field(
        "from",
        "too_many_rows",
        format!(
            "the period holds more than {ROW_CAP} records; choose a shorter period or a filter"
        ),
    )
}

/// The dashboard for a manager or administrator.
pub async fn dashboard(
    app: &App,
    who: &Principal,
    query: &DashboardQuery,
) -> ActionResult<Dashboard> {
    require(who, Permission::ReadReports)?;
    let now = app.clock.now();
    let filters = filters(app, query, now).await?;
    build(app, &filters, now).await
}

/// Checks the query against the stored organisations and products.
pub async fn filters(app: &App, query: &DashboardQuery, now: Timestamp) -> ActionResult<Filters> {
    let tz = app.config.time_zone();
    let today = now.to_zoned(tz).date();
    let period = match (query.from, query.to) {
        (None, None) => Period::last_six_months(today),
        (from, to) => {
            let to = to.unwrap_or(today);
            let from = from.unwrap_or_else(|| Period::last_six_months(to).from());
            Period::new(from, to).map_err(|e| ActionError::Validation(vec![e]))?
        }
    };
    let mut db = app.store.read().await?;
    if let Some(org) = query.organization
        && organizations::get(&mut db, org).await?.is_none()
    {
        return Err(ActionError::field(
            "organization",
            "unknown",
            "no such organisation",
        ));
    }
    if let Some(product) = query.product
        && products::get(&mut db, product).await?.is_none()
    {
        return Err(ActionError::field("product", "unknown", "no such product"));
    }
    let team = query
        .team
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if let Some(team) = team
        && !users::teams(&mut db).await?.iter().any(|t| t == team)
    {
        return Err(ActionError::field(
            "team",
            "unknown",
            "no staff member is in this team",
        ));
    }
    Ok(Filters {
        period,
        organization: query.organization,
        product: query.product,
        team: team.map(str::to_owned),
    })
}

/// The teams of the staff, for the team filter (managers and administrators).
pub async fn teams(app: &App, who: &Principal) -> ActionResult<Vec<String>> {
    require(who, Permission::ReadReports)?;
    let mut db = app.store.read().await?;
    Ok(users::teams(&mut db).await?)
}

/// Every chart for checked filters at `now` (no permission check: for callers that made it,
/// such as exports).
pub async fn build(app: &App, filters: &Filters, now: Timestamp) -> ActionResult<Dashboard> {
    let mut r = Reading {
        app,
        db: app.store.read().await?,
        filters,
        tz: app.config.time_zone(),
        now,
    };
    let mut charts = Vec::new();
    charts.extend(cases::backlog(&mut r).await?);
    charts.push(clocks::attainment(&mut r).await?);
    charts.push(clocks::response_times(&mut r).await?);
    charts.extend(cases::volumes(&mut r).await?);
    charts.push(clocks::time_at_tier(&mut r).await?);
    charts.extend(cases::workload(&mut r).await?);
    charts.push(satisfaction::satisfaction(&mut r).await?);
    Ok(Dashboard {
        from: filters.period.from(),
        to: filters.period.to(),
        organization: filters.organization,
        product: filters.product,
        team: filters.team.clone(),
        charts,
    })
}
