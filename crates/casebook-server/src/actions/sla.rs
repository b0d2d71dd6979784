//! The SLA engine at work: the clocks of a case follow what happens to it, in the same
//! transaction as the change (opening starts initial response and resolution; a public staff
//! reply meets the initial response and restarts the update clock; waiting for the customer
//! pauses; closure meets resolution; cancellation cancels; a severity or channel change
//! recomputes from the recorded history). Escalation steps are durable rows, fired once by
//! [`sweep`], whatever the number of server processes.

use std::collections::HashMap;
use std::sync::Arc;

use casebook_domain::CaseNumber;
use casebook_domain::case::Case;
use casebook_domain::ids::{CaseId, OrganizationId, UserId};
use casebook_domain::policy::Permission;
use casebook_domain::policy::Role;
use casebook_domain::sla::clock::{self, ClockEvent, ClockEventKind, ClockState};
use casebook_domain::sla::plan::{Metric, Notify, Plan, PlanId, PlanSpec, Target};
use casebook_domain::sla::{BusinessCalendar, CalendarId};
use casebook_domain::{Channel, Named, Severity, Status, Tier, Timestamp};
use casebook_store::notifications::{self, NewNotification};
use casebook_store::sla::{self as store, StoredClock};
use casebook_store::users::{self as users_store, StaffGroup};
use casebook_store::{AuditActor, AuditEntry, Db, cases, plans};
use casebook_store::{Page, PageRequest};
use jiff::SignedDuration;
use serde::Serialize;
use utoipa::ToSchema;

use super::cases::visible_case;
use super::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::{Principal, require};

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
        .get_many(db, &super::plans::calendar_ids(&plan))
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

/// Who an escalation step reaches: the owner (or the coordinators), the tier's leads, or the
/// duty managers; managers when nobody holds that duty.
async fn recipients(
    db: &mut Db,
    notify: Notify,
    case: &SlaCase,
) -> ActionResult<Vec<casebook_domain::users::User>> {
    let found = match (notify, case.owner) {
        (Notify::Owner, Some(owner)) => users_store::get(db, owner)
            .await?
            .into_iter()
            .filter(|u| u.active)
            .collect(),
        (Notify::Owner, None) => {
            users_store::staff_of(db, StaffGroup::Role(Role::Coordinator)).await?
        }
        (Notify::TierLead, _) => {
            users_store::staff_of(db, StaffGroup::TierLeads(case.tier)).await?
        }
        (Notify::DutyManager, _) => users_store::staff_of(db, StaffGroup::DutyManagers).await?,
    };
    if found.is_empty() {
        return Ok(users_store::staff_of(db, StaffGroup::Role(Role::Manager)).await?);
    }
    Ok(found)
}

/// Fires the escalation steps that are due, each exactly once: notifications, mail in the
/// outbox, a `breached` entry on the clock at 100 %. Returns how many fired.
pub async fn sweep(app: &App, limit: i64) -> ActionResult<usize> {
    let now = app.clock.now();
    let due = {
        let mut db = app.store.read().await?;
        store::due_escalations(&mut db, now, limit).await?
    };
    let mut fired = 0;
    for step in due {
        let mut db = app.store.write().await?;
        if !store::claim_escalation(&mut db, step.id, now).await? {
            continue;
        }
        let Some(case) = cases::get(&mut db, step.case_id).await? else {
            continue;
        };
        let sla_case = SlaCase::from(&case);
        let (kind, what) = match step.percent {
            p if p < 100 => (
                "sla_warning",
                format!("{p} % of the {} target used", step.metric.as_str()),
            ),
            100 => (
                "sla_breach",
                format!("{} target breached", step.metric.as_str()),
            ),
            p => (
                "sla_escalation",
                format!("{} target exceeded: {p} % used", step.metric.as_str()),
            ),
        };
        let title = format!("{} {}: {what}", case.number, case.title);
        let body = format!(
            "Case {} (severity {}, {}) — {what}. Due at {}.",
            case.number,
            case.severity.level(),
            case.organization.name,
            step.due_at
        );
        for user in recipients(&mut db, step.notify, &sla_case).await? {
            let key = format!("sla:{}:{}", step.id, user.id);
            notifications::notify(
                &mut db,
                &NewNotification {
                    user: user.id,
                    case: Some(case.id),
                    kind,
                    title: &title,
                    body: &body,
                    dedupe_key: &key,
                },
                now,
            )
            .await?;
            let tz = app.config.time_zone();
            let due = step.due_at.to_zoned(tz).strftime("%Y-%m-%d %H:%M %Z");
            let sla = serde_json::json!({"metric": step.metric.as_str(), "percent": step.percent, "due_at": due.to_string()});
            let mail_key = format!("{key}:mail");
            super::case_mail::tell_staff(app, &mut db, &user, &case, kind, sla, &mail_key, now)
                .await?;
        }
        if step.percent >= 100 {
            let clocks = store::clocks_of_case(&mut db, case.id).await?;
            if let Some(mut c) = clocks.into_iter().find(|c| c.id == step.clock_id)
                && !c.events.iter().any(|e| e.kind == ClockEventKind::Breached)
            {
                store::add_event(&mut db, c.id, step.due_at, ClockEventKind::Breached, "").await?;
                c.breached = true;
                store::save_clock(&mut db, &c, now).await?;
            }
        }
        db.audit(AuditEntry::change(
            now,
            &AuditActor::system("sla"),
            "sla.escalate",
            "case",
            case.number,
            None,
            Some(&serde_json::json!({"metric": step.metric, "percent": step.percent, "notify": step.notify, "due_at": step.due_at})),
        ));
        db.commit().await?;
        fired += 1;
    }
    Ok(fired)
}

