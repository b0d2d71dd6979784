//! The synonym groups of search: each a list of words (kept as a JSON array) with a version
//! that grows with each change. A starter list for IT support Chinese is seeded by the
//! migration; admins change it.

use casebook_domain::Timestamp;
use casebook_domain::synonyms::{SynonymGroup, Words};

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::time::Ts;

/// Most groups kept (and read for each search).
pub const MAX_GROUPS: i64 = 2000;

type Row = (i64, String, i64, Ts);

fn group((id, words, version, updated_at): Row) -> StoreResult<SynonymGroup> {
    let list: Vec<String> = serde_json::from_str(&words)
        .map_err(|e| StoreError::corrupt("search_synonyms.words", e))?;
    let words = Words::parse(list.iter().map(String::as_str))
        .map_err(|e| StoreError::corrupt("search_synonyms.words", e))?;
    Ok(SynonymGroup {
        id,
        words,
        version,
        updated_at: updated_at.0,
    })
}

fn stored(words: &Words) -> String {
    serde_json::Value::from(words.as_slice().to_vec()).to_string()
}

/// Every group, oldest first.
pub async fn all(db: &mut Db) -> StoreResult<Vec<SynonymGroup>> {
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT id, words, version, updated_at FROM search_synonyms ORDER BY id LIMIT $1")
        .bind(MAX_GROUPS).fetch_all(c).await)?;
    rows.into_iter().map(group).collect()
}

/// How many groups there are.
pub async fn count(db: &mut Db) -> StoreResult<i64> {
    Ok(
        on_db!(db, c => sqlx::query_scalar("SELECT COUNT(*) FROM search_synonyms")
        .fetch_one(c).await)?,
    )
}

/// One group.
pub async fn get(db: &mut Db, id: i64) -> StoreResult<Option<SynonymGroup>> {
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT id, words, version, updated_at FROM search_synonyms WHERE id = $1")
        .bind(id).fetch_optional(c).await)?;
    row.map(group).transpose()
}

/// Adds a group.
pub async fn insert(db: &mut Db, words: &Words, now: Timestamp) -> StoreResult<SynonymGroup> {
    let id: i64 = on_db!(db, c => sqlx::query_scalar(
        "INSERT INTO search_synonyms (words, version, created_at, updated_at)
         VALUES ($1, 1, $2, $2) RETURNING id")
        .bind(stored(words)).bind(Ts::new(now)).fetch_one(c).await)?;
    Ok(SynonymGroup {
        id,
        words: words.clone(),
        version: 1,
        updated_at: now,
    })
}

/// Replaces the words of a group read at `version`; false when the group is gone or changed
/// since.
pub async fn update(
    db: &mut Db,
    id: i64,
    version: i64,
    words: &Words,
    now: Timestamp,
) -> StoreResult<bool> {
    let done = exec_db!(db, c => sqlx::query(
        "UPDATE search_synonyms SET words = $1, version = version + 1, updated_at = $2
         WHERE id = $3 AND version = $4")
        .bind(stored(words)).bind(Ts::new(now)).bind(id).bind(version).execute(c).await)?;
    Ok(done > 0)
}

/// Deletes a group; false if there was none.
pub async fn delete(db: &mut Db, id: i64) -> StoreResult<bool> {
    let done = exec_db!(db, c => sqlx::query("DELETE FROM search_synonyms WHERE id = $1")
        .bind(id).execute(c).await)?;
    Ok(done > 0)
}
