//! What a call-home event does, once it is known to be new and its device is locked: a
//! heartbeat keeps the device alive, inventory updates the installed base, a fault or warning
//! goes through the staff's rule for its product and code (ignore, record, open a case), folds
//! into the open case of the same fault as one more occurrence, or opens a case on the call-home
//! channel after the entitlement check; a recovery annotates the fault's case (and, under a
//! closing rule, proposes closing it); a device over its storm limit is suppressed with one note.

use casebook_domain::Named;
use casebook_domain::call_home::{
    DeviceEvent, EventOutcome, EventType, Rule, RuleAction, StormVerdict, StormWindow, rule_for,
};
use casebook_domain::case::CaseDraft;
use casebook_domain::contract::Unit;
use casebook_domain::entitlement::Outcome;
use casebook_domain::ids::CaseId;
use casebook_domain::policy::{Role, Visibility};
use casebook_domain::timeline::EventKind;
use casebook_domain::{Category, Severity, Timestamp};
use casebook_store::call_home::{self as store, DeviceState};
use casebook_store::notifications::{self, NewNotification};
use casebook_store::timeline::{self, NewEvent as NewTimelineEvent};
use casebook_store::users::{self, StaffGroup};
use casebook_store::{Db, call_home_watch, units};
use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::actions::cases::opening::{self, Opening};
use crate::actions::notify::case_mail;
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::Principal;

/// The staff's rules, as the domain matches them.
pub(super) async fn rules(db: &mut Db) -> ActionResult<Vec<Rule>> {
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
pub(super) struct Taken {
    pub(super) outcome: EventOutcome,
    pub(super) reason: String,
    pub(super) case: Option<CaseId>,
}

impl Taken {
    pub(super) fn new(
        outcome: EventOutcome,
        reason: impl Into<String>,
        case: Option<CaseId>,
    ) -> Self {
        Taken {
            outcome,
            reason: reason.into(),
            case,
        }
    }
}

fn window_of(state: &DeviceState) -> StormWindow {
    StormWindow {
        started_at: state.window_started_at,
        events: u32::try_from(state.window_events).unwrap_or(u32::MAX),
        suppressed_until: state.suppressed_until,
        suppressed_events: u32::try_from(state.suppressed_events).unwrap_or(u32::MAX),
    }
}

/// The device of an event, locked, with the open case of each of its fault signatures as far as
/// this batch knows them.
pub(super) struct Device<'a> {
    /// The unit.
    pub unit: &'a Unit,
    /// Its state, saved when the batch ends.
    pub state: &'a mut DeviceState,
    /// Open case per fault signature, looked up once per batch and kept current.
    pub open_cases: &'a mut std::collections::HashMap<String, Option<CaseId>>,
}

