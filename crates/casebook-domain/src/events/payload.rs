//! The JSON an event carries: an envelope (`id`, `type`, `occurred_at`, who caused it) and the
//! sections of its type (see [`super::EventKind::sections`]). Field names are stable; new
//! fields may be added, none are renamed or removed.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{EventKind, Scope};
use crate::attributes::{Severity, Tier};

/// An id and a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IdName {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
}

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Actor {
    /// `staff`, `customer`, `device` or `system`.
    pub kind: String,
    /// The person's name, the device's serial number, or `Casebook`.
    pub name: String,
}

/// The case as it stood when the event happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseSection {
    /// The case number, e.g. `2026-00042`.
    pub number: String,
    /// Its page in the console.
    pub url: String,
    /// One-line summary.
    pub title: String,
    /// 1–4.
    #[schema(value_type = u8)]
    pub severity: Severity,
    /// Lifecycle status, e.g. `in_progress`.
    pub status: String,
    /// The support tier, e.g. `l1`.
    pub tier: Option<String>,
    /// How it arrived, e.g. `call_home`.
    pub channel: String,
    /// The customer organisation.
    pub organization: IdName,
    /// The customer number of the organisation.
    pub customer_number: String,
    /// The product.
    pub product: Option<IdName>,
    /// The engineer responsible.
    pub owner: Option<IdName>,
    /// The SLA plan it runs on.
    pub plan: Option<String>,
    /// The nearest deadline of a running SLA target, if any.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sla_due_at: Option<Timestamp>,
    /// The metric of that deadline, e.g. `initial_response`.
    pub sla_metric: Option<String>,
}

/// A field's value before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChangeSection {
    /// `severity`, `owner` or `tier`.
    pub field: String,
    /// Before (a severity as its number, an owner as a name).
    pub from: Option<String>,
    /// After.
    pub to: Option<String>,
    /// The reason given, if any.
    pub reason: Option<String>,
}

/// A public reply or a proposed solution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReplySection {
    /// Who wrote it.
    pub author: String,
    /// Whether a customer wrote it.
    pub from_customer: bool,
    /// Its text (Markdown), at most 4,000 characters (`truncated` says when cut).
    pub body: String,
    /// Whether the text was cut.
    pub truncated: bool,
}

/// An SLA target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SlaSection {
    /// `initial_response`, `update_interval`, `resolution` or `onsite_arrival`.
    pub metric: String,
    /// The deadline.
    #[schema(value_type = String, format = DateTime)]
    pub deadline: Timestamp,
    /// The percentage of the target used when the warning fired (warnings only).
    pub percent: Option<u32>,
}

/// A call-home device and what it reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeviceSection {
    /// The unit's serial number.
    pub serial_number: String,
    /// The unit's id.
    pub unit_id: i64,
    /// The customer organisation.
    pub organization: IdName,
    /// The product.
    pub product: Option<IdName>,
    /// The fault code (faults and storms).
    pub code: Option<String>,
    /// The device's severity word, e.g. `critical` (faults).
    pub severity: Option<String>,
    /// The device's message (faults).
    pub message: Option<String>,
    /// The last heartbeat (silent devices).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_seen_at: Option<Timestamp>,
}

/// A satisfaction answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SurveySection {
    /// Why it calls for a follow-up: `low_score`, `negative_comment` or both.
    pub reason: String,
    /// The score for the resolution, 1–5.
    pub resolution: Option<u8>,
    /// The score for the speed, 1–5.
    pub speed: Option<u8>,
    /// The score for the engineer, 1–5.
    pub engineer: Option<u8>,
    /// The comment, if any.
    pub comment: Option<String>,
}

