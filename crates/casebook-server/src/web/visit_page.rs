//! The engineer's page of an on-site visit, `/console/visits/{id}`, made for a phone: large
//! buttons, one column. Before arrival it checks in (or calls the visit off with a reason); on
//! site it takes the work done, the travel time and each reserved item used with the serial
//! numbers in and out and the unit it went into; afterwards it shows what was recorded and takes
//! the customer's signature (drawn in a box by `assets/app.js`, or a one-time code mailed to
//! the contact), then links the service report. A refused form is shown again with what was
//! typed and the reason.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use casebook_domain::Named;
use casebook_domain::contract::Unit;
use casebook_domain::field::signature::SignOff;
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
use crate::actions::field::visit_signing;
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
    /// Where a one-time code was just sent.
    code_sent: String,
}

impl VisitPage {
    /// What was typed in a field.
    fn typed(&self, name: &str) -> String {
        typed_value(&self.typed, name)
    }

    /// "Signed by … at …".
    fn signed_line(&self) -> String {
        match &self.visit.signed {
            Some(s) => self.ctx.tn(
                "visit-signed-by",
                &[
                    ("name", s.signer_name.clone()),
                    ("at", self.ctx.time(s.signed_at)),
                ],
            ),
            None => String::new(),
        }
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
        code_sent: String::new(),
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

/// The customer signs: `signer_name` with the drawing in `signature` (filled by the page's
/// script) or with the one-time `code`.
async fn sign(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(Staff(viewer), values): Checked<Staff, Vec<(String, String)>>,
) -> WebResult<Response> {
    let given = |name: &str| Some(typed_value(&values, name)).filter(|v| !v.trim().is_empty());
    let request = parse::<SignOff>(json!({"signer_name": typed_value(&values, "signer_name"),
        "signature": given("signature"), "code": given("code"),
        "version": typed_value(&values, "version").parse::<i64>().ok()}));
    let result = match request {
        Ok(request) => visit_signing::sign(&app, &viewer.who, id, request)
            .await
            .map(|_| ()),
        Err(err) => Err(err),
    };
    let typed = values
        .into_iter()
        .filter(|(n, _)| n != "signature")
        .collect();
    done(&app, &viewer, id, result, typed).await
}

/// Mails a one-time code to the contact and shows where it went.
async fn send_code(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(Staff(viewer), _): Checked<Staff, Vec<(String, String)>>,
) -> WebResult<Response> {
    match visit_signing::send_code(&app, &viewer.who, id).await {
        Ok(sent) => {
            let mut page = page(&app, &viewer, id, Vec::new(), Vec::new())
                .await
                .map_err(|e| viewer.fail(e))?;
            page.code_sent = sent.sent_to;
            Ok(render(&page))
        }
        Err(err) => done(&app, &viewer, id, Err(err), Vec::new()).await,
    }
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/visits/{id}/sign", post(sign))
        .route("/console/visits/{id}/sign-code", post(send_code))
        .route("/console/visits/{id}", get(show))
        .route("/console/visits/{id}/check-in", post(check_in))
        .route("/console/visits/{id}/cancel", post(cancel))
        .route("/console/visits/{id}/complete", post(complete))
}
