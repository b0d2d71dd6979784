//! The event catalogue (事件目录): what Casebook tells other systems and chat groups about, each
//! event type with a stable dotted name and the sections its payload always carries, and the
//! filters of a subscription (severity, organisation, product, tier, plan) as a pure test.
//!
//! The payload is built once, in the transaction of the change, and kept as it was: a
//! receiver sees the case as it stood when the event happened. Later capabilities (visits,
//! scheduled events, advisories, reports) add their types here.

pub mod payload;

use serde::{Deserialize, Serialize};

use crate::attributes::{Named, Severity, Tier};
use crate::error::{FieldError, ValidationError};

pub use payload::{
    Actor, CaseSection, ChangeSection, DeviceSection, Event, IdName, ReplySection, SlaSection,
    SurveySection,
};

/// A section of an event's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// The case as it stood (`case`).
    Case,
    /// A field's old and new value (`change`).
    Change,
    /// A public reply or a proposed solution (`reply`).
    Reply,
    /// An SLA target (`sla`).
    Sla,
    /// A call-home device and what it reported (`device`).
    Device,
    /// A satisfaction answer (`survey`).
    Survey,
}

impl Section {
    /// The payload's property name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Case => "case",
            Self::Change => "change",
            Self::Reply => "reply",
            Self::Sla => "sla",
            Self::Device => "device",
            Self::Survey => "survey",
        }
    }
}

/// The type of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// A case was opened, on any channel.
    CaseOpened,
    /// Its severity changed.
    CaseSeverityChanged,
    /// Its owner changed (assigned or taken).
    CaseAssigned,
    /// It moved to a higher support tier.
    CaseEscalated,
    /// Someone replied in public (staff or customer).
    CaseReplied,
    /// Staff proposed a solution.
    CaseSolutionProposed,
    /// It was closed or cancelled.
    CaseClosed,
    /// It was reopened.
    CaseReopened,
    /// An SLA target is close (an escalation step before the deadline).
    SlaWarning,
    /// An SLA target was missed.
    SlaBreach,
    /// A device reported a fault that opened or joined a case.
    CallHomeFault,
    /// A device reported faults faster than its storm limit.
    CallHomeStorm,
    /// A device stopped sending heartbeats.
    CallHomeSilent,
    /// A satisfaction answer calls for a follow-up (a low score or a negative comment).
    SurveyLowScore,
    /// A test sent by an administrator.
    Ping,
}

impl Named for EventKind {
    const WHAT: &'static str = "event type";
    const ALL: &'static [Self] = &[
        Self::CaseOpened,
        Self::CaseSeverityChanged,
        Self::CaseAssigned,
        Self::CaseEscalated,
        Self::CaseReplied,
        Self::CaseSolutionProposed,
        Self::CaseClosed,
        Self::CaseReopened,
        Self::SlaWarning,
        Self::SlaBreach,
        Self::CallHomeFault,
        Self::CallHomeStorm,
        Self::CallHomeSilent,
        Self::SurveyLowScore,
        Self::Ping,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::CaseOpened => "case.opened",
            Self::CaseSeverityChanged => "case.severity_changed",
            Self::CaseAssigned => "case.assigned",
            Self::CaseEscalated => "case.escalated",
            Self::CaseReplied => "case.replied",
            Self::CaseSolutionProposed => "case.solution_proposed",
            Self::CaseClosed => "case.closed",
            Self::CaseReopened => "case.reopened",
            Self::SlaWarning => "sla.warning",
            Self::SlaBreach => "sla.breach",
            Self::CallHomeFault => "call_home.fault",
            Self::CallHomeStorm => "call_home.storm",
            Self::CallHomeSilent => "call_home.silent",
            Self::SurveyLowScore => "survey.low_score",
            Self::Ping => "ping",
        }
    }
}

