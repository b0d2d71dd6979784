//! What the dashboard reads of SLA clocks and per-tier stretches: clocks counted per metric and
//! month in SQL (met, breached, running), the met response and resolution clocks with their
//! logs (their business time is computed from the log on the calendar), and the stretches at a
//! tier that ended in the period with the calendar of their case.

use casebook_domain::Tier;
use casebook_domain::Timestamp;
use casebook_domain::reporting::stats::Attainment;
use casebook_domain::sla::CalendarId;
use casebook_domain::sla::clock::ClockEvent;
use casebook_domain::sla::plan::{Metric, Target};
use casebook_domain::{Named, Severity};

use crate::dashboard::{ROW_CAP, Scope, bind_team, capped};
use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::rows::parse_column;
use crate::time::Ts;

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("dashboard {what}: {value}"))
}

/// `CASE WHEN col < $k THEN 0 WHEN col < $k+1 THEN 1 … END`: the index of the bucket whose end
/// is the first bound after the value.
fn bucket_of(column: &str, first_param: usize, bounds: usize) -> String {
    let arms: String = (0..bounds)
        .map(|i| format!(" WHEN {column} < ${} THEN {i}", first_param + i))
        .collect();
    format!("CAST(CASE{arms} ELSE {bounds} END AS BIGINT)")
}

/// Clocks started from `start` until `end`, per metric and bucket (`ends` are the buckets'
/// ends, ascending): met within target, breached (also a running clock past its deadline at
/// `now`), and running within target; cancelled clocks are left out.
pub async fn attainment(
    db: &mut Db,
    scope: &Scope<'_>,
    start: Timestamp,
    ends: &[Timestamp],
    now: Timestamp,
) -> StoreResult<Vec<(Metric, usize, Attainment)>> {
    let end = ends.last().copied().unwrap_or(start);
    let overdue = "(k.state = 'running' AND k.deadline IS NOT NULL AND k.deadline <= $3)";
    let sql = format!(
        "SELECT k.metric, {bucket} AS bucket,
            COUNT(*) FILTER (WHERE k.state = 'met' AND NOT k.breached) AS met,
            COUNT(*) FILTER (WHERE k.breached OR {overdue}) AS breached,
            COUNT(*) FILTER (WHERE k.state IN ('running', 'paused') AND NOT k.breached AND NOT {overdue}) AS running
         FROM sla_clocks k JOIN cases c ON c.id = k.case_id
         WHERE k.started_at >= $1 AND k.started_at < $2 AND k.state <> 'cancelled'{filter}
         GROUP BY 1, 2 ORDER BY 1, 2",
        bucket = bucket_of("k.started_at", 4, ends.len()),
        filter = scope.conditions(4 + ends.len()),
    );
    let rows: Vec<(String, i64, i64, i64, i64)> = on_db!(db, c => {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .persistent(false)
            .bind(Ts::new(start))
            .bind(Ts::new(end))
            .bind(Ts::new(now));
        for e in ends {
            q = q.bind(Ts::new(*e));
        }
        bind_team!(q, scope).fetch_all(c).await
    })?;
    rows.into_iter()
        .map(|(metric, bucket, met, breached, running)| {
            let metric = Metric::parse(&metric).ok_or_else(|| corrupt("metric", &metric))?;
            let attainment = Attainment {
                met,
                breached,
                running,
            };
            Ok((metric, usize::try_from(bucket).unwrap_or(0), attainment))
        })
        .collect()
}

/// A met clock with what its business time is computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct MetClock {
    /// What it measured.
    pub metric: Metric,
    /// The case's severity.
    pub severity: Severity,
    /// Its calendar.
    pub calendar: CalendarId,
    /// Its target.
    pub target: Target,
    /// Its log, oldest first.
    pub events: Vec<ClockEvent>,
}

#[derive(sqlx::FromRow)]
struct MetRow {
    id: i64,
    metric: String,
    severity: i64,
    calendar_id: String,
    target: String,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    clock_id: i64,
    at: Ts,
    kind: String,
}

