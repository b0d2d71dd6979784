//! The forms of the installed units and contracts the console creates and edits
//! (`edit_pages.rs`): a unit's site, versions and retirement; a contract's plan, dates,
//! precedence, the units, products and contacts it covers, its channels, services, incidents, bank of hours and
//! service manager.

use casebook_domain::Named;
use casebook_domain::contract::{Contract, Service, Unit};
use casebook_domain::ids::OrganizationId;
use casebook_store::contacts::ContactFilter;
use casebook_store::units::UnitFilter;
use casebook_store::users::UserFilter;

use super::admin::plan_options;
use super::edit::{Field, Kind, shown};
use super::editor::Cx;
use crate::actions::{
    ActionResult, accounts::users, directory::contacts, directory::sites, directory::units,
};
use crate::web::choices::{self, first};

async fn site_options(cx: Cx<'_>, org: OrganizationId) -> ActionResult<Vec<(String, String)>> {
    let found = sites::list(cx.app, cx.who, Some(org), &first(200)).await?;
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

/// A unit's fields; a new one's with its serial number, product and organisation.
pub(super) async fn unit_fields(
    cx: Cx<'_>,
    org: OrganizationId,
    unit: Option<&Unit>,
) -> ActionResult<Vec<Field>> {
    let mut fields = vec![Field::new(
        "site_id",
        "field-site",
        Kind::SelectNumber(site_options(cx, org).await?),
        shown(unit.and_then(|u| u.site.as_ref()).map(|s| s.id)),
    )];
    if unit.is_none() {
        let options = choices::product_options(cx.app, cx.who).await?;
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
        fields.push(Field::organization(org));
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

fn joined<T: ToString>(values: &[T]) -> String {
    values
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// A contract's fields; a new one's with its number and organisation.
pub(super) async fn contract_fields(
    cx: Cx<'_>,
    org: OrganizationId,
    c: Option<&Contract>,
) -> ActionResult<Vec<Field>> {
    let (app, who) = (cx.app, cx.who);
    let fleet = UnitFilter {
        organization: Some(org),
        ..UnitFilter::default()
    };
    let fleet = units::list(app, who, fleet, None, &first(200)).await?.items;
    let fleet = fleet
        .into_iter()
        .map(|u| {
            let label = format!("{} · {}", u.serial_number, u.product.name);
            (u.id.to_string(), label)
        })
        .collect();
    let catalogue = choices::product_options(app, who).await?;
    let people = ContactFilter {
        organization: Some(org),
        ..ContactFilter::default()
    };
    let people = contacts::list(app, who, people, &first(200)).await?.items;
    let people = people
        .into_iter()
        .map(|p| (p.id.to_string(), p.name))
        .collect();
    let staff = UserFilter {
        staff: Some(true),
        ..UserFilter::default()
    };
    let staff = users::list(app, who, staff, &first(200)).await?;
    let mut managers = vec![(String::new(), "–".to_owned())];
    managers.extend(staff.items.into_iter().map(|u| (u.id.to_string(), u.name)));
    let plans: Vec<(String, String)> = plan_options(cx)
        .await?
        .into_iter()
        .filter(|(id, _)| !id.is_empty())
        .collect();
    let ctx = cx.ctx;
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
        fields.push(Field::organization(org));
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
            shown(c.map(|c| c.starts_on)),
        ),
        Field::new(
            "ends_on",
            "field-ends-on",
            Kind::Date,
            shown(c.map(|c| c.ends_on)),
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
            Kind::MultiNumber(fleet),
            c.map(|c| joined(&c.units)).unwrap_or_default(),
        ),
        Field::new(
            "products",
            "field-products-covered",
            Kind::MultiNumber(catalogue),
            c.map(|c| joined(&c.products)).unwrap_or_default(),
        ),
        Field::new(
            "contacts",
            "field-authorised-contacts",
            Kind::MultiNumber(people),
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
            shown(c.and_then(|c| c.incidents)),
        ),
        Field::new(
            "hours",
            "field-hours-bank",
            Kind::OptNumber,
            shown(c.and_then(|c| c.hours)),
        ),
        Field::new(
            "service_manager_id",
            "field-service-manager",
            Kind::SelectNumber(managers),
            shown(c.and_then(|c| c.service_manager.as_ref()).map(|m| m.id)),
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
