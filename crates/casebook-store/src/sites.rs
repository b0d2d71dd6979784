//! Customer sites (用户地址), found by their site id.

use casebook_domain::Timestamp;
use casebook_domain::contract::Site;
use casebook_domain::ids::{Id, OrganizationId, SiteId};

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::page::{Page, PageRequest};
use crate::time::Ts;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    organization_id: i64,
    code: String,
    name: String,
    address: String,
    notes: String,
    created_at: Ts,
    updated_at: Ts,
    version: i64,
}

impl From<Row> for Site {
    fn from(r: Row) -> Self {
        Site {
            id: Id::new(r.id),
            organization_id: Id::new(r.organization_id),
            code: r.code,
            name: r.name,
            address: r.address,
            notes: r.notes,
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
            version: r.version,
        }
    }
}

const COLUMNS: &str =
    "id, organization_id, code, name, address, notes, created_at, updated_at, version";

/// Inserts a site (`id` and `version` ignored).
pub async fn insert(db: &mut Db, site: &Site, now: Timestamp) -> StoreResult<Site> {
    let sql = format!(
        "INSERT INTO sites (organization_id, code, name, address, notes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {COLUMNS}"
    );
    let row: Row = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(site.organization_id.get()).bind(&site.code).bind(&site.name).bind(&site.address)
        .bind(&site.notes).bind(Ts::new(now)).fetch_one(c).await)?;
    Ok(row.into())
}

/// Reads a site.
pub async fn get(db: &mut Db, id: SiteId) -> StoreResult<Option<Site>> {
    let sql = format!("SELECT {COLUMNS} FROM sites WHERE id = $1");
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id.get()).fetch_optional(c).await)?;
    Ok(row.map(Into::into))
}

/// Finds a site by its site id.
pub async fn find_by_code(db: &mut Db, code: &str) -> StoreResult<Option<Site>> {
    let sql = format!("SELECT {COLUMNS} FROM sites WHERE code = $1");
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(code.to_uppercase()).fetch_optional(c).await)?;
    Ok(row.map(Into::into))
}

/// Lists sites by id, of one organisation or all.
pub async fn list(
    db: &mut Db,
    organization: Option<OrganizationId>,
    page: &PageRequest,
) -> StoreResult<Page<Site>> {
    let after: Option<i64> = page.key()?;
    // The organisation's index only helps if the text names it (see `units::list`).
    let by_org = if organization.is_some() {
        "organization_id = $1"
    } else {
        "$1 IS NULL"
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM sites
         WHERE {by_org} AND ($2 IS NULL OR id > $2)
         ORDER BY id LIMIT $3"
    );
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).persistent(false)
        .bind(organization.map(|o| o.get())).bind(after).bind(page.fetch_limit()).fetch_all(c).await)?;
    Ok(Page::from_rows(rows, page, |r| r.id).map(Into::into))
}

/// Writes a site if its stored version is still `site.version`.
pub async fn update(db: &mut Db, site: &Site, now: Timestamp) -> StoreResult<Site> {
    let sql = format!(
        "UPDATE sites SET code = $1, name = $2, address = $3, notes = $4, updated_at = $5, version = version + 1
         WHERE id = $6 AND version = $7 RETURNING {COLUMNS}"
    );
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(&site.code).bind(&site.name).bind(&site.address).bind(&site.notes).bind(Ts::new(now))
        .bind(site.id.get()).bind(site.version).fetch_optional(c).await)?;
    row.map(Into::into).ok_or(StoreError::StaleVersion)
}