/// What a new event of a locked device does.
pub(super) async fn act(
    app: &App,
    db: &mut Db,
    device: Device<'_>,
    rules: &[Rule],
    event: &DeviceEvent,
    now: Timestamp,
) -> ActionResult<Taken> {
    let Device {
        unit,
        state,
        open_cases,
    } = device;
    match event.event_type {
        EventType::Heartbeat => {
            heartbeat(app, db, unit, state, event, now).await?;
            return Ok(Taken::new(EventOutcome::Recorded, "", None));
        }
        EventType::Inventory => return inventory(db, unit, state, event, now).await,
        EventType::Fault | EventType::Warning | EventType::Recovery => {}
    }
    let code = event.code.as_ref().map(|c| c.as_str()).unwrap_or_default();
    let signature = casebook_domain::call_home::fault_signature(code);
    let open_case = match open_cases.get(&signature) {
        Some(known) => *known,
        None => {
            let found = store::open_fault_case(db, unit.id, &signature).await?;
            open_cases.insert(signature.clone(), found);
            found
        }
    };
    let storm = app.config.call_home.storm();
    let mut window = window_of(state);
    let verdict = window.count(&storm, now);
    state.window_started_at = window.started_at;
    state.window_events = i64::from(window.events);
    state.suppressed_until = window.suppressed_until;
    state.suppressed_events = i64::from(window.suppressed_events);
    match verdict {
        StormVerdict::Suppressed => {
            return Ok(Taken::new(
                EventOutcome::Suppressed,
                "the device is in an event storm",
                open_case,
            ));
        }
        StormVerdict::StartsSuppression => {
            if let Some(case) = open_case {
                let until = window.suppressed_until.unwrap_or(now);
                let text = format!(
                    "事件风暴 / Event storm: unit {} sent more than {} events within {} minutes; its events are recorded without action until {}.",
                    unit.serial_number,
                    storm.max_events,
                    storm.window.as_mins(),
                    app.config.desk_time(until),
                );
                let said = json!({"note": "call_home_storm", "unit": unit.serial_number,
                    "max": storm.max_events, "minutes": storm.window.as_mins(), "until": until});
                note(db, case, (text.as_str(), said), now).await?;
            }
            super::events::storm(app, db, unit, event, open_case, now).await?;
            return Ok(Taken::new(
                EventOutcome::Suppressed,
                "an event storm starts",
                open_case,
            ));
        }
        StormVerdict::Ended { suppressed } => {
            if let Some(case) = open_case {
                let text = format!(
                    "事件风暴结束 / The event storm of unit {} ended: {suppressed} events were recorded without action.",
                    unit.serial_number
                );
                let said = json!({"note": "call_home_storm_ended", "unit": unit.serial_number,
                    "suppressed": suppressed});
                note(db, case, (text.as_str(), said), now).await?;
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
                    app.config.desk_time(event.occurred_at),
                    event.message.as_str()
                );
                let said = json!({"note": "call_home_cleared", "unit": unit.serial_number,
                    "code": code, "at": event.occurred_at, "message": event.message.as_str()});
                note(db, case, (text.as_str(), said), now).await?;
                if rule.is_some_and(|r| r.close_on_recovery) {
                    propose_closing(app, db, case, unit, code, now).await?;
                    Taken::new(
                        EventOutcome::Recovered,
                        "the rule proposes closing the case",
                        Some(case),
                    )
                } else {
                    Taken::new(EventOutcome::Recovered, "", Some(case))
                }
            }
            None => Taken::new(EventOutcome::Recorded, "no open case for this fault", None),
        });
    }
    let action = match rule {
        Some(rule) => rule.action,
        None if event.event_type == EventType::Fault => RuleAction::OpenCase,
        None => RuleAction::Record,
    };
    match action {
        RuleAction::Ignore => Ok(Taken::new(
            EventOutcome::Ignored,
            "a rule ignores this code",
            None,
        )),
        RuleAction::Record => Ok(Taken::new(EventOutcome::Recorded, "", None)),
        RuleAction::OpenCase => match open_case {
            Some(case) => {
                let occurrences = store::add_occurrence(db, case, event.occurred_at).await?;
                // The timeline says so at the 2nd, 10th, 100th… occurrence; the fault's count
                // and last time are on the case at every one.
                if noted(occurrences) {
                    let text = format!(
                        "设备再次报告 / Unit {} reported {code} again at {} ({occurrences} occurrences): {}",
                        unit.serial_number,
                        app.config.desk_time(event.occurred_at),
                        event.message.as_str()
                    );
                    let said = json!({"note": "call_home_again", "unit": unit.serial_number,
                        "code": code, "at": event.occurred_at, "occurrences": occurrences,
                        "message": event.message.as_str()});
                    note(db, case, (text.as_str(), said), now).await?;
                    super::events::fault(app, db, unit, event, case, now).await?;
                }
                Ok(Taken::new(EventOutcome::Correlated, "", Some(case)))
            }
            None => {
                let taken = open(app, db, unit, rule, event, &signature, now).await?;
                if let Some(case) = taken.case {
                    open_cases.insert(signature, taken.case);
                    super::events::fault(app, db, unit, event, case, now).await?;
                }
                Ok(taken)
            }
        },
    }
}

