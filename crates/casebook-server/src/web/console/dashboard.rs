//! The managers' dashboard in the console (`/console/dashboard`, managers and administrators):
//! the filters as a GET form, and each chart of `actions::reporting::dashboard` drawn as SVG on
//! the server with its numbers in a table beside it and links that download the table (CSV,
//! GB18030 CSV, XLSX) for the filters shown. Works without script and prints. Refused filters
//! come back in the form (422) rather than as an error page.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use casebook_domain::FieldError;
use casebook_domain::ids::Id;
use casebook_domain::reporting::svg::Drawing;
use casebook_domain::reporting::{Shown, Table};

use crate::actions::ActionError;
use crate::actions::reporting::dashboard::{self, DashboardQuery};
use crate::app::AppState;
use crate::i18n::Lang;
use crate::web::choices::{self, Options};
use crate::web::page::{Ctx, render_status};
use crate::web::session::{Staff, WebResult};

/// The filters as typed (shown again in the form).
#[derive(Debug, Clone, Default)]
pub struct DashboardForm {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day.
    pub to: String,
    /// Organisation id.
    pub organization: String,
    /// Product id.
    pub product: String,
    /// Team.
    pub team: String,
}

impl DashboardForm {
    fn parse(raw: Option<&str>) -> Self {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default();
        let mut form = DashboardForm::default();
        for (name, value) in pairs {
            let value = value.trim().to_owned();
            match name.as_str() {
                "from" => form.from = value,
                "to" => form.to = value,
                "organization" => form.organization = value,
                "product" => form.product = value,
                "team" => form.team = value,
                _ => {}
            }
        }
        form
    }

    /// The action's query; a malformed date or id is refused with its field.
    fn query(&self) -> Result<DashboardQuery, ActionError> {
        let date = |field: &str, raw: &str| -> Result<Option<jiff::civil::Date>, ActionError> {
            if raw.is_empty() {
                return Ok(None);
            }
            raw.parse()
                .map(Some)
                .map_err(|_| ActionError::field(field, "invalid", "a date is written YYYY-MM-DD"))
        };
        let id = |field: &str, raw: &str| -> Result<Option<i64>, ActionError> {
            if raw.is_empty() {
                return Ok(None);
            }
            raw.parse()
                .map(Some)
                .map_err(|_| ActionError::field(field, "invalid", "a whole number"))
        };
        Ok(DashboardQuery {
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
            organization: id("organization", &self.organization)?.map(Id::new),
            product: id("product", &self.product)?.map(Id::new),
            team: Some(self.team.clone()).filter(|t| !t.is_empty()),
        })
    }
}

/// One chart as the page shows it.
pub struct ChartView {
    /// The table's id (`backlog_by_severity`), for the page's ids.
    pub id: String,
    /// The caption.
    pub caption: String,
    /// The drawing, if there is something to draw.
    pub svg: Option<String>,
    /// The headings.
    pub headings: Vec<String>,
    /// How many first columns label a row.
    pub label_columns: usize,
    /// The rows.
    pub rows: Vec<Vec<Shown>>,
    /// The link that downloads this table for the filters shown, without its `format`.
    pub export: String,
}

impl ChartView {
    /// A table in the reader's words and drawn.
    pub fn of(table: &Table, ctx: &Ctx) -> Self {
        let (caption, headings, rows) = table.shown(&|key| ctx.t(key));
        let plotted: Vec<bool> = table.columns.iter().map(|c| c.plotted).collect();
        let id = format!("chart-{}", table.id.replace('_', "-"));
        let svg = Drawing {
            id: &id,
            chart: table.chart,
            caption: &caption,
            headings: &headings,
            plotted: &plotted,
            label_columns: table.label_columns(),
            rows: &rows,
        }
        .svg();
        ChartView {
            id,
            caption,
            svg,
            headings,
            label_columns: table.label_columns(),
            rows,
            export: String::new(),
        }
    }
}

/// The download link of a table for the filters shown (the period as computed), in the
/// reader's language.
fn export_link(chart: &str, form: &DashboardForm, lang: Lang) -> String {
    let pairs = [
        ("chart", chart),
        ("from", form.from.as_str()),
        ("to", form.to.as_str()),
        ("organization", form.organization.as_str()),
        ("product", form.product.as_str()),
        ("team", form.team.as_str()),
        ("lang", lang.tag()),
    ];
    let pairs: Vec<_> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    format!("/api/v1/exports/dashboard?{query}")
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    ctx: Ctx,
    form: DashboardForm,
    errors: Vec<String>,
    organizations: Options,
    products: Options,
    teams: Vec<String>,
    /// The period shown (`from`, `to`).
    period: Option<(String, String)>,
    charts: Vec<ChartView>,
}

impl DashboardPage {
    /// The period in words.
    fn period_line(&self, from: &str, to: &str) -> String {
        self.ctx.tn(
            "dashboard-period",
            &[("from", from.to_owned()), ("to", to.to_owned())],
        )
    }
}

/// Refused filters in the reader's language, each labelled as the form labels it.
fn refusals(fields: Vec<FieldError>, lang: Lang) -> Vec<String> {
    fields
        .into_iter()
        .map(|f| {
            lang.field_error(&FieldError {
                field: format!("dashboard_{}", f.field),
                ..f
            })
        })
        .collect()
}

/// `GET /console/dashboard?from&to&organization&product&team`.
pub async fn show(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    RawQuery(raw): RawQuery,
) -> WebResult<Response> {
    let mut form = DashboardForm::parse(raw.as_deref());
    let result = match form.query() {
        Ok(query) => dashboard::dashboard(&app, &viewer.who, &query).await,
        Err(e) => Err(e),
    };
    let (status, errors, period, charts) = match result {
        Ok(d) => {
            form.from = d.from.to_string();
            form.to = d.to.to_string();
            let charts = d
                .charts
                .iter()
                .map(|t| ChartView {
                    export: export_link(&t.id, &form, viewer.ctx.lang),
                    ..ChartView::of(t, &viewer.ctx)
                })
                .collect();
            let period = Some((form.from.clone(), form.to.clone()));
            (StatusCode::OK, Vec::new(), period, charts)
        }
        Err(ActionError::Validation(fields)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            refusals(fields, viewer.ctx.lang),
            None,
            Vec::new(),
        ),
        Err(e) => return Err(viewer.fail(e)),
    };
    let (organizations, products) = choices::organization_and_product_options(&app, &viewer.who)
        .await
        .map_err(|e| viewer.fail(e))?;
    let teams = dashboard::teams(&app, &viewer.who)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render_status(
        status,
        &DashboardPage {
            ctx: viewer.ctx,
            form,
            errors,
            organizations,
            products,
            teams,
            period,
            charts,
        },
    ))
}
