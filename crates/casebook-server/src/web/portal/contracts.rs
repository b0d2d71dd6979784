//! The portal's contracts page: the customer's contracts, what they cover and when they end;
//! the organisation's administrators also see the hours used and a link to each contract's
//! hours and incidents (`web/contract_usage.rs`).

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use casebook_domain::contract::{Contract, Unit};
use casebook_domain::sla::plan::PlanId;
use casebook_store::units::UnitFilter;

use crate::actions::contracts::plans;
use crate::actions::{contracts, directory::units};
use crate::app::AppState;
use crate::web::choices::first;
use crate::web::page::{Ctx, render};
use crate::web::session::{Customer, WebResult};

#[derive(Template)]
#[template(path = "portal/contracts.html")]
struct ContractsPage {
    ctx: Ctx,
    contracts: Vec<Contract>,
    units: Vec<Unit>,
    today: jiff::civil::Date,
    /// The plans of the contracts by name.
    plan_names: Vec<(PlanId, String)>,
}

impl ContractsPage {
    /// Whether the viewer administers the organisation (sees the hours and incidents used).
    fn sees_usage(&self) -> bool {
        self.ctx
            .me
            .as_ref()
            .is_some_and(|m| m.role == casebook_domain::Role::CustomerAdmin)
    }

    /// The bank of hours as used / included.
    fn hours(&self, contract: &Contract) -> String {
        match contract.hours {
            Some(h) => format!(
                "{} / {h}",
                casebook_domain::work::hours_text(contract.minutes_used)
            ),
            None => "–".to_owned(),
        }
    }

    fn plan_name(&self, contract: &Contract) -> String {
        self.plan_names
            .iter()
            .find(|(id, _)| *id == contract.plan)
            .map(|(_, name)| name.clone())
            .unwrap_or_else(|| contract.plan.to_string())
    }

    fn unit_serials(&self, contract: &Contract) -> String {
        self.units
            .iter()
            .filter(|u| contract.units.contains(&u.id))
            .map(|u| format!("{} ({})", u.serial_number, u.product.name))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `GET /portal/contracts`.
pub async fn show(State(app): State<AppState>, Customer(viewer): Customer) -> WebResult<Response> {
    let who = &viewer.who;
    let contracts = contracts::list(&app, who, None, None, &first(100))
        .await
        .map_err(|e| viewer.fail(e))?
        .items;
    let units = units::list(&app, who, UnitFilter::default(), None, &first(200))
        .await
        .map_err(|e| viewer.fail(e))?
        .items;
    let today = app.clock.now().to_zoned(app.config.time_zone()).date();
    let ids: Vec<PlanId> = contracts.iter().map(|c| c.plan.clone()).collect();
    let plan_names = plans::names(&app, who, &ids)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render(&ContractsPage {
        plan_names,
        ctx: viewer.ctx,
        contracts,
        units,
        today,
    }))
}
