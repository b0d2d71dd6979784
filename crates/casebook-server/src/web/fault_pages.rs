//! The fault database in the console: `/console/faults` (filters by product, version, part
//! number, category, root cause and period; the reports, the part numbers that fail most, the
//! cases owing a report, the export, a knowledge-base draft from a report) and a case's
//! fault-handling report form, `/console/cases/{number}/fault-report`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use casebook_domain::field::fault::{
    FaultCategory, FaultDraft, FaultReport, PartFailures, ReportDue,
};
use casebook_domain::knowledge::Article;
use casebook_domain::{CaseNumber, Named};
use casebook_store::faults::FaultQuery;
use casebook_store::products::ProductFilter;
use serde::Deserialize;
use serde_json::json;

use super::choices::first;
use super::forms::{parse, refusal, typed_value};
use super::page::{Ctx, render, render_status};
use super::posted::Checked;
use super::session::{Staff, Viewer, WebResult};
use super::visit_forms::local_time;
use crate::actions::ActionError;
use crate::actions::directory::products;
use crate::actions::field::faults;
use crate::actions::reporting::exports::Format;
use crate::app::AppState;
use crate::edge::fault_query::{FaultFilter, fault_query};

#[derive(Template)]
#[template(path = "console/faults.html")]
struct FaultsPage {
    ctx: Ctx,
    filter: Filter,
    products: Vec<(i64, String)>,
    reports: Vec<FaultReport>,
    parts: Vec<PartFailures>,
    due: Vec<ReportDue>,
    query: String,
    errors: Vec<String>,
}

impl FaultsPage {
    fn categories(&self) -> &'static [FaultCategory] {
        FaultCategory::ALL
    }

    fn picked(&self, c: &FaultCategory) -> bool {
        self.filter.category.as_deref() == Some(c.as_str())
    }

    fn product_picked(&self, id: &i64) -> bool {
        self.filter.product.as_deref() == Some(id.to_string().as_str())
    }
}

/// The filters as typed.
#[derive(Debug, Default, Deserialize)]
struct Filter {
    product: Option<String>,
    version: Option<String>,
    part_number: Option<String>,
    root_cause: Option<String>,
    category: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

impl Filter {
    fn text(s: &Option<String>) -> Option<String> {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }

    /// The typed day of `field`, if any.
    fn day(s: &Option<String>, field: &str) -> Result<Option<jiff::civil::Date>, ActionError> {
        Self::text(s)
            .map(|d| {
                d.parse()
                    .map_err(|_| ActionError::field(field, "invalid", "a day, YYYY-MM-DD"))
            })
            .transpose()
    }

    fn query(&self, app: &AppState) -> Result<FaultQuery, ActionError> {
        let category = Self::text(&self.category)
            .map(|c| {
                FaultCategory::parse(&c)
                    .map_err(|e| ActionError::Validation(vec![e.on("category")]))
            })
            .transpose()?;
        let filter = FaultFilter {
            product: Self::text(&self.product)
                .and_then(|p| p.parse::<i64>().ok())
                .map(casebook_domain::ids::Id::new),
            version: self.version.as_deref(),
            part_number: self.part_number.as_deref(),
            root_cause: self.root_cause.as_deref(),
            category,
            organization: None,
            from: Self::day(&self.from, "from")?,
            to: Self::day(&self.to, "to")?,
        };
        fault_query(&filter, &app.config.time_zone())
    }
}

async fn list_page(
    app: &AppState,
    viewer: &Viewer,
    filter: Filter,
    query: String,
    errors: Vec<String>,
) -> Result<FaultsPage, ActionError> {
    let who = &viewer.who;
    let (reports, parts, mut errors) = match filter.query(app) {
        Ok(q) => (
            faults::query(app, who, &q).await?,
            faults::part_failures(app, who, &q).await?,
            errors,
        ),
        Err(err) => {
            let (_, mut more) = refusal(viewer, err).map_err(|_| ActionError::NotFound("page"))?;
            more.extend(errors);
            (Vec::new(), Vec::new(), more)
        }
    };
    errors.dedup();
    let products = products::list(app, who, ProductFilter::default(), &first(200))
        .await?
        .items
        .into_iter()
        .map(|p| (p.id.get(), p.name))
        .collect();
    Ok(FaultsPage {
        ctx: viewer.ctx.clone(),
        filter,
        products,
        reports,
        parts,
        due: faults::due(app, who).await?,
        query,
        errors,
    })
}

async fn list(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Query(filter): Query<Filter>,
    RawQuery(raw): RawQuery,
) -> WebResult<Response> {
    let page = list_page(&app, &viewer, filter, raw.unwrap_or_default(), Vec::new())
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render(&page))
}

