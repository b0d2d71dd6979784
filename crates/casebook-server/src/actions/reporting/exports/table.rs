//! A table to export, whatever it holds: a name, the column headers, and a stream of row
//! batches of typed cells. Each export source (cases, work entries; later survey answers and
//! the dashboard's tables) builds one `Table`; the writers in `edge::export` turn any table
//! into CSV or XLSX. `keyset` is the stream every source over a big table uses: one batch read
//! at a time, by key, on a read connection taken for that batch only.

use std::future::Future;

use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};

use crate::actions::ActionResult;

/// One cell. Text is written as text whatever it starts with (the writers neutralise formula
/// triggers); the other kinds are written as numbers, dates or times.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text.
    Text(String),
    /// A whole number.
    Integer(i64),
    /// A decimal number: `units / 10^scale` (e.g. hours `150 / 10^2` = 1.50), written exactly.
    Decimal {
        /// The value in units of `10^-scale`.
        units: i64,
        /// Digits after the point.
        scale: u32,
    },
    /// Yes or no.
    Bool(bool),
    /// A day.
    Date(jiff::civil::Date),
    /// A wall-clock time in the desk's time zone (the header names the zone).
    Timestamp(jiff::civil::DateTime),
}

impl Cell {
    /// Text, or empty when absent.
    pub fn text(value: Option<impl Into<String>>) -> Cell {
        value.map_or(Cell::Empty, |v| Cell::Text(v.into()))
    }
}

/// One row.
pub type Row = Vec<Cell>;

/// Headers from message keys, in `lang`; a key ending in `@zone` is worded with the desk's time
/// zone (`{ $zone }`), e.g. "Opened (Asia/Shanghai)".
pub fn headers(lang: crate::i18n::Lang, zone: &str, keys: &[&str]) -> Vec<String> {
    keys.iter()
        .map(|key| match key.strip_suffix("@zone") {
            Some(key) => lang.t1(key, "zone", zone),
            None => lang.t(key),
        })
        .collect()
}

/// Row batches in order; an error ends the export.
pub type Batches = BoxStream<'static, ActionResult<Vec<Row>>>;

/// A table to export.
pub struct Table {
    /// The stem of the file name and the worksheet's name, e.g. `cases`.
    pub name: String,
    /// The column headers, in the reader's language.
    pub headers: Vec<String>,
    /// The rows, batch by batch.
    pub batches: Batches,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("name", &self.name)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

/// A batch read by key: the rows and the key to continue below (absent: the last batch).
pub struct Batch {
    /// The rows.
    pub rows: Vec<Row>,
    /// The key of the last row read, when there may be more.
    pub next: Option<i64>,
}

/// Batches read by `read(before)` until one says there is no more; then `finish(rows)` runs
/// once with the number of rows produced (an export's closing audit entry). Each batch is a
/// fresh call, so nothing but one batch is held, and a dropped stream (a client that went away)
/// stops reading.
pub fn keyset<R, RF, F, FF>(read: R, finish: F) -> Batches
where
    R: FnMut(Option<i64>) -> RF + Send + 'static,
    RF: Future<Output = ActionResult<Batch>> + Send + 'static,
    F: FnOnce(u64) -> FF + Send + 'static,
    FF: Future<Output = ActionResult<()>> + Send + 'static,
{
    struct State<R, F> {
        read: R,
        finish: Option<F>,
        before: Option<i64>,
        rows: u64,
        done: bool,
    }
    let state = State {
        read,
        finish: Some(finish),
        before: None,
        rows: 0,
        done: false,
    };
    stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        let batch = match (s.read)(s.before).await {
            Ok(batch) => batch,
            Err(e) => {
                s.done = true;
                return Some((Err(e), s));
            }
        };
        s.rows += batch.rows.len() as u64;
        match batch.next {
            Some(next) => s.before = Some(next),
            None => {
                s.done = true;
                if let Some(finish) = s.finish.take()
                    && let Err(e) = finish(s.rows).await
                {
                    return Some((Err(e), s));
                }
            }
        }
        Some((Ok(batch.rows), s))
    })
    .boxed()
}
