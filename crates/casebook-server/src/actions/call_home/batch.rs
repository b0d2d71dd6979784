//! One signed batch of call-home events in the request's write transaction, with as few
//! statements as the batch allows: each unit is looked up once, the devices of the batch are
//! locked once each (in unit order, so two batches never wait on each other in a circle), the
//! earlier copies of all its events are found by one query under those locks, each new event
//! does what it does, and the new events are kept by a few multi-row inserts and the device
//! states saved when the batch ends.
//!
//! Fairness: the batches of one key are taken one at a time ([`crate::app::call_home::KeyTurns`]), so a device or
//! gateway that floods holds at most one place in the queue for the writer and others' batches
//! pass between its batches.

use std::collections::{BTreeMap, HashMap};

use casebook_domain::call_home::{DeviceEvent, EventAttachment, EventOutcome};
use casebook_domain::contract::Unit;
use casebook_domain::ids::{CaseId, UnitId};
use casebook_domain::policy::Visibility;
use casebook_domain::{FieldError, Named, Timestamp};
use casebook_store::call_home::{self as store, DeviceKey, DeviceState, EventFile, NewEvent};
use casebook_store::{Db, call_home_devices, sites, units};
use sha2::{Digest, Sha256};

use crate::actions::call_home::act::{self as act, Device, Taken};
use crate::actions::call_home::{EventResult, decoded};
use crate::actions::cases::attachments::{Upload, attach};
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::Principal;

/// What the batch has looked up so far.
#[derive(Default)]
struct Known {
    /// Unit by serial number and product name (as the device named them).
    units: HashMap<(String, Option<String>), Option<Unit>>,
    /// Locked devices and their state, saved at the end.
    devices: BTreeMap<UnitId, DeviceState>,
    /// Open case per unit and fault signature.
    open_cases: HashMap<UnitId, HashMap<String, Option<CaseId>>>,
    /// What became of events sent before, or earlier in this batch.
    earlier: HashMap<String, (EventOutcome, Option<CaseId>)>,
    /// The new events, kept together when the batch ends.
    pending: Vec<Pending>,
}

/// A new event of the batch as it will be kept.
struct Pending {
    /// Its place in the batch.
    index: usize,
    unit: Option<UnitId>,
    site: String,
    outcome: EventOutcome,
    reason: String,
    case: Option<CaseId>,
    /// Hash and size of its file.
    file: Option<(String, i64)>,
}

fn unit_key(event: &DeviceEvent) -> (String, Option<String>) {
    (
        event.serial_number.as_str().to_uppercase(),
        event.product.as_ref().map(|p| p.as_str().to_lowercase()),
    )
}

/// The unit an event is about among the organisation's units of its serial number (the one of
/// the product it names, if it names one), not retired.
fn unit_of(candidates: &[Unit], event: &DeviceEvent) -> Option<Unit> {
    candidates
        .iter()
        .find(|u| {
            u.retired_at.is_none()
                && u.serial_number
                    .eq_ignore_ascii_case(event.serial_number.as_str())
                && event
                    .product
                    .as_ref()
                    .is_none_or(|p| p.as_str().eq_ignore_ascii_case(&u.product.name))
        })
        .cloned()
}

