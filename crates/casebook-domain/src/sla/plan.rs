//! Support plans: per severity, the calendar the clocks run on and the targets for each metric
//! (initial response, update interval, resolution, on-site arrival), with overrides by channel
//! (problems submitted electronically are answered by the next business day), the statuses that
//! pause the clocks, and the escalation steps (owner → tier lead → duty manager).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::definition::CalendarId;
use crate::attributes::{Channel, Named, Severity, Status};
use crate::error::FieldError;

/// What an SLA clock measures.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// From opening to the first public reply by staff.
    InitialResponse,
    /// From each public staff reply to the next.
    UpdateInterval,
    /// From opening to closure.
    Resolution,
    /// From dispatch of an on-site visit to arrival.
    OnsiteArrival,
}

impl Metric {
    /// Every metric.
    pub const ALL: [Metric; 4] = [
        Metric::InitialResponse,
        Metric::UpdateInterval,
        Metric::Resolution,
        Metric::OnsiteArrival,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::InitialResponse => "initial_response",
            Metric::UpdateInterval => "update_interval",
            Metric::Resolution => "resolution",
            Metric::OnsiteArrival => "onsite_arrival",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// How much time a metric allows: working minutes on the calendar, or until the end of the next
/// business day. JSON: `{"minutes": 120}` or `"nbd"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Working minutes.
    Minutes(u32),
    /// The end of the next business day after the start's date.
    NextBusinessDay,
}

/// The longest target: ten years of minutes.
pub const MAX_TARGET_MINUTES: u32 = 10 * 366 * 24 * 60;

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum TargetRepr {
    Minutes(MinutesRepr),
    Keyword(String),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MinutesRepr {
    minutes: u32,
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Target::Minutes(minutes) => TargetRepr::Minutes(MinutesRepr { minutes }),
            Target::NextBusinessDay => TargetRepr::Keyword("nbd".into()),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match TargetRepr::deserialize(d) {
            Ok(TargetRepr::Minutes(MinutesRepr { minutes }))
                if (1..=MAX_TARGET_MINUTES).contains(&minutes) =>
            {
                Ok(Target::Minutes(minutes))
            }
            Ok(TargetRepr::Keyword(k)) if k == "nbd" => Ok(Target::NextBusinessDay),
            _ => Err(serde::de::Error::custom(
                "a target is {\"minutes\": N} (1 minute to 10 years) or \"nbd\"",
            )),
        }
    }
}

/// `{"minutes": N}` or the string `"nbd"`: one of two shapes, as serialised.
impl utoipa::PartialSchema for Target {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Type};
        let minutes = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(
                "minutes",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1))
                    .maximum(Some(MAX_TARGET_MINUTES))
                    .description(Some("Working minutes on the calendar.")),
            )
            .required("minutes")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        let next_business_day = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(["nbd"]))
            .description(Some("The end of the next business day."));
        OneOfBuilder::new()
            .item(minutes)
            .item(next_business_day)
            .description(Some("`{\"minutes\": 120}` (working minutes) or `\"nbd\"` (end of the next business day)."))
            .examples([serde_json::json!({"minutes": 120}), serde_json::json!("nbd")])
            .into()
    }
}

impl utoipa::ToSchema for Target {}

/// The targets of each metric; a metric without a target has no clock.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// Initial response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_response: Option<Target>,
    /// Interval between public updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_interval: Option<Target>,
    /// Resolution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Target>,
    /// On-site arrival after dispatch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onsite_arrival: Option<Target>,
}

impl Targets {
    /// The target of a metric.
    pub fn of(&self, metric: Metric) -> Option<Target> {
        match metric {
            Metric::InitialResponse => self.initial_response,
            Metric::UpdateInterval => self.update_interval,
            Metric::Resolution => self.resolution,
            Metric::OnsiteArrival => self.onsite_arrival,
        }
    }
}

/// A different target (and optionally calendar) for cases that arrived by some channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelOverride {
    /// The channels, e.g. `["web", "email"]`.
    pub channels: Vec<Channel>,
    /// The metric.
    pub metric: Metric,
    /// Its target for these channels.
    pub target: Target,
    /// Another calendar for these channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<CalendarId>,
}

/// The terms for one severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeverityTerms {
    /// The severity, 1–4.
    pub severity: Severity,
    /// The calendar its clocks run on, e.g. `24x7` for severity 1, `china-5x8` for the others.
    pub calendar: CalendarId,
    /// The targets.
    pub targets: Targets,
    /// Channel overrides, e.g. web and e-mail answered by the next business day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<ChannelOverride>,
}

