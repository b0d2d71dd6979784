//! Remote diagnosis sessions (远程诊断). An organisation (and any of its sites) has a
//! remote-access policy: `deny`, `ask` (the default: an authorised contact approves each
//! session) or `allow` (sessions are approved when requested). A session is requested on a case
//! with a purpose, a method, the units involved and a window; it can only start inside its
//! approved window, the customer may revoke it at any time, and when it ends its command log is
//! sealed: the SHA-256 of its lines (and of any recording) goes into the audit chain, and the
//! log can no longer change.
//!
//! ```text
//! requested ──approve──▶ approved ──start──▶ active ──end──▶ ended
//!     │ └──decline──▶ declined   │  └─revoke─▶ revoked ◀─revoke─┘
//!     └──────cancel──────────────┴──▶ cancelled
//! ```

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::attributes::Named;
use crate::error::FieldError;
use crate::ids::UnitId;

/// The most characters of a session's purpose.
pub const MAX_PURPOSE: usize = 2000;
/// The most characters of its method.
pub const MAX_METHOD: usize = 200;
/// The longest window, in minutes (one day).
pub const MAX_WINDOW_MINUTES: i64 = 24 * 60;
/// How far ahead a window may start, in days.
pub const MAX_DAYS_AHEAD: i64 = 90;
/// How long before now a window may start (a request written while the work begins).
pub const START_GRACE_MINUTES: i64 = 15;
/// The most units one session names.
pub const MAX_UNITS: usize = 50;
/// The most characters of one log line (a longer line is sent in pieces).
pub const MAX_LINE: usize = 4000;
/// The most lines one append carries.
pub const MAX_LINES_PER_APPEND: usize = 1000;
/// The most lines one session's log holds.
pub const MAX_LINES: i64 = 100_000;

/// Whether staff may connect to an organisation's (or a site's) systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum AccessPolicy {
    /// No remote sessions.
    Deny,
    /// Each session needs an authorised contact's approval (default).
    #[default]
    Ask,
    /// Sessions are approved when requested.
    Allow,
}

impl Named for AccessPolicy {
    const WHAT: &'static str = "remote-access policy";
    const ALL: &'static [Self] = &[Self::Deny, Self::Ask, Self::Allow];
    fn as_str(self) -> &'static str {
        match self {
            Self::Deny => "deny",
            Self::Ask => "ask",
            Self::Allow => "allow",
        }
    }
}

impl AccessPolicy {
    fn strictness(self) -> u8 {
        match self {
            Self::Deny => 2,
            Self::Ask => 1,
            Self::Allow => 0,
        }
    }

    /// The policy for a session touching these sites: each site's own policy, else the
    /// organisation's, and the strictest of them; the organisation's when no site is involved.
    pub fn effective(organization: AccessPolicy, sites: &[Option<AccessPolicy>]) -> AccessPolicy {
        sites
            .iter()
            .map(|s| s.unwrap_or(organization))
            .max_by_key(|p| p.strictness())
            .unwrap_or(organization)
    }
}

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// Waiting for the customer's answer.
    Requested,
    /// Approved for its window (by a contact, or by an `allow` policy).
    Approved,
    /// The customer said no.
    Declined,
    /// Running.
    Active,
    /// Ended by the engineer (or when its window ran out); its log is sealed.
    Ended,
    /// The customer withdrew the approval; a running session was ended and its log sealed.
    Revoked,
    /// Withdrawn by staff before it started.
    Cancelled,
}

impl Named for SessionState {
    const WHAT: &'static str = "session state";
    const ALL: &'static [Self] = &[
        Self::Requested,
        Self::Approved,
        Self::Declined,
        Self::Active,
        Self::Ended,
        Self::Revoked,
        Self::Cancelled,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Approved => "approved",
            Self::Declined => "declined",
            Self::Active => "active",
            Self::Ended => "ended",
            Self::Revoked => "revoked",
            Self::Cancelled => "cancelled",
        }
    }
}

impl SessionState {
    /// Whether nothing more can happen to the session.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Declined | Self::Ended | Self::Revoked | Self::Cancelled
        )
    }
}

/// A step in a session's life, as the timeline and the audit log name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Staff asked for a session.
    Request,
    /// An authorised contact approved it.
    Approve,
    /// An authorised contact declined it.
    Decline,
    /// The engineer connected.
    Start,
    /// The engineer disconnected.
    End,
    /// The customer revoked the approval.
    Revoke,
    /// Staff withdrew the request.
    Cancel,
}