async fn export(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Query(filter): Query<Filter>,
) -> WebResult<Response> {
    let result = async {
        let format = Format::parse(filter.format.as_deref().unwrap_or("csv"))?;
        let table =
            faults::export(&app, &viewer.who, &filter.query(&app)?, viewer.ctx.lang).await?;
        let stamp = app
            .clock
            .now()
            .to_zoned(app.config.time_zone())
            .strftime("%Y%m%d-%H%M%S")
            .to_string();
        crate::edge::export::response(table, format, &stamp)
    }
    .await;
    result.map_err(|e| viewer.fail(e))
}

async fn start_article(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(Staff(viewer), _): Checked<Staff, Vec<(String, String)>>,
) -> WebResult<Response> {
    match faults::start_article(&app, &viewer.who, id).await {
        Ok(Article { id, .. }) => {
            Ok(Redirect::to(&format!("/console/kb/{id}/edit")).into_response())
        }
        Err(err) => {
            let (status, errors) = refusal(&viewer, err)?;
            let page = list_page(&app, &viewer, Filter::default(), String::new(), errors)
                .await
                .map_err(|e| viewer.fail(e))?;
            Ok(render_status(status, &page))
        }
    }
}

#[derive(Template)]
#[template(path = "console/fault_report.html")]
struct ReportPage {
    ctx: Ctx,
    number: String,
    title: String,
    report: Option<FaultReport>,
    typed: Vec<(String, String)>,
    errors: Vec<String>,
}

impl ReportPage {
    fn categories(&self) -> &'static [FaultCategory] {
        FaultCategory::ALL
    }

    /// What a field shows: what was typed, else the report's value.
    fn value(&self, name: &str) -> String {
        if !self.typed.is_empty() {
            return typed_value(&self.typed, name);
        }
        let Some(r) = &self.report else {
            return String::new();
        };
        let local = |t: Option<casebook_domain::Timestamp>| {
            t.map(|t| {
                t.to_zoned(self.ctx.tz.clone())
                    .strftime("%Y-%m-%dT%H:%M")
                    .to_string()
            })
            .unwrap_or_default()
        };
        match name {
            "symptom" => r.symptom.clone(),
            "root_cause" => r.root_cause.clone(),
            "actions" => r.actions.clone(),
            "category" => r.category.as_str().to_owned(),
            "downtime_start" => local(r.downtime_start),
            "downtime_end" => local(r.downtime_end),
            _ => String::new(),
        }
    }

    fn version(&self) -> i64 {
        self.report.as_ref().map_or(0, |r| r.version)
    }
}

async fn report_page(
    app: &AppState,
    viewer: &Viewer,
    number: CaseNumber,
    typed: Vec<(String, String)>,
    errors: Vec<String>,
) -> Result<ReportPage, ActionError> {
    let case = crate::actions::cases::get(app, &viewer.who, number).await?;
    let report = match faults::of_case(app, &viewer.who, number).await {
        Ok(r) => Some(r),
        Err(ActionError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    Ok(ReportPage {
        ctx: viewer.ctx.clone(),
        number: number.to_string(),
        title: case.title,
        report,
        typed,
        errors,
    })
}

async fn report_form(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Path(number): Path<CaseNumber>,
) -> WebResult<Response> {
    let page = report_page(&app, &viewer, number, Vec::new(), Vec::new())
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render(&page))
}

async fn save_report(
    State(app): State<AppState>,
    Path(number): Path<CaseNumber>,
    Checked(Staff(viewer), values): Checked<Staff, Vec<(String, String)>>,
) -> WebResult<Response> {
    let v = |name: &str| typed_value(&values, name);
    let when = |name: &str| {
        Some(v(name))
            .filter(|s| !s.trim().is_empty())
            .map(|s| local_time(&app, &s))
    };
    let draft = parse::<FaultDraft>(json!({"symptom": v("symptom"), "category": v("category"),
        "root_cause": v("root_cause"), "actions": v("actions"),
        "downtime_start": when("downtime_start"), "downtime_end": when("downtime_end"),
        "version": v("version").parse::<i64>().ok().filter(|n| *n > 0)}));
    let result = match draft {
        Ok(d) => faults::write(&app, &viewer.who, number, d)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/console/cases/{number}/fault-report")).into_response())
        }
        Err(err) => {
            let (status, errors) = refusal(&viewer, err)?;
            let page = report_page(&app, &viewer, number, values, errors)
                .await
                .map_err(|e| viewer.fail(e))?;
            Ok(render_status(status, &page))
        }
    }
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/faults", get(list))
        .route("/console/faults/export", get(export))
        .route("/console/faults/{id}/article", post(start_article))
        .route(
            "/console/cases/{number}/fault-report",
            get(report_form).post(save_report),
        )
}
