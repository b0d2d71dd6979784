//! A subscription's delivery log as administrators read it (each delivery and its attempts),
//! redelivery of one, and a test (`ping`) sent at once outside the queue.

use casebook_domain::Named;
use casebook_domain::Timestamp;
use casebook_domain::events::{self, EventKind};
use casebook_domain::policy::Permission;
use casebook_store::deliveries::{self, Logged, LoggedAttempt, Pending};
use casebook_store::{AuditEntry, Page, PageRequest, subscriptions};
use serde::Serialize;
use utoipa::ToSchema;

use super::subscriptions::view;
use super::{emit, send};
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, require};

/// A delivery in the log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Id.
    pub id: i64,
    /// The event's id (receivers' idempotency key).
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// The case, if the event is about one.
    pub case_number: Option<String>,
    /// `pending`, `delivered` or `failed` (a test that failed).
    pub state: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The last answer's HTTP status.
    pub last_status: Option<i64>,
    /// The last error.
    pub last_error: Option<String>,
    /// The next try, when pending.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_at: Option<Timestamp>,
    /// Queued.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Delivered.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<Timestamp>,
}

impl From<Logged> for DeliveryView {
    fn from(l: Logged) -> Self {
        DeliveryView {
            id: l.id,
            event_id: l.key,
            event_type: l.kind,
            case_number: l.year.zip(l.seq).map(|(y, s)| format!("{y}-{s:05}")),
            next_at: (l.state == "pending").then_some(l.next_at.0),
            state: l.state,
            attempts: l.attempts,
            last_status: l.last_status,
            last_error: l.last_error,
            created_at: l.created_at.0,
            delivered_at: l.delivered_at.map(Into::into),
        }
    }
}

/// A subscription's deliveries, newest first (administrators).
pub async fn deliveries(
    app: &App,
    who: &Principal,
    id: i64,
    pending_only: bool,
    page: &PageRequest,
) -> ActionResult<Page<DeliveryView>> {
    require(who, Permission::ManageIntegrations)?;
    let mut db = app.store.read().await?;
    view(&mut db, id).await?;
    Ok(deliveries::log(&mut db, id, pending_only, page)
        .await?
        .map(Into::into))
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptView {
    /// When it started.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The answer's HTTP status, when one came.
    pub status: Option<i64>,
    /// What went wrong (with the start of the answer).
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: i64,
    /// Whether an administrator asked for it.
    pub manual: bool,
}

impl From<LoggedAttempt> for AttemptView {
    fn from(a: LoggedAttempt) -> Self {
        AttemptView {
            at: a.at.0,
            status: a.status,
            error: a.error,
            duration_ms: a.duration_ms,
            manual: a.manual,
        }
    }
}

/// The attempts of one delivery, newest first (administrators).
pub async fn attempts(
    app: &App,
    who: &Principal,
    id: i64,
    delivery: i64,
) -> ActionResult<Vec<AttemptView>> {
    require(who, Permission::ManageIntegrations)?;
    let mut db = app.store.read().await?;
    view(&mut db, id).await?;
    Ok(deliveries::attempts(&mut db, id, delivery)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Puts a delivery back in its queue, due now (administrators); audited.
pub async fn redeliver(app: &App, who: &Principal, id: i64, delivery: i64) -> ActionResult<()> {
    require(who, Permission::ManageIntegrations)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    if !deliveries::redeliver(&mut db, id, delivery, now).await? {
        return Err(ActionError::NotFound("delivery"));
    }
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "delivery.redelivered",
        "delivery",
        delivery,
        None::<&i64>,
        Some(&id),
    ));
    let wake = app.outbound.wake.clone();
    db.after_commit(move || wake.notify_one());
    db.commit().await?;
    Ok(())
}

/// What a test gave.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TestResult {
    /// Whether the receiver took it.
    pub delivered: bool,
    /// The delivery (in the log).
    pub delivery: i64,
    /// The attempt.
    pub attempt: AttemptView,
}

/// Sends a `ping` to the subscription now, outside its queue (also when it is off), and logs
/// it (administrators). A failed test is logged as `failed` and counts no failure.
pub async fn test(app: &App, who: &Principal, id: i64) -> ActionResult<TestResult> {
    require(who, Permission::ManageIntegrations)?;
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let subscription = subscriptions::get(&mut db, id)
        .await?
        .ok_or(ActionError::NotFound("subscription"))?;
    let event = events::Event::new(EventKind::Ping, emit::new_id(), now, emit::actor_of(who));
    let payload =
        serde_json::to_string(&event).map_err(|e| ActionError::Internal(e.to_string()))?;
    let event_id = deliveries::insert_event(
        &mut db,
        &event.id,
        EventKind::Ping.as_str(),
        None,
        &payload,
        now,
    )
    .await?
    .ok_or_else(|| ActionError::Internal("a new event id was taken".into()))?;
    let delivery =
        deliveries::insert_delivery(&mut db, id, event_id, deliveries::Start::Test, now).await?;
    db.audit(AuditEntry::change(
        now,
        &who.audit_actor(),
        "subscription.tested",
        "subscription",
        id,
        None::<&i64>,
        Some(&delivery),
    ));
    db.commit().await?;
    let pending = Pending {
        id: delivery,
        attempts: 0,
        next_at: casebook_store::Ts::new(now),
        key: event.id.clone(),
        kind: EventKind::Ping.as_str().into(),
        payload,
    };
    let answer = send::send(app, &subscription, &pending, now).await;
    let attempt = send::attempt(delivery, now, answer, true);
    let mut db = app.store.write().await?;
    deliveries::record(&mut db, &attempt, now).await?;
    db.commit().await?;
    Ok(TestResult {
        delivered: attempt.error.is_none(),
        delivery,
        attempt: AttemptView {
            at: attempt.at,
            status: attempt.status.map(i64::from),
            error: attempt.error,
            duration_ms: attempt.duration_ms,
            manual: true,
        },
    })
}
