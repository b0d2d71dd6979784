//! SLA clocks of cases: the plan chosen for a case, clocks with their event logs, and the
//! escalation jobs. An escalation is claimed with a conditional update in the transaction that
//! delivers it, so it fires once however many processes sweep.

use casebook_domain::CaseNumber;
use casebook_domain::Timestamp;
use casebook_domain::ids::{CaseId, Id};
use casebook_domain::sla::CalendarId;
use casebook_domain::sla::clock::{ClockEvent, ClockEventKind, ClockState};
use casebook_domain::sla::plan::{Metric, Notify, PlanId, Target};

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::page::{Page, PageRequest};
use crate::time::Ts;

/// A clock as stored, with its event log.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredClock {
    /// Row id.
    pub id: i64,
    /// The case.
    pub case_id: CaseId,
    /// What it measures.
    pub metric: Metric,
    /// 1 for the first clock of this metric; update intervals and reopened cases add cycles.
    pub cycle: i64,
    /// The calendar it runs on.
    pub calendar: CalendarId,
    /// The target.
    pub target: Target,
    /// Where it stands (cached from the log).
    pub state: ClockState,
    /// When it started.
    pub started_at: Timestamp,
    /// The deadline while running (cached for queues).
    pub deadline: Option<Timestamp>,
    /// Whether it passed its target.
    pub breached: bool,
    /// Its log, oldest first.
    pub events: Vec<ClockEvent>,
}

#[derive(sqlx::FromRow)]
struct ClockRow {
    id: i64,
    case_id: i64,
    metric: String,
    cycle: i64,
    calendar_id: String,
    target: String,
    state: String,
    started_at: Ts,
    deadline: Option<Ts>,
    breached: bool,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    clock_id: i64,
    at: Ts,
    kind: String,
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("SLA clock {what}: {value}"))
}

fn state_name(s: ClockState) -> &'static str {
    match s {
        ClockState::Running => "running",
        ClockState::Paused => "paused",
        ClockState::Met => "met",
        ClockState::Cancelled => "cancelled",
    }
}

fn parse_state(s: &str) -> StoreResult<ClockState> {
    serde_json::from_value(serde_json::Value::String(s.into())).map_err(|_| corrupt("state", s))
}

fn kind_name(k: ClockEventKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl ClockRow {
    fn into_clock(self, events: Vec<ClockEvent>) -> StoreResult<StoredClock> {
        Ok(StoredClock {
            id: self.id,
            case_id: Id::new(self.case_id),
            metric: Metric::parse(&self.metric).ok_or_else(|| corrupt("metric", &self.metric))?,
            cycle: self.cycle,
            calendar: self
                .calendar_id
                .parse()
                .map_err(|_| corrupt("calendar", &self.calendar_id))?,
            target: serde_json::from_str(&self.target)
                .map_err(|_| corrupt("target", &self.target))?,
            state: parse_state(&self.state)?,
            started_at: self.started_at.0,
            deadline: self.deadline.map(Into::into),
            breached: self.breached,
            events,
        })
    }
}

/// The plan chosen for a case and where it came from.
pub async fn case_plan(db: &mut Db, case: CaseId) -> StoreResult<Option<(PlanId, String)>> {
    let row: Option<(String, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT plan_id, source FROM case_sla WHERE case_id = $1")
        .bind(case.get()).fetch_optional(c).await)?;
    row.map(|(p, s)| Ok((p.parse().map_err(|_| corrupt("plan", &p))?, s)))
        .transpose()
}

/// Records the plan chosen for a case (replacing an earlier choice).
pub async fn set_case_plan(
    db: &mut Db,
    case: CaseId,
    plan: &PlanId,
    source: &str,
    now: Timestamp,
) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query(
        "INSERT INTO case_sla (case_id, plan_id, source, chosen_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (case_id) DO UPDATE SET plan_id = excluded.plan_id, source = excluded.source, chosen_at = excluded.chosen_at")
        .bind(case.get()).bind(plan.as_str()).bind(source).bind(Ts::new(now)).execute(c).await)?;
    Ok(())
}