/// Takes the events of a signed batch in `db`; the caller commits.
pub(super) async fn take_batch(
    app: &App,
    db: &mut Db,
    key: &DeviceKey,
    events: &[DeviceEvent],
    now: Timestamp,
) -> ActionResult<Vec<EventResult>> {
    let bound_site = match key.site_id {
        Some(site) => sites::get(db, site).await?.map(|s| s.code.to_string()),
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
    let rules = act::rules(db).await?;
    let mut known = Known::default();
    let mut serials: Vec<String> = events
        .iter()
        .map(|e| e.serial_number.as_str().to_uppercase())
        .collect();
    serials.sort();
    serials.dedup();
    let candidates = units::find_by_serials(db, key.organization_id, &serials).await?;
    for event in events {
        known
            .units
            .entry(unit_key(event))
            .or_insert_with(|| unit_of(&candidates, event));
    }
    // One device at a time, in unit order; then earlier copies of these events are seen for sure.
    let locked: Vec<UnitId> = known.units.values().flatten().map(|u| u.id).collect();
    for (unit, state) in call_home_devices::lock_devices(db, &locked).await? {
        known.devices.insert(unit, state);
    }
    let idempotency: Vec<&str> = events.iter().map(|e| e.idempotency_key.as_str()).collect();
    for (k, outcome, case) in store::earlier_events(db, key.organization_id, &idempotency).await? {
        known.earlier.insert(k, (outcome, case));
    }
    let mut results = Vec::with_capacity(events.len());
    for (index, event) in events.iter().enumerate() {
        let site = bound_site
            .clone()
            .or_else(|| event.site.as_ref().map(|s| s.as_str().to_owned()))
            .unwrap_or_default();
        let taken = take(app, db, &rules, &mut known, (index, event), site, now).await?;
        results.push(taken);
    }
    keep_events(app, db, key, events, &known.pending, &mut results, now).await?;
    numbers(db, &mut results).await?;
    let states: Vec<(UnitId, &DeviceState)> = known.devices.iter().map(|(u, s)| (*u, s)).collect();
    call_home_devices::save_devices(db, &states).await?;
    Ok(results)
}

/// Puts the case numbers in the answers (which carry case ids until here), one query.
async fn numbers(db: &mut Db, results: &mut [EventResult]) -> ActionResult<()> {
    let mut ids: Vec<CaseId> = results
        .iter()
        .filter_map(|r| r.case.as_deref()?.parse::<i64>().ok())
        .map(CaseId::new)
        .collect();
    ids.sort();
    ids.dedup();
    let mut numbers: HashMap<String, String> = HashMap::new();
    for chunk in ids.chunks(500) {
        for (id, number) in casebook_store::cases::numbers_of(db, chunk).await? {
            numbers.insert(id.get().to_string(), number.to_string());
        }
    }
    for r in results {
        r.case = r.case.take().and_then(|id| numbers.get(&id).cloned());
    }
    Ok(())
}

/// Keeps the new events of the batch, in idempotency-key order (two batches inserting the same
/// keys wait for each other in one order). An event not kept was taken meanwhile by a batch that
/// locked none of its devices. For an unknown device, which changed nothing, the answer becomes
/// that event's; for a known one, its key was used for another device of the organisation at the
/// same moment, and what the batch did must not stay: it is refused, and its retry is answered
/// as a duplicate.
async fn keep_events(
    app: &App,
    db: &mut Db,
    key: &DeviceKey,
    events: &[DeviceEvent],
    pending: &[Pending],
    results: &mut [EventResult],
    now: Timestamp,
) -> ActionResult<()> {
    let mut order: Vec<&Pending> = pending.iter().collect();
    order.sort_by(|a, b| {
        let key = |p: &Pending| events[p.index].idempotency_key.as_str();
        key(a).cmp(key(b))
    });
    let rows: Vec<NewEvent<'_>> = order
        .iter()
        .map(|p| new_event(app, key, &events[p.index], p))
        .collect();
    let kept = store::insert_events(db, &rows, now).await?;
    if kept.len() == rows.len() {
        return Ok(());
    }
    let missing: Vec<&Pending> = order
        .into_iter()
        .filter(|p| {
            !kept
                .iter()
                .any(|k| k == events[p.index].idempotency_key.as_str())
        })
        .collect();
    if let Some(known) = missing.iter().find(|p| p.unit.is_some()) {
        return Err(ActionError::Conflict {
            code: "idempotency_key_in_use",
            message: format!(
                "idempotency key {} was taken by another event at the same moment; send the batch again",
                events[known.index].idempotency_key.as_str()
            ),
        });
    }
    let keys: Vec<&str> = missing
        .iter()
        .map(|p| events[p.index].idempotency_key.as_str())
        .collect();
    let earlier = store::earlier_events(db, key.organization_id, &keys).await?;
    for p in missing {
        let mine = events[p.index].idempotency_key.as_str();
        let Some((_, outcome, case)) = earlier.iter().find(|(k, _, _)| k == mine) else {
            continue;
        };
        let result = &mut results[p.index];
        result.outcome = *outcome;
        result.case = case.map(|c| c.get().to_string());
        result.reason = String::new();
        result.duplicate = true;
    }
    Ok(())
}

fn new_event<'a>(
    app: &App,
    key: &DeviceKey,
    event: &'a DeviceEvent,
    p: &'a Pending,
) -> NewEvent<'a> {
    let text = |v: Option<&'a str>| v.unwrap_or_default();
    NewEvent {
        organization_id: key.organization_id,
        idempotency_key: event.idempotency_key.as_str(),
        key_id: key.id,
        unit_id: p.unit,
        site_code: &p.site,
        serial_number: event.serial_number.as_str(),
        product: text(event.product.as_ref().map(|p| p.as_str())),
        version: text(event.version.as_ref().map(|v| v.as_str())),
        event_type: event.event_type.as_str(),
        event_code: text(event.code.as_ref().map(|c| c.as_str())),
        severity: event.severity.map(|s| s.as_str()).unwrap_or_default(),
        message: event.message.as_str(),
        log_excerpt: &event.log_excerpt,
        occurred_at: event.occurred_at,
        outcome: p.outcome,
        reason: &p.reason,
        case_id: p.case,
        attachment: match (&p.file, &event.attachment) {
            (Some((sha256, size)), Some(a)) => Some(EventFile {
                sha256,
                name: a.file_name.as_str(),
                content_type: a.content_type.as_str(),
                size: *size,
                storage: app.blobs.kind(),
            }),
            _ => None,
        },
    }
}

