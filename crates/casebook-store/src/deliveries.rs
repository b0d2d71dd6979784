//! Events and their deliveries (事件投递): an event is written once, in the transaction of the
//! change, with a delivery per subscription that wants it; a sender takes a subscription's
//! pending deliveries in id order and records each attempt. Delivered rows stay as the log.

use casebook_domain::Timestamp;
use casebook_domain::ids::CaseId;

use crate::db::Db;
use crate::error::StoreResult;
use crate::page::{Page, PageRequest};
use crate::time::Ts;

/// Writes an event unless one with its key exists; its id when written.
pub async fn insert_event(
    db: &mut Db,
    key: &str,
    kind: &str,
    case: Option<CaseId>,
    payload: &str,
    at: Timestamp,
) -> StoreResult<Option<i64>> {
    let id: Option<(i64,)> = on_db!(db, c => sqlx::query_as(
        "INSERT INTO events (key, kind, case_id, payload, occurred_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (key) DO NOTHING RETURNING id")
        .bind(key).bind(kind).bind(case.map(|c| c.get())).bind(payload).bind(Ts::new(at))
        .fetch_optional(c).await)?;
    Ok(id.map(|(id,)| id))
}

/// How a new delivery starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// In the subscription's queue, due now.
    Queued,
    /// Outside the queue (a test: `failed` until its attempt succeeds), so the sender never
    /// takes it and a failed test blocks nothing.
    Test,
}

/// Adds a delivery of the event for a subscription; its id.
pub async fn insert_delivery(
    db: &mut Db,
    subscription: i64,
    event: i64,
    start: Start,
    now: Timestamp,
) -> StoreResult<i64> {
    let state = match start {
        Start::Queued => "pending",
        Start::Test => "failed",
    };
    let (id,): (i64,) = on_db!(db, c => sqlx::query_as(
        "INSERT INTO deliveries (subscription_id, event_id, state, next_at, created_at)
         VALUES ($1, $2, $3, $4, $4) RETURNING id")
        .bind(subscription).bind(event).bind(state).bind(Ts::new(now)).fetch_one(c).await)?;
    Ok(id)
}

/// A delivery waiting to go out, with its event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Pending {
    /// The delivery.
    pub id: i64,
    /// Attempts so far.
    pub attempts: i64,
    /// When it may be tried.
    pub next_at: Ts,
    /// The event's key (its id in the payload).
    pub key: String,
    /// The event type.
    pub kind: String,
    /// The payload, JSON.
    pub payload: String,
}

/// A subscription's first `limit` pending deliveries, oldest first.
pub async fn pending(db: &mut Db, subscription: i64, limit: i64) -> StoreResult<Vec<Pending>> {
    on_db!(db, c => sqlx::query_as(
        "SELECT d.id, d.attempts, d.next_at, e.key, e.kind, e.payload
         FROM deliveries d JOIN events e ON e.id = d.event_id
         WHERE d.subscription_id = $1 AND d.state = 'pending' ORDER BY d.id LIMIT $2")
        .bind(subscription).bind(limit).fetch_all(c).await)
}

/// What one attempt gave.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The delivery.
    pub delivery: i64,
    /// When it started.
    pub at: Timestamp,
    /// The response's status, if one came.
    pub status: Option<u16>,
    /// What went wrong; `None` is success.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
    /// Whether an administrator asked for it (a test or a redelivery).
    pub manual: bool,
}