/// Every clock of a case with its log, by metric and cycle.
pub async fn clocks_of_case(db: &mut Db, case: CaseId) -> StoreResult<Vec<StoredClock>> {
    let rows: Vec<ClockRow> = on_db!(db, c => sqlx::query_as(
        "SELECT id, case_id, metric, cycle, calendar_id, target, state, started_at, deadline, breached
         FROM sla_clocks WHERE case_id = $1 ORDER BY metric, cycle")
        .bind(case.get()).fetch_all(c).await)?;
    let events: Vec<EventRow> = on_db!(db, c => sqlx::query_as(
        "SELECT e.clock_id, e.at, e.kind FROM sla_clock_events e JOIN sla_clocks k ON k.id = e.clock_id
         WHERE k.case_id = $1 ORDER BY e.id")
        .bind(case.get()).fetch_all(c).await)?;
    rows.into_iter()
        .map(|row| {
            let log = events
                .iter()
                .filter(|e| e.clock_id == row.id)
                .map(|e| {
                    let kind = serde_json::from_value(serde_json::Value::String(e.kind.clone()))
                        .map_err(|_| corrupt("event", &e.kind))?;
                    Ok(ClockEvent { at: e.at.0, kind })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            row.into_clock(log)
        })
        .collect()
}

/// Every clock of several cases (an export's batch) with its logs, by case, metric and cycle:
/// two statements whatever the number of cases.
pub async fn clocks_of_cases(db: &mut Db, cases: &[CaseId]) -> StoreResult<Vec<StoredClock>> {
    if cases.is_empty() {
        return Ok(Vec::new());
    }
    // The ids are integers read from the database, written into the text as a list.
    let ids = cases
        .iter()
        .map(|c| c.get().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let clocks = format!(
        "SELECT id, case_id, metric, cycle, calendar_id, target, state, started_at, deadline, breached
         FROM sla_clocks WHERE case_id IN ({ids}) ORDER BY case_id, metric, cycle"
    );
    let rows: Vec<ClockRow> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(clocks.clone()))
        .persistent(false).fetch_all(c).await)?;
    let events = format!(
        "SELECT e.clock_id, e.at, e.kind FROM sla_clock_events e JOIN sla_clocks k ON k.id = e.clock_id
         WHERE k.case_id IN ({ids}) ORDER BY e.clock_id, e.id"
    );
    let events: Vec<EventRow> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(events.clone()))
        .persistent(false).fetch_all(c).await)?;
    let mut by_clock: std::collections::HashMap<i64, Vec<ClockEvent>> =
        std::collections::HashMap::new();
    for e in events {
        let kind = serde_json::from_value(serde_json::Value::String(e.kind.clone()))
            .map_err(|_| corrupt("event", &e.kind))?;
        by_clock
            .entry(e.clock_id)
            .or_default()
            .push(ClockEvent { at: e.at.0, kind });
    }
    rows.into_iter()
        .map(|row| {
            let log = by_clock.remove(&row.id).unwrap_or_default();
            row.into_clock(log)
        })
        .collect()
}

/// An escalation step of a clock to schedule: `(step, percent, notify, due_at)`.
pub type Step = (i64, u16, Notify, Option<Timestamp>);

/// Escalation steps of one clock to schedule.
pub type Steps = Vec<Step>;

fn notify_name(notify: Notify) -> String {
    serde_json::to_value(notify)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// `rows` groups of `cols` numbered placeholders: `($1, $2), ($3, $4)`.
fn placeholders(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=cols).map(|c| format!("${}", r * cols + c)).collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Inserts new clocks as computed (state, deadline), with their logs and escalation steps, in
/// three statements however many clocks; returns their ids in the order given.
pub async fn insert_clocks(
    db: &mut Db,
    clocks: &[(StoredClock, Steps)],
    now: Timestamp,
) -> StoreResult<Vec<i64>> {
    if clocks.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "INSERT INTO sla_clocks (case_id, metric, cycle, calendar_id, target, state, started_at, deadline, breached, updated_at)
         VALUES {} RETURNING id, metric, cycle",
        placeholders(clocks.len(), 10)
    );
    macro_rules! bind_clocks {
        ($q:expr) => {{
            let mut q = $q;
            for (clock, _) in clocks {
                q = q
                    .bind(clock.case_id.get())
                    .bind(clock.metric.as_str())
                    .bind(clock.cycle)
                    .bind(clock.calendar.as_str())
                    .bind(serde_json::to_string(&clock.target).expect("a target serialises"))
                    .bind(state_name(clock.state))
                    .bind(Ts::new(clock.started_at))
                    .bind(clock.deadline.map(Ts::new))
                    .bind(clock.breached)
                    .bind(Ts::new(now));
            }
            q
        }};
    }
    let rows: Vec<(i64, String, i64)> = on_db!(db, c =>
        bind_clocks!(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))).fetch_all(c).await)?;
    // RETURNING promises no order: match the rows by metric and cycle.
    let ids = clocks
        .iter()
        .map(|(clock, _)| {
            rows.iter()
                .find(|(_, m, cycle)| m == clock.metric.as_str() && *cycle == clock.cycle)
                .map(|(id, _, _)| *id)
                .ok_or_else(|| corrupt("insert", "a new clock was not returned"))
        })
        .collect::<StoreResult<Vec<i64>>>()?;
    let events: Vec<(i64, &ClockEvent)> = ids
        .iter()
        .zip(clocks)
        .flat_map(|(id, (clock, _))| clock.events.iter().map(move |e| (*id, e)))
        .collect();
    if !events.is_empty() {
        let sql = format!(
            "INSERT INTO sla_clock_events (clock_id, at, kind, note) VALUES {}",
            placeholders(events.len(), 4)
        );
        macro_rules! bind_events {
            ($q:expr) => {{
                let mut q = $q;
                for (id, e) in &events {
                    q = q
                        .bind(*id)
                        .bind(Ts::new(e.at))
                        .bind(kind_name(e.kind))
                        .bind("");
                }
                q
            }};
        }
        exec_db!(db, c => bind_events!(sqlx::query(sqlx::AssertSqlSafe(sql.clone()))).execute(c).await)?;
    }
    let steps: Vec<(i64, &Step)> = ids
        .iter()
        .zip(clocks)
        .flat_map(|(id, (_, steps))| steps.iter().map(move |s| (*id, s)))
        .collect();
    if !steps.is_empty() {
        let sql = format!(
            "INSERT INTO sla_escalations (clock_id, step, percent, notify, due_at) VALUES {}",
            placeholders(steps.len(), 5)
        );
        macro_rules! bind_steps {
            ($q:expr) => {{
                let mut q = $q;
                for (id, (step, percent, notify, due)) in &steps {
                    q = q
                        .bind(*id)
                        .bind(*step)
                        .bind(i64::from(*percent))
                        .bind(notify_name(*notify))
                        .bind(due.map(Ts::new));
                }
                q
            }};
        }
        exec_db!(db, c => bind_steps!(sqlx::query(sqlx::AssertSqlSafe(sql.clone()))).execute(c).await)?;
    }
    Ok(ids)
}

