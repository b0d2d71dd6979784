//! Look-alike addresses: the look-alike key (`casebook_domain::lookalike::key`) stored beside
//! every user's and contact's e-mail address, the addresses in use that share a key, and the
//! backfill of keys for rows written before the key existed.

use casebook_domain::lookalike;

use crate::db::Db;
use crate::error::StoreResult;

/// The most addresses one key returns (a key shared by more is already a crowd of look-alikes).
const MOST: i64 = 20;

/// The addresses of users and contacts whose look-alike key is that of `address`, other than
/// `address` itself.
pub async fn addresses_like(db: &mut Db, address: &str) -> StoreResult<Vec<String>> {
    let key = lookalike::key(address);
    let rows: Vec<(String,)> = on_db!(db, c => sqlx::query_as(
        "SELECT email FROM users WHERE lookalike_key = $1 AND email <> $2
         UNION SELECT email FROM contacts WHERE lookalike_key = $1 AND email <> $2
         ORDER BY 1 LIMIT $3")
        .bind(&key).bind(address).bind(MOST).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(e,)| e).collect())
}

/// Gives a look-alike key to every address that has none (rows written before migration 0017);
/// returns how many. Runs after the migrations, in the caller's transaction.
pub async fn backfill(db: &mut Db) -> StoreResult<u64> {
    let mut done = 0;
    for table in ["users", "contacts"] {
        let select = format!(
            "SELECT id, email FROM {table} WHERE lookalike_key IS NULL AND email IS NOT NULL"
        );
        let rows: Vec<(i64, String)> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(select.clone()))
            .fetch_all(c).await)?;
        let update = format!("UPDATE {table} SET lookalike_key = $1 WHERE id = $2");
        for (id, email) in rows {
            exec_db!(db, c => sqlx::query(sqlx::AssertSqlSafe(update.clone()))
                .bind(lookalike::key(&email)).bind(id).execute(c).await)?;
            done += 1;
        }
    }
    Ok(done)
}