/// Who an escalation step notifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Notify {
    /// The case's owner (or the coordinators if it has none).
    Owner,
    /// The lead of the case's tier.
    TierLead,
    /// The duty manager.
    DutyManager,
}

/// One escalation step: at this share of the target, notify these people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationStep {
    /// Share of the target in percent, 1–1000: below 100 a warning, 100 the breach, above it
    /// later escalations.
    #[schema(minimum = 1, maximum = 1000)]
    pub percent: u16,
    /// Who is told.
    pub notify: Notify,
}

/// Statuses that pause the clocks unless a plan says otherwise: awaiting the customer.
pub fn default_pause_statuses() -> Vec<Status> {
    vec![Status::AwaitingCustomer]
}

/// Escalation unless a plan says otherwise: 75 % owner, 100 % tier lead, 150 % duty manager.
pub fn default_escalation() -> Vec<EscalationStep> {
    vec![
        EscalationStep {
            percent: 75,
            notify: Notify::Owner,
        },
        EscalationStep {
            percent: 100,
            notify: Notify::TierLead,
        },
        EscalationStep {
            percent: 150,
            notify: Notify::DutyManager,
        },
    ]
}

/// A support plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanSpec {
    /// Its name, e.g. `标准支持 Standard 5×8`.
    pub name: String,
    /// What it promises, for people.
    #[serde(default)]
    pub description: String,
    /// The terms of each severity, 1 to 4, each exactly once.
    pub severities: Vec<SeverityTerms>,
    /// Statuses in which the clocks stand still (default: awaiting the customer).
    #[serde(default = "default_pause_statuses")]
    pub pause_statuses: Vec<Status>,
    /// Escalation steps, by rising share of the target (default: 75 % owner, 100 % tier lead,
    /// 150 % duty manager).
    #[serde(default = "default_escalation")]
    pub escalation: Vec<EscalationStep>,
}

/// The target and calendar of one metric of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    /// The calendar.
    pub calendar: CalendarId,
    /// The target.
    pub target: Target,
}

