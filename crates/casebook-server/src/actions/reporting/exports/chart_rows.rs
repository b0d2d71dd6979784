//! A dashboard chart's table as an export: the same rows the dashboard shows for the same
//! filters, words in the reader's language, counts as whole numbers, business or worked time
//! as hours with two decimals (the headings say hours), percentages with one decimal and mean
//! scores with two. A chart is small (its rows are capped by the dashboard), so it is one batch.

use std::future::Future;

use casebook_domain::reporting::{self, Label};
use futures_util::StreamExt;

use super::table::{Cell, Row, Table};
use crate::actions::ActionResult;
use crate::i18n::Lang;

/// A number rounded half away from zero to `scale` decimals, in units of `10^-scale`.
fn units(value: f64, scale: u32) -> i64 {
    (value * 10f64.powi(scale as i32)).round() as i64
}

fn cell(cell: &reporting::Cell, word: &dyn Fn(&Label) -> String) -> Cell {
    match cell {
        reporting::Cell::Label(l) => Cell::Text(word(l)),
        reporting::Cell::Count(n) => Cell::Integer(*n),
        // Hours with two decimals, rounded half up: 50 minutes are 0.83 h.
        reporting::Cell::Minutes(m) => Cell::Decimal {
            units: (m * 100 + 30).div_euclid(60),
            scale: 2,
        },
        reporting::Cell::Percent(p) => Cell::Decimal {
            units: units(*p, 1),
            scale: 1,
        },
        reporting::Cell::Score(s) => Cell::Decimal {
            units: units(*s, 2),
            scale: 2,
        },
        reporting::Cell::Empty => Cell::Empty,
    }
}

/// The chart's rows as one batch; `finish` runs once they are produced.
pub(super) fn table<F, FF>(chart: &reporting::Table, lang: Lang, finish: F) -> Table
where
    F: FnOnce(u64) -> FF + Send + 'static,
    FF: Future<Output = ActionResult<()>> + Send + 'static,
{
    let word = |l: &Label| match l {
        Label::Term(key) => lang.t(key),
        Label::Text(text) => text.clone(),
    };
    let headers = chart.columns.iter().map(|c| word(&c.label)).collect();
    let rows: Vec<Row> = chart
        .rows
        .iter()
        .map(|r| r.iter().map(|c| cell(c, &word)).collect())
        .collect();
    let count = rows.len() as u64;
    let batches = futures_util::stream::once(async move {
        finish(count).await?;
        Ok(rows)
    })
    .boxed();
    Table {
        name: format!("dashboard-{}", chart.id.replace('_', "-")),
        headers,
        batches,
    }
}
