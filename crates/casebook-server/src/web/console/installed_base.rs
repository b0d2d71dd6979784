//! The console's pages of products (versions and lifecycle dates), the installed base (units
//! with their history), contracts, business calendars and support plans.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use casebook_domain::ids::{ContractId, ProductId, UnitId};

use super::lists::{CalendarList, ContractList, PlanList, ProductList, UnitList};
use super::tables::{DetailPage, Table, code, fail, link, list, site_cell, text, unit_head};
use crate::actions::{contracts, directory::products, directory::units};
use crate::app::AppState;
use crate::web::page::render;
use crate::web::session::{Staff, WebResult};

async fn product(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let who = &staff.0.who;
    let ctx = staff.0.ctx.clone();
    let p = products::get(&app, who, ProductId::new(id))
        .await
        .map_err(fail(&staff))?;
    let versions = Table {
        title: "field-versions".into(),
        headers: vec![
            "field-version",
            "field-ga",
            "field-end-of-marketing",
            "field-end-of-support",
        ],
        rows: p
            .versions
            .iter()
            .map(|v| {
                vec![
                    link(
                        &v.version,
                        format!("/console/products/{}/versions/{}/edit", p.id, v.id),
                    ),
                    text(opt_date(v.released_on)),
                    text(opt_date(v.end_of_marketing_on)),
                    text(opt_date(v.end_of_support_on)),
                ]
            })
            .collect(),
    };
    Ok(render(&DetailPage {
        actions: vec![
            ("edit", format!("/console/products/{}/edit", p.id)),
            (
                "new-version",
                format!("/console/products/{}/versions/new", p.id),
            ),
        ],
        ctx,
        title: p.name,
        fields: vec![("field-vendor", text(&p.vendor))],
        sections: vec![versions],
    }))
}

fn opt_date(d: Option<jiff::civil::Date>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

async fn unit(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let id = UnitId::new(id);
    let (who, ctx) = (&staff.0.who, staff.0.ctx.clone());
    let u = units::get(&app, who, id).await.map_err(fail(&staff))?;
    let history = units::history(&app, who, id).await.map_err(fail(&staff))?;
    let mut fields = unit_head(&u);
    fields.extend([
        (
            "field-patch-level",
            text(u.patch_level.clone().unwrap_or_default()),
        ),
        (
            "field-os",
            text(u.operating_system.clone().unwrap_or_default()),
        ),
        ("field-site", site_cell(&u)),
        ("field-notes", text(&u.notes)),
    ]);
    let history = Table {
        title: "unit-history".into(),
        headers: vec!["field-time", "field-change"],
        rows: history
            .iter()
            .map(|h| vec![text(ctx.time(h.at)), text(ctx.field_changes(&h.changes))])
            .collect(),
    };
    Ok(render(&DetailPage {
        actions: vec![
            ("edit", format!("/console/units/{}/edit", u.id)),
            ("call-home-device", format!("/console/devices/{}", u.id)),
        ],
        ctx,
        title: u.serial_number,
        fields,
        sections: vec![history],
    }))
}

async fn contract(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let ctx = staff.0.ctx.clone();
    let c = contracts::get(&app, &staff.0.who, ContractId::new(id))
        .await
        .map_err(fail(&staff))?;
    let incidents = match c.incidents {
        Some(n) => format!("{} / {n}", c.incidents_used),
        None => ctx.t("unlimited"),
    };
    let fields = vec![
        (
            "field-organization",
            link(
                c.organization_id,
                format!("/console/organizations/{}", c.organization_id),
            ),
        ),
        ("field-plan", code(&c.plan)),
        ("field-starts-on", text(c.starts_on)),
        ("field-ends-on", text(c.ends_on)),
        (
            "field-channels",
            text(
                c.channels
                    .iter()
                    .map(|ch| ctx.channel(ch))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ),
        ("field-incidents", text(incidents)),
        (
            "field-hours-used",
            text(match c.hours {
                Some(h) => format!(
                    "{} / {h}",
                    casebook_domain::work::hours_text(c.minutes_used)
                ),
                None => ctx.t("usage-no-bank"),
            }),
        ),
        (
            "field-service-manager",
            text(
                c.service_manager
                    .as_ref()
                    .map(|m| m.name.clone())
                    .unwrap_or_default(),
            ),
        ),
        ("field-units", text(c.units.len())),
        ("field-notes", text(&c.notes)),
    ];
    Ok(render(&DetailPage {
        actions: vec![
            ("edit", format!("/console/contracts/{}/edit", c.id)),
            ("usage-link", format!("/console/contracts/{}/usage", c.id)),
        ],
        ctx,
        title: c.contract_number,
        fields,
        sections: Vec::new(),
    }))
}

/// The routes of these pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/products", get(list::<ProductList>))
        .route("/console/products/{id}", get(product))
        .route("/console/units", get(list::<UnitList>))
        .route("/console/units/{id}", get(unit))
        .route("/console/contracts", get(list::<ContractList>))
        .route("/console/contracts/{id}", get(contract))
        .route("/console/calendars", get(list::<CalendarList>))
        .route("/console/plans", get(list::<PlanList>))
}
