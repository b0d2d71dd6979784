//! Cases: numbering, insert, read with the names of what they refer to, and versioned update.

use casebook_domain::case::{Case, ClosureConfirmation, Entitlement, NamedRef, OrganizationRef};
use casebook_domain::entitlement::Outcome;
use casebook_domain::ids::{
    CaseId, ContactId, ContractId, Id, OrganizationId, ProductId, UnitId, UserId,
};
use casebook_domain::{CaseNumber, Category, Channel, Named, Severity, Status, Tier, Timestamp};

use crate::db::{Backend, Db};
use crate::error::{StoreError, StoreResult};
use crate::rows::parse_column;
use crate::time::Ts;

/// The columns of a case as shown (used by reads and lists). Names of referenced records come
/// from scalar subqueries rather than joins: they run only for the rows returned, and keep
/// PostgreSQL's planning time flat (seven joined relations cost ~5 ms to plan per execution).
macro_rules! case_view_columns {
    () => {
        "c.id, c.year, c.seq, c.title, c.description,
                c.organization_id, o.customer_number AS organization_customer_number, o.name AS organization_name,
                c.contact_id, (SELECT name FROM contacts WHERE id = c.contact_id) AS contact_name,
                c.product_id, (SELECT name FROM products WHERE id = c.product_id) AS product_name,
                c.product_version, c.patch_level, c.operating_system, c.environment,
                c.category, c.severity, c.channel, c.tier, c.status,
                c.owner_id, (SELECT name FROM users WHERE id = c.owner_id) AS owner_name,
                c.opened_by, (SELECT name FROM users WHERE id = c.opened_by) AS opened_by_name,
                c.created_at, c.updated_at, c.closed_at, c.closure_confirmed_by,
                (SELECT name FROM users WHERE id = c.closure_confirmed_by) AS closure_confirmed_by_name,
                c.closure_confirmed_at, c.version,
                c.unit_id, (SELECT serial_number FROM units WHERE id = c.unit_id) AS unit_serial,
                c.entitlement_outcome, c.entitlement_reason,
                (SELECT contract_number FROM contracts WHERE id = c.contract_id) AS contract_number,
                (SELECT plan_id FROM case_sla WHERE case_id = c.id) AS plan_id,
                c.entitlement_overridden_by,
                (SELECT name FROM users WHERE id = c.entitlement_overridden_by) AS entitlement_overridden_by_name,
                c.entitlement_override_reason,
                (SELECT m.year FROM cases m WHERE m.id = c.merged_into) AS merged_year,
                (SELECT m.seq FROM cases m WHERE m.id = c.merged_into) AS merged_seq"
    };
}

/// The `SELECT` of a case with the names of what it refers to.
macro_rules! case_view {
    () => {
        concat!(
            "SELECT ",
            case_view_columns!(),
            " FROM cases c JOIN organizations o ON o.id = c.organization_id"
        )
    };
}

/// The column list of a case as shown, for the list query builder.
pub(crate) const CASE_VIEW_COLUMNS: &str = case_view_columns!();

#[derive(sqlx::FromRow)]
pub(crate) struct CaseRow {
    id: i64,
    year: i64,
    seq: i64,
    title: String,
    description: String,
    organization_id: i64,
    organization_customer_number: String,
    organization_name: String,
    contact_id: Option<i64>,
    contact_name: Option<String>,
    product_id: Option<i64>,
    product_name: Option<String>,
    product_version: Option<String>,
    patch_level: Option<String>,
    operating_system: Option<String>,
    environment: String,
    category: String,
    severity: i64,
    channel: String,
    tier: String,
    status: String,
    owner_id: Option<i64>,
    owner_name: Option<String>,
    opened_by: Option<i64>,
    opened_by_name: Option<String>,
    created_at: Ts,
    updated_at: Ts,
    closed_at: Option<Ts>,
    closure_confirmed_by: Option<i64>,
    closure_confirmed_by_name: Option<String>,
    closure_confirmed_at: Option<Ts>,
    version: i64,
    unit_id: Option<i64>,
    unit_serial: Option<String>,
    entitlement_outcome: Option<String>,
    entitlement_reason: String,
    contract_number: Option<String>,
    plan_id: Option<String>,
    entitlement_overridden_by: Option<i64>,
    entitlement_overridden_by_name: Option<String>,
    entitlement_override_reason: Option<String>,
    merged_year: Option<i64>,
    merged_seq: Option<i64>,
}

