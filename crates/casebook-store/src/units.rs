//! The installed base: units (a product with a serial number at a customer's site) and the
//! history of their changes.

use casebook_domain::Timestamp;
use casebook_domain::case::NamedRef;
use casebook_domain::contract::{Unit, UnitChange};
use casebook_domain::ids::{Id, OrganizationId, ProductId, SiteId, UnitId, UserId};
use jiff::civil::Date;

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::page::{Page, PageRequest};
use crate::time::Ts;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    organization_id: i64,
    site_id: Option<i64>,
    site_name: Option<String>,
    serial_number: String,
    product_id: i64,
    product_name: String,
    product_version: Option<String>,
    patch_level: Option<String>,
    operating_system: Option<String>,
    notes: String,
    retired_at: Option<Ts>,
    created_at: Ts,
    updated_at: Ts,
    version: i64,
}

impl From<Row> for Unit {
    fn from(r: Row) -> Self {
        Unit {
            id: Id::new(r.id),
            organization_id: Id::new(r.organization_id),
            site: r.site_id.zip(r.site_name).map(|(id, name)| NamedRef {
                id: Id::new(id),
                name,
            }),
            serial_number: r.serial_number,
            product: NamedRef {
                id: Id::new(r.product_id),
                name: r.product_name,
            },
            product_version: r.product_version,
            patch_level: r.patch_level,
            operating_system: r.operating_system,
            notes: r.notes,
            retired_at: r.retired_at.map(Into::into),
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
            version: r.version,
        }
    }
}

const SELECT: &str = "SELECT u.id, u.organization_id, u.site_id, s.name AS site_name, u.serial_number, u.product_id,
        p.name AS product_name, u.product_version, u.patch_level, u.operating_system, u.notes, u.retired_at,
        u.created_at, u.updated_at, u.version
     FROM units u JOIN products p ON p.id = u.product_id LEFT JOIN sites s ON s.id = u.site_id";

/// Inserts a unit (`id`, names and `version` ignored); returns its id.
pub async fn insert(db: &mut Db, unit: &Unit, now: Timestamp) -> StoreResult<UnitId> {
    let (id,): (i64,) = on_db!(db, c => sqlx::query_as(
        "INSERT INTO units (organization_id, site_id, serial_number, product_id, product_version, patch_level,
                            operating_system, notes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id")
        .bind(unit.organization_id.get()).bind(unit.site.as_ref().map(|s| s.id.get())).bind(&unit.serial_number)
        .bind(unit.product.id.get()).bind(&unit.product_version).bind(&unit.patch_level)
        .bind(&unit.operating_system).bind(&unit.notes).bind(Ts::new(now)).fetch_one(c).await)?;
    Ok(Id::new(id))
}

/// Reads a unit.
pub async fn get(db: &mut Db, id: UnitId) -> StoreResult<Option<Unit>> {
    let sql = format!("{SELECT} WHERE u.id = $1");
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id.get()).fetch_optional(c).await)?;
    Ok(row.map(Into::into))
}

