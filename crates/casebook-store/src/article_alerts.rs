//! Who hears of a critical-issue alert (关键问题预警): the products contacts subscribed to, and
//! the contacts an article's alert reaches — subscribers of its products, and the people of the
//! organisations running an affected unit.

use std::collections::BTreeSet;

use casebook_domain::Timestamp;
use casebook_domain::case::NamedRef;
use casebook_domain::ids::{ArticleId, ContactId, Id, OrganizationId, ProductId};
use casebook_domain::knowledge::ArticleProduct;

use crate::db::Db;
use crate::error::StoreResult;
use crate::time::Ts;

/// The products a contact subscribed to, by name.
pub async fn subscriptions_of(
    db: &mut Db,
    contact: ContactId,
) -> StoreResult<Vec<NamedRef<ProductId>>> {
    let rows: Vec<(i64, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT s.product_id, p.name FROM product_subscriptions s JOIN products p ON p.id = s.product_id
         WHERE s.contact_id = $1 ORDER BY p.name, s.product_id")
        .bind(contact.get()).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| NamedRef {
            id: Id::new(id),
            name,
        })
        .collect())
}

/// Makes a contact's subscriptions exactly `products` (kept ones keep their date).
pub async fn set_subscriptions(
    db: &mut Db,
    contact: ContactId,
    products: &[ProductId],
    now: Timestamp,
) -> StoreResult<()> {
    let current: Vec<i64> = on_db!(db, c => sqlx::query_scalar(
        "SELECT product_id FROM product_subscriptions WHERE contact_id = $1")
        .bind(contact.get()).fetch_all(c).await)?;
    let wanted: BTreeSet<i64> = products.iter().map(|p| p.get()).collect();
    for gone in current.iter().filter(|p| !wanted.contains(p)) {
        exec_db!(db, c => sqlx::query(
            "DELETE FROM product_subscriptions WHERE contact_id = $1 AND product_id = $2")
            .bind(contact.get()).bind(*gone).execute(c).await)?;
    }
    for new in wanted.iter().filter(|p| !current.contains(p)) {
        exec_db!(db, c => sqlx::query(
            "INSERT INTO product_subscriptions (contact_id, product_id, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (contact_id, product_id) DO NOTHING")
            .bind(contact.get()).bind(*new).bind(Ts::new(now)).execute(c).await)?;
    }
    Ok(())
}

/// A contact an alert goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecipient {
    /// The contact.
    pub contact: ContactId,
    /// Their organisation.
    pub organization: OrganizationId,
    /// Name.
    pub name: String,
    /// E-mail address.
    pub email: String,
}

type ContactRow = (i64, i64, String, String);

fn recipient((id, org, name, email): ContactRow) -> AlertRecipient {
    AlertRecipient {
        contact: Id::new(id),
        organization: Id::new(org),
        name,
        email,
    }
}

/// Whether a unit running `version` of a product is affected by an article that names the
/// product with `versions` (empty: every version).
fn affected(versions: &[String], version: Option<&str>) -> bool {
    versions.is_empty() || version.is_some_and(|v| versions.iter().any(|k| k == v))
}

/// The contacts an article's alert reaches, each once, by id: contacts with an e-mail address,
/// not archived, of an organisation that is not archived, who subscribed to one of its products
/// or whose organisation runs a unit in service of one of its products (of a listed version,
/// when versions are listed).
pub async fn alert_recipients(
    db: &mut Db,
    article: ArticleId,
    products: &[ArticleProduct],
) -> StoreResult<Vec<AlertRecipient>> {
    let subscribers: Vec<ContactRow> = on_db!(db, c => sqlx::query_as(
        "SELECT DISTINCT c.id, c.organization_id, c.name, c.email
         FROM article_products ap
         JOIN product_subscriptions s ON s.product_id = ap.product_id
         JOIN contacts c ON c.id = s.contact_id
         JOIN organizations o ON o.id = c.organization_id
         WHERE ap.article_id = $1 AND c.archived_at IS NULL AND o.archived_at IS NULL
           AND c.email IS NOT NULL AND c.email <> ''")
        .bind(article.get()).fetch_all(c).await)?;
    let installed: Vec<(i64, i64, Option<String>)> = on_db!(db, c => sqlx::query_as(
        "SELECT DISTINCT u.organization_id, u.product_id, u.product_version
         FROM article_products ap JOIN units u ON u.product_id = ap.product_id
         WHERE ap.article_id = $1 AND u.retired_at IS NULL")
        .bind(article.get()).fetch_all(c).await)?;
    let organizations: BTreeSet<i64> = installed
        .into_iter()
        .filter(|(_, product, version)| {
            products
                .iter()
                .find(|p| p.product.id.get() == *product)
                .is_some_and(|p| affected(&p.versions, version.as_deref()))
        })
        .map(|(org, _, _)| org)
        .collect();
    let mut rows = subscribers;
    for org in organizations {
        let people: Vec<ContactRow> = on_db!(db, c => sqlx::query_as(
            "SELECT c.id, c.organization_id, c.name, c.email
             FROM contacts c JOIN organizations o ON o.id = c.organization_id
             WHERE c.organization_id = $1 AND c.archived_at IS NULL AND o.archived_at IS NULL
               AND c.email IS NOT NULL AND c.email <> ''")
            .bind(org).fetch_all(c).await)?;
        rows.extend(people);
    }
    rows.sort_by_key(|r| r.0);
    rows.dedup_by_key(|r| r.0);
    Ok(rows.into_iter().map(recipient).collect())
}

#[cfg(test)]
mod tests {
    use super::affected;

    #[test]
    fn listed_versions_narrow_the_affected_units() {
        let listed = vec!["9.0".to_owned()];
        assert!(affected(&[], None));
        assert!(affected(&[], Some("8.0")));
        assert!(affected(&listed, Some("9.0")));
        assert!(!affected(&listed, Some("9.1")));
        assert!(!affected(&listed, None));
    }
}
