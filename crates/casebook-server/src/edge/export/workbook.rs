//! XLSX of a table with `rust_xlsxwriter` in constant-memory mode: each worksheet's rows go to a
//! temporary file as they are written (the crate's own, in the system's temporary directory),
//! so memory does not grow with the rows; when the last row is in, the workbook is zipped
//! straight into the response. The format puts the worksheet inside a zip whose directory comes
//! last, so the first byte leaves only after the last row was read. Text is always a string
//! cell (never a formula); a sheet holds at most 1,048,576 rows, so more rows continue on
//! another sheet with the header again.

use std::io::Write;

use bytes::Bytes;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use tokio::sync::mpsc;

use crate::actions::reporting::exports::{Cell, Row};

/// The rows of one sheet, with its header.
const SHEET_ROWS: u32 = 1_048_576;
/// The longest text a cell holds.
const CELL_CHARS: usize = 32_767;

/// What the reading side sends the writing thread.
pub enum Message {
    /// More rows.
    Rows(Vec<Row>),
    /// No more rows: write the file.
    End,
}

/// Bytes of the file, to the response.
pub type Chunks = mpsc::Sender<std::io::Result<Bytes>>;

/// A `Write` that sends what it is given to the response, from a blocking thread.
struct ToResponse(Chunks);

impl Write for ToResponse {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(Bytes::copy_from_slice(buf)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Formats {
    header: Format,
    date: Format,
    time: Format,
    decimals: Vec<Format>,
}

impl Formats {
    fn new() -> Self {
        Formats {
            header: Format::new().set_bold(),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            time: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            decimals: (0..=6)
                .map(|scale| {
                    let pattern = if scale == 0 {
                        "0".to_owned()
                    } else {
                        format!("0.{}", "0".repeat(scale))
                    };
                    Format::new().set_num_format(pattern)
                })
                .collect(),
        }
    }
}

fn new_sheet<'w>(
    workbook: &'w mut Workbook,
    name: &str,
    number: u32,
    headers: &[String],
    formats: &Formats,
) -> Result<&'w mut Worksheet, XlsxError> {
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name(if number == 1 {
        name.to_owned()
    } else {
        format!("{name} {number}")
    })?;
    for (col, header) in headers.iter().enumerate() {
        let col = u16::try_from(col).map_err(|_| XlsxError::RowColumnLimitError)?;
        sheet.write_string_with_format(0, col, truncated(header), &formats.header)?;
        sheet.set_column_width(col, 16)?;
    }
    Ok(sheet)
}

fn truncated(text: &str) -> String {
    match text.char_indices().nth(CELL_CHARS) {
        Some((end, _)) => text[..end].to_owned(),
        None => text.to_owned(),
    }
}

fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    formats: &Formats,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => {}
        // A string cell whatever the text starts with: never a formula.
        Cell::Text(t) => {
            sheet.write_string(row, col, truncated(t))?;
        }
        Cell::Integer(n) => {
            sheet.write_number(row, col, *n as f64)?;
        }
        Cell::Decimal { units, scale } => {
            let value = *units as f64 / 10f64.powi(*scale as i32);
            let format = &formats.decimals[(*scale as usize).min(formats.decimals.len() - 1)];
            sheet.write_number_with_format(row, col, value, format)?;
        }
        Cell::Bool(b) => {
            sheet.write_boolean(row, col, *b)?;
        }
        Cell::Date(d) => {
            let date = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
            sheet.write_datetime_with_format(row, col, date, &formats.date)?;
        }
        Cell::Timestamp(t) => {
            let at = ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)?
                .and_hms(t.hour() as u16, t.minute() as u8, t.second() as f64)?;
            sheet.write_datetime_with_format(row, col, at, &formats.time)?;
        }
    }
    Ok(())
}

/// Writes the workbook from the rows received until `End`, then zips it into `out`. Runs on a
/// blocking thread. Rows that stop without `End` (the reading failed) write nothing.
pub fn write(
    name: &str,
    headers: &[String],
    mut rows: mpsc::Receiver<Message>,
    out: Chunks,
) -> Result<(), XlsxError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let mut number = 1;
    let mut sheet = new_sheet(&mut workbook, name, number, headers, &formats)?;
    let mut next = 1u32;
    loop {
        match rows.blocking_recv() {
            Some(Message::Rows(batch)) => {
                for row in batch {
                    if next == SHEET_ROWS {
                        number += 1;
                        sheet = new_sheet(&mut workbook, name, number, headers, &formats)?;
                        next = 1;
                    }
                    for (col, cell) in row.iter().enumerate() {
                        let col = u16::try_from(col).map_err(|_| XlsxError::RowColumnLimitError)?;
                        write_cell(sheet, next, col, cell, &formats)?;
                    }
                    next += 1;
                }
            }
            Some(Message::End) => break,
            None => {
                return Err(XlsxError::IoError(std::io::Error::other(
                    "the rows stopped before their end",
                )));
            }
        }
    }
    let out = std::io::BufWriter::with_capacity(64 * 1024, ToResponse(out));
    workbook.save_to_writer(out)
}