/// An internal note on a case, by the system: its text (both languages, times in the desk's
/// zone, for the API) and what it says as data (`{"note": kind, …}` in the entry's change), from
/// which pages write it in the reader's language and time zone.
async fn note(
    db: &mut Db,
    case: CaseId,
    (text, said): (&str, Value),
    now: Timestamp,
) -> ActionResult<()> {
    let event = NewTimelineEvent {
        case_id: case,
        kind: EventKind::Note,
        visibility: Visibility::Internal,
        actor: None,
        at: now,
        body: Some(text),
        change: Some(said),
    };
    timeline::insert(db, &event).await?;
    casebook_store::cases::touch(db, case, now).await?;
    Ok(())
}

/// A heartbeat: the device is alive until its interval times `call_home.silent_after_missed`
/// passes without another; a device flagged silent before says so on its open case.
async fn heartbeat(
    app: &App,
    db: &mut Db,
    unit: &Unit,
    state: &mut DeviceState,
    event: &DeviceEvent,
    now: Timestamp,
) -> ActionResult<()> {
    let config = &app.config.call_home;
    state.last_heartbeat_at = Some(now);
    if let Some(secs) = event.heartbeat_interval_secs {
        state.heartbeat_secs = Some(i64::from(secs));
    }
    let interval = state
        .heartbeat_secs
        .unwrap_or(i64::try_from(config.default_heartbeat_secs).unwrap_or(i64::MAX));
    let grace = interval.saturating_mul(i64::from(config.silent_after_missed));
    state.silent_after = Some(now + SignedDuration::from_secs(grace));
    if state.silent_since.take().is_some()
        && let Some(case) = call_home_watch::open_case_of_unit(db, unit.id).await?
    {
        let text = format!(
            "设备恢复心跳 / Unit {} sends heartbeats again.",
            unit.serial_number
        );
        let said = json!({"note": "call_home_heartbeats_again", "unit": unit.serial_number});
        note(db, case, (text.as_str(), said), now).await?;
    }
    Ok(())
}

