//! The SLA engine at work: the clocks of a case follow what happens to it, in the same
//! transaction as the change (opening starts initial response and resolution; a public staff
//! reply meets the initial response and restarts the update clock; waiting for the customer
//! pauses; closure meets resolution; cancellation cancels; a severity or channel change
//! recomputes from the recorded history; dispatching an on-site visit starts the on-site arrival
//! clock and the engineer's check-in meets it). Escalation steps are durable rows, fired once by
//! [`sweep`], whatever the number of server processes.

use std::collections::HashMap;
use std::sync::Arc;

use casebook_domain::case::Case;
use casebook_domain::ids::{CaseId, OrganizationId, UserId};
use casebook_domain::sla::clock::{self, ClockEvent, ClockEventKind, ClockState};
use casebook_domain::sla::plan::{Metric, Plan, PlanSpec};
use casebook_domain::sla::{BusinessCalendar, CalendarId};
use casebook_domain::{Channel, Named, Severity, Status, Tier, Timestamp};
use casebook_store::sla::{self as store, StoredClock};
use casebook_store::{Db, plans};

use crate::actions::{ActionError, ActionResult};
use crate::app::App;

mod sweep;
mod views;

pub use sweep::sweep;
pub use views::*;

/// What the clocks need to know of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SlaCase {
    pub id: CaseId,
    pub organization: OrganizationId,
    pub severity: Severity,
    pub channel: Channel,
    pub status: Status,
    pub tier: Tier,
    pub owner: Option<UserId>,
}

impl From<&Case> for SlaCase {
    fn from(c: &Case) -> Self {
        SlaCase {
            id: c.id,
            organization: c.organization.id,
            severity: c.severity,
            channel: c.channel,
            status: c.status,
            tier: c.tier.unwrap_or(Tier::Intake),
            owner: c.owner.as_ref().map(|o| o.id),
        }
    }
}

/// What happened to the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlaChange {
    /// Staff replied publicly.
    StaffPublicReply,
    /// Its status changed.
    Status { from: Status, to: Status },
    /// Its severity or channel changed.
    Terms,
    /// An on-site visit was dispatched: the on-site arrival clock starts (one of an earlier
    /// visit that has not arrived gives way).
    VisitDispatched,
    /// The engineer of a visit arrived, at this time.
    VisitArrived {
        /// The arrival.
        at: Timestamp,
    },
    /// A planned visit was called off.
    VisitCancelled,
}

fn is_active(c: &StoredClock) -> bool {
    matches!(c.state, ClockState::Running | ClockState::Paused)
}

/// The latest cycle of a metric.
fn latest(clocks: &[StoredClock], metric: Metric) -> Option<&StoredClock> {
    clocks
        .iter()
        .filter(|c| c.metric == metric)
        .max_by_key(|c| c.cycle)
}

/// The plan chosen when the case was opened.
async fn plan_of(db: &mut Db, case: &SlaCase) -> ActionResult<Option<Plan>> {
    match store::case_plan(db, case.id).await? {
        // Cases opened before SLA plans existed have no clocks.
        None => Ok(None),
        Some((id, _)) => Ok(plans::get(db, &id).await?),
    }
}

async fn start(
    db: &mut Db,
    spec: &PlanSpec,
    case: &SlaCase,
    metric: Metric,
    cycle: i64,
    at: Timestamp,
) -> ActionResult<()> {
    if let Some(terms) = spec.terms(case.severity, case.channel, metric) {
        let id = store::start_clock(
            db,
            case.id,
            metric,
            cycle,
            &terms.calendar,
            terms.target,
            at,
        )
        .await?;
        if spec.pauses(case.status) {
            store::add_event(db, id, at, ClockEventKind::Paused, "").await?;
        }
    }
    Ok(())
}

async fn end_active(
    db: &mut Db,
    clocks: &[StoredClock],
    metric: Option<Metric>,
    kind: ClockEventKind,
    at: Timestamp,
) -> ActionResult<()> {
    for c in clocks
        .iter()
        .filter(|c| is_active(c) && metric.is_none_or(|m| c.metric == m))
    {
        store::add_event(db, c.id, at, kind, "").await?;
    }
    Ok(())
}

