//! The case export's rows: one per case, its fields, its time totals and, for each SLA metric,
//! the target, the state of its latest cycle, whether it was met or breached (breached if any
//! cycle was) and the business minutes that cycle used, evaluated on its calendar when the
//! export started.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;

use casebook_domain::ids::{CaseId, Id};
use casebook_domain::policy::CaseScope;
use casebook_domain::sla::clock::{self, ClockState};
use casebook_domain::sla::plan::{Metric, Target};
use casebook_domain::{Named, Timestamp};
use casebook_store::case_list::OwnerFilter;
use casebook_store::exports::{self, CaseExportRow, Period};
use casebook_store::sla::{self, StoredClock};

use super::table::{self, Batch, Cell, Row, Table, keyset};
use super::{BATCH, CaseExport};
use crate::actions::ActionResult;
use crate::app::AppState;
use crate::i18n::Lang;

/// The filters of a case export as the audit log keeps them.
pub(super) fn audited(export: &CaseExport) -> serde_json::Value {
    let f = &export.filter;
    fn names<T: Named>(v: &[T]) -> Option<String> {
        (!v.is_empty()).then(|| v.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(","))
    }
    let levels: Vec<String> = f.severities.iter().map(|s| s.level().to_string()).collect();
    serde_json::json!({
        "status": names(&f.statuses),
        "severity": (!levels.is_empty()).then(|| levels.join(",")),
        "tier": names(&f.tiers),
        "channel": names(&f.channels),
        "category": names(&f.categories),
        "organization": f.organization.map(|o| o.get()),
        "product": f.product.map(|p| p.get()),
        "owner": f.owner.map(|o| match o {
            OwnerFilter::User(u) => u.get().to_string(),
            OwnerFilter::Nobody => "none".to_owned(),
        }),
        "q": f.q,
        "from": export.opened.from.map(|d| d.to_string()),
        "to": export.opened.to.map(|d| d.to_string()),
    })
}

fn headers(lang: Lang, tz: &str) -> Vec<String> {
    let mut h = table::headers(
        lang,
        tz,
        &[
            "export-case-number",
            "export-title",
            "export-customer-number",
            "export-organization",
            "export-product",
            "export-product-version",
            "export-severity",
            "export-status",
            "export-tier",
            "export-channel",
            "export-category",
            "export-owner",
            "export-contact",
            "export-opened@zone",
            "export-closed@zone",
            "export-contract",
            "export-entitlement",
            "export-plan",
            "export-billable-minutes",
            "export-other-minutes",
        ],
    );
    for metric in Metric::ALL {
        let name = lang.t(&format!("metric-{}", metric.as_str()));
        for k in [
            "export-sla-target",
            "export-sla-state",
            "export-sla-result",
            "export-sla-minutes",
        ] {
            h.push(lang.t1(k, "metric", &name));
        }
    }
    h
}

/// The case table: batches read by key until the cases run out.
pub(super) fn table<F, FF>(
    app: AppState,
    scope: CaseScope,
    export: CaseExport,
    period: Period,
    finish: F,
) -> Table
where
    F: FnOnce(u64) -> FF + Send + 'static,
    FF: Future<Output = ActionResult<()>> + Send + 'static,
{
    let now = app.clock.now();
    let headers = headers(export.lang, &app.config.timezone);
    let filter = std::sync::Arc::new(export.filter);
    let read = move |before: Option<i64>| {
        let app = app.clone();
        let filter = filter.clone();
        async move { batch(&app, scope, &filter, period, before, now).await }
    };
    Table {
        name: "cases".into(),
        headers,
        batches: keyset(read, finish),
    }
}

