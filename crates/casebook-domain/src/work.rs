//! Time accounting (工时): the minutes someone spent on a case, by activity, billable or not, and
//! what a contract's bank of hours and incidents has left. Pure rules: what a work entry may
//! say, how much of a bank is used, and which notice (80 %, 100 %) a change of usage crosses.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attributes::Named;
use crate::case::NamedRef;
use crate::error::FieldError;
use crate::ids::{ContractId, UserId};
use crate::text::Notes;

/// The longest single work entry: one day.
pub const MAX_MINUTES: i64 = 1_440;

/// How far back an entry may be dated.
pub const MAX_AGE_DAYS: i64 = 400;

/// What the time was spent on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// On the telephone with the customer (电话支持).
    Phone,
    /// Working remotely on the customer's systems (远程支持).
    Remote,
    /// On the customer's site (现场服务).
    OnSite,
    /// Travelling to or from a site (路途).
    Travel,
    /// Analysis: logs, reproduction, research (分析).
    Analysis,
    /// Training the customer (培训).
    Training,
}

impl Named for Activity {
    const WHAT: &'static str = "activity";
    const ALL: &'static [Self] = &[
        Self::Phone,
        Self::Remote,
        Self::OnSite,
        Self::Travel,
        Self::Analysis,
        Self::Training,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Remote => "remote",
            Self::OnSite => "on_site",
            Self::Travel => "travel",
            Self::Analysis => "analysis",
            Self::Training => "training",
        }
    }
}

impl std::fmt::Display for Activity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Activity {
    type Err = crate::ValidationError;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        <Self as Named>::parse(raw)
    }
}

/// How an entry was recorded.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum WorkSource {
    /// Typed by a person (the reply box, the time form, the API).
    Manual,
    /// Recorded from a remote session when it ended.
    RemoteSession,
    /// Recorded from an on-site visit when it was signed off.
    Visit,
}

impl Named for WorkSource {
    const WHAT: &'static str = "source";
    const ALL: &'static [Self] = &[Self::Manual, Self::RemoteSession, Self::Visit];
    fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::RemoteSession => "remote_session",
            Self::Visit => "visit",
        }
    }
}

/// Time spent on a case.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WorkEntry {
    /// Id.
    pub id: i64,
    /// The case (`YYYY-NNNNN`).
    pub case_number: String,
    /// Who did the work.
    pub user: NamedRef<UserId>,
    /// When the work started.
    #[schema(value_type = String, format = DateTime)]
    pub worked_at: Timestamp,
    /// The day of the work in the desk's time zone, `YYYY-MM-DD`.
    pub worked_on: String,
    /// Minutes spent.
    pub minutes: i64,
    /// What they were spent on.
    pub activity: Activity,
    /// Whether they count against the contract and are invoiced.
    pub billable: bool,
    /// An internal note.
    pub note: String,
    /// How the entry was recorded.
    pub source: WorkSource,
    /// The contract the case was charged to when the time was recorded.
    #[schema(value_type = Option<i64>)]
    pub contract_id: Option<ContractId>,
    /// Recorded.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

fn billable_default() -> bool {
    true
}

/// Time to record on a case.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkDraft {
    /// Minutes spent, 1 to 1440.
    #[schema(minimum = 1, maximum = 1440)]
    pub minutes: i64,
    /// What they were spent on.
    pub activity: Activity,
    /// Whether they count against the contract (default true).
    #[serde(default = "billable_default")]
    pub billable: bool,
    /// When the work started (default: now); not in the future, at most 400 days ago.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub worked_at: Option<Timestamp>,
    /// An internal note.
    #[serde(default)]
    pub note: Option<Notes>,
    /// Who did the work (default: you; managers and admins may record for another engineer).
    #[schema(value_type = Option<i64>)]
    pub user_id: Option<UserId>,
}

impl WorkDraft {
    /// Checks the entry at `now`; `field` prefixes the names of refused fields (`work.` when the
    /// draft rides on a reply).
    pub fn check(&self, now: Timestamp, field: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if !(1..=MAX_MINUTES).contains(&self.minutes) {
            errors.push(FieldError::new(
                format!("{field}minutes"),
                "out_of_range",
                format!("between 1 and {MAX_MINUTES} minutes"),
            ));
        }
        if let Some(at) = self.worked_at {
            let ahead = at.duration_since(now).as_secs();
            let behind = now.duration_since(at).as_secs();
            if ahead > 5 * 60 {
                errors.push(FieldError::new(
                    format!("{field}worked_at"),
                    "in_future",
                    "work cannot be recorded ahead of time",
                ));
            } else if behind > MAX_AGE_DAYS * 86_400 {
                errors.push(FieldError::new(
                    format!("{field}worked_at"),
                    "too_old",
                    format!("at most {MAX_AGE_DAYS} days ago"),
                ));
            }
        }
        errors
    }
}