/// The plan and compiled calendars for a new case, found on a read connection before the write
/// transaction, so the single SQLite writer is held only for the inserts.
pub(crate) struct Prepared {
    plan: Plan,
    source: &'static str,
    calendars: HashMap<CalendarId, Arc<BusinessCalendar>>,
}

/// Compiles the calendars of the plan chosen for a new case (by the entitlement check).
pub(crate) async fn prepare(
    app: &App,
    db: &mut Db,
    plan: Plan,
    source: &'static str,
) -> ActionResult<Prepared> {
    let calendars = app
        .calendars
        .get_many(db, &crate::actions::contracts::plans::calendar_ids(&plan))
        .await?;
    Ok(Prepared {
        plan,
        source,
        calendars,
    })
}

/// Starts the clocks of a new case (initial response and resolution) in the caller's
/// transaction: the plan choice, and per clock its row, log and escalation steps.
pub(crate) async fn start_new_case(
    db: &mut Db,
    prepared: &Prepared,
    case: &SlaCase,
    now: Timestamp,
) -> ActionResult<()> {
    let spec = &prepared.plan.spec;
    store::set_case_plan(db, case.id, &prepared.plan.id, prepared.source, now).await?;
    let mut new_clocks = Vec::with_capacity(2);
    for metric in [Metric::InitialResponse, Metric::Resolution] {
        let Some(terms) = spec.terms(case.severity, case.channel, metric) else {
            continue;
        };
        let Some(calendar) = prepared.calendars.get(&terms.calendar) else {
            return Err(ActionError::Unavailable(format!(
                "calendar {} is missing",
                terms.calendar
            )));
        };
        let mut events = vec![ClockEvent {
            at: now,
            kind: ClockEventKind::Started,
        }];
        if spec.pauses(case.status) {
            events.push(ClockEvent {
                at: now,
                kind: ClockEventKind::Paused,
            });
        }
        let Some(status) = clock::evaluate(calendar, terms.target, &events, now) else {
            continue;
        };
        let steps: store::Steps = spec
            .escalation
            .iter()
            .enumerate()
            .map(|(i, step)| {
                (
                    i as i64,
                    step.percent,
                    step.notify,
                    clock::due_at(calendar, terms.target, &events, step.percent),
                )
            })
            .collect();
        let new = StoredClock {
            id: 0,
            case_id: case.id,
            metric,
            cycle: 1,
            calendar: terms.calendar,
            target: terms.target,
            state: status.state,
            started_at: now,
            deadline: status.deadline,
            breached: status.breached,
            events,
        };
        new_clocks.push((new, steps));
    }
    store::insert_clocks(db, &new_clocks, now).await?;
    Ok(())
}

