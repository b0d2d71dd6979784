//! A remote session's command log (操作记录): lines checked and cleaned of terminal sequences,
//! a transcript cut into log lines with the times it carries, and the seal written when the
//! session ends: the SHA-256 of its lines (and of any recording), which goes into the audit
//! chain; the log can no longer change.

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::FieldError;

/// The most characters of one log line (a longer line is sent in pieces).
pub const MAX_LINE: usize = 4000;
/// The most lines one append carries.
pub const MAX_LINES_PER_APPEND: usize = 1000;
/// The most lines one session's log holds.
pub const MAX_LINES: i64 = 100_000;

/// One line for a session's log: its text and, when the transcript says so, its time.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogLineDraft {
    /// When the line was typed or printed (default: when it arrives); not in the future.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<Timestamp>,
    /// The line, at most 4000 characters; terminal control sequences are removed.
    pub text: String,
}

/// Makes a transcript line safe to store and show: terminal escape sequences (colours, cursor
/// moves) and other control characters are removed, tabs kept.
pub fn clean_line(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.peek() {
                // CSI: ESC [ parameters… final byte in @..~
                Some('[') => {
                    chars.next();
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC: ESC ] … BEL or ESC \
                Some(']') => {
                    chars.next();
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                Some(_) => {
                    chars.next();
                }
                None => {}
            },
            '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.trim_end().to_owned()
}

/// The lines of a transcript as log lines: each cleaned ([`clean_line`]), empty ones dropped,
/// one longer than [`MAX_LINE`] in pieces. With `timed`, a line that starts with an RFC 3339
/// time and a space (`2026-12-08T10:02:11+08:00 $ df -h`) carries that time.
pub fn transcript(text: &str, timed: bool) -> Vec<(Option<Timestamp>, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let (at, rest) = match line.split_once(' ') {
            Some((first, rest)) if timed => match first.parse::<Timestamp>() {
                Ok(at) => (Some(at), rest),
                Err(_) => (None, line),
            },
            _ => (None, line),
        };
        let clean = clean_line(rest);
        if clean.is_empty() {
            continue;
        }
        let chars: Vec<char> = clean.chars().collect();
        for chunk in chars.chunks(MAX_LINE) {
            out.push((at, chunk.iter().collect()));
        }
    }
    out
}

/// Checks the lines of one append, cleaning each (field names `lines[i].text`).
pub fn check_lines(lines: &mut [LogLineDraft], now: Timestamp) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if lines.is_empty() || lines.len() > MAX_LINES_PER_APPEND {
        errors.push(FieldError::new(
            "lines",
            "out_of_range",
            format!("1 to {MAX_LINES_PER_APPEND} lines at a time"),
        ));
    }
    for (i, line) in lines.iter_mut().enumerate() {
        line.text = clean_line(&line.text);
        if line.text.chars().count() > MAX_LINE {
            errors.push(FieldError::new(
                format!("lines[{i}].text"),
                "too_long",
                format!("at most {MAX_LINE} characters a line; send a longer one in pieces"),
            ));
        }
        if line
            .at
            .is_some_and(|at| at > now + SignedDuration::from_mins(5))
        {
            errors.push(FieldError::new(
                format!("lines[{i}].at"),
                "in_future",
                "a line cannot be dated in the future",
            ));
        }
    }
    errors
}

/// What is sealed of one log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedLine<'a> {
    /// Its number in the log, from 1.
    pub seq: i64,
    /// Its time.
    pub at: Timestamp,
    /// Its text.
    pub text: &'a str,
}

/// A recording file sealed with the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedFile<'a> {
    /// Its name.
    pub name: &'a str,
    /// SHA-256 of its content, hex.
    pub sha256: &'a str,
}

/// The seal of a log: SHA-256 (hex) over `seq TAB time TAB text LF` for every line in order,
/// then `file TAB name TAB sha256 LF` for every recording. Which lines staff later mark internal
/// does not change it: that decides who reads a line, not what it says.
pub fn seal(lines: &[SealedLine<'_>], files: &[SealedFile<'_>]) -> String {
    let mut hash = Sha256::new();
    for line in lines {
        hash.update(format!("{}\t{}\t", line.seq, line.at.as_millisecond()).as_bytes());
        hash.update(line.text.as_bytes());
        hash.update(b"\n");
    }
    for file in files {
        hash.update(format!("file\t{}\t{}\n", file.name, file.sha256).as_bytes());
    }
    hex::encode(hash.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(s).expect("a time")
    }

    #[test]
    fn terminal_sequences_are_removed_from_lines() {
        assert_eq!(clean_line("\u{1b}[1;32mok\u{1b}[0m done\r"), "ok done");
        assert_eq!(clean_line("\u{1b}]0;title\u{7}$ ls\t-l"), "$ ls\t-l");
        assert_eq!(clean_line("a\u{0}b\u{8}c"), "abc");
        let now = at(1_800_000_000);
        let mut lines = vec![
            LogLineDraft {
                at: None,
                text: "x".repeat(MAX_LINE + 1),
            },
            LogLineDraft {
                at: Some(now + SignedDuration::from_hours(1)),
                text: "ok".into(),
            },
        ];
        let fields: Vec<String> = check_lines(&mut lines, now)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["lines[0].text", "lines[1].at"]);
        assert_eq!(check_lines(&mut [], now)[0].field, "lines");
    }

    #[test]
    fn a_transcript_keeps_its_times_and_splits_long_lines() {
        let text = format!(
            "2026-12-08T10:02:11+08:00 $ df -h\n\n\u{1b}[31mred\u{1b}[0m\nnot-a-time x\n{}",
            "y".repeat(MAX_LINE + 5)
        );
        let lines = transcript(&text, true);
        assert_eq!(lines.len(), 5);
        assert_eq!(
            lines[0],
            (
                Some("2026-12-08T02:02:11Z".parse().expect("a time")),
                "$ df -h".into()
            )
        );
        assert_eq!(lines[1], (None, "red".into()));
        assert_eq!(lines[2], (None, "not-a-time x".into()));
        assert_eq!(lines[3].1.chars().count(), MAX_LINE);
        assert_eq!(lines[4].1, "yyyyy");
        assert_eq!(transcript("2026-12-08T10:02:11+08:00 ls", false)[0].0, None);
    }

    #[test]
    fn the_seal_covers_order_times_texts_and_files() {
        let l = |seq, s, text| SealedLine {
            seq,
            at: at(s),
            text,
        };
        let base = seal(&[l(1, 10, "ls"), l(2, 11, "df -h")], &[]);
        assert_eq!(base.len(), 64);
        assert_eq!(base, seal(&[l(1, 10, "ls"), l(2, 11, "df -h")], &[]));
        assert_ne!(base, seal(&[l(1, 10, "ls"), l(2, 11, "df -H")], &[]));
        assert_ne!(base, seal(&[l(1, 10, "ls"), l(2, 12, "df -h")], &[]));
        assert_ne!(base, seal(&[l(1, 11, "df -h"), l(2, 10, "ls")], &[]));
        assert_ne!(base, seal(&[l(1, 10, "ls")], &[]));
        let file = SealedFile {
            name: "s.cast",
            sha256: "ab",
        };
        assert_ne!(base, seal(&[l(1, 10, "ls"), l(2, 11, "df -h")], &[file]));
    }
}
