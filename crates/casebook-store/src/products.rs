//! The product catalogue with released versions.

use casebook_domain::Timestamp;
use casebook_domain::directory::{Product, ProductVersion};
use casebook_domain::ids::{Id, ProductId, ProductVersionId};
use jiff::civil::Date;

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::page::{Page, PageRequest, contains_pattern};
use crate::time::Ts;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    vendor: String,
    archived_at: Option<Ts>,
    created_at: Ts,
    updated_at: Ts,
    version: i64,
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    id: i64,
    product_id: i64,
    version: String,
    released_on: Option<String>,
    end_of_marketing_on: Option<String>,
    end_of_support_on: Option<String>,
}

fn parse_date(value: Option<String>, what: &str) -> StoreResult<Option<Date>> {
    value
        .map(|d| d.parse::<Date>().map_err(|e| StoreError::corrupt(what, e)))
        .transpose()
}

impl Row {
    fn into_product(self, versions: Vec<ProductVersion>) -> Product {
        Product {
            id: Id::new(self.id),
            name: self.name,
            vendor: self.vendor,
            versions,
            archived_at: self.archived_at.map(Into::into),
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            version: self.version,
        }
    }
}

impl VersionRow {
    fn into_version(self) -> StoreResult<ProductVersion> {
        Ok(ProductVersion {
            id: Id::new(self.id),
            version: self.version,
            released_on: parse_date(self.released_on, "product_versions.released_on")?,
            end_of_marketing_on: parse_date(
                self.end_of_marketing_on,
                "product_versions.end_of_marketing_on",
            )?,
            end_of_support_on: parse_date(
                self.end_of_support_on,
                "product_versions.end_of_support_on",
            )?,
        })
    }
}

/// Inserts a product (without versions).
pub async fn insert(db: &mut Db, name: &str, vendor: &str, now: Timestamp) -> StoreResult<Product> {
    let row: Row = on_db!(db, c => sqlx::query_as(
        "INSERT INTO products (name, vendor, created_at, updated_at) VALUES ($1, $2, $3, $3)
         RETURNING id, name, vendor, archived_at, created_at, updated_at, version")
        .bind(name).bind(vendor).bind(Ts::new(now)).fetch_one(c).await)?;
    Ok(row.into_product(Vec::new()))
}

const VERSION_COLUMNS: &str =
    "id, product_id, version, released_on, end_of_marketing_on, end_of_support_on";

/// Adds a version (its text and lifecycle dates, `id` ignored) to a product.
pub async fn insert_version(
    db: &mut Db,
    product: ProductId,
    v: &ProductVersion,
    now: Timestamp,
) -> StoreResult<ProductVersion> {
    let sql = format!(
        "INSERT INTO product_versions (product_id, version, released_on, end_of_marketing_on, end_of_support_on, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {VERSION_COLUMNS}"
    );
    let row: VersionRow = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(product.get()).bind(&v.version).bind(v.released_on.map(|d| d.to_string()))
        .bind(v.end_of_marketing_on.map(|d| d.to_string())).bind(v.end_of_support_on.map(|d| d.to_string()))
        .bind(Ts::new(now)).fetch_one(c).await)?;
    row.into_version()
}

/// Changes a version's text and release date.
pub async fn update_version(db: &mut Db, version: &ProductVersion) -> StoreResult<ProductVersion> {
    let sql = format!(
        "UPDATE product_versions SET version = $1, released_on = $2, end_of_marketing_on = $3, end_of_support_on = $4
         WHERE id = $5 RETURNING {VERSION_COLUMNS}"
    );
    let row: VersionRow = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(&version.version).bind(version.released_on.map(|d| d.to_string()))
        .bind(version.end_of_marketing_on.map(|d| d.to_string())).bind(version.end_of_support_on.map(|d| d.to_string()))
        .bind(version.id.get()).fetch_one(c).await)?;
    row.into_version()
}