pub(crate) fn named<T>(id: Option<i64>, name: Option<String>) -> Option<NamedRef<Id<T>>> {
    Some(NamedRef {
        id: Id::new(id?),
        name: name.unwrap_or_default(),
    })
}

impl CaseRow {
    pub(crate) fn id(&self) -> i64 {
        self.id
    }

    pub(crate) fn into_case(self) -> StoreResult<Case> {
        let year = i16::try_from(self.year).map_err(|e| StoreError::corrupt("cases.year", e))?;
        let closure_confirmation = match (
            named(self.closure_confirmed_by, self.closure_confirmed_by_name),
            self.closure_confirmed_at,
        ) {
            (Some(confirmed_by), Some(at)) => Some(ClosureConfirmation {
                confirmed_by,
                confirmed_at: at.0,
            }),
            _ => None,
        };
        let entitlement = match self.entitlement_outcome {
            Some(outcome) => Some(Entitlement {
                outcome: Outcome::parse(&outcome)
                    .ok_or_else(|| StoreError::corrupt("cases.entitlement_outcome", &outcome))?,
                reason: self.entitlement_reason,
                contract_number: self.contract_number,
                plan: self.plan_id,
                overridden_by: named(
                    self.entitlement_overridden_by,
                    self.entitlement_overridden_by_name,
                ),
                override_reason: self.entitlement_override_reason,
            }),
            None => None,
        };
        Ok(Case {
            id: Id::new(self.id),
            number: CaseNumber::new(year, self.seq)
                .map_err(|e| StoreError::corrupt("cases.seq", e))?,
            title: self.title,
            description: self.description,
            organization: OrganizationRef {
                id: Id::new(self.organization_id),
                customer_number: self.organization_customer_number,
                name: self.organization_name,
            },
            contact: named(self.contact_id, self.contact_name),
            product: named(self.product_id, self.product_name),
            product_version: self.product_version,
            patch_level: self.patch_level,
            operating_system: self.operating_system,
            environment: self.environment,
            category: parse_column("cases.category", &self.category, Category::parse)?,
            severity: Severity::from_level(self.severity)
                .map_err(|e| StoreError::corrupt("cases.severity", e))?,
            channel: parse_column("cases.channel", &self.channel, Channel::parse)?,
            tier: Some(parse_column("cases.tier", &self.tier, Tier::parse)?),
            status: parse_column("cases.status", &self.status, Status::parse)?,
            owner: named(self.owner_id, self.owner_name),
            opened_by: named(self.opened_by, self.opened_by_name),
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            closed_at: self.closed_at.map(Into::into),
            closure_confirmation,
            unit: named(self.unit_id, self.unit_serial),
            entitlement,
            merged_into: match (self.merged_year, self.merged_seq) {
                (Some(year), Some(seq)) => Some(
                    i16::try_from(year)
                        .ok()
                        .and_then(|y| CaseNumber::new(y, seq).ok())
                        .ok_or_else(|| StoreError::corrupt("cases.merged_into", year))?,
                ),
                _ => None,
            },
            version: self.version,
        })
    }
}

