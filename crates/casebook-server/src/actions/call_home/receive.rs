//! Call home: a signed batch of device events taken in, in one transaction with the request's
//! nonce. Each event is kept once (idempotency key per organisation) with what became of it
//! (`call_home_batch.rs` takes the batch, `call_home_act.rs` decides what each event does). The
//! signature is checked before the writer is asked for, a refused request is counted by its
//! code, and the batches of one key wait for each other, not for other keys.

use casebook_domain::call_home::{
    DeviceEvent, EventAttachment, EventOutcome, MOST_EVENTS_PER_BATCH,
};
use casebook_domain::{FieldError, Timestamp};
use serde::Serialize;
use utoipa::ToSchema;

use crate::actions::call_home::batch;
use crate::actions::call_home::keys::{self, Refusal, Refused, SignedHeaders};
use crate::actions::{ActionError, ActionResult};
use crate::app::App;

/// What became of one event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventResult {
    /// The event's idempotency key.
    pub idempotency_key: String,
    /// `case_opened`, `correlated`, `recovered`, `recorded`, `ignored`, `suppressed`,
    /// `not_entitled` or `unknown_device`.
    #[schema(value_type = String)]
    pub outcome: EventOutcome,
    /// The case it opened or joined.
    pub case: Option<String>,
    /// Why, where it says more than the outcome.
    pub reason: String,
    /// Taken before (the outcome is the earlier one's).
    pub duplicate: bool,
}

/// The answer to a batch.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Accepted {
    /// Events taken now.
    pub accepted: usize,
    /// Events taken before.
    pub duplicates: usize,
    /// Each event, in the order sent.
    pub results: Vec<EventResult>,
}

/// A batch: `{"events": [...]}` or one event alone. Unknown fields are refused, with the path of
/// the field at fault.
pub fn parse_batch(body: &[u8]) -> ActionResult<Vec<DeviceEvent>> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Batch {
        events: Vec<DeviceEvent>,
    }
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ActionError::field("body", "invalid_json", e.to_string()))?;
    let at_path = |e: serde_path_to_error::Error<serde_json::Error>| {
        let field = FieldError::new(e.path().to_string(), "invalid", e.inner().to_string());
        ActionError::Validation(vec![field])
    };
    let events = if value.get("events").is_some() {
        let batch: Batch = serde_path_to_error::deserialize(value).map_err(at_path)?;
        batch.events
    } else {
        vec![serde_path_to_error::deserialize::<_, DeviceEvent>(value).map_err(at_path)?]
    };
    if events.is_empty() || events.len() > MOST_EVENTS_PER_BATCH {
        return Err(ActionError::field(
            "events",
            "out_of_range",
            format!("send 1 to {MOST_EVENTS_PER_BATCH} events"),
        ));
    }
    let mut errors: Vec<FieldError> = Vec::new();
    for (i, event) in events.iter().enumerate() {
        let at = format!("events[{i}]");
        errors.extend(event.check(&at));
        if let Some(file) = &event.attachment
            && let Err(ActionError::Validation(fields)) = decoded(file).map(|c| c.len())
        {
            errors.extend(fields.into_iter().map(|f| FieldError {
                field: format!("{at}.{}", f.field),
                ..f
            }));
        }
    }
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    Ok(events)
}

/// Takes a signed batch. The signature is checked on a read connection first, so a forged or
/// stale request never waits for the writer; a refused request changes nothing (its nonce stays
/// unused) and is counted by its code.
pub async fn ingest(
    app: &App,
    headers: &SignedHeaders<'_>,
    method: &str,
    path: &str,
    body: &[u8],
) -> ActionResult<Result<Accepted, Refused>> {
    let now = app.clock.now();
    let checked = {
        let mut db = app.store.read().await?;
        keys::check(&mut db, headers, method, path, body, now).await?
    };
    let checked = match checked {
        Ok(key) => key,
        Err(refusal) => return Ok(Err(refused(app, refusal, now))),
    };
    // The body is judged only for a signed request.
    let events = parse_batch(body).inspect_err(|_| {
        let key = Some(checked.public_id.as_str());
        app.call_home_refusals.count("validation_failed", key, now);
    })?;
    // One batch of a key at a time: a flooding key holds one place in the writer's queue.
    let _turn = app.call_home_turns.take(checked.id).await;
    let mut db = app.store.write().await?;
    let nonce = headers.nonce.unwrap_or_default();
    let key = match keys::take_nonce(&mut db, &checked, nonce, now).await? {
        Ok(key) => key,
        Err(refusal) => return Ok(Err(refused(app, refusal, now))),
    };
    let taken = batch::take_batch(app, &mut db, &key, &events, now).await;
    let refused_as = match &taken {
        Err(ActionError::Conflict { code, .. }) => Some(*code),
        Err(ActionError::Validation(_)) => Some("validation_failed"),
        _ => None,
    };
    if let Some(code) = refused_as {
        app.call_home_refusals
            .count(code, Some(&key.public_id), now);
    }
    let results = taken?;
    db.commit().await?;
    let duplicates = results.iter().filter(|r| r.duplicate).count();
    Ok(Ok(Accepted {
        accepted: results.len() - duplicates,
        duplicates,
        results,
    }))
}

fn refused(app: &App, refusal: Refusal, now: Timestamp) -> Refused {
    let code = refusal.refused.code();
    app.call_home_refusals
        .count(code, refusal.key.as_deref(), now);
    refusal.refused
}

/// The content of a file an event brought (checked by `parse_batch`).
pub(crate) fn decoded(file: &EventAttachment) -> ActionResult<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(file.content_base64.as_bytes())
        .map_err(|e| {
            ActionError::field("attachment.content_base64", "invalid_base64", e.to_string())
        })
}