impl Named for Step {
    const WHAT: &'static str = "session step";
    const ALL: &'static [Self] = &[
        Self::Request,
        Self::Approve,
        Self::Decline,
        Self::Start,
        Self::End,
        Self::Revoke,
        Self::Cancel,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Approve => "approve",
            Self::Decline => "decline",
            Self::Start => "start",
            Self::End => "end",
            Self::Revoke => "revoke",
            Self::Cancel => "cancel",
        }
    }
}

/// Why a step is not possible now: a conflict (409) with the reason people read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl SessionState {
    /// The state after `step`, or why the step cannot be taken.
    pub fn after(self, step: Step) -> Result<SessionState, Refusal> {
        use SessionState as S;
        let next = match (self, step) {
            (S::Requested, Step::Approve) => S::Approved,
            (S::Requested, Step::Decline) => S::Declined,
            (S::Approved, Step::Start) => S::Active,
            (S::Active, Step::End) => S::Ended,
            (S::Approved | S::Active, Step::Revoke) => S::Revoked,
            (S::Requested | S::Approved, Step::Cancel) => S::Cancelled,
            (state, step) => {
                return Err(Refusal(format!(
                    "a session that is {} cannot be {}",
                    state.as_str(),
                    match step {
                        Step::Request => "requested again",
                        Step::Approve => "approved",
                        Step::Decline => "declined",
                        Step::Start => "started",
                        Step::End => "ended",
                        Step::Revoke => "revoked",
                        Step::Cancel => "cancelled",
                    }
                )));
            }
        };
        Ok(next)
    }
}

/// The window a session is approved for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// When it opens.
    pub starts_at: Timestamp,
    /// Its length in minutes.
    pub minutes: i64,
}

impl Window {
    /// When it closes.
    pub fn ends_at(self) -> Timestamp {
        self.starts_at + SignedDuration::from_mins(self.minutes)
    }

    /// Whether a session may start at `now`, or why not (with the window's times in UTC; pages
    /// show them in the reader's zone).
    pub fn may_start(self, now: Timestamp) -> Result<(), Refusal> {
        if now < self.starts_at {
            return Err(Refusal(format!(
                "the approved window opens at {}; the session cannot start before",
                self.starts_at
            )));
        }
        if now >= self.ends_at() {
            return Err(Refusal(format!(
                "the approved window closed at {}; request a new session",
                self.ends_at()
            )));
        }
        Ok(())
    }
}

/// A session as an engineer requests it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionDraft {
    /// What the session is for, shown to the approver.
    pub purpose: String,
    /// How the engineer connects, e.g. `SSH over the customer's VPN`, a remote-desktop tool, the
    /// customer sharing a screen.
    pub method: String,
    /// The units involved (of the case's organisation); at most 50.
    #[serde(default)]
    #[schema(value_type = Vec<i64>)]
    pub unit_ids: Vec<UnitId>,
    /// When the window opens (from 15 minutes ago to 90 days ahead).
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: Timestamp,
    /// The window's length in minutes, 1 to 1440.
    #[schema(minimum = 1, maximum = 1440)]
    pub minutes: i64,
}

