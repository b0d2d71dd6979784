//! The demo's installed base: a site with units for each customer (on various versions of
//! their products), and their contracts.

use casebook_domain::ids::{OrganizationId, ProductId, UserId};
use serde_json::json;

use super::{HISTORY_DAYS, draft};
use crate::actions::{ActionError, contracts, directory::sites, directory::units};
use crate::app::App;
use crate::policy::Principal;

/// A site with three units of each organisation, and its contract: in force until 40 days from
/// now (so renewal reminders show) for most, ended two months ago for CN-10005, none for CN-10006.
pub(super) async fn installed_base(
    loader: &App,
    system: &Principal,
    number: &str,
    org: OrganizationId,
    products: &[(ProductId, Vec<String>)],
    manager: UserId,
) -> Result<(), ActionError> {
    let site = sites::create(
        loader,
        system,
        draft(json!({"organization_id": org, "code": format!("{number}-DC1"), "name": "主数据中心 Main data centre"}))?,
    )
    .await?;
    // Not every customer runs the newest version: some units are on versions near or past
    // their end of support.
    let skew = usize::from(number.bytes().last().unwrap_or_default());
    for (k, (product, versions)) in products.iter().take(3).enumerate() {
        let version = &versions[(k + skew) % versions.len()];
        units::create(
            loader,
            system,
            draft(json!({"organization_id": org, "site_id": site.id, "serial_number": format!("{number}-SN{k:02}"),
                "product_id": product, "product_version": version}))?,
        )
        .await?;
    }
    let today = loader
        .clock
        .now()
        .to_zoned(loader.config.time_zone())
        .date();
    // Days from the moment the demo is loaded; the loader's clock starts HISTORY_DAYS before.
    let day = |days: i64| {
        today
            .checked_add(jiff::Span::new().days(days + HISTORY_DAYS))
            .map(|d| d.to_string())
            .map_err(|e| ActionError::Internal(e.to_string()))
    };
    // A bank of hours; the bank's first customer has used most of a small one.
    let hours = if number == "CN-10001" { 20 } else { 60 };
    let (starts, ends) = match number {
        "CN-10006" => return Ok(()),
        "CN-10005" => (day(-400)?, day(-60)?),
        _ => (day(-400)?, day(40)?),
    };
    contracts::create(
        loader,
        system,
        draft(json!({"contract_number": format!("HT-{number}"), "organization_id": org, "plan": "standard",
            "starts_on": starts, "ends_on": ends, "services": ["on_site", "remote_diagnosis", "monthly_report"],
            "service_manager_id": manager, "hours": hours}))?,
    )
    .await?;
    Ok(())
}
