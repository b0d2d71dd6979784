//! In-app notifications of users, and the outbox of mail to send. Both are written in the
//! transaction of the change that causes them, keyed so that a retried change adds nothing twice.

use casebook_domain::Timestamp;
use casebook_domain::ids::{CaseId, UserId};
pub use casebook_domain::notifications::Notification;

use crate::db::Db;
use crate::error::StoreResult;
use crate::page::{Page, PageRequest};
use crate::time::Ts;

/// A notification to add.
#[derive(Debug, Clone)]
pub struct NewNotification<'a> {
    /// Who gets it.
    pub user: UserId,
    /// The case it is about.
    pub case: Option<CaseId>,
    /// Stable kind, e.g. `sla_warning`.
    pub kind: &'a str,
    /// One line.
    pub title: &'a str,
    /// More.
    pub body: &'a str,
    /// Unique key: the same key is added once.
    pub dedupe_key: &'a str,
}

/// Adds a notification unless one with its key exists; true if added.
pub async fn notify(db: &mut Db, n: &NewNotification<'_>, now: Timestamp) -> StoreResult<bool> {
    let added = exec_db!(db, c => sqlx::query(
        "INSERT INTO notifications (user_id, case_id, kind, title, body, dedupe_key, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING")
        .bind(n.user.get()).bind(n.case.map(|c| c.get())).bind(n.kind).bind(n.title).bind(n.body)
        .bind(n.dedupe_key).bind(Ts::new(now)).execute(c).await)?;
    Ok(added == 1)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    kind: String,
    year: Option<i64>,
    seq: Option<i64>,
    title: String,
    body: String,
    created_at: Ts,
    read_at: Option<Ts>,
}

/// A user's notifications, newest first.
pub async fn list(
    db: &mut Db,
    user: UserId,
    unread_only: bool,
    page: &PageRequest,
) -> StoreResult<Page<Notification>> {
    let before: Option<i64> = page.key()?;
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(
        "SELECT n.id, n.kind, c.year, c.seq, n.title, n.body, n.created_at, n.read_at
         FROM notifications n LEFT JOIN cases c ON c.id = n.case_id
         WHERE n.user_id = $1 AND (NOT $2 OR n.read_at IS NULL) AND ($3 IS NULL OR n.id < $3)
         ORDER BY n.id DESC LIMIT $4").persistent(false)
        .bind(user.get()).bind(unread_only).bind(before).bind(page.fetch_limit()).fetch_all(c).await)?;
    Ok(Page::from_rows(rows, page, |r| r.id).map(|r| Notification {
        id: r.id,
        kind: r.kind,
        case_number: r.year.zip(r.seq).map(|(y, s)| format!("{y}-{s:05}")),
        title: r.title,
        body: r.body,
        created_at: r.created_at.0,
        read_at: r.read_at.map(Into::into),
    }))
}

/// Marks the user's notifications read: these ids (at most 200; others' ids are ignored), or
/// all of them. Returns how many changed.
pub async fn mark_read(
    db: &mut Db,
    user: UserId,
    ids: Option<&[i64]>,
    now: Timestamp,
) -> StoreResult<u64> {
    let Some(ids) = ids else {
        return exec_db!(db, c => sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
            .bind(Ts::new(now)).bind(user.get()).execute(c).await);
    };
    let mut changed = 0;
    for id in ids.iter().take(200) {
        changed += exec_db!(db, c => sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL")
            .bind(Ts::new(now)).bind(id).bind(user.get()).execute(c).await)?;
    }
    Ok(changed)
}

/// Queues a mail unless one with its key is queued already; true if queued.
pub async fn enqueue_mail(
    db: &mut Db,
    kind: &str,
    recipient: &str,
    subject: &str,
    body: &str,
    dedupe_key: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let added = exec_db!(db, c => sqlx::query(
        "INSERT INTO outbox (kind, recipient, subject, body, dedupe_key, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING")
        .bind(kind).bind(recipient).bind(subject).bind(body).bind(dedupe_key).bind(Ts::new(now))
        .execute(c).await)?;
    Ok(added == 1)
}

/// A mail about a case, to queue.
#[derive(Debug, Clone)]
pub struct CaseMail<'a> {
    /// Kind of mail (the template's kind).
    pub kind: &'a str,
    /// Recipient address.
    pub recipient: &'a str,
    /// Subject.
    pub subject: &'a str,
    /// Plain-text body.
    pub body: &'a str,
    /// Unique key: the same key is queued once.
    pub dedupe_key: &'a str,
    /// The case.
    pub case: CaseId,
    /// The Message-ID it is sent with.
    pub message_id: &'a str,
    /// The Message-ID of the message it answers.
    pub in_reply_to: Option<&'a str>,
}

/// Queues a mail about a case unless one with its key is queued already; true if queued.
pub async fn enqueue_case_mail(db: &mut Db, m: &CaseMail<'_>, now: Timestamp) -> StoreResult<bool> {
    let added = exec_db!(db, c => sqlx::query(
        "INSERT INTO outbox (kind, recipient, subject, body, dedupe_key, created_at, case_id, message_id, in_reply_to)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (dedupe_key) DO NOTHING")
        .bind(m.kind).bind(m.recipient).bind(m.subject).bind(m.body).bind(m.dedupe_key)
        .bind(Ts::new(now)).bind(m.case.get()).bind(m.message_id).bind(m.in_reply_to)
        .execute(c).await)?;
    Ok(added == 1)
}

