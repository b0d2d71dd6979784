//! Subscriptions of webhooks and chat robots to event types (集成订阅): what administrators
//! save, and the enabled ones read when an event is written. A subscription disabled after
//! repeated failures keeps its reason until an administrator enables it again.

use casebook_domain::events::{EventKind, Filters};
use casebook_domain::integrations::TargetKind;
use casebook_domain::{Named, Timestamp};

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::page::{Page, PageRequest};
use crate::rows::parse_column;
use crate::time::Ts;

/// What an administrator saves.
#[derive(Debug, Clone)]
pub struct SubscriptionDraft {
    /// A name for people.
    pub name: String,
    /// Where it sends.
    pub kind: TargetKind,
    /// The target URL.
    pub url: String,
    /// The signing secret (webhooks, DingTalk and Feishu signing); empty: none.
    pub secret: String,
    /// DingTalk's keyword, put into every message; empty: none.
    pub keyword: String,
    /// `zh-CN` or `en` for robot messages.
    pub language: String,
    /// The event types it wants.
    pub events: Vec<EventKind>,
    /// Which events of those types.
    pub filters: Filters,
    /// Whether robot messages @-mention the engineer on duty.
    pub mention_duty: bool,
    /// Whether it is on.
    pub enabled: bool,
}

/// A subscription as stored.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// Id.
    pub id: i64,
    /// What was saved.
    pub draft: SubscriptionDraft,
    /// Failed attempts in a row.
    pub failures: i64,
    /// Why it was switched off automatically.
    pub disabled_reason: Option<String>,
    /// When.
    pub disabled_at: Option<Timestamp>,
    /// Deliveries waiting.
    pub pending: i64,
    /// Created.
    pub created_at: Timestamp,
    /// Last saved.
    pub updated_at: Timestamp,
    /// Incremented by each save.
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    kind: String,
    url: String,
    secret: String,
    keyword: String,
    language: String,
    events: String,
    filters: String,
    mention_duty: bool,
    enabled: bool,
    failures: i64,
    disabled_reason: Option<String>,
    disabled_at: Option<Ts>,
    pending: i64,
    created_at: Ts,
    updated_at: Ts,
    version: i64,
}

const COLUMNS: &str = "s.id, s.name, s.kind, s.url, s.secret, s.keyword, s.language, s.events,
    s.filters, s.mention_duty, s.enabled, s.failures, s.disabled_reason, s.disabled_at,
    (SELECT COUNT(*) FROM deliveries d WHERE d.subscription_id = s.id AND d.state = 'pending') AS pending,
    s.created_at, s.updated_at, s.version";

impl Row {
    fn subscription(self) -> StoreResult<Subscription> {
        let names: Vec<String> = serde_json::from_str(&self.events)
            .map_err(|e| StoreError::corrupt("subscriptions.events", e))?;
        let events = names
            .iter()
            .map(|n| parse_column("subscriptions.events", n, EventKind::parse))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Subscription {
            id: self.id,
            draft: SubscriptionDraft {
                name: self.name,
                kind: parse_column("subscriptions.kind", &self.kind, TargetKind::parse)?,
                url: self.url,
                secret: self.secret,
                keyword: self.keyword,
                language: self.language,
                events,
                filters: serde_json::from_str(&self.filters)
                    .map_err(|e| StoreError::corrupt("subscriptions.filters", e))?,
                mention_duty: self.mention_duty,
                enabled: self.enabled,
            },
            failures: self.failures,
            disabled_reason: self.disabled_reason,
            disabled_at: self.disabled_at.map(Into::into),
            pending: self.pending,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            version: self.version,
        })
    }
}

