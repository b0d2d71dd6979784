//! Every outcome of the entitlement check, and which contract wins where several cover a unit.

use jiff::civil::{Date, date};

use super::*;
use crate::attributes::Named;
use crate::contract::{Contract, Service};
use crate::ids::{ContractId, Id, OrganizationId};

fn contract(id: i64, number: &str, starts: Date, ends: Date) -> Contract {
    Contract {
        id: ContractId::new(id),
        contract_number: number.into(),
        organization_id: OrganizationId::new(1),
        plan: "premium-7x24".parse().unwrap(),
        starts_on: starts,
        ends_on: ends,
        precedence: 0,
        units: vec![],
        products: vec![],
        contacts: vec![],
        channels: Channel::ALL.to_vec(),
        services: vec![Service::OnSite],
        incidents: None,
        incidents_used: 0,
        hours: None,
        minutes_used: 0,
        service_manager: None,
        notes: String::new(),
        created_at: "2026-01-01T00:00:00Z".parse().unwrap(),
        updated_at: "2026-01-01T00:00:00Z".parse().unwrap(),
        version: 1,
    }
}

const UNIT: UnitRef = UnitRef {
    id: Id::new(7),
    product: Id::new(3),
};

fn request<'a>(today: Date, contracts: &'a [(Contract, Vec<ProductId>)]) -> Request<'a> {
    Request {
        today,
        channel: Channel::Phone,
        contact: Some(ContactId::new(11)),
        unit: Some(UNIT),
        product: None,
        units_of_product: &[],
        contracts,
    }
}

fn year_2026() -> Contract {
    contract(1, "HT-2026-001", date(2026, 1, 1), date(2026, 12, 31))
}

#[test]
fn a_contract_in_force_entitles() {
    let contracts = [(year_2026(), vec![])];
    let d = decide(&request(date(2026, 6, 1), &contracts));
    assert_eq!(d.outcome, Outcome::Entitled);
    assert_eq!(d.contract.unwrap().contract_number, "HT-2026-001");
    assert!(d.reason.contains("premium-7x24"), "{}", d.reason);
    // The last day still counts; the next does not.
    assert_eq!(
        decide(&request(date(2026, 12, 31), &contracts)).outcome,
        Outcome::Entitled
    );
    let after = decide(&request(date(2027, 1, 1), &contracts));
    assert_eq!(after.outcome, Outcome::Expired);
    assert!(after.reason.contains("2026-12-31"), "{}", after.reason);
    assert_eq!(
        decide(&request(date(2025, 12, 31), &contracts)).outcome,
        Outcome::NotYetStarted
    );
}

#[test]
fn no_contract_and_not_covered() {
    let d = decide(&request(date(2026, 6, 1), &[]));
    assert_eq!((d.outcome, d.contract), (Outcome::NoContract, None));
    let mut other = year_2026();
    other.units = vec![Id::new(8)];
    let contracts = [(other, vec![Id::new(4)])];
    assert_eq!(
        decide(&request(date(2026, 6, 1), &contracts)).outcome,
        Outcome::NotCovered
    );
    // Named by product: covered through a covered unit of that product when the contract covers
    // every unit of it the organisation has in service, or by the product itself.
    let covered_unit = [Id::new(8)];
    let mut by_product = request(date(2026, 6, 1), &contracts);
    by_product.unit = None;
    by_product.product = Some(Id::new(4));
    by_product.units_of_product = &covered_unit;
    assert_eq!(decide(&by_product).outcome, Outcome::Entitled);
    // A second unit of that product outside the contract: naming the product does not stretch
    // the contract to it; the serial number must be named.
    let both = [Id::new(8), Id::new(9)];
    by_product.units_of_product = &both;
    let d = decide(&by_product);
    assert_eq!(d.outcome, Outcome::NotCovered);
    assert!(d.reason.contains("serial number"), "{}", d.reason);
    // No unit of it in service (the covered one retired): not covered either.
    by_product.units_of_product = &[];
    assert_eq!(decide(&by_product).outcome, Outcome::NotCovered);
    by_product.units_of_product = &covered_unit;
    by_product.product = Some(Id::new(3));
    assert_eq!(decide(&by_product).outcome, Outcome::NotCovered);
    // Naming nothing is covered only by a contract that covers everything.
    by_product.product = None;
    assert_eq!(decide(&by_product).outcome, Outcome::NotCovered);
    let all = [(year_2026(), vec![])];
    let mut nothing = request(date(2026, 6, 1), &all);
    nothing.unit = None;
    assert_eq!(decide(&nothing).outcome, Outcome::Entitled);
    // A product on the contract covers every unit of it.
    let mut product_wide = year_2026();
    product_wide.products = vec![Id::new(3)];
    let contracts = [(product_wide, vec![])];
    assert_eq!(
        decide(&request(date(2026, 6, 1), &contracts)).outcome,
        Outcome::Entitled
    );
}

