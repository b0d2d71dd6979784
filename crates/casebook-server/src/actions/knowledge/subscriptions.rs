//! The products a contact receives critical-issue alerts for. Staff manage anyone's; a
//! customer administrator those of their organisation's contacts; a customer user their own
//! contact's. Another organisation's contact does not exist for a customer.

use casebook_domain::FieldError;
use casebook_domain::directory::Contact;
use casebook_domain::ids::ContactId;
use casebook_domain::knowledge::{Subscriptions, SubscriptionsEdit};
use casebook_domain::policy::{Role, Subject};
use casebook_store::article_alerts;
use casebook_store::{AuditEntry, Db, contacts, products};

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, ensure_visible};

/// The most products a contact subscribes to.
pub const MAX_SUBSCRIPTIONS: usize = 200;

/// The contact, if the principal may manage its subscriptions.
async fn managed_contact(db: &mut Db, who: &Principal, id: ContactId) -> ActionResult<Contact> {
    let contact = contacts::get(db, id)
        .await?
        .ok_or(ActionError::NotFound("contact"))?;
    ensure_visible(who, Subject::Contact(contact.organization_id), "contact")?;
    if let Some(actor) = who.actor()
        && actor.role == Role::CustomerUser
        && actor.contact != Some(id)
    {
        return Err(ActionError::Forbidden(
            "customer users manage only their own subscriptions",
        ));
    }
    Ok(contact)
}

/// The products a contact subscribed to.
pub async fn get(app: &App, who: &Principal, id: ContactId) -> ActionResult<Subscriptions> {
    let mut db = app.store.read().await?;
    managed_contact(&mut db, who, id).await?;
    Ok(Subscriptions {
        contact_id: id,
        products: article_alerts::subscriptions_of(&mut db, id).await?,
    })
}

/// Makes a contact's subscriptions exactly the products given.
pub async fn set(
    app: &App,
    who: &Principal,
    id: ContactId,
    edit: SubscriptionsEdit,
) -> ActionResult<Subscriptions> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    managed_contact(&mut db, who, id).await?;
    if edit.product_ids.len() > MAX_SUBSCRIPTIONS {
        return Err(ActionError::field(
            "product_ids",
            "too_many",
            format!("at most {MAX_SUBSCRIPTIONS} products"),
        ));
    }
    let mut wanted = Vec::new();
    let mut errors = Vec::new();
    for (i, product) in edit.product_ids.iter().enumerate() {
        if wanted.contains(product) {
            continue;
        }
        match products::get(&mut db, *product).await? {
            Some(_) => wanted.push(*product),
            None => errors.push(FieldError::new(
                format!("product_ids[{i}]"),
                "not_found",
                format!("no product {product}"),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    let before = article_alerts::subscriptions_of(&mut db, id).await?;
    article_alerts::set_subscriptions(&mut db, id, &wanted, now).await?;
    let after = Subscriptions {
        contact_id: id,
        products: article_alerts::subscriptions_of(&mut db, id).await?,
    };
    if before != after.products {
        db.audit(AuditEntry::change(
            now,
            &who.audit_actor(),
            "contact.subscriptions",
            "contact",
            id,
            Some(&before),
            Some(&after.products),
        ));
    }
    db.commit().await?;
    Ok(after)
}