fn events_json(events: &[EventKind]) -> String {
    serde_json::to_string(&events.iter().map(|k| k.as_str()).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

fn filters_json(filters: &Filters) -> String {
    serde_json::to_string(filters).unwrap_or_else(|_| "{}".into())
}

/// Saves a new subscription; its id.
pub async fn insert(db: &mut Db, d: &SubscriptionDraft, now: Timestamp) -> StoreResult<i64> {
    let (id,): (i64,) = on_db!(db, c => sqlx::query_as(
        "INSERT INTO subscriptions (name, kind, url, secret, keyword, language, events, filters,
             mention_duty, enabled, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id")
        .bind(&d.name).bind(d.kind.as_str()).bind(&d.url).bind(&d.secret).bind(&d.keyword)
        .bind(&d.language).bind(events_json(&d.events)).bind(filters_json(&d.filters))
        .bind(d.mention_duty).bind(d.enabled).bind(Ts::new(now)).fetch_one(c).await)?;
    Ok(id)
}

/// Replaces a subscription at `version`; false when it is gone or was changed since. Enabling
/// it clears the failures and the reason it was disabled.
pub async fn update(
    db: &mut Db,
    id: i64,
    version: i64,
    d: &SubscriptionDraft,
    now: Timestamp,
) -> StoreResult<bool> {
    let changed = exec_db!(db, c => sqlx::query(
        "UPDATE subscriptions SET name = $1, kind = $2, url = $3, secret = $4, keyword = $5,
             language = $6, events = $7, filters = $8, mention_duty = $9, enabled = $10,
             failures = CASE WHEN $10 AND NOT enabled THEN 0 ELSE failures END,
             disabled_reason = CASE WHEN $10 THEN NULL ELSE disabled_reason END,
             disabled_at = CASE WHEN $10 THEN NULL ELSE disabled_at END,
             updated_at = $11, version = version + 1
         WHERE id = $12 AND version = $13")
        .bind(&d.name).bind(d.kind.as_str()).bind(&d.url).bind(&d.secret).bind(&d.keyword)
        .bind(&d.language).bind(events_json(&d.events)).bind(filters_json(&d.filters))
        .bind(d.mention_duty).bind(d.enabled).bind(Ts::new(now)).bind(id).bind(version)
        .execute(c).await)?;
    Ok(changed == 1)
}

/// Removes a subscription with its deliveries; false when there was none.
pub async fn delete(db: &mut Db, id: i64) -> StoreResult<bool> {
    exec_db!(db, c => sqlx::query(
        "DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE subscription_id = $1)")
        .bind(id).execute(c).await)?;
    exec_db!(db, c => sqlx::query("DELETE FROM deliveries WHERE subscription_id = $1")
        .bind(id).execute(c).await)?;
    let gone = exec_db!(db, c => sqlx::query("DELETE FROM subscriptions WHERE id = $1")
        .bind(id).execute(c).await)?;
    Ok(gone == 1)
}

/// One subscription.
pub async fn get(db: &mut Db, id: i64) -> StoreResult<Option<Subscription>> {
    let sql = format!("SELECT {COLUMNS} FROM subscriptions s WHERE s.id = $1");
    let row: Option<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(c).await)?;
    row.map(Row::subscription).transpose()
}

/// The subscriptions, oldest first.
pub async fn list(db: &mut Db, page: &PageRequest) -> StoreResult<Page<Subscription>> {
    let after: Option<i64> = page.key()?;
    let sql = format!(
        "SELECT {COLUMNS} FROM subscriptions s WHERE ($1 IS NULL OR s.id > $1) ORDER BY s.id LIMIT $2"
    );
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).persistent(false)
        .bind(after).bind(page.fetch_limit()).fetch_all(c).await)?;
    Page::from_rows(rows, page, |r| r.id).try_map(Row::subscription)
}

/// An enabled subscription as the writer of an event needs it.
#[derive(Debug, Clone)]
pub struct Listener {
    /// Id.
    pub id: i64,
    /// The event types it wants.
    pub events: Vec<EventKind>,
    /// Its filters.
    pub filters: Filters,
}

/// Every enabled subscription.
pub async fn listeners(db: &mut Db) -> StoreResult<Vec<Listener>> {
    let rows: Vec<(i64, String, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT id, events, filters FROM subscriptions WHERE enabled ORDER BY id")
        .fetch_all(c).await)?;
    rows.into_iter()
        .map(|(id, events, filters)| {
            let names: Vec<String> = serde_json::from_str(&events)
                .map_err(|e| StoreError::corrupt("subscriptions.events", e))?;
            Ok(Listener {
                id,
                events: names
                    .iter()
                    .filter_map(|n| EventKind::parse(n).ok())
                    .collect(),
                filters: serde_json::from_str(&filters)
                    .map_err(|e| StoreError::corrupt("subscriptions.filters", e))?,
            })
        })
        .collect()
}

/// Counts a failed attempt; when the count reaches `max_failures` the subscription is
/// disabled with `reason`. True when this call disabled it.
pub async fn count_failure(
    db: &mut Db,
    id: i64,
    max_failures: i64,
    reason: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let disabled: Option<(bool,)> = on_db!(db, c => sqlx::query_as(
        "UPDATE subscriptions SET failures = failures + 1,
             enabled = CASE WHEN failures + 1 >= $2 THEN FALSE ELSE enabled END,
             disabled_reason = CASE WHEN failures + 1 >= $2 AND enabled THEN $3 ELSE disabled_reason END,
             disabled_at = CASE WHEN failures + 1 >= $2 AND enabled THEN $4 ELSE disabled_at END
         WHERE id = $1 RETURNING COALESCE(failures >= $2 AND disabled_at = $4, FALSE)")
        .bind(id).bind(max_failures).bind(reason).bind(Ts::new(now)).fetch_optional(c).await)?;
    Ok(disabled.is_some_and(|(d,)| d))
}

/// Clears the failure count after a delivery went through.
pub async fn count_success(db: &mut Db, id: i64) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("UPDATE subscriptions SET failures = 0 WHERE id = $1 AND failures <> 0")
        .bind(id).execute(c).await)?;
    Ok(())
}

