//! Call home: a signed batch of device events taken in, in one transaction with the request's
//! nonce. Each event is kept once (idempotency key per organisation) with what became of it:
//! heartbeats and inventory update the device and the installed base; a fault or warning goes
//! through the staff's rule for its product and code (ignore, record, open a case), folds into
//! the open case of the same fault on the same unit as one more occurrence, or opens a case on
//! the call-home channel after the same entitlement check as every channel (a unit without an
//! entitlement keeps the event as `not_entitled`); a recovery annotates the fault's case. A
//! device that sends more than its storm limit is suppressed for a while with one note on its
//! case. The events of one device are taken one at a time (its state row is locked).

use casebook_domain::Named;
use casebook_domain::call_home::{
    DeviceEvent, EventType, MOST_EVENTS_PER_BATCH, Rule, RuleAction, StormLimits, StormVerdict,
    StormWindow, fault_signature, rule_for,
};
use casebook_domain::case::CaseDraft;
use casebook_domain::contract::Unit;
use casebook_domain::entitlement::Outcome;
use casebook_domain::ids::CaseId;
use casebook_domain::policy::Visibility;
use casebook_domain::timeline::EventKind;
use casebook_domain::{Category, FieldError, Severity, Timestamp};
use casebook_store::call_home::{self as store, DeviceKey, DeviceState, NewEvent};
use casebook_store::timeline::{self, NewEvent as NewTimelineEvent};
use casebook_store::{Db, sites, units};
use jiff::SignedDuration;
use serde::Serialize;
use utoipa::ToSchema;

use super::call_home_keys::{Refused, SignedHeaders, authenticate};
use super::case_open::{self, Opening};
use super::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::Principal;

/// The storm limit: more than this many faults, warnings and recoveries from one device within
/// the window suppress it for the window.
pub const STORM: StormLimits = StormLimits {
    max_events: 10,
    window: SignedDuration::from_mins(60),
    suppress_for: SignedDuration::from_mins(60),
};

/// What became of one event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventResult {
    /// The event's idempotency key.
    pub idempotency_key: String,
    /// `case_opened`, `correlated`, `recovered`, `recorded`, `ignored`, `suppressed`,
    /// `not_entitled` or `unknown_device`.
    pub outcome: String,
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
        errors.extend(event.check(&format!("events[{i}]")));
    }
    if !errors.is_empty() {
        return Err(ActionError::Validation(errors));
    }
    Ok(events)
}

/// Takes a signed batch. A refused signature changes nothing (the nonce stays unused).
pub async fn ingest(
    app: &App,
    headers: &SignedHeaders<'_>,
    method: &str,
    path: &str,
    body: &[u8],
) -> ActionResult<Result<Accepted, Refused>> {
    let now = app.clock.now();
    let parsed = parse_batch(body);
    let mut db = app.store.write().await?;
    let key = match authenticate(&mut db, headers, method, path, body, now).await? {
        Ok(key) => key,
        Err(refused) => return Ok(Err(refused)),
    };
    // The body is judged only for a signed request.
    let events = parsed?;
    let bound_site = match key.site_id {
        Some(site) => sites::get(&mut db, site).await?.map(|s| s.code.to_string()),
        None => None,
    };
    if let Some(site) = &bound_site {
        for (i, event) in events.iter().enumerate() {
            if event.site.as_ref().is_some_and(|s| s.as_str() != site) {
                return Err(ActionError::Validation(vec![FieldError::new(
                    format!("events[{i}].site"),
                    "not_allowed",
                    format!("this key speaks for site {site} only"),
                )]));
            }
        }
    }
    let rules = rules(&mut db).await?;
    let mut results = Vec::with_capacity(events.len());
    for event in &events {
        let site = bound_site
            .clone()
            .or_else(|| event.site.as_ref().map(|s| s.as_str().to_owned()))
            .unwrap_or_default();
        results.push(take(app, &mut db, &key, &rules, event, &site, now).await?);
    }
    db.commit().await?;
    let duplicates = results.iter().filter(|r| r.duplicate).count();
    Ok(Ok(Accepted {
        accepted: results.len() - duplicates,
        duplicates,
        results,
    }))
}