impl EventKind {
    /// The sections its payload always carries (others are absent).
    pub fn sections(self) -> &'static [Section] {
        use Section::*;
        match self {
            Self::CaseOpened | Self::CaseClosed | Self::CaseReopened => &[Case],
            Self::CaseSeverityChanged | Self::CaseAssigned | Self::CaseEscalated => &[Case, Change],
            Self::CaseReplied | Self::CaseSolutionProposed => &[Case, Reply],
            Self::SlaWarning | Self::SlaBreach => &[Case, Sla],
            Self::CallHomeFault => &[Case, Device],
            Self::CallHomeStorm | Self::CallHomeSilent => &[Device],
            Self::SurveyLowScore => &[Case, Survey],
            Self::Ping => &[],
        }
    }

    /// What it means, in English (the catalogue in the API description and the docs).
    pub fn description(self) -> &'static str {
        match self {
            Self::CaseOpened => "A case was opened, on any channel.",
            Self::CaseSeverityChanged => {
                "A case's severity changed; `change` holds the old and new level."
            }
            Self::CaseAssigned => "A case's owner changed; `change` holds the old and new owner.",
            Self::CaseEscalated => {
                "A case moved to a higher support tier; `change` holds the tiers."
            }
            Self::CaseReplied => "Someone replied in public on a case; internal notes never leave.",
            Self::CaseSolutionProposed => "Staff proposed a solution; `reply` holds it.",
            Self::CaseClosed => "A case was closed or cancelled.",
            Self::CaseReopened => "A closed case was reopened.",
            Self::SlaWarning => "An SLA target of a case is close to its deadline.",
            Self::SlaBreach => "An SLA target of a case was missed.",
            Self::CallHomeFault => "A device's fault opened a case or was added to one.",
            Self::CallHomeStorm => {
                "A device reported faults faster than its storm limit; further copies are summarised."
            }
            Self::CallHomeSilent => "A device's heartbeats stopped.",
            Self::SurveyLowScore => {
                "A satisfaction answer scored at or below the follow-up threshold, or its comment is negative."
            }
            Self::Ping => "A test sent by an administrator from the subscription's page.",
        }
    }

    /// Whether a subscription may ask for it (a ping goes only where it is sent by hand).
    pub fn subscribable(self) -> bool {
        self != Self::Ping
    }
}

impl Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// What an event is about, as the subscription filters test it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// The case's severity.
    pub severity: Option<Severity>,
    /// The customer organisation.
    pub organization: Option<i64>,
    /// The product.
    pub product: Option<i64>,
    /// The case's support tier.
    pub tier: Option<Tier>,
    /// The SLA plan the case runs on.
    pub plan: Option<String>,
}

/// A subscription's filters: each list, when not empty, must contain the event's value; an
/// event without that value (a silent device has no severity) does not pass a filter on it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Filters {
    /// Severities 1–4.
    #[schema(value_type = Vec<u8>)]
    pub severities: Vec<Severity>,
    /// Organisation ids.
    pub organizations: Vec<i64>,
    /// Product ids.
    pub products: Vec<i64>,
    /// Support tiers.
    pub tiers: Vec<Tier>,
    /// SLA plan ids.
    pub plans: Vec<String>,
}

fn passes<T: PartialEq>(wanted: &[T], value: Option<&T>) -> bool {
    wanted.is_empty() || value.is_some_and(|v| wanted.contains(v))
}

impl Filters {
    /// Whether an event about `scope` passes.
    pub fn pass(&self, scope: &Scope) -> bool {
        passes(&self.severities, scope.severity.as_ref())
            && passes(&self.organizations, scope.organization.as_ref())
            && passes(&self.products, scope.product.as_ref())
            && passes(&self.tiers, scope.tier.as_ref())
            && passes(&self.plans, scope.plan.as_ref())
    }

