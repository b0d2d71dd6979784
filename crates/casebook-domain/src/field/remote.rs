//! Remote diagnosis sessions (远程诊断). An organisation (and any of its sites) has a
//! remote-access policy: `deny`, `ask` (the default: an authorised contact approves each
//! session) or `allow` (sessions are approved when requested). A session is requested on a case
//! with a purpose, a method, the units involved and a window; it can only start inside its
//! approved window, the customer may revoke it at any time, and when it ends its command log
//! (`log`) is sealed.
//!
//! ```text
//! requested ──approve──▶ approved ──start──▶ active ──end──▶ ended
//!     │ └──decline──▶ declined   │  └─revoke─▶ revoked ◀─revoke─┘
//!     └──────cancel──────────────┴──▶ cancelled
//! ```

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
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
    fn a_session_counts_whole_minutes_at_least_one() {
        assert_eq!(minutes_between(at(0), at(61)), 2);
        assert_eq!(minutes_between(at(0), at(0)), 1);
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
}
