//! `/console/ola-targets`: the internal targets per tier and severity (OLA) as a grid, a row per
//! tier and a column per severity, each cell the business minutes and the warning share. Staff
//! read it; administrators of service levels save the whole grid through the same action as the
//! API. A refused grid is shown again with what was typed and why.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use casebook_domain::ola::{DEFAULT_WARN_PERCENT, OlaTarget, OlaTargets};
use casebook_domain::policy::Permission;
use casebook_domain::{FieldError, Named, Severity, Tier};

use crate::actions::ActionError;
use crate::actions::cases::ola;
use crate::app::AppState;
use crate::policy::require;
use crate::web::forms::messages;
use crate::web::page::{Ctx, render};
use crate::web::posted::Checked;
use crate::web::session::{Staff, WebResult};

const PAGE: &str = "/console/ola-targets";

/// The routes of the page.
pub fn routes() -> Router<AppState> {
    Router::new().route(PAGE, get(show).post(save))
}

/// One cell of the grid: what it holds or what was typed into it.
struct Cell {
    /// `{tier}-{severity}`, the suffix of the inputs' names.
    key: String,
    minutes: String,
    warn: String,
}

/// One row: a tier and a cell per severity.
struct Row {
    tier: Tier,
    cells: Vec<Cell>,
}

#[derive(Template)]
#[template(path = "console/ola_targets.html")]
struct Page {
    ctx: Ctx,
    rows: Vec<Row>,
    editable: bool,
    errors: Vec<String>,
}

fn key(tier: Tier, severity: Severity) -> String {
    format!("{}-{}", tier.as_str(), severity.level())
}

/// The grid of `targets`, or of what was typed (`typed`, by input name) when it was refused.
fn grid(targets: &OlaTargets, typed: Option<&HashMap<String, String>>) -> Vec<Row> {
    Tier::ALL
        .iter()
        .map(|&tier| Row {
            tier,
            cells: Severity::ALL
                .iter()
                .map(|&severity| {
                    let key = key(tier, severity);
                    let target = targets.find(tier, severity);
                    let (minutes, warn) = match typed {
                        Some(form) => (
                            form.get(&format!("m-{key}")).cloned().unwrap_or_default(),
                            form.get(&format!("w-{key}")).cloned().unwrap_or_default(),
                        ),
                        None => (
                            target.map(|t| t.minutes.to_string()).unwrap_or_default(),
                            target
                                .map(|t| t.warn_percent.to_string())
                                .unwrap_or_default(),
                        ),
                    };
                    Cell { key, minutes, warn }
                })
                .collect(),
        })
        .collect()
}

/// The targets a posted grid holds: a cell with minutes is a target (its share 75 % when left
/// empty); a cell whose numbers are not whole numbers is named in the errors.
fn parse(form: &HashMap<String, String>) -> Result<OlaTargets, Vec<FieldError>> {
    let mut targets = Vec::new();
    let mut errors = Vec::new();
    for &tier in Tier::ALL {
        for severity in Severity::ALL {
            let key = key(tier, severity);
            let minutes = form
                .get(&format!("m-{key}"))
                .map(|v| v.trim())
                .unwrap_or("");
            let warn = form
                .get(&format!("w-{key}"))
                .map(|v| v.trim())
                .unwrap_or("");
            if minutes.is_empty() {
                continue;
            }
            let number = |field: &str, raw: &str| {
                raw.parse::<i64>().map_err(|_| {
                    FieldError::new(
                        format!("{field}-{key}"),
                        "invalid",
                        "must be a whole number",
                    )
                })
            };
            let minutes = number("minutes", minutes);
            let warn = if warn.is_empty() {
                Ok(DEFAULT_WARN_PERCENT)
            } else {
                number("warn_percent", warn)
            };
            match (minutes, warn) {
                (Ok(minutes), Ok(warn_percent)) => targets.push(OlaTarget {
                    tier,
                    severity,
                    minutes,
                    warn_percent,
                }),
                (m, w) => errors.extend(m.err().into_iter().chain(w.err())),
            }
        }
    }
    if errors.is_empty() {
        Ok(OlaTargets { targets })
    } else {
        Err(errors)
    }
}

/// Names the cell of each refused target (`targets[2].minutes` → `minutes-l2-3`), so the
/// message says which cell it is about.
fn on_cells(err: ActionError, cells: &[String]) -> ActionError {
    let ActionError::Validation(errors) = err else {
        return err;
    };
    let named = errors
        .into_iter()
        .map(|mut e| {
            let index = e
                .field
                .strip_prefix("targets[")
                .and_then(|rest| rest.split(']').next())
                .and_then(|i| i.parse::<usize>().ok());
            if let Some(cell) = index.and_then(|i| cells.get(i)) {
                let what = e.field.rsplit_once('.').map_or("minutes", |(_, f)| f);
                e.field = format!("{what}-{cell}");
            }
            e
        })
        .collect();
    ActionError::Validation(named)
}

/// The messages of a refused grid, each led by the cell it is about (`二线 · 严重级别 2 ·
/// 工作分钟`).
fn cell_messages(ctx: &Ctx, err: &ActionError) -> Vec<String> {
    let texts = messages(err, ctx.lang);
    let ActionError::Validation(errors) = err else {
        return texts;
    };
    errors
        .iter()
        .zip(texts)
        .map(|(e, text)| {
            let mut parts = e.field.split('-');
            let (what, tier, severity) = (parts.next(), parts.next(), parts.next());
            let tier = tier.and_then(|t| Tier::parse(t).ok());
            match (what, tier, severity) {
                (Some(what), Some(tier), Some(severity)) => {
                    let input = if what == "minutes" {
                        "ola-minutes"
                    } else {
                        "ola-warn"
                    };
                    format!(
                        "{} · {} · {}: {text}",
                        ctx.tier(tier),
                        ctx.t1("ola-severity", "n", severity),
                        ctx.t(input)
                    )
                }
                _ => text,
            }
        })
        .collect()
}

/// `GET /console/ola-targets`.
async fn show(State(app): State<AppState>, staff: Staff) -> WebResult<Response> {
    let targets = ola::targets(&app, &staff.0.who)
        .await
        .map_err(|e| staff.0.fail(e))?;
    Ok(page(&staff, grid(&targets, None), Vec::new()))
}

fn page(staff: &Staff, rows: Vec<Row>, errors: Vec<String>) -> Response {
    let ctx = staff.0.ctx.clone();
    let editable = require(&staff.0.who, Permission::ManageServiceLevels).is_ok();
    render(&Page {
        ctx,
        rows,
        editable,
        errors,
    })
}

/// `POST /console/ola-targets`: saves the whole grid.
async fn save(
    State(app): State<AppState>,
    Checked(staff, form): Checked<Staff, HashMap<String, String>>,
) -> WebResult<Response> {
    let result = match parse(&form) {
        Ok(set) => {
            let cells: Vec<String> = set
                .targets
                .iter()
                .map(|t| key(t.tier, t.severity))
                .collect();
            ola::set_targets(&app, &staff.0.who, set)
                .await
                .map(|_| ())
                .map_err(|e| on_cells(e, &cells))
        }
        Err(errors) => Err(ActionError::Validation(errors)),
    };
    match result {
        Ok(()) => Ok(Redirect::to(PAGE).into_response()),
        Err(err @ ActionError::Validation(_)) => {
            let errors = cell_messages(&staff.0.ctx, &err);
            let rows = grid(&OlaTargets::default(), Some(&form));
            Ok(page(&staff, rows, errors))
        }
        Err(err) => Err(staff.0.fail(err)),
    }
}
