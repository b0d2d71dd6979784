//! `casebook import organizations|contacts|units|contracts FILE [--dry-run]`: reads a CSV file
//! (UTF-8, or GB18030 as Excel on zh-CN Windows saves it) or the first sheet of an XLSX workbook
//! and runs the import use case with a progress bar. Exit code 0 when everything was imported (or
//! would be, in a dry run), 1 with every problem listed by row and column.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use calamine::{Data, Reader};
use indicatif::{ProgressBar, ProgressStyle};

use crate::actions::imports::{self, Kind, Table};
use crate::app::App;
use crate::policy::Principal;

/// Upper bound of a file read (CSV or XLSX).
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Reads a table from a CSV or XLSX file.
pub fn read_table(path: &Path) -> anyhow::Result<Table> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    anyhow::ensure!(
        size <= MAX_FILE_BYTES,
        "{} is larger than 256 MB",
        path.display()
    );
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_lowercase();
    let mut table = match extension.as_str() {
        "xlsx" | "xlsm" | "xls" | "ods" => read_workbook(path)?,
        _ => read_csv(&std::fs::read(path)?)?,
    };
    table.headers = table
        .headers
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    // Spreadsheets often end with empty rows.
    table
        .rows
        .retain(|r| r.iter().any(|c| !c.trim().is_empty()));
    Ok(table)
}

/// CSV text: UTF-8 (with or without a byte-order mark) or GB18030.
pub fn read_csv(bytes: &[u8]) -> anyhow::Result<Table> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_owned(),
        Err(_) => {
            let (decoded, _, had_errors) = encoding_rs::GB18030.decode(bytes);
            anyhow::ensure!(!had_errors, "the file is neither UTF-8 nor GB18030 text");
            decoded.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .context("cannot read the header row")?
        .iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("row {}: not valid CSV", i + 2))?;
        rows.push(record.iter().map(str::to_owned).collect());
    }
    Ok(Table { headers, rows })
}

/// The first sheet of a workbook; dates become `YYYY-MM-DD`, whole numbers lose their `.0`.
fn read_workbook(path: &Path) -> anyhow::Result<Table> {
    let mut workbook = calamine::open_workbook_auto(path)
        .with_context(|| format!("cannot open {} as a workbook", path.display()))?;
    let range = workbook
        .worksheet_range_at(0)
        .context("the workbook has no sheet")??;
    let mut rows = range.rows().map(|r| r.iter().map(cell).collect::<Vec<_>>());
    let headers = rows.next().context("the sheet is empty")?;
    Ok(Table {
        headers,
        rows: rows.collect(),
    })
}

fn cell(data: &Data) -> String {
    match data {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => excel_date(d.as_f64()),
        Data::DateTimeIso(s) => s.chars().take(10).collect(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#ERROR {e:?}"),
    }
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`.
fn excel_date(serial: f64) -> String {
    let base = jiff::civil::date(1899, 12, 30);
    base.checked_add(jiff::Span::new().days(serial.floor() as i64))
        .map(|d| d.to_string())
        .unwrap_or_else(|_| serial.to_string())
}

/// Runs an import.
pub async fn run(
    app: std::sync::Arc<App>,
    kind: Kind,
    file: &Path,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let table = read_table(file)?;
    let bar = ProgressBar::new(table.rows.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let who = Principal::system("import");
    let report = imports::run(&app, &who, kind, &table, dry_run, &|done| {
        bar.set_position(done as u64)
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    if !report.problems.is_empty() {
        for p in &report.problems {
            eprintln!("row {}, {}: {}", p.row, p.field, p.message);
        }
        eprintln!(
            "{} problem(s) in {} row(s); nothing was imported",
            report.problems.len(),
            report.rows
        );
        return Ok(ExitCode::FAILURE);
    }
    if dry_run {
        println!(
            "dry run: {} row(s) would be imported; nothing was written",
            report.rows
        );
    } else {
        println!(
            "imported {} record(s) from {} row(s)",
            report.created, report.rows
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_in_utf8_with_bom_and_in_gb18030() {
        let utf8 = "\u{feff}customer_number,name\nCN-1,北京远景银行\n";
        let t = read_csv(utf8.as_bytes()).unwrap();
        assert_eq!(t.headers, ["customer_number", "name"]);
        assert_eq!(t.rows, [["CN-1", "北京远景银行"]]);
        let (gbk, _, _) = encoding_rs::GB18030.encode("customer_number,name\nCN-2,上海申通物流\n");
        let t = read_csv(&gbk).unwrap();
        assert_eq!(t.rows, [["CN-2", "上海申通物流"]]);
        assert!(
            read_csv(b"a,b\n\xff\xff,1\n").is_err(),
            "neither UTF-8 nor GB18030"
        );
    }

    #[test]
    fn excel_serial_dates() {
        assert_eq!(excel_date(46022.0), "2025-12-31");
        assert_eq!(excel_date(45658.5), "2025-01-01");
    }
}
