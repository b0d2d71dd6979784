//! The references a case (or a unit) makes, checked before it is written: its organisation, contact,
//! product and version, owner, and the unit named by its serial number.

use casebook_domain::case::NamedRef;
use casebook_domain::contract::Unit;
use casebook_domain::directory::Organization;
use casebook_domain::ids::{ContactId, OrganizationId, ProductId, UserId};
use casebook_store::{Db, contacts, organizations, products, units, users};

use crate::actions::{ActionError, ActionResult};

/// The unit with a serial number in an organisation, for a new case.
pub(crate) async fn unit_of(
    db: &mut Db,
    organization: OrganizationId,
    serial: &str,
    product: Option<ProductId>,
) -> ActionResult<Unit> {
    let mut candidates: Vec<Unit> = units::find_by_serial(db, serial)
        .await?
        .into_iter()
        .filter(|u| u.organization_id == organization && u.retired_at.is_none())
        .collect();
    // The same serial on two products of one organisation: the product named decides.
    if candidates.len() > 1
        && let Some(p) = product
    {
        candidates.retain(|u| u.product.id == p);
    }
    candidates.into_iter().next().ok_or_else(|| {
        ActionError::field(
            "serial_number",
            "not_found",
            format!("the organisation has no unit in service with serial number {serial}"),
        )
    })
}

pub(crate) async fn check_organization(
    db: &mut Db,
    id: OrganizationId,
) -> ActionResult<Organization> {
    match organizations::get(db, id).await? {
        Some(org) if org.archived_at.is_none() => Ok(org),
        Some(_) => Err(ActionError::field(
            "organization_id",
            "archived",
            "this organisation is archived",
        )),
        None => Err(ActionError::field(
            "organization_id",
            "not_found",
            "no such organisation",
        )),
    }
}

pub(crate) async fn check_contact(
    db: &mut Db,
    id: ContactId,
    org: OrganizationId,
) -> ActionResult<()> {
    match contacts::get(db, id).await? {
        Some(c) if c.organization_id != org => Err(ActionError::field(
            "contact_id",
            "not_found",
            "no such contact in this organisation",
        )),
        Some(c) if c.archived_at.is_some() => Err(ActionError::field(
            "contact_id",
            "archived",
            "this contact is archived",
        )),
        Some(c) if !c.can_open_cases => Err(ActionError::field(
            "contact_id",
            "not_authorised",
            format!("{} may not open cases", c.name),
        )),
        Some(_) => Ok(()),
        None => Err(ActionError::field(
            "contact_id",
            "not_found",
            "no such contact in this organisation",
        )),
    }
}

pub(crate) async fn check_product(
    db: &mut Db,
    id: ProductId,
    version: Option<&str>,
) -> ActionResult<()> {
    let product = products::get(db, id)
        .await?
        .ok_or_else(|| ActionError::field("product_id", "not_found", "no such product"))?;
    if product.archived_at.is_some() {
        return Err(ActionError::field(
            "product_id",
            "archived",
            "this product is archived",
        ));
    }
    if let Some(version) = version
        && !product.versions.is_empty()
        && !product.versions.iter().any(|v| v.version == version)
    {
        let known: Vec<&str> = product
            .versions
            .iter()
            .map(|v| v.version.as_str())
            .collect();
        return Err(ActionError::field(
            "product_version",
            "unknown",
            format!(
                "{} has no version {version}; known versions: {}",
                product.name,
                known.join(", ")
            ),
        ));
    }
    Ok(())
}

pub(crate) async fn check_owner(db: &mut Db, id: UserId) -> ActionResult<NamedRef<UserId>> {
    match users::get(db, id).await? {
        Some(u) if u.role.is_staff() && u.active => Ok(NamedRef {
            id: u.id,
            name: u.name,
        }),
        _ => Err(ActionError::field(
            "owner_id",
            "not_found",
            "the owner must be an active support staff user",
        )),
    }
}
