//! Use cases for customer sites. Staff manage them; customers read their own organisation's.

use casebook_domain::contract::{Site, SiteDraft, SitePatch};
use casebook_domain::ids::{Id, OrganizationId, SiteId};
use casebook_domain::policy::{Permission, Subject};
use casebook_store::{AuditEntry, Db, Page, PageRequest, Table, lock_row, organizations, sites};

use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::{Principal, ensure_visible, organization_scope, require};

fn duplicate_code(code: &str) -> ActionError {
    ActionError::Conflict {
        code: "duplicate_site",
        message: format!("site id {code} is already used"),
    }
}

/// Checks that an organisation exists, naming `field` if not.
pub(crate) async fn check_organization(
    db: &mut Db,
    id: OrganizationId,
    field: &'static str,
) -> ActionResult<()> {
    if organizations::get(db, id).await?.is_none() {
        return Err(ActionError::field(
            field,
            "not_found",
            "no such organisation",
        ));
    }
    Ok(())
}

/// Creates a site.
pub async fn create(app: &App, who: &Principal, draft: SiteDraft) -> ActionResult<Site> {
    require(who, Permission::ManageDirectory)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let site = create_in(&mut db, who, draft, now).await?;
    db.commit().await?;
    Ok(site)
}

/// Creates a site in the caller's transaction (also used by imports).
pub(crate) async fn create_in(
    db: &mut Db,
    who: &Principal,
    draft: SiteDraft,
    now: casebook_domain::Timestamp,
) -> ActionResult<Site> {
    check_organization(db, draft.organization_id, "organization_id").await?;
    if sites::find_by_code(db, draft.code.as_str())
        .await?
        .is_some()
    {
        return Err(duplicate_code(draft.code.as_str()));
    }
    let site = Site {
        id: Id::new(0),
        organization_id: draft.organization_id,
        code: draft.code.into(),
        name: draft.name.into(),
        address: draft.address.into(),
        notes: draft.notes.into(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let site = sites::insert(db, &site, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "site.create",
        "site",
        site.id,
        None,
        Some(&site),
    ));
    Ok(site)
}

/// Reads a site the principal may see.
pub async fn get(app: &App, who: &Principal, id: SiteId) -> ActionResult<Site> {
    let mut db = app.store.read().await?;
    let site = sites::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("site"))?;
    ensure_visible(who, Subject::Organization(site.organization_id), "site")?;
    Ok(site)
}

/// Lists sites; customers see their own organisation's.
pub async fn list(
    app: &App,
    who: &Principal,
    organization: Option<OrganizationId>,
    page: &PageRequest,
) -> ActionResult<Page<Site>> {
    let organization = organization_scope(who, organization);
    let mut db = app.store.read().await?;
    Ok(sites::list(&mut db, organization, page).await?)
}

/// Changes a site.
pub async fn update(
    app: &App,
    who: &Principal,
    id: SiteId,
    patch: SitePatch,
) -> ActionResult<Site> {
    let before = get(app, who, id).await?;
    require(who, Permission::ManageDirectory)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    lock_row(&mut db, Table::Sites, id.get()).await?;
    let before = sites::get(&mut db, id).await?.unwrap_or(before);
    check_version(patch.version, before.version)?;
    let mut after = before.clone();
    if let Some(code) = patch.code
        && code.as_str() != before.code
    {
        if sites::find_by_code(&mut db, code.as_str()).await?.is_some() {
            return Err(duplicate_code(code.as_str()));
        }
        after.code = code.into();
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
    if after == before {
        return Ok(before);
    }
    let saved = sites::update(&mut db, &after, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "site.update",
        "site",
        id,
        Some(&before),
        Some(&saved),
    ));
    db.commit().await?;
    Ok(saved)
}
