//! The console's directory pages: organisations (with their contacts, units, contracts and
//! cases), contacts and users. They read through the same actions as the API.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use casebook_domain::case::Case;
use casebook_domain::contract::{Contract, Unit};
use casebook_domain::ids::OrganizationId;
use casebook_store::case_list::CaseFilter;
use casebook_store::contacts::ContactFilter;
use casebook_store::units::UnitFilter;

use super::lists::{ContactList, OrganizationList, UserList};
use super::tables::{
    DetailPage, Table, case_cells, code, contact_row, contract_row, fail, first, list, site_row,
    text, unit_row,
};
use crate::actions::{
    ActionResult, cases, contracts, directory::contacts, directory::organizations,
    directory::sites, directory::units,
};
use crate::app::AppState;
use crate::policy::Principal;
use crate::web::page::render;
use crate::web::session::{Staff, WebResult};

/// An organisation's units, contracts and latest cases, as many of each as `limits` says.
pub(super) struct Holdings {
    pub units: Vec<Unit>,
    pub contracts: Vec<Contract>,
    pub recent: Vec<Case>,
}

/// Reads an organisation's holdings.
pub(super) async fn holdings(
    app: &AppState,
    who: &Principal,
    org: OrganizationId,
    [units, contracts, recent]: [u32; 3],
) -> ActionResult<Holdings> {
    let of_org = UnitFilter {
        organization: Some(org),
        ..UnitFilter::default()
    };
    let units = units::list(app, who, of_org, None, &first(units))
        .await?
        .items;
    let contracts = contracts::list(app, who, Some(org), None, &first(contracts)).await?;
    let of_org = CaseFilter {
        organization: Some(org),
        ..CaseFilter::default()
    };
    let recent = cases::list(app, who, of_org, &first(recent)).await?.items;
    Ok(Holdings {
        units,
        contracts: contracts.items,
        recent,
    })
}

async fn organization(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let (who, id) = (&staff.0.who, OrganizationId::new(id));
    let ctx = staff.0.ctx.clone();
    let org = organizations::get(&app, who, id).await;
    let org = org.map_err(fail(&staff))?;
    let of_org = ContactFilter {
        organization: Some(id),
        ..ContactFilter::default()
    };
    let people = contacts::list(&app, who, of_org, &first(100)).await;
    let people = people.map_err(fail(&staff))?.items;
    let places = sites::list(&app, who, Some(id), &first(100)).await;
    let places = places.map_err(fail(&staff))?.items;
    let held = holdings(&app, who, id, [100, 50, 20]).await;
    let Holdings {
        units: fleet,
        contracts: deals,
        recent,
    } = held.map_err(fail(&staff))?;
    let sections = vec![
        Table {
            title: "nav-contacts".into(),
            headers: vec!["field-name", "field-email", "field-phone"],
            rows: people.iter().map(contact_row).collect(),
        },
        Table {
            title: "sites".into(),
            headers: vec!["field-site-code", "field-name", "field-address"],
            rows: places.iter().map(site_row).collect(),
        },
        Table {
            title: "nav-units".into(),
            headers: vec![
                "field-serial-number",
                "field-product",
                "field-version",
                "field-site",
            ],
            rows: fleet.iter().map(unit_row).collect(),
        },
        Table {
            title: "nav-contracts".into(),
            headers: vec![
                "field-contract-number",
                "field-plan",
                "field-starts-on",
                "field-ends-on",
            ],
            rows: deals.iter().map(contract_row).collect(),
        },
        Table {
            title: "recent-cases".into(),
            headers: vec!["field-number", "field-title", "field-status"],
            rows: recent
                .iter()
                .map(|c| case_cells(&ctx, c.number, &c.title, c.status))
                .collect(),
        },
    ];
    let fields = vec![
        ("field-customer-number", text(&org.customer_number)),
        ("field-address", text(&org.address)),
        (
            "field-plan",
            code(org.support_plan.map(|p| p.to_string()).unwrap_or_default()),
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

/// The directory's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/organizations", get(list::<OrganizationList>))
        .route("/console/organizations/{id}", get(organization))
        .route("/console/contacts", get(list::<ContactList>))
        .route("/console/users", get(list::<UserList>))
        .merge(super::installed_base::routes())
}
