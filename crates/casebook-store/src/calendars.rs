//! Business calendars, stored with their definition as JSON, and the built-in ones seeded at
//! migration (only when missing, so an admin's edits, such as next year's holidays, stay).

use casebook_domain::Timestamp;
use casebook_domain::sla::china::builtin_calendars;
use casebook_domain::sla::{Calendar, CalendarId, CalendarSpec};

use crate::audit::{AuditActor, AuditEntry};
use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::page::{Page, PageRequest};
use crate::time::Ts;

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    definition: String,
    builtin: bool,
    created_at: Ts,
    updated_at: Ts,
    version: i64,
}

impl TryFrom<Row> for Calendar {
    type Error = StoreError;

    fn try_from(r: Row) -> StoreResult<Calendar> {
        let corrupt = |e: String| StoreError::Corrupt(format!("calendar {}: {e}", r.id));
        Ok(Calendar {
            id: r.id.parse().map_err(corrupt)?,
            spec: serde_json::from_str(&r.definition).map_err(|e| corrupt(e.to_string()))?,
            builtin: r.builtin,
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
            version: r.version,
        })
    }
}

macro_rules! columns {
    () => {
        "id, definition, builtin, created_at, updated_at, version"
    };
}

fn json(spec: &CalendarSpec) -> String {
    serde_json::to_string(spec).expect("a calendar definition serialises")
}

/// Inserts a calendar; `Duplicate` if the id is taken.
pub async fn insert(
    db: &mut Db,
    id: &CalendarId,
    spec: &CalendarSpec,
    builtin: bool,
    now: Timestamp,
) -> StoreResult<Calendar> {
    let row: Row = on_db!(db, c => sqlx::query_as(concat!(
        "INSERT INTO calendars (id, name, definition, builtin, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING ", columns!()))
        .bind(id.as_str()).bind(&spec.name).bind(json(spec)).bind(builtin).bind(Ts::new(now))
        .fetch_one(c).await)?;
    row.try_into()
}

/// Reads a calendar.
pub async fn get(db: &mut Db, id: &CalendarId) -> StoreResult<Option<Calendar>> {
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(concat!(
        "SELECT ", columns!(), " FROM calendars WHERE id = $1"))
        .bind(id.as_str()).fetch_optional(c).await)?;
    row.map(TryInto::try_into).transpose()
}

/// Lists calendars by id.
pub async fn list(db: &mut Db, page: &PageRequest) -> StoreResult<Page<Calendar>> {
    let after: Option<String> = page.key()?;
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(concat!(
        "SELECT ", columns!(), " FROM calendars WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2")).persistent(false)
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

/// Replaces a calendar's definition if its stored version is still `version`.
pub async fn update(
    db: &mut Db,
    id: &CalendarId,
    spec: &CalendarSpec,
    version: i64,
    now: Timestamp,
) -> StoreResult<Calendar> {
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(concat!(
        "UPDATE calendars SET name = $1, definition = $2, updated_at = $3, version = version + 1
         WHERE id = $4 AND version = $5 RETURNING ", columns!()))
        .bind(&spec.name).bind(json(spec)).bind(Ts::new(now)).bind(id.as_str()).bind(version)
        .fetch_optional(c).await)?;
    row.ok_or(StoreError::StaleVersion)?.try_into()
}

/// Inserts the built-in calendars that are missing, with audit entries.
pub async fn seed_builtin(db: &mut Db, now: Timestamp) -> StoreResult<()> {
    for (id, spec) in builtin_calendars() {
        if get(db, &id).await?.is_some() {
            continue;
        }
        let calendar = insert(db, &id, &spec, true, now).await?;
        db.audit(AuditEntry::change(
            now,
            &AuditActor::system("migrate"),
            "calendar.create",
            "calendar",
            &id,
            None,
            Some(&calendar),
        ));
    }
    Ok(())
}

/// The version of every calendar, by id (calendars are few).
pub async fn versions(db: &mut Db) -> StoreResult<std::collections::HashMap<CalendarId, i64>> {
    let rows: Vec<(String, i64)> = on_db!(db, c => sqlx::query_as("SELECT id, version FROM calendars")
        .fetch_all(c).await)?;
    rows.into_iter()
        .map(|(id, v)| {
            Ok((
                id.parse()
                    .map_err(|e| StoreError::corrupt("calendars.id", e))?,
                v,
            ))
        })
        .collect()
}

/// The stored version of a calendar (to check a cached compilation).
pub async fn version(db: &mut Db, id: &CalendarId) -> StoreResult<Option<i64>> {
    let row: Option<(i64,)> = on_db!(db, c => sqlx::query_as("SELECT version FROM calendars WHERE id = $1")
        .bind(id.as_str()).fetch_optional(c).await)?;
    Ok(row.map(|(v,)| v))
}
