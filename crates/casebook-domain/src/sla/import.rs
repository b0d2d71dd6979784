//! Importing a year's holidays and make-up working days from an iCalendar (.ics) file, a JSON
//! list or a CSV list, with every broken line named; and the difference an import makes, shown
//! before it is applied.
//!
//! - JSON: an array of exceptions as in the calendar API
//!   (`{"date", "until"?, "kind", "name", "hours"?}`).
//! - CSV: `date,until,kind,name,hours` per line (UTF-8; a header line starting with `date` and
//!   `#` comments are skipped; `until` and `hours` may be empty; `hours` are intervals separated by
//!   spaces, e.g. `08:30-12:00 13:00-17:00`).
//! - iCalendar: all-day `VEVENT`s (`DTSTART;VALUE=DATE`, `DTEND` exclusive, `SUMMARY`). An event
//!   whose summary marks a working day (`班`, `补班`, `上班`, `workday`, `make-up`) is a make-up
//!   working day with the standard hours; every other event is a holiday.

use std::collections::BTreeSet;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::hours::{Exception, ExceptionKind, Interval};
use crate::error::FieldError;

/// The format of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    /// iCalendar (RFC 5545).
    Ics,
    /// A JSON array of exceptions.
    Json,
    /// Comma-separated lines.
    Csv,
}

fn line_error(line: usize, field: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(format!("line {line}: {field}"), "invalid", message)
}

/// Parses an import file into exceptions; any broken line refuses the whole file.
pub fn parse(format: ImportFormat, content: &str) -> Result<Vec<Exception>, Vec<FieldError>> {
    let parsed = match format {
        ImportFormat::Json => parse_json(content),
        ImportFormat::Csv => parse_csv(content),
        ImportFormat::Ics => parse_ics(content),
    }?;
    if parsed.is_empty() {
        return Err(vec![FieldError::new(
            "content",
            "empty",
            "the file holds no holidays or working days",
        )]);
    }
    Ok(parsed)
}

fn parse_json(content: &str) -> Result<Vec<Exception>, Vec<FieldError>> {
    let de = &mut serde_json::Deserializer::from_str(content);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let line = e.inner().line();
        vec![line_error(
            line,
            &e.path().to_string(),
            e.inner().to_string(),
        )]
    })
}

fn parse_date(s: &str) -> Result<Date, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("`{}` is not a date like 2026-10-01", s.trim()))
}

fn parse_kind(s: &str) -> Result<ExceptionKind, String> {
    match s.trim() {
        "holiday" => Ok(ExceptionKind::Holiday),
        "workday" => Ok(ExceptionKind::Workday),
        "special_hours" => Ok(ExceptionKind::SpecialHours),
        other => Err(format!(
            "`{other}` is not holiday, workday or special_hours"
        )),
    }
}

fn parse_csv(content: &str) -> Result<Vec<Exception>, Vec<FieldError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in content.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') || (n == 1 && line.starts_with("date")) {
            continue;
        }
        let cols: Vec<&str> = line.split(',').collect();
        if cols.len() < 4 || cols.len() > 5 {
            errors.push(line_error(
                n,
                "columns",
                format!(
                    "expected date,until,kind,name,hours; found {} columns",
                    cols.len()
                ),
            ));
            continue;
        }
        let date = parse_date(cols[0]).map_err(|m| line_error(n, "date", m));
        let until = match cols[1].trim() {
            "" => Ok(None),
            s => parse_date(s)
                .map(Some)
                .map_err(|m| line_error(n, "until", m)),
        };
        let kind = parse_kind(cols[2]).map_err(|m| line_error(n, "kind", m));
        let hours: Result<Vec<Interval>, FieldError> = cols
            .get(4)
            .map_or("", |h| h.trim())
            .split_whitespace()
            .map(|h| h.parse::<Interval>().map_err(|m| line_error(n, "hours", m)))
            .collect();
        match (date, until, kind, hours) {
            (Ok(date), Ok(until), Ok(kind), Ok(hours)) => out.push(Exception {
                date,
                until,
                kind,
                name: cols[3].trim().to_owned(),
                hours,
            }),
            (d, u, k, h) => {
                errors.extend([d.err(), u.err(), k.err(), h.err()].into_iter().flatten())
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Lines of an iCalendar file with folded lines joined, each with its first line number.
fn unfold(content: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (i, line) in content.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if let Some(rest) = line.strip_prefix([' ', '\t'])
            && let Some(last) = out.last_mut()
        {
            last.1.push_str(rest);
        } else {
            out.push((i + 1, line.trim_start_matches('\u{feff}').to_owned()));
        }
    }
    out
}

fn ics_date(value: &str) -> Result<Date, String> {
    let v = value.trim();
    let digits = v.get(..8).filter(|d| d.bytes().all(|b| b.is_ascii_digit()));
    let Some(d) = digits else {
        return Err(format!("`{v}` is not a date like 20261001"));
    };
    format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..8])
        .parse()
        .map_err(|_| format!("`{v}` is not a valid date"))
}

