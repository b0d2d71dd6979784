//! Call home: what a device or a site gateway reports about itself — a fault, a warning, a
//! recovery (the fault cleared), a heartbeat, or its inventory (current version and
//! configuration) — parsed strictly at the edge, and the pure rules applied to it: which
//! staff rule matches a product and event code, the fault signature repeats fold into, and the
//! storm window that suppresses a device sending too much.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attributes::{Category, Named, Severity};
use crate::error::FieldError;
use crate::text::{Code, Line, Paragraphs};

mod outcome;
pub use outcome::EventOutcome;

/// What an event reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// Something failed.
    Fault,
    /// Something may fail.
    Warning,
    /// A fault reported before has cleared.
    Recovery,
    /// The device is alive.
    Heartbeat,
    /// The device's current version and configuration.
    Inventory,
}

impl Named for EventType {
    const WHAT: &'static str = "event type";
    const ALL: &'static [Self] = &[
        Self::Fault,
        Self::Warning,
        Self::Recovery,
        Self::Heartbeat,
        Self::Inventory,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::Fault => "fault",
            Self::Warning => "warning",
            Self::Recovery => "recovery",
            Self::Heartbeat => "heartbeat",
            Self::Inventory => "inventory",
        }
    }
}

/// How bad the device says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventSeverity {
    /// Service is down.
    Critical,
    /// Service is degraded.
    Major,
    /// A component is impaired, service is not.
    Minor,
    /// For information.
    Info,
}

impl Named for EventSeverity {
    const WHAT: &'static str = "event severity";
    const ALL: &'static [Self] = &[Self::Critical, Self::Major, Self::Minor, Self::Info];
    fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Major => "major",
            Self::Minor => "minor",
            Self::Info => "info",
        }
    }
}

impl EventSeverity {
    /// The case severity a device's own severity suggests when no rule sets one.
    pub fn case_severity(self) -> Severity {
        match self {
            Self::Critical => Severity::ALL[0],
            Self::Major => Severity::ALL[1],
            Self::Minor => Severity::ALL[2],
            Self::Info => Severity::ALL[3],
        }
    }
}

/// The longest log excerpt kept with an event (characters).
pub const LONGEST_LOG_EXCERPT: usize = 64 * 1024;
/// The message of an event: at most 2,000 characters.
pub type EventMessage = Paragraphs<2000>;
/// The most events in one request.
pub const MOST_EVENTS_PER_BATCH: usize = 500;

/// A file a device sends with an event (a crash dump, a configuration backup).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventAttachment {
    /// Its name.
    pub file_name: Line<255>,
    /// Its media type.
    #[serde(default = "octet_stream")]
    pub content_type: Line<127>,
    /// The content, base64 (standard alphabet, padded).
    pub content_base64: String,
}

fn log_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let raw = String::deserialize(d)?;
    if raw.chars().count() > LONGEST_LOG_EXCERPT {
        return Err(serde::de::Error::custom(format!(
            "must be at most {LONGEST_LOG_EXCERPT} characters"
        )));
    }
    Ok(raw
        .replace("\r\n", "\n")
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect())
}

fn octet_stream() -> Line<127> {
    Line::parse("application/octet-stream").expect("a valid media type")
}

/// One event as a device sends it. Unknown fields are refused.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceEvent {
    /// Unique per event and organisation: a retried event with the same key is taken once.
    pub idempotency_key: Line<128>,
    /// What the event reports.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// The site code (required unless the key is bound to a site).
    #[serde(default)]
    pub site: Option<Code>,
    /// The unit's serial number.
    pub serial_number: Code,
    /// The product name as the installed base knows it.
    #[serde(default)]
    pub product: Option<Line<200>>,
    /// Firmware or software version.
    #[serde(default)]
    pub version: Option<Line<100>>,
    /// The device's event code, e.g. `E1234` (required for faults, warnings and recoveries).
    #[serde(default)]
    pub code: Option<Code>,
    /// How bad the device says it is (faults and warnings).
    #[serde(default)]
    pub severity: Option<EventSeverity>,
    /// What happened, one paragraph.
    #[serde(default)]
    pub message: EventMessage,
    /// When it happened, RFC 3339.
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: Timestamp,
    /// The lines of the device log around the event (CR LF becomes LF; other control
    /// characters but tabs are dropped).
    #[serde(default, deserialize_with = "log_text")]
    pub log_excerpt: String,
    /// A file.
    #[serde(default)]
    pub attachment: Option<EventAttachment>,
    /// Heartbeats: the seconds until the next one is due.
    #[serde(default)]
    pub heartbeat_interval_secs: Option<u32>,
    /// Inventory: the configuration as the device reports it (a JSON object).
    #[serde(default)]
    pub configuration: Option<serde_json::Map<String, serde_json::Value>>,
}

/// What a rule does with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    /// Drop it (it is still counted and kept as ignored).
    Ignore,
    /// Keep it on the device, open nothing.
    Record,
    /// Open a case (or add an occurrence to the open case of the same fault).
    OpenCase,
}

