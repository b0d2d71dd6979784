//! The texts of the mail Casebook sends, as admins edited them: one subject and body per kind
//! of mail and language. A kind and language without a row uses the built-in text (kept in the
//! server, not here). Each row has a version, so an edit made on a stale copy is refused.
//! Also the installation's secrets (the key that signs reply tokens and mail links).

use casebook_domain::Timestamp;
use casebook_domain::ids::UserId;

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::time::Ts;

/// An edited template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTemplate {
    /// Kind of mail, e.g. `case_opened`.
    pub kind: String,
    /// Language tag, `zh-CN` or `en`.
    pub lang: String,
    /// The subject template.
    pub subject: String,
    /// The body template.
    pub body: String,
    /// Incremented by every edit.
    pub version: i64,
    /// When it was last edited.
    pub updated_at: Timestamp,
}

type Row = (String, String, String, String, i64, Ts);

fn from_row((kind, lang, subject, body, version, updated_at): Row) -> StoredTemplate {
    StoredTemplate {
        kind,
        lang,
        subject,
        body,
        version,
        updated_at: updated_at.0,
    }
}

/// The edited template of a kind and language, if there is one.
pub async fn get(db: &mut Db, kind: &str, lang: &str) -> StoreResult<Option<StoredTemplate>> {
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT kind, lang, subject, body, version, updated_at FROM mail_templates
         WHERE kind = $1 AND lang = $2")
        .bind(kind).bind(lang).fetch_optional(c).await)?;
    Ok(row.map(from_row))
}

/// Every edited template.
pub async fn list(db: &mut Db) -> StoreResult<Vec<StoredTemplate>> {
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT kind, lang, subject, body, version, updated_at FROM mail_templates
         ORDER BY kind, lang").fetch_all(c).await)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Saves a template. `version` is the version the editor saw: 0 for the built-in text (no row
/// yet). A different current version is refused with [`StoreError::StaleVersion`].
pub async fn save(
    db: &mut Db,
    template: &StoredTemplate,
    by: Option<UserId>,
    now: Timestamp,
) -> StoreResult<i64> {
    let current = get(db, &template.kind, &template.lang)
        .await?
        .map_or(0, |t| t.version);
    if current != template.version {
        return Err(StoreError::StaleVersion);
    }
    let by = by.map(|u| u.get());
    let changed = if current == 0 {
        exec_db!(db, c => sqlx::query(
            "INSERT INTO mail_templates (kind, lang, subject, body, version, updated_at, updated_by)
             VALUES ($1, $2, $3, $4, 1, $5, $6) ON CONFLICT (kind, lang) DO NOTHING")
            .bind(&template.kind).bind(&template.lang).bind(&template.subject).bind(&template.body)
            .bind(Ts::new(now)).bind(by).execute(c).await)?
    } else {
        exec_db!(db, c => sqlx::query(
            "UPDATE mail_templates SET subject = $1, body = $2, version = version + 1,
             updated_at = $3, updated_by = $4 WHERE kind = $5 AND lang = $6 AND version = $7")
            .bind(&template.subject).bind(&template.body).bind(Ts::new(now)).bind(by)
            .bind(&template.kind).bind(&template.lang).bind(current).execute(c).await)?
    };
    if changed == 1 {
        Ok(current + 1)
    } else {
        Err(StoreError::StaleVersion)
    }
}

/// Removes an edited template (the built-in text applies again); false if there was none.
pub async fn reset(db: &mut Db, kind: &str, lang: &str) -> StoreResult<bool> {
    let done = exec_db!(db, c => sqlx::query(
        "DELETE FROM mail_templates WHERE kind = $1 AND lang = $2")
        .bind(kind).bind(lang).execute(c).await)?;
    Ok(done > 0)
}

/// The secret called `name`, if it was made.
pub async fn get_secret(db: &mut Db, name: &str) -> StoreResult<Option<String>> {
    Ok(
        on_db!(db, c => sqlx::query_scalar("SELECT value FROM secrets WHERE name = $1")
        .bind(name).fetch_optional(c).await)?,
    )
}

/// The secret called `name`; the first caller's `candidate` becomes it, later callers get the
/// stored one (so every server of an installation shares it).
pub async fn secret(db: &mut Db, name: &str, candidate: &str) -> StoreResult<String> {
    exec_db!(db, c => sqlx::query(
        "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(name).bind(candidate).execute(c).await)?;
    Ok(
        on_db!(db, c => sqlx::query_scalar("SELECT value FROM secrets WHERE name = $1")
        .bind(name).fetch_one(c).await)?,
    )
}
