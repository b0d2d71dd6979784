//! The entitlement check as one action for every channel, and the phone-intake lookup. Changing
//! an open case's entitlement is in `case_entitlement`.

use casebook_domain::Channel;
use casebook_domain::contract::{Contract, Unit};
use casebook_domain::directory::{Contact, Organization};
use casebook_domain::entitlement::{self, Outcome, UnitRef};
use casebook_domain::ids::{ContactId, OrganizationId, ProductId};
use casebook_domain::sla::plan::{NO_CONTRACT_PLAN, Plan, PlanId};
use casebook_domain::text::Code;
use casebook_store::cases::StoredEntitlement;
use casebook_store::{Db, contacts, contracts, organizations, plans, units};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::actions::contracts::plans::{PlanSource, plan_of_organization};
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, require};

/// What the check decided, with the plan the case's SLA runs on.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    /// The decision to store on the case.
    pub stored: StoredEntitlement,
    /// The contract, if one entitles or came closest.
    pub contract: Option<Contract>,
    /// The plan: the contract's if entitled, else the organisation's or the default plan.
    pub plan: Plan,
    /// Where the plan came from.
    pub source: &'static str,
}

/// What a new case names for the check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Asked<'a> {
    /// The contract number quoted.
    pub contract_number: Option<&'a str>,
    /// The unit (from its serial number).
    pub unit: Option<&'a Unit>,
    /// The product named without a unit.
    pub product: Option<ProductId>,
    /// The contact asking.
    pub contact: Option<ContactId>,
    /// Through which channel.
    pub channel: Channel,
    /// The contract the case is already charged to (a re-check): it does not count against
    /// that contract's incidents again.
    pub charged_to: Option<casebook_domain::ids::ContractId>,
}

/// The organisation a case is for: read already, or only its id (read only if its own plan is
/// needed).
#[derive(Debug, Clone, Copy)]
pub(crate) enum OrgOf<'a> {
    /// Read by the caller.
    Read(&'a Organization),
    /// Only the id.
    Id(OrganizationId),
}

impl OrgOf<'_> {
    fn id(&self) -> OrganizationId {
        match self {
            Self::Read(o) => o.id,
            Self::Id(id) => *id,
        }
    }
}

/// Runs the check for a new case of `org`: the contract named (which must be the
/// organisation's) or all of its contracts, against the unit or product, contact and channel.
pub(crate) async fn check(
    app: &App,
    db: &mut Db,
    org: OrgOf<'_>,
    asked: Asked<'_>,
) -> ActionResult<Checked> {
    let Asked {
        contract_number,
        unit,
        product,
        contact,
        channel,
        charged_to,
    } = asked;
    let mut candidates = match contract_number {
        Some(number) => match contracts::find_with_unit_products(db, number).await? {
            Some((c, products)) if c.organization_id == org.id() => vec![(c, products)],
            _ => {
                return Err(ActionError::field(
                    "contract_number",
                    "not_found",
                    format!("no contract {number} of this organisation"),
                ));
            }
        },
        None => contracts::of_organization(db, org.id()).await?,
    };
    for (c, _) in &mut candidates {
        if Some(c.id) == charged_to {
            c.incidents_used = (c.incidents_used - 1).max(0);
        }
    }
    let today = app.clock.now().to_zoned(app.config.time_zone()).date();
    // A product named without a unit is covered through units only if all of the
    // organisation's units of it are.
    let through_units = |p: ProductId| {
        candidates
            .iter()
            .any(|(c, unit_products)| unit_products.contains(&p) && !c.covers_product(p, &[]))
    };
    let units_of_product = match (unit, product) {
        (None, Some(p)) if through_units(p) => {
            units::in_service_of_product(db, org.id(), p).await?
        }
        _ => Vec::new(),
    };
    let request = entitlement::Request {
        today,
        channel,
        contact,
        unit: unit.map(|u| UnitRef {
            id: u.id,
            product: u.product.id,
        }),
        product,
        units_of_product: &units_of_product,
        contracts: &candidates,
    };
    let decision = entitlement::decide(&request);
    let (plan, source) = match (decision.outcome, decision.contract) {
        (Outcome::Entitled, Some(c)) => (contract_plan(db, &c.plan).await?, "contract"),
        // A refusal: the seeds' non-contract rules (electronic support, next business day).
        (outcome, _) if outcome != Outcome::NoContract => {
            let id: PlanId = NO_CONTRACT_PLAN.parse().expect("a valid id");
            (contract_plan(db, &id).await?, "no_contract")
        }
        // An organisation without any contract: its own plan, or the default plan — out of the
        // box the no-contract plan, as the seeds say; a desk that keeps no contracts makes
        // another plan the default.
        _ => {
            let read;
            let org = match org {
                OrgOf::Read(o) => o,
                OrgOf::Id(id) => {
                    read = organizations::get(db, id)
                        .await?
                        .ok_or(ActionError::NotFound("organization"))?;
                    &read
                }
            };
            let (plan, source) = plan_of_organization(db, org).await?;
            let source = match source {
                PlanSource::Organization => "organization",
                PlanSource::Default => "default",
            };
            (plan, source)
        }
    };
    Ok(Checked {
        stored: StoredEntitlement {
            unit: unit.map(|u| u.id),
            contract: decision.contract.map(|c| c.id),
            outcome: decision.outcome,
            reason: decision.reason,
            overridden: None,
        },
        contract: decision.contract.cloned(),
        plan,
        source,
    })
}