/// The met first-response and resolution clocks started from `start` until `end`, with their
/// logs; `None` past [`ROW_CAP`] clocks or events.
pub async fn met_clocks(
    db: &mut Db,
    scope: &Scope<'_>,
    start: Timestamp,
    end: Timestamp,
) -> StoreResult<Option<Vec<MetClock>>> {
    let from = format!(
        "FROM sla_clocks k JOIN cases c ON c.id = k.case_id
         WHERE k.state = 'met' AND k.metric IN ('initial_response', 'resolution')
           AND k.started_at >= $1 AND k.started_at < $2{}",
        scope.conditions(3)
    );
    let clocks_sql = format!(
        "SELECT k.id, k.metric, c.severity, k.calendar_id, k.target {from} ORDER BY k.id LIMIT {}",
        ROW_CAP + 1
    );
    let rows: Vec<MetRow> = on_db!(db, c => bind_team!(sqlx::query_as(sqlx::AssertSqlSafe(clocks_sql.clone()))
        .persistent(false).bind(Ts::new(start)).bind(Ts::new(end)), scope).fetch_all(c).await)?;
    let Some(rows) = capped(rows) else {
        return Ok(None);
    };
    let events_sql = format!(
        "SELECT e.clock_id, e.at, e.kind FROM sla_clock_events e JOIN sla_clocks k ON k.id = e.clock_id
         JOIN cases c ON c.id = k.case_id
         WHERE k.state = 'met' AND k.metric IN ('initial_response', 'resolution')
           AND k.started_at >= $1 AND k.started_at < $2{}
         ORDER BY e.clock_id, e.id LIMIT {}",
        scope.conditions(3),
        ROW_CAP + 1
    );
    let events: Vec<EventRow> = on_db!(db, c => bind_team!(sqlx::query_as(sqlx::AssertSqlSafe(events_sql.clone()))
        .persistent(false).bind(Ts::new(start)).bind(Ts::new(end)), scope).fetch_all(c).await)?;
    let Some(events) = capped(events) else {
        return Ok(None);
    };
    let mut next = events.into_iter().peekable();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut log = Vec::new();
        while let Some(e) = next.next_if(|e| e.clock_id <= row.id) {
            if e.clock_id == row.id {
                let kind = serde_json::from_value(serde_json::Value::String(e.kind.clone()))
                    .map_err(|_| corrupt("clock event", &e.kind))?;
                log.push(ClockEvent { at: e.at.0, kind });
            }
        }
        out.push(MetClock {
            metric: Metric::parse(&row.metric).ok_or_else(|| corrupt("metric", &row.metric))?,
            severity: Severity::from_level(row.severity)
                .map_err(|_| corrupt("severity", &row.severity.to_string()))?,
            calendar: row
                .calendar_id
                .parse()
                .map_err(|_| corrupt("calendar", &row.calendar_id))?,
            target: serde_json::from_str(&row.target)
                .map_err(|_| corrupt("target", &row.target))?,
            events: log,
        });
    }
    Ok(Some(out))
}

/// A stretch at a tier that ended, with the calendar of its case's clocks (if it has any).
#[derive(Debug, Clone, PartialEq)]
pub struct TierStretch {
    /// The tier.
    pub tier: Tier,
    /// Started.
    pub started_at: Timestamp,
    /// Ended.
    pub ended_at: Timestamp,
    /// The calendar of the case's first clock.
    pub calendar: Option<CalendarId>,
}

#[derive(sqlx::FromRow)]
struct StretchRow {
    tier: String,
    started_at: Ts,
    ended_at: Ts,
    calendar_id: Option<String>,
}

/// The stretches at a tier that ended from `start` until `end`; `None` past [`ROW_CAP`].
pub async fn tier_stretches(
    db: &mut Db,
    scope: &Scope<'_>,
    start: Timestamp,
    end: Timestamp,
) -> StoreResult<Option<Vec<TierStretch>>> {
    let sql = format!(
        "SELECT s.tier, s.started_at, s.ended_at,
            (SELECT k.calendar_id FROM sla_clocks k WHERE k.case_id = s.case_id ORDER BY k.metric, k.cycle LIMIT 1) AS calendar_id
         FROM case_stages s JOIN cases c ON c.id = s.case_id
         WHERE s.kind = 'tier' AND s.ended_at >= $1 AND s.ended_at < $2{}
         ORDER BY s.id LIMIT {}",
        scope.conditions(3),
        ROW_CAP + 1
    );
    let rows: Vec<StretchRow> = on_db!(db, c => bind_team!(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .persistent(false).bind(Ts::new(start)).bind(Ts::new(end)), scope).fetch_all(c).await)?;
    let Some(rows) = capped(rows) else {
        return Ok(None);
    };
    rows.into_iter()
        .map(|r| {
            Ok(TierStretch {
                tier: parse_column("case_stages.tier", &r.tier, Tier::parse)?,
                started_at: r.started_at.0,
                ended_at: r.ended_at.0,
                calendar: r
                    .calendar_id
                    .map(|id| id.parse().map_err(|_| corrupt("calendar", &id)))
                    .transpose()?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()
        .map(Some)
}
