//! The dashboard's charts of cases: the backlog over time by severity and by status, the volume
//! of new cases by channel, product and organisation, and each engineer's workload.

use casebook_domain::reporting::backlog::{self, open_statuses};
use casebook_domain::reporting::period::day_end;
use casebook_domain::reporting::{Cell, ChartKind, Label, Table};
use casebook_domain::{Named, Severity};
use casebook_store::dashboard::{self as store, VolumeBy};

use super::{Reading, too_many};
use crate::actions::ActionResult;

/// How many products or organisations a volume chart names; the rest are one row.
const TOP: usize = 10;

fn date_label() -> Label {
    Label::term("dashboard-col-date")
}

/// Open cases at the end of each day (or every seventh day) of the period, by the severity and
/// by the status each had then.
pub(super) async fn backlog(r: &mut Reading<'_>) -> ActionResult<Vec<Table>> {
    let points = r.filters.period.points();
    let instants: Vec<_> = points.iter().map(|d| day_end(*d, &r.tz)).collect();
    let (first, last) = (instants[0], instants[instants.len() - 1]);
    let scope = r.scope();
    let cases = store::backlog_histories(&mut r.db, &scope, first, last)
        .await?
        .ok_or_else(too_many)?;
    let counts = backlog::count(&cases, &instants);
    let severities: Vec<Label> = Severity::ALL
        .iter()
        .map(|s| Label::term(format!("severity-{}", s.level())))
        .collect();
    let statuses: Vec<Label> = open_statuses()
        .iter()
        .map(|s| Label::term(format!("status-{}", s.as_str())))
        .collect();
    let mut by_severity = Table::new(
        "backlog_by_severity",
        ChartKind::Line,
        &[date_label()],
        &severities,
        &[],
    );
    let mut by_status = Table::new(
        "backlog_by_status",
        ChartKind::Line,
        &[date_label()],
        &statuses,
        &[],
    );
    for (day, count) in points.iter().zip(&counts) {
        let date = Cell::Label(Label::text(day.to_string()));
        by_severity.rows.push(
            std::iter::once(date.clone())
                .chain(count.by_severity.iter().map(|n| Cell::Count(*n)))
                .collect(),
        );
        by_status.rows.push(
            std::iter::once(date)
                .chain(count.by_status.iter().map(|n| Cell::Count(*n)))
                .collect(),
        );
    }
    Ok(vec![by_severity, by_status])
}

/// Cases opened in the period by channel, product and organisation (the ten largest and the
/// rest).
pub(super) async fn volumes(r: &mut Reading<'_>) -> ActionResult<Vec<Table>> {
    let (start, end) = (r.filters.period.start(&r.tz), r.filters.period.end(&r.tz));
    let scope = r.scope();
    let mut out = Vec::new();
    for (id, by, label, none) in [
        (
            "volume_by_channel",
            VolumeBy::Channel,
            "dashboard-col-channel",
            "",
        ),
        (
            "volume_by_product",
            VolumeBy::Product,
            "dashboard-col-product",
            "dashboard-no-product",
        ),
        (
            "volume_by_organization",
            VolumeBy::Organization,
            "dashboard-col-organization",
            "",
        ),
    ] {
        let rows = store::volume(&mut r.db, &scope, by, start, end).await?;
        let mut table = Table::new(
            id,
            ChartKind::Bar,
            &[Label::term(label)],
            &[Label::term("dashboard-col-cases")],
            &[],
        );
        let name = |n: Option<String>| match (by, n) {
            (VolumeBy::Channel, Some(code)) => Label::term(format!("channel-{code}")),
            (_, Some(name)) => Label::text(name),
            (_, None) => Label::term(none),
        };
        let rest: i64 = rows.iter().skip(TOP).map(|(_, n)| n).sum();
        for (n, count) in rows.into_iter().take(TOP) {
            table
                .rows
                .push(vec![Cell::Label(name(n)), Cell::Count(count)]);
        }
        if rest > 0 {
            table.rows.push(vec![
                Cell::Label(Label::term("dashboard-other")),
                Cell::Count(rest),
            ]);
        }
        out.push(table);
    }
    Ok(out)
}

/// Each engineer's open cases now and the time they recorded on the period's days.
pub(super) async fn workload(r: &mut Reading<'_>) -> ActionResult<Vec<Table>> {
    let (from, to) = (
        r.filters.period.from().to_string(),
        r.filters.period.to().to_string(),
    );
    let scope = r.scope();
    let people = store::workload(&mut r.db, &scope, &from, &to).await?;
    let engineer = [Label::term("dashboard-col-engineer")];
    let mut open = Table::new(
        "workload_open_cases",
        ChartKind::Bar,
        &engineer,
        &[Label::term("dashboard-col-open-cases")],
        &[],
    );
    let mut worked = Table::new(
        "workload_hours",
        ChartKind::Bar,
        &engineer,
        &[Label::term("dashboard-col-hours-worked")],
        &[],
    );
    for p in people {
        let name = Cell::Label(Label::text(p.name));
        if p.open_cases > 0 {
            open.rows
                .push(vec![name.clone(), Cell::Count(p.open_cases)]);
        }
        if p.minutes > 0 {
            worked.rows.push(vec![name, Cell::Minutes(p.minutes)]);
        }
    }
    Ok(vec![open, worked])
}
