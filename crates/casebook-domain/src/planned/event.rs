//! A scheduled event (可计划事件) under change control: an installation, upgrade, microcode
//! update, reconfiguration, relocation or health check that must be announced in advance. A
//! named reviewer other than the author approves it, returns it for more information (the
//! requester edits and submits it again) or declines it; once approved it is scheduled, then
//! carried out.
//!
//! ```text
//! draft ──submit──▶ submitted ──approve──▶ approved ──start──▶ in_progress ──finish──▶ done
//!                    │   ▲  └──decline──▶ declined                        └──fail──▶ failed
//!               return  submit
//!                    ▼   │
//!                  returned          (cancel: from any state before in_progress)
//! ```
//!
//! A contract asks for a minimum notice per type in working days: the window may not start
//! before the day reached by counting that many working days after the day the request is
//! submitted (holidays skipped, make-up working days counted).

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attributes::Named;
use crate::error::FieldError;
use crate::ids::UnitId;
use crate::sla::BusinessCalendar;

/// The longest title.
pub const MAX_TITLE: usize = 200;
/// The longest text of a step, the rollback plan or a comment.
pub const MAX_TEXT: usize = 4000;
/// The most steps of a plan.
pub const MAX_STEPS: usize = 50;
/// The most units one event touches.
pub const MAX_UNITS: usize = 50;
/// The longest window, in hours.
pub const MAX_WINDOW_HOURS: i64 = 7 * 24;

macro_rules! named {
    ($(#[$doc:meta])* $name:ident, $what:literal, { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl Named for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }
    };
}

named!(
    /// What kind of planned operation it is.
    EventType, "event type", {
        /// A new system put in.
        Installation => "installation",
        /// A software version upgrade.
        Upgrade => "upgrade",
        /// Firmware or microcode updated.
        Microcode => "microcode",
        /// The configuration changed.
        Reconfiguration => "reconfiguration",
        /// Equipment moved.
        Relocation => "relocation",
        /// A planned health check.
        HealthCheck => "health_check",
    }
);

named!(
    /// How risky the operation is.
    Risk, "risk", {
        /// Routine.
        Low => "low",
        /// Could disturb the service.
        Medium => "medium",
        /// Could take the service down.
        High => "high",
    }
);

named!(
    /// Where an event is in its life.
    EventState, "event state", {
        /// Being written; only the author sees it.
        Draft => "draft",
        /// Waiting for review.
        Submitted => "submitted",
        /// Sent back for more information.
        Returned => "returned",
        /// Approved and scheduled.
        Approved => "approved",
        /// Being carried out.
        InProgress => "in_progress",
        /// Carried out.
        Done => "done",
        /// Carried out and failed.
        Failed => "failed",
        /// Declined by the reviewer.
        Declined => "declined",
        /// Called off.
        Cancelled => "cancelled",
    }
);

named!(
    /// A step of an event's life.
    EventStep, "event step", {
        /// Sent for review (again, after a return).
        Submit => "submit",
        /// Sent back for more information.
        Return => "return",
        /// Approved into a slot.
        Approve => "approve",
        /// Declined.
        Decline => "decline",
        /// Work began.
        Start => "start",
        /// Work ended well.
        Finish => "finish",
        /// Work ended badly.
        Fail => "fail",
        /// Called off.
        Cancel => "cancel",
    }
);

impl EventState {
    /// The state after `step`, or `None` when the step cannot be taken from this state.
    pub fn after(self, step: EventStep) -> Option<EventState> {
        use EventState as S;
        use EventStep as T;
        match (self, step) {
            (S::Draft | S::Returned, T::Submit) => Some(S::Submitted),
            (S::Submitted, T::Return) => Some(S::Returned),
            (S::Submitted, T::Approve) => Some(S::Approved),
            (S::Submitted, T::Decline) => Some(S::Declined),
            (S::Approved, T::Start) => Some(S::InProgress),
            (S::InProgress, T::Finish) => Some(S::Done),
            (S::InProgress, T::Fail) => Some(S::Failed),
            (S::Draft | S::Submitted | S::Returned | S::Approved, T::Cancel) => Some(S::Cancelled),
            _ => None,
        }
    }

    /// Whether nothing more can happen to the event.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Done | Self::Failed | Self::Declined | Self::Cancelled
        )
    }

    /// Whether the requester may still change the request (a draft, or one sent back).
    pub fn is_editable(self) -> bool {
        matches!(self, Self::Draft | Self::Returned)
    }
}