impl Named for RuleAction {
    const WHAT: &'static str = "rule action";
    const ALL: &'static [Self] = &[Self::Ignore, Self::Record, Self::OpenCase];
    fn as_str(self) -> &'static str {
        match self {
            Self::Ignore => "ignore",
            Self::Record => "record",
            Self::OpenCase => "open_case",
        }
    }
}

/// A staff rule: for a product (or any) and an event code pattern (`E12*`, `E1234`, `*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Rule {
    /// Its id.
    pub id: i64,
    /// The product it is for; `None`: every product.
    pub product_id: Option<i64>,
    /// The event code, a prefix ending in `*`, or `*`.
    pub event_code: String,
    /// What it does.
    pub action: RuleAction,
    /// The severity of the case it opens (else from the device's severity).
    pub severity: Option<Severity>,
    /// The category of the case it opens.
    pub category: Option<Category>,
    /// A recovery of the fault proposes closing its case.
    pub close_on_recovery: bool,
}

impl Rule {
    /// How specific the rule is for a product and code; `None` if it does not apply. A rule for
    /// the product beats one for any product; an exact code beats a longer prefix beats `*`.
    fn specificity(&self, product: Option<i64>, code: &str) -> Option<(u8, usize)> {
        let for_product = match self.product_id {
            Some(p) if Some(p) == product => 1,
            Some(_) => return None,
            None => 0,
        };
        let by_code = if self.event_code == code {
            usize::MAX
        } else if let Some(prefix) = self.event_code.strip_suffix('*') {
            if !code.starts_with(prefix) {
                return None;
            }
            prefix.len()
        } else {
            return None;
        };
        Some((for_product, by_code))
    }
}

/// The most specific rule for a product and event code.
pub fn rule_for<'r>(rules: &'r [Rule], product: Option<i64>, code: &str) -> Option<&'r Rule> {
    rules
        .iter()
        .filter_map(|r| r.specificity(product, code).map(|s| (s, r)))
        .max_by_key(|(s, r)| (*s, std::cmp::Reverse(r.id)))
        .map(|(_, r)| r)
}

/// The fault a case folds repeats into: the device and its event code.
pub fn fault_signature(code: &str) -> String {
    code.to_uppercase()
}

/// Storm control settings: more than `max_events` in `window` puts the device in suppression
/// for `suppress_for`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StormLimits {
    /// Events allowed in one window.
    pub max_events: u32,
    /// The window.
    pub window: SignedDuration,
    /// How long a device is suppressed.
    pub suppress_for: SignedDuration,
}

/// A device's storm window as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StormWindow {
    /// When the current window started.
    pub started_at: Option<Timestamp>,
    /// Events in it.
    pub events: u32,
    /// Suppressed until.
    pub suppressed_until: Option<Timestamp>,
    /// Events suppressed since the suppression started.
    pub suppressed_events: u32,
}

/// What storm control says about one more event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StormVerdict {
    /// Take it.
    Take,
    /// This event starts a suppression (write the one summary).
    StartsSuppression,
    /// The device is suppressed: keep the event, act on nothing.
    Suppressed,
    /// A suppression ended with this many events suppressed; take this one.
    Ended {
        /// How many were suppressed.
        suppressed: u32,
    },
}

impl StormWindow {
    /// Counts one more event at `now` and says what to do with it.
    pub fn count(&mut self, limits: &StormLimits, now: Timestamp) -> StormVerdict {
        let mut ended = None;
        if let Some(until) = self.suppressed_until {
            if now < until {
                self.suppressed_events = self.suppressed_events.saturating_add(1);
                return StormVerdict::Suppressed;
            }
            ended = Some(self.suppressed_events);
            self.suppressed_until = None;
            self.suppressed_events = 0;
            self.started_at = None;
        }
        match self.started_at {
            Some(start) if now.duration_since(start) < limits.window => {
                self.events = self.events.saturating_add(1);
            }
            _ => {
                self.started_at = Some(now);
                self.events = 1;
            }
        }
        if self.events > limits.max_events {
            self.suppressed_until = Some(now + limits.suppress_for);
            self.suppressed_events = 0;
            return StormVerdict::StartsSuppression;
        }
        match ended {
            Some(suppressed) => StormVerdict::Ended { suppressed },
            None => StormVerdict::Take,
        }
    }
}

/// The largest attachment of an event, decoded.
pub const LARGEST_ATTACHMENT: usize = 1024 * 1024;
/// The largest inventory configuration, as JSON.
pub const LARGEST_CONFIGURATION: usize = 16 * 1024;
/// The shortest and longest heartbeat interval a device may announce.
pub const HEARTBEAT_SECS: std::ops::RangeInclusive<u32> = 10..=7 * 24 * 3600;

