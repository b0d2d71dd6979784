//! Reporting: the managers' dashboard as plain tables. Every chart is a [`Table`] (a caption,
//! typed columns and rows of typed cells) that a page draws as SVG beside its numbers and an
//! export writes to CSV or XLSX unchanged. The arithmetic is here, pure: periods and their
//! sampling points and months on the desk's dates (`period`), percentiles and attainment
//! (`stats`), the backlog at each point from the cases' histories (`backlog`), the SVG drawing
//! of a table (`svg`). Time is always an argument.

pub mod backlog;
pub mod period;
pub mod stats;
pub mod svg;
pub mod table;

pub use period::{Filters, Period};
pub use table::{Cell, ChartKind, Column, Label, Shown, Table};