/// The first day a window may start on when the request is submitted on `submitted` and the
/// contract asks for `working_days` of notice: that many working days of `calendar` are counted
/// after the day of submission (which does not count). Zero days: the day itself. `None` when
/// the calendar has no working day within two years.
pub fn earliest_start(
    calendar: &BusinessCalendar,
    submitted: Date,
    working_days: u32,
) -> Option<Date> {
    let mut day = submitted;
    let mut counted = 0;
    for _ in 0..(366 * 2) {
        if counted == working_days {
            return Some(day);
        }
        day = day.tomorrow().ok()?;
        if calendar.is_working_day(day) {
            counted += 1;
        }
    }
    None
}

/// One step of an event's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanStep {
    /// What is done.
    pub text: String,
}

/// A scheduled event as its requester writes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventDraft {
    /// What it is for, one line.
    pub title: String,
    /// The kind of operation.
    pub event_type: EventType,
    /// The units it touches (at most 50, of the organisation).
    #[serde(default)]
    #[schema(value_type = Vec<i64>)]
    pub unit_ids: Vec<UnitId>,
    /// When it should start.
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: Timestamp,
    /// When it should be over (after the start, at most a week later).
    #[schema(value_type = String, format = DateTime)]
    pub ends_at: Timestamp,
    /// The steps, in order (1 to 50).
    pub steps: Vec<PlanStep>,
    /// How to go back if it goes wrong.
    #[serde(default)]
    pub rollback: String,
    /// The downtime expected, in minutes (0 to 10 080).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10080)]
    pub downtime_minutes: i64,
    /// How risky it is.
    pub risk: Risk,
}