    /// Checks sizes (at most 200 values per list, plan ids of at most 64 characters).
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let lengths = [
            ("filters.severities", self.severities.len()),
            ("filters.organizations", self.organizations.len()),
            ("filters.products", self.products.len()),
            ("filters.tiers", self.tiers.len()),
            ("filters.plans", self.plans.len()),
        ];
        for (field, n) in lengths {
            if n > 200 {
                errors.push(FieldError::new(field, "too_long", "at most 200 values"));
            }
        }
        for (i, plan) in self.plans.iter().enumerate() {
            if plan.trim().is_empty() || plan.chars().count() > 64 {
                errors.push(FieldError::new(
                    format!("filters.plans[{i}]"),
                    "invalid",
                    "a plan id of 1 to 64 characters",
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Parses a list of event type names, refusing unknown names, `ping`, repeats and an empty list.
pub fn parse_kinds(raw: &[String]) -> Result<Vec<EventKind>, FieldError> {
    if raw.is_empty() {
        return Err(FieldError::new(
            "events",
            "required",
            "name at least one event type",
        ));
    }
    let mut kinds = Vec::with_capacity(raw.len());
    for (i, name) in raw.iter().enumerate() {
        let kind =
            EventKind::parse(name).map_err(|e: ValidationError| e.on(format!("events[{i}]")))?;
        if !kind.subscribable() {
            return Err(FieldError::new(
                format!("events[{i}]"),
                "invalid",
                "`ping` is sent by hand, not subscribed to",
            ));
        }
        if kinds.contains(&kind) {
            return Err(FieldError::new(
                format!("events[{i}]"),
                "duplicate",
                format!("{name} is named twice"),
            ));
        }
        kinds.push(kind);
    }
    Ok(kinds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_a_unique_dotted_name_that_parses_back() {
        let mut names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Ok(*kind));
            assert!(!kind.description().is_empty());
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EventKind::ALL.len());
        assert!(EventKind::parse("case.deleted").is_err());
    }

    #[test]
    fn filters_narrow_and_an_absent_value_does_not_pass_a_filter_on_it() {
        let scope = Scope {
            severity: Some(Severity::One),
            organization: Some(7),
            product: None,
            tier: Some(Tier::L1),
            plan: Some("standard".into()),
        };
        assert!(Filters::default().pass(&scope));
        let sev1 = Filters {
            severities: vec![Severity::One, Severity::Two],
            ..Filters::default()
        };
        assert!(sev1.pass(&scope));
        let sev3 = Filters {
            severities: vec![Severity::Three],
            ..Filters::default()
        };
        assert!(!sev3.pass(&scope));
        let by_product = Filters {
            products: vec![3],
            ..Filters::default()
        };
        assert!(!by_product.pass(&scope));
        let org_and_plan = Filters {
            organizations: vec![7, 8],
            plans: vec!["standard".into()],
            ..Filters::default()
        };
        assert!(org_and_plan.pass(&scope));
        assert!(!sev1.pass(&Scope::default()));
    }

    #[test]
    fn kinds_refuse_unknown_repeated_ping_and_none() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_kinds(&names(&["case.opened", "sla.breach"])),
            Ok(vec![EventKind::CaseOpened, EventKind::SlaBreach])
        );
        assert_eq!(parse_kinds(&names(&[])).unwrap_err().field, "events");
        assert_eq!(
            parse_kinds(&names(&["case.opened", "case.nope"]))
                .unwrap_err()
                .field,
            "events[1]"
        );
        assert_eq!(
            parse_kinds(&names(&["ping"])).unwrap_err().field,
            "events[0]"
        );
        assert_eq!(
            parse_kinds(&names(&["sla.breach", "sla.breach"]))
                .unwrap_err()
                .code,
            "duplicate"
        );
    }

    #[test]
    fn filters_are_bounded() {
        let too_many = Filters {
            organizations: (0..201).collect(),
            plans: vec![String::new()],
            ..Filters::default()
        };
        let errors = too_many.check().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["filters.organizations", "filters.plans[0]"]);
    }
}