/// Forgets the text of a sent mail that carried a secret.
pub async fn forget_body(db: &mut Db, id: i64) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "UPDATE outbox SET body = '(not kept: it carried a one-time code)' WHERE id = $1 AND sent_at IS NOT NULL")
        .bind(id).execute(c).await)?;
    Ok(())
}

/// Sends a case attachment with the queued mail of `dedupe_key`.
pub async fn attach_to_mail(db: &mut Db, dedupe_key: &str, attachment: i64) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("UPDATE outbox SET attachment_id = $1 WHERE dedupe_key = $2")
        .bind(attachment).bind(dedupe_key).execute(c).await)?;
    Ok(())
}

/// Mail waiting to be sent, oldest first: `(id, kind, recipient, subject)`.
pub async fn unsent_mail(
    db: &mut Db,
    limit: i64,
) -> StoreResult<Vec<(i64, String, String, String)>> {
    Ok(on_db!(db, c => sqlx::query_as(
        "SELECT id, kind, recipient, subject FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1").persistent(false)
        .bind(limit).fetch_all(c).await)?)
}

/// The body of a queued mail.
pub async fn mail_body(db: &mut Db, id: i64) -> StoreResult<Option<String>> {
    Ok(
        on_db!(db, c => sqlx::query_scalar("SELECT body FROM outbox WHERE id = $1")
        .bind(id).fetch_optional(c).await)?,
    )
}

/// A queued mail a sender holds for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// Row id.
    pub id: i64,
    /// Kind of mail.
    pub kind: String,
    /// Recipient address.
    pub recipient: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Its unique key (the Message-ID is made from it, so a retry sends the same Message-ID).
    pub dedupe_key: String,
    /// Earlier attempts.
    pub attempts: i64,
    /// The Message-ID chosen when it was queued (mail about a case); otherwise it is made from
    /// the key.
    pub message_id: Option<String>,
    /// The Message-ID of the message it answers.
    pub in_reply_to: Option<String>,
    /// A case attachment sent with it.
    pub attachment: Option<i64>,
}

type OutgoingRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// Takes up to `limit` unsent mails that are due and held by no other sender, and holds them
/// until `hold_until`: a sender that dies releases them when the hold runs out.
pub async fn claim_due_mail(
    db: &mut Db,
    now: Timestamp,
    hold_until: Timestamp,
    limit: i64,
) -> StoreResult<Vec<OutgoingMail>> {
    let rows: Vec<OutgoingRow> = on_db!(db, c => sqlx::query_as(
        "UPDATE outbox SET claimed_until = $2
         WHERE id IN (SELECT id FROM outbox
                      WHERE sent_at IS NULL
                        AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
                        AND (claimed_until IS NULL OR claimed_until <= $1)
                      ORDER BY id LIMIT $3)
         RETURNING id, kind, recipient, subject, body, dedupe_key, attempts, message_id, in_reply_to, attachment_id").persistent(false)
        .bind(Ts::new(now)).bind(Ts::new(hold_until)).bind(limit).fetch_all(c).await)?;
    let mut mails: Vec<OutgoingMail> = rows
        .into_iter()
        .map(
            |(
                id,
                kind,
                recipient,
                subject,
                body,
                dedupe_key,
                attempts,
                message_id,
                in_reply_to,
                attachment,
            )| {
                OutgoingMail {
                    id,
                    kind,
                    recipient,
                    subject,
                    body,
                    dedupe_key,
                    attempts,
                    message_id,
                    in_reply_to,
                    attachment,
                }
            },
        )
        .collect();
    mails.sort_by_key(|m| m.id);
    Ok(mails)
}

/// Records a delivered mail.
pub async fn mail_sent(db: &mut Db, id: i64, now: Timestamp) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "UPDATE outbox SET sent_at = $1, attempts = attempts + 1, claimed_until = NULL, last_error = NULL WHERE id = $2")
        .bind(Ts::new(now)).bind(id).execute(c).await)?;
    Ok(())
}

/// Records a failed attempt and when to try again.
pub async fn mail_failed(
    db: &mut Db,
    id: i64,
    error: &str,
    retry_at: Timestamp,
) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, claimed_until = NULL WHERE id = $3")
        .bind(error).bind(Ts::new(retry_at)).bind(id).execute(c).await)?;
    Ok(())
}

/// Mail whose delivery failed at least once and is not sent yet, newest first (admins):
/// `(id, recipient, subject, attempts, last_error)`.
pub async fn failed_mail(
    db: &mut Db,
    limit: i64,
) -> StoreResult<Vec<(i64, String, String, i64, String)>> {
    Ok(on_db!(db, c => sqlx::query_as(
        "SELECT id, recipient, subject, attempts, COALESCE(last_error, '') FROM outbox
         WHERE sent_at IS NULL AND attempts > 0 ORDER BY id DESC LIMIT $1").persistent(false)
        .bind(limit).fetch_all(c).await)?)
}
