//! Support contracts (维保合同) with the units, products and contacts they cover, and the count
//! of cases charged to each.

use casebook_domain::case::NamedRef;
use casebook_domain::contract::{Contract, Service};
use casebook_domain::ids::{ContractId, Id, OrganizationId, ProductId, UnitId};
use casebook_domain::{Channel, Timestamp};
use jiff::civil::Date;

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::page::{Page, PageRequest};
use crate::time::Ts;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    contract_number: String,
    organization_id: i64,
    plan_id: String,
    starts_on: String,
    ends_on: String,
    precedence: i64,
    channels: String,
    services: String,
    coverage: String,
    incidents: Option<i64>,
    incidents_used: i64,
    hours: Option<i64>,
    minutes_used: i64,
    service_manager_id: Option<i64>,
    service_manager_name: Option<String>,
    notes: String,
    created_at: Ts,
    updated_at: Ts,
    version: i64,
}

fn corrupt(field: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt(&format!("contracts.{field}"), e)
}

/// What a contract covers, stored as one JSON document with the contract.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Coverage {
    units: Vec<i64>,
    products: Vec<i64>,
    contacts: Vec<i64>,
    /// The products of the covered units (units never change product).
    unit_products: Vec<i64>,
}

impl Row {
    /// The contract with what it covers, and the products of its covered units.
    fn into_parts(self) -> StoreResult<(Contract, Vec<ProductId>)> {
        let coverage: Coverage =
            serde_json::from_str(&self.coverage).map_err(|e| corrupt("coverage", e))?;
        fn ids<T>(v: Vec<i64>) -> Vec<Id<T>> {
            v.into_iter().map(Id::new).collect()
        }
        let mut contract = self.into_contract()?;
        contract.units = ids(coverage.units);
        contract.products = ids(coverage.products);
        contract.contacts = ids(coverage.contacts);
        Ok((contract, ids(coverage.unit_products)))
    }

    fn into_contract(self) -> StoreResult<Contract> {
        let channels: Vec<Channel> =
            serde_json::from_str(&self.channels).map_err(|e| corrupt("channels", e))?;
        let services: Vec<Service> =
            serde_json::from_str(&self.services).map_err(|e| corrupt("services", e))?;
        Ok(Contract {
            id: Id::new(self.id),
            contract_number: self.contract_number,
            organization_id: Id::new(self.organization_id),
            plan: self.plan_id.parse().map_err(|e| corrupt("plan_id", e))?,
            starts_on: self
                .starts_on
                .parse()
                .map_err(|e| corrupt("starts_on", e))?,
            ends_on: self.ends_on.parse().map_err(|e| corrupt("ends_on", e))?,
            precedence: self.precedence,
            units: Vec::new(),
            products: Vec::new(),
            contacts: Vec::new(),
            channels,
            services,
            incidents: self.incidents,
            incidents_used: self.incidents_used,
            hours: self.hours,
            minutes_used: self.minutes_used,
            service_manager: self.service_manager_id.zip(self.service_manager_name).map(
                |(id, name)| NamedRef {
                    id: Id::new(id),
                    name,
                },
            ),
            notes: self.notes,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            version: self.version,
        })
    }
}

const SELECT: &str = "SELECT c.id, c.contract_number, c.organization_id, c.plan_id, c.starts_on, c.ends_on, c.precedence,
        c.channels, c.services, c.coverage, c.incidents,
        (SELECT COUNT(*) FROM cases k WHERE k.contract_id = c.id AND k.entitlement_outcome = 'entitled') AS incidents_used,
        c.hours, (SELECT CAST(COALESCE(SUM(w.minutes), 0) AS BIGINT) FROM work_entries w WHERE w.contract_id = c.id AND w.billable) AS minutes_used,
        c.service_manager_id, m.name AS service_manager_name, c.notes, c.created_at, c.updated_at, c.version
     FROM contracts c LEFT JOIN users m ON m.id = c.service_manager_id";

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("lists of names serialise")
}

