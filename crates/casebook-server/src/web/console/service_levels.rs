//! The console's pages of a business calendar (weekly hours, holidays and make-up working days)
//! and of a support plan (targets per severity, pauses, escalation steps). Administrators edit a
//! definition as the JSON document the API takes, checked by the same action, so a calendar's
//! holidays or a plan's targets are changed with every rule the API applies.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use casebook_domain::sla::CalendarId;
use casebook_domain::sla::definition::CalendarSpec;
use casebook_domain::sla::plan::{Metric, Notify, PlanId, Target};
use serde::Deserialize;
use serde_json::Value;

use super::tables::{Cell, Table, code, text};
use crate::actions::contracts::plans::PlanInput;
use crate::actions::{ActionError, contracts::calendars, contracts::plans};
use crate::app::AppState;
use crate::web::forms::{messages, parse};
use crate::web::page::{Ctx, render_status};
use crate::web::posted::Checked;
use crate::web::session::{Staff, WebResult};

#[derive(Template)]
#[template(path = "console/definition.html")]
struct DefinitionPage {
    ctx: Ctx,
    title: String,
    fields: Vec<(&'static str, Cell)>,
    sections: Vec<Table>,
    action: String,
    definition: String,
    version: i64,
    errors: Vec<String>,
    /// Warnings about the definition's data (a year without holidays), in the viewer's language.
    warnings: Vec<String>,
}

impl DefinitionPage {
    fn show(self) -> Response {
        let status = if self.errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        render_status(status, &self)
    }
}

fn words(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(words).collect::<Vec<_>>().join(", "),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k} {}", words(v)))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

async fn calendar_page(
    app: &AppState,
    staff: &Staff,
    id: &str,
    definition: Option<String>,
    errors: Vec<String>,
) -> WebResult<DefinitionPage> {
    let id: CalendarId = id.parse().map_err(|_| staff.0.not_found())?;
    let view = calendars::get(app, &staff.0.who, &id)
        .await
        .map_err(|e| staff.0.fail(e))?;
    let cal = view.calendar;
    let spec = serde_json::to_value(&cal.spec).unwrap_or_default();
    let weekly = Table {
        title: "weekly-hours".into(),
        headers: vec!["field-day", "field-hours"],
        rows: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .iter()
            .map(|d| {
                vec![
                    text(staff.0.ctx.tk("day", d)),
                    text(words(&spec["weekly"][*d])),
                ]
            })
            .collect(),
    };
    let exceptions = Table {
        title: "field-exceptions".into(),
        headers: vec![
            "field-date",
            "field-until",
            "field-kind",
            "field-name",
            "field-hours",
        ],
        rows: spec["exceptions"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|e| {
                vec![
                    text(words(&e["date"])),
                    text(words(&e["until"])),
                    text(staff.0.ctx.tk("exception", &words(&e["kind"]))),
                    text(words(&e["name"])),
                    text(words(&e["hours"])),
                ]
            })
            .collect(),
    };
    let warnings = view
        .warnings
        .iter()
        .map(|w| {
            staff
                .0
                .ctx
                .t1(&format!("calendar-warning-{}", w.code), "year", w.year)
        })
        .collect();
    Ok(DefinitionPage {
        title: cal.spec.name.clone(),
        fields: vec![
            ("field-id", code(&cal.id)),
            ("field-time-zone", text(&cal.spec.time_zone)),
            (
                "field-builtin",
                text(if cal.builtin {
                    staff.0.ctx.t("yes")
                } else {
                    staff.0.ctx.t("no")
                }),
            ),
        ],
        sections: vec![weekly, exceptions],
        action: format!("/console/calendars/{}", cal.id),
        definition: definition
            .unwrap_or_else(|| serde_json::to_string_pretty(&cal.spec).unwrap_or_default()),
        version: cal.version,
        errors,
        warnings,
        ctx: staff.0.ctx.clone(),
    })
}

async fn calendar(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> WebResult<Response> {
    Ok(calendar_page(&app, &staff, &id, None, Vec::new())
        .await?
        .show())
}

#[derive(Deserialize)]
struct DefinitionForm {
    version: Option<i64>,
    #[serde(default)]
    definition: String,
}

fn document(raw: &str) -> Result<Value, ActionError> {
    serde_json::from_str(raw).map_err(|e| {
        ActionError::field("definition", "invalid_json", format!("not valid JSON: {e}"))
    })
}

async fn calendar_save(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Checked(staff, form): Checked<Staff, DefinitionForm>,
) -> WebResult<Response> {
    let parsed: CalendarId = id.parse().map_err(|_| staff.0.not_found())?;
    let result = match document(&form.definition).and_then(parse::<CalendarSpec>) {
        Ok(spec) => calendars::replace(&app, &staff.0.who, &parsed, spec, form.version)
            .await
            .map(|_| ()),
        Err(err) => Err(err),
    };
    let again = |errors| calendar_page(&app, &staff, &id, Some(form.definition), errors);
    saved(&staff, result, format!("/console/calendars/{id}"), again).await
}

/// Goes back to the page when saved; a refusal shows it again with the definition typed.
async fn saved<F>(
    staff: &Staff,
    result: Result<(), ActionError>,
    back: String,
    again: impl FnOnce(Vec<String>) -> F,
) -> WebResult<Response>
where
    F: Future<Output = WebResult<DefinitionPage>>,
{
    match result {
        Ok(()) => Ok(Redirect::to(&back).into_response()),
        Err(
            err @ (ActionError::Validation(_)
            | ActionError::StaleVersion
            | ActionError::Conflict { .. }),
        ) => Ok(again(messages(&err, staff.0.ctx.lang)).await?.show()),
        Err(err) => Err(staff.0.fail(err)),
    }
}

async fn plan_page(
    app: &AppState,
    staff: &Staff,
    id: &str,
    definition: Option<String>,
    errors: Vec<String>,
) -> WebResult<DefinitionPage> {
    let id: PlanId = id.parse().map_err(|_| staff.0.not_found())?;
    let plan = plans::get(app, &staff.0.who, &id)
        .await
        .map_err(|e| staff.0.fail(e))?;
    let spec = serde_json::to_value(&plan.spec).unwrap_or_default();
    let ctx = &staff.0.ctx;
    let mut calendar_names: Vec<(CalendarId, String)> = Vec::new();
    for terms in &plan.spec.severities {
        let ids = std::iter::once(&terms.calendar)
            .chain(terms.overrides.iter().filter_map(|o| o.calendar.as_ref()));
        for id in ids {
            if !calendar_names.iter().any(|(known, _)| known == id) {
                let name = match calendars::get(app, &staff.0.who, id).await {
                    Ok(view) => view.calendar.spec.name,
                    Err(_) => id.to_string(),
                };
                calendar_names.push((id.clone(), name));
            }
        }
    }
    let calendar_name = |id: &CalendarId| {
        calendar_names
            .iter()
            .find(|(known, _)| known == id)
            .map(|(_, name)| name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let terms = Table {
        title: "plan-targets".into(),
        headers: vec![
            "field-severity",
            "field-calendar",
            "field-targets",
            "field-overrides",
        ],
        rows: plan
            .spec
            .severities
            .iter()
            .map(|t| {
                let targets = Metric::ALL
                    .into_iter()
                    .filter_map(|m| t.targets.of(m).map(|target| (m, target)))
                    .map(|(m, target)| format!("{} {}", ctx.metric(m), target_text(ctx, target)))
                    .collect::<Vec<_>>()
                    .join(ctx.t("list-separator").as_str());
                let overrides = t
                    .overrides
                    .iter()
                    .map(|o| {
                        let channels = o
                            .channels
                            .iter()
                            .map(|c| ctx.channel(c))
                            .collect::<Vec<_>>()
                            .join(ctx.t("list-separator").as_str());
                        let mut text = ctx.tn(
                            "plan-override",
                            &[
                                ("channels", channels),
                                ("metric", ctx.metric(o.metric)),
                                ("target", target_text(ctx, o.target)),
                            ],
                        );
                        if let Some(calendar) = &o.calendar {
                            text.push_str(&ctx.t1(
                                "plan-override-calendar",
                                "calendar",
                                calendar_name(calendar),
                            ));
                        }
                        text
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                vec![
                    text(ctx.sev(t.severity)),
                    text(calendar_name(&t.calendar)),
                    text(targets),
                    text(overrides),
                ]
            })
            .collect(),
    };
    let steps = Table {
        title: "plan-escalation".into(),
        headers: vec!["field-percent", "field-notify"],
        rows: plan
            .spec
            .escalation
            .iter()
            .map(|s| {
                let who = match s.notify {
                    Notify::Owner => "notify-owner",
                    Notify::TierLead => "notify-tier_lead",
                    Notify::DutyManager => "notify-duty_manager",
                };
                vec![text(format!("{} %", s.percent)), text(ctx.t(who))]
            })
            .collect(),
    };
    let mut input = spec.clone();
    if let Value::Object(map) = &mut input {
        map.insert("id".into(), Value::String(plan.id.to_string()));
        map.insert("is_default".into(), Value::Bool(plan.is_default));
    }
    let pauses = plan
        .spec
        .pause_statuses
        .iter()
        .map(|s| ctx.status(s))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(DefinitionPage {
        title: plan.spec.name.clone(),
        fields: vec![
            ("field-id", code(&plan.id)),
            ("field-description", text(&plan.spec.description)),
            ("field-pauses", text(pauses)),
            (
                "field-default",
                text(if plan.is_default {
                    ctx.t("yes")
                } else {
                    ctx.t("no")
                }),
            ),
        ],
        sections: vec![terms, steps],
        action: format!("/console/plans/{}", plan.id),
        definition: definition
            .unwrap_or_else(|| serde_json::to_string_pretty(&input).unwrap_or_default()),
        version: plan.version,
        errors,
        warnings: Vec::new(),
        ctx: ctx.clone(),
    })
}

async fn plan(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> WebResult<Response> {
    Ok(plan_page(&app, &staff, &id, None, Vec::new()).await?.show())
}

async fn plan_save(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Checked(staff, form): Checked<Staff, DefinitionForm>,
) -> WebResult<Response> {
    let parsed: PlanId = id.parse().map_err(|_| staff.0.not_found())?;
    let result = match document(&form.definition).and_then(parse::<PlanInput>) {
        Ok(input) => plans::replace(&app, &staff.0.who, &parsed, input, form.version)
            .await
            .map(|_| ()),
        Err(err) => Err(err),
    };
    let again = |errors| plan_page(&app, &staff, &id, Some(form.definition), errors);
    saved(&staff, result, format!("/console/plans/{id}"), again).await
}

/// A target for people: `2 小时`, `1 小时 30 分钟`, `第二个工作日`.
fn target_text(ctx: &Ctx, target: Target) -> String {
    match target {
        Target::NextBusinessDay => ctx.t("target-nbd"),
        Target::Minutes(minutes) if minutes % 60 == 0 => {
            ctx.t1("target-hours", "hours", minutes / 60)
        }
        Target::Minutes(minutes) if minutes < 60 => ctx.t1("target-minutes", "minutes", minutes),
        Target::Minutes(minutes) => ctx.tn(
            "target-hours-minutes",
            &[
                ("hours", (minutes / 60).to_string()),
                ("minutes", (minutes % 60).to_string()),
            ],
        ),
    }
}

/// The routes of these pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/calendars/{id}", get(calendar).post(calendar_save))
        .route("/console/plans/{id}", get(plan).post(plan_save))
}
