//! The sender (投递): takes the queues of subscriptions whose first pending delivery is due
//! (a lease, so one sender per subscription across servers), sends each queue's deliveries in
//! the order their events committed, and writes the attempts of a batch in one transaction.
//! A failure stops that queue until its next try (10 s, doubling, at most an hour), so a
//! receiver that was down gets the events in order once it is back; after `max_failures`
//! failures in a row the subscription is switched off and the administrators are told.
//! Delivery is at least once: a crash between sending and recording sends again, with the same
//! event id, which receivers use to drop the repeat.

use casebook_domain::events::Event;
use casebook_domain::integrations::{TargetKind, backoff_secs};
use casebook_domain::{Role, Timestamp};
use casebook_store::deliveries::{self, Attempt, Pending};
use casebook_store::notifications::{self, NewNotification};
use casebook_store::subscriptions::{self, Subscription};
use casebook_store::users::{self, StaffGroup};
use casebook_store::{AuditActor, AuditEntry, Db};
use jiff::SignedDuration;
use serde::Serialize;

use super::robots::{self, Mention};
use super::signing;
use crate::actions::ActionResult;
use crate::app::App;
use crate::app::outbound::Answer;
use crate::i18n::Lang;

/// Deliveries read and recorded together.
const BATCH: i64 = 200;
/// Batches per queue and pass (then the queue is let go, so others get their turn).
const BATCHES: usize = 20;
/// A batch takes no new delivery after this long, so it ends well inside its lease.
const BATCH_TIME: SignedDuration = SignedDuration::from_secs(20);

/// How long a sender holds a queue: a batch's time and one more request, twice over. The
/// lease is renewed before each batch.
fn lease(app: &App) -> SignedDuration {
    let timeout = i64::try_from(app.config.integrations.timeout_secs).unwrap_or(120);
    (BATCH_TIME + SignedDuration::from_secs(timeout)) * 2
}

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Pass {
    /// Deliveries the receivers took.
    pub delivered: usize,
    /// Attempts that failed (tried again later).
    pub failed: usize,
    /// Subscriptions switched off by this pass.
    pub disabled: usize,
}

/// Delivers what is due, for up to `queues` subscriptions at a time.
pub async fn deliver_due(app: &App, queues: i64) -> ActionResult<Pass> {
    let now = app.clock.now();
    let until = now + lease(app);
    let mut db = app.store.write().await?;
    let leased = subscriptions::lease_due(&mut db, now, until, queues).await?;
    db.commit().await?;
    let runs = leased.iter().map(|id| deliver_queue(app, *id, until));
    let mut pass = Pass::default();
    for result in futures_util::future::join_all(runs).await {
        let done = result?;
        pass.delivered += done.delivered;
        pass.failed += done.failed;
        pass.disabled += done.disabled;
    }
    Ok(pass)
}

/// Sends one subscription's due deliveries in order, then lets its queue go (if the lease,
/// taken until `mine`, is still this sender's).
async fn deliver_queue(app: &App, id: i64, mine: Timestamp) -> ActionResult<Pass> {
    let mut pass = Pass::default();
    let mut lease = mine;
    let result = send_batches(app, id, &mut lease, &mut pass).await;
    let mut db = app.store.write().await?;
    subscriptions::release(&mut db, id, lease).await?;
    db.commit().await?;
    result.map(|()| pass)
}

/// The batches of one queue: before each, the lease is renewed and the subscription read
/// again (switched off, removed or changed by an administrator: the pass stops or follows).
async fn send_batches(
    app: &App,
    id: i64,
    lease: &mut Timestamp,
    pass: &mut Pass,
) -> ActionResult<()> {
    for _ in 0..BATCHES {
        let renewed = app.clock.now() + self::lease(app);
        let mut db = app.store.write().await?;
        let ours = subscriptions::renew(&mut db, id, *lease, renewed).await?;
        db.commit().await?;
        if !ours {
            return Ok(());
        }
        *lease = renewed;
        let mut db = app.store.read().await?;
        let Some(subscription) = subscriptions::get(&mut db, id)
            .await?
            .filter(|s| s.draft.enabled)
        else {
            return Ok(());
        };
        let queue = deliveries::pending(&mut db, id, BATCH).await?;
        drop(db);
        let started = std::time::Instant::now();
        let budget = std::time::Duration::try_from(BATCH_TIME).unwrap_or_default();
        let mut attempts = Vec::with_capacity(queue.len());
        let mut stopped = false;
        for pending in &queue {
            if pending.next_at.0 > app.clock.now() || started.elapsed() > budget {
                stopped = true;
                break;
            }
            let at = app.clock.now();
            let answer = send(app, &subscription, pending, at).await;
            let failed = answer.error.is_some();
            attempts.push(attempt(pending.id, at, answer, false));
            if failed {
                stopped = true;
                break;
            }
        }
        record(app, &subscription, &attempts, pass).await?;
        let more = started.elapsed() > budget && attempts.last().is_some_and(|a| a.error.is_none());
        if (stopped && !more) || queue.len() < BATCH as usize && !more {
            break;
        }
    }
    Ok(())
}

/// An attempt as the log keeps it.
pub(super) fn attempt(delivery: i64, at: Timestamp, answer: Answer, manual: bool) -> Attempt {
    let error = answer.error.map(|e| {
        let body: String = answer.body.chars().take(500).collect();
        if body.trim().is_empty() {
            e
        } else {
            format!("{e}: {body}")
        }
    });
    Attempt {
        delivery,
        at,
        status: answer.status,
        error,
        duration_ms: answer.duration_ms,
        manual,
    }
}