impl EventDraft {
    /// Checks the draft; the steps' texts and the rollback plan are trimmed, empty steps
    /// dropped, repeated units dropped.
    pub fn check(&mut self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        self.title = self.title.split_whitespace().collect::<Vec<_>>().join(" ");
        crate::field::text(&mut errors, "title", &self.title, MAX_TITLE, false);
        let mut seen = std::collections::BTreeSet::new();
        self.unit_ids.retain(|u| seen.insert(u.get()));
        if self.unit_ids.len() > MAX_UNITS {
            errors.push(FieldError::new(
                "unit_ids",
                "too_many",
                format!("at most {MAX_UNITS} units"),
            ));
        }
        if self.ends_at <= self.starts_at {
            errors.push(FieldError::new(
                "ends_at",
                "before_start",
                "after the start",
            ));
        } else if self.ends_at.duration_since(self.starts_at)
            > SignedDuration::from_hours(MAX_WINDOW_HOURS)
        {
            errors.push(FieldError::new(
                "ends_at",
                "too_long",
                format!("a window of at most {MAX_WINDOW_HOURS} hours"),
            ));
        }
        for step in &mut self.steps {
            step.text = step.text.trim().to_owned();
        }
        self.steps.retain(|s| !s.text.is_empty());
        if self.steps.is_empty() || self.steps.len() > MAX_STEPS {
            errors.push(FieldError::new(
                "steps",
                "out_of_range",
                format!("1 to {MAX_STEPS} steps"),
            ));
        }
        for (i, step) in self.steps.iter().enumerate() {
            crate::field::text(
                &mut errors,
                &format!("steps[{i}].text"),
                &step.text,
                MAX_TEXT,
                true,
            );
        }
        self.rollback = self.rollback.trim().to_owned();
        if !self.rollback.is_empty() {
            crate::field::text(&mut errors, "rollback", &self.rollback, MAX_TEXT, true);
        }
        if !(0..=10_080).contains(&self.downtime_minutes) {
            errors.push(FieldError::new(
                "downtime_minutes",
                "out_of_range",
                "0 to 10080 minutes",
            ));
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::china::{CHINA_5X8, builtin_calendars};

    fn china() -> BusinessCalendar {
        builtin_calendars()
            .into_iter()
            .find(|(id, _)| id.as_str() == CHINA_5X8)
            .map(|(_, spec)| spec.compile().expect("the built-in calendar compiles"))
            .expect("the built-in calendar")
    }

    fn day(s: &str) -> Date {
        s.parse().expect("a date")
    }

    #[test]
    fn notice_counts_working_days_of_the_calendar() {
        let cal = china();
        // Monday 2026-11-30, three working days: Tue, Wed, Thu.
        assert_eq!(
            earliest_start(&cal, day("2026-11-30"), 3),
            Some(day("2026-12-03"))
        );
        // Friday: the weekend does not count.
        assert_eq!(
            earliest_start(&cal, day("2026-12-04"), 1),
            Some(day("2026-12-07"))
        );
        // Before National Day: the make-up Saturday (10-10) counts, the week off does not.
        assert_eq!(
            earliest_start(&cal, day("2026-09-30"), 2),
            Some(day("2026-10-09"))
        );
        assert_eq!(
            earliest_start(&cal, day("2026-09-30"), 3),
            Some(day("2026-10-10"))
        );
        assert_eq!(
            earliest_start(&cal, day("2026-09-30"), 0),
            Some(day("2026-09-30"))
        );
    }

    #[test]
    fn steps_follow_the_arrows_only() {
        use EventState as S;
        use EventStep as T;
        let mut state = S::Draft;
        for (step, to) in [
            (T::Submit, S::Submitted),
            (T::Return, S::Returned),
            (T::Submit, S::Submitted),
            (T::Approve, S::Approved),
            (T::Start, S::InProgress),
            (T::Finish, S::Done),
        ] {
            state = state.after(step).expect("allowed");
            assert_eq!(state, to);
        }
        assert!(state.is_final());
        for step in EventStep::ALL {
            assert_eq!(S::Done.after(*step), None, "{step:?} after done");
        }
        assert_eq!(
            S::InProgress.after(T::Cancel),
            None,
            "work under way is not cancelled"
        );
        assert_eq!(
            S::Returned.after(T::Approve),
            None,
            "only a submitted request is reviewed"
        );
        assert!(S::Returned.is_editable() && !S::Submitted.is_editable());
    }

    #[test]
    fn a_draft_is_checked() {
        let start = Timestamp::from_second(1_800_000_000).expect("a time");
        let mut d = EventDraft {
            title: "  升级 存储 微码 ".into(),
            event_type: EventType::Microcode,
            unit_ids: vec![UnitId::new(3), UnitId::new(3)],
            starts_at: start,
            ends_at: start + SignedDuration::from_hours(4),
            steps: vec![
                PlanStep {
                    text: " 备份配置 ".into(),
                },
                PlanStep { text: "  ".into() },
                PlanStep {
                    text: "升级控制器 A".into(),
                },
            ],
            rollback: String::new(),
            downtime_minutes: 0,
            risk: Risk::Medium,
        };
        assert!(d.check().is_empty());
        assert_eq!(
            (d.title.as_str(), d.unit_ids.len(), d.steps.len()),
            ("升级 存储 微码", 1, 2)
        );
        d.ends_at = start;
        d.steps.clear();
        d.downtime_minutes = -1;
        let fields: Vec<String> = d.check().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["ends_at", "steps", "downtime_minutes"]);
    }
}