#[test]
fn contact_channel_and_incidents() {
    let mut c = year_2026();
    c.contacts = vec![ContactId::new(12)];
    let contracts = [(c.clone(), vec![])];
    let d = decide(&request(date(2026, 6, 1), &contracts));
    assert_eq!(d.outcome, Outcome::ContactNotAuthorised);
    let mut unknown = request(date(2026, 6, 1), &contracts);
    unknown.contact = None;
    assert_eq!(decide(&unknown).outcome, Outcome::ContactNotAuthorised);

    let mut c = year_2026();
    c.channels = vec![Channel::Web, Channel::Email];
    let contracts = [(c, vec![])];
    let d = decide(&request(date(2026, 6, 1), &contracts));
    assert_eq!(d.outcome, Outcome::ChannelNotIncluded);
    assert!(d.reason.contains("phone"), "{}", d.reason);

    let mut c = year_2026();
    c.incidents = Some(5);
    c.incidents_used = 5;
    let contracts = [(c.clone(), vec![])];
    assert_eq!(
        decide(&request(date(2026, 6, 1), &contracts)).outcome,
        Outcome::IncidentsUsedUp
    );
    c.incidents_used = 4;
    let contracts = [(c, vec![])];
    assert_eq!(
        decide(&request(date(2026, 6, 1), &contracts)).outcome,
        Outcome::Entitled
    );
}

#[test]
fn the_best_covering_contract_decides() {
    // An expired contract and a renewal in force: the renewal entitles.
    let old = contract(1, "HT-2025", date(2025, 1, 1), date(2025, 12, 31));
    let new = contract(2, "HT-2026", date(2026, 1, 1), date(2026, 12, 31));
    let contracts = [(old.clone(), vec![]), (new, vec![])];
    let d = decide(&request(date(2026, 3, 1), &contracts));
    assert_eq!(d.contract.unwrap().contract_number, "HT-2026");
    // Two in force: the higher precedence wins.
    let mut basic = contract(3, "BASIC", date(2026, 1, 1), date(2026, 12, 31));
    basic.plan = "standard".parse().unwrap();
    let mut premium = contract(4, "PREMIUM", date(2026, 1, 1), date(2026, 6, 30));
    premium.precedence = 10;
    let contracts = [(basic, vec![]), (premium, vec![])];
    assert_eq!(
        decide(&request(date(2026, 3, 1), &contracts))
            .contract
            .unwrap()
            .contract_number,
        "PREMIUM"
    );
    // The winner refuses (channel) but another accepts: the other entitles.
    let mut picky = contract(5, "PICKY", date(2026, 1, 1), date(2026, 12, 31));
    picky.precedence = 10;
    picky.channels = vec![Channel::Web];
    let open = contract(6, "OPEN", date(2026, 1, 1), date(2026, 12, 31));
    let contracts = [(picky, vec![]), (open, vec![])];
    assert_eq!(
        decide(&request(date(2026, 3, 1), &contracts))
            .contract
            .unwrap()
            .contract_number,
        "OPEN"
    );
    // Only expired ones: the latest tells why.
    let older = contract(7, "HT-2024", date(2024, 1, 1), date(2024, 12, 31));
    let contracts = [(older, vec![]), (old, vec![])];
    let d = decide(&request(date(2026, 3, 1), &contracts));
    assert_eq!(d.outcome, Outcome::Expired);
    assert_eq!(d.contract.unwrap().contract_number, "HT-2025");
}

#[test]
fn outcomes_round_trip_their_names() {
    for o in [
        Outcome::Entitled,
        Outcome::Expired,
        Outcome::NotYetStarted,
        Outcome::NotCovered,
        Outcome::ContactNotAuthorised,
        Outcome::ChannelNotIncluded,
        Outcome::IncidentsUsedUp,
        Outcome::NoContract,
    ] {
        assert_eq!(Outcome::parse(o.as_str()), Some(o));
        assert_eq!(serde_json::to_value(o).unwrap().as_str(), Some(o.as_str()));
    }
    assert_eq!(Outcome::parse("maybe"), None);
}
