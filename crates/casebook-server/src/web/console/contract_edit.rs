//! Creating and editing installed units and contracts from the console, with the shared edit
//! form: a unit's site, versions and retirement; a contract's plan, dates, precedence, the units,
//! products and contacts it covers, its channels, services, incidents and service manager.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use casebook_domain::Named;
use casebook_domain::contract::{Contract, Service, Unit};
use casebook_domain::ids::{ContractId, OrganizationId, UnitId};
use casebook_store::PageRequest;
use casebook_store::contacts::ContactFilter;
use casebook_store::products::ProductFilter;
use casebook_store::units::UnitFilter;
use casebook_store::users::UserFilter;

use super::admin::{Posted, page, plan_options, save};
use super::edit::{EditPage, Field, Kind};
use crate::actions::{
    accounts::users, contracts, directory::contacts, directory::products, directory::sites,
    directory::units,
};
use crate::app::AppState;
use crate::web::session::{Staff, WebResult};

fn first() -> PageRequest {
    PageRequest {
        limit: Some(200),
        cursor: None,
    }
}

async fn site_options(
    app: &AppState,
    staff: &Staff,
    org: OrganizationId,
) -> WebResult<Vec<(String, String)>> {
    let found = sites::list(app, &staff.0.who, Some(org), &first())
        .await
        .map_err(|e| staff.0.fail(e))?;
    let mut options = vec![(String::new(), "–".to_owned())];
    options.extend(
        found
            .items
            .into_iter()
            .map(|s| (s.id.to_string(), format!("{} {}", s.code, s.name))),
    );
    Ok(options)
}

fn opt_text(value: Option<&String>) -> String {
    value.cloned().unwrap_or_default()
}

async fn unit_fields(
    app: &AppState,
    staff: &Staff,
    org: OrganizationId,
    unit: Option<&Unit>,
) -> WebResult<Vec<Field>> {
    let mut fields = vec![Field::new(
        "site_id",
        "field-site",
        Kind::SelectNumber(site_options(app, staff, org).await?),
        unit.and_then(|u| u.site.as_ref())
            .map(|s| s.id.to_string())
            .unwrap_or_default(),
    )];
    if unit.is_none() {
        let found = products::list(app, &staff.0.who, ProductFilter::default(), &first())
            .await
            .map_err(|e| staff.0.fail(e))?;
        let options = found
            .items
            .into_iter()
            .map(|p| (p.id.to_string(), p.name))
            .collect();
        fields.insert(
            0,
            Field::new("serial_number", "field-serial-number", Kind::Text, ""),
        );
        fields.push(Field::new(
            "product_id",
            "field-product",
            Kind::SelectNumber(options),
            "",
        ));
        fields.push(Field::new(
            "organization_id",
            "field-organization",
            Kind::Fixed,
            org.to_string(),
        ));
    }
    fields.extend([
        Field::new(
            "product_version",
            "field-version",
            Kind::OptText,
            opt_text(unit.and_then(|u| u.product_version.as_ref())),
        ),
        Field::new(
            "patch_level",
            "field-patch-level",
            Kind::OptText,
            opt_text(unit.and_then(|u| u.patch_level.as_ref())),
        ),
        Field::new(
            "operating_system",
            "field-os",
            Kind::OptText,
            opt_text(unit.and_then(|u| u.operating_system.as_ref())),
        ),
        Field::new(
            "notes",
            "field-notes",
            Kind::Area,
            unit.map(|u| u.notes.clone()).unwrap_or_default(),
        ),
    ]);
    if let Some(u) = unit {
        fields.push(Field::new(
            "retired",
            "field-retired",
            Kind::Check,
            u.retired_at.is_some().to_string(),
        ));
    }
    Ok(fields)
}

async fn unit_new_page(app: &AppState, staff: &Staff, org: i64) -> WebResult<EditPage> {
    let fields = unit_fields(app, staff, OrganizationId::new(org), None).await?;
    Ok(page(
        staff,
        staff.0.ctx.t("new-unit"),
        format!("/console/organizations/{org}/units/new"),
        format!("/console/organizations/{org}"),
        fields,
        None,
    ))
}

async fn unit_new(
    State(app): State<AppState>,
    staff: Staff,
    Path(org): Path<i64>,
) -> WebResult<Response> {
    Ok(unit_new_page(&app, &staff, org).await?.show())
}