impl DeviceEvent {
    /// The rules across fields, with the field at fault (`prefix` is the event's path, e.g.
    /// `events[3]`).
    pub fn check(&self, prefix: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let on = |field: &str| {
            format!(
                "{prefix}{}{field}",
                if prefix.is_empty() { "" } else { "." }
            )
        };
        let needs_code = matches!(
            self.event_type,
            EventType::Fault | EventType::Warning | EventType::Recovery
        );
        if needs_code && self.code.is_none() {
            errors.push(FieldError::new(
                on("code"),
                "required",
                format!("a {} needs its event code", self.event_type.as_str()),
            ));
        }
        if let Some(secs) = self.heartbeat_interval_secs
            && !HEARTBEAT_SECS.contains(&secs)
        {
            errors.push(FieldError::new(
                on("heartbeat_interval_secs"),
                "out_of_range",
                format!(
                    "must be between {} and {} seconds",
                    HEARTBEAT_SECS.start(),
                    HEARTBEAT_SECS.end()
                ),
            ));
        }
        if let Some(config) = &self.configuration {
            let size = serde_json::to_string(config)
                .map(|s| s.len())
                .unwrap_or(usize::MAX);
            if size > LARGEST_CONFIGURATION {
                errors.push(FieldError::new(
                    on("configuration"),
                    "too_large",
                    format!("must be at most {LARGEST_CONFIGURATION} bytes as JSON"),
                ));
            }
        }
        if let Some(file) = &self.attachment {
            // Base64 of LARGEST_ATTACHMENT bytes is 4/3 as long.
            if file.content_base64.len() > LARGEST_ATTACHMENT / 3 * 4 + 4 {
                errors.push(FieldError::new(
                    on("attachment.content_base64"),
                    "too_large",
                    format!("the file must be at most {LARGEST_ATTACHMENT} bytes"),
                ));
            }
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: i64, product: Option<i64>, code: &str, action: RuleAction) -> Rule {
        Rule {
            id,
            product_id: product,
            event_code: code.into(),
            action,
            severity: None,
            category: None,
            close_on_recovery: false,
        }
    }

    #[test]
    fn the_most_specific_rule_wins() {
        let rules = [
            rule(1, None, "*", RuleAction::Record),
            rule(2, None, "E12*", RuleAction::OpenCase),
            rule(3, Some(7), "E1*", RuleAction::Ignore),
            rule(4, None, "E1234", RuleAction::Ignore),
        ];
        let id = |product, code| rule_for(&rules, product, code).map(|r| r.id);
        assert_eq!(id(None, "E1234"), Some(4));
        assert_eq!(id(None, "E1299"), Some(2));
        assert_eq!(
            id(Some(7), "E1299"),
            Some(3),
            "a product's rule beats any product's"
        );
        assert_eq!(id(Some(8), "E1299"), Some(2));
        assert_eq!(id(None, "W1"), Some(1));
        assert_eq!(rule_for(&rules[1..2], None, "W1").map(|r| r.id), None);
    }

    #[test]
    fn a_storm_is_suppressed_once_and_summarised_when_it_ends() {
        let limits = StormLimits {
            max_events: 10,
            window: SignedDuration::from_mins(60),
            suppress_for: SignedDuration::from_mins(60),
        };
        let t0: Timestamp = "2026-11-29T08:00:00Z".parse().unwrap();
        let mut w = StormWindow::default();
        for i in 0..10 {
            let at = t0 + SignedDuration::from_secs(i);
            assert_eq!(w.count(&limits, at), StormVerdict::Take);
        }
        let at = t0 + SignedDuration::from_secs(10);
        assert_eq!(w.count(&limits, at), StormVerdict::StartsSuppression);
        for i in 11..50 {
            let at = t0 + SignedDuration::from_secs(i);
            assert_eq!(w.count(&limits, at), StormVerdict::Suppressed);
        }
        let later = t0 + SignedDuration::from_mins(61);
        assert_eq!(
            w.count(&limits, later),
            StormVerdict::Ended { suppressed: 39 }
        );
        assert_eq!(w.events, 1, "a new window starts");
        // A quiet device's window rolls over without suppression.
        let mut quiet = StormWindow::default();
        for hour in 0..5 {
            for i in 0..10 {
                let at = t0 + SignedDuration::from_hours(hour) + SignedDuration::from_secs(i);
                assert_eq!(quiet.count(&limits, at), StormVerdict::Take);
            }
        }
    }

    #[test]
    fn events_are_parsed_strictly() {
        let ok = serde_json::json!({"idempotency_key": "k1", "type": "fault", "serial_number": "sn-1",
            "code": "e1234", "severity": "major", "message": "fan failed", "occurred_at": "2026-11-29T08:00:00Z",
            "log_excerpt": "line 1\r\nline\u{0007} 2"});
        let event: DeviceEvent = serde_json::from_value(ok.clone()).unwrap();
        assert_eq!(event.serial_number.as_str(), "SN-1");
        assert_eq!(event.log_excerpt, "line 1\nline 2");
        assert!(event.check("").is_empty());
        let mut unknown = ok.clone();
        unknown["colour"] = "red".into();
        assert!(serde_json::from_value::<DeviceEvent>(unknown).is_err());
        let mut no_code = ok;
        no_code.as_object_mut().unwrap().remove("code");
        let event: DeviceEvent = serde_json::from_value(no_code).unwrap();
        let errors = event.check("events[2]");
        assert_eq!(errors[0].field, "events[2].code");
    }
}
