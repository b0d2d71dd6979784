//! API tokens and sign-in sessions. Only SHA-256 hashes of the secrets are stored; the server
//! hashes what the client presents and looks the hash up.

use casebook_domain::Timestamp;
use casebook_domain::ids::{ApiTokenId, Id, UserId};
use casebook_domain::users::ApiToken;

use crate::db::Db;
use crate::error::StoreResult;
use crate::time::Ts;

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    user_id: i64,
    label: String,
    created_at: Ts,
    last_used_at: Option<Ts>,
    revoked_at: Option<Ts>,
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> Self {
        ApiToken {
            id: Id::new(r.id),
            user_id: Id::new(r.user_id),
            label: r.label,
            created_at: r.created_at.0,
            last_used_at: r.last_used_at.map(Into::into),
            revoked_at: r.revoked_at.map(Into::into),
        }
    }
}

/// Stores a new token by the hash of its secret.
pub async fn insert_token(
    db: &mut Db,
    user: UserId,
    label: &str,
    token_hash: &str,
    now: Timestamp,
) -> StoreResult<ApiToken> {
    let row: TokenRow = on_db!(db, c => sqlx::query_as(
        "INSERT INTO api_tokens (user_id, label, token_hash, created_at) VALUES ($1, $2, $3, $4)
         RETURNING id, user_id, label, created_at, last_used_at, revoked_at")
        .bind(user.get()).bind(label).bind(token_hash).bind(Ts::new(now)).fetch_one(c).await)?;
    Ok(row.into())
}

/// The user of an unrevoked token, and when it was last used.
pub async fn token_user(
    db: &mut Db,
    token_hash: &str,
) -> StoreResult<Option<(ApiTokenId, UserId, Option<Timestamp>)>> {
    let row: Option<(i64, i64, Option<Ts>)> = on_db!(db, c => sqlx::query_as(
        "SELECT id, user_id, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
        .bind(token_hash).fetch_optional(c).await)?;
    Ok(row.map(|(id, user, used)| (Id::new(id), Id::new(user), used.map(Into::into))))
}

/// Records that a token was used.
pub async fn touch_token(db: &mut Db, id: ApiTokenId, now: Timestamp) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(Ts::new(now)).bind(id.get()).execute(c).await)?;
    Ok(())
}

/// A user's tokens, newest first (at most 1,000).
pub async fn list_tokens(db: &mut Db, user: UserId) -> StoreResult<Vec<ApiToken>> {
    let rows: Vec<TokenRow> = on_db!(db, c => sqlx::query_as(
        "SELECT id, user_id, label, created_at, last_used_at, revoked_at FROM api_tokens
         WHERE user_id = $1 ORDER BY id DESC LIMIT 1000")
        .bind(user.get()).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Reads one token.
pub async fn get_token(db: &mut Db, id: ApiTokenId) -> StoreResult<Option<ApiToken>> {
    let row: Option<TokenRow> = on_db!(db, c => sqlx::query_as(
        "SELECT id, user_id, label, created_at, last_used_at, revoked_at FROM api_tokens WHERE id = $1")
        .bind(id.get()).fetch_optional(c).await)?;
    Ok(row.map(Into::into))
}

/// Revokes a token.
pub async fn revoke_token(db: &mut Db, id: ApiTokenId, now: Timestamp) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(Ts::new(now)).bind(id.get()).execute(c).await)?;
    Ok(())
}

/// A sign-in session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Row id.
    pub id: i64,
    /// The signed-in user.
    pub user: UserId,
    /// The token forms and scripts must echo for state changes.
    pub csrf_token: String,
    /// When it expires unless used.
    pub expires_at: Timestamp,
    /// When it was last used.
    pub last_seen_at: Timestamp,
    /// The language the user chose for pages, if any.
    pub locale: Option<String>,
}

/// Stores a new session.
pub async fn insert_session(
    db: &mut Db,
    user: UserId,
    token_hash: &str,
    csrf_token: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "INSERT INTO sessions (user_id, token_hash, csrf_token, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $4, $5)")
        .bind(user.get()).bind(token_hash).bind(csrf_token).bind(Ts::new(now)).bind(Ts::new(expires_at))
        .execute(c).await)?;
    Ok(())
}

/// The unexpired session with this token hash.
pub async fn find_session(
    db: &mut Db,
    token_hash: &str,
    now: Timestamp,
) -> StoreResult<Option<Session>> {
    let row: Option<(i64, i64, String, Ts, Ts, Option<String>)> = on_db!(db, c => sqlx::query_as(
        "SELECT s.id, s.user_id, s.csrf_token, s.expires_at, s.last_seen_at, u.locale
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.expires_at > $2")
        .bind(token_hash).bind(Ts::new(now)).fetch_optional(c).await)?;
    Ok(
        row.map(|(id, user, csrf_token, expires, seen, locale)| Session {
            id,
            user: Id::new(user),
            csrf_token,
            expires_at: expires.0,
            last_seen_at: seen.0,
            locale,
        }),
    )
}

/// Extends a session's life.
pub async fn touch_session(
    db: &mut Db,
    id: i64,
    now: Timestamp,
    expires_at: Timestamp,
) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3")
        .bind(Ts::new(now)).bind(Ts::new(expires_at)).bind(id).execute(c).await)?;
    Ok(())
}

/// Ends a session.
pub async fn delete_session(db: &mut Db, token_hash: &str) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(c).await)?;
    Ok(())
}

/// Ends every session of a user (after a password change or deactivation, or when they sign
/// out everywhere); returns how many.
pub async fn delete_sessions_of(db: &mut Db, user: UserId) -> StoreResult<u64> {
    let deleted = exec_db!(db, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.get()).execute(c).await)?;
    Ok(deleted)
}

/// Revokes every token of a user still in use; returns how many.
pub async fn revoke_tokens_of(db: &mut Db, user: UserId, now: Timestamp) -> StoreResult<u64> {
    let revoked = exec_db!(db, c => sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(Ts::new(now)).bind(user.get()).execute(c).await)?;
    Ok(revoked)
}

/// Removes expired sessions; returns how many.
pub async fn delete_expired_sessions(db: &mut Db, now: Timestamp) -> StoreResult<u64> {
    let deleted = exec_db!(db, c => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(Ts::new(now)).execute(c).await)?;
    Ok(deleted)
}
