//! The console's pages of products (versions and lifecycle dates), the installed base (units
//! with their history), contracts, business calendars and support plans.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use casebook_domain::ids::{ContractId, ProductId, UnitId};
use casebook_store::products::ProductFilter;
use casebook_store::units::UnitFilter;

use super::tables::{
    DetailPage, ListQuery, Table, contract_row, fail, link, list_page, page_of, text, unit_row,
};
use crate::actions::{
    contracts, contracts::calendars, contracts::plans, directory::products, directory::units,
};
use crate::app::AppState;
use crate::web::page::render;
use crate::web::session::{Staff, WebResult};

async fn product_list(
    State(app): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> WebResult<Response> {
    let filter = ProductFilter {
        q: q.q.clone().filter(|s| !s.trim().is_empty()),
        ..ProductFilter::default()
    };
    let page = products::list(&app, &staff.0.who, filter, &page_of(&q))
        .await
        .map_err(fail(&staff))?;
    Ok(list_page(
        staff.0.ctx.clone(),
        "nav-products",
        vec!["field-name", "field-vendor", "field-versions"],
        page,
        &q,
        true,
        |_, p| {
            let versions = p
                .versions
                .iter()
                .map(|v| v.version.clone())
                .collect::<Vec<_>>()
                .join(", ");
            vec![
                link(&p.name, format!("/console/products/{}", p.id)),
                text(&p.vendor),
                text(versions),
            ]
        },
    ))
}

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

async fn unit_list(
    State(app): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> WebResult<Response> {
    let page = units::list(
        &app,
        &staff.0.who,
        UnitFilter::default(),
        None,
        &page_of(&q),
    )
    .await
    .map_err(fail(&staff))?;
    Ok(list_page(
        staff.0.ctx.clone(),
        "nav-units",
        vec![
            "field-serial-number",
            "field-product",
            "field-version",
            "field-site",
        ],
        page,
        &q,
        false,
        |_, u| unit_row(&u),
    ))
}

async fn unit(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let who = &staff.0.who;
    let ctx = staff.0.ctx.clone();
    let id = UnitId::new(id);
    let u = units::get(&app, who, id).await.map_err(fail(&staff))?;
    let history = units::history(&app, who, id).await.map_err(fail(&staff))?;
    let fields = vec![
        (
            "field-organization",
            link(
                u.organization_id,
                format!("/console/organizations/{}", u.organization_id),
            ),
        ),
        ("field-product", text(&u.product.name)),
        (
            "field-version",
            text(u.product_version.clone().unwrap_or_default()),
        ),
        (
            "field-patch-level",
            text(u.patch_level.clone().unwrap_or_default()),
        ),
        (
            "field-os",
            text(u.operating_system.clone().unwrap_or_default()),
        ),
        (
            "field-site",
            match &u.site {
                Some(s) => link(&s.name, format!("/console/sites/{}", s.id)),
                None => text(""),
            },
        ),
        ("field-notes", text(&u.notes)),
    ];
    let history = Table {
        title: "unit-history".into(),
        headers: vec!["field-time", "field-change"],
        rows: history
            .iter()
            .map(|h| {
                vec![
                    text(ctx.time(h.at)),
                    text(serde_json::to_string(&h.changes).unwrap_or_default()),
                ]
            })
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

async fn contract_list(
    State(app): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> WebResult<Response> {
    let page = contracts::list(&app, &staff.0.who, None, None, &page_of(&q))
        .await
        .map_err(fail(&staff))?;
    Ok(list_page(
        staff.0.ctx.clone(),
        "nav-contracts",
        vec![
            "field-contract-number",
            "field-plan",
            "field-starts-on",
            "field-ends-on",
        ],
        page,
        &q,
        false,
        |_, c| contract_row(&c),
    ))
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
        ("field-plan", text(&c.plan)),
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
        actions: vec![("edit", format!("/console/contracts/{}/edit", c.id))],
        ctx,
        title: c.contract_number,
        fields,
        sections: Vec::new(),
    }))
}

async fn calendar_list(
    State(app): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> WebResult<Response> {
    let page = calendars::list(&app, &staff.0.who, &page_of(&q))
        .await
        .map_err(fail(&staff))?;
    Ok(list_page(
        staff.0.ctx.clone(),
        "nav-calendars",
        vec![
            "field-id",
            "field-name",
            "field-time-zone",
            "field-exceptions",
        ],
        page,
        &q,
        false,
        |_, c| {
            let cal = c.calendar;
            vec![
                link(&cal.id, format!("/console/calendars/{}", cal.id)),
                text(&cal.spec.name),
                text(&cal.spec.time_zone),
                text(cal.spec.exceptions.len()),
            ]
        },
    ))
}

async fn plan_list(
    State(app): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> WebResult<Response> {
    let page = plans::list(&app, &staff.0.who, &page_of(&q))
        .await
        .map_err(fail(&staff))?;
    Ok(list_page(
        staff.0.ctx.clone(),
        "nav-plans",
        vec![
            "field-id",
            "field-name",
            "field-description",
            "field-default",
        ],
        page,
        &q,
        false,
        |ctx, p| {
            vec![
                link(&p.id, format!("/console/plans/{}", p.id)),
                text(&p.spec.name),
                text(&p.spec.description),
                text(if p.is_default {
                    ctx.t("yes")
                } else {
                    String::new()
                }),
            ]
        },
    ))
}

/// The routes of these pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/products", get(product_list))
        .route("/console/products/{id}", get(product))
        .route("/console/units", get(unit_list))
        .route("/console/units/{id}", get(unit))
        .route("/console/contracts", get(contract_list))
        .route("/console/contracts/{id}", get(contract))
        .route("/console/calendars", get(calendar_list))
        .route("/console/plans", get(plan_list))
}