/// A recovery whose rule closes on recovery: the case's owner (or, without one, the
/// coordinators) is told that the device's fault cleared and the case can be closed; staff decide.
async fn propose_closing(
    app: &App,
    db: &mut Db,
    case: CaseId,
    unit: &Unit,
    code: &str,
    now: Timestamp,
) -> ActionResult<()> {
    let Some(found) = casebook_store::cases::get(db, case).await? else {
        return Ok(());
    };
    let people = match &found.owner {
        Some(owner) => vec![owner.id],
        None => users::staff_of(db, StaffGroup::Role(Role::Coordinator))
            .await?
            .into_iter()
            .map(|u| u.id)
            .collect(),
    };
    for user in people {
        let Some(person) = users::get(db, user).await? else {
            continue;
        };
        let lang = case_mail::lang_of(app, db, Some(&person)).await?;
        let title = lang.t1("call-home-news-closing-title", "number", found.number);
        let body = lang.tn(
            "call-home-news-closing-body",
            &[
                ("unit", unit.serial_number.clone()),
                ("code", code.to_owned()),
            ],
        );
        let key = format!(
            "recovered:{}:{}:{}",
            case.get(),
            now.as_millisecond(),
            user.get()
        );
        notifications::notify(
            db,
            &NewNotification {
                user,
                case: Some(case),
                kind: "call_home_recovered",
                title: &title,
                body: &body,
                dedupe_key: &key,
            },
            now,
        )
        .await?;
    }
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
    if let Some(version) = reported.as_deref()
        && reported != unit.product_version
        && crate::actions::directory::refs::check_product(db, unit.product.id, Some(version))
            .await
            .is_err()
    {
        // The installed base keeps versions of the catalogue only; staff see what was reported.
        return Ok(Taken::new(
            EventOutcome::Recorded,
            format!(
                "version {version} is not in the catalogue of {}; the installed base keeps {}",
                unit.product.name,
                unit.product_version.as_deref().unwrap_or("no version")
            ),
            None,
        ));
    }
    if reported.is_some() && reported != unit.product_version {
        // The unit as it is now (the batch read it before locking its device).
        let unit = &units::get(db, unit.id)
            .await?
            .ok_or(ActionError::NotFound("unit"))?;
        if reported == unit.product_version {
            return Ok(Taken::new(EventOutcome::Recorded, "", None));
        }
        let mut changed = unit.clone();
        changed.product_version = reported.clone();
        units::update(db, &changed, now).await?;
        let changes = serde_json::json!({"product_version": {"from": unit.product_version, "to": reported},
            "by": "call_home"});
        units::add_history(db, unit.id, None, &changes, now).await?;
        return Ok(Taken::new(
            EventOutcome::Recorded,
            "the installed base has the reported version",
            None,
        ));
    }
    Ok(Taken::new(EventOutcome::Recorded, "", None))
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
        "设备自动报告 / Reported by the device.\n\n设备 / Unit: {} ({})\n事件 / Event: {code} ({}, {})\n发生时间 / Occurred: {}\n\n{}",
        unit.serial_number,
        unit.product.name,
        event.event_type.as_str(),
        event.severity.map(|s| s.as_str()).unwrap_or("-"),
        app.config.desk_time(event.occurred_at),
        event.message.as_str(),
    );
    if !event.log_excerpt.is_empty() {
        description.push_str("\n\n日志 / Log:\n");
        description.push_str(&event.log_excerpt);
    }
    let description: String = description.chars().take(20_000).collect();
    let draft = serde_json::json!({"title": title, "description": description, "severity": severity,
        "channel": "call_home", "organization_id": unit.organization_id,
        "serial_number": unit.serial_number, "category": rule.and_then(|r| r.category)});
    let draft: CaseDraft = match serde_json::from_value(draft) {
        Ok(draft) => draft,
        Err(err) => {
            return Ok(Taken::new(
                EventOutcome::Recorded,
                format!("no case: {err}"),
                None,
            ));
        }
    };
    let who = Principal::system("call-home");
    let prepared = match opening::prepare(app, &who, draft, &[]).await {
        Ok(prepared) => prepared,
        Err(err @ (ActionError::Validation(_) | ActionError::Conflict { .. })) => {
            return Ok(Taken::new(
                EventOutcome::Recorded,
                format!("no case: {err}"),
                None,
            ));
        }
        Err(err) => return Err(err),
    };
    let entitlement = prepared.entitlement();
    let reason = match entitlement.outcome {
        Outcome::Entitled => String::new(),
        _ => format!("not entitled: {}", entitlement.reason),
    };
    if !reason.is_empty() && !app.config.call_home.opens_unentitled() {
        return Ok(Taken::new(EventOutcome::NotEntitled, reason, None));
    }
    let case = opening::write(app, db, &who, prepared, Opening::Plain, now).await?;
    store::insert_fault(db, case.id, unit.id, signature, event.occurred_at).await?;
    Ok(Taken::new(EventOutcome::CaseOpened, reason, Some(case.id)))
}

/// Whether the `n`th occurrence of a fault gets a note: the 2nd, and every power of ten.
fn noted(n: i64) -> bool {
    if n == 2 {
        return true;
    }
    let mut p = 10;
    while p < n {
        p *= 10;
    }
    p == n
}

#[cfg(test)]
mod tests {
    use super::noted;

    #[test]
    fn repeats_are_noted_sparingly() {
        let noted: Vec<i64> = (1..=1000).filter(|n| noted(*n)).collect();
        assert_eq!(noted, vec![2, 10, 100, 1000]);
    }
}