/// Inserts a contract with what it covers (`id`, `version`, usage and names ignored).
pub async fn insert(db: &mut Db, c: &Contract, now: Timestamp) -> StoreResult<ContractId> {
    let coverage = coverage_of(db, c).await?;
    let (id,): (i64,) = on_db!(db, conn => sqlx::query_as(
        "INSERT INTO contracts (contract_number, organization_id, plan_id, starts_on, ends_on, precedence, channels,
                                services, incidents, service_manager_id, notes, created_at, updated_at, coverage, hours)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14) RETURNING id")
        .bind(&c.contract_number).bind(c.organization_id.get()).bind(c.plan.as_str())
        .bind(c.starts_on.to_string()).bind(c.ends_on.to_string()).bind(c.precedence)
        .bind(json(&c.channels)).bind(json(&c.services)).bind(c.incidents)
        .bind(c.service_manager.as_ref().map(|m| m.id.get())).bind(&c.notes).bind(Ts::new(now))
        .bind(&coverage).bind(c.hours).fetch_one(conn).await)?;
    let id = Id::new(id);
    replace_coverage(db, id, c).await?;
    Ok(id)
}

/// Writes a contract's terms and coverage if its stored version is still `c.version`.
pub async fn update(db: &mut Db, c: &Contract, now: Timestamp) -> StoreResult<()> {
    let coverage = coverage_of(db, c).await?;
    let changed = exec_db!(db, conn => sqlx::query(
        "UPDATE contracts SET plan_id = $1, starts_on = $2, ends_on = $3, precedence = $4, channels = $5,
             services = $6, incidents = $7, service_manager_id = $8, notes = $9, updated_at = $10,
             coverage = $13, hours = $14, version = version + 1
         WHERE id = $11 AND version = $12")
        .bind(c.plan.as_str()).bind(c.starts_on.to_string()).bind(c.ends_on.to_string()).bind(c.precedence)
        .bind(json(&c.channels)).bind(json(&c.services)).bind(c.incidents)
        .bind(c.service_manager.as_ref().map(|m| m.id.get())).bind(&c.notes).bind(Ts::new(now))
        .bind(c.id.get()).bind(c.version).bind(&coverage).bind(c.hours).execute(conn).await)?;
    if changed == 0 {
        return Err(StoreError::StaleVersion);
    }
    replace_coverage(db, c.id, c).await
}

async fn replace_coverage(db: &mut Db, id: ContractId, c: &Contract) -> StoreResult<()> {
    for table in ["contract_units", "contract_products", "contract_contacts"] {
        let sql = format!("DELETE FROM {table} WHERE contract_id = $1");
        exec_db!(db, conn => sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(id.get()).execute(conn).await)?;
    }
    let lists: [(&str, &str, Vec<i64>); 3] = [
        (
            "contract_units",
            "unit_id",
            c.units.iter().map(|u| u.get()).collect(),
        ),
        (
            "contract_products",
            "product_id",
            c.products.iter().map(|p| p.get()).collect(),
        ),
        (
            "contract_contacts",
            "contact_id",
            c.contacts.iter().map(|p| p.get()).collect(),
        ),
    ];
    for (table, column, ids) in lists {
        for chunk in ids.chunks(500) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("($1, ${})", i + 2))
                .collect();
            let sql = format!(
                "INSERT INTO {table} (contract_id, {column}) VALUES {}",
                values.join(", ")
            );
            macro_rules! bind_ids {
                ($q:expr) => {{
                    let mut q = $q.bind(id.get());
                    for v in chunk {
                        q = q.bind(*v);
                    }
                    q
                }};
            }
            exec_db!(db, conn => bind_ids!(sqlx::query(sqlx::AssertSqlSafe(sql.clone()))).execute(conn).await)?;
        }
    }
    Ok(())
}

/// The coverage document of a contract: its lists and the products of its units.
async fn coverage_of(db: &mut Db, c: &Contract) -> StoreResult<String> {
    fn raw<T>(v: &[Id<T>]) -> Vec<i64> {
        v.iter().map(|i| i.get()).collect()
    }
    let coverage = Coverage {
        units: raw(&c.units),
        products: raw(&c.products),
        contacts: raw(&c.contacts),
        unit_products: raw(&unit_products_of(db, &c.units).await?),
    };
    Ok(json(&coverage))
}

fn with_coverage(rows: Vec<Row>) -> StoreResult<Vec<(Contract, Vec<ProductId>)>> {
    rows.into_iter().map(Row::into_parts).collect()
}