async fn contract_plan(db: &mut Db, id: &PlanId) -> ActionResult<Plan> {
    plans::get(db, id).await?.ok_or_else(|| {
        ActionError::Unavailable(format!("support plan {id} of a contract is missing"))
    })
}

/// What phone intake knows of the caller.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// Customer number (客户号).
    pub customer_number: Option<String>,
    /// Contract number (合同号).
    pub contract_number: Option<String>,
    /// Serial number of a unit (序列号).
    pub serial_number: Option<String>,
    /// The caller's e-mail address or telephone number.
    pub contact: Option<String>,
    /// The channel to check (default `phone`).
    pub channel: Option<Channel>,
}

/// The entitlement as the lookup shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntitlementView {
    /// What the check found.
    pub outcome: Outcome,
    /// Why.
    pub reason: String,
    /// The contract it concerns.
    pub contract_number: Option<String>,
    /// The plan a new case would get.
    pub plan: String,
}

/// Everything phone intake needs about a caller, in one answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Lookup {
    /// The organisation.
    pub organization: Organization,
    /// The contact found by e-mail or phone.
    pub contact: Option<Contact>,
    /// The unit found by serial number.
    pub unit: Option<Unit>,
    /// The organisation's contracts.
    pub contracts: Vec<Contract>,
    /// Its units in service (first 200).
    pub units: Vec<Unit>,
    /// What a new case would get now.
    pub entitlement: EntitlementView,
}

fn one_organization(found: &mut Option<OrganizationId>, org: OrganizationId) -> ActionResult<()> {
    match found {
        Some(o) if *o != org => Err(ActionError::field(
            "contact",
            "ambiguous",
            "the numbers given belong to different organisations",
        )),
        _ => {
            *found = Some(org);
            Ok(())
        }
    }
}

fn parse_code(field: &'static str, raw: &str) -> ActionResult<Code> {
    Code::parse(raw).map_err(|e| ActionError::field(field, e.code, e.message))
}

