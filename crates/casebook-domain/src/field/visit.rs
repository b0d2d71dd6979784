//! On-site visits (现场服务): dispatched from a case with the engineers, the site, the planned
//! arrival and the spare parts reserved; the engineer checks in on arrival (which meets the
//! plan's on-site arrival target) and completes the visit with the work done, the parts used
//! (the new serial number in, the old one out and returned as defective) and the travel time.
//! The customer then signs the completed visit once, which makes its service report.
//!
//! ```text
//! planned ──check in──▶ on_site ──complete──▶ completed
//!    └──cancel──▶ cancelled                          └──sign──▶ (signed: the service report)
//! ```

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::signature::SignMethod;
use crate::attributes::Named;
use crate::case::NamedRef;
use crate::error::FieldError;
use crate::ids::{SiteId, UnitId, UserId};

/// The most engineers one visit sends.
pub const MAX_ENGINEERS: usize = 5;
/// The most lines of parts one visit reserves or uses.
pub const MAX_PARTS: usize = 20;
/// The longest description of the work done.
pub const MAX_WORK: usize = 8000;

/// Where a visit is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VisitState {
    /// Dispatched, not arrived.
    Planned,
    /// The engineer checked in.
    OnSite,
    /// The work is done and recorded.
    Completed,
    /// Called off before arrival; its parts went back to stock.
    Cancelled,
}

impl Named for VisitState {
    const WHAT: &'static str = "visit state";
    const ALL: &'static [Self] = &[
        Self::Planned,
        Self::OnSite,
        Self::Completed,
        Self::Cancelled,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::OnSite => "on_site",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// Parts to reserve for a visit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reservation {
    /// The part.
    pub part_id: i64,
    /// The depot it comes from.
    pub depot_id: i64,
    /// How many, 1 to 100.
    #[schema(minimum = 1, maximum = 100)]
    pub quantity: i64,
}

/// A visit as a dispatcher sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitDraft {
    /// The site (default: the site of the case's unit).
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub site_id: Option<SiteId>,
    /// The engineers sent, up to 5 active staff; the first leads. None: the visit waits on the
    /// dispatch board for engineers.
    #[serde(default)]
    #[schema(value_type = Vec<i64>)]
    pub engineer_ids: Vec<UserId>,
    /// When they should arrive (not more than a day ago, at most a year ahead).
    #[schema(value_type = String, format = DateTime)]
    pub planned_arrival: Timestamp,
    /// How long the visit should take on site, 15 to 1440 minutes (default 120).
    #[serde(default = "default_minutes")]
    #[schema(minimum = 15, maximum = 1440)]
    pub planned_minutes: i64,
    /// Spare parts reserved from depots.
    #[serde(default)]
    pub parts: Vec<Reservation>,
    /// Notes for the engineers (access, contacts on site).
    #[serde(default)]
    pub notes: String,
}

fn default_minutes() -> i64 {
    120
}

/// Checks a visit's engineers: distinct, at most [`MAX_ENGINEERS`].
fn check_engineers(engineers: &mut Vec<UserId>, errors: &mut Vec<FieldError>) {
    let mut seen = std::collections::BTreeSet::new();
    engineers.retain(|u| seen.insert(u.get()));
    if engineers.len() > MAX_ENGINEERS {
        errors.push(FieldError::new(
            "engineer_ids",
            "out_of_range",
            format!("at most {MAX_ENGINEERS} engineers"),
        ));
    }
}

/// Checks a planned arrival: not more than a day ago, at most a year ahead.
fn check_arrival(at: Timestamp, now: Timestamp, errors: &mut Vec<FieldError>) {
    if at < now - SignedDuration::from_hours(24) {
        errors.push(FieldError::new(
            "planned_arrival",
            "in_past",
            "not more than a day ago",
        ));
    } else if at > now + SignedDuration::from_hours(24 * 366) {
        errors.push(FieldError::new(
            "planned_arrival",
            "too_far",
            "at most a year ahead",
        ));
    }
}

