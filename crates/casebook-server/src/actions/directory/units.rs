//! Use cases for the installed base: units at customer sites, each change kept in the unit's
//! history. Staff manage them; customers read their own organisation's.

use casebook_domain::case::NamedRef;
use casebook_domain::contract::{Unit, UnitChange, UnitDraft, UnitPatch};
use casebook_domain::ids::{Id, OrganizationId, SiteId, UnitId};
use casebook_domain::policy::{Permission, Subject};
use casebook_store::units::{self, UnitFilter};
use casebook_store::{AuditEntry, Db, Page, PageRequest, Table, lock_row, sites};
use serde_json::{Map, Value, json};

use crate::actions::directory::refs::check_product;
use crate::actions::directory::sites::check_organization;
use crate::actions::{ActionError, ActionResult, check_version};
use crate::app::App;
use crate::policy::{Principal, ensure_visible, organization_scope, require};

async fn site_of(
    db: &mut Db,
    organization: OrganizationId,
    site: Option<SiteId>,
) -> ActionResult<Option<NamedRef<SiteId>>> {
    let Some(id) = site else {
        return Ok(None);
    };
    match sites::get(db, id).await? {
        Some(s) if s.organization_id == organization => Ok(Some(NamedRef { id, name: s.name })),
        _ => Err(ActionError::field(
            "site_id",
            "not_found",
            "no such site of this organisation",
        )),
    }
}

/// The fields of a unit its history records.
fn tracked(unit: &Unit) -> [(&'static str, Value); 6] {
    [
        ("site", json!(unit.site.as_ref().map(|s| &s.name))),
        ("product_version", json!(unit.product_version)),
        ("patch_level", json!(unit.patch_level)),
        ("operating_system", json!(unit.operating_system)),
        ("notes", json!(unit.notes)),
        ("retired", json!(unit.retired_at.is_some())),
    ]
}

/// Field → `[before, after]` for the fields that differ (`before` absent: all, from null).
fn diff(before: Option<&Unit>, after: &Unit) -> Value {
    let mut out = Map::new();
    let old = before.map(tracked);
    for (i, (field, new)) in tracked(after).into_iter().enumerate() {
        let was = old.as_ref().map_or(Value::Null, |o| o[i].1.clone());
        if was != new {
            out.insert(field.into(), json!([was, new]));
        }
    }
    Value::Object(out)
}

/// Adds a unit to the installed base.
pub async fn create(app: &App, who: &Principal, draft: UnitDraft) -> ActionResult<Unit> {
    require(who, Permission::ManageDirectory)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let unit = create_in(&mut db, who, draft, now).await?;
    db.commit().await?;
    Ok(unit)
}

/// Adds a unit in the caller's transaction (also used by imports).
pub(crate) async fn create_in(
    db: &mut Db,
    who: &Principal,
    draft: UnitDraft,
    now: casebook_domain::Timestamp,
) -> ActionResult<Unit> {
    check_organization(db, draft.organization_id, "organization_id").await?;
    let site = site_of(db, draft.organization_id, draft.site_id).await?;
    check_product(
        db,
        draft.product_id,
        draft.product_version.as_ref().map(|v| v.as_str()),
    )
    .await?;
    if units::find_by_serial(db, draft.serial_number.as_str())
        .await?
        .iter()
        .any(|u| u.product.id == draft.product_id)
    {
        return Err(ActionError::field(
            "serial_number",
            "duplicate",
            format!(
                "serial number {} is already registered for this product",
                draft.serial_number
            ),
        ));
    }
    let unit = Unit {
        id: Id::new(0),
        organization_id: draft.organization_id,
        site,
        serial_number: draft.serial_number.into(),
        product: NamedRef {
            id: draft.product_id,
            name: String::new(),
        },
        product_version: draft.product_version.map(Into::into),
        patch_level: draft.patch_level.map(Into::into),
        operating_system: draft.operating_system.map(Into::into),
        notes: draft.notes.into(),
        retired_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let id = units::insert(db, &unit, now).await?;
    units::add_history(db, id, who.user_id(), &diff(None, &unit), now).await?;
    let unit = units::get(db, id)
        .await?
        .ok_or(ActionError::NotFound("unit"))?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "unit.create",
        "unit",
        id,
        None,
        Some(&unit),
    ));
    Ok(unit)
}

/// Reads a unit the principal may see.
pub async fn get(app: &App, who: &Principal, id: UnitId) -> ActionResult<Unit> {
    let mut db = app.store.read().await?;
    let unit = units::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("unit"))?;
    ensure_visible(who, Subject::Organization(unit.organization_id), "unit")?;
    Ok(unit)
}

/// A unit's history, newest first.
pub async fn history(app: &App, who: &Principal, id: UnitId) -> ActionResult<Vec<UnitChange>> {
    get(app, who, id).await?;
    let mut db = app.store.read().await?;
    Ok(units::history(&mut db, id).await?)
}

/// Lists units; customers see their own organisation's. `end_of_support_within_days` keeps the
/// units whose installed version reaches end of support within that many days from today.
pub async fn list(
    app: &App,
    who: &Principal,
    mut filter: UnitFilter,
    end_of_support_within_days: Option<i64>,
    page: &PageRequest,
) -> ActionResult<Page<Unit>> {
    filter.organization = organization_scope(who, filter.organization);
    if let Some(days) = end_of_support_within_days {
        if !(0..=3650).contains(&days) {
            return Err(ActionError::field(
                "end_of_support_within_days",
                "out_of_range",
                "must be between 0 and 3650",
            ));
        }
        let today = app.clock.now().to_zoned(app.config.time_zone()).date();
        filter.end_of_support_by = Some(today.checked_add(jiff::Span::new().days(days)).map_err(
            |e| ActionError::field("end_of_support_within_days", "invalid", e.to_string()),
        )?);
    }
    let mut db = app.store.read().await?;
    Ok(units::list(&mut db, &filter, page).await?)
}

/// Changes a unit; the change goes into its history.
pub async fn update(
    app: &App,
    who: &Principal,
    id: UnitId,
    patch: UnitPatch,
) -> ActionResult<Unit> {
    get(app, who, id).await?;
    require(who, Permission::ManageDirectory)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    lock_row(&mut db, Table::Units, id.get()).await?;
    let before = units::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("unit"))?;
    check_version(patch.version, before.version)?;
    let mut after = before.clone();
    if let Some(site) = patch.site_id {
        after.site = site_of(&mut db, before.organization_id, site).await?;
    }
    if let Some(version) = patch.product_version {
        check_product(
            &mut db,
            before.product.id,
            version.as_ref().map(|v| v.as_str()),
        )
        .await?;
        after.product_version = version.map(Into::into);
    }
    if let Some(patch_level) = patch.patch_level {
        after.patch_level = patch_level.map(Into::into);
    }
    if let Some(os) = patch.operating_system {
        after.operating_system = os.map(Into::into);
    }
    if let Some(notes) = patch.notes {
        after.notes = notes.into();
    }
    match patch.retired {
        Some(true) if before.retired_at.is_none() => after.retired_at = Some(now),
        Some(false) => after.retired_at = None,
        _ => {}
    }
    let changes = diff(Some(&before), &after);
    if changes.as_object().is_some_and(Map::is_empty) {
        return Ok(before);
    }
    units::update(&mut db, &after, now).await?;
    units::add_history(&mut db, id, who.user_id(), &changes, now).await?;
    let saved = units::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("unit"))?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "unit.update",
        "unit",
        id,
        Some(&before),
        Some(&saved),
    ));
    db.commit().await?;
    Ok(saved)
}