async fn unit_create(
    State(app): State<AppState>,
    staff: Staff,
    Path(org): Path<i64>,
    axum::Form(posted): Posted,
) -> WebResult<Response> {
    let p = unit_new_page(&app, &staff, org).await?;
    save(
        &staff,
        p,
        posted,
        |d| units::create(&app, &staff.0.who, d),
        |u| format!("/console/units/{}", u.id),
    )
    .await
}

async fn unit_page(app: &AppState, staff: &Staff, id: i64) -> WebResult<EditPage> {
    let u = units::get(app, &staff.0.who, UnitId::new(id))
        .await
        .map_err(|e| staff.0.fail(e))?;
    let fields = unit_fields(app, staff, u.organization_id, Some(&u)).await?;
    Ok(page(
        staff,
        u.serial_number.clone(),
        format!("/console/units/{id}/edit"),
        format!("/console/units/{id}"),
        fields,
        Some(u.version),
    ))
}

async fn unit_edit(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    Ok(unit_page(&app, &staff, id).await?.show())
}

async fn unit_update(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    axum::Form(posted): Posted,
) -> WebResult<Response> {
    let p = unit_page(&app, &staff, id).await?;
    save(
        &staff,
        p,
        posted,
        |patch| units::update(&app, &staff.0.who, UnitId::new(id), patch),
        |u| format!("/console/units/{}", u.id),
    )
    .await
}

