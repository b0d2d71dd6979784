//! The work-entry export's rows (a time sheet): one per entry with its case, organisation,
//! person, day and start time, minutes and hours, activity, billable, contract, note and source.

use std::future::Future;

use casebook_store::exports::{self, WorkExportFilter, WorkExportRow};

use super::BATCH;
use super::table::{self, Batch, Cell, Row, Table, keyset};
use crate::actions::ActionResult;
use crate::app::AppState;
use crate::i18n::Lang;

fn headers(lang: Lang, tz: &str) -> Vec<String> {
    table::headers(
        lang,
        tz,
        &[
            "export-case-number",
            "export-title",
            "export-customer-number",
            "export-organization",
            "export-who",
            "export-day",
            "export-started@zone",
            "export-minutes",
            "export-hours",
            "export-activity",
            "export-billable",
            "export-contract",
            "export-note",
            "export-source",
        ],
    )
}

/// The work-entry table: batches read by key until the entries run out.
pub(super) fn table<F, FF>(app: AppState, filter: WorkExportFilter, lang: Lang, finish: F) -> Table
where
    F: FnOnce(u64) -> FF + Send + 'static,
    FF: Future<Output = ActionResult<()>> + Send + 'static,
{
    let headers = headers(lang, &app.config.timezone);
    let filter = std::sync::Arc::new(filter);
    let read = move |before: Option<i64>| {
        let app = app.clone();
        let filter = filter.clone();
        async move {
            let rows = {
                let mut db = app.store.read().await?;
                exports::work(&mut db, &filter, before, BATCH).await?
            };
            let next = (rows.len() as i64 == BATCH)
                .then(|| rows.last().map(|r| r.id))
                .flatten();
            let tz = app.config.time_zone();
            Ok(Batch {
                rows: rows.into_iter().map(|r| row(r, &tz)).collect(),
                next,
            })
        }
    };
    Table {
        name: "work".into(),
        headers,
        batches: keyset(read, finish),
    }
}

fn row(r: WorkExportRow, tz: &jiff::tz::TimeZone) -> Row {
    vec![
        Cell::Text(format!("{}-{:05}", r.year, r.seq)),
        Cell::Text(r.title),
        Cell::Text(r.customer_number),
        Cell::Text(r.organization_name),
        Cell::Text(r.user_name),
        r.worked_on
            .parse::<jiff::civil::Date>()
            .map_or_else(|_| Cell::Text(r.worked_on.clone()), Cell::Date),
        Cell::Timestamp(r.worked_at.0.to_zoned(tz.clone()).datetime()),
        Cell::Integer(r.minutes),
        // Hours with two decimals, rounded half up: 50 minutes are 0.83 h.
        Cell::Decimal {
            units: (r.minutes * 100 + 30) / 60,
            scale: 2,
        },
        Cell::Text(r.activity),
        Cell::Bool(r.billable),
        Cell::text(r.contract_number),
        Cell::Text(r.note),
        Cell::Text(r.source),
    ]
}