fn contracts_of(rows: Vec<Row>) -> StoreResult<Vec<Contract>> {
    Ok(with_coverage(rows)?.into_iter().map(|(c, _)| c).collect())
}

/// Reads a contract.
pub async fn get(db: &mut Db, id: ContractId) -> StoreResult<Option<Contract>> {
    let sql = format!("{SELECT} WHERE c.id = $1");
    let row: Option<Row> = on_db!(db, conn => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id.get()).fetch_optional(conn).await)?;
    Ok(contracts_of(row.into_iter().collect())?.pop())
}

/// Finds a contract by number (stored upper-case).
pub async fn find_by_number(db: &mut Db, number: &str) -> StoreResult<Option<Contract>> {
    Ok(find_with_unit_products(db, number).await?.map(|(c, _)| c))
}

/// Finds a contract by number with the products of the units it covers (what the entitlement
/// check needs).
pub async fn find_with_unit_products(
    db: &mut Db,
    number: &str,
) -> StoreResult<Option<(Contract, Vec<ProductId>)>> {
    let sql = format!("{SELECT} WHERE c.contract_number = $1");
    let row: Option<Row> = on_db!(db, conn => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(number.to_uppercase()).fetch_optional(conn).await)?;
    row.map(Row::into_parts).transpose()
}

/// Every contract of an organisation, each with the products of the units it covers (what the
/// entitlement check needs).
pub async fn of_organization(
    db: &mut Db,
    organization: OrganizationId,
) -> StoreResult<Vec<(Contract, Vec<ProductId>)>> {
    let sql = format!("{SELECT} WHERE c.organization_id = $1 ORDER BY c.id");
    let rows: Vec<Row> = on_db!(db, conn => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(organization.get()).fetch_all(conn).await)?;
    with_coverage(rows)
}

/// The products of some units.
pub async fn unit_products_of(db: &mut Db, units: &[UnitId]) -> StoreResult<Vec<ProductId>> {
    let mut out: Vec<i64> = Vec::new();
    for chunk in units.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT DISTINCT product_id FROM units WHERE id IN ({})",
            marks.join(", ")
        );
        macro_rules! bind_units {
            ($q:expr) => {{
                let mut q = $q;
                for u in chunk {
                    q = q.bind(u.get());
                }
                q
            }};
        }
        let rows: Vec<(i64,)> = on_db!(db, conn => bind_units!(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))).fetch_all(conn).await)?;
        out.extend(rows.into_iter().map(|(p,)| p));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out.into_iter().map(Id::new).collect())
}

/// Which contracts to list.
#[derive(Debug, Clone, Default)]
pub struct ContractFilter {
    /// Of this organisation.
    pub organization: Option<OrganizationId>,
    /// Ending on or after this day…
    pub ends_from: Option<Date>,
    /// …and on or before this one.
    pub ends_to: Option<Date>,
}

/// Lists contracts by id.
pub async fn list(
    db: &mut Db,
    filter: &ContractFilter,
    page: &PageRequest,
) -> StoreResult<Page<Contract>> {
    let after: Option<i64> = page.key()?;
    // The organisation's index only helps if the text names it (see `units::list`).
    let by_org = if filter.organization.is_some() {
        "c.organization_id = $1"
    } else {
        "$1 IS NULL"
    };
    let sql = format!(
        "{SELECT}
         WHERE {by_org} AND ($2 IS NULL OR c.ends_on >= $2)
           AND ($3 IS NULL OR c.ends_on <= $3) AND ($4 IS NULL OR c.id > $4)
         ORDER BY c.id LIMIT $5"
    );
    let rows: Vec<Row> = on_db!(db, conn => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).persistent(false)
        .bind(filter.organization.map(|o| o.get())).bind(filter.ends_from.map(|d| d.to_string()))
        .bind(filter.ends_to.map(|d| d.to_string())).bind(after).bind(page.fetch_limit())
        .fetch_all(conn).await)?;
    let page = Page::from_rows(rows, page, |r| r.id);
    Ok(Page {
        items: contracts_of(page.items)?,
        next_cursor: page.next_cursor,
    })
}