#[allow(clippy::too_many_arguments)]
async fn take(
    app: &App,
    db: &mut Db,
    rules: &[casebook_domain::call_home::Rule],
    known: &mut Known,
    (index, event): (usize, &DeviceEvent),
    site: String,
    now: Timestamp,
) -> ActionResult<EventResult> {
    let idempotency_key = event.idempotency_key.as_str();
    if let Some((outcome, case)) = known.earlier.get(idempotency_key).cloned() {
        return Ok(EventResult {
            idempotency_key: idempotency_key.to_owned(),
            outcome,
            case: case.map(|c| c.get().to_string()),
            reason: String::new(),
            duplicate: true,
        });
    }
    let unit = known.units.get(&unit_key(event)).cloned().flatten();
    let taken = match &unit {
        None => Taken::new(
            EventOutcome::UnknownDevice,
            format!(
                "no unit {} in this organisation's installed base",
                event.serial_number.as_str()
            ),
            None,
        ),
        Some(unit) => {
            let state = known.devices.get_mut(&unit.id).ok_or_else(|| {
                ActionError::Internal("a device of the batch is not locked".into())
            })?;
            let device = Device {
                unit,
                state,
                open_cases: known.open_cases.entry(unit.id).or_default(),
            };
            let taken = act::act(app, db, device, rules, event, now).await?;
            if let Some(state) = known.devices.get_mut(&unit.id) {
                state.last_event_at = Some(now);
            }
            taken
        }
    };
    let file = match &event.attachment {
        Some(file) => Some(keep_file(app, db, file, &taken, now).await?),
        None => None,
    };
    known
        .earlier
        .insert(idempotency_key.to_owned(), (taken.outcome, taken.case));
    let result = EventResult {
        idempotency_key: idempotency_key.to_owned(),
        outcome: taken.outcome,
        case: taken.case.map(|c| c.get().to_string()),
        reason: taken.reason.clone(),
        duplicate: false,
    };
    known.pending.push(Pending {
        index,
        unit: unit.map(|u| u.id),
        site,
        outcome: taken.outcome,
        reason: taken.reason,
        case: taken.case,
        file,
    });
    Ok(result)
}

/// Keeps the file an event brought: its content in the blob store, and, when the event opened
/// or joined a case (not while the device is suppressed), on the case as an internal file.
/// Returns its hash and size.
async fn keep_file(
    app: &App,
    db: &mut Db,
    file: &EventAttachment,
    taken: &Taken,
    now: Timestamp,
) -> ActionResult<(String, i64)> {
    let content = decoded(file)?;
    let sha = hex::encode(Sha256::digest(&content));
    let size = i64::try_from(content.len()).unwrap_or(i64::MAX);
    app.blobs.put(db, &sha, &content).await?;
    if let Some(case) = taken.case
        && matches!(
            taken.outcome,
            EventOutcome::CaseOpened | EventOutcome::Correlated | EventOutcome::Recovered
        )
    {
        let upload = Upload {
            file_name: file.file_name.as_str().to_owned(),
            content_type: file.content_type.as_str().to_owned(),
            content: content.into(),
        };
        let who = Principal::system("call-home");
        attach(app, db, &who, case, Visibility::Internal, &[upload], now).await?;
    }
    Ok((sha, size))
}
