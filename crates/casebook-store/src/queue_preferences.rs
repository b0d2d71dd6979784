//! How each engineer set up the console's queue: the columns shown (in order) and the density.
//! The store keeps the text as given; the server checks it against the columns it knows.

use casebook_domain::Timestamp;
use casebook_domain::ids::UserId;

use crate::db::Db;
use crate::error::StoreResult;
use crate::time::Ts;

/// A user's queue set-up as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePreferences {
    /// Column ids, comma-separated, in the order shown.
    pub columns: String,
    /// `comfortable` or `compact`.
    pub density: String,
}

/// The user's set-up, if they saved one.
pub async fn of_user(db: &mut Db, user: UserId) -> StoreResult<Option<QueuePreferences>> {
    let row: Option<(String, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT columns, density FROM queue_preferences WHERE user_id = $1")
        .bind(user.get()).fetch_optional(c).await)?;
    Ok(row.map(|(columns, density)| QueuePreferences { columns, density }))
}

/// Saves the user's set-up, replacing the one before.
pub async fn save(
    db: &mut Db,
    user: UserId,
    prefs: &QueuePreferences,
    now: Timestamp,
) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "INSERT INTO queue_preferences (user_id, columns, density, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id) DO UPDATE SET columns = excluded.columns, density = excluded.density,
             updated_at = excluded.updated_at")
        .bind(user.get()).bind(&prefs.columns).bind(&prefs.density).bind(Ts::new(now))
        .execute(c).await)?;
    Ok(())
}