/// Allocates the next case number of a year. Numbers are never reused. On SQLite the year's
/// counter row moves forward in the transaction (the one writer makes numbers gapless); on
/// PostgreSQL the number comes from the year's sequence `case_seq_YEAR`, made on first use, so
/// concurrent openings do not queue on a counter for their whole transaction (a number taken by
/// an opening that rolls back is skipped).
pub async fn next_number(db: &mut Db, year: i16) -> StoreResult<CaseNumber> {
    let seq: i64 = match db.backend() {
        Backend::Sqlite => on_db!(db, c => sqlx::query_scalar(
            "INSERT INTO case_counters (year, last_seq) VALUES ($1, 1)
             ON CONFLICT (year) DO UPDATE SET last_seq = case_counters.last_seq + 1
             RETURNING last_seq")
            .bind(i64::from(year)).fetch_one(c).await)?,
        Backend::Postgres => next_in_sequence(db, year).await?,
    };
    CaseNumber::new(year, seq).map_err(|e| StoreError::corrupt("the case number sequence", e))
}

/// `nextval` of the year's sequence, making it first if it is not there (in a savepoint, so a
/// concurrent maker does not abort the caller's transaction: the loser of two makers waits for
/// the winner, fails, and then sees its sequence).
async fn next_in_sequence(db: &mut Db, year: i16) -> StoreResult<i64> {
    let name = format!("case_seq_{year}");
    for _ in 0..2 {
        let next: Option<i64> = on_db!(db, c => sqlx::query_scalar("SELECT nextval(to_regclass($1))")
            .bind(&name).fetch_one(c).await)?;
        if let Some(seq) = next {
            return Ok(seq);
        }
        let make = format!("CREATE SEQUENCE IF NOT EXISTS {name}");
        exec_db!(db, c => sqlx::query("SAVEPOINT case_seq").execute(c).await)?;
        let made =
            exec_db!(db, c => sqlx::query(sqlx::AssertSqlSafe(make.clone())).execute(c).await);
        let end = match made {
            Ok(_) => "RELEASE SAVEPOINT case_seq",
            Err(_) => "ROLLBACK TO SAVEPOINT case_seq",
        };
        exec_db!(db, c => sqlx::query(end).execute(c).await)?;
    }
    Err(StoreError::Corrupt(format!(
        "the sequence {name} cannot be made"
    )))
}

/// The stored columns of a case that change over its life.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseColumns {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Organisation (fixed after creation).
    pub organization_id: OrganizationId,
    /// Contact.
    pub contact_id: Option<ContactId>,
    /// Product.
    pub product_id: Option<ProductId>,
    /// Product version.
    pub product_version: Option<String>,
    /// Patch level.
    pub patch_level: Option<String>,
    /// Operating system.
    pub operating_system: Option<String>,
    /// Environment details.
    pub environment: String,
    /// Category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// Channel (fixed after creation).
    pub channel: Channel,
    /// Tier.
    pub tier: Tier,
    /// Status.
    pub status: Status,
    /// Owner.
    pub owner_id: Option<UserId>,
    /// Closed or cancelled at.
    pub closed_at: Option<Timestamp>,
    /// The customer who confirmed closure.
    pub closure_confirmed_by: Option<UserId>,
    /// When they confirmed.
    pub closure_confirmed_at: Option<Timestamp>,
}

impl From<&Case> for CaseColumns {
    fn from(case: &Case) -> Self {
        CaseColumns {
            title: case.title.clone(),
            description: case.description.clone(),
            organization_id: case.organization.id,
            contact_id: case.contact.as_ref().map(|c| c.id),
            product_id: case.product.as_ref().map(|p| p.id),
            product_version: case.product_version.clone(),
            patch_level: case.patch_level.clone(),
            operating_system: case.operating_system.clone(),
            environment: case.environment.clone(),
            category: case.category,
            severity: case.severity,
            channel: case.channel,
            tier: case.tier.unwrap_or(Tier::Intake),
            status: case.status,
            owner_id: case.owner.as_ref().map(|o| o.id),
            closed_at: case.closed_at,
            closure_confirmed_by: case
                .closure_confirmation
                .as_ref()
                .map(|c| c.confirmed_by.id),
            closure_confirmed_at: case.closure_confirmation.as_ref().map(|c| c.confirmed_at),
        }
    }
}

