//! Support plans, stored with their definition as JSON; at most one is the default. The
//! built-in standard plan of the seeds is seeded at migration (as the default) when missing.

use casebook_domain::Timestamp;
use casebook_domain::sla::plan::{
    EARLIER_DESCRIPTIONS, NO_CONTRACT_PLAN, Plan, PlanId, PlanSpec, STANDARD_PLAN,
    no_contract_plan, standard_plan,
};

use crate::audit::{AuditActor, AuditEntry};
use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::page::{Page, PageRequest};
use crate::time::Ts;

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    definition: String,
    is_default: bool,
    builtin: bool,
    created_at: Ts,
    updated_at: Ts,
    version: i64,
}

impl TryFrom<Row> for Plan {
    type Error = StoreError;

    fn try_from(r: Row) -> StoreResult<Plan> {
        let corrupt = |e: String| StoreError::Corrupt(format!("support plan {}: {e}", r.id));
        Ok(Plan {
            id: r.id.parse().map_err(corrupt)?,
            spec: serde_json::from_str(&r.definition).map_err(|e| corrupt(e.to_string()))?,
            is_default: r.is_default,
            builtin: r.builtin,
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
            version: r.version,
        })
    }
}

macro_rules! columns {
    () => {
        "id, definition, is_default, builtin, created_at, updated_at, version"
    };
}

fn json(spec: &PlanSpec) -> String {
    serde_json::to_string(spec).expect("a plan serialises")
}

/// Inserts a plan; `Duplicate` if the id is taken.
pub async fn insert(
    db: &mut Db,
    id: &PlanId,
    spec: &PlanSpec,
    builtin: bool,
    now: Timestamp,
) -> StoreResult<Plan> {
    let row: Row = on_db!(db, c => sqlx::query_as(concat!(
        "INSERT INTO support_plans (id, name, definition, builtin, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING ", columns!()))
        .bind(id.as_str()).bind(&spec.name).bind(json(spec)).bind(builtin).bind(Ts::new(now))
        .fetch_one(c).await)?;
    row.try_into()
}

/// Reads a plan.
pub async fn get(db: &mut Db, id: &PlanId) -> StoreResult<Option<Plan>> {
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(concat!(
        "SELECT ", columns!(), " FROM support_plans WHERE id = $1"))
        .bind(id.as_str()).fetch_optional(c).await)?;
    row.map(TryInto::try_into).transpose()
}

/// The default plan, if one is set.
pub async fn get_default(db: &mut Db) -> StoreResult<Option<Plan>> {
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(concat!(
        "SELECT ", columns!(), " FROM support_plans WHERE is_default"))
        .fetch_optional(c).await)?;
    row.map(TryInto::try_into).transpose()
}

/// Lists plans by id.
pub async fn list(db: &mut Db, page: &PageRequest) -> StoreResult<Page<Plan>> {
    let after: Option<String> = page.key()?;
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(concat!(
        "SELECT ", columns!(), " FROM support_plans WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2")).persistent(false)
        .bind(&after).bind(page.fetch_limit()).fetch_all(c).await)?;
    let page = Page::from_rows(rows, page, |r| r.id.clone());
    let items = page
        .items
        .into_iter()
        .map(TryInto::try_into)
        .collect::<StoreResult<_>>()?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// Replaces a plan's definition if its stored version is still `version`.
pub async fn update(
    db: &mut Db,
    id: &PlanId,
    spec: &PlanSpec,
    version: i64,
    now: Timestamp,
) -> StoreResult<Plan> {
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(concat!(
        "UPDATE support_plans SET name = $1, definition = $2, updated_at = $3, version = version + 1
         WHERE id = $4 AND version = $5 RETURNING ", columns!()))
        .bind(&spec.name).bind(json(spec)).bind(Ts::new(now)).bind(id.as_str()).bind(version)
        .fetch_optional(c).await)?;
    row.ok_or(StoreError::StaleVersion)?.try_into()
}

/// Makes a plan the default (and no other).
pub async fn set_default(db: &mut Db, id: &PlanId) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("UPDATE support_plans SET is_default = FALSE WHERE is_default AND id <> $1")
        .bind(id.as_str()).execute(c).await)?;
    exec_db!(db, c => sqlx::query("UPDATE support_plans SET is_default = TRUE WHERE id = $1")
        .bind(id.as_str()).execute(c).await)?;
    Ok(())
}

/// Inserts the built-in plans that are missing: the no-contract plan (the default when there is
/// none: customers without a contract get electronic support, next business day) and the
/// standard plan.
pub async fn seed_builtin(db: &mut Db, now: Timestamp) -> StoreResult<()> {
    seed_one(db, NO_CONTRACT_PLAN, no_contract_plan(), now).await?;
    seed_one(db, STANDARD_PLAN, standard_plan(), now).await
}

async fn seed_one(db: &mut Db, id: &str, spec: PlanSpec, now: Timestamp) -> StoreResult<()> {
    let id: PlanId = id.parse().expect("a valid id");
    if let Some(stored) = get(db, &id).await? {
        // A built-in plan as an earlier version seeded it, untouched since, gets today's text.
        let earlier = EARLIER_DESCRIPTIONS
            .iter()
            .find(|(plan, _)| *plan == id.as_str())
            .map(|(_, text)| PlanSpec {
                description: (*text).to_owned(),
                ..spec.clone()
            });
        if stored.builtin && earlier.as_ref() == Some(&stored.spec) {
            let plan = update(db, &id, &spec, stored.version, now).await?;
            db.audit(AuditEntry::change(
                now,
                &AuditActor::system("migrate"),
                "plan.update",
                "plan",
                &id,
                Some(&stored),
                Some(&plan),
            ));
        }
        return Ok(());
    }
    insert(db, &id, &spec, true, now).await?;
    if id.as_str() == NO_CONTRACT_PLAN && get_default(db).await?.is_none() {
        set_default(db, &id).await?;
    }
    let plan = get(db, &id).await?;
    db.audit(AuditEntry::change(
        now,
        &AuditActor::system("migrate"),
        "plan.create",
        "plan",
        &id,
        None,
        plan.as_ref(),
    ));
    Ok(())
}
