//! Contacts (联系人) of customer organisations.

use casebook_domain::Timestamp;
use casebook_domain::directory::Contact;
use casebook_domain::ids::{ContactId, Id, OrganizationId};
use casebook_domain::lookalike;

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::page::{Page, PageRequest, contains_pattern};
use crate::time::Ts;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    organization_id: i64,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    can_open_cases: bool,
    archived_at: Option<Ts>,
    created_at: Ts,
    updated_at: Ts,
    version: i64,
}

impl From<Row> for Contact {
    fn from(r: Row) -> Self {
        Contact {
            id: Id::new(r.id),
            organization_id: Id::new(r.organization_id),
            name: r.name,
            email: r.email,
            phone: r.phone,
            can_open_cases: r.can_open_cases,
            archived_at: r.archived_at.map(Into::into),
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
            version: r.version,
        }
    }
}

/// A contact to insert.
#[derive(Debug, Clone)]
pub struct NewContact<'a> {
    /// Organisation.
    pub organization_id: OrganizationId,
    /// Name.
    pub name: &'a str,
    /// E-mail.
    pub email: Option<&'a str>,
    /// Phone.
    pub phone: Option<&'a str>,
    /// May open cases.
    pub can_open_cases: bool,
}

/// Inserts a contact.
pub async fn insert(db: &mut Db, new: &NewContact<'_>, now: Timestamp) -> StoreResult<Contact> {
    let row: Row = on_db!(db, c => sqlx::query_as(
        "INSERT INTO contacts (organization_id, name, email, phone, can_open_cases, created_at, updated_at, lookalike_key)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7)
         RETURNING id, organization_id, name, email, phone, can_open_cases, archived_at, created_at, updated_at, version")
        .bind(new.organization_id.get()).bind(new.name).bind(new.email).bind(new.phone)
        .bind(new.can_open_cases).bind(Ts::new(now)).bind(new.email.map(lookalike::key))
        .fetch_one(c).await)?;
    Ok(row.into())
}

/// Reads one contact.
pub async fn get(db: &mut Db, id: ContactId) -> StoreResult<Option<Contact>> {
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT id, organization_id, name, email, phone, can_open_cases, archived_at, created_at, updated_at, version
         FROM contacts WHERE id = $1")
        .bind(id.get()).fetch_optional(c).await)?;
    Ok(row.map(Into::into))
}

/// Finds the contact with an e-mail address in an organisation.
pub async fn find_by_email(
    db: &mut Db,
    organization: OrganizationId,
    email: &str,
) -> StoreResult<Option<Contact>> {
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT id, organization_id, name, email, phone, can_open_cases, archived_at, created_at, updated_at, version
         FROM contacts WHERE organization_id = $1 AND email = $2")
        .bind(organization.get()).bind(email).fetch_optional(c).await)?;
    Ok(row.map(Into::into))
}

/// Finds contacts in any organisation by e-mail address or telephone number (compared by its
/// digits), for phone intake; archived contacts are left out.
pub async fn find_by_address(db: &mut Db, email_or_phone: &str) -> StoreResult<Vec<Contact>> {
    let email = email_or_phone.trim().to_lowercase();
    let digits: String = email_or_phone
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT id, organization_id, name, email, phone, can_open_cases, archived_at, created_at, updated_at, version
         FROM contacts
         WHERE archived_at IS NULL AND (email = $1 OR ($2 <> '' AND
               replace(replace(replace(replace(replace(replace(phone, ' ', ''), '-', ''), '(', ''), ')', ''), '+', ''), '.', '') = $2))
         ORDER BY id LIMIT 20")
        .bind(&email).bind(&digits).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Which contacts to list.
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    /// Only this organisation.
    pub organization: Option<OrganizationId>,
    /// Text in the name, e-mail or phone.
    pub q: Option<String>,
    /// Include archived contacts.
    pub include_archived: bool,
}

/// Lists contacts by name.
pub async fn list(
    db: &mut Db,
    filter: &ContactFilter,
    page: &PageRequest,
) -> StoreResult<Page<Contact>> {
    let after: Option<(String, i64)> = page.key()?;
    let (after_name, after_id) = after.unzip();
    let pattern = filter.q.as_deref().map(contains_pattern);
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT id, organization_id, name, email, phone, can_open_cases, archived_at, created_at, updated_at, version
         FROM contacts
         WHERE ($1 OR archived_at IS NULL)
           AND ($2 IS NULL OR organization_id = $2)
           AND ($3 IS NULL OR lower(name) LIKE $3 ESCAPE '\\' OR email LIKE $3 ESCAPE '\\' OR phone LIKE $3 ESCAPE '\\')
           AND ($4 IS NULL OR name > $4 OR (name = $4 AND id > $5))
         ORDER BY name, id LIMIT $6").persistent(false)
        .bind(filter.include_archived).bind(filter.organization.map(|o| o.get())).bind(&pattern)
        .bind(&after_name).bind(after_id).bind(page.fetch_limit())
        .fetch_all(c).await)?;
    Ok(Page::from_rows(rows, page, |r| (r.name.clone(), r.id)).map(Into::into))
}

/// Writes `contact` if its stored version is still `contact.version`.
pub async fn update(db: &mut Db, contact: &Contact, now: Timestamp) -> StoreResult<Contact> {
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(
        "UPDATE contacts
         SET name = $1, email = $2, phone = $3, can_open_cases = $4, archived_at = $5,
             updated_at = $6, version = version + 1, lookalike_key = $9
         WHERE id = $7 AND version = $8
         RETURNING id, organization_id, name, email, phone, can_open_cases, archived_at, created_at, updated_at, version")
        .bind(&contact.name).bind(&contact.email).bind(&contact.phone).bind(contact.can_open_cases)
        .bind(contact.archived_at.map(Ts::new)).bind(Ts::new(now)).bind(contact.id.get()).bind(contact.version)
        .bind(contact.email.as_deref().map(lookalike::key))
        .fetch_optional(c).await)?;
    row.map(Into::into).ok_or(StoreError::StaleVersion)
}