/// Takes the queues of up to `limit` enabled subscriptions whose first pending delivery is due
/// and that no sender holds, until `until`; their ids.
pub async fn lease_due(
    db: &mut Db,
    now: Timestamp,
    until: Timestamp,
    limit: i64,
) -> StoreResult<Vec<i64>> {
    let rows: Vec<(i64,)> = on_db!(db, c => sqlx::query_as(
        "UPDATE subscriptions SET lease_until = $2
         WHERE id IN (
             SELECT s.id FROM subscriptions s
             WHERE s.enabled AND (s.lease_until IS NULL OR s.lease_until < $1)
               AND (SELECT d.next_at FROM deliveries d
                    WHERE d.subscription_id = s.id AND d.state = 'pending'
                    ORDER BY d.id LIMIT 1) <= $1
             ORDER BY s.id LIMIT $3)
           AND enabled AND (lease_until IS NULL OR lease_until < $1)
         RETURNING id")
        .bind(Ts::new(now)).bind(Ts::new(until)).bind(limit).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Extends this sender's lease (`mine`, as taken) to `until`; false when it is no longer ours.
pub async fn renew(db: &mut Db, id: i64, mine: Timestamp, until: Timestamp) -> StoreResult<bool> {
    let changed = exec_db!(db, c => sqlx::query(
        "UPDATE subscriptions SET lease_until = $3 WHERE id = $1 AND lease_until = $2")
        .bind(id).bind(Ts::new(mine)).bind(Ts::new(until)).execute(c).await)?;
    Ok(changed == 1)
}

/// Lets the queue go before its lease ran out, if the lease (`mine`) is still this sender's.
pub async fn release(db: &mut Db, id: i64, mine: Timestamp) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("UPDATE subscriptions SET lease_until = NULL WHERE id = $1 AND lease_until = $2")
        .bind(id).bind(Ts::new(mine)).execute(c).await)?;
    Ok(())
}
