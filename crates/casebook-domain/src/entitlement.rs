//! The entitlement check (服务权限核查): given who asks, through which channel, about which unit or
//! product, and the organisation's contracts, decide whether a contract covers the case and which
//! plan its SLA runs on. Every channel asks the same question through [`decide`].

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attributes::{Channel, Named};
use crate::contract::Contract;
use crate::ids::{ContactId, ProductId, UnitId};

/// What the check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A contract in force covers it: its plan applies.
    Entitled,
    /// The covering contract has ended.
    Expired,
    /// The covering contract has not started yet.
    NotYetStarted,
    /// The organisation has contracts, but none covers this unit or product.
    NotCovered,
    /// The contact is not among the contract's authorised contacts.
    ContactNotAuthorised,
    /// The contract does not include this channel.
    ChannelNotIncluded,
    /// The contract's incidents are used up.
    IncidentsUsedUp,
    /// The organisation has no contract: electronic support, next business day.
    NoContract,
}

impl Outcome {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Entitled => "entitled",
            Self::Expired => "expired",
            Self::NotYetStarted => "not_yet_started",
            Self::NotCovered => "not_covered",
            Self::ContactNotAuthorised => "contact_not_authorised",
            Self::ChannelNotIncluded => "channel_not_included",
            Self::IncidentsUsedUp => "incidents_used_up",
            Self::NoContract => "no_contract",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Entitled,
            Self::Expired,
            Self::NotYetStarted,
            Self::NotCovered,
            Self::ContactNotAuthorised,
            Self::ChannelNotIncluded,
            Self::IncidentsUsedUp,
            Self::NoContract,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// The unit a case is about, with its product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitRef {
    /// The unit.
    pub id: UnitId,
    /// Its product.
    pub product: ProductId,
}

/// What is asked.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// Today in the desk's time zone.
    pub today: Date,
    /// Through which channel the case comes.
    pub channel: Channel,
    /// Who asks, if a contact of the organisation is known.
    pub contact: Option<ContactId>,
    /// The unit, if named (by serial number).
    pub unit: Option<UnitRef>,
    /// The product, if named without a unit.
    pub product: Option<ProductId>,
    /// For a product named without a unit: the organisation's units of it in service. A contract
    /// that covers the product only through some of its units covers the request only if it
    /// covers all of these; otherwise naming the product would stretch one unit's contract to
    /// the others.
    pub units_of_product: &'a [UnitId],
    /// The organisation's contracts (or only the one named by number), with the products of the
    /// units each covers.
    pub contracts: &'a [(Contract, Vec<ProductId>)],
}

/// The decision: the outcome, the contract it concerns (the one that entitles, or the one that
/// came closest), and a sentence for staff.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision<'a> {
    /// What was found.
    pub outcome: Outcome,
    /// The contract.
    pub contract: Option<&'a Contract>,
    /// Why, for staff (English; the UI translates the outcome).
    pub reason: String,
}

fn covers(contract: &Contract, unit_products: &[ProductId], req: &Request<'_>) -> bool {
    match (req.unit, req.product) {
        (Some(unit), _) => contract.covers_unit(unit.id, unit.product),
        (None, Some(product)) if contract.covers_product(product, &[]) => true,
        (None, Some(product)) => {
            contract.covers_product(product, unit_products)
                && !req.units_of_product.is_empty()
                && req
                    .units_of_product
                    .iter()
                    .all(|u| contract.units.contains(u))
        }
        (None, None) => contract.covers_everything(),
    }
}

/// The first term of a covering contract that refuses the request, checked in this order:
/// dates, contact, channel, incidents.
fn refusal(contract: &Contract, req: &Request<'_>) -> Option<(Outcome, String)> {
    let number = &contract.contract_number;
    if req.today < contract.starts_on {
        return Some((
            Outcome::NotYetStarted,
            format!("contract {number} starts on {}", contract.starts_on),
        ));
    }
    if req.today > contract.ends_on {
        return Some((
            Outcome::Expired,
            format!("contract {number} ended on {}", contract.ends_on),
        ));
    }
    if !contract.contacts.is_empty() && !req.contact.is_some_and(|c| contract.contacts.contains(&c))
    {
        return Some((
            Outcome::ContactNotAuthorised,
            format!("the caller is not an authorised contact of contract {number}"),
        ));
    }
    if !contract.channels.contains(&req.channel) {
        return Some((
            Outcome::ChannelNotIncluded,
            format!(
                "contract {number} does not include the {} channel",
                req.channel.as_str()
            ),
        ));
    }
    if let Some(limit) = contract.incidents
        && contract.incidents_used >= limit
    {
        return Some((
            Outcome::IncidentsUsedUp,
            format!("contract {number} has used all {limit} incidents"),
        ));
    }
    None
}

/// Decides. Among the contracts that cover the unit or product, the one in force with the
/// highest precedence (then the latest end) that accepts the request entitles; if none accepts,
/// the refusal of the best-ranked covering contract is given.
pub fn decide<'a>(req: &Request<'a>) -> Decision<'a> {
    if req.contracts.is_empty() {
        return Decision {
            outcome: Outcome::NoContract,
            contract: None,
            reason:
                "no contract: electronic support (web, e-mail), answered by the next business day"
                    .into(),
        };
    }
    let mut covering: Vec<&'a Contract> = req
        .contracts
        .iter()
        .filter(|(c, unit_products)| covers(c, unit_products, req))
        .map(|(c, _)| c)
        .collect();
    if covering.is_empty() {
        let some_units = |product| {
            req.contracts
                .iter()
                .any(|(_, unit_products)| unit_products.contains(&product))
        };
        let what = match (req.unit, req.product) {
            (Some(_), _) => "this unit",
            (None, Some(product)) if some_units(product) => {
                "every unit of this product (a contract covers only some: name the serial number)"
            }
            (None, Some(_)) => "this product",
            (None, None) => "a case without a unit or product (name the serial number or product)",
        };
        return Decision {
            outcome: Outcome::NotCovered,
            contract: None,
            reason: format!("no contract of the organisation covers {what}"),
        };
    }
    // Best first: in force, then higher precedence, then the later end.
    covering.sort_by_key(|c| {
        (
            std::cmp::Reverse(c.in_force(req.today)),
            std::cmp::Reverse(c.precedence),
            std::cmp::Reverse(c.ends_on),
            c.id.get(),
        )
    });
    if let Some(contract) = covering.iter().find(|c| refusal(c, req).is_none()) {
        return Decision {
            outcome: Outcome::Entitled,
            contract: Some(contract),
            reason: format!(
                "covered by contract {} (plan {}) until {}",
                contract.contract_number, contract.plan, contract.ends_on
            ),
        };
    }
    let best = covering[0];
    let (outcome, reason) = refusal(best, req).expect("no covering contract accepted");
    Decision {
        outcome,
        contract: Some(best),
        reason: format!("{reason}; no SLA coverage: electronic support, next business day"),
    }
}

#[cfg(test)]
mod tests;