impl PlanSpec {
    /// Validates the plan (calendars are checked by the caller, who knows which exist).
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            errors.push(FieldError::new(
                "name",
                "invalid",
                "a name of 1 to 200 characters",
            ));
        }
        for severity in Severity::ALL {
            let n = self
                .severities
                .iter()
                .filter(|t| t.severity == severity)
                .count();
            if n != 1 {
                errors.push(FieldError::new(
                    "severities",
                    if n == 0 { "missing" } else { "duplicate" },
                    format!("severity {} must have terms exactly once", severity.level()),
                ));
            }
        }
        for (i, terms) in self.severities.iter().enumerate() {
            if Metric::ALL.iter().all(|m| terms.targets.of(*m).is_none()) {
                errors.push(FieldError::new(
                    format!("severities[{i}].targets"),
                    "required",
                    "at least one target (initial response, update interval, resolution or on-site arrival)",
                ));
            }
            for (j, o) in terms.overrides.iter().enumerate() {
                if o.channels.is_empty() {
                    errors.push(FieldError::new(
                        format!("severities[{i}].overrides[{j}].channels"),
                        "required",
                        "name at least one channel",
                    ));
                }
            }
        }
        if let Some(s) = self.pause_statuses.iter().find(|s| s.is_terminal()) {
            errors.push(FieldError::new(
                "pause_statuses",
                "invalid",
                format!("{} ends a case; it cannot pause it", s.as_str()),
            ));
        }
        let percents: Vec<u16> = self.escalation.iter().map(|e| e.percent).collect();
        if percents.iter().any(|p| !(1..=1000).contains(p))
            || !percents.windows(2).all(|w| w[0] < w[1])
        {
            errors.push(FieldError::new(
                "escalation",
                "invalid",
                "percentages from 1 to 1000, rising, each once",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Every calendar the plan names.
    pub fn calendars(&self) -> Vec<(String, &CalendarId)> {
        let mut out = Vec::new();
        for (i, terms) in self.severities.iter().enumerate() {
            out.push((format!("severities[{i}].calendar"), &terms.calendar));
            for (j, o) in terms.overrides.iter().enumerate() {
                if let Some(c) = &o.calendar {
                    out.push((format!("severities[{i}].overrides[{j}].calendar"), c));
                }
            }
        }
        out
    }

    /// The terms of a metric for a case of this severity that arrived by this channel.
    pub fn terms(&self, severity: Severity, channel: Channel, metric: Metric) -> Option<Terms> {
        let terms = self.severities.iter().find(|t| t.severity == severity)?;
        let special = terms
            .overrides
            .iter()
            .find(|o| o.metric == metric && o.channels.contains(&channel));
        match special {
            Some(o) => Some(Terms {
                calendar: o.calendar.clone().unwrap_or_else(|| terms.calendar.clone()),
                target: o.target,
            }),
            None => terms.targets.of(metric).map(|target| Terms {
                calendar: terms.calendar.clone(),
                target,
            }),
        }
    }

    /// Whether a status stops the clocks.
    pub fn pauses(&self, status: Status) -> bool {
        self.pause_statuses.contains(&status)
    }
}

/// What the standard plan promises, in Chinese and then English (a plan's texts are data that
/// admins edit, so one text carries both languages).
pub const STANDARD_DESCRIPTION: &str = "服务时间为工作日 08:30–17:00（按国家法定节假日和调休安排）。\
电话报告的问题在服务时间内两小时内响应。严重程度一（系统停机）不论经何渠道提交，均全天候计时：两小时内响应，\
每 4 小时通报一次进展，24 小时内解决。严重程度二至四在服务时间内计时：经网站、邮件或 API 提交的问题在第二个工作日内响应；\
进展通报间隔分别为 8、17、34 个工作小时，解决时限分别为 85、170、340 个工作小时（约 10、20、40 个工作日）。\
\n\nService hours are working days 08:30–17:00 (China's public holidays and make-up working days \
observed). Problems reported by phone are answered within two hours of service time. Severity 1 \
(system down) runs around the clock whatever the channel: a response within two hours, an update \
every 4 hours, resolution within 24 hours. Severities 2 to 4 run in service hours: problems \
submitted by web, e-mail or API are answered by the next business day; updates every 8, 17 and 34 \
working hours, resolution within 85, 170 and 340 working hours (about 10, 20 and 40 working days).";

/// What the no-contract plan promises, in Chinese and then English.
pub const NO_CONTRACT_DESCRIPTION: &str = "没有有效服务合同的客户仅通过电子方式（网站、邮件）获得支持：\
各严重程度的问题均在第二个工作日内响应，不承诺进展通报和解决时限。\
\n\nCustomers without a valid contract get electronic support only (web, e-mail): problems of \
every severity are answered by the next business day, with no promise of updates or resolution.";

/// The descriptions earlier versions seeded, by plan id: a built-in plan that still carries one
/// (and is otherwise as seeded) gets the current text. The standard plan's said "severity
/// one-or-two hours" (服务时间外仅严重程度一两小时响应) where it meant severity 1 within two hours.
pub const EARLIER_DESCRIPTIONS: [(&str, &str); 2] = [
    (
        STANDARD_PLAN,
        "服务时间内两小时响应；服务时间外仅严重程度一两小时响应；电子方式提交的问题第二个工作日响应。Within service hours a response within two hours; outside them only severity 1; problems submitted electronically are answered by the next business day.",
    ),
    (
        NO_CONTRACT_PLAN,
        "没有有效合同的客户仅获得电子方式支持，第二个工作日响应。Customers without a valid contract get electronic support, answered by the next business day.",
    ),
];

/// The plan the seeds describe: Monday–Friday 08:30–17:00 on the China calendar, two hours to
/// respond by phone; outside those hours only severity 1 gets the two-hour response (its clocks
/// run 7×24); problems submitted electronically (web, e-mail) are answered by the next business
/// day (the API counts as electronic).
pub fn standard_plan() -> PlanSpec {
    use super::china::{ALWAYS, CHINA_5X8};
    let hours = |h: u32| Some(Target::Minutes(h * 60));
    let electronic = || ChannelOverride {
        channels: vec![Channel::Web, Channel::Email, Channel::Api],
        metric: Metric::InitialResponse,
        target: Target::NextBusinessDay,
        calendar: None,
    };
    let terms =
        |severity: Severity, calendar: &str, update: u32, resolution: u32, electronic_nbd: bool| {
            SeverityTerms {
                severity,
                calendar: calendar.parse().expect("a valid id"),
                targets: Targets {
                    initial_response: hours(2),
                    update_interval: hours(update),
                    resolution: hours(resolution),
                    onsite_arrival: None,
                },
                overrides: if electronic_nbd {
                    vec![electronic()]
                } else {
                    vec![]
                },
            }
        };
    PlanSpec {
        name: "标准支持 Standard support (5×8, severity 1 7×24)".into(),
        description: STANDARD_DESCRIPTION.into(),
        severities: vec![
            terms(Severity::ALL[0], ALWAYS, 4, 24, false),
            terms(Severity::ALL[1], CHINA_5X8, 8, 5 * 17, true),
            terms(Severity::ALL[2], CHINA_5X8, 17, 10 * 17, true),
            terms(Severity::ALL[3], CHINA_5X8, 34, 20 * 17, true),
        ],
        pause_statuses: default_pause_statuses(),
        escalation: default_escalation(),
    }
}

/// The id of the built-in plan for cases no contract covers.
pub const NO_CONTRACT_PLAN: &str = "no-contract";

/// The seeds' rule for customers without a valid contract: electronic support only, every
/// severity answered by the next business day on the China 5×8 calendar; no update or
/// resolution targets.
pub fn no_contract_plan() -> PlanSpec {
    use super::china::CHINA_5X8;
    PlanSpec {
        name: "无合同 No contract (electronic support, next business day)".into(),
        description: NO_CONTRACT_DESCRIPTION.into(),
        severities: Severity::ALL
            .iter()
            .map(|&severity| SeverityTerms {
                severity,
                calendar: CHINA_5X8.parse().expect("a valid id"),
                targets: Targets {
                    initial_response: Some(Target::NextBusinessDay),
                    update_interval: None,
                    resolution: None,
                    onsite_arrival: None,
                },
                overrides: vec![],
            })
            .collect(),
        pause_statuses: default_pause_statuses(),
        escalation: default_escalation(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_plan_expresses_the_seeds() {
        let plan = standard_plan();
        plan.validate().unwrap();
        let sev = |n: usize| Severity::ALL[n - 1];
        let phone1 = plan
            .terms(sev(1), Channel::Phone, Metric::InitialResponse)
            .unwrap();
        assert_eq!(
            (phone1.calendar.as_str(), phone1.target),
            ("24x7", Target::Minutes(120))
        );
        let phone3 = plan
            .terms(sev(3), Channel::Phone, Metric::InitialResponse)
            .unwrap();
        assert_eq!(
            (phone3.calendar.as_str(), phone3.target),
            ("china-5x8", Target::Minutes(120))
        );
        let web3 = plan
            .terms(sev(3), Channel::Web, Metric::InitialResponse)
            .unwrap();
        assert_eq!(web3.target, Target::NextBusinessDay);
        assert_eq!(
            plan.terms(sev(3), Channel::Web, Metric::Resolution)
                .unwrap()
                .target,
            Target::Minutes(10 * 17 * 60)
        );
        assert!(
            plan.terms(sev(2), Channel::Phone, Metric::OnsiteArrival)
                .is_none()
        );
        assert!(plan.pauses(Status::AwaitingCustomer) && !plan.pauses(Status::InProgress));
    }

    #[test]
    fn bad_plans_are_refused_with_the_field_named() {
        let mut plan = standard_plan();
        plan.severities.pop();
        plan.severities[0].targets = Targets::default();
        plan.pause_statuses.push(Status::Closed);
        plan.escalation[1].percent = 50;
        let fields: Vec<String> = plan
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "severities",
                "severities[0].targets",
                "pause_statuses",
                "escalation"
            ]
        );
        let bad: Result<Target, _> = serde_json::from_value(serde_json::json!({"minutes": 0}));
        assert!(bad.is_err());
        let nbd: Target = serde_json::from_value(serde_json::json!("nbd")).unwrap();
        assert_eq!(nbd, Target::NextBusinessDay);
        assert_eq!(
            serde_json::to_value(Target::Minutes(90)).unwrap(),
            serde_json::json!({"minutes": 90})
        );
    }
}

super::slug::slug_id!(PlanId, "support plan", "standard");

/// Id of the built-in plan of the seeds.
pub const STANDARD_PLAN: &str = "standard";

/// A stored support plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Plan {
    /// Its stable id.
    pub id: PlanId,
    /// Its definition.
    #[serde(flatten)]
    pub spec: PlanSpec,
    /// Whether cases of organisations without their own plan get it.
    pub is_default: bool,
    /// Whether Casebook ships it.
    pub builtin: bool,
    /// When it was created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    /// When it last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
    /// Version for optimistic concurrency (`If-Match`).
    pub version: i64,
}
