//! The console's views of call home: a unit as a device (`/console/devices/{unit}`: its
//! heartbeat, silence, storm suppression, version and configuration, its events and cases), a
//! site (`/console/sites/{id}`: its devices with their flags, open call-home cases and latest
//! events), and the staff's list of kept events (`/console/call-home`) filtered by outcome and
//! organisation (heartbeats hidden unless asked for), which shows the events that opened no
//! case (`not_entitled`, …). The rules and
//! keys pages are in `call_home_rules.rs` and `call_home_keys.rs`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use casebook_domain::Timestamp;
use casebook_domain::ids::{OrganizationId, SiteId, UnitId};
use casebook_store::PageRequest;
use casebook_store::call_home_views::{DeviceCase, EventFilter, EventRow};
use serde::Deserialize;

use super::tables::{
    Cell, ListQuery, Table, case_cells, fail, first, link, page_of, site_cell, text, unit_head,
};
use crate::actions::ActionError;
use crate::actions::call_home::views::{self as views, EventOutcome, Silence};
use crate::app::AppState;
use crate::web::choices;
use crate::web::page::{Ctx, render};
use crate::web::session::{Staff, WebResult, urlencode};

/// A call-home view: fields, the device's configuration, tables each with its next page, and
/// on the events list the filter form.
#[derive(Template)]
#[template(path = "console/call_home_view.html")]
pub struct ViewPage {
    pub ctx: Ctx,
    pub title: String,
    pub actions: Vec<(&'static str, String)>,
    pub filter: Option<Filter>,
    pub fields: Vec<(&'static str, Cell)>,
    pub configuration: Option<String>,
    pub sections: Vec<(Table, Option<String>)>,
}

/// The events list's filter as chosen, with its choices.
pub struct Filter {
    pub outcome: String,
    pub organization: String,
    pub outcomes: Vec<(String, String)>,
    pub organizations: Vec<(String, String)>,
    /// Whether heartbeats show (hidden by default).
    pub heartbeats: bool,
}

/// Links between the call-home pages.
pub fn call_home_actions() -> Vec<(&'static str, String)> {
    vec![
        ("call-home-events", "/console/call-home".to_owned()),
        ("call-home-rules", "/console/call-home/rules".to_owned()),
        ("call-home-keys", "/console/call-home/keys".to_owned()),
    ]
}

/// The columns of an events table (with the organisation on the staff's list).
fn event_headers(with_organization: bool) -> Vec<&'static str> {
    let mut headers = vec!["field-time"];
    if with_organization {
        headers.push("field-organization");
    }
    headers.extend([
        "field-serial-number",
        "field-event-type",
        "field-event-code",
        "field-severity",
        "field-message",
        "field-outcome",
        "field-reason",
        "field-case",
    ]);
    headers
}

/// One event as a row; the message is text, so the page escapes it.
fn event_row(ctx: &Ctx, e: &EventRow, with_organization: bool) -> Vec<Cell> {
    let mut row = vec![text(ctx.time(e.occurred_at))];
    if with_organization {
        row.push(link(
            &e.organization_name,
            format!("/console/organizations/{}", e.organization_id),
        ));
    }
    row.push(match e.unit_id {
        Some(unit) => link(&e.serial_number, format!("/console/devices/{unit}")),
        None => text(&e.serial_number),
    });
    row.extend([
        text(ctx.tk("call-home-type", &e.event_type)),
        text(&e.event_code),
        text(if e.severity.is_empty() {
            String::new()
        } else {
            ctx.tk("call-home-severity", &e.severity)
        }),
        text(&e.message),
        text(ctx.tk("call-home-outcome", e.outcome.as_str())),
        text(&e.reason),
        match e.case {
            Some(number) => link(number, format!("/console/cases/{number}")),
            None => text(""),
        },
    ]);
    row
}

/// A table of events.
pub fn events_table(ctx: &Ctx, title: &str, events: &[EventRow], with_org: bool) -> Table {
    Table {
        title: title.to_owned(),
        headers: event_headers(with_org),
        rows: events.iter().map(|e| event_row(ctx, e, with_org)).collect(),
    }
}

/// A table of device cases.
fn cases_table(ctx: &Ctx, title: &str, cases: &[DeviceCase]) -> Table {
    Table {
        title: title.to_owned(),
        headers: vec![
            "field-number",
            "field-title",
            "field-status",
            "field-severity",
            "field-serial-number",
            "field-fault",
            "field-occurrences",
            "field-last-seen",
        ],
        rows: cases
            .iter()
            .map(|c| {
                let mut cells = case_cells(ctx, c.number, &c.title, c.status);
                cells.extend([
                    text(ctx.sev(c.severity)),
                    text(&c.serial_number),
                    text(c.signature.clone().unwrap_or_default()),
                    text(c.occurrences.map(|n| n.to_string()).unwrap_or_default()),
                    text(c.last_seen.map(|t| ctx.time(t)).unwrap_or_default()),
                ]);
                cells
            })
            .collect(),
    }
}

fn opt_time(ctx: &Ctx, at: Option<Timestamp>) -> String {
    at.map(|t| ctx.time(t))
        .unwrap_or_else(|| ctx.t("call-home-never"))
}

/// How a device's silence reads.
fn silence_text(ctx: &Ctx, s: Silence) -> String {
    match s {
        Silence::Silent { since } => ctx.t1("call-home-silent-since", "time", ctx.time(since)),
        other => ctx.tk("call-home-silence", other.as_str()),
    }
}

fn interval_text(ctx: &Ctx, secs: Option<i64>) -> String {
    secs.map(|s| ctx.t1("call-home-seconds", "count", s))
        .unwrap_or_else(|| ctx.t("call-home-not-announced"))
}

/// `GET /console/devices/{unit}`: a unit as a device that calls home.
async fn device(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> WebResult<Response> {
    let (who, ctx) = (&staff.0.who, staff.0.ctx.clone());
    let id = UnitId::new(id);
    let d = views::device(&app, who, id).await.map_err(fail(&staff))?;
    let filter = EventFilter {
        unit: Some(id),
        ..EventFilter::default()
    };
    let events = views::events(&app, who, &filter, &page_of(&q))
        .await
        .map_err(fail(&staff))?;
    let cases = views::unit_cases(&app, who, id, &first(50))
        .await
        .map_err(fail(&staff))?;
    let u = &d.unit;
    let state = d.state.as_ref();
    let mut fields = unit_head(u);
    fields.push(("field-site", site_cell(u)));
    fields.extend([
        (
            "field-last-heartbeat",
            text(opt_time(&ctx, state.and_then(|s| s.last_heartbeat_at))),
        ),
        (
            "field-heartbeat-interval",
            text(interval_text(&ctx, state.and_then(|s| s.heartbeat_secs))),
        ),
        ("field-silence", text(silence_text(&ctx, d.silence))),
        (
            "field-suppressed-until",
            text(
                d.suppressed_until
                    .map(|t| ctx.time(t))
                    .unwrap_or_else(|| ctx.t("no")),
            ),
        ),
        (
            "field-last-event",
            text(opt_time(&ctx, state.and_then(|s| s.last_event_at))),
        ),
    ]);
    let next = events
        .next_cursor
        .map(|c| format!("/console/devices/{id}?cursor={c}"));
    let sections = vec![
        (
            events_table(&ctx, "call-home-device-events", &events.items, false),
            next,
        ),
        (
            cases_table(&ctx, "call-home-device-cases", &cases.items),
            None,
        ),
    ];
    Ok(render(&ViewPage {
        title: ctx.t1("call-home-device-title", "serial", &u.serial_number),
        actions: vec![("call-home-unit", format!("/console/units/{id}"))],
        filter: None,
        fields,
        configuration: d.configuration,
        sections,
        ctx,
    }))
}

/// `GET /console/sites/{id}`: a site with its devices, open call-home cases and latest events.
async fn site(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> WebResult<Response> {
    let id = SiteId::new(id);
    let (who, ctx) = (&staff.0.who, staff.0.ctx.clone());
    let v = views::site(&app, who, id, &page_of(&q))
        .await
        .map_err(fail(&staff))?;
    let s = &v.site;
    let devices = Table {
        title: "call-home-site-devices".into(),
        headers: vec![
            "field-serial-number",
            "field-product",
            "field-version",
            "field-last-heartbeat",
            "field-silence",
            "field-suppressed-until",
            "field-open-cases",
        ],
        rows: v
            .devices
            .items
            .iter()
            .map(|d| {
                let unit = &d.device;
                vec![
                    link(
                        &unit.serial_number,
                        format!("/console/devices/{}", unit.unit_id),
                    ),
                    text(&unit.product),
                    text(unit.product_version.clone().unwrap_or_default()),
                    text(opt_time(&ctx, unit.last_heartbeat_at)),
                    text(silence_text(&ctx, d.silence)),
                    text(d.suppressed_until.map(|t| ctx.time(t)).unwrap_or_default()),
                    text(unit.open_cases),
                ]
            })
            .collect(),
    };
    let next = v
        .devices
        .next_cursor
        .map(|c| format!("/console/sites/{id}?cursor={c}"));
    let fields = vec![
        ("field-site-code", text(&s.code)),
        (
            "field-organization",
            link(
                s.organization_id,
                format!("/console/organizations/{}", s.organization_id),
            ),
        ),
        ("field-address", text(&s.address)),
        ("field-notes", text(&s.notes)),
    ];
    let sections = vec![
        (devices, next),
        (
            cases_table(&ctx, "call-home-open-cases", &v.open_cases),
            None,
        ),
        (
            events_table(&ctx, "call-home-site-events", &v.events, false),
            None,
        ),
    ];
    Ok(render(&ViewPage {
        title: s.name.clone(),
        actions: vec![("edit", format!("/console/sites/{id}/edit"))],
        filter: None,
        fields,
        configuration: None,
        sections,
        ctx,
    }))
}

/// The events list's query: the filters as chosen (blank: any) and the page.
#[derive(Debug, Default, Deserialize)]
pub struct EventsQuery {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    organization: String,
    /// Any value shows heartbeats, which the list hides by default.
    #[serde(default)]
    heartbeats: String,
    cursor: Option<String>,
}

/// `GET /console/call-home`: the kept events, newest first, by outcome and organisation.
async fn events(
    State(app): State<AppState>,
    staff: Staff,
    Query(q): Query<EventsQuery>,
) -> WebResult<Response> {
    let (who, ctx) = (&staff.0.who, staff.0.ctx.clone());
    let outcome = match q.outcome.trim() {
        "" => None,
        raw => Some(views::parse_outcome(raw).map_err(fail(&staff))?),
    };
    let organization = match q.organization.trim() {
        "" => None,
        raw => Some(OrganizationId::new(raw.parse::<i64>().map_err(|_| {
            staff.0.fail(ActionError::field(
                "organization",
                "invalid",
                "an organisation id",
            ))
        })?)),
    };
    let heartbeats = !q.heartbeats.trim().is_empty();
    let filter = EventFilter {
        organization,
        outcome,
        without_heartbeats: !heartbeats,
        ..EventFilter::default()
    };
    let page = PageRequest {
        limit: Some(50),
        cursor: q.cursor.clone(),
    };
    let found = views::events(&app, who, &filter, &page)
        .await
        .map_err(fail(&staff))?;
    let organizations = choices::organization_options(&app, who)
        .await
        .map_err(fail(&staff))?;
    let next = found.next_cursor.map(|c| {
        format!(
            "/console/call-home?outcome={}&organization={}{}&cursor={c}",
            urlencode(q.outcome.trim()),
            urlencode(q.organization.trim()),
            if heartbeats { "&heartbeats=1" } else { "" }
        )
    });
    let table = events_table(&ctx, "call-home-events", &found.items, true);
    Ok(render(&ViewPage {
        title: ctx.t("nav-call-home"),
        actions: call_home_actions(),
        filter: Some(Filter {
            outcome: outcome.map(|o| o.as_str().to_owned()).unwrap_or_default(),
            organization: organization.map(|o| o.to_string()).unwrap_or_default(),
            outcomes: EventOutcome::ALL
                .iter()
                .map(|o| {
                    (
                        o.as_str().to_owned(),
                        ctx.tk("call-home-outcome", o.as_str()),
                    )
                })
                .collect(),
            organizations,
            heartbeats,
        }),
        fields: Vec::new(),
        configuration: None,
        sections: vec![(table, next)],
        ctx,
    }))
}

/// The routes of the call-home pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/call-home", get(events))
        .route("/console/devices/{id}", get(device))
        .route("/console/sites/{id}", get(site))
        .merge(super::call_home_rules::routes())
        .merge(super::call_home_keys::routes())
}
