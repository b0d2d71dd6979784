//! Use cases for contacts.

use casebook_domain::Timestamp;
use casebook_domain::directory::{Contact, ContactDraft, ContactPatch};
use casebook_domain::ids::ContactId;
use casebook_domain::policy::{Permission, Subject};
use casebook_store::contacts::{self, ContactFilter, NewContact};
use casebook_store::{AuditEntry, Db, Page, PageRequest, Table, lock_row, organizations};

use crate::actions::directory::addresses::refuse_lookalike;
use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::{Principal, ensure_visible, require};

async fn refuse_duplicate_email(db: &mut Db, contact: &Contact) -> ActionResult<()> {
    if let Some(email) = &contact.email
        && let Some(other) = contacts::find_by_email(db, contact.organization_id, email).await?
        && other.id != contact.id
    {
        return Err(ActionError::field(
            "email",
            "duplicate",
            format!("{email} is already a contact of this organisation"),
        ));
    }
    Ok(())
}

/// Adds a contact to an organisation.
pub async fn create(app: &App, who: &Principal, draft: ContactDraft) -> ActionResult<Contact> {
    require(who, Permission::ManageDirectory)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let contact = create_in(&mut db, who, draft, now).await?;
    db.commit().await?;
    Ok(contact)
}

/// Creates a contact in the caller's transaction (also used by imports).
pub(crate) async fn create_in(
    db: &mut Db,
    who: &Principal,
    draft: ContactDraft,
    now: Timestamp,
) -> ActionResult<Contact> {
    if organizations::get(db, draft.organization_id)
        .await?
        .is_none()
    {
        return Err(ActionError::field(
            "organization_id",
            "not_found",
            "no such organisation",
        ));
    }
    if let Some(email) = &draft.email {
        refuse_lookalike(db, email).await?;
    }
    let new = NewContact {
        organization_id: draft.organization_id,
        name: draft.name.as_str(),
        email: draft.email.as_ref().map(|e| e.as_str()),
        phone: draft.phone.as_ref().map(|p| p.as_str()),
        can_open_cases: draft.can_open_cases,
    };
    if let Some(email) = new.email
        && contacts::find_by_email(db, new.organization_id, email)
            .await?
            .is_some()
    {
        return Err(ActionError::field(
            "email",
            "duplicate",
            format!("{email} is already a contact of this organisation"),
        ));
    }
    let contact = contacts::insert(db, &new, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "contact.create",
        "contact",
        contact.id,
        None,
        Some(&contact),
    ));
    Ok(contact)
}

/// Reads a contact the principal may see.
pub async fn get(app: &App, who: &Principal, id: ContactId) -> ActionResult<Contact> {
    let mut db = app.store.read().await?;
    let contact = contacts::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("contact"))?;
    ensure_visible(who, Subject::Contact(contact.organization_id), "contact")?;
    Ok(contact)
}

/// Lists contacts; a customer sees only their organisation's.
pub async fn list(
    app: &App,
    who: &Principal,
    mut filter: ContactFilter,
    page: &PageRequest,
) -> ActionResult<Page<Contact>> {
    if let Some(actor) = who.actor().filter(|a| !a.is_staff()) {
        match (filter.organization, actor.organization) {
            (Some(asked), Some(own)) if asked != own => {
                return Ok(Page {
                    items: Vec::new(),
                    next_cursor: None,
                });
            }
            _ => filter.organization = actor.organization,
        }
    }
    let mut db = app.store.read().await?;
    Ok(contacts::list(&mut db, &filter, page).await?)
}

/// Changes a contact.
pub async fn update(
    app: &App,
    who: &Principal,
    id: ContactId,
    patch: ContactPatch,
) -> ActionResult<Contact> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    lock_row(&mut db, Table::Contacts, id.get()).await?;
    let before = contacts::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("contact"))?;
    ensure_visible(who, Subject::Contact(before.organization_id), "contact")?;
    require(who, Permission::ManageDirectory)?;
    check_version(patch.version, before.version)?;
    let mut after = before.clone();
    if let Some(name) = patch.name {
        after.name = name.into();
    }
    if let Some(email) = patch.email {
        if let Some(new) = &email
            && before.email.as_deref() != Some(new.as_str())
        {
            refuse_lookalike(&mut db, new).await?;
        }
        after.email = email.map(Into::into);
    }
    if let Some(phone) = patch.phone {
        after.phone = phone.map(Into::into);
    }
    if let Some(can) = patch.can_open_cases {
        after.can_open_cases = can;
    }
    match patch.archived {
        Some(true) if before.archived_at.is_none() => after.archived_at = Some(now),
        Some(false) => after.archived_at = None,
        _ => {}
    }
    if after == before {
        return Ok(before);
    }
    refuse_duplicate_email(&mut db, &after).await?;
    let saved = contacts::update(&mut db, &after, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "contact.update",
        "contact",
        id,
        Some(&before),
        Some(&saved),
    ));
    db.commit().await?;
    Ok(saved)
}