impl SessionDraft {
    /// Checks the draft at `now`: the purpose and method trimmed, the units without repeats.
    pub fn check(&mut self, now: Timestamp) -> Vec<FieldError> {
        let mut errors = Vec::new();
        self.purpose = self.purpose.trim().to_owned();
        self.method = self.method.trim().to_owned();
        super::text(&mut errors, "purpose", &self.purpose, MAX_PURPOSE, true);
        super::text(&mut errors, "method", &self.method, MAX_METHOD, false);
        if !(1..=MAX_WINDOW_MINUTES).contains(&self.minutes) {
            errors.push(FieldError::new(
                "minutes",
                "out_of_range",
                format!("a window of 1 to {MAX_WINDOW_MINUTES} minutes"),
            ));
        }
        if self.starts_at < now - SignedDuration::from_mins(START_GRACE_MINUTES) {
            errors.push(FieldError::new(
                "starts_at",
                "in_past",
                "the window cannot start in the past",
            ));
        } else if self.starts_at > now + SignedDuration::from_hours(24 * MAX_DAYS_AHEAD) {
            errors.push(FieldError::new(
                "starts_at",
                "too_far",
                format!("at most {MAX_DAYS_AHEAD} days ahead"),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        self.unit_ids.retain(|u| seen.insert(u.get()));
        if self.unit_ids.len() > MAX_UNITS {
            errors.push(FieldError::new(
                "unit_ids",
                "too_many",
                format!("at most {MAX_UNITS} units"),
            ));
        }
        errors
    }

    /// The window asked for.
    pub fn window(&self) -> Window {
        Window {
            starts_at: self.starts_at,
            minutes: self.minutes,
        }
    }
}

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

/// The minutes a session ran, rounded up (at least 1), for its work entry.
pub fn minutes_between(started: Timestamp, ended: Timestamp) -> i64 {
    let secs = ended.duration_since(started).as_secs().max(0);
    ((secs + 59) / 60).clamp(1, MAX_WINDOW_MINUTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(s).expect("a time")
    }

    #[test]
    fn the_strictest_policy_of_the_sites_applies() {
        use AccessPolicy::*;
        assert_eq!(AccessPolicy::effective(Ask, &[]), Ask);
        assert_eq!(AccessPolicy::effective(Allow, &[None, Some(Ask)]), Ask);
        assert_eq!(AccessPolicy::effective(Ask, &[Some(Allow)]), Allow);
        assert_eq!(AccessPolicy::effective(Allow, &[Some(Allow), None]), Allow);
        assert_eq!(
            AccessPolicy::effective(Allow, &[Some(Deny), Some(Allow)]),
            Deny
        );
    }

    #[test]
    fn states_move_only_along_the_arrows() {
        use SessionState as S;
        assert_eq!(S::Requested.after(Step::Approve), Ok(S::Approved));
        assert_eq!(S::Approved.after(Step::Start), Ok(S::Active));
        assert_eq!(S::Active.after(Step::Revoke), Ok(S::Revoked));
        assert_eq!(S::Active.after(Step::End), Ok(S::Ended));
        assert!(S::Requested.after(Step::Start).is_err());
        assert!(S::Ended.after(Step::Revoke).is_err());
        assert!(S::Declined.after(Step::Approve).is_err());
        assert!(S::Active.after(Step::Cancel).is_err());
        let refused = S::Revoked.after(Step::Start).expect_err("refused");
        assert_eq!(refused.0, "a session that is revoked cannot be started");
        for s in S::ALL {
            assert_eq!(
                s.is_final(),
                Step::ALL.iter().all(|st| s.after(*st).is_err())
            );
        }
    }

    #[test]
    fn a_session_starts_only_inside_its_window() {
        let w = Window {
            starts_at: at(1_000_000),
            minutes: 60,
        };
        assert!(
            w.may_start(at(999_999))
                .expect_err("early")
                .0
                .contains("opens at")
        );
        assert_eq!(w.may_start(at(1_000_000)), Ok(()));
        assert_eq!(w.may_start(at(1_003_599)), Ok(()));
        assert!(
            w.may_start(at(1_003_600))
                .expect_err("late")
                .0
                .contains("closed at")
        );
    }

    #[test]
    fn a_draft_is_checked_and_its_units_deduplicated() {
        let now = at(1_800_000_000);
        let mut d = SessionDraft {
            purpose: "  collect logs ".into(),
            method: "SSH".into(),
            unit_ids: vec![UnitId::new(3), UnitId::new(3), UnitId::new(4)],
            starts_at: now,
            minutes: 60,
        };
        assert!(d.check(now).is_empty());
        assert_eq!(d.purpose, "collect logs");
        assert_eq!(d.unit_ids.len(), 2);
        d.purpose = String::new();
        d.method = "a\u{7}b".into();
        d.minutes = 0;
        d.starts_at = now - SignedDuration::from_hours(1);
        let fields: Vec<String> = d.check(now).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["purpose", "method", "minutes", "starts_at"]);
        d = SessionDraft {
            purpose: "p".into(),
            method: "m".into(),
            unit_ids: vec![],
            starts_at: now + SignedDuration::from_hours(24 * 91),
            minutes: 1441,
        };
        let codes: Vec<&str> = d.check(now).into_iter().map(|e| e.code).collect();
        assert_eq!(codes, ["out_of_range", "too_far"]);
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
        assert_eq!(minutes_between(at(0), at(61)), 2);
        assert_eq!(minutes_between(at(0), at(0)), 1);
    }
}