fn unescape(text: &str) -> String {
    text.replace("\\n", " ")
        .replace("\\N", " ")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\")
}

fn is_workday_summary(summary: &str) -> bool {
    let lower = summary.to_lowercase();
    ["班", "workday", "working day", "make-up", "makeup"]
        .iter()
        .any(|m| lower.contains(m))
}

fn parse_ics(content: &str) -> Result<Vec<Exception>, Vec<FieldError>> {
    let lines = unfold(content);
    if !lines
        .iter()
        .any(|(_, l)| l.eq_ignore_ascii_case("BEGIN:VCALENDAR"))
    {
        return Err(vec![line_error(
            1,
            "BEGIN",
            "not an iCalendar file: BEGIN:VCALENDAR is missing",
        )]);
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut event: Option<(usize, Option<Date>, Option<Date>, String)> = None;
    for (n, line) in lines {
        let (key, value) = line.split_once(':').unwrap_or((line.as_str(), ""));
        let name = key.split(';').next().unwrap_or("").to_ascii_uppercase();
        match (name.as_str(), &mut event) {
            ("BEGIN", None) if value.eq_ignore_ascii_case("VEVENT") => {
                event = Some((n, None, None, String::new()))
            }
            ("DTSTART", Some(ev)) => match ics_date(value) {
                Ok(d) => ev.1 = Some(d),
                Err(m) => errors.push(line_error(n, "DTSTART", m)),
            },
            ("DTEND", Some(ev)) => match ics_date(value) {
                Ok(d) => ev.2 = Some(d),
                Err(m) => errors.push(line_error(n, "DTEND", m)),
            },
            ("SUMMARY", Some(ev)) => ev.3 = unescape(value).trim().to_owned(),
            ("END", Some(_)) if value.eq_ignore_ascii_case("VEVENT") => {
                let Some((start_line, start, end, summary)) = event.take() else {
                    continue;
                };
                let Some(date) = start else {
                    errors.push(line_error(
                        start_line,
                        "DTSTART",
                        "the event has no start date",
                    ));
                    continue;
                };
                // DTEND of an all-day event is the day after its last day.
                let last = match end {
                    Some(end) if end > date => end.yesterday().unwrap_or(date),
                    _ => date,
                };
                let name = if summary.is_empty() {
                    "holiday".to_owned()
                } else {
                    summary
                };
                out.push(Exception {
                    date,
                    until: (last != date).then_some(last),
                    kind: if is_workday_summary(&name) {
                        ExceptionKind::Workday
                    } else {
                        ExceptionKind::Holiday
                    },
                    name,
                    hours: vec![],
                });
            }
            _ => {}
        }
    }
    if event.is_some() {
        errors.push(line_error(0, "END", "the last event has no END:VEVENT"));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The years an import touches.
pub fn years(imported: &[Exception]) -> BTreeSet<i16> {
    imported
        .iter()
        .flat_map(|e| e.dates().map(|d| d.year()))
        .collect()
}

/// What an import changes: for each year it touches, the calendar's exceptions of that year are
/// replaced by the imported ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportDiff {
    /// The years replaced.
    pub years: Vec<i16>,
    /// Exceptions that are new.
    pub added: Vec<Exception>,
    /// Exceptions that go away.
    pub removed: Vec<Exception>,
    /// Exceptions that stay as they are.
    pub unchanged: usize,
}

/// The calendar's exceptions after an import, and the difference.
pub fn apply(current: &[Exception], imported: Vec<Exception>) -> (Vec<Exception>, ImportDiff) {
    let years = years(&imported);
    let touches = |e: &Exception| e.dates().any(|d| years.contains(&d.year()));
    let (replaced, kept): (Vec<Exception>, Vec<Exception>) =
        current.iter().cloned().partition(touches);
    let added: Vec<Exception> = imported
        .iter()
        .filter(|e| !replaced.contains(e))
        .cloned()
        .collect();
    let removed: Vec<Exception> = replaced
        .iter()
        .filter(|e| !imported.contains(e))
        .cloned()
        .collect();
    let unchanged = imported.len() - added.len();
    let mut result = kept;
    result.extend(imported);
    result.sort_by_key(|e| e.date);
    (
        result,
        ImportDiff {
            years: years.into_iter().collect(),
            added,
            removed,
            unchanged,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20271001\r\nDTEND;VALUE=DATE:20271008\r\nSUMMARY:国庆节 \r\n 休\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270925\r\nSUMMARY:国庆节补班\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn ics_events_become_holidays_and_make_up_days() {
        let parsed = parse(ImportFormat::Ics, ICS).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].kind, ExceptionKind::Holiday);
        assert_eq!(parsed[0].name, "国庆节 休");
        assert_eq!(parsed[0].until, Some("2027-10-07".parse().unwrap()));
        assert_eq!(parsed[1].kind, ExceptionKind::Workday);
        assert_eq!(parsed[1].until, None);
    }

    #[test]
    fn broken_lines_are_named() {
        let bad_ics = ICS.replace(
            "DTSTART;VALUE=DATE:20270925",
            "DTSTART;VALUE=DATE:2027-9-25",
        );
        let err = parse(ImportFormat::Ics, &bad_ics).unwrap_err();
        assert_eq!(err[0].field, "line 10: DTSTART");
        let csv = "date,until,kind,name,hours\n2027-10-01,2027-10-07,holiday,国庆节,\n2027-09-25,,work,补班,\n";
        let err = parse(ImportFormat::Csv, csv).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].field, "line 3: kind");
        let err = parse(ImportFormat::Csv, "2027-13-01,,holiday,x\n").unwrap_err();
        assert_eq!(err[0].field, "line 1: date");
        let err = parse(
            ImportFormat::Json,
            "[{\"date\": \"2027-10-01\",\n \"kind\": \"holiday\"}]",
        )
        .unwrap_err();
        assert!(err[0].field.starts_with("line 2"), "{err:?}");
        assert!(parse(ImportFormat::Csv, "# nothing\n").is_err());
    }

    #[test]
    fn an_import_replaces_only_its_years() {
        let csv = "2026-10-01,2026-10-07,holiday,old national day,\n2027-01-01,,holiday,元旦,\n";
        let current = parse(ImportFormat::Csv, csv).unwrap();
        let imported = parse(ImportFormat::Ics, ICS).unwrap();
        let (result, diff) = apply(&current, imported.clone());
        assert_eq!(diff.years, [2027]);
        assert_eq!(diff.added, imported);
        assert_eq!(diff.removed.len(), 1);
        assert_eq!(diff.removed[0].name, "元旦");
        assert_eq!(result.len(), 3);
        let (again, diff) = apply(&result, imported);
        assert_eq!(again, result);
        assert!(diff.added.is_empty() && diff.removed.is_empty() && diff.unchanged == 2);
    }
}
