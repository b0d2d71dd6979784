//! Use cases for support contracts. Staff manage them; customers read their own organisation's.
//! Changing a contract never rewrites the SLA of cases already open.

use casebook_domain::FieldError;
use casebook_domain::case::NamedRef;
use casebook_domain::contract::{Contract, ContractDraft, ContractPatch};
use casebook_domain::ids::{ContractId, Id, OrganizationId};
use casebook_domain::policy::{Permission, Subject};
use casebook_store::contracts::{self, ContractFilter};
use casebook_store::{
    AuditEntry, Db, Page, PageRequest, Table, contacts, lock_row, plans, products, units, users,
};

use crate::actions::directory::sites::check_organization;
use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::{Principal, ensure_visible, organization_scope, require};

fn problem(field: &str, code: &'static str, message: String) -> FieldError {
    FieldError::new(field, code, message)
}

/// Checks a contract's terms against the store: dates, plan, what it covers, contacts, the
/// service manager, and overlaps with the organisation's other contracts.
async fn validate(db: &mut Db, c: &Contract) -> ActionResult<()> {
    let mut errors = Vec::new();
    if c.ends_on < c.starts_on {
        errors.push(problem(
            "ends_on",
            "before_start",
            format!(
                "the contract ends ({}) before it starts ({})",
                c.ends_on, c.starts_on
            ),
        ));
    }
    if plans::get(db, &c.plan).await?.is_none() {
        errors.push(problem(
            "plan",
            "not_found",
            format!("no support plan {}", c.plan),
        ));
    }
    if c.channels.is_empty() {
        errors.push(problem(
            "channels",
            "required",
            "include at least one channel".into(),
        ));
    }
    if c.incidents.is_some_and(|n| n < 0) {
        errors.push(problem(
            "incidents",
            "negative",
            "must be 0 or more, or absent for unlimited".into(),
        ));
    }
    if c.hours.is_some_and(|h| !(0..=1_000_000).contains(&h)) {
        errors.push(problem(
            "hours",
            "out_of_range",
            "must be between 0 and 1000000 hours, or absent for no bank of hours".into(),
        ));
    }
    for (i, unit) in c.units.iter().enumerate() {
        match units::get(db, *unit).await? {
            Some(u) if u.organization_id == c.organization_id => {}
            _ => errors.push(problem(
                &format!("units[{i}]"),
                "not_found",
                format!("no unit {} of this organisation", unit.get()),
            )),
        }
    }
    for (i, product) in c.products.iter().enumerate() {
        if products::get(db, *product).await?.is_none() {
            errors.push(problem(
                &format!("products[{i}]"),
                "not_found",
                format!("no product {}", product.get()),
            ));
        }
    }
    for (i, contact) in c.contacts.iter().enumerate() {
        match contacts::get(db, *contact).await? {
            Some(k) if k.organization_id == c.organization_id => {}
            _ => errors.push(problem(
                &format!("contacts[{i}]"),
                "not_found",
                format!("no contact {} of this organisation", contact.get()),
            )),
        }
    }
    if let Some(manager) = &c.service_manager {
        match users::get(db, manager.id).await? {
            Some(u) if u.role.is_staff() && u.active => {}
            _ => errors.push(problem(
                "service_manager_id",
                "not_staff",
                "the service manager must be an active staff user".into(),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    check_overlaps(db, c).await
}

/// Two contracts of one organisation may cover the same unit on the same day only if their
/// precedence differs, so the entitlement check always knows which one applies.
async fn check_overlaps(db: &mut Db, c: &Contract) -> ActionResult<()> {
    // Two writers checking one organisation's contracts at once would both pass (PostgreSQL).
    lock_row(db, Table::Organizations, c.organization_id.get()).await?;
    let mine = contracts::unit_products_of(db, &c.units).await?;
    for (other, other_unit_products) in contracts::of_organization(db, c.organization_id).await? {
        let overlap = c.starts_on <= other.ends_on && other.starts_on <= c.ends_on;
        if other.id == c.id || other.precedence != c.precedence || !overlap {
            continue;
        }
        let shared = c.covers_everything()
            || other.covers_everything()
            || c.units.iter().any(|u| other.units.contains(u))
            || c.products
                .iter()
                .any(|p| other.products.contains(p) || other_unit_products.contains(p))
            || mine.iter().any(|p| other.products.contains(p));
        if shared {
            return Err(ActionError::field(
                "precedence",
                "overlap",
                format!(
                    "contract {} covers some of the same units from {} to {} with the same precedence {}; give one of them a higher precedence",
                    other.contract_number, other.starts_on, other.ends_on, other.precedence
                ),
            ));
        }
    }
    Ok(())
}

async fn manager_ref(
    db: &mut Db,
    id: Option<casebook_domain::ids::UserId>,
) -> ActionResult<Option<NamedRef<casebook_domain::ids::UserId>>> {
    let Some(id) = id else {
        return Ok(None);
    };
    let name = users::get(db, id)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    Ok(Some(NamedRef { id, name }))
}

/// Creates a contract.
pub async fn create(app: &App, who: &Principal, draft: ContractDraft) -> ActionResult<Contract> {
    require(who, Permission::ManageDirectory)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let contract = create_in(&mut db, who, draft, now).await?;
    db.commit().await?;
    Ok(contract)
}

/// Creates a contract in the caller's transaction (also used by imports).
pub(crate) async fn create_in(
    db: &mut Db,
    who: &Principal,
    draft: ContractDraft,
    now: casebook_domain::Timestamp,
) -> ActionResult<Contract> {
    check_organization(db, draft.organization_id, "organization_id").await?;
    if contracts::find_by_number(db, draft.contract_number.as_str())
        .await?
        .is_some()
    {
        return Err(ActionError::Conflict {
            code: "duplicate_contract_number",
            message: format!("contract number {} is already used", draft.contract_number),
        });
    }
    let contract = Contract {
        id: Id::new(0),
        contract_number: draft.contract_number.into(),
        organization_id: draft.organization_id,
        plan: draft.plan,
        starts_on: draft.starts_on,
        ends_on: draft.ends_on,
        precedence: draft.precedence,
        units: sorted(draft.units),
        products: sorted(draft.products),
        contacts: sorted(draft.contacts),
        channels: channels(draft.channels),
        services: sorted(draft.services),
        incidents: draft.incidents,
        incidents_used: 0,
        hours: draft.hours,
        minutes_used: 0,
        service_manager: manager_ref(db, draft.service_manager_id).await?,
        notes: draft.notes.into(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    validate(db, &contract).await?;
    let id = contracts::insert(db, &contract, now).await?;
    let saved = contracts::get(db, id)
        .await?
        .ok_or(ActionError::NotFound("contract"))?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "contract.create",
        "contract",
        id,
        None,
        Some(&saved),
    ));
    Ok(saved)
}

fn channels(mut v: Vec<casebook_domain::Channel>) -> Vec<casebook_domain::Channel> {
    use casebook_domain::Named;
    v.sort_by_key(|c| c.as_str());
    v.dedup();
    v
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v.dedup();
    v
}

/// Reads a contract the principal may see.
pub async fn get(app: &App, who: &Principal, id: ContractId) -> ActionResult<Contract> {
    let mut db = app.store.read().await?;
    let contract = contracts::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("contract"))?;
    ensure_visible(
        who,
        Subject::Organization(contract.organization_id),
        "contract",
    )?;
    Ok(contract)
}

/// Lists contracts; customers see their own organisation's. `ending_within_days` keeps those
/// ending between today and that many days from now.
pub async fn list(
    app: &App,
    who: &Principal,
    organization: Option<OrganizationId>,
    ending_within_days: Option<i64>,
    page: &PageRequest,
) -> ActionResult<Page<Contract>> {
    let mut filter = ContractFilter {
        organization: organization_scope(who, organization),
        ..ContractFilter::default()
    };
    if let Some(days) = ending_within_days {
        if !(0..=3650).contains(&days) {
            return Err(ActionError::field(
                "ending_within_days",
                "out_of_range",
                "must be between 0 and 3650",
            ));
        }
        let today = app.clock.now().to_zoned(app.config.time_zone()).date();
        filter.ends_from = Some(today);
        filter.ends_to = today.checked_add(jiff::Span::new().days(days)).ok();
    }
    let mut db = app.store.read().await?;
    Ok(contracts::list(&mut db, &filter, page).await?)
}

/// Changes a contract (a renewal moves `ends_on`). Open cases keep their SLA.
pub async fn update(
    app: &App,
    who: &Principal,
    id: ContractId,
    patch: ContractPatch,
) -> ActionResult<Contract> {
    get(app, who, id).await?;
    require(who, Permission::ManageDirectory)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    lock_row(&mut db, Table::Contracts, id.get()).await?;
    let before = contracts::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("contract"))?;
    check_version(patch.version, before.version)?;
    let mut after = before.clone();
    if let Some(plan) = patch.plan {
        after.plan = plan;
    }
    if let Some(d) = patch.starts_on {
        after.starts_on = d;
    }
    if let Some(d) = patch.ends_on {
        after.ends_on = d;
    }
    if let Some(p) = patch.precedence {
        after.precedence = p;
    }
    if let Some(v) = patch.units {
        after.units = sorted(v);
    }
    if let Some(v) = patch.products {
        after.products = sorted(v);
    }
    if let Some(v) = patch.contacts {
        after.contacts = sorted(v);
    }
    if let Some(v) = patch.channels {
        after.channels = channels(v);
    }
    if let Some(v) = patch.services {
        after.services = sorted(v);
    }
    if let Some(n) = patch.incidents {
        after.incidents = n;
    }
    if let Some(h) = patch.hours {
        after.hours = h;
    }
    if let Some(m) = patch.service_manager_id {
        after.service_manager = manager_ref(&mut db, m).await?;
    }
    if let Some(notes) = patch.notes {
        after.notes = notes.into();
    }
    if after == before {
        return Ok(before);
    }
    validate(&mut db, &after).await?;
    contracts::update(&mut db, &after, now).await?;
    let saved = contracts::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("contract"))?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "contract.update",
        "contract",
        id,
        Some(&before),
        Some(&saved),
    ));
    super::usage::tell_thresholds(app, &mut db, id, now).await?;
    db.commit().await?;
    Ok(saved)
}