/// Follows a change of a case with its clocks, in the caller's transaction.
pub(crate) async fn apply(
    app: &App,
    db: &mut Db,
    case: &SlaCase,
    change: SlaChange,
    now: Timestamp,
) -> ActionResult<()> {
    let Some(plan) = plan_of(db, case).await? else {
        return Ok(());
    };
    let spec = &plan.spec;
    let clocks = store::clocks_of_case(db, case.id).await?;
    match change {
        SlaChange::StaffPublicReply => {
            end_active(
                db,
                &clocks,
                Some(Metric::InitialResponse),
                ClockEventKind::Met,
                now,
            )
            .await?;
            end_active(
                db,
                &clocks,
                Some(Metric::UpdateInterval),
                ClockEventKind::Met,
                now,
            )
            .await?;
            if !case.status.is_terminal() {
                let cycle = latest(&clocks, Metric::UpdateInterval).map_or(1, |c| c.cycle + 1);
                start(db, spec, case, Metric::UpdateInterval, cycle, now).await?;
            }
        }
        SlaChange::Status { from, to } => {
            if to == Status::Closed {
                end_active(
                    db,
                    &clocks,
                    Some(Metric::Resolution),
                    ClockEventKind::Met,
                    now,
                )
                .await?;
            }
            if to.is_terminal() {
                end_active(db, &clocks, None, ClockEventKind::Cancelled, now).await?;
            } else if from.is_terminal() {
                let cycle = latest(&clocks, Metric::Resolution).map_or(1, |c| c.cycle + 1);
                start(db, spec, case, Metric::Resolution, cycle, now).await?;
            } else if spec.pauses(to) && !spec.pauses(from) {
                for c in clocks.iter().filter(|c| c.state == ClockState::Running) {
                    store::add_event(db, c.id, now, ClockEventKind::Paused, to.as_str()).await?;
                }
            } else if !spec.pauses(to) && spec.pauses(from) {
                for c in clocks.iter().filter(|c| c.state == ClockState::Paused) {
                    store::add_event(db, c.id, now, ClockEventKind::Resumed, to.as_str()).await?;
                }
            }
        }
        SlaChange::VisitDispatched => {
            let onsite = Some(Metric::OnsiteArrival);
            end_active(db, &clocks, onsite, ClockEventKind::Cancelled, now).await?;
            let cycle = latest(&clocks, Metric::OnsiteArrival).map_or(1, |c| c.cycle + 1);
            start(db, spec, case, Metric::OnsiteArrival, cycle, now).await?;
        }
        SlaChange::VisitArrived { at } => {
            let onsite = Some(Metric::OnsiteArrival);
            end_active(db, &clocks, onsite, ClockEventKind::Met, at).await?;
        }
        SlaChange::VisitCancelled => {
            let onsite = Some(Metric::OnsiteArrival);
            end_active(db, &clocks, onsite, ClockEventKind::Cancelled, now).await?;
        }
        SlaChange::Terms => {
            for c in clocks.iter().filter(|c| is_active(c)) {
                match spec.terms(case.severity, case.channel, c.metric) {
                    Some(t) if t.calendar == c.calendar && t.target == c.target => {}
                    Some(_) => {
                        store::add_event(db, c.id, now, ClockEventKind::Recomputed, "").await?
                    }
                    None => {
                        store::add_event(db, c.id, now, ClockEventKind::Cancelled, "no target")
                            .await?
                    }
                }
            }
            // A metric the previous terms lacked starts now: the resolution of an open case, and
            // the initial response of a case nobody has started on.
            let unanswered = matches!(case.status, Status::New | Status::Assigned);
            for (metric, wanted) in [
                (Metric::InitialResponse, unanswered),
                (Metric::Resolution, !case.status.is_terminal()),
            ] {
                if wanted && latest(&clocks, metric).is_none() {
                    start(db, spec, case, metric, 1, now).await?;
                }
            }
        }
    }
    refresh(app, db, spec, case, now).await
}

/// Recomputes every clock of a case from its log and the plan's current terms, and schedules
/// the escalation steps of running clocks.
async fn refresh(
    app: &App,
    db: &mut Db,
    spec: &PlanSpec,
    case: &SlaCase,
    now: Timestamp,
) -> ActionResult<()> {
    for mut c in store::clocks_of_case(db, case.id).await? {
        if is_active(&c)
            && let Some(t) = spec.terms(case.severity, case.channel, c.metric)
        {
            c.calendar = t.calendar;
            c.target = t.target;
        }
        let calendar = app.calendars.get(db, &c.calendar).await?;
        let Some(status) = clock::evaluate(&calendar, c.target, &c.events, now) else {
            continue;
        };
        let dues: Vec<_> = spec
            .escalation
            .iter()
            .map(|step| clock::due_at(&calendar, c.target, &c.events, step.percent))
            .collect();
        c.state = status.state;
        c.deadline = status.deadline;
        c.breached = status.breached || c.events.iter().any(|e| e.kind == ClockEventKind::Breached);
        store::save_clock(db, &c, now).await?;
        for (i, (step, due)) in spec.escalation.iter().zip(dues).enumerate() {
            store::schedule_escalation(db, c.id, i as i64, step.percent, step.notify, due).await?;
        }
    }
    Ok(())
}