async fn rules(db: &mut Db) -> ActionResult<Vec<Rule>> {
    let stored = store::rules(db).await?;
    let mut rules = Vec::with_capacity(stored.len());
    for r in stored {
        let action = <RuleAction as Named>::parse(&r.action)
            .map_err(|e| ActionError::Internal(format!("call-home rule {}: {e}", r.id)))?;
        rules.push(Rule {
            id: r.id,
            product_id: r.product_id,
            event_code: r.event_code,
            action,
            severity: r.severity.and_then(|s| Severity::from_level(s).ok()),
            category: r.category.and_then(|c| <Category as Named>::parse(&c).ok()),
            close_on_recovery: r.close_on_recovery,
        });
    }
    Ok(rules)
}

/// What became of an event before it is kept.
struct Taken {
    outcome: &'static str,
    reason: String,
    case: Option<CaseId>,
}

impl Taken {
    fn new(outcome: &'static str, reason: impl Into<String>, case: Option<CaseId>) -> Self {
        Taken {
            outcome,
            reason: reason.into(),
            case,
        }
    }
}

/// The unit an event is about: the serial number in the key's organisation (and the product,
/// if the device names one).
async fn unit_of(db: &mut Db, key: &DeviceKey, event: &DeviceEvent) -> ActionResult<Option<Unit>> {
    let found = units::find_by_serial(db, event.serial_number.as_str()).await?;
    Ok(found.into_iter().find(|u| {
        u.organization_id == key.organization_id
            && u.retired_at.is_none()
            && event
                .product
                .as_ref()
                .is_none_or(|p| p.as_str().eq_ignore_ascii_case(&u.product.name))
    }))
}

async fn take(
    app: &App,
    db: &mut Db,
    key: &DeviceKey,
    rules: &[Rule],
    event: &DeviceEvent,
    site: &str,
    now: Timestamp,
) -> ActionResult<EventResult> {
    let unit = unit_of(db, key, event).await?;
    let taken = match &unit {
        None => Taken::new(
            "unknown_device",
            format!(
                "no unit {} in this organisation's installed base",
                event.serial_number.as_str()
            ),
            None,
        ),
        Some(unit) => {
            // One device at a time; then an earlier copy of this event is seen for sure.
            let mut state = store::lock_device(db, unit.id).await?;
            if let Some(earlier) = earlier(db, key, event).await? {
                return Ok(earlier);
            }
            let taken = act(app, db, unit, &mut state, rules, event, now).await?;
            state.last_event_at = Some(now);
            store::save_device(db, unit.id, &state).await?;
            taken
        }
    };
    let code = event.code.as_ref().map(|c| c.as_str()).unwrap_or_default();
    let new = NewEvent {
        organization_id: key.organization_id,
        idempotency_key: event.idempotency_key.as_str(),
        key_id: key.id,
        unit_id: unit.as_ref().map(|u| u.id),
        site_code: site,
        serial_number: event.serial_number.as_str(),
        product: event
            .product
            .as_ref()
            .map(|p| p.as_str())
            .unwrap_or_default(),
        version: event
            .version
            .as_ref()
            .map(|v| v.as_str())
            .unwrap_or_default(),
        event_type: event.event_type.as_str(),
        event_code: code,
        severity: event.severity.map(|s| s.as_str()).unwrap_or_default(),
        message: event.message.as_str(),
        log_excerpt: &event.log_excerpt,
        occurred_at: event.occurred_at,
        outcome: taken.outcome,
        reason: &taken.reason,
        case_id: taken.case,
    };
    if store::insert_event(db, &new, now).await?.is_none() {
        // Taken meanwhile. A known device's copy is caught under its lock, so this key was used
        // by another device of the organisation at the same moment: what this event did must
        // not stay, so the batch is refused and its retry is answered as a duplicate.
        if unit.is_some() {
            return Err(ActionError::Conflict {
                code: "idempotency_key_in_use",
                message: format!(
                    "idempotency key {} was taken by another event at the same moment; send the batch again",
                    event.idempotency_key.as_str()
                ),
            });
        }
        if let Some(earlier) = earlier(db, key, event).await? {
            return Ok(earlier);
        }
    }
    let case = match taken.case {
        Some(case) => casebook_store::cases::number_of(db, case).await?,
        None => None,
    };
    Ok(EventResult {
        idempotency_key: event.idempotency_key.as_str().to_owned(),
        outcome: taken.outcome.to_owned(),
        case: case.map(|n| n.to_string()),
        reason: taken.reason,
        duplicate: false,
    })
}

