//! Organisations (客户): stored, listed by name, found by customer number.

use casebook_domain::Timestamp;
use casebook_domain::directory::{Organization, OrganizationDraft};
use casebook_domain::ids::{Id, OrganizationId};

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::page::{Page, PageRequest, contains_pattern};
use crate::time::Ts;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    customer_number: String,
    name: String,
    address: String,
    notes: String,
    support_plan_id: Option<String>,
    archived_at: Option<Ts>,
    created_at: Ts,
    updated_at: Ts,
    version: i64,
}

impl From<Row> for Organization {
    fn from(r: Row) -> Self {
        Organization {
            id: Id::new(r.id),
            customer_number: r.customer_number,
            name: r.name,
            address: r.address,
            notes: r.notes,
            support_plan: r.support_plan_id.and_then(|p| p.parse().ok()),
            archived_at: r.archived_at.map(Into::into),
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
            version: r.version,
        }
    }
}

/// Inserts an organisation.
pub async fn insert(
    db: &mut Db,
    draft: &OrganizationDraft,
    now: Timestamp,
) -> StoreResult<Organization> {
    let now = Ts::new(now);
    let row: Row = on_db!(db, c => sqlx::query_as(
        "INSERT INTO organizations (customer_number, name, address, notes, support_plan_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $6, $5, $5)
         RETURNING id, customer_number, name, address, notes, support_plan_id, archived_at, created_at, updated_at, version")
        .bind(draft.customer_number.as_str()).bind(draft.name.as_str()).bind(draft.address.as_str())
        .bind(draft.notes.as_str()).bind(now)
        .bind(draft.support_plan.as_ref().map(|p| p.as_str()))
        .fetch_one(c).await)?;
    Ok(row.into())
}

/// Reads one organisation.
pub async fn get(db: &mut Db, id: OrganizationId) -> StoreResult<Option<Organization>> {
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT id, customer_number, name, address, notes, support_plan_id, archived_at, created_at, updated_at, version
         FROM organizations WHERE id = $1")
        .bind(id.get()).fetch_optional(c).await)?;
    Ok(row.map(Into::into))
}

/// Finds an organisation by its customer number (stored upper-case).
pub async fn find_by_customer_number(
    db: &mut Db,
    customer_number: &str,
) -> StoreResult<Option<Organization>> {
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT id, customer_number, name, address, notes, support_plan_id, archived_at, created_at, updated_at, version
         FROM organizations WHERE customer_number = $1")
        .bind(customer_number.to_uppercase()).fetch_optional(c).await)?;
    Ok(row.map(Into::into))
}

/// Which organisations to list.
#[derive(Debug, Clone, Default)]
pub struct OrganizationFilter {
    /// A customer number, or text in the name.
    pub q: Option<String>,
    /// Include archived organisations.
    pub include_archived: bool,
    /// Only this organisation (customers see only their own).
    pub only: Option<OrganizationId>,
}

/// Lists organisations by name.
pub async fn list(
    db: &mut Db,
    filter: &OrganizationFilter,
    page: &PageRequest,
) -> StoreResult<Page<Organization>> {
    let after: Option<(String, i64)> = page.key()?;
    let (after_name, after_id) = after.unzip();
    let pattern = filter.q.as_deref().map(contains_pattern);
    let number = filter.q.as_deref().map(str::to_uppercase);
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT id, customer_number, name, address, notes, support_plan_id, archived_at, created_at, updated_at, version
         FROM organizations
         WHERE ($1 OR archived_at IS NULL)
           AND ($2 IS NULL OR customer_number = $3 OR lower(name) LIKE $2 ESCAPE '\\')
           AND ($4 IS NULL OR id = $4)
           AND ($5 IS NULL OR name > $5 OR (name = $5 AND id > $6))
         ORDER BY name, id LIMIT $7").persistent(false)
        .bind(filter.include_archived).bind(&pattern).bind(&number).bind(filter.only.map(|o| o.get()))
        .bind(&after_name).bind(after_id).bind(page.fetch_limit())
        .fetch_all(c).await)?;
    Ok(Page::from_rows(rows, page, |r| (r.name.clone(), r.id)).map(Into::into))
}

/// Writes the changed fields of `org` if its stored version is still `org.version`.
pub async fn update(db: &mut Db, org: &Organization, now: Timestamp) -> StoreResult<Organization> {
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(
        "UPDATE organizations
         SET customer_number = $1, name = $2, address = $3, notes = $4, archived_at = $5,
             updated_at = $6, support_plan_id = $9, version = version + 1
         WHERE id = $7 AND version = $8
         RETURNING id, customer_number, name, address, notes, support_plan_id, archived_at, created_at, updated_at, version")
        .bind(&org.customer_number).bind(&org.name).bind(&org.address).bind(&org.notes)
        .bind(org.archived_at.map(Ts::new)).bind(Ts::new(now)).bind(org.id.get()).bind(org.version)
        .bind(org.support_plan.as_ref().map(|p| p.as_str()))
        .fetch_optional(c).await)?;
    row.map(Into::into).ok_or(StoreError::StaleVersion)
}