async fn versions_of(db: &mut Db, ids: &[i64]) -> StoreResult<Vec<VersionRow>> {
    let mut out = Vec::new();
    for id in ids {
        let rows: Vec<VersionRow> = on_db!(db, c => sqlx::query_as(
            "SELECT id, product_id, version, released_on, end_of_marketing_on, end_of_support_on
             FROM product_versions WHERE product_id = $1
             ORDER BY released_on IS NULL, released_on, id")
            .bind(id).fetch_all(c).await)?;
        out.extend(rows);
    }
    Ok(out)
}

async fn with_versions(db: &mut Db, rows: Vec<Row>) -> StoreResult<Vec<Product>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut versions = versions_of(db, &ids).await?;
    rows.into_iter()
        .map(|row| {
            let mine: Vec<VersionRow> = versions
                .extract_if(.., |v| v.product_id == row.id)
                .collect();
            let mine = mine
                .into_iter()
                .map(VersionRow::into_version)
                .collect::<StoreResult<Vec<_>>>()?;
            Ok(row.into_product(mine))
        })
        .collect()
}

/// Reads one product with its versions.
pub async fn get(db: &mut Db, id: ProductId) -> StoreResult<Option<Product>> {
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT id, name, vendor, archived_at, created_at, updated_at, version FROM products WHERE id = $1")
        .bind(id.get()).fetch_optional(c).await)?;
    match row {
        Some(row) => Ok(with_versions(db, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

/// Finds a product by vendor and name.
pub async fn find(db: &mut Db, vendor: &str, name: &str) -> StoreResult<Option<ProductId>> {
    let id: Option<(i64,)> = on_db!(db, c => sqlx::query_as("SELECT id FROM products WHERE vendor = $1 AND name = $2")
        .bind(vendor).bind(name).fetch_optional(c).await)?;
    Ok(id.map(|(id,)| Id::new(id)))
}

/// Reads one version of a product.
pub async fn get_version(
    db: &mut Db,
    product: ProductId,
    id: ProductVersionId,
) -> StoreResult<Option<ProductVersion>> {
    let row: Option<VersionRow> = on_db!(db, c => sqlx::query_as(
        "SELECT id, product_id, version, released_on, end_of_marketing_on, end_of_support_on
         FROM product_versions WHERE id = $1 AND product_id = $2")
        .bind(id.get()).bind(product.get()).fetch_optional(c).await)?;
    row.map(VersionRow::into_version).transpose()
}

/// Which products to list.
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    /// Text in the name or vendor.
    pub q: Option<String>,
    /// Include archived products.
    pub include_archived: bool,
}

/// Lists products by name, each with its versions.
pub async fn list(
    db: &mut Db,
    filter: &ProductFilter,
    page: &PageRequest,
) -> StoreResult<Page<Product>> {
    let after: Option<(String, i64)> = page.key()?;
    let (after_name, after_id) = after.unzip();
    let pattern = filter.q.as_deref().map(contains_pattern);
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT id, name, vendor, archived_at, created_at, updated_at, version
         FROM products
         WHERE ($1 OR archived_at IS NULL)
           AND ($2 IS NULL OR lower(name) LIKE $2 ESCAPE '\\' OR lower(vendor) LIKE $2 ESCAPE '\\')
           AND ($3 IS NULL OR name > $3 OR (name = $3 AND id > $4))
         ORDER BY name, id LIMIT $5").persistent(false)
        .bind(filter.include_archived).bind(&pattern).bind(&after_name).bind(after_id).bind(page.fetch_limit())
        .fetch_all(c).await)?;
    let page = Page::from_rows(rows, page, |r| (r.name.clone(), r.id));
    let items = with_versions(db, page.items).await?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// Writes `product`'s own fields (not versions) if its stored version is still `product.version`.
pub async fn update(db: &mut Db, product: &Product, now: Timestamp) -> StoreResult<Product> {
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(
        "UPDATE products SET name = $1, vendor = $2, archived_at = $3, updated_at = $4, version = version + 1
         WHERE id = $5 AND version = $6
         RETURNING id, name, vendor, archived_at, created_at, updated_at, version")
        .bind(&product.name).bind(&product.vendor).bind(product.archived_at.map(Ts::new)).bind(Ts::new(now))
        .bind(product.id.get()).bind(product.version)
        .fetch_optional(c).await)?;
    let row = row.ok_or(StoreError::StaleVersion)?;
    Ok(with_versions(db, vec![row])
        .await?
        .pop()
        .expect("one product in, one out"))
}
