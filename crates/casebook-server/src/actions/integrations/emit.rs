//! Events written in the transaction of the change that caused them: the payload is built only
//! when an enabled subscription wants the event's type, kept as it stood, and queued once per
//! subscription whose filters it passes. The commit wakes this server's sender; the others find
//! it when they next look. A case event that pages the engineer on duty (a severity-1 case
//! after hours, an SLA breach, a device fault) pages them here too, subscriptions or not.

use casebook_domain::case::{Case, NamedRef};
use casebook_domain::events::{self, CaseSection, Event, EventKind, IdName};
use casebook_domain::ids::{CaseId, Id};
use casebook_domain::sla::clock::ClockState;
use casebook_domain::{Named, Timestamp};
use casebook_store::subscriptions::Listener;
use casebook_store::{Db, deliveries, subscriptions};

use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::Principal;

/// A new event id: `evt_` and 32 random hex digits.
pub fn new_id() -> String {
    format!("evt_{:032x}", rand::random::<u128>())
}

/// Who caused an event, as the payload names them.
pub fn actor_of(who: &Principal) -> events::Actor {
    let kind = match who.user_id() {
        None => "system",
        Some(_) if who.is_staff() => "staff",
        Some(_) => "customer",
    };
    events::Actor {
        kind: kind.into(),
        name: if who.user_id().is_some() {
            who.name.clone()
        } else {
            "Casebook".into()
        },
    }
}

/// The system as an event's actor (sweeps, devices' silence).
pub fn system_actor() -> events::Actor {
    events::Actor {
        kind: "system".into(),
        name: "Casebook".into(),
    }
}

/// The enabled subscriptions that want `kind`; none means nothing is built or written.
async fn listening(db: &mut Db, kind: EventKind) -> ActionResult<Vec<Listener>> {
    let mut all = subscriptions::listeners(db).await?;
    all.retain(|l| l.events.contains(&kind));
    Ok(all)
}

/// The case section: the case as it stands in this transaction, with its nearest running
/// SLA deadline.
pub async fn case_section(app: &App, db: &mut Db, case: &Case) -> ActionResult<CaseSection> {
    let clocks = casebook_store::sla::clocks_of_case(db, case.id).await?;
    let nearest = clocks
        .iter()
        .filter(|c| c.state == ClockState::Running)
        .filter_map(|c| c.deadline.map(|d| (d, c.metric)))
        .min_by_key(|(d, _)| *d);
    Ok(CaseSection {
        number: case.number.to_string(),
        url: format!(
            "{}/console/cases/{}",
            app.config.desk.public_url, case.number
        ),
        title: case.title.clone(),
        severity: case.severity,
        status: case.status.as_str().into(),
        tier: case.tier.map(|t| t.as_str().into()),
        channel: case.channel.as_str().into(),
        organization: IdName {
            id: case.organization.id.get(),
            name: case.organization.name.clone(),
        },
        customer_number: case.organization.customer_number.clone(),
        product: case.product.as_ref().map(named),
        owner: case.owner.as_ref().map(named),
        plan: case.entitlement.as_ref().and_then(|e| e.plan.clone()),
        sla_due_at: nearest.map(|(d, _)| d),
        sla_metric: nearest.map(|(_, m)| m.as_str().into()),
    })
}

fn named<T>(r: &NamedRef<Id<T>>) -> IdName {
    IdName {
        id: r.id.get(),
        name: r.name.clone(),
    }
}

/// Writes an event about a case: `fill` adds the type's other sections.
pub async fn case_event(
    app: &App,
    db: &mut Db,
    kind: EventKind,
    case: &Case,
    actor: events::Actor,
    now: Timestamp,
    fill: impl FnOnce(&mut Event),
) -> ActionResult<()> {
    case_event_keyed(app, db, kind, case, actor, now, new_id(), fill).await
}

/// [`case_event`] with the event's id given: a second event with the same id is not written
/// (e.g. a breach that several escalation steps report).
#[allow(clippy::too_many_arguments)]
pub async fn case_event_keyed(
    app: &App,
    db: &mut Db,
    kind: EventKind,
    case: &Case,
    actor: events::Actor,
    now: Timestamp,
    id: String,
    fill: impl FnOnce(&mut Event),
) -> ActionResult<()> {
    crate::actions::duty::pages::on_case_event(app, db, kind, case, now).await?;
    let listeners = listening(db, kind).await?;
    if listeners.is_empty() {
        return Ok(());
    }
    let mut event = Event::new(kind, id, now, actor);
    event.case = Some(case_section(app, db, case).await?);
    fill(&mut event);
    write(app, db, &event, Some(case.id), &listeners, now).await
}

/// Writes an event built by the caller (device events); `build` runs only when someone listens.
pub async fn event(
    app: &App,
    db: &mut Db,
    kind: EventKind,
    case: Option<CaseId>,
    now: Timestamp,
    build: impl FnOnce(String) -> Event,
) -> ActionResult<()> {
    let listeners = listening(db, kind).await?;
    if listeners.is_empty() {
        return Ok(());
    }
    let event = build(new_id());
    write(app, db, &event, case, &listeners, now).await
}

/// Writes the event and a delivery per listener whose filters it passes; the commit wakes the
/// sender.
async fn write(
    app: &App,
    db: &mut Db,
    event: &Event,
    case: Option<CaseId>,
    listeners: &[Listener],
    now: Timestamp,
) -> ActionResult<()> {
    debug_assert!(
        event.is_complete(),
        "{} lacks a section",
        event.kind.as_str()
    );
    let scope = event.scope();
    let targets: Vec<i64> = listeners
        .iter()
        .filter(|l| l.filters.pass(&scope))
        .map(|l| l.id)
        .collect();
    if targets.is_empty() {
        return Ok(());
    }
    let mut event = event.clone();
    for engineer in crate::actions::duty::rota::now_on_duty(app, db, now)
        .await?
        .into_iter()
        .filter_map(|o| o.engineer)
    {
        if !event.on_duty.iter().any(|e| e.id == engineer.id.get()) {
            event.on_duty.push(IdName {
                id: engineer.id.get(),
                name: engineer.name,
            });
        }
    }
    let event = &event;
    let payload = serde_json::to_string(event).map_err(|e| ActionError::Internal(e.to_string()))?;
    let Some(id) = deliveries::insert_event(
        db,
        &event.id,
        event.kind.as_str(),
        case,
        &payload,
        event.occurred_at,
    )
    .await?
    else {
        return Ok(());
    };
    for subscription in targets {
        deliveries::insert_delivery(db, subscription, id, deliveries::Start::Queued, now).await?;
    }
    let wake = app.outbound.wake.clone();
    db.after_commit(move || wake.notify_one());
    Ok(())
}
