//! The dashboard's charts of clocks: SLA attainment per metric and month, the business time to
//! the first response and to resolution per severity (median and 90th percentile), and the
//! business time of the stretches at each tier.

use std::collections::{BTreeMap, BTreeSet};

use casebook_domain::reporting::stats::{self, Attainment};
use casebook_domain::reporting::{Cell, ChartKind, Label, Table};
use casebook_domain::sla::CalendarId;
use casebook_domain::sla::china::CHINA_5X8;
use casebook_domain::sla::clock;
use casebook_domain::sla::plan::Metric;
use casebook_domain::{Named, Severity, Tier};
use casebook_store::dashboard_clocks as store;

use super::{Reading, too_many};
use crate::actions::ActionResult;

fn term(key: &str) -> Label {
    Label::term(key)
}

fn metric(m: Metric) -> Cell {
    Cell::Label(Label::term(format!("metric-{}", m.as_str())))
}

/// Clocks started in each month of the period per metric: met, breached, running, and the share
/// of the decided ones met.
pub(super) async fn attainment(r: &mut Reading<'_>) -> ActionResult<Table> {
    let months = r.filters.period.months(&r.tz);
    let ends: Vec<_> = months.iter().map(|m| m.end).collect();
    let scope = r.scope();
    let start = r.filters.period.start(&r.tz);
    let counts = store::attainment(&mut r.db, &scope, start, &ends, r.now).await?;
    let mut table = Table::new(
        "sla_attainment",
        ChartKind::StackedBar,
        &[term("dashboard-col-month"), term("dashboard-col-metric")],
        &[
            term("dashboard-col-met"),
            term("dashboard-col-breached"),
            term("dashboard-col-running"),
        ],
        &[term("dashboard-col-attainment")],
    );
    let found: BTreeMap<(usize, &str), Attainment> = counts
        .iter()
        .map(|(m, bucket, a)| ((*bucket, m.as_str()), *a))
        .collect();
    for (i, month) in months.iter().enumerate() {
        for m in Metric::ALL {
            let Some(a) = found.get(&(i, m.as_str())) else {
                continue;
            };
            table.rows.push(vec![
                Cell::Label(Label::text(month.label.clone())),
                metric(m),
                Cell::Count(a.met),
                Cell::Count(a.breached),
                Cell::Count(a.running),
                a.percent().map_or(Cell::Empty, Cell::Percent),
            ]);
        }
    }
    Ok(table)
}

/// The business time of the met first-response and resolution clocks started in the period,
/// per metric and severity: how many, the median and the 90th percentile.
pub(super) async fn response_times(r: &mut Reading<'_>) -> ActionResult<Table> {
    let scope = r.scope();
    let (start, end) = (r.filters.period.start(&r.tz), r.filters.period.end(&r.tz));
    let clocks = store::met_clocks(&mut r.db, &scope, start, end)
        .await?
        .ok_or_else(too_many)?;
    let ids: BTreeSet<_> = clocks.iter().map(|c| c.calendar.clone()).collect();
    let ids: Vec<_> = ids.into_iter().collect();
    let calendars = r.app.calendars.get_many(&mut r.db, &ids).await?;
    let mut seconds: BTreeMap<(&str, u8), Vec<i64>> = BTreeMap::new();
    for c in &clocks {
        let Some(calendar) = calendars.get(&c.calendar) else {
            continue;
        };
        if let Some(status) = clock::evaluate(calendar, c.target, &c.events, r.now) {
            seconds
                .entry((c.metric.as_str(), c.severity.level()))
                .or_default()
                .push(status.consumed_secs);
        }
    }
    let mut table = Table::new(
        "response_times",
        ChartKind::Bar,
        &[term("dashboard-col-metric"), term("dashboard-col-severity")],
        &[term("dashboard-col-median"), term("dashboard-col-p90")],
        &[term("dashboard-col-clocks")],
    );
    for m in [Metric::InitialResponse, Metric::Resolution] {
        for s in Severity::ALL {
            let Some(values) = seconds.get_mut(&(m.as_str(), s.level())) else {
                continue;
            };
            table.rows.push(vec![
                metric(m),
                Cell::Label(Label::term(format!("severity-{}", s.level()))),
                minutes(stats::percentile(values, 50)),
                minutes(stats::percentile(values, 90)),
                Cell::Count(values.len() as i64),
            ]);
        }
    }
    Ok(table)
}

fn minutes(seconds: Option<i64>) -> Cell {
    seconds.map_or(Cell::Empty, |s| Cell::Minutes(stats::minutes(s)))
}

/// The stretches at each tier that ended in the period: how many, the median and 90th
/// percentile of their business time, and its total (on the calendar of the case's clocks;
/// China 5×8 for a case without clocks).
pub(super) async fn time_at_tier(r: &mut Reading<'_>) -> ActionResult<Table> {
    let scope = r.scope();
    let (start, end) = (r.filters.period.start(&r.tz), r.filters.period.end(&r.tz));
    let stretches = store::tier_stretches(&mut r.db, &scope, start, end)
        .await?
        .ok_or_else(too_many)?;
    let default: CalendarId = CHINA_5X8.parse().expect("a valid calendar id");
    let ids: BTreeSet<_> = stretches
        .iter()
        .map(|s| s.calendar.clone().unwrap_or_else(|| default.clone()))
        .collect();
    let ids: Vec<_> = ids.into_iter().collect();
    let calendars = r.app.calendars.get_many(&mut r.db, &ids).await?;
    let mut seconds: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for s in &stretches {
        let Some(calendar) = calendars.get(s.calendar.as_ref().unwrap_or(&default)) else {
            continue;
        };
        seconds
            .entry(s.tier.as_str())
            .or_default()
            .push(calendar.elapsed(s.started_at, s.ended_at.max(s.started_at)));
    }
    let mut table = Table::new(
        "time_at_tier",
        ChartKind::Bar,
        &[term("dashboard-col-tier")],
        &[term("dashboard-col-median"), term("dashboard-col-p90")],
        &[term("dashboard-col-stretches"), term("dashboard-col-total")],
    );
    for tier in Tier::ALL {
        let Some(values) = seconds.get_mut(tier.as_str()) else {
            continue;
        };
        let total: i64 = values.iter().sum();
        table.rows.push(vec![
            Cell::Label(Label::term(format!("tier-{}", tier.as_str()))),
            minutes(stats::percentile(values, 50)),
            minutes(stats::percentile(values, 90)),
            Cell::Count(values.len() as i64),
            Cell::Minutes(stats::minutes(total)),
        ]);
    }
    Ok(table)
}