/// The engineers a dispatcher assigns to a visit that has not begun.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// The engineers, up to 5 active staff; the first leads.
    #[schema(value_type = Vec<i64>)]
    pub engineer_ids: Vec<UserId>,
    /// A new planned arrival.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub planned_arrival: Option<Timestamp>,
    /// A new planned length, 15 to 1440 minutes.
    #[serde(default)]
    #[schema(minimum = 15, maximum = 1440)]
    pub planned_minutes: Option<i64>,
    /// The version the dispatcher saw.
    #[serde(default)]
    pub version: Option<i64>,
}

impl Assignment {
    /// Checks the assignment at `now`.
    pub fn check(&mut self, now: Timestamp) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_engineers(&mut self.engineer_ids, &mut errors);
        if let Some(at) = self.planned_arrival {
            check_arrival(at, now, &mut errors);
        }
        if self
            .planned_minutes
            .is_some_and(|m| !(15..=1440).contains(&m))
        {
            errors.push(FieldError::new(
                "planned_minutes",
                "out_of_range",
                "15 to 1440 minutes",
            ));
        }
        errors
    }
}

impl VisitDraft {
    /// Checks the draft at `now`.
    pub fn check(&mut self, now: Timestamp) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_engineers(&mut self.engineer_ids, &mut errors);
        if !(15..=1440).contains(&self.planned_minutes) {
            errors.push(FieldError::new(
                "planned_minutes",
                "out_of_range",
                "15 to 1440 minutes",
            ));
        }
        check_arrival(self.planned_arrival, now, &mut errors);
        if self.parts.len() > MAX_PARTS {
            errors.push(FieldError::new(
                "parts",
                "too_many",
                format!("at most {MAX_PARTS} lines"),
            ));
        }
        for (i, p) in self.parts.iter().enumerate() {
            if !(1..=100).contains(&p.quantity) {
                errors.push(FieldError::new(
                    format!("parts[{i}].quantity"),
                    "out_of_range",
                    "1 to 100",
                ));
            }
        }
        self.notes = self.notes.trim().to_owned();
        if self.notes.chars().count() > MAX_WORK {
            errors.push(FieldError::new(
                "notes",
                "too_long",
                format!("at most {MAX_WORK} characters"),
            ));
        }
        errors
    }
}

/// The engineer's arrival.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    /// When they arrived (default: now; not in the future, not before the dispatch).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<Timestamp>,
    /// The version the engineer saw.
    #[serde(default)]
    pub version: Option<i64>,
}

/// A part used on a visit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartUsed {
    /// The part (one of the visit's reservations).
    pub part_id: i64,
    /// The unit it went into (of the case's organisation).
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub unit_id: Option<UnitId>,
    /// The serial number of the part that went in (required for serialised parts).
    #[serde(default)]
    pub new_serial: Option<String>,
    /// The serial number of the part that came out.
    #[serde(default)]
    pub old_serial: Option<String>,
}

/// The visit's end: what was done, with which parts, and the travel time.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Completion {
    /// The work done, for the service report.
    pub work_done: String,
    /// The parts used, one line per item.
    #[serde(default)]
    pub parts: Vec<PartUsed>,
    /// Minutes of travel of each engineer, 0 to 1440.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1440)]
    pub travel_minutes: i64,
    /// The version the engineer saw.
    #[serde(default)]
    pub version: Option<i64>,
}

impl Completion {
    /// Checks the completion; serial numbers normalised with `code`.
    pub fn check(
        &mut self,
        code: impl Fn(&mut Vec<FieldError>, &str, &str) -> String,
    ) -> Vec<FieldError> {
        let mut errors = Vec::new();
        self.work_done = self.work_done.trim().to_owned();
        if self.work_done.is_empty() {
            errors.push(FieldError::new(
                "work_done",
                "required",
                "say what was done",
            ));
        } else if self.work_done.chars().count() > MAX_WORK {
            errors.push(FieldError::new(
                "work_done",
                "too_long",
                format!("at most {MAX_WORK} characters"),
            ));
        }
        if !(0..=1440).contains(&self.travel_minutes) {
            errors.push(FieldError::new(
                "travel_minutes",
                "out_of_range",
                "0 to 1440 minutes",
            ));
        }
        if self.parts.len() > MAX_PARTS * 5 {
            errors.push(FieldError::new("parts", "too_many", "too many parts"));
        }
        for (i, p) in self.parts.iter_mut().enumerate() {
            for (name, serial) in [
                ("new_serial", &mut p.new_serial),
                ("old_serial", &mut p.old_serial),
            ] {
                if let Some(raw) = serial.as_deref().filter(|s| !s.trim().is_empty()) {
                    *serial = Some(code(&mut errors, &format!("parts[{i}].{name}"), raw));
                } else {
                    *serial = None;
                }
            }
        }
        errors
    }
}

