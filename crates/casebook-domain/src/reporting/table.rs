//! A chart's data as a plain table: what the page draws, the accessible table beside the
//! drawing, the API's JSON and an export's rows are all this one value. Words are message keys
//! (`severity-1`, `dashboard-col-met`) that the reader's language turns into text ([`Table::shown`]);
//! names of organisations, products and people and dates are data and stay as they are.

use serde::Serialize;
use utoipa::ToSchema;

/// How a table is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// One bar per row and plotted column, side by side (horizontal).
    Bar,
    /// One bar per row, the plotted columns stacked (horizontal).
    StackedBar,
    /// One line per plotted column, the rows along the horizontal axis.
    Line,
}

/// A word of a table: a message key in the reader's language, or text as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// A message key (`status-new`, `dashboard-col-open`).
    Term(String),
    /// Data shown as it is (a date, a month, a name).
    Text(String),
}

impl Label {
    /// A message key.
    pub fn term(key: impl Into<String>) -> Self {
        Label::Term(key.into())
    }

    /// Text shown as it is.
    pub fn text(text: impl Into<String>) -> Self {
        Label::Text(text.into())
    }
}

/// One column: its heading, and whether the chart draws it (a row's labels and derived figures
/// such as a percentage are in the table only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Column {
    /// The heading.
    pub label: Label,
    /// Whether the chart draws this column as a series.
    pub plotted: bool,
}

/// One cell, typed so that an export writes numbers as numbers.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cell {
    /// A word or a name.
    Label(Label),
    /// A count (cases, clocks, stretches).
    Count(i64),
    /// A duration in whole minutes (business or worked time).
    Minutes(i64),
    /// A percentage with one decimal.
    Percent(f64),
    /// A mean score (a survey's 1 to 5) with two decimals.
    Score(f64),
    /// No figure (a percentage of nothing).
    Empty,
}

impl Cell {
    /// The number a chart draws for this cell (minutes as hours).
    pub fn value(&self) -> Option<f64> {
        match *self {
            Cell::Count(n) => Some(n as f64),
            Cell::Minutes(m) => Some(m as f64 / 60.0),
            Cell::Percent(p) | Cell::Score(p) => Some(p),
            Cell::Label(_) | Cell::Empty => None,
        }
    }
}

/// A chart's data.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Table {
    /// Stable id of the chart (`backlog_by_severity`); its caption is the message
    /// `dashboard-chart-<id>` with `-` for `_`.
    pub id: String,
    /// How it is drawn.
    pub chart: ChartKind,
    /// The columns; the first are the row's labels.
    pub columns: Vec<Column>,
    /// The rows, each with one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

/// A cell as a reader sees it: its text, and the number a chart or a spreadsheet uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    /// The text (`12.5`, `66.7%`, `严重`).
    pub text: String,
    /// The number, if the cell is one (minutes as hours).
    pub value: Option<f64>,
}

impl Table {
    /// A table with labelled columns: `labels` are the row's label columns, `series` the
    /// plotted ones, `extra` the figures shown in the table only.
    pub fn new(
        id: &str,
        chart: ChartKind,
        labels: &[Label],
        series: &[Label],
        extra: &[Label],
    ) -> Self {
        let col = |plotted: bool| {
            move |l: &Label| Column {
                label: l.clone(),
                plotted,
            }
        };
        let columns = labels
            .iter()
            .map(col(false))
            .chain(series.iter().map(col(true)))
            .chain(extra.iter().map(col(false)))
            .collect();
        Table {
            id: id.to_owned(),
            chart,
            columns,
            rows: Vec::new(),
        }
    }

    /// The message key of the caption.
    pub fn caption_key(&self) -> String {
        format!("dashboard-chart-{}", self.id.replace('_', "-"))
    }

    /// How many columns label a row (those before the first numeric cell of the first row,
    /// or every unplotted column before the first plotted one).
    pub fn label_columns(&self) -> usize {
        self.columns.iter().take_while(|c| !c.plotted).count()
    }

    /// The caption, headings and cells in the reader's words; `word` turns a message key into
    /// text.
    pub fn shown(&self, word: &dyn Fn(&str) -> String) -> (String, Vec<String>, Vec<Vec<Shown>>) {
        let label = |l: &Label| match l {
            Label::Term(key) => word(key),
            Label::Text(text) => text.clone(),
        };
        let headings = self.columns.iter().map(|c| label(&c.label)).collect();
        let rows = self
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|cell| Shown {
                        text: match cell {
                            Cell::Label(l) => label(l),
                            Cell::Count(n) => n.to_string(),
                            Cell::Minutes(m) => crate::work::hours_text(*m),
                            Cell::Percent(p) => format!("{p:.1}%"),
                            Cell::Score(s) => format!("{s:.2}"),
                            Cell::Empty => "–".to_owned(),
                        },
                        value: cell.value(),
                    })
                    .collect()
            })
            .collect();
        (word(&self.caption_key()), headings, rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_shown_in_the_readers_words_with_their_numbers() {
        let mut t = Table::new(
            "sla_attainment",
            ChartKind::StackedBar,
            &[Label::term("dashboard-col-month")],
            &[Label::term("dashboard-col-met")],
            &[
                Label::term("dashboard-col-attainment"),
                Label::term("dashboard-col-mean-score"),
            ],
        );
        t.rows.push(vec![
            Cell::Label(Label::text("2026-11")),
            Cell::Minutes(90),
            Cell::Percent(66.666),
            Cell::Score(3.5),
        ]);
        let (caption, headings, rows) = t.shown(&|k| format!("<{k}>"));
        assert_eq!(caption, "<dashboard-chart-sla-attainment>");
        assert_eq!(headings[1], "<dashboard-col-met>");
        assert_eq!(rows[0][0].text, "2026-11");
        assert_eq!(
            (rows[0][1].text.as_str(), rows[0][1].value),
            ("1.5", Some(1.5))
        );
        assert_eq!(rows[0][2].text, "66.7%");
        assert_eq!(
            (rows[0][3].text.as_str(), rows[0][3].value),
            ("3.50", Some(3.5))
        );
        assert_eq!(t.label_columns(), 1);
        assert!(t.columns[1].plotted && !t.columns[2].plotted);
    }
}