/// Starts a clock: inserts it with its `started` event; returns its id.
pub async fn start_clock(
    db: &mut Db,
    case: CaseId,
    metric: Metric,
    cycle: i64,
    calendar: &CalendarId,
    target: Target,
    at: Timestamp,
) -> StoreResult<i64> {
    let target = serde_json::to_string(&target).expect("a target serialises");
    let (id,): (i64,) = on_db!(db, c => sqlx::query_as(
        "INSERT INTO sla_clocks (case_id, metric, cycle, calendar_id, target, state, started_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'running', $6, $6) RETURNING id")
        .bind(case.get()).bind(metric.as_str()).bind(cycle).bind(calendar.as_str()).bind(&target)
        .bind(Ts::new(at)).fetch_one(c).await)?;
    add_event(db, id, at, ClockEventKind::Started, "").await?;
    Ok(id)
}

/// Appends to a clock's log.
pub async fn add_event(
    db: &mut Db,
    clock: i64,
    at: Timestamp,
    kind: ClockEventKind,
    note: &str,
) -> StoreResult<()> {
    exec_db!(db, c => sqlx::query("INSERT INTO sla_clock_events (clock_id, at, kind, note) VALUES ($1, $2, $3, $4)")
        .bind(clock).bind(Ts::new(at)).bind(kind_name(kind)).bind(note).execute(c).await)?;
    Ok(())
}

