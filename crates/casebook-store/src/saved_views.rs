//! Queue views that staff saved: a name and the query string of the console's queue page.

use casebook_domain::Timestamp;
use casebook_domain::ids::UserId;

use crate::db::Db;
use crate::error::StoreResult;
use crate::time::Ts;

/// A saved view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedView {
    /// Row id.
    pub id: i64,
    /// Its name, unique per user.
    pub name: String,
    /// The query string of the queue page.
    pub query: String,
}

/// The views of a user, by name (at most 50).
pub async fn of_user(db: &mut Db, user: UserId) -> StoreResult<Vec<SavedView>> {
    let rows: Vec<(i64, String, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT id, name, query FROM saved_views WHERE user_id = $1 ORDER BY name LIMIT 50")
        .bind(user.get()).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, query)| SavedView { id, name, query })
        .collect())
}

/// Saves a view, replacing the user's view of the same name.
pub async fn save(
    db: &mut Db,
    user: UserId,
    name: &str,
    query: &str,
    now: Timestamp,
) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "INSERT INTO saved_views (user_id, name, query, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, name) DO UPDATE SET query = excluded.query")
        .bind(user.get()).bind(name).bind(query).bind(Ts::new(now)).execute(c).await)?;
    Ok(())
}

/// Deletes one of the user's views; false if there was none.
pub async fn delete(db: &mut Db, user: UserId, id: i64) -> StoreResult<bool> {
    let done = exec_db!(db, c => sqlx::query("DELETE FROM saved_views WHERE id = $1 AND user_id = $2")
        .bind(id).bind(user.get()).execute(c).await)?;
    Ok(done > 0)
}