/// Logs an attempt; a success marks the delivery delivered, a failure sets its next try.
pub async fn record(db: &mut Db, a: &Attempt, retry_at: Timestamp) -> StoreResult<()> {
    let status = a.status.map(i64::from);
    exec_db!(db, c => sqlx::query(
        "INSERT INTO delivery_attempts (delivery_id, at, status, error, duration_ms, manual)
         VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(a.delivery).bind(Ts::new(a.at)).bind(status).bind(&a.error).bind(a.duration_ms)
        .bind(a.manual).execute(c).await)?;
    match &a.error {
        None => exec_db!(db, c => sqlx::query(
            "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, last_status = $2,
                 last_error = NULL, delivered_at = $3 WHERE id = $1")
            .bind(a.delivery).bind(status).bind(Ts::new(a.at)).execute(c).await)?,
        Some(error) => exec_db!(db, c => sqlx::query(
            "UPDATE deliveries SET attempts = attempts + 1, last_status = $2, last_error = $3,
                 next_at = CASE WHEN state = 'pending' THEN $4 ELSE next_at END WHERE id = $1")
            .bind(a.delivery).bind(status).bind(error).bind(Ts::new(retry_at))
            .execute(c).await)?,
    };
    Ok(())
}

/// Makes a subscription's waiting deliveries due now (when it is switched on again).
pub async fn due_now(db: &mut Db, subscription: i64, now: Timestamp) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "UPDATE deliveries SET next_at = $2 WHERE subscription_id = $1 AND state = 'pending' AND next_at > $2")
        .bind(subscription).bind(Ts::new(now)).execute(c).await)?;
    Ok(())
}

/// Puts a delivery back in its queue, due now; false when there is none for this subscription.
pub async fn redeliver(
    db: &mut Db,
    subscription: i64,
    delivery: i64,
    now: Timestamp,
) -> StoreResult<bool> {
    let changed = exec_db!(db, c => sqlx::query(
        "UPDATE deliveries SET state = 'pending', next_at = $3, delivered_at = NULL
         WHERE id = $1 AND subscription_id = $2")
        .bind(delivery).bind(subscription).bind(Ts::new(now)).execute(c).await)?;
    Ok(changed == 1)
}

/// A delivery as the log shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Logged {
    /// The delivery.
    pub id: i64,
    /// The event's key.
    pub key: String,
    /// The event type.
    pub kind: String,
    /// The case number's parts, if the event is about a case.
    pub year: Option<i64>,
    /// .
    pub seq: Option<i64>,
    /// `pending` or `delivered`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The last response's status.
    pub last_status: Option<i64>,
    /// The last error.
    pub last_error: Option<String>,
    /// The next try, when pending.
    pub next_at: Ts,
    /// Queued.
    pub created_at: Ts,
    /// Delivered.
    pub delivered_at: Option<Ts>,
}

/// A subscription's deliveries, newest first; only pending ones when asked.
pub async fn log(
    db: &mut Db,
    subscription: i64,
    pending_only: bool,
    page: &PageRequest,
) -> StoreResult<Page<Logged>> {
    let before: Option<i64> = page.key()?;
    let rows: Vec<Logged> = on_db!(db, c => sqlx::query_as(
        "SELECT d.id, e.key, e.kind, c.year, c.seq, d.state, d.attempts, d.last_status,
                d.last_error, d.next_at, d.created_at, d.delivered_at
         FROM deliveries d JOIN events e ON e.id = d.event_id LEFT JOIN cases c ON c.id = e.case_id
         WHERE d.subscription_id = $1 AND (NOT $2 OR d.state = 'pending')
           AND ($3 IS NULL OR d.id < $3)
         ORDER BY d.id DESC LIMIT $4").persistent(false)
        .bind(subscription).bind(pending_only).bind(before).bind(page.fetch_limit())
        .fetch_all(c).await)?;
    Ok(Page::from_rows(rows, page, |r| r.id))
}

/// One logged attempt.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoggedAttempt {
    /// When it started.
    pub at: Ts,
    /// The response's status.
    pub status: Option<i64>,
    /// What went wrong.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
    /// Whether an administrator asked for it.
    pub manual: bool,
}

/// The attempts of a delivery of this subscription, newest first (at most 100).
pub async fn attempts(
    db: &mut Db,
    subscription: i64,
    delivery: i64,
) -> StoreResult<Vec<LoggedAttempt>> {
    on_db!(db, c => sqlx::query_as(
        "SELECT a.at, a.status, a.error, a.duration_ms, a.manual FROM delivery_attempts a
         JOIN deliveries d ON d.id = a.delivery_id
         WHERE a.delivery_id = $1 AND d.subscription_id = $2 ORDER BY a.id DESC LIMIT 100")
        .bind(delivery).bind(subscription).fetch_all(c).await)
}
