//! Internal targets per tier (OLA, 内部运营级别协议): the business time a case may stay at one
//! tier, per severity, before the owner is warned and the tier's leads are told it is over.
//! Internal only: customers never see them.
//!
//! Each stay at a tier is measured on its own, on the case's calendar, from the moment the case
//! reached the tier: a case sent back to L1 starts a new stay with a fresh target. The deadlines
//! are fixed when the stay begins, and set again when the severity changes during it or the
//! targets change. Unlike SLA clocks they do not pause while the case waits for the customer:
//! they measure how long the desk holds a case at a tier, not the promise to the customer.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attributes::{Severity, Tier};
use crate::error::FieldError;
use crate::sla::calendar::BusinessCalendar;

/// The longest target: 90 working days of 24 hours.
pub const MAX_MINUTES: i64 = 90 * 24 * 60;
/// The warning share when none is given.
pub const DEFAULT_WARN_PERCENT: i64 = 75;

/// The target of one tier for one severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OlaTarget {
    /// The tier.
    pub tier: Tier,
    /// The severity (1–4).
    #[schema(value_type = u8, minimum = 1, maximum = 4)]
    pub severity: Severity,
    /// Business minutes a stay at the tier may last (1 to 129,600).
    #[schema(minimum = 1, maximum = 129600)]
    pub minutes: i64,
    /// The owner is warned at this share of the target (1–99, default 75).
    #[serde(default = "default_warn")]
    #[schema(minimum = 1, maximum = 99, default = 75)]
    pub warn_percent: i64,
}

fn default_warn() -> i64 {
    DEFAULT_WARN_PERCENT
}

/// The whole set of targets, as an administrator replaces it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OlaTargets {
    /// At most one per tier and severity; a tier and severity without one has no target.
    pub targets: Vec<OlaTarget>,
}

impl OlaTargets {
    /// Whatever is wrong with the set, each with its field (`targets[2].minutes`).
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for (i, t) in self.targets.iter().enumerate() {
            if !(1..=MAX_MINUTES).contains(&t.minutes) {
                errors.push(FieldError::new(
                    format!("targets[{i}].minutes"),
                    "out_of_range",
                    format!("between 1 and {MAX_MINUTES} business minutes"),
                ));
            }
            if !(1..=99).contains(&t.warn_percent) {
                errors.push(FieldError::new(
                    format!("targets[{i}].warn_percent"),
                    "out_of_range",
                    "between 1 and 99 percent",
                ));
            }
            let first = self
                .targets
                .iter()
                .position(|o| o.tier == t.tier && o.severity == t.severity);
            if first != Some(i) {
                errors.push(FieldError::new(
                    format!("targets[{i}]"),
                    "duplicate",
                    "one target per tier and severity",
                ));
            }
        }
        errors
    }

    /// The target of `tier` for `severity`, if there is one.
    pub fn find(&self, tier: Tier, severity: Severity) -> Option<&OlaTarget> {
        self.targets
            .iter()
            .find(|t| t.tier == tier && t.severity == severity)
    }
}

/// A stay's deadlines, fixed when it begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// The target in business minutes.
    pub minutes: i64,
    /// When the owner is warned.
    pub warn_at: Timestamp,
    /// When the stay is over its target.
    pub due_at: Timestamp,
}

/// The deadlines of a stay at a tier that began at `started_at`, on `calendar`; `None` when the
/// calendar has no working time left in which to reach them.
pub fn deadlines(
    target: &OlaTarget,
    started_at: Timestamp,
    calendar: &BusinessCalendar,
) -> Option<Deadlines> {
    let seconds = target.minutes * 60;
    Some(Deadlines {
        minutes: target.minutes,
        warn_at: calendar.add(started_at, seconds * target.warn_percent / 100)?,
        due_at: calendar.add(started_at, seconds)?,
    })
}

/// Where a stay stands against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OlaState {
    /// Still at the tier, before the warning.
    Running,
    /// Still at the tier, past the warning.
    Warning,
    /// Still at the tier past its target, or left it late.
    Breached,
    /// Left the tier in time.
    Met,
}

/// One stay at a tier with a target, as staff read it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OlaStay {
    /// The tier.
    pub tier: Tier,
    /// The target in business minutes.
    pub target_minutes: i64,
    /// When the stay began.
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    /// When it ended (absent while the case is at the tier).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<Timestamp>,
    /// When the owner is (or was) warned.
    #[schema(value_type = String, format = DateTime)]
    pub warn_at: Timestamp,
    /// When the target is (or was) reached.
    #[schema(value_type = String, format = DateTime)]
    pub due_at: Timestamp,
    /// Where it stands.
    pub state: OlaState,
}

/// Where a stay with `deadlines` stands at `now`.
pub fn state(deadlines: &Deadlines, ended_at: Option<Timestamp>, now: Timestamp) -> OlaState {
    match ended_at {
        Some(end) if end <= deadlines.due_at => OlaState::Met,
        Some(_) => OlaState::Breached,
        None if now >= deadlines.due_at => OlaState::Breached,
        None if now >= deadlines.warn_at => OlaState::Warning,
        None => OlaState::Running,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn target(tier: Tier, severity: Severity, minutes: i64, warn_percent: i64) -> OlaTarget {
        OlaTarget {
            tier,
            severity,
            minutes,
            warn_percent,
        }
    }

    #[test]
    fn a_set_with_faults_names_each() {
        let set = OlaTargets {
            targets: vec![
                target(Tier::L2, Severity::Two, 240, 75),
                target(Tier::L2, Severity::Two, 120, 75),
                target(Tier::L1, Severity::One, 0, 100),
            ],
        };
        let fields: Vec<_> = set.check().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "targets[1]",
                "targets[2].minutes",
                "targets[2].warn_percent"
            ]
        );
        assert_eq!(set.find(Tier::L2, Severity::Two).unwrap().minutes, 240);
        assert!(set.find(Tier::L2, Severity::One).is_none());
    }

    #[test]
    fn deadlines_run_on_working_time_and_states_follow_them() {
        let (_, spec) = crate::sla::china::builtin_calendars().remove(0);
        let calendar = spec.compile().unwrap();
        // China 5×8 (08:30–17:00, Shanghai). Four hours at L2 from Friday 2026-11-20 15:00:
        // two hours on Friday, the rest on Monday from 08:30; the warning at three hours.
        let d = deadlines(
            &target(Tier::L2, Severity::Two, 240, 75),
            t("2026-11-20T07:00:00Z"),
            &calendar,
        )
        .unwrap();
        assert_eq!(d.warn_at, t("2026-11-23T01:30:00Z"));
        assert_eq!(d.due_at, t("2026-11-23T02:30:00Z"));
        assert_eq!(
            state(&d, None, t("2026-11-23T01:00:00Z")),
            OlaState::Running
        );
        assert_eq!(
            state(&d, None, t("2026-11-23T01:30:00Z")),
            OlaState::Warning
        );
        assert_eq!(
            state(&d, None, t("2026-11-23T02:30:00Z")),
            OlaState::Breached
        );
        assert_eq!(
            state(
                &d,
                Some(t("2026-11-23T02:30:00Z")),
                t("2026-11-30T00:00:00Z")
            ),
            OlaState::Met
        );
        assert_eq!(
            state(
                &d,
                Some(t("2026-11-23T02:31:00Z")),
                t("2026-11-30T00:00:00Z")
            ),
            OlaState::Breached
        );
    }
}
