//! The fault-handling report (故障处理报告) of a case: what the customer saw, the fault's
//! category, its root cause, what was done, the parts that failed and the downtime. Every case
//! with a hardware replacement or of severity 1 should have one; together they are the fault
//! database, queried by product, version, part number, root cause and period ("which part
//! numbers fail most on product X this year").

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attributes::Named;
use crate::case::NamedRef;
use crate::error::FieldError;
use crate::ids::{OrganizationId, ProductId, UserId};

/// The longest symptom, root cause or actions text.
pub const MAX_TEXT: usize = 8000;
/// The most part lines of one report.
pub const MAX_PARTS: usize = 20;

/// What kind of fault it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FaultCategory {
    /// A part failed.
    Hardware,
    /// Firmware.
    Firmware,
    /// Software (a defect).
    Software,
    /// A wrong setting.
    Configuration,
    /// The network around it.
    Network,
    /// Power, cooling, the room.
    Environment,
    /// How it was operated.
    Operation,
    /// Not found.
    Unknown,
}

impl Named for FaultCategory {
    const WHAT: &'static str = "fault category";
    const ALL: &'static [Self] = &[
        Self::Hardware,
        Self::Firmware,
        Self::Software,
        Self::Configuration,
        Self::Network,
        Self::Environment,
        Self::Operation,
        Self::Unknown,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::Hardware => "hardware",
            Self::Firmware => "firmware",
            Self::Software => "software",
            Self::Configuration => "configuration",
            Self::Network => "network",
            Self::Environment => "environment",
            Self::Operation => "operation",
            Self::Unknown => "unknown",
        }
    }
}

/// A part that failed.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultPart {
    /// The part.
    pub part_id: i64,
    /// How many, 1 to 100.
    #[schema(minimum = 1, maximum = 100)]
    pub quantity: i64,
}

/// A fault-handling report as staff write it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultDraft {
    /// What the customer saw.
    pub symptom: String,
    /// The kind of fault.
    pub category: FaultCategory,
    /// Why it happened.
    pub root_cause: String,
    /// What was done about it.
    pub actions: String,
    /// When the service went down.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub downtime_start: Option<Timestamp>,
    /// When it was back.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub downtime_end: Option<Timestamp>,
    /// The parts that failed (default: the parts used on the case's visits).
    #[serde(default)]
    pub parts: Option<Vec<FaultPart>>,
    /// The version last read (to change a report).
    #[serde(default)]
    pub version: Option<i64>,
}

impl FaultDraft {
    /// Checks the draft at `now`.
    pub fn check(&mut self, now: Timestamp) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for (name, value) in [
            ("symptom", &mut self.symptom),
            ("root_cause", &mut self.root_cause),
            ("actions", &mut self.actions),
        ] {
            *value = value.trim().to_owned();
            super::text(&mut errors, name, value, MAX_TEXT, true);
        }
        match (self.downtime_start, self.downtime_end) {
            (None, Some(_)) => errors.push(FieldError::new(
                "downtime_start",
                "required",
                "when the downtime began",
            )),
            (Some(start), Some(end)) if end < start => errors.push(FieldError::new(
                "downtime_end",
                "before_start",
                "not before the downtime began",
            )),
            _ => {}
        }
        for (name, at) in [
            ("downtime_start", self.downtime_start),
            ("downtime_end", self.downtime_end),
        ] {
            if at.is_some_and(|t| t > now + jiff::SignedDuration::from_mins(5)) {
                errors.push(FieldError::new(name, "in_future", "not in the future"));
            }
        }
        if let Some(parts) = &self.parts {
            if parts.len() > MAX_PARTS {
                errors.push(FieldError::new(
                    "parts",
                    "too_many",
                    format!("at most {MAX_PARTS} lines"),
                ));
            }
            for (i, p) in parts.iter().enumerate() {
                if !(1..=100).contains(&p.quantity) {
                    errors.push(FieldError::new(
                        format!("parts[{i}].quantity"),
                        "out_of_range",
                        "1 to 100",
                    ));
                }
            }
        }
        errors
    }
}

/// A part of a report, as read.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FailedPart {
    /// The part.
    pub part_id: i64,
    /// Its number.
    pub part_number: String,
    /// Its description.
    pub description: String,
    /// How many failed.
    pub quantity: i64,
}

/// A fault-handling report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FaultReport {
    /// Id.
    pub id: i64,
    /// The case.
    pub case_number: String,
    /// The case's title.
    pub case_title: String,
    /// The case's severity (1 is the highest).
    pub severity: i64,
    /// The customer.
    #[schema(value_type = Object)]
    pub organization: NamedRef<OrganizationId>,
    /// The product.
    #[schema(value_type = Option<Object>)]
    pub product: Option<NamedRef<ProductId>>,
    /// Its version.
    pub product_version: String,
    /// What the customer saw.
    pub symptom: String,
    /// The kind of fault.
    pub category: FaultCategory,
    /// Why it happened.
    pub root_cause: String,
    /// What was done.
    pub actions: String,
    /// When the service went down.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub downtime_start: Option<Timestamp>,
    /// When it was back.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub downtime_end: Option<Timestamp>,
    /// Minutes down, when both ends are known.
    pub downtime_minutes: Option<i64>,
    /// The parts that failed.
    pub parts: Vec<FailedPart>,
    /// The knowledge-base draft started from it.
    pub article_id: Option<i64>,
    /// Who wrote it.
    #[schema(value_type = Option<Object>)]
    pub created_by: Option<NamedRef<UserId>>,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last change.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Version for optimistic concurrency.
    pub version: i64,
}

/// How often a part number failed in the reports asked for.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PartFailures {
    /// The part number.
    pub part_number: String,
    /// Its description.
    pub description: String,
    /// Reports naming it.
    pub reports: i64,
    /// Items failed in all.
    pub quantity: i64,
}

/// A case that should have a fault-handling report and has none: severity 1, or a part replaced.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReportDue {
    /// The case.
    pub case_number: String,
    /// Its title.
    pub title: String,
    /// Its severity.
    pub severity: i64,
    /// Whether a part was replaced on one of its visits.
    pub part_replaced: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_is_checked() {
        let now = Timestamp::from_second(1_800_000_000).expect("a time");
        let mut d = FaultDraft {
            symptom: " 阵列告警 ".into(),
            category: FaultCategory::Hardware,
            root_cause: "BBU aged".into(),
            actions: "replaced".into(),
            downtime_start: Some(now - jiff::SignedDuration::from_hours(2)),
            downtime_end: Some(now - jiff::SignedDuration::from_hours(1)),
            parts: None,
            version: None,
        };
        assert!(d.check(now).is_empty());
        assert_eq!(d.symptom, "阵列告警");
        d.downtime_end = Some(now - jiff::SignedDuration::from_hours(3));
        d.root_cause = String::new();
        d.parts = Some(vec![FaultPart {
            part_id: 1,
            quantity: 0,
        }]);
        let fields: Vec<String> = d.check(now).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["root_cause", "downtime_end", "parts[0].quantity"]);
        d.downtime_start = None;
        let fields: Vec<String> = d.check(now).into_iter().map(|e| e.field).collect();
        assert!(fields.contains(&"downtime_start".to_owned()));
    }
}