/// Writes a batch's attempts, the subscription's failure count, and its switching off.
async fn record(
    app: &App,
    subscription: &Subscription,
    attempts: &[Attempt],
    pass: &mut Pass,
) -> ActionResult<()> {
    if attempts.is_empty() {
        return Ok(());
    }
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let mut failures = subscription.failures;
    for a in attempts {
        let retry = now
            + SignedDuration::from_secs(backoff_secs(u32::try_from(failures).unwrap_or(u32::MAX)));
        deliveries::record(&mut db, a, retry).await?;
        match &a.error {
            None => {
                pass.delivered += 1;
                failures = 0;
            }
            Some(error) => {
                pass.failed += 1;
                failures += 1;
                let max = i64::from(app.config.integrations.max_failures);
                if subscriptions::count_failure(&mut db, subscription.id, max, error, now).await? {
                    pass.disabled += 1;
                    disabled(&mut db, subscription, error, now).await?;
                }
            }
        }
    }
    if attempts.last().is_some_and(|a| a.error.is_none()) {
        subscriptions::count_success(&mut db, subscription.id).await?;
    }
    db.commit().await?;
    Ok(())
}

/// Tells every administrator, in the app, that a subscription was switched off; audited.
async fn disabled(db: &mut Db, s: &Subscription, error: &str, now: Timestamp) -> ActionResult<()> {
    tracing::warn!(
        subscription = s.id,
        error,
        "subscription switched off after repeated failures"
    );
    for admin in users::staff_of(db, StaffGroup::Role(Role::Admin)).await? {
        let lang = users::locale_of(db, admin.id)
            .await?
            .as_deref()
            .and_then(Lang::from_tag)
            .unwrap_or(Lang::Zh);
        let title = format!("{}: {}", lang.t("integration-disabled-title"), s.draft.name);
        let key = format!("subscription-disabled:{}:{}", s.id, now.as_millisecond());
        let notice = NewNotification {
            user: admin.id,
            case: None,
            kind: "integration_disabled",
            title: &title,
            body: error,
            dedupe_key: &key,
        };
        notifications::notify(db, &notice, now).await?;
    }
    db.audit(AuditEntry::change(
        now,
        &AuditActor::system("integrations"),
        "subscription.disabled",
        "subscription",
        s.id,
        None::<&String>,
        Some(&error.to_owned()),
    ));
    Ok(())
}

/// Sends one delivery: the event's JSON, signed, to a webhook; a worded message to a robot.
pub(super) async fn send(app: &App, s: &Subscription, p: &Pending, at: Timestamp) -> Answer {
    let d = &s.draft;
    if d.kind == TargetKind::Webhook {
        let timestamp = at.as_second();
        let mut headers = vec![
            ("X-Casebook-Event", p.kind.clone()),
            ("X-Casebook-Event-Id", p.key.clone()),
            ("X-Casebook-Delivery", p.id.to_string()),
            ("X-Casebook-Timestamp", timestamp.to_string()),
        ];
        if !d.secret.is_empty() {
            let signature = signing::webhook(&d.secret, timestamp, &p.key, p.payload.as_bytes());
            headers.push(("X-Casebook-Signature", signature));
        }
        return app
            .outbound
            .post(&d.url, &headers, p.payload.clone().into_bytes())
            .await;
    }
    let event: Event = match serde_json::from_str(&p.payload) {
        Ok(e) => e,
        Err(e) => return refused(format!("the stored event does not parse: {e}")),
    };
    let lang = Lang::from_tag(&d.language).unwrap_or(Lang::Zh);
    let mentions = if d.mention_duty {
        on_duty(app, d.kind, &event).await
    } else {
        Vec::new()
    };
    let mut body = robots::body(d.kind, &event, lang, &app.config, &mentions, &d.keyword);
    let mut url = d.url.clone();
    if !d.secret.is_empty() {
        match d.kind {
            TargetKind::Dingtalk => {
                let ms = at.as_millisecond();
                let sign = signing::dingtalk(&d.secret, ms);
                let encoded: String =
                    serde_urlencoded::to_string([("timestamp", ms.to_string()), ("sign", sign)])
                        .unwrap_or_default();
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str(&encoded);
            }
            TargetKind::Feishu => {
                let seconds = at.as_second();
                body["timestamp"] = seconds.to_string().into();
                body["sign"] = signing::feishu(&d.secret, seconds).into();
            }
            TargetKind::Wecom | TargetKind::Webhook => {}
        }
    }
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let mut answer = app.outbound.post(&url, &[], bytes).await;
    if answer.error.is_none()
        && let Err(refusal) = robots::accepted(d.kind, &answer.body)
    {
        answer.error = Some(refusal);
    }
    answer
}

/// The engineers on duty when the event happened, as the platform mentions them (none when
/// their contacts cannot be read: the message goes out without mentions).
async fn on_duty(app: &App, kind: TargetKind, event: &Event) -> Vec<Mention> {
    let mut found = Vec::new();
    let Ok(mut db) = app.store.read().await else {
        return found;
    };
    for engineer in &event.on_duty {
        let id = casebook_domain::ids::Id::new(engineer.id);
        let Ok(contact) = casebook_store::duty::contact(&mut db, id).await else {
            continue;
        };
        let chat_id = match kind {
            TargetKind::Dingtalk => contact.dingtalk_id,
            TargetKind::Wecom => contact.wecom_id,
            TargetKind::Feishu => contact.feishu_id,
            TargetKind::Webhook => String::new(),
        };
        found.push(Mention {
            name: engineer.name.clone(),
            mobile: (!contact.mobile.is_empty()).then_some(contact.mobile),
            chat_id: (!chat_id.is_empty()).then_some(chat_id),
        });
    }
    found
}

fn refused(error: String) -> Answer {
    Answer {
        status: None,
        body: String::new(),
        error: Some(error),
        duration_ms: 0,
    }
}
