//! Use cases for organisations.

use casebook_domain::directory::{Organization, OrganizationDraft, OrganizationPatch};
use casebook_domain::ids::OrganizationId;
use casebook_domain::policy::{Permission, Subject};
use casebook_domain::sla::plan::PlanId;
use casebook_store::organizations::{self, OrganizationFilter};
use casebook_store::plans;
use casebook_store::{AuditEntry, Page, PageRequest, Table, lock_row};

use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::{Principal, ensure_visible, require};

async fn check_plan(db: &mut casebook_store::Db, plan: Option<&PlanId>) -> ActionResult<()> {
    match plan {
        Some(id) if plans::get(db, id).await?.is_none() => Err(ActionError::field(
            "support_plan",
            "not_found",
            format!("no support plan {id}"),
        )),
        _ => Ok(()),
    }
}

fn duplicate_number(number: &str) -> ActionError {
    ActionError::Conflict {
        code: "duplicate_customer_number",
        message: format!("customer number {number} is already used by another organisation"),
    }
}

/// Creates an organisation.
pub async fn create(
    app: &App,
    who: &Principal,
    draft: OrganizationDraft,
) -> ActionResult<Organization> {
    require(who, Permission::ManageDirectory)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let org = create_in(&mut db, who, draft, now).await?;
    db.commit().await?;
    Ok(org)
}

/// Creates an organisation in the caller's transaction (also used by imports).
pub(crate) async fn create_in(
    db: &mut casebook_store::Db,
    who: &Principal,
    draft: OrganizationDraft,
    now: casebook_domain::Timestamp,
) -> ActionResult<Organization> {
    if organizations::find_by_customer_number(db, draft.customer_number.as_str())
        .await?
        .is_some()
    {
        return Err(duplicate_number(draft.customer_number.as_str()));
    }
    check_plan(db, draft.support_plan.as_ref()).await?;
    let org = organizations::insert(db, &draft, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "organization.create",
        "organization",
        org.id,
        None,
        Some(&org),
    ));
    Ok(org)
}

/// Reads an organisation the principal may see.
pub async fn get(app: &App, who: &Principal, id: OrganizationId) -> ActionResult<Organization> {
    ensure_visible(who, Subject::Organization(id), "organization")?;
    let mut db = app.store.read().await?;
    organizations::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("organization"))
}

/// Lists organisations; a customer sees only their own.
pub async fn list(
    app: &App,
    who: &Principal,
    mut filter: OrganizationFilter,
    page: &PageRequest,
) -> ActionResult<Page<Organization>> {
    if let Some(actor) = who.actor().filter(|a| !a.is_staff()) {
        filter.only = actor.organization;
    }
    let mut db = app.store.read().await?;
    Ok(organizations::list(&mut db, &filter, page).await?)
}

/// Changes an organisation (or archives or restores it).
pub async fn update(
    app: &App,
    who: &Principal,
    id: OrganizationId,
    patch: OrganizationPatch,
) -> ActionResult<Organization> {
    ensure_visible(who, Subject::Organization(id), "organization")?;
    require(who, Permission::ManageDirectory)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    lock_row(&mut db, Table::Organizations, id.get()).await?;
    let before = organizations::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("organization"))?;
    check_version(patch.version, before.version)?;
    let mut after = before.clone();
    if let Some(number) = patch.customer_number
        && number.as_str() != before.customer_number
    {
        if organizations::find_by_customer_number(&mut db, number.as_str())
            .await?
            .is_some()
        {
            return Err(duplicate_number(number.as_str()));
        }
        after.customer_number = number.into();
    }
    if let Some(name) = patch.name {
        after.name = name.into();
    }
    if let Some(address) = patch.address {
        after.address = address.into();
    }
    if let Some(notes) = patch.notes {
        after.notes = notes.into();
    }
    if let Some(plan) = patch.support_plan {
        check_plan(&mut db, plan.as_ref()).await?;
        after.support_plan = plan;
    }
    match patch.archived {
        Some(true) if before.archived_at.is_none() => after.archived_at = Some(now),
        Some(false) => after.archived_at = None,
        _ => {}
    }
    if after == before {
        return Ok(before);
    }
    let saved = organizations::update(&mut db, &after, now).await?;
    let action = match (before.archived_at, saved.archived_at) {
        (None, Some(_)) => "organization.archive",
        (Some(_), None) => "organization.restore",
        _ => "organization.update",
    };
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        action,
        "organization",
        id,
        Some(&before),
        Some(&saved),
    ));
    db.commit().await?;
    Ok(saved)
}
