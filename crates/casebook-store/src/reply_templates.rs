//! Reply templates and macros: the desk's shared ones (no owner) and each engineer's own. The
//! texts are kept as written; a macro's changes as JSON.

use casebook_domain::Named;
use casebook_domain::Timestamp;
use casebook_domain::ids::{Id, UserId};
use casebook_domain::policy::Visibility;
use casebook_domain::replies::{MacroChanges, ReplyTemplate, TemplateName, TemplateText};

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::rows::parse_column;
use crate::time::Ts;

/// Most templates one person sees (the shared ones and their own).
pub const MAX_SEEN: i64 = 500;

type Row = (
    i64,
    Option<i64>,
    String,
    String,
    String,
    String,
    String,
    i64,
    Ts,
);

const COLUMNS: &str =
    "id, owner_id, name, visibility, body_zh, body_en, changes, version, updated_at";

fn template(row: Row) -> StoreResult<ReplyTemplate> {
    let (id, owner, name, visibility, body_zh, body_en, changes, version, updated_at) = row;
    Ok(ReplyTemplate {
        id,
        name: parse_column("reply_templates.name", &name, TemplateName::parse)?,
        owner_id: owner.map(Id::new),
        visibility: parse_column("reply_templates.visibility", &visibility, Visibility::parse)?,
        body_zh: parse_column("reply_templates.body_zh", &body_zh, TemplateText::parse)?,
        body_en: parse_column("reply_templates.body_en", &body_en, TemplateText::parse)?,
        changes: serde_json::from_str(&changes)
            .map_err(|e| StoreError::corrupt("reply_templates.changes", e))?,
        version,
        updated_at: updated_at.0,
    })
}

fn changes_json(changes: &MacroChanges) -> String {
    serde_json::to_string(changes).unwrap_or_else(|_| "{}".into())
}

/// The shared templates and `user`'s own, by name.
pub async fn seen_by(db: &mut Db, user: UserId) -> StoreResult<Vec<ReplyTemplate>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM reply_templates WHERE owner_id IS NULL OR owner_id = $1
         ORDER BY name, id LIMIT $2"
    );
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(user.get()).bind(MAX_SEEN).fetch_all(c).await)?;
    rows.into_iter().map(template).collect()
}

/// One template.
pub async fn get(db: &mut Db, id: i64) -> StoreResult<Option<ReplyTemplate>> {
    let sql = format!("SELECT {COLUMNS} FROM reply_templates WHERE id = $1");
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id).fetch_optional(c).await)?;
    row.map(template).transpose()
}

/// How many personal templates `user` has, or shared ones when `None`.
pub async fn count_of(db: &mut Db, user: Option<UserId>) -> StoreResult<i64> {
    Ok(on_db!(db, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM reply_templates WHERE owner_id IS NOT DISTINCT FROM $1")
        .bind(user.map(|u| u.get())).fetch_one(c).await)?)
}

/// Adds a template (its id and version 1 are set here).
pub async fn insert(db: &mut Db, t: &ReplyTemplate, now: Timestamp) -> StoreResult<i64> {
    Ok(on_db!(db, c => sqlx::query_scalar(
        "INSERT INTO reply_templates (owner_id, name, visibility, body_zh, body_en, changes,
            version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) RETURNING id")
        .bind(t.owner_id.map(|u| u.get())).bind(t.name.as_str()).bind(t.visibility.as_str())
        .bind(t.body_zh.as_str()).bind(t.body_en.as_str()).bind(changes_json(&t.changes))
        .bind(Ts::new(now)).fetch_one(c).await)?)
}

/// Writes a template read at `t.version`; false when it changed or went since.
pub async fn update(db: &mut Db, t: &ReplyTemplate, now: Timestamp) -> StoreResult<bool> {
    let done = exec_db!(db, c => sqlx::query(
        "UPDATE reply_templates SET name = $1, visibility = $2, body_zh = $3, body_en = $4,
            changes = $5, version = version + 1, updated_at = $6
         WHERE id = $7 AND version = $8")
        .bind(t.name.as_str()).bind(t.visibility.as_str()).bind(t.body_zh.as_str())
        .bind(t.body_en.as_str()).bind(changes_json(&t.changes)).bind(Ts::new(now))
        .bind(t.id).bind(t.version).execute(c).await)?;
    Ok(done > 0)
}

/// Deletes a template; false if there was none.
pub async fn delete(db: &mut Db, id: i64) -> StoreResult<bool> {
    let done = exec_db!(db, c => sqlx::query("DELETE FROM reply_templates WHERE id = $1")
        .bind(id).execute(c).await)?;
    Ok(done > 0)
}