async fn batch(
    app: &AppState,
    scope: CaseScope,
    filter: &casebook_store::case_list::CaseFilter,
    period: Period,
    before: Option<i64>,
    now: Timestamp,
) -> ActionResult<Batch> {
    let mut db = app.store.read().await?;
    let cases = exports::cases(&mut db, scope, filter, period, before, BATCH).await?;
    let ids: Vec<CaseId> = cases.iter().map(|c| Id::new(c.id)).collect();
    let clocks = sla::clocks_of_cases(&mut db, &ids).await?;
    let calendar_ids: Vec<_> = clocks
        .iter()
        .map(|c| c.calendar.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let calendars = app.calendars.get_many(&mut db, &calendar_ids).await?;
    drop(db);
    let mut by_case: HashMap<i64, Vec<StoredClock>> = HashMap::new();
    for c in clocks {
        by_case.entry(c.case_id.get()).or_default().push(c);
    }
    let tz = app.config.time_zone();
    let next = (cases.len() as i64 == BATCH)
        .then(|| cases.last().map(|c| c.id))
        .flatten();
    let rows = cases
        .into_iter()
        .map(|case| {
            let clocks = by_case.remove(&case.id).unwrap_or_default();
            row(case, &clocks, &calendars, &tz, now)
        })
        .collect();
    Ok(Batch { rows, next })
}

fn local(at: Timestamp, tz: &jiff::tz::TimeZone) -> Cell {
    Cell::Timestamp(at.to_zoned(tz.clone()).datetime())
}

fn row(
    case: CaseExportRow,
    clocks: &[StoredClock],
    calendars: &HashMap<
        casebook_domain::sla::CalendarId,
        std::sync::Arc<casebook_domain::sla::calendar::BusinessCalendar>,
    >,
    tz: &jiff::tz::TimeZone,
    now: Timestamp,
) -> Row {
    let mut row = vec![
        Cell::Text(format!("{}-{:05}", case.year, case.seq)),
        Cell::Text(case.title),
        Cell::Text(case.customer_number),
        Cell::Text(case.organization_name),
        Cell::text(case.product_name),
        Cell::text(case.product_version),
        Cell::Integer(case.severity),
        Cell::Text(case.status),
        Cell::Text(case.tier),
        Cell::Text(case.channel),
        Cell::Text(case.category),
        Cell::text(case.owner_name),
        Cell::text(case.contact_name),
        local(case.created_at.0, tz),
        case.closed_at.map_or(Cell::Empty, |t| local(t.0, tz)),
        Cell::text(case.contract_number),
        Cell::text(case.entitlement_outcome),
        Cell::text(case.plan_id),
        Cell::Integer(case.billable_minutes),
        Cell::Integer(case.other_minutes),
    ];
    for metric in Metric::ALL {
        let cycles: Vec<&StoredClock> = clocks.iter().filter(|c| c.metric == metric).collect();
        row.extend(metric_cells(&cycles, calendars, now));
    }
    row
}

/// Target, state, result and business minutes of one metric's cycles (empty without a clock).
fn metric_cells(
    cycles: &[&StoredClock],
    calendars: &HashMap<
        casebook_domain::sla::CalendarId,
        std::sync::Arc<casebook_domain::sla::calendar::BusinessCalendar>,
    >,
    now: Timestamp,
) -> [Cell; 4] {
    let Some(latest) = cycles.iter().max_by_key(|c| c.cycle) else {
        return [Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty];
    };
    let status = |c: &StoredClock| {
        calendars
            .get(&c.calendar)
            .and_then(|cal| clock::evaluate(cal, c.target, &c.events, now))
    };
    let breached = cycles
        .iter()
        .any(|c| c.breached || status(c).is_some_and(|s| s.breached));
    let latest_status = status(latest);
    let state = latest_status.map_or(latest.state, |s| s.state);
    let target = match latest.target {
        Target::Minutes(m) => Cell::Integer(i64::from(m)),
        Target::NextBusinessDay => Cell::Text("nbd".into()),
    };
    let result = if breached {
        Cell::Text("breached".into())
    } else if state == ClockState::Met {
        Cell::Text("met".into())
    } else {
        Cell::Empty
    };
    let state = Cell::Text(
        match state {
            ClockState::Running => "running",
            ClockState::Paused => "paused",
            ClockState::Met => "met",
            ClockState::Cancelled => "cancelled",
        }
        .into(),
    );
    let minutes = latest_status.map_or(Cell::Empty, |s| Cell::Integer(s.consumed_secs / 60));
    [target, state, result, minutes]
}