async fn earlier(
    db: &mut Db,
    key: &DeviceKey,
    event: &DeviceEvent,
) -> ActionResult<Option<EventResult>> {
    let found =
        store::earlier_event(db, key.organization_id, event.idempotency_key.as_str()).await?;
    let Some((outcome, case)) = found else {
        return Ok(None);
    };
    let case = match case {
        Some(case) => casebook_store::cases::number_of(db, case).await?,
        None => None,
    };
    Ok(Some(EventResult {
        idempotency_key: event.idempotency_key.as_str().to_owned(),
        outcome,
        case: case.map(|n| n.to_string()),
        reason: String::new(),
        duplicate: true,
    }))
}

fn window_of(state: &DeviceState) -> StormWindow {
    StormWindow {
        started_at: state.window_started_at,
        events: u32::try_from(state.window_events).unwrap_or(u32::MAX),
        suppressed_until: state.suppressed_until,
        suppressed_events: u32::try_from(state.suppressed_events).unwrap_or(u32::MAX),
    }
}

async fn act(
    app: &App,
    db: &mut Db,
    unit: &Unit,
    state: &mut DeviceState,
    rules: &[Rule],
    event: &DeviceEvent,
    now: Timestamp,
) -> ActionResult<Taken> {
    match event.event_type {
        EventType::Heartbeat => {
            state.last_heartbeat_at = Some(now);
            if let Some(secs) = event.heartbeat_interval_secs {
                state.heartbeat_secs = Some(i64::from(secs));
            }
            state.silent_since = None;
            return Ok(Taken::new("recorded", "", None));
        }
        EventType::Inventory => return inventory(db, unit, state, event, now).await,
        EventType::Fault | EventType::Warning | EventType::Recovery => {}
    }
    let code = event.code.as_ref().map(|c| c.as_str()).unwrap_or_default();
    let signature = fault_signature(code);
    let open_case = store::open_fault_case(db, unit.id, &signature).await?;
    let mut window = window_of(state);
    let verdict = window.count(&STORM, now);
    state.window_started_at = window.started_at;
    state.window_events = i64::from(window.events);
    state.suppressed_until = window.suppressed_until;
    state.suppressed_events = i64::from(window.suppressed_events);
    match verdict {
        StormVerdict::Suppressed => {
            return Ok(Taken::new(
                "suppressed",
                "the device is in an event storm",
                open_case,
            ));
        }
        StormVerdict::StartsSuppression => {
            if let Some(case) = open_case {
                let until = window.suppressed_until.unwrap_or(now);
                let text = format!(
                    "事件风暴 / Event storm: unit {} sent more than {} events within {} minutes; its events are recorded without action until {until}.",
                    unit.serial_number,
                    STORM.max_events,
                    STORM.window.as_mins()
                );
                note(db, case, &text, now).await?;
            }
            return Ok(Taken::new("suppressed", "an event storm starts", open_case));
        }
        StormVerdict::Ended { suppressed } => {
            if let Some(case) = open_case {
                let text = format!(
                    "事件风暴结束 / The event storm of unit {} ended: {suppressed} events were recorded without action.",
                    unit.serial_number
                );
                note(db, case, &text, now).await?;
            }
        }
        StormVerdict::Take => {}
    }
    let rule = rule_for(rules, Some(unit.product.id.get()), code);
    if event.event_type == EventType::Recovery {
        return Ok(match open_case {
            Some(case) => {
                let text = format!(
                    "设备报告故障已恢复 / Unit {} reports that {code} cleared at {}. {}",
                    unit.serial_number,
                    event.occurred_at,
                    event.message.as_str()
                );
                note(db, case, &text, now).await?;
                Taken::new("recovered", "", Some(case))
            }
            None => Taken::new("recorded", "no open case for this fault", None),
        });
    }
    let action = match rule {
        Some(rule) => rule.action,
        None if event.event_type == EventType::Fault => RuleAction::OpenCase,
        None => RuleAction::Record,
    };
    match action {
        RuleAction::Ignore => Ok(Taken::new("ignored", "a rule ignores this code", None)),
        RuleAction::Record => Ok(Taken::new("recorded", "", None)),
        RuleAction::OpenCase => match open_case {
            Some(case) => {
                store::add_occurrence(db, case, event.occurred_at).await?;
                let text = format!(
                    "设备再次报告 / Unit {} reported {code} again at {}: {}",
                    unit.serial_number,
                    event.occurred_at,
                    event.message.as_str()
                );
                note(db, case, &text, now).await?;
                Ok(Taken::new("correlated", "", Some(case)))
            }
            None => open(app, db, unit, rule, event, &signature, now).await,
        },
    }
}

