//! Inbound mail as stored: the raw message with its Message-ID (unique, so a redelivered
//! message is recognised), and where it went.

use casebook_domain::Timestamp;
use casebook_domain::ids::{CaseId, Id};
use casebook_domain::mail::MailDisposition;

use crate::db::Db;
use crate::error::StoreResult;
use crate::rows::parse_column;
use crate::time::Ts;

/// A message as it arrived.
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    /// Its Message-ID (or one made from its content when it had none).
    pub message_id: &'a str,
    /// The sender's address.
    pub from_address: &'a str,
    /// The subject.
    pub subject: &'a str,
    /// The raw message (possibly cut at the size limit).
    pub raw: &'a [u8],
    /// Its size as received.
    pub size: i64,
}

/// What became of a message: `threaded`, `opened`, `quarantined` or `ignored` (and, in the
/// review, `reviewing`, `released`, `discarded`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disposition {
    /// The word.
    pub disposition: MailDisposition,
    /// The case it joined or opened.
    pub case: Option<CaseId>,
    /// Why (for quarantined and ignored mail).
    pub reason: String,
}

/// Keeps a message with what became of it, and its raw bytes in `mail_raw`, in the caller's
/// transaction (for a case opened or a reply added, the transaction of that change, so that the
/// change and the record of it are one). `None` if a message with its Message-ID is already
/// here: then nothing is written, and the caller rolls back.
pub async fn keep(
    db: &mut Db,
    mail: &NewMail<'_>,
    decision: &Disposition,
    now: Timestamp,
) -> StoreResult<Option<i64>> {
    let at = Ts::new(now);
    let id: Option<i64> = on_db!(db, c => sqlx::query_scalar(
        "INSERT INTO mail_messages (message_id, from_address, subject, disposition, case_id, reason, size,
                                    received_at, decided_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         ON CONFLICT (message_id) DO NOTHING RETURNING id")
        .bind(mail.message_id).bind(mail.from_address).bind(mail.subject).bind(decision.disposition.as_str())
        .bind(decision.case.map(|c| c.get())).bind(&decision.reason).bind(mail.size).bind(at)
        .fetch_optional(c).await)?;
    if let Some(id) = id {
        exec_db!(db, c => sqlx::query("INSERT INTO mail_raw (mail_id, raw) VALUES ($1, $2)")
            .bind(id).bind(mail.raw).execute(c).await)?;
    }
    Ok(id)
}

/// Records what became of a message.
pub async fn decide(
    db: &mut Db,
    id: i64,
    decision: &Disposition,
    now: Timestamp,
) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "UPDATE mail_messages SET disposition = $1, case_id = $2, reason = $3, decided_at = $4 WHERE id = $5")
        .bind(decision.disposition.as_str()).bind(decision.case.map(|c| c.get())).bind(&decision.reason)
        .bind(Ts::new(now)).bind(id).execute(c).await)?;
    Ok(())
}

/// What became of the message with this Message-ID, if it is here.
pub async fn disposition_of(db: &mut Db, message_id: &str) -> StoreResult<Option<Disposition>> {
    let row: Option<(String, Option<i64>, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT disposition, case_id, reason FROM mail_messages WHERE message_id = $1")
        .bind(message_id).fetch_optional(c).await)?;
    row.map(|(disposition, case, reason)| {
        Ok(Disposition {
            disposition: parse_column("mail_messages.disposition", &disposition, str::parse)?,
            case: case.map(Id::new),
            reason,
        })
    })
    .transpose()
}

/// The case of the first of these Message-IDs that Casebook sent or received with a case. What
/// Casebook sent is looked up first: a received message cannot claim the Message-ID of a mail
/// Casebook sent.
pub async fn case_of_messages(db: &mut Db, message_ids: &[String]) -> StoreResult<Option<CaseId>> {
    for id in message_ids.iter().take(50) {
        let sent: Option<Option<i64>> = on_db!(db, c => sqlx::query_scalar(
            "SELECT case_id FROM outbox WHERE message_id = $1")
            .bind(id).fetch_optional(c).await)?;
        let case = match sent {
            Some(case) => case,
            None => on_db!(db, c => sqlx::query_scalar(
                "SELECT case_id FROM mail_messages WHERE message_id = $1")
                .bind(id).fetch_optional(c).await)?
            .flatten(),
        };
        if let Some(case) = case {
            return Ok(Some(Id::new(case)));
        }
    }
    Ok(None)
}

