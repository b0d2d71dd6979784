//! The engineer's page of an on-site visit, `/console/visits/{id}`, made for a phone: large
//! buttons, one column. Before arrival it checks in (or calls the visit off with a reason); on
//! site it takes the work done, the travel time and each reserved item used with the serial
//! numbers in and out and the unit it went into; afterwards it shows what was recorded. A
//! refused form is shown again with what was typed and the reason.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use casebook_domain::Named;
use casebook_domain::contract::Unit;
use casebook_domain::field::visit::{CheckIn, Completion, Visit};
use casebook_store::units::UnitFilter;
use serde_json::json;

use super::choices::first;
use super::forms::{parse, refusal, typed_value};
use super::page::{Ctx, render, render_status};
use super::posted::Checked;
use super::session::{Staff, Viewer, WebResult};
use crate::actions::ActionError;
use crate::actions::directory::units;
use crate::actions::field::visits::{self, Cancel};
use crate::app::AppState;

#[derive(Template)]
#[template(path = "console/visit.html")]
struct VisitPage {
    ctx: Ctx,
    visit: Visit,
    units: Vec<Unit>,
    errors: Vec<String>,
    /// What was typed, by field name.
    typed: Vec<(String, String)>,
}

impl VisitPage {
    /// What was typed in a field.
    fn typed(&self, name: &str) -> String {
        typed_value(&self.typed, name)
    }

    /// One slot per reserved item: (slot name, part id, what it is).
    fn slots(&self) -> Vec<(String, i64, String)> {
        let mut out = Vec::new();
        for r in &self.visit.reserved {
            for i in 0..r.quantity {
                out.push((
                    format!("{}-{i}", r.part_id),
                    r.part_id,
                    format!("{} {}", r.part_number, r.description),
                ));
            }
        }
        out
    }
}

async fn page(
    app: &AppState,
    viewer: &Viewer,
    id: i64,
    errors: Vec<String>,
    typed: Vec<(String, String)>,
) -> Result<VisitPage, ActionError> {
    let visit = visits::get(app, &viewer.who, id).await?;
    let number = visit
        .case_number
        .parse()
        .map_err(|_| ActionError::NotFound("visit"))?;
    let case = crate::actions::cases::get(app, &viewer.who, number).await?;
    let filter = UnitFilter {
        organization: Some(case.organization.id),
        ..UnitFilter::default()
    };
    let units = units::list(app, &viewer.who, filter, None, &first(100))
        .await?
        .items;
    Ok(VisitPage {
        ctx: viewer.ctx.clone(),
        visit,
        units,
        errors,
        typed,
    })
}

async fn show(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let page = page(&app, &viewer, id, Vec::new(), Vec::new())
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render(&page))
}

async fn done(
    app: &AppState,
    viewer: &Viewer,
    id: i64,
    result: Result<(), ActionError>,
    typed: Vec<(String, String)>,
) -> WebResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/console/visits/{id}")).into_response()),
        Err(err) => {
            let (status, errors) = refusal(viewer, err)?;
            let page = page(app, viewer, id, errors, typed)
                .await
                .map_err(|e| viewer.fail(e))?;
            Ok(render_status(status, &page))
        }
    }
}

async fn check_in(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(Staff(viewer), values): Checked<Staff, Vec<(String, String)>>,
) -> WebResult<Response> {
    let version = typed_value(&values, "version").parse().ok();
    let result = visits::check_in(&app, &viewer.who, id, CheckIn { at: None, version })
        .await
        .map(|_| ());
    done(&app, &viewer, id, result, values).await
}

async fn cancel(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(Staff(viewer), values): Checked<Staff, Vec<(String, String)>>,
) -> WebResult<Response> {
    let request = Cancel {
        reason: typed_value(&values, "reason"),
        version: typed_value(&values, "version").parse().ok(),
    };
    let result = visits::cancel(&app, &viewer.who, id, request)
        .await
        .map(|_| ());
    done(&app, &viewer, id, result, values).await
}

/// Reads the completion form: `work_done`, `travel_minutes`, and per item slot `use-{slot}`
/// (ticked), `part-{slot}`, `new-{slot}`, `old-{slot}`, `unit-{slot}`.
fn completion(values: &[(String, String)]) -> Result<Completion, ActionError> {
    let mut parts = Vec::new();
    for (name, _) in values
        .iter()
        .filter(|(n, v)| n.starts_with("use-") && !v.is_empty())
    {
        let slot = &name[4..];
        let field = |f: &str| typed_value(values, &format!("{f}-{slot}"));
        let unit = field("unit").parse::<i64>().ok();
        let text = |f: &str| Some(field(f)).filter(|s| !s.trim().is_empty());
        parts.push(
            json!({"part_id": field("part").parse::<i64>().unwrap_or_default(), "unit_id": unit,
            "new_serial": text("new"), "old_serial": text("old")}),
        );
    }
    let travel = typed_value(values, "travel_minutes");
    let travel = if travel.trim().is_empty() {
        json!(0)
    } else {
        travel
            .trim()
            .parse::<i64>()
            .map_or_else(|_| json!(travel), |t| json!(t))
    };
    parse::<Completion>(
        json!({"work_done": typed_value(values, "work_done"), "travel_minutes": travel, "parts": parts,
        "version": typed_value(values, "version").parse::<i64>().ok()}),
    )
}

async fn complete(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(Staff(viewer), values): Checked<Staff, Vec<(String, String)>>,
) -> WebResult<Response> {
    let result = match completion(&values) {
        Ok(request) => visits::complete(&app, &viewer.who, id, request)
            .await
            .map(|_| ()),
        Err(err) => Err(err),
    };
    done(&app, &viewer, id, result, values).await
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/visits/{id}", get(show))
        .route("/console/visits/{id}/check-in", post(check_in))
        .route("/console/visits/{id}/cancel", post(cancel))
        .route("/console/visits/{id}/complete", post(complete))
}
