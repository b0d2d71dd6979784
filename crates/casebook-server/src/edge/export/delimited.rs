//! CSV of a table, batch by batch: RFC 4180 with CRLF line ends, in UTF-8 behind a byte-order
//! mark or in GB18030, text that starts like a formula behind a single quote. Numbers are
//! written plainly, days as `YYYY-MM-DD`, times as `YYYY-MM-DD HH:MM:SS` (Excel reads both as
//! dates), yes/no as `true`/`false`.

use bytes::Bytes;

use super::guard::csv_text;
use crate::actions::reporting::exports::{Cell, Row};

/// The text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, the file starting with a byte-order mark.
    Utf8Bom,
    /// GB18030 (every Unicode character has a code; no mark).
    Gb18030,
}

/// A cell's text in a CSV field.
pub fn field(cell: &Cell) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    match cell {
        Cell::Empty => Cow::Borrowed(""),
        Cell::Text(t) => csv_text(t),
        Cell::Integer(n) => Cow::Owned(n.to_string()),
        Cell::Decimal { units, scale } => Cow::Owned(decimal(*units, *scale)),
        Cell::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Cell::Date(d) => Cow::Owned(d.to_string()),
        Cell::Timestamp(t) => Cow::Owned(t.strftime("%Y-%m-%d %H:%M:%S").to_string()),
    }
}

/// `units / 10^scale` written exactly, e.g. `(150, 2)` → `1.50`, `(-5, 2)` → `-0.05`.
pub fn decimal(units: i64, scale: u32) -> String {
    if scale == 0 {
        return units.to_string();
    }
    let factor = 10u64.pow(scale);
    let sign = if units < 0 { "-" } else { "" };
    let magnitude = units.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        magnitude / factor,
        magnitude % factor,
        width = scale as usize
    )
}

fn encode(text: String, encoding: Encoding) -> Bytes {
    match encoding {
        Encoding::Utf8Bom => Bytes::from(text),
        Encoding::Gb18030 => {
            let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
            Bytes::from(bytes.into_owned())
        }
    }
}

fn lines<'a, I>(rows: I) -> String
where
    I: IntoIterator<Item = Vec<std::borrow::Cow<'a, str>>>,
{
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        // Writing to a Vec cannot fail.
        let _ = writer.write_record(row.iter().map(|f| f.as_bytes()));
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// The start of the file: the byte-order mark (UTF-8) and the header line.
pub fn head(headers: &[String], encoding: Encoding) -> Bytes {
    let mut text = String::new();
    if encoding == Encoding::Utf8Bom {
        text.push('\u{feff}');
    }
    text.push_str(&lines([headers
        .iter()
        .map(|h| csv_text(h))
        .collect::<Vec<_>>()]));
    encode(text, encoding)
}

/// The lines of a batch of rows.
pub fn batch(rows: &[Row], encoding: Encoding) -> Bytes {
    encode(
        lines(rows.iter().map(|row| row.iter().map(field).collect())),
        encoding,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact() {
        assert_eq!(decimal(150, 2), "1.50");
        assert_eq!(decimal(83, 2), "0.83");
        assert_eq!(decimal(-5, 2), "-0.05");
        assert_eq!(decimal(7, 0), "7");
    }

    #[test]
    fn gb18030_has_no_mark_and_utf8_has_one() {
        let headers = vec!["标题".to_owned()];
        let utf8 = head(&headers, Encoding::Utf8Bom);
        assert!(utf8.starts_with(b"\xEF\xBB\xBF"));
        let gb = head(&headers, Encoding::Gb18030);
        assert_eq!(&gb[..], b"\xB1\xEA\xCC\xE2\r\n");
    }
}