/// The Message-ID of the mail that opened a case, if one did.
pub async fn opening_message(db: &mut Db, case: CaseId) -> StoreResult<Option<String>> {
    Ok(on_db!(db, c => sqlx::query_scalar(
        "SELECT message_id FROM mail_messages WHERE case_id = $1 AND disposition = 'opened'
         ORDER BY id LIMIT 1")
        .bind(case.get()).fetch_optional(c).await)?)
}

/// A quarantined message as the review shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    /// Row id.
    pub id: i64,
    /// Sender.
    pub from_address: String,
    /// Subject.
    pub subject: String,
    /// Why it is in the quarantine.
    pub reason: String,
    /// Its size as received.
    pub size: i64,
    /// When it arrived.
    pub received_at: Timestamp,
}

/// The quarantine, newest first (at most `limit`).
pub async fn quarantined(db: &mut Db, limit: i64) -> StoreResult<Vec<Quarantined>> {
    let rows: Vec<(i64, String, String, String, i64, Ts)> = on_db!(db, c => sqlx::query_as(
        "SELECT id, from_address, subject, reason, size, received_at FROM mail_messages
         WHERE disposition = 'quarantined' ORDER BY id DESC LIMIT $1").persistent(false)
        .bind(limit).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, from_address, subject, reason, size, at)| Quarantined {
                id,
                from_address,
                subject,
                reason,
                size,
                received_at: at.0,
            },
        )
        .collect())
}

/// One stored message with its raw bytes (for the review).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMail {
    /// Row id.
    pub id: i64,
    /// Its Message-ID.
    pub message_id: String,
    /// What it is now: `quarantined`, `released`, `opened`, `discarded` …
    pub disposition: MailDisposition,
    /// Why.
    pub reason: String,
    /// The case it joined or opened.
    pub case: Option<CaseId>,
    /// Sender.
    pub from_address: String,
    /// Subject.
    pub subject: String,
    /// Its size as received.
    pub size: i64,
    /// The raw message as kept (an oversized one is cut).
    pub raw: Vec<u8>,
    /// When it arrived.
    pub received_at: Timestamp,
}

type StoredRow = (
    i64,
    String,
    String,
    String,
    Option<i64>,
    String,
    String,
    i64,
    Vec<u8>,
    Ts,
);

/// One stored message.
pub async fn get(db: &mut Db, id: i64) -> StoreResult<Option<StoredMail>> {
    let row: Option<StoredRow> = on_db!(db, c => sqlx::query_as(
        "SELECT m.id, m.message_id, m.disposition, m.reason, m.case_id, m.from_address, m.subject, m.size,
                r.raw, m.received_at
         FROM mail_messages m JOIN mail_raw r ON r.mail_id = m.id WHERE m.id = $1")
        .bind(id).fetch_optional(c).await)?;
    row.map(
        |(id, message_id, disposition, reason, case, from_address, subject, size, raw, at)| {
            Ok(StoredMail {
                id,
                message_id,
                disposition: parse_column("mail_messages.disposition", &disposition, str::parse)?,
                reason,
                case: case.map(Id::new),
                from_address,
                subject,
                size,
                raw,
                received_at: at.0,
            })
        },
    )
    .transpose()
}

/// Records a reviewer's decision on a quarantined message; false if it is no longer in the
/// quarantine (someone else decided first).
pub async fn review(
    db: &mut Db,
    id: i64,
    decision: &Disposition,
    now: Timestamp,
) -> StoreResult<bool> {
    let done = exec_db!(db, c => sqlx::query(
        "UPDATE mail_messages SET disposition = $1, case_id = $2, reason = $3, decided_at = $4
         WHERE id = $5 AND disposition = 'quarantined'")
        .bind(decision.disposition.as_str()).bind(decision.case.map(|c| c.get())).bind(&decision.reason)
        .bind(Ts::new(now)).bind(id).execute(c).await)?;
    Ok(done == 1)
}

/// How many messages came from an address since a time, and how many of them opened a case.
pub async fn sent_by(db: &mut Db, address: &str, since: Timestamp) -> StoreResult<(i64, i64)> {
    let (all, opened): (i64, Option<i64>) = on_db!(db, c => sqlx::query_as(
        "SELECT COUNT(*), SUM(CASE WHEN disposition = 'opened' THEN 1 ELSE 0 END)
         FROM mail_messages WHERE from_address = $1 AND received_at >= $2")
        .bind(address).bind(Ts::new(since)).fetch_one(c).await)?;
    Ok((all, opened.unwrap_or(0)))
}