/// An internal note on a case, by the system.
async fn note(db: &mut Db, case: CaseId, text: &str, now: Timestamp) -> ActionResult<()> {
    let event = NewTimelineEvent {
        case_id: case,
        kind: EventKind::Note,
        visibility: Visibility::Internal,
        actor: None,
        at: now,
        body: Some(text),
        change: None,
    };
    timeline::insert(db, &event).await?;
    casebook_store::cases::touch(db, case, now).await?;
    Ok(())
}

async fn inventory(
    db: &mut Db,
    unit: &Unit,
    state: &mut DeviceState,
    event: &DeviceEvent,
    now: Timestamp,
) -> ActionResult<Taken> {
    if let Some(config) = &event.configuration {
        state.configuration = Some(serde_json::Value::Object(config.clone()).to_string());
    }
    let reported = event.version.as_ref().map(|v| v.as_str().to_owned());
    if reported.is_some() && reported != unit.product_version {
        let mut changed = unit.clone();
        changed.product_version = reported.clone();
        units::update(db, &changed, now).await?;
        let changes = serde_json::json!({"product_version": {"from": unit.product_version, "to": reported},
            "by": "call_home"});
        units::add_history(db, unit.id, None, &changes, now).await?;
        return Ok(Taken::new(
            "recorded",
            "the installed base has the reported version",
            None,
        ));
    }
    Ok(Taken::new("recorded", "", None))
}

async fn open(
    app: &App,
    db: &mut Db,
    unit: &Unit,
    rule: Option<&Rule>,
    event: &DeviceEvent,
    signature: &str,
    now: Timestamp,
) -> ActionResult<Taken> {
    let code = event.code.as_ref().map(|c| c.as_str()).unwrap_or_default();
    let severity = rule
        .and_then(|r| r.severity)
        .or_else(|| event.severity.map(|s| s.case_severity()))
        .unwrap_or(Severity::ALL[2]);
    let first_line = event.message.as_str().lines().next().unwrap_or_default();
    let title: String = format!("{code} · {} · {first_line}", unit.serial_number)
        .chars()
        .take(200)
        .collect();
    let mut description = format!(
        "设备自动报告 / Reported by the device.\n\nUnit: {} ({})\nEvent: {code} ({}), {}\nOccurred: {}\n\n{}",
        unit.serial_number,
        unit.product.name,
        event.event_type.as_str(),
        event.severity.map(|s| s.as_str()).unwrap_or("-"),
        event.occurred_at,
        event.message.as_str(),
    );
    if !event.log_excerpt.is_empty() {
        description.push_str("\n\nLog:\n");
        description.push_str(&event.log_excerpt);
    }
    let description: String = description.chars().take(20_000).collect();
    let draft = serde_json::json!({"title": title, "description": description, "severity": severity,
        "channel": "call_home", "organization_id": unit.organization_id,
        "serial_number": unit.serial_number, "category": rule.and_then(|r| r.category)});
    let draft: CaseDraft = match serde_json::from_value(draft) {
        Ok(draft) => draft,
        Err(err) => return Ok(Taken::new("recorded", format!("no case: {err}"), None)),
    };
    let who = Principal::system("call-home");
    let prepared = match case_open::prepare(app, &who, draft, &[]).await {
        Ok(prepared) => prepared,
        Err(err @ (ActionError::Validation(_) | ActionError::Conflict { .. })) => {
            return Ok(Taken::new("recorded", format!("no case: {err}"), None));
        }
        Err(err) => return Err(err),
    };
    let entitlement = prepared.entitlement();
    if entitlement.outcome != Outcome::Entitled {
        let reason = format!("not entitled: {}", entitlement.reason);
        return Ok(Taken::new("not_entitled", reason, None));
    }
    let case = case_open::write(app, db, &who, prepared, Opening::Plain, now).await?;
    store::insert_fault(db, case.id, unit.id, signature, event.occurred_at).await?;
    Ok(Taken::new("case_opened", "", Some(case.id)))
}