/// Parts reserved for a visit, as read.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Reserved {
    /// The part.
    pub part_id: i64,
    /// Its number.
    pub part_number: String,
    /// Its description.
    pub description: String,
    /// The depot.
    #[schema(value_type = Object)]
    pub depot: NamedRef<i64>,
    /// How many were reserved.
    pub quantity: i64,
    /// How many were used.
    pub used: i64,
}

/// A part used on a visit, as read.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Used {
    /// The part number.
    pub part_number: String,
    /// Its description.
    pub description: String,
    /// The unit it went into.
    #[schema(value_type = Option<Object>)]
    pub unit: Option<NamedRef<UnitId>>,
    /// The serial number that went in.
    pub new_serial: Option<String>,
    /// The serial number that came out, returned as defective.
    pub old_serial: Option<String>,
}

/// The customer's sign-off of a visit and its service report (服务报告单).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Signed {
    /// Who signed, as they typed it.
    pub signer_name: String,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub signed_at: Timestamp,
    /// How.
    pub method: SignMethod,
    /// The report's attachment on the case.
    pub report_attachment_id: Option<i64>,
    /// The report's SHA-256, also in the audit chain.
    pub report_sha256: Option<String>,
}

/// An on-site visit.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Visit {
    /// Id.
    pub id: i64,
    /// The case.
    pub case_number: String,
    /// Where it is in its life.
    pub state: VisitState,
    /// The site.
    #[schema(value_type = Option<Object>)]
    pub site: Option<NamedRef<SiteId>>,
    /// The engineers, the lead first.
    #[schema(value_type = Vec<Object>)]
    pub engineers: Vec<NamedRef<UserId>>,
    /// When they should arrive.
    #[schema(value_type = String, format = DateTime)]
    pub planned_arrival: Timestamp,
    /// How long it should take on site.
    pub planned_minutes: i64,
    /// Notes for the engineers.
    pub notes: String,
    /// Who dispatched it.
    #[schema(value_type = Option<Object>)]
    pub dispatched_by: Option<NamedRef<UserId>>,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub dispatched_at: Timestamp,
    /// When the engineer arrived.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub checked_in_at: Option<Timestamp>,
    /// When the work was recorded as done, or the visit cancelled.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<Timestamp>,
    /// The work done.
    pub work_done: String,
    /// Minutes of travel of each engineer.
    pub travel_minutes: i64,
    /// Minutes on site.
    pub onsite_minutes: Option<i64>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// Parts reserved.
    pub reserved: Vec<Reserved>,
    /// Parts used.
    pub used: Vec<Used>,
    /// The customer's sign-off and the service report, once signed.
    pub signed: Option<Signed>,
    /// Version for optimistic concurrency.
    pub version: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_is_checked() {
        let now = Timestamp::from_second(1_800_000_000).expect("a time");
        let mut d = VisitDraft {
            site_id: None,
            engineer_ids: vec![UserId::new(2), UserId::new(2)],
            planned_arrival: now + SignedDuration::from_hours(4),
            planned_minutes: 120,
            parts: vec![Reservation {
                part_id: 1,
                depot_id: 1,
                quantity: 1,
            }],
            notes: " gate 3 ".into(),
        };
        assert!(d.check(now).is_empty());
        assert_eq!((d.engineer_ids.len(), d.notes.as_str()), (1, "gate 3"));
        d.engineer_ids = (1..=6).map(UserId::new).collect();
        d.planned_arrival = now - SignedDuration::from_hours(48);
        d.parts[0].quantity = 0;
        let fields: Vec<String> = d.check(now).into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["engineer_ids", "planned_arrival", "parts[0].quantity"]
        );
    }
}
