//! The console's directory pages: organisations (with their contacts, units, contracts and
//! cases), contacts and users. They read through the same actions as the API.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use casebook_domain::ids::OrganizationId;
use casebook_store::case_list::CaseFilter;
use casebook_store::contacts::ContactFilter;
use casebook_store::organizations::OrganizationFilter;
use casebook_store::units::UnitFilter;
use casebook_store::users::UserFilter;

use super::tables::{
    DetailPage, ListQuery, Table, contract_row, fail, first, link, list_page, page_of, text,
    unit_row,
};
use crate::actions::{
    accounts::users, cases, contracts, directory::contacts, directory::organizations,
    directory::sites, directory::units,
};
use crate::app::AppState;
use crate::web::page::render;
use crate::web::session::{Staff, WebResult};

async fn organization_list(
    State(app): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> WebResult<Response> {
    let filter = OrganizationFilter {
        q: q.q.clone().filter(|s| !s.trim().is_empty()),
        ..OrganizationFilter::default()
    };
    let page = organizations::list(&app, &staff.0.who, filter, &page_of(&q))
        .await
        .map_err(fail(&staff))?;
    Ok(list_page(
        staff.0.ctx.clone(),
        "nav-organizations",
        vec!["field-customer-number", "field-name", "field-address"],
        page,
        &q,
        true,
        |_, o| {
            vec![
                text(&o.customer_number),
                link(&o.name, format!("/console/organizations/{}", o.id)),
                text(&o.address),
            ]
        },
    ))
}

async fn organization(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let who = &staff.0.who;
    let ctx = staff.0.ctx.clone();
    let id = OrganizationId::new(id);
    let org = organizations::get(&app, who, id)
        .await
        .map_err(fail(&staff))?;
    let people = contacts::list(
        &app,
        who,
        ContactFilter {
            organization: Some(id),
            ..ContactFilter::default()
        },
        &first(100),
    )
    .await
    .map_err(fail(&staff))?;
    let fleet = units::list(
        &app,
        who,
        UnitFilter {
            organization: Some(id),
            ..UnitFilter::default()
        },
        None,
        &first(100),
    )
    .await
    .map_err(fail(&staff))?;
    let places = sites::list(&app, who, Some(id), &first(100))
        .await
        .map_err(fail(&staff))?;
    let deals = contracts::list(&app, who, Some(id), None, &first(50))
        .await
        .map_err(fail(&staff))?;
    let recent = cases::list(
        &app,
        who,
        CaseFilter {
            organization: Some(id),
            ..CaseFilter::default()
        },
        &first(20),
    )
    .await
    .map_err(fail(&staff))?;
    let sections = vec![
        Table {
            title: "nav-contacts".into(),
            headers: vec!["field-name", "field-email", "field-phone"],
            rows: people
                .items
                .iter()
                .map(|c| {
                    vec![
                        link(&c.name, format!("/console/contacts/{}/edit", c.id)),
                        text(c.email.clone().unwrap_or_default()),
                        text(c.phone.clone().unwrap_or_default()),
                    ]
                })
                .collect(),
        },
        Table {
            title: "sites".into(),
            headers: vec!["field-site-code", "field-name", "field-address"],
            rows: places
                .items
                .iter()
                .map(|s| {
                    vec![
                        link(&s.code, format!("/console/sites/{}/edit", s.id)),
                        text(&s.name),
                        text(&s.address),
                    ]
                })
                .collect(),
        },
        Table {
            title: "nav-units".into(),
            headers: vec![
                "field-serial-number",
                "field-product",
                "field-version",
                "field-site",
            ],
            rows: fleet.items.iter().map(unit_row).collect(),
        },
        Table {
            title: "nav-contracts".into(),
            headers: vec![
                "field-contract-number",
                "field-plan",
                "field-starts-on",
                "field-ends-on",
            ],
            rows: deals.items.iter().map(contract_row).collect(),
        },
        Table {
            title: "recent-cases".into(),
            headers: vec!["field-number", "field-title", "field-status"],
            rows: recent
                .items
                .iter()
                .map(|c| {
                    vec![
                        link(c.number, format!("/console/cases/{}", c.number)),
                        text(&c.title),
                        text(ctx.status(c.status)),
                    ]
                })
                .collect(),
        },
    ];
    let fields = vec![
        ("field-customer-number", text(&org.customer_number)),
        ("field-address", text(&org.address)),
        (
            "field-plan",
            text(org.support_plan.map(|p| p.to_string()).unwrap_or_default()),
        ),
        ("field-notes", text(&org.notes)),
    ];
    Ok(render(&DetailPage {
        actions: vec![
            ("edit", format!("/console/organizations/{id}/edit")),
            (
                "new-contact",
                format!("/console/organizations/{id}/contacts/new"),
            ),
            ("new-site", format!("/console/organizations/{id}/sites/new")),
            ("new-unit", format!("/console/organizations/{id}/units/new")),
            (
                "new-contract",
                format!("/console/organizations/{id}/contracts/new"),
            ),
        ],
        ctx,
        title: org.name,
        fields,
        sections,
    }))
}

async fn contact_list(
    State(app): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> WebResult<Response> {
    let filter = ContactFilter {
        q: q.q.clone().filter(|s| !s.trim().is_empty()),
        ..ContactFilter::default()
    };
    let page = contacts::list(&app, &staff.0.who, filter, &page_of(&q))
        .await
        .map_err(fail(&staff))?;
    Ok(list_page(
        staff.0.ctx.clone(),
        "nav-contacts",
        vec![
            "field-name",
            "field-email",
            "field-phone",
            "field-organization",
        ],
        page,
        &q,
        true,
        |_, c| {
            vec![
                link(&c.name, format!("/console/contacts/{}/edit", c.id)),
                text(c.email.unwrap_or_default()),
                text(c.phone.unwrap_or_default()),
                link(
                    c.organization_id,
                    format!("/console/organizations/{}", c.organization_id),
                ),
            ]
        },
    ))
}

async fn user_list(
    State(app): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> WebResult<Response> {
    let filter = UserFilter {
        q: q.q.clone().filter(|s| !s.trim().is_empty()),
        ..UserFilter::default()
    };
    let page = users::list(&app, &staff.0.who, filter, &page_of(&q))
        .await
        .map_err(fail(&staff))?;
    Ok(list_page(
        staff.0.ctx.clone(),
        "nav-users",
        vec!["field-name", "field-email", "field-role", "field-active"],
        page,
        &q,
        true,
        |ctx, u| {
            vec![
                link(&u.name, format!("/console/users/{}/edit", u.id)),
                text(&u.email),
                text(ctx.role(u.role)),
                text(if u.active { ctx.t("yes") } else { ctx.t("no") }),
            ]
        },
    ))
}

/// The directory's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/organizations", get(organization_list))
        .route("/console/organizations/{id}", get(organization))
        .route("/console/contacts", get(contact_list))
        .route("/console/users", get(user_list))
        .merge(super::installed_base::routes())
}