/// One event: what receivers get as the body of a webhook, and what robot messages are made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    /// Unique per event and the same on every delivery and retry: receivers drop repeats by it.
    pub id: String,
    /// The event type, e.g. `case.opened`.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: EventKind,
    /// When it happened.
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: Timestamp,
    /// Who caused it.
    pub actor: Actor,
    /// The case (case, SLA, fault and survey events).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub case: Option<CaseSection>,
    /// The change (severity, owner, tier).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub change: Option<ChangeSection>,
    /// The reply or solution.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reply: Option<ReplySection>,
    /// The SLA target.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sla: Option<SlaSection>,
    /// The device.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub device: Option<DeviceSection>,
    /// The answer.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub survey: Option<SurveySection>,
    /// The engineers on duty when it happened (by the on-duty rota), if any.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub on_duty: Vec<IdName>,
}

impl Event {
    /// An event with only its envelope.
    pub fn new(kind: EventKind, id: String, occurred_at: Timestamp, actor: Actor) -> Self {
        Event {
            id,
            kind,
            occurred_at,
            actor,
            case: None,
            change: None,
            reply: None,
            sla: None,
            device: None,
            survey: None,
            on_duty: Vec::new(),
        }
    }

    /// What the subscription filters test.
    pub fn scope(&self) -> Scope {
        match (&self.case, &self.device) {
            (Some(case), _) => Scope {
                severity: Some(case.severity),
                organization: Some(case.organization.id),
                product: case.product.as_ref().map(|p| p.id),
                tier: case
                    .tier
                    .as_deref()
                    .and_then(|t| <Tier as crate::Named>::parse(t).ok()),
                plan: case.plan.clone(),
            },
            (None, Some(device)) => Scope {
                organization: Some(device.organization.id),
                product: device.product.as_ref().map(|p| p.id),
                ..Scope::default()
            },
            (None, None) => Scope::default(),
        }
    }

    /// Whether it carries every section its type promises.
    pub fn is_complete(&self) -> bool {
        use super::Section::*;
        self.kind.sections().iter().all(|s| match s {
            Case => self.case.is_some(),
            Change => self.change.is_some(),
            Reply => self.reply.is_some(),
            Sla => self.sla.is_some(),
            Device => self.device.is_some(),
            Survey => self.survey.is_some(),
        })
    }
}

/// Cuts a text to at most `max` characters; true when cut.
pub fn cut(text: &str, max: usize) -> (String, bool) {
    match text.char_indices().nth(max) {
        Some((at, _)) => (text[..at].to_owned(), true),
        None => (text.to_owned(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case() -> CaseSection {
        CaseSection {
            number: "2026-00042".into(),
            url: "https://desk.test/console/cases/2026-00042".into(),
            title: "存储控制器故障".into(),
            severity: Severity::One,
            status: "new".into(),
            tier: Some("l1".into()),
            channel: "web".into(),
            organization: IdName {
                id: 7,
                name: "华东电网".into(),
            },
            customer_number: "C-0007".into(),
            product: Some(IdName {
                id: 3,
                name: "OceanStor".into(),
            }),
            owner: None,
            plan: Some("standard".into()),
            sla_due_at: None,
            sla_metric: None,
        }
    }

    #[test]
    fn the_json_uses_type_and_leaves_out_absent_sections() {
        let at: Timestamp = "2026-12-07T02:00:00Z".parse().unwrap();
        let actor = Actor {
            kind: "customer".into(),
            name: "李雷".into(),
        };
        let mut event = Event::new(EventKind::CaseOpened, "evt_1".into(), at, actor);
        assert!(!event.is_complete());
        event.case = Some(case());
        assert!(event.is_complete());
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "case.opened");
        assert_eq!(json["case"]["severity"], 1);
        assert!(json.get("change").is_none());
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
        let scope = event.scope();
        assert_eq!(scope.severity, Some(Severity::One));
        assert_eq!(scope.tier, Some(Tier::L1));
        assert_eq!(scope.product, Some(3));
    }

    #[test]
    fn cut_counts_characters_not_bytes() {
        assert_eq!(cut("故障处理", 2), ("故障".to_owned(), true));
        assert_eq!(cut("ok", 2), ("ok".to_owned(), false));
    }
}