/// Inserts a case under an allocated number; returns its id.
pub async fn insert(
    db: &mut Db,
    number: CaseNumber,
    columns: &CaseColumns,
    opened_by: Option<UserId>,
    now: Timestamp,
) -> StoreResult<CaseId> {
    let (id,): (i64,) = on_db!(db, c => sqlx::query_as(
        "INSERT INTO cases (year, seq, title, description, organization_id, contact_id, product_id, product_version,
                            patch_level, operating_system, environment, category, severity, channel, tier, status,
                            owner_id, opened_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19)
         RETURNING id")
        .bind(i64::from(number.year())).bind(number.seq()).bind(&columns.title).bind(&columns.description)
        .bind(columns.organization_id.get()).bind(columns.contact_id.map(|v| v.get()))
        .bind(columns.product_id.map(|v| v.get())).bind(&columns.product_version).bind(&columns.patch_level)
        .bind(&columns.operating_system).bind(&columns.environment).bind(columns.category.as_str())
        .bind(i64::from(columns.severity.level())).bind(columns.channel.as_str()).bind(columns.tier.as_str())
        .bind(columns.status.as_str()).bind(columns.owner_id.map(|v| v.get())).bind(opened_by.map(|v| v.get()))
        .bind(Ts::new(now))
        .fetch_one(c).await)?;
    Ok(Id::new(id))
}

/// The entitlement of a case as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntitlement {
    /// The unit named.
    pub unit: Option<UnitId>,
    /// The contract charged, or the one that came closest.
    pub contract: Option<ContractId>,
    /// The outcome.
    pub outcome: Outcome,
    /// Why.
    pub reason: String,
    /// Who overrode a refusal, and why.
    pub overridden: Option<(UserId, String)>,
}

/// Records the entitlement decision of a case; `changed` (a later override or re-check) counts as
/// a change of the case's version.
pub async fn set_entitlement(
    db: &mut Db,
    case: CaseId,
    e: &StoredEntitlement,
    changed: bool,
) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "UPDATE cases SET unit_id = $1, contract_id = $2, entitlement_outcome = $3, entitlement_reason = $4,
             entitlement_overridden_by = $5, entitlement_override_reason = $6,
             version = CASE WHEN $8 THEN version + 1 ELSE version END
         WHERE id = $7")
        .bind(e.unit.map(|u| u.get())).bind(e.contract.map(|c| c.get())).bind(e.outcome.as_str()).bind(&e.reason)
        .bind(e.overridden.as_ref().map(|(u, _)| u.get())).bind(e.overridden.as_ref().map(|(_, r)| r.as_str()))
        .bind(case.get()).bind(changed).execute(c).await)?;
    Ok(())
}

/// Reads a case by number.
pub async fn get_by_number(db: &mut Db, number: CaseNumber) -> StoreResult<Option<Case>> {
    let row: Option<CaseRow> = on_db!(db, c => sqlx::query_as(concat!(case_view!(), " WHERE c.year = $1 AND c.seq = $2"))
        .bind(i64::from(number.year())).bind(number.seq()).fetch_optional(c).await)?;
    row.map(CaseRow::into_case).transpose()
}

/// Reads a case by id.
pub async fn get(db: &mut Db, id: CaseId) -> StoreResult<Option<Case>> {
    let row: Option<CaseRow> = on_db!(db, c => sqlx::query_as(concat!(case_view!(), " WHERE c.id = $1"))
        .bind(id.get()).fetch_optional(c).await)?;
    row.map(CaseRow::into_case).transpose()
}

/// Finds a case's id by number.
pub async fn id_of(db: &mut Db, number: CaseNumber) -> StoreResult<Option<CaseId>> {
    let row: Option<(i64,)> = on_db!(db, c => sqlx::query_as("SELECT id FROM cases WHERE year = $1 AND seq = $2")
        .bind(i64::from(number.year())).bind(number.seq()).fetch_optional(c).await)?;
    Ok(row.map(|(id,)| Id::new(id)))
}