/// Stores what was computed for a clock: its terms, state, deadline and breach.
pub async fn save_clock(db: &mut Db, clock: &StoredClock, now: Timestamp) -> StoreResult<()> {
    let target = serde_json::to_string(&clock.target).expect("a target serialises");
    exec_db!(db, c => sqlx::query(
        "UPDATE sla_clocks SET calendar_id = $1, target = $2, state = $3, deadline = $4, breached = $5, updated_at = $6
         WHERE id = $7")
        .bind(clock.calendar.as_str()).bind(&target).bind(state_name(clock.state))
        .bind(clock.deadline.map(Ts::new)).bind(clock.breached).bind(Ts::new(now)).bind(clock.id)
        .execute(c).await)?;
    Ok(())
}

/// Sets when an escalation step of a clock is due (`None`: not while paused or ended); a step
/// that has fired is left as it is.
pub async fn schedule_escalation(
    db: &mut Db,
    clock: i64,
    step: i64,
    percent: u16,
    notify: Notify,
    due_at: Option<Timestamp>,
) -> StoreResult<()> {
    let notify = serde_json::to_value(notify)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    exec_db!(db, c => sqlx::query(
        "INSERT INTO sla_escalations (clock_id, step, percent, notify, due_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (clock_id, step) DO UPDATE SET percent = excluded.percent, notify = excluded.notify,
             due_at = excluded.due_at
         WHERE sla_escalations.fired_at IS NULL")
        .bind(clock).bind(step).bind(i64::from(percent)).bind(&notify).bind(due_at.map(Ts::new))
        .execute(c).await)?;
    Ok(())
}

/// An escalation step that is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueEscalation {
    /// Row id.
    pub id: i64,
    /// The clock.
    pub clock_id: i64,
    /// Its metric.
    pub metric: Metric,
    /// The case.
    pub case_id: CaseId,
    /// Share of the target.
    pub percent: u16,
    /// Who to tell.
    pub notify: Notify,
    /// When it became due.
    pub due_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct DueRow {
    id: i64,
    clock_id: i64,
    metric: String,
    case_id: i64,
    percent: i64,
    notify: String,
    due_at: Ts,
}

/// Escalation steps due at `now` that have not fired, oldest first.
pub async fn due_escalations(
    db: &mut Db,
    now: Timestamp,
    limit: i64,
) -> StoreResult<Vec<DueEscalation>> {
    let rows: Vec<DueRow> = on_db!(db, c => sqlx::query_as(
        "SELECT s.id, s.clock_id, k.metric, k.case_id, s.percent, s.notify, s.due_at
         FROM sla_escalations s JOIN sla_clocks k ON k.id = s.clock_id
         WHERE s.fired_at IS NULL AND s.due_at IS NOT NULL AND s.due_at <= $1
         ORDER BY s.due_at, s.id LIMIT $2").persistent(false)
        .bind(Ts::new(now)).bind(limit).fetch_all(c).await)?;
    rows.into_iter()
        .map(|r| {
            Ok(DueEscalation {
                id: r.id,
                clock_id: r.clock_id,
                metric: Metric::parse(&r.metric).ok_or_else(|| corrupt("metric", &r.metric))?,
                case_id: Id::new(r.case_id),
                percent: u16::try_from(r.percent)
                    .map_err(|_| corrupt("percent", &r.percent.to_string()))?,
                notify: serde_json::from_value(serde_json::Value::String(r.notify.clone()))
                    .map_err(|_| corrupt("notify", &r.notify))?,
                due_at: r.due_at.0,
            })
        })
        .collect()
}

/// Claims a due escalation for this transaction: true if it had not fired. A second process
/// claiming the same step waits for the first to commit and then gets false.
pub async fn claim_escalation(db: &mut Db, id: i64, now: Timestamp) -> StoreResult<bool> {
    let n = exec_db!(db, c => sqlx::query(
        "UPDATE sla_escalations SET fired_at = $1 WHERE id = $2 AND fired_at IS NULL")
        .bind(Ts::new(now)).bind(id).execute(c).await)?;
    Ok(n == 1)
}

/// Which escalation steps of a clock fired, and when.
pub async fn fired_steps(db: &mut Db, clock: i64) -> StoreResult<Vec<(i64, Timestamp)>> {
    let rows: Vec<(i64, Ts)> = on_db!(db, c => sqlx::query_as(
        "SELECT step, fired_at FROM sla_escalations WHERE clock_id = $1 AND fired_at IS NOT NULL ORDER BY step")
        .bind(clock).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(s, t)| (s, t.0)).collect())
}

/// A running clock in a queue ordered by deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedClock {
    /// Row id.
    pub clock_id: i64,
    /// The case's number.
    pub number: CaseNumber,
    /// The metric.
    pub metric: Metric,
    /// Its deadline.
    pub deadline: Timestamp,
    /// Whether it passed the target.
    pub breached: bool,
}

/// Running clocks by nearest deadline (the most urgent first), paginated by key.
pub async fn running_by_deadline(
    db: &mut Db,
    page: &PageRequest,
) -> StoreResult<Page<QueuedClock>> {
    let after: Option<(i64, i64)> = page.key()?;
    let (after_ms, after_id) = after.unzip();
    let after_at = after_ms
        .and_then(|ms| Timestamp::from_millisecond(ms).ok())
        .map(Ts::new);
    let rows: Vec<(i64, i64, i64, String, Ts, bool)> = on_db!(db, c => sqlx::query_as(
        "SELECT k.id, c.year, c.seq, k.metric, k.deadline, k.breached
         FROM sla_clocks k JOIN cases c ON c.id = k.case_id
         WHERE k.state = 'running' AND k.deadline IS NOT NULL
           AND ($1 IS NULL OR k.deadline > $1 OR (k.deadline = $1 AND k.id > $2))
         ORDER BY k.deadline, k.id LIMIT $3").persistent(false)
        .bind(after_at).bind(after_id).bind(page.fetch_limit()).fetch_all(c).await)?;
    let items = rows
        .into_iter()
        .map(|(id, year, seq, metric, deadline, breached)| {
            Ok(QueuedClock {
                clock_id: id,
                number: i16::try_from(year)
                    .ok()
                    .and_then(|y| CaseNumber::new(y, seq).ok())
                    .ok_or_else(|| corrupt("case number", &format!("{year}-{seq}")))?,
                metric: Metric::parse(&metric).ok_or_else(|| corrupt("metric", &metric))?,
                deadline: deadline.0,
                breached,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_rows(items, page, |q| {
        (q.deadline.as_millisecond(), q.clock_id)
    }))
}

/// How many running clocks reach their deadline by `until` (breached ones included), up to
/// `cap`: the count of the console's "breaching soon" queue.
pub async fn running_due_by(db: &mut Db, until: Timestamp, cap: i64) -> StoreResult<i64> {
    let count: i64 = on_db!(db, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM sla_clocks
             WHERE state = 'running' AND deadline IS NOT NULL AND deadline <= $1 LIMIT $2) AS t").persistent(false)
        .bind(Ts::new(until)).bind(cap).fetch_one(c).await)?;
    Ok(count)
}
