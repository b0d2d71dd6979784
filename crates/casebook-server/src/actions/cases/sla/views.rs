//! The SLA as people see it: the clocks of one case with their logs and fired steps, and the
//! urgency queue of running clocks across cases, nearest deadline first.

use casebook_domain::CaseNumber;
use casebook_domain::Timestamp;
use casebook_domain::policy::Permission;
use casebook_domain::sla::CalendarId;
use casebook_domain::sla::clock::{self, ClockEvent, ClockState};
use casebook_domain::sla::plan::{Metric, PlanId, Target};
use casebook_store::sla::{self as store};
use casebook_store::{Page, PageRequest};
use jiff::SignedDuration;
use serde::Serialize;
use utoipa::ToSchema;

use crate::actions::ActionResult;
use crate::actions::cases::visible_case;
use crate::app::App;
use crate::policy::{Principal, require};

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
