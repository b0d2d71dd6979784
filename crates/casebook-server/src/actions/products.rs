//! Use cases for the product catalogue.

use casebook_domain::directory::{
    Product, ProductDraft, ProductPatch, ProductVersion, ProductVersionDraft, ProductVersionPatch,
};
use casebook_domain::ids::{ProductId, ProductVersionId};
use casebook_domain::policy::Permission;
use casebook_store::products::{self, ProductFilter};
use casebook_store::{AuditEntry, Page, PageRequest, Table, lock_row};

use super::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::{Principal, require};

fn duplicate_versions(drafts: &[ProductVersionDraft]) -> ActionResult<()> {
    for (i, v) in drafts.iter().enumerate() {
        if drafts[..i]
            .iter()
            .any(|earlier| earlier.version == v.version)
        {
            return Err(ActionError::field(
                &format!("versions[{i}].version"),
                "duplicate",
                format!("version {} is listed twice", v.version),
            ));
        }
    }
    Ok(())
}

/// Creates a product with its initial versions.
pub async fn create(app: &App, who: &Principal, draft: ProductDraft) -> ActionResult<Product> {
    require(who, Permission::ManageDirectory)?;
    duplicate_versions(&draft.versions)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    if products::find(&mut db, draft.vendor.as_str(), draft.name.as_str())
        .await?
        .is_some()
    {
        return Err(ActionError::Conflict {
            code: "duplicate_product",
            message: format!(
                "{} already has a product named {}",
                draft.vendor, draft.name
            ),
        });
    }
    let product =
        products::insert(&mut db, draft.name.as_str(), draft.vendor.as_str(), now).await?;
    for v in &draft.versions {
        products::insert_version(&mut db, product.id, v.version.as_str(), v.released_on, now)
            .await?;
    }
    let product = products::get(&mut db, product.id)
        .await?
        .ok_or(ActionError::NotFound("product"))?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "product.create",
        "product",
        product.id,
        None,
        Some(&product),
    ));
    db.commit().await?;
    Ok(product)
}

/// Reads a product (the catalogue is visible to everyone signed in).
pub async fn get(app: &App, _who: &Principal, id: ProductId) -> ActionResult<Product> {
    let mut db = app.store.read().await?;
    products::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("product"))
}

/// Lists products.
pub async fn list(
    app: &App,
    _who: &Principal,
    filter: ProductFilter,
    page: &PageRequest,
) -> ActionResult<Page<Product>> {
    let mut db = app.store.read().await?;
    Ok(products::list(&mut db, &filter, page).await?)
}

/// Changes a product's name or vendor, or archives it.
pub async fn update(
    app: &App,
    who: &Principal,
    id: ProductId,
    patch: ProductPatch,
) -> ActionResult<Product> {
    require(who, Permission::ManageDirectory)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    lock_row(&mut db, Table::Products, id.get()).await?;
    let before = products::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("product"))?;
    check_version(patch.version, before.version)?;
    let mut after = before.clone();
    if let Some(name) = patch.name {
        after.name = name.into();
    }
    if let Some(vendor) = patch.vendor {
        after.vendor = vendor.into();
    }
    match patch.archived {
        Some(true) if before.archived_at.is_none() => after.archived_at = Some(now),
        Some(false) => after.archived_at = None,
        _ => {}
    }
    if after == before {
        return Ok(before);
    }
    if (after.name != before.name || after.vendor != before.vendor)
        && products::find(&mut db, &after.vendor, &after.name)
            .await?
            .is_some()
    {
        return Err(ActionError::Conflict {
            code: "duplicate_product",
            message: format!(
                "{} already has a product named {}",
                after.vendor, after.name
            ),
        });
    }
    let saved = products::update(&mut db, &after, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "product.update",
        "product",
        id,
        Some(&before),
        Some(&saved),
    ));
    db.commit().await?;
    Ok(saved)
}

/// Adds a released version to a product.
pub async fn add_version(
    app: &App,
    who: &Principal,
    id: ProductId,
    draft: ProductVersionDraft,
) -> ActionResult<Product> {
    require(who, Permission::ManageDirectory)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    lock_row(&mut db, Table::Products, id.get()).await?;
    let before = products::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("product"))?;
    if before
        .versions
        .iter()
        .any(|v| v.version == draft.version.as_str())
    {
        return Err(ActionError::field(
            "version",
            "duplicate",
            format!("version {} already exists", draft.version),
        ));
    }
    products::insert_version(&mut db, id, draft.version.as_str(), draft.released_on, now).await?;
    let after = products::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("product"))?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "product.version_add",
        "product",
        id,
        Some(&before),
        Some(&after),
    ));
    db.commit().await?;
    Ok(after)
}

/// Corrects a version's text or release date.
pub async fn update_version(
    app: &App,
    who: &Principal,
    id: ProductId,
    version_id: ProductVersionId,
    patch: ProductVersionPatch,
) -> ActionResult<ProductVersion> {
    require(who, Permission::ManageDirectory)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    lock_row(&mut db, Table::Products, id.get()).await?;
    let product = products::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("product"))?;
    let before = products::get_version(&mut db, id, version_id)
        .await?
        .ok_or(ActionError::NotFound("product version"))?;
    let mut after = before.clone();
    if let Some(text) = patch.version {
        if product
            .versions
            .iter()
            .any(|v| v.id != version_id && v.version == text.as_str())
        {
            return Err(ActionError::field(
                "version",
                "duplicate",
                format!("version {text} already exists"),
            ));
        }
        after.version = text.into();
    }
    if let Some(date) = patch.released_on {
        after.released_on = date;
    }
    if after == before {
        return Ok(before);
    }
    let saved = products::update_version(&mut db, &after).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "product.version_update",
        "product_version",
        version_id,
        Some(&before),
        Some(&saved),
    ));
    db.commit().await?;
    Ok(saved)
}
