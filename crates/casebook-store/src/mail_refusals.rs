//! Mail refused for its size: who sent what, how large, and which way it came. The message
//! itself is not kept (the MTA bounced it, or it stays in its IMAP mailbox).

use casebook_domain::Timestamp;

use crate::db::Db;
use crate::error::StoreResult;
use crate::time::Ts;

/// A refusal as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefusal<'a> {
    /// The message's Message-ID (or one made from its content).
    pub message_id: &'a str,
    /// The sender's address, as far as the headers say.
    pub from_address: &'a str,
    /// The subject.
    pub subject: &'a str,
    /// Its size as received, in bytes.
    pub size: i64,
    /// Why it was refused.
    pub reason: &'a str,
    /// `pipe`, or `imap:` and the mailbox's name.
    pub source: &'a str,
}

/// Records a refusal in the caller's transaction; its id.
pub async fn record(db: &mut Db, refusal: &NewRefusal<'_>, now: Timestamp) -> StoreResult<i64> {
    Ok(on_db!(db, c => sqlx::query_scalar(
        "INSERT INTO mail_refusals (message_id, from_address, subject, size, reason, source, refused_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(refusal.message_id).bind(refusal.from_address).bind(refusal.subject)
        .bind(refusal.size).bind(refusal.reason).bind(refusal.source).bind(Ts::new(now))
        .fetch_one(c).await)?)
}

/// A refusal as staff read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Row id.
    pub id: i64,
    /// The message's Message-ID.
    pub message_id: String,
    /// Sender.
    pub from_address: String,
    /// Subject.
    pub subject: String,
    /// Size as received.
    pub size: i64,
    /// Why.
    pub reason: String,
    /// `pipe` or `imap:NAME`.
    pub source: String,
    /// When.
    pub refused_at: Timestamp,
}

type RefusalRow = (i64, String, String, String, i64, String, String, Ts);

/// The newest refusals first, at most `limit`.
pub async fn newest(db: &mut Db, limit: i64) -> StoreResult<Vec<Refusal>> {
    let rows: Vec<RefusalRow> = on_db!(db, c => sqlx::query_as(
        "SELECT id, message_id, from_address, subject, size, reason, source, refused_at
         FROM mail_refusals ORDER BY id DESC LIMIT $1")
        .bind(limit).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, message_id, from_address, subject, size, reason, source, at)| Refusal {
                id,
                message_id,
                from_address,
                subject,
                size,
                reason,
                source,
                refused_at: at.0,
            },
        )
        .collect())
}
