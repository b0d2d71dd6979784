//! Use cases for the product catalogue.

use casebook_domain::directory::{
    LifecycleStage, Product, ProductDraft, ProductPatch, ProductVersion, ProductVersionDraft,
    ProductVersionPatch,
};
use casebook_domain::ids::{ProductId, ProductVersionId};
use casebook_domain::policy::Permission;
use casebook_store::products::{self, ProductFilter};
use casebook_store::{AuditEntry, Page, PageRequest, Table, lock_row};

use crate::actions::{ActionError, ActionResult, check_version};
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

/// A new version as stored, its lifecycle dates checked.
fn version_of(draft: &ProductVersionDraft) -> ActionResult<ProductVersion> {
    let v = ProductVersion {
        id: ProductVersionId::new(0),
        version: draft.version.as_str().to_owned(),
        released_on: draft.released_on,
        end_of_marketing_on: draft.end_of_marketing_on,
        end_of_support_on: draft.end_of_support_on,
    };
    check_lifecycle(&v)?;
    Ok(v)
}

/// Release, end of marketing and end of support must come in that order.
fn check_lifecycle(v: &ProductVersion) -> ActionResult<()> {
    let dates = [
        ("released_on", v.released_on),
        ("end_of_marketing_on", v.end_of_marketing_on),
        ("end_of_support_on", v.end_of_support_on),
    ];
    for (i, (field, date)) in dates.iter().enumerate() {
        for (earlier, before) in &dates[..i] {
            if let (Some(d), Some(b)) = (date, before)
                && d < b
            {
                return Err(ActionError::field(
                    field,
                    "before_earlier_date",
                    format!("{field} ({d}) is before {earlier} ({b})"),
                ));
            }
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
        products::insert_version(&mut db, product.id, &version_of(v)?, now).await?;
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
    products::insert_version(&mut db, id, &version_of(&draft)?, now).await?;
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
    if let Some(date) = patch.end_of_marketing_on {
        after.end_of_marketing_on = date;
    }
    if let Some(date) = patch.end_of_support_on {
        after.end_of_support_on = date;
    }
    check_lifecycle(&after)?;
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

/// One version of a product in its lifecycle.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct VersionLifecycle {
    /// The version.
    pub version: String,
    /// General availability.
    #[schema(value_type = Option<String>, format = Date)]
    pub released_on: Option<jiff::civil::Date>,
    /// End of marketing.
    #[schema(value_type = Option<String>, format = Date)]
    pub end_of_marketing_on: Option<jiff::civil::Date>,
    /// End of support.
    #[schema(value_type = Option<String>, format = Date)]
    pub end_of_support_on: Option<jiff::civil::Date>,
    /// Where it stands today.
    pub stage: LifecycleStage,
    /// Days until support ends (negative: ended that many days ago).
    pub days_to_end_of_support: Option<i64>,
    /// Units in service running it (staff only).
    pub units_in_service: Option<i64>,
}

/// A product's versions with their lifecycle: "is this version still supported?".
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ProductLifecycle {
    /// The product.
    pub product_id: ProductId,
    /// Its name.
    pub name: String,
    /// The day the stages are given for (the desk's time zone).
    #[schema(value_type = String, format = Date)]
    pub as_of: jiff::civil::Date,
    /// Its versions, oldest release first.
    pub versions: Vec<VersionLifecycle>,
}

/// The lifecycle of a product's versions today.
pub async fn lifecycle(
    app: &App,
    who: &Principal,
    id: ProductId,
) -> ActionResult<ProductLifecycle> {
    let today = app.clock.now().to_zoned(app.config.time_zone()).date();
    let mut db = app.store.read().await?;
    let product = products::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("product"))?;
    let counts = if who.is_staff() {
        Some(casebook_store::units::count_by_version(&mut db, id).await?)
    } else {
        None
    };
    let versions = product
        .versions
        .iter()
        .map(|v| VersionLifecycle {
            version: v.version.clone(),
            released_on: v.released_on,
            end_of_marketing_on: v.end_of_marketing_on,
            end_of_support_on: v.end_of_support_on,
            stage: v.stage(today),
            days_to_end_of_support: v
                .end_of_support_on
                .and_then(|d| today.until(d).ok())
                .map(|span| i64::from(span.get_days())),
            units_in_service: counts.as_ref().map(|c| {
                c.iter()
                    .find(|(ver, _)| ver.as_deref() == Some(v.version.as_str()))
                    .map_or(0, |(_, n)| *n)
            }),
        })
        .collect();
    Ok(ProductLifecycle {
        product_id: id,
        name: product.name,
        as_of: today,
        versions,
    })
}