fn joined<T: ToString>(values: &[T]) -> String {
    values
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

async fn contract_fields(
    app: &AppState,
    staff: &Staff,
    org: OrganizationId,
    c: Option<&Contract>,
) -> WebResult<Vec<Field>> {
    let who = &staff.0.who;
    let fail = |e| staff.0.fail(e);
    let fleet = units::list(
        app,
        who,
        UnitFilter {
            organization: Some(org),
            ..UnitFilter::default()
        },
        None,
        &first(),
    )
    .await
    .map_err(fail)?;
    let catalogue = products::list(app, who, ProductFilter::default(), &first())
        .await
        .map_err(fail)?;
    let people = contacts::list(
        app,
        who,
        ContactFilter {
            organization: Some(org),
            ..ContactFilter::default()
        },
        &first(),
    )
    .await
    .map_err(fail)?;
    let staff_users = users::list(
        app,
        who,
        UserFilter {
            staff: Some(true),
            ..UserFilter::default()
        },
        &first(),
    )
    .await
    .map_err(fail)?;
    let mut managers = vec![(String::new(), "–".to_owned())];
    managers.extend(
        staff_users
            .items
            .into_iter()
            .map(|u| (u.id.to_string(), u.name)),
    );
    let plans: Vec<(String, String)> = plan_options(app, staff)
        .await?
        .into_iter()
        .filter(|(id, _)| !id.is_empty())
        .collect();
    let ctx = &staff.0.ctx;
    let channels = casebook_domain::Channel::ALL
        .iter()
        .map(|ch| (ch.as_str().to_owned(), ctx.channel(ch)))
        .collect();
    let services = [
        Service::OnSite,
        Service::RemoteDiagnosis,
        Service::MonthlyReport,
        Service::ServiceManager,
        Service::PreventiveInspection,
    ]
    .iter()
    .map(|s| {
        let name = serde_json::to_value(s)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        (name.clone(), ctx.tk("service", &name))
    })
    .collect();
    let mut fields = Vec::new();
    if c.is_none() {
        fields.push(Field::new(
            "contract_number",
            "field-contract-number",
            Kind::Text,
            "",
        ));
        fields.push(Field::new(
            "organization_id",
            "field-organization",
            Kind::Fixed,
            org.to_string(),
        ));
    }
    fields.extend([
        Field::new(
            "plan",
            "field-plan",
            Kind::Select(plans),
            c.map(|c| c.plan.to_string())
                .unwrap_or_else(|| "standard".into()),
        ),
        Field::new(
            "starts_on",
            "field-starts-on",
            Kind::Date,
            c.map(|c| c.starts_on.to_string()).unwrap_or_default(),
        ),
        Field::new(
            "ends_on",
            "field-ends-on",
            Kind::Date,
            c.map(|c| c.ends_on.to_string()).unwrap_or_default(),
        ),
        Field::new(
            "precedence",
            "field-precedence",
            Kind::Number,
            c.map_or(0, |c| c.precedence).to_string(),
        ),
        Field::new(
            "units",
            "field-units",
            Kind::MultiNumber(
                fleet
                    .items
                    .into_iter()
                    .map(|u| {
                        (
                            u.id.to_string(),
                            format!("{} · {}", u.serial_number, u.product.name),
                        )
                    })
                    .collect(),
            ),
            c.map(|c| joined(&c.units)).unwrap_or_default(),
        ),
        Field::new(
            "products",
            "field-products-covered",
            Kind::MultiNumber(
                catalogue
                    .items
                    .into_iter()
                    .map(|p| (p.id.to_string(), p.name))
                    .collect(),
            ),
            c.map(|c| joined(&c.products)).unwrap_or_default(),
        ),
        Field::new(
            "contacts",
            "field-authorised-contacts",
            Kind::MultiNumber(
                people
                    .items
                    .into_iter()
                    .map(|p| (p.id.to_string(), p.name))
                    .collect(),
            ),
            c.map(|c| joined(&c.contacts)).unwrap_or_default(),
        ),
        Field::new(
            "channels",
            "field-channels",
            Kind::Multi(channels),
            c.map(|c| joined(&c.channels))
                .unwrap_or_else(|| "phone,email,web,call_home,api".into()),
        ),
        Field::new(
            "services",
            "field-services",
            Kind::Multi(services),
            c.map(|c| {
                c.services
                    .iter()
                    .filter_map(|s| serde_json::to_value(s).ok())
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default(),
        ),
        Field::new(
            "incidents",
            "field-incidents-allowed",
            Kind::OptNumber,
            c.and_then(|c| c.incidents)
                .map(|n| n.to_string())
                .unwrap_or_default(),
        ),
        Field::new(
            "service_manager_id",
            "field-service-manager",
            Kind::SelectNumber(managers),
            c.and_then(|c| c.service_manager.as_ref())
                .map(|m| m.id.to_string())
                .unwrap_or_default(),
        ),
        Field::new(
            "notes",
            "field-notes",
            Kind::Area,
            c.map(|c| c.notes.clone()).unwrap_or_default(),
        ),
    ]);
    Ok(fields)
}

async fn contract_new_page(app: &AppState, staff: &Staff, org: i64) -> WebResult<EditPage> {
    let fields = contract_fields(app, staff, OrganizationId::new(org), None).await?;
    Ok(page(
        staff,
        staff.0.ctx.t("new-contract"),
        format!("/console/organizations/{org}/contracts/new"),
        format!("/console/organizations/{org}"),
        fields,
        None,
    ))
}

async fn contract_new(
    State(app): State<AppState>,
    staff: Staff,
    Path(org): Path<i64>,
) -> WebResult<Response> {
    Ok(contract_new_page(&app, &staff, org).await?.show())
}

async fn contract_create(
    State(app): State<AppState>,
    staff: Staff,
    Path(org): Path<i64>,
    axum::Form(posted): Posted,
) -> WebResult<Response> {
    let p = contract_new_page(&app, &staff, org).await?;
    save(
        &staff,
        p,
        posted,
        |d| contracts::create(&app, &staff.0.who, d),
        |c| format!("/console/contracts/{}", c.id),
    )
    .await
}

async fn contract_page(app: &AppState, staff: &Staff, id: i64) -> WebResult<EditPage> {
    let c = contracts::get(app, &staff.0.who, ContractId::new(id))
        .await
        .map_err(|e| staff.0.fail(e))?;
    let fields = contract_fields(app, staff, c.organization_id, Some(&c)).await?;
    Ok(page(
        staff,
        c.contract_number.clone(),
        format!("/console/contracts/{id}/edit"),
        format!("/console/contracts/{id}"),
        fields,
        Some(c.version),
    ))
}

async fn contract_edit(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    Ok(contract_page(&app, &staff, id).await?.show())
}

async fn contract_update(
    State(app): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    axum::Form(posted): Posted,
) -> WebResult<Response> {
    let p = contract_page(&app, &staff, id).await?;
    save(
        &staff,
        p,
        posted,
        |patch| contracts::update(&app, &staff.0.who, ContractId::new(id), patch),
        |c| format!("/console/contracts/{}", c.id),
    )
    .await
}

/// The routes of these pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console/organizations/{id}/units/new",
            get(unit_new).post(unit_create),
        )
        .route("/console/units/{id}/edit", get(unit_edit).post(unit_update))
        .route(
            "/console/organizations/{id}/contracts/new",
            get(contract_new).post(contract_create),
        )
        .route(
            "/console/contracts/{id}/edit",
            get(contract_edit).post(contract_update),
        )
}