/// Finds a case's number by id.
pub async fn number_of(db: &mut Db, id: CaseId) -> StoreResult<Option<CaseNumber>> {
    let row: Option<(i64, i64)> = on_db!(db, c => sqlx::query_as("SELECT year, seq FROM cases WHERE id = $1")
        .bind(id.get()).fetch_optional(c).await)?;
    Ok(row.and_then(|(year, seq)| CaseNumber::new(i16::try_from(year).ok()?, seq).ok()))
}

/// The numbers of cases, one statement (at most 500 ids); cases that do not exist are left out.
pub async fn numbers_of(db: &mut Db, ids: &[CaseId]) -> StoreResult<Vec<(CaseId, CaseNumber)>> {
    let ids: Vec<i64> = ids.iter().take(500).map(|id| id.get()).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, i64, i64)> = match db.conn() {
        crate::db::Conn::Sqlite(c) => {
            let list = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
            sqlx::query_as(
                "SELECT id, year, seq FROM cases WHERE id IN (SELECT value FROM json_each($1))",
            )
            .bind(list)
            .fetch_all(c)
            .await?
        }
        crate::db::Conn::Postgres(c) => {
            sqlx::query_as("SELECT id, year, seq FROM cases WHERE id = ANY($1)")
                .bind(&ids)
                .fetch_all(c)
                .await?
        }
    };
    Ok(rows
        .into_iter()
        .filter_map(|(id, year, seq)| {
            let number = CaseNumber::new(i16::try_from(year).ok()?, seq).ok()?;
            Some((Id::new(id), number))
        })
        .collect())
}

/// Writes the columns of a case if its stored version is still `version`; bumps the version.
pub async fn update(
    db: &mut Db,
    id: CaseId,
    version: i64,
    columns: &CaseColumns,
    now: Timestamp,
) -> StoreResult<()> {
    let changed = exec_db!(db, c => sqlx::query(
        "UPDATE cases SET title = $1, description = $2, contact_id = $3, product_id = $4, product_version = $5,
                patch_level = $6, operating_system = $7, environment = $8, category = $9, severity = $10, tier = $11,
                status = $12, owner_id = $13, closed_at = $14, closure_confirmed_by = $15, closure_confirmed_at = $16,
                updated_at = $17, version = version + 1
         WHERE id = $18 AND version = $19")
        .bind(&columns.title).bind(&columns.description).bind(columns.contact_id.map(|v| v.get()))
        .bind(columns.product_id.map(|v| v.get())).bind(&columns.product_version).bind(&columns.patch_level)
        .bind(&columns.operating_system).bind(&columns.environment).bind(columns.category.as_str())
        .bind(i64::from(columns.severity.level())).bind(columns.tier.as_str()).bind(columns.status.as_str())
        .bind(columns.owner_id.map(|v| v.get())).bind(columns.closed_at.map(Ts::new))
        .bind(columns.closure_confirmed_by.map(|v| v.get())).bind(columns.closure_confirmed_at.map(Ts::new))
        .bind(Ts::new(now)).bind(id.get()).bind(version)
        .execute(c).await)?;
    if changed == 0 {
        return Err(StoreError::StaleVersion);
    }
    Ok(())
}

/// Marks a case as updated (a public reply) without changing its fields or version.
pub async fn touch(db: &mut Db, id: CaseId, now: Timestamp) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2").bind(Ts::new(now)).bind(id.get()).execute(c).await)?;
    Ok(())
}

/// How many cases exist (for the demo loader and benchmarks).
pub async fn count(db: &mut Db) -> StoreResult<i64> {
    let (n,): (i64,) =
        on_db!(db, c => sqlx::query_as("SELECT COUNT(*) FROM cases").fetch_one(c).await)?;
    Ok(n)
}