/// Usage in one month (`YYYY-MM`, desk time zone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MonthUsage {
    /// The month, `YYYY-MM`.
    pub month: String,
    /// Billable minutes recorded on the contract's cases that month.
    pub billable_minutes: i64,
    /// Minutes that were not billable.
    pub other_minutes: i64,
    /// Cases charged to the contract that were opened that month.
    pub incidents: i64,
}

/// What a contract has used of its bank of hours and incidents.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ContractUsage {
    /// The contract.
    #[schema(value_type = i64)]
    pub contract_id: ContractId,
    /// Its number.
    pub contract_number: String,
    /// Hours included; absent: no bank of hours.
    pub hours: Option<i64>,
    /// Billable minutes used.
    pub minutes_used: i64,
    /// Minutes left of the bank (negative when overdrawn); absent without a bank.
    pub minutes_remaining: Option<i64>,
    /// Incidents included; absent: unlimited.
    pub incidents: Option<i64>,
    /// Cases charged so far.
    pub incidents_used: i64,
    /// Usage by month, oldest first.
    pub months: Vec<MonthUsage>,
}

/// A case's share of a contract's bank in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CaseMinutes {
    /// The case.
    pub case_number: String,
    /// Its title.
    pub title: String,
    /// Billable minutes.
    pub billable_minutes: i64,
}

/// The notice thresholds, in percent of a bank.
pub const THRESHOLDS: [i64; 2] = [80, 100];

/// The percentage of `included` that `used` is, rounded down (0 when nothing is included).
pub fn percent(used: i64, included: i64) -> i64 {
    if included <= 0 {
        return if used > 0 { 100 } else { 0 };
    }
    used.saturating_mul(100) / included
}

/// The highest threshold that `used` of `included` has reached, if any.
pub fn reached(used: i64, included: i64) -> Option<i64> {
    let p = percent(used, included);
    THRESHOLDS.iter().rev().copied().find(|t| p >= *t)
}

/// Minutes as hours with one decimal, as people read a bank (`90` → `1.5`).
pub fn hours_text(minutes: i64) -> String {
    let tenths = (minutes.abs() * 10 + 30) / 60;
    let sign = if minutes < 0 { "-" } else { "" };
    format!("{sign}{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(minutes: i64, worked_at: Option<Timestamp>) -> WorkDraft {
        WorkDraft {
            minutes,
            activity: Activity::Phone,
            billable: true,
            worked_at,
            note: None,
            user_id: None,
        }
    }

    #[test]
    fn minutes_and_dates_are_checked() {
        let now: Timestamp = "2026-03-10T08:00:00Z".parse().unwrap();
        assert!(draft(1, None).check(now, "").is_empty());
        assert!(draft(1440, None).check(now, "").is_empty());
        let codes = |d: WorkDraft| -> Vec<(String, String)> {
            d.check(now, "work.")
                .into_iter()
                .map(|e| (e.field, e.code.to_owned()))
                .collect()
        };
        assert_eq!(
            codes(draft(0, None)),
            [("work.minutes".into(), "out_of_range".into())]
        );
        assert_eq!(
            codes(draft(1441, None)),
            [("work.minutes".into(), "out_of_range".into())]
        );
        let later = "2026-03-10T08:06:00Z".parse().unwrap();
        assert_eq!(
            codes(draft(30, Some(later))),
            [("work.worked_at".into(), "in_future".into())]
        );
        let soon = "2026-03-10T08:04:00Z".parse().unwrap();
        assert!(draft(30, Some(soon)).check(now, "").is_empty());
        let old = "2025-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(
            codes(draft(30, Some(old))),
            [("work.worked_at".into(), "too_old".into())]
        );
    }

    #[test]
    fn thresholds_are_reached_at_80_and_100_percent() {
        assert_eq!(reached(0, 600), None);
        assert_eq!(reached(479, 600), None);
        assert_eq!(reached(480, 600), Some(80));
        assert_eq!(reached(599, 600), Some(80));
        assert_eq!(reached(600, 600), Some(100));
        assert_eq!(reached(900, 600), Some(100));
        assert_eq!(reached(0, 0), None);
        assert_eq!(reached(1, 0), Some(100));
    }

    #[test]
    fn hours_read_with_one_decimal() {
        assert_eq!(hours_text(90), "1.5");
        assert_eq!(hours_text(0), "0.0");
        assert_eq!(hours_text(600), "10.0");
        assert_eq!(hours_text(-45), "-0.8");
        assert_eq!(hours_text(20), "0.3");
    }
}