/// Finds the caller's organisation, contact, unit, contracts and entitlement from any of the
/// numbers they can quote (staff).
pub async fn lookup(app: &App, who: &Principal, q: LookupQuery) -> ActionResult<Lookup> {
    require(who, casebook_domain::policy::Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    let mut org_id = None;
    let mut unit = None;
    let mut contact = None;
    if let Some(raw) = q.customer_number.as_deref() {
        let number = parse_code("customer_number", raw)?;
        let org = organizations::find_by_customer_number(&mut db, number.as_str())
            .await?
            .ok_or_else(|| {
                ActionError::field(
                    "customer_number",
                    "not_found",
                    "no organisation has this customer number",
                )
            })?;
        one_organization(&mut org_id, org.id)?;
    }
    let mut contract_number = None;
    if let Some(raw) = q.contract_number.as_deref() {
        let number = parse_code("contract_number", raw)?;
        contract_number = Some(number.as_str().to_owned());
        let c = contracts::find_by_number(&mut db, number.as_str())
            .await?
            .ok_or_else(|| {
                ActionError::field(
                    "contract_number",
                    "not_found",
                    "no contract has this number",
                )
            })?;
        one_organization(&mut org_id, c.organization_id)?;
    }
    if let Some(raw) = q.serial_number.as_deref() {
        let serial = parse_code("serial_number", raw)?;
        let mut found = units::find_by_serial(&mut db, serial.as_str()).await?;
        if let Some(org) = org_id {
            found.retain(|u| u.organization_id == org);
        }
        let u = match found.as_slice() {
            [] => {
                return Err(ActionError::field(
                    "serial_number",
                    "not_found",
                    "no unit has this serial number",
                ));
            }
            [u] => u.clone(),
            _ => {
                return Err(ActionError::field(
                    "serial_number",
                    "ambiguous",
                    "several products have a unit with this serial number; give the customer or contract number too",
                ));
            }
        };
        one_organization(&mut org_id, u.organization_id)?;
        unit = Some(u);
    }
    if let Some(raw) = q.contact.as_deref() {
        let mut found = contacts::find_by_address(&mut db, raw).await?;
        if let Some(org) = org_id {
            found.retain(|c| c.organization_id == org);
        }
        match found.as_slice() {
            [] => {
                return Err(ActionError::field(
                    "contact",
                    "not_found",
                    "no contact has this e-mail address or telephone number",
                ));
            }
            [c] => {
                one_organization(&mut org_id, c.organization_id)?;
                contact = Some(c.clone());
            }
            _ => {
                return Err(ActionError::field(
                    "contact",
                    "ambiguous",
                    "contacts of several organisations have this address; give the customer number too",
                ));
            }
        }
    }
    let org_id = org_id.ok_or_else(|| {
        ActionError::field(
            "customer_number",
            "required",
            "give a customer number, contract number, serial number, or the caller's e-mail or phone",
        )
    })?;
    let organization = organizations::get(&mut db, org_id)
        .await?
        .ok_or(ActionError::NotFound("organization"))?;
    let asked = Asked {
        contract_number: contract_number.as_deref(),
        unit: unit.as_ref(),
        product: None,
        contact: contact.as_ref().map(|c| c.id),
        channel: q.channel.unwrap_or(Channel::Phone),
        charged_to: None,
    };
    let checked = check(app, &mut db, OrgOf::Read(&organization), asked).await?;
    let contracts = contracts::of_organization(&mut db, org_id)
        .await?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let filter = units::UnitFilter {
        organization: Some(org_id),
        ..units::UnitFilter::default()
    };
    let units = units::list(
        &mut db,
        &filter,
        &casebook_store::PageRequest {
            limit: Some(200),
            cursor: None,
        },
    )
    .await?
    .items;
    Ok(Lookup {
        organization,
        contact,
        unit,
        contracts,
        units,
        entitlement: EntitlementView {
            outcome: checked.stored.outcome,
            reason: checked.stored.reason,
            contract_number: checked.contract.map(|c| c.contract_number),
            plan: checked.plan.id.to_string(),
        },
    })
}

/// The entitlement a unit's own report would get now (a device calling home, an e-mail that
/// quotes a serial number): the same check as every new case, from the serial number alone.
pub async fn for_serial(
    app: &App,
    serial: &str,
    channel: Channel,
) -> ActionResult<EntitlementView> {
    let serial = parse_code("serial_number", serial)?;
    let mut db = app.store.read().await?;
    let found = units::find_by_serial(&mut db, serial.as_str()).await?;
    let [unit] = found.as_slice() else {
        return Err(ActionError::field(
            "serial_number",
            if found.is_empty() {
                "not_found"
            } else {
                "ambiguous"
            },
            "the serial number must name exactly one unit",
        ));
    };
    let asked = Asked {
        contract_number: None,
        unit: Some(unit),
        product: None,
        contact: None,
        channel,
        charged_to: None,
    };
    let checked = check(app, &mut db, OrgOf::Id(unit.organization_id), asked).await?;
    Ok(EntitlementView {
        outcome: checked.stored.outcome,
        reason: checked.stored.reason,
        contract_number: checked.contract.map(|c| c.contract_number),
        plan: checked.plan.id.to_string(),
    })
}