/// The units with a serial number (one per product at most).
pub async fn find_by_serial(db: &mut Db, serial: &str) -> StoreResult<Vec<Unit>> {
    let sql = format!("{SELECT} WHERE u.serial_number = $1 ORDER BY u.id");
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(serial.to_uppercase()).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The units of an organisation with any of these serial numbers (at most 500), one statement.
pub async fn find_by_serials(
    db: &mut Db,
    organization: OrganizationId,
    serials: &[String],
) -> StoreResult<Vec<Unit>> {
    let serials: Vec<String> = serials.iter().take(500).map(|s| s.to_uppercase()).collect();
    if serials.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Row> = match db.conn() {
        crate::db::Conn::Sqlite(c) => {
            let sql = format!(
                "{SELECT} WHERE u.organization_id = $1
                   AND u.serial_number IN (SELECT value FROM json_each($2)) ORDER BY u.id"
            );
            let list = serde_json::to_string(&serials).unwrap_or_else(|_| "[]".into());
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(organization.get())
                .bind(list)
                .fetch_all(c)
                .await?
        }
        crate::db::Conn::Postgres(c) => {
            let sql = format!(
                "{SELECT} WHERE u.organization_id = $1 AND u.serial_number = ANY($2) ORDER BY u.id"
            );
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(organization.get())
                .bind(&serials)
                .fetch_all(c)
                .await?
        }
    };
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The ids of an organisation's units of a product that are in service (what a case that names
/// the product without a serial number may be about).
pub async fn in_service_of_product(
    db: &mut Db,
    organization: OrganizationId,
    product: ProductId,
) -> StoreResult<Vec<UnitId>> {
    let rows: Vec<(i64,)> = on_db!(db, c => sqlx::query_as(
        "SELECT id FROM units WHERE organization_id = $1 AND product_id = $2 AND retired_at IS NULL
         ORDER BY id")
        .bind(organization.get()).bind(product.get()).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(id,)| Id::new(id)).collect())
}

/// Which units to list.
#[derive(Debug, Clone, Default)]
pub struct UnitFilter {
    /// Of this organisation.
    pub organization: Option<OrganizationId>,
    /// At this site.
    pub site: Option<SiteId>,
    /// Of this product.
    pub product: Option<ProductId>,
    /// Running this version.
    pub product_version: Option<String>,
    /// Whose installed version's support ends on or before this day (and is known).
    pub end_of_support_by: Option<Date>,
    /// Include retired units.
    pub include_retired: bool,
}

/// Lists units by id.
pub async fn list(db: &mut Db, filter: &UnitFilter, page: &PageRequest) -> StoreResult<Page<Unit>> {
    let after: Option<i64> = page.key()?;
    // SQLite plans a statement once for any value: an `$1 IS NULL OR column = $1` condition
    // would keep it off the organisation's index, so the text says which filters apply.
    let by_org = if filter.organization.is_some() {
        "u.organization_id = $1"
    } else {
        "$1 IS NULL"
    };
    let sql = format!(
        "{SELECT}
         WHERE {by_org} AND ($2 IS NULL OR u.site_id = $2)
           AND ($3 IS NULL OR u.product_id = $3) AND ($4 IS NULL OR u.product_version = $4)
           AND ($5 IS NULL OR EXISTS (SELECT 1 FROM product_versions v WHERE v.product_id = u.product_id
                 AND v.version = u.product_version AND v.end_of_support_on IS NOT NULL AND v.end_of_support_on <= $5))
           AND ($6 OR u.retired_at IS NULL) AND ($7 IS NULL OR u.id > $7)
         ORDER BY u.id LIMIT $8"
    );
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).persistent(false)
        .bind(filter.organization.map(|o| o.get())).bind(filter.site.map(|s| s.get()))
        .bind(filter.product.map(|p| p.get())).bind(&filter.product_version)
        .bind(filter.end_of_support_by.map(|d| d.to_string())).bind(filter.include_retired)
        .bind(after).bind(page.fetch_limit()).fetch_all(c).await)?;
    Ok(Page::from_rows(rows, page, |r| r.id).map(Into::into))
}

/// Writes a unit if its stored version is still `unit.version`.
pub async fn update(db: &mut Db, unit: &Unit, now: Timestamp) -> StoreResult<()> {
    let changed = exec_db!(db, c => sqlx::query(
        "UPDATE units SET site_id = $1, product_version = $2, patch_level = $3, operating_system = $4, notes = $5,
             retired_at = $6, updated_at = $7, version = version + 1
         WHERE id = $8 AND version = $9")
        .bind(unit.site.as_ref().map(|s| s.id.get())).bind(&unit.product_version).bind(&unit.patch_level)
        .bind(&unit.operating_system).bind(&unit.notes).bind(unit.retired_at.map(Ts::new)).bind(Ts::new(now))
        .bind(unit.id.get()).bind(unit.version).execute(c).await)?;
    if changed == 0 {
        return Err(StoreError::StaleVersion);
    }
    Ok(())
}

/// Appends to a unit's history.
pub async fn add_history(
    db: &mut Db,
    unit: UnitId,
    actor: Option<UserId>,
    changes: &serde_json::Value,
    at: Timestamp,
) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("INSERT INTO unit_history (unit_id, at, actor_id, changes) VALUES ($1, $2, $3, $4)")
        .bind(unit.get()).bind(Ts::new(at)).bind(actor.map(|a| a.get())).bind(changes.to_string())
        .execute(c).await)?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct HistoryRow {
    at: Ts,
    actor_id: Option<i64>,
    actor_name: Option<String>,
    changes: String,
}

/// A unit's history, newest first.
pub async fn history(db: &mut Db, unit: UnitId) -> StoreResult<Vec<UnitChange>> {
    let rows: Vec<HistoryRow> = on_db!(db, c => sqlx::query_as(
        "SELECT h.at, h.actor_id, us.name AS actor_name, h.changes
         FROM unit_history h LEFT JOIN users us ON us.id = h.actor_id
         WHERE h.unit_id = $1 ORDER BY h.id DESC")
        .bind(unit.get()).fetch_all(c).await)?;
    rows.into_iter()
        .map(|r| {
            Ok(UnitChange {
                at: r.at.0,
                actor: r.actor_id.zip(r.actor_name).map(|(id, name)| NamedRef {
                    id: Id::new(id),
                    name,
                }),
                changes: serde_json::from_str(&r.changes)
                    .map_err(|e| StoreError::corrupt("unit_history.changes", e))?,
            })
        })
        .collect()
}

/// How many units of each version of a product are in service.
pub async fn count_by_version(
    db: &mut Db,
    product: ProductId,
) -> StoreResult<Vec<(Option<String>, i64)>> {
    Ok(on_db!(db, c => sqlx::query_as(
        "SELECT product_version, COUNT(*) FROM units WHERE product_id = $1 AND retired_at IS NULL
         GROUP BY product_version ORDER BY product_version")
        .bind(product.get()).fetch_all(c).await)?)
}