/// One clock of a case as shown to people.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClockView {
    /// What it measures.
    pub metric: Metric,
    /// 1 for the first; update intervals and reopened cases add cycles.
    pub cycle: i64,
    /// The calendar it runs on.
    pub calendar: CalendarId,
    /// The target.
    pub target: Target,
    /// Running, paused, met or cancelled.
    pub state: ClockState,
    /// When it started.
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    /// When the target is (or was) reached; absent while paused.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub deadline: Option<Timestamp>,
    /// Working minutes used.
    pub consumed_minutes: i64,
    /// Working minutes left (negative once breached).
    pub remaining_minutes: i64,
    /// Whether the target was passed.
    pub breached: bool,
    /// Its log, oldest first.
    pub events: Vec<ClockEvent>,
    /// Escalation steps that fired (staff only): `(percent, fired_at)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub escalations: Vec<FiredStep>,
}

/// An escalation step that fired.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FiredStep {
    /// Its index in the plan's escalation steps.
    pub step: i64,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub fired_at: Timestamp,
}

/// The SLA of a case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseSla {
    /// The plan its clocks follow (absent for cases opened before plans existed).
    pub plan: Option<PlanId>,
    /// Where the plan came from: `organization` or `default`.
    pub plan_source: Option<String>,
    /// Its clocks, by metric and cycle.
    pub clocks: Vec<ClockView>,
}

/// The clocks of a case the principal may see, with their logs.
pub async fn of_case(app: &App, who: &Principal, number: CaseNumber) -> ActionResult<CaseSla> {
    let now = app.clock.now();
    let mut db = app.store.read().await?;
    let case = visible_case(&mut db, who, number).await?;
    let plan = store::case_plan(&mut db, case.id).await?;
    let mut clocks = Vec::new();
    for c in store::clocks_of_case(&mut db, case.id).await? {
        let calendar = app.calendars.get(&mut db, &c.calendar).await?;
        let Some(status) = clock::evaluate(&calendar, c.target, &c.events, now) else {
            continue;
        };
        let escalations = if who.is_staff() {
            store::fired_steps(&mut db, c.id)
                .await?
                .into_iter()
                .map(|(step, fired_at)| FiredStep { step, fired_at })
                .collect()
        } else {
            Vec::new()
        };
        clocks.push(ClockView {
            metric: c.metric,
            cycle: c.cycle,
            calendar: c.calendar,
            target: c.target,
            state: status.state,
            started_at: c.started_at,
            deadline: status.deadline,
            consumed_minutes: status.consumed_secs / 60,
            remaining_minutes: (status.target_secs - status.consumed_secs) / 60,
            breached: status.breached || c.breached,
            events: c.events,
            escalations,
        });
    }
    let (plan, plan_source) = plan.unzip();
    Ok(CaseSla {
        plan,
        plan_source,
        clocks,
    })
}

/// A running clock in the urgency queue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueItem {
    /// The case.
    #[schema(value_type = String, example = "2026-00042")]
    pub number: CaseNumber,
    /// The metric.
    pub metric: Metric,
    /// Its deadline.
    #[schema(value_type = String, format = DateTime)]
    pub deadline: Timestamp,
    /// Minutes of real time until the deadline (negative when past).
    pub minutes_left: i64,
    /// Whether it passed its target.
    pub breached: bool,
}

/// How many running clocks are due within `within` from now or already breached, up to `cap`
/// (staff: the count of "breaching soon").
pub async fn due_count(
    app: &App,
    who: &Principal,
    within: SignedDuration,
    cap: i64,
) -> ActionResult<i64> {
    require(who, Permission::WorkCases)?;
    let mut db = app.store.read().await?;
    Ok(store::running_due_by(&mut db, app.clock.now() + within, cap).await?)
}

/// Running clocks of all cases, the nearest deadline first (staff: "breaching soon").
pub async fn queue(
    app: &App,
    who: &Principal,
    page: &PageRequest,
) -> ActionResult<Page<QueueItem>> {
    require(who, Permission::WorkCases)?;
    let now = app.clock.now();
    let mut db = app.store.read().await?;
    Ok(store::running_by_deadline(&mut db, page)
        .await?
        .map(|q| QueueItem {
            number: q.number,
            metric: q.metric,
            deadline: q.deadline,
            minutes_left: (q.deadline.as_second() - now.as_second()).div_euclid(60),
            breached: q.breached,
        }))
}
