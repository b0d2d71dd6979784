//! What every page knows about its request (`Ctx`: language, CSP nonce, CSRF token, who is
//! signed in, the time zone) and the helpers templates call to show values: labels of
//! severities and statuses, times in the desk's time zone, replies as sanitized Markdown.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use casebook_domain::policy::Role;
use casebook_domain::{Named, Severity, Timestamp};
use jiff::tz::TimeZone;

use super::i18n::Lang;

/// A value a template passes to a helper, by value or through the references loops add.
pub trait Arg<T> {
    /// The value.
    fn get(self) -> T;
}

macro_rules! args {
    ($($t:ty),*) => {$(
        impl Arg<$t> for $t { fn get(self) -> $t { self } }
        impl Arg<$t> for &$t { fn get(self) -> $t { *self } }
        impl Arg<$t> for &&$t { fn get(self) -> $t { **self } }
        impl Arg<$t> for &&&$t { fn get(self) -> $t { ***self } }
    )*};
}

args!(
    casebook_domain::work::Activity,
    casebook_domain::Status,
    casebook_domain::Channel,
    casebook_domain::Category,
    casebook_domain::Tier,
    Role,
    casebook_domain::timeline::EventKind,
    casebook_domain::entitlement::Outcome,
    casebook_domain::sla::plan::Metric,
    casebook_domain::sla::clock::ClockState,
    Severity,
    Timestamp,
    i64
);

/// The signed-in user as pages show them.
#[derive(Debug, Clone)]
pub struct Me {
    /// Display name.
    pub name: String,
    /// Sign-in e-mail.
    pub email: String,
    /// Role.
    pub role: Role,
}

/// The request's context, passed to every template as `ctx`.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Language of the page.
    pub lang: Lang,
    /// The CSP nonce of this response's scripts.
    pub nonce: String,
    /// The token forms send back in `_csrf`.
    pub csrf: String,
    /// Who is signed in.
    pub me: Option<Me>,
    /// The path of this page (navigation highlights it).
    pub path: String,
    /// The path and query of this page (the language switch returns here).
    pub here_url: String,
    /// The desk's time zone.
    pub tz: TimeZone,
    /// The support hotline customers see (`[desk] hotline`); empty: none.
    pub hotline: String,
}

impl Ctx {
    /// A message.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// A message with one argument.
    pub fn t1(&self, key: &str, name: &'static str, value: impl ToString) -> String {
        self.lang.t1(key, name, value)
    }

    /// A message with several arguments.
    pub fn tn(&self, key: &str, values: &[(&'static str, String)]) -> String {
        self.lang.tn(key, values)
    }

    fn label<T: Named>(&self, prefix: &str, value: impl Arg<T>) -> String {
        self.lang.t(&format!("{prefix}-{}", value.get().as_str()))
    }

    /// The label of a status.
    pub fn status(&self, value: impl Arg<casebook_domain::Status>) -> String {
        self.label::<casebook_domain::Status>("status", value)
    }

    /// The label of a channel.
    pub fn channel(&self, value: impl Arg<casebook_domain::Channel>) -> String {
        self.label::<casebook_domain::Channel>("channel", value)
    }

    /// The label of a category.
    pub fn category(&self, value: impl Arg<casebook_domain::Category>) -> String {
        self.label::<casebook_domain::Category>("category", value)
    }

    /// The label of a tier.
    pub fn tier(&self, value: impl Arg<casebook_domain::Tier>) -> String {
        self.label::<casebook_domain::Tier>("tier", value)
    }

    /// The label of an activity time is spent on.
    pub fn activity(&self, value: impl Arg<casebook_domain::work::Activity>) -> String {
        self.label::<casebook_domain::work::Activity>("activity", value)
    }

    /// The label of a role.
    pub fn role(&self, value: impl Arg<Role>) -> String {
        self.label::<Role>("role", value)
    }

    /// The label of a timeline entry's kind.
    pub fn event(&self, value: impl Arg<casebook_domain::timeline::EventKind>) -> String {
        self.label::<casebook_domain::timeline::EventKind>("event", value)
    }

    /// The label of an entitlement outcome.
    pub fn outcome(&self, value: impl Arg<casebook_domain::entitlement::Outcome>) -> String {
        self.lang.t(&format!("outcome-{}", value.get().as_str()))
    }

    /// The label of an SLA metric.
    pub fn metric(&self, value: impl Arg<casebook_domain::sla::plan::Metric>) -> String {
        self.lang.t(&format!("metric-{}", value.get().as_str()))
    }

    /// A message whose key is a prefix and a name (`queue-mine`).
    pub fn tk(&self, prefix: &str, name: &str) -> String {
        self.lang.t(&format!("{prefix}-{name}"))
    }

    /// The name of a clock's state (`running`, `paused`, `met`, `cancelled`).
    pub fn clock_state(
        &self,
        state: impl Arg<casebook_domain::sla::clock::ClockState>,
    ) -> &'static str {
        use casebook_domain::sla::clock::ClockState;
        match state.get() {
            ClockState::Running => "running",
            ClockState::Paused => "paused",
            ClockState::Met => "met",
            ClockState::Cancelled => "cancelled",
        }
    }

    /// A size in bytes for people.
    pub fn size(&self, bytes: impl Arg<i64>) -> String {
        match bytes.get() {
            b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / 1048576.0),
            b if b >= 1024 => format!("{:.0} KB", b as f64 / 1024.0),
            b => format!("{b} B"),
        }
    }

    /// The stylesheet's URL.
    pub fn css(&self) -> String {
        super::assets::css_url()
    }

    /// The script's URL.
    pub fn js(&self) -> String {
        super::assets::js_url()
    }

    /// The short label of a severity (`S1 严重`).
    pub fn sev(&self, severity: impl Arg<Severity>) -> String {
        self.lang.t(&format!("severity-{}", severity.get().level()))
    }

    /// What a severity means, as the seeds define it.
    pub fn sev_definition(&self, severity: impl Arg<Severity>) -> &'static str {
        match self.lang {
            Lang::Zh => severity.get().definition_zh(),
            Lang::En => severity.get().definition_en(),
        }
    }

    /// A time in the desk's time zone, to the minute.
    pub fn time(&self, at: impl Arg<Timestamp>) -> String {
        at.get()
            .to_zoned(self.tz.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    }

    /// A date in the desk's time zone.
    pub fn date(&self, at: impl Arg<Timestamp>) -> String {
        at.get()
            .to_zoned(self.tz.clone())
            .strftime("%Y-%m-%d")
            .to_string()
    }

    /// A time as RFC 3339, for `<time datetime>` and the countdown script.
    pub fn iso(&self, at: impl Arg<Timestamp>) -> String {
        at.get().to_string()
    }

    /// A timeline entry's change in words: `新建 → 已分配 (reason)`, or a link's
    /// `重复于 2026-00042`.
    pub fn change(
        &self,
        kind: impl Arg<casebook_domain::timeline::EventKind>,
        change: &serde_json::Value,
    ) -> String {
        use casebook_domain::timeline::EventKind;
        use serde_json::Value;
        let kind = kind.get();
        let side = |v: &serde_json::Value| -> String {
            match (kind, v) {
                (_, serde_json::Value::Null) => "–".to_owned(),
                (EventKind::StatusChange, serde_json::Value::String(s)) => {
                    self.lang.t(&format!("status-{s}"))
                }
                (EventKind::TierChange, serde_json::Value::String(s)) => {
                    self.lang.t(&format!("tier-{s}"))
                }
                (EventKind::SeverityChange, serde_json::Value::Number(n)) => {
                    self.lang.t(&format!("severity-{n}"))
                }
                (_, serde_json::Value::Object(o)) => o
                    .get("name")
                    .and_then(|n| n.as_str())
                    .unwrap_or_default()
                    .to_owned(),
                (_, serde_json::Value::String(s)) => s.clone(),
                (_, other) => other.to_string(),
            }
        };
        if let Some(visit) = change.get("visit") {
            let step = visit
                .get("step")
                .and_then(|s| s.as_str())
                .unwrap_or_default();
            let id = visit
                .get("visit")
                .and_then(|s| s.as_i64())
                .unwrap_or_default();
            return self.lang.t1(&format!("visit-step-{step}"), "visit", id);
        }
        if let Some(remote) = change.get("remote") {
            let step = remote
                .get("step")
                .and_then(|s| s.as_str())
                .unwrap_or_default();
            let session = remote
                .get("session")
                .and_then(|s| s.as_i64())
                .unwrap_or_default();
            return self
                .lang
                .t1(&format!("remote-step-{step}"), "session", session);
        }
        if let Some(fields) = change.get("fields").and_then(|f| f.as_array()) {
            let names = fields
                .iter()
                .filter_map(|f| f.as_str())
                .map(|f| self.field_label(f))
                .collect::<Vec<_>>()
                .join(self.lang.t("list-separator").as_str());
            return self.lang.t1("change-fields", "fields", names);
        }
        if let Some([from, to]) = change
            .get("entitlement")
            .and_then(|e| e.as_array())
            .map(Vec::as_slice)
        {
            let outcome = |v: &serde_json::Value| match v.as_str() {
                Some(o) => self.lang.t(&format!("outcome-{o}")),
                None => "–".to_owned(),
            };
            return self.lang.t1(
                "change-entitlement",
                "change",
                format!("{} → {}", outcome(from), outcome(to)),
            );
        }
        let link = (change.get("role"), change.get("case"));
        let mut text = match (change.get("from"), change.get("to"), link) {
            (_, _, (Some(Value::String(role)), Some(Value::String(case)))) => {
                format!("{} {case}", self.lang.t(&format!("link-role-{role}")))
            }
            (Some(from), Some(to), _) => format!("{} → {}", side(from), side(to)),
            _ => return String::new(),
        };
        if let Some(reason) = change
            .get("reason")
            .and_then(|r| r.as_str())
            .filter(|r| !r.is_empty())
        {
            let reason = match SYSTEM_REASONS.iter().find(|(said, _)| *said == reason) {
                Some((_, key)) => self.lang.t(key),
                None => reason.to_owned(),
            };
            text.push_str(&format!(" ({reason})"));
        }
        text
    }

    /// A note the system wrote (`{"note": kind, …}` in the entry's change) in this language,
    /// its times in the viewer's time zone; `None` for entries people wrote.
    pub fn system_note(&self, change: &Option<serde_json::Value>) -> Option<String> {
        let change = change.as_ref()?.as_object()?;
        let kind = change.get("note")?.as_str()?;
        let mut args: Vec<(&'static str, String)> = Vec::new();
        for name in [
            "unit",
            "code",
            "message",
            "occurrences",
            "max",
            "minutes",
            "suppressed",
            "at",
            "until",
            "last",
        ] {
            let value = match change.get(name) {
                Some(serde_json::Value::String(v)) if matches!(name, "at" | "until" | "last") => v
                    .parse::<Timestamp>()
                    .map(|t| self.time(t))
                    .unwrap_or_else(|_| v.clone()),
                Some(serde_json::Value::String(v)) => v.clone(),
                Some(serde_json::Value::Null) | None => "–".to_owned(),
                Some(other) => other.to_string(),
            };
            args.push((name, value));
        }
        Some(self.lang.tn(&format!("note-{kind}"), &args))
    }

    /// Why a refused case (or call) gets no SLA coverage, for the entitlement's outcome, naming
    /// the contract concerned and the channel; `None` when it is entitled.
    pub fn entitlement_why(
        &self,
        outcome: casebook_domain::entitlement::Outcome,
        contract_number: Option<&str>,
        channel: casebook_domain::Channel,
    ) -> Option<String> {
        let outcome = outcome.as_str();
        (outcome != "entitled").then(|| {
            self.tn(
                &format!("entitlement-why-{outcome}"),
                &[
                    ("number", contract_number.unwrap_or_default().to_owned()),
                    ("channel", self.channel(channel)),
                ],
            )
        })
    }

    /// The language a stored text was written in (`zh-CN` when it has Chinese), for the `lang`
    /// of a notification: it is written in its recipient's language when it happens and keeps
    /// that language after they switch.
    pub fn written_in(&self, text: &str) -> &'static str {
        let chinese = text
            .chars()
            .any(|c| matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF));
        if chinese { "zh-CN" } else { "en" }
    }

    /// Why a mail was held or refused, as the mail channel records it (in English, for the
    /// API), in Chinese (English pages show the sentence itself, which names the limit); the
    /// sender and case are in the other columns. A reason not known here is shown as it is.
    pub fn mail_reason(&self, reason: &str) -> String {
        if self.lang == Lang::En {
            return reason.to_owned();
        }
        let has = |piece: &str| reason.contains(piece);
        let key = if reason.starts_with("unknown sender") && has("replied to case") {
            "mail-reason-unknown-reply"
        } else if reason.starts_with("unknown sender") {
            "mail-reason-unknown-sender"
        } else if has("may not see case") {
            "mail-reason-foreign-reply"
        } else if has("is staff; staff open cases") {
            "mail-reason-staff"
        } else if has("may not open or answer cases") {
            "mail-reason-contact-not-allowed"
        } else if has("mail.max_new_cases_per_sender_hour") {
            "mail-reason-too-many-cases"
        } else if has("mail.max_messages_per_sender_hour") {
            "mail-reason-too-many-messages"
        } else if has("sender authentication failed") {
            "mail-reason-authentication"
        } else if reason == "no sender address" {
            "mail-reason-no-sender"
        } else if has("mail.max_message_bytes") || has("limits.max_attachment_bytes") {
            "mail-reason-too-large"
        } else if reason.starts_with("not taken in") {
            "mail-reason-not-taken"
        } else {
            return reason.to_owned();
        };
        self.lang.t(key)
    }

    /// Why a device's event did what it did, as the call-home actions say it (in English, in
    /// the API's answer), in Chinese (English pages show the sentence itself); a reason not
    /// known here is shown as it is.
    pub fn call_home_reason(&self, reason: &str) -> String {
        const REASONS: [(&str, &str); 8] = [
            ("a rule ignores this code", "call-home-reason-ignored"),
            ("an event storm starts", "call-home-reason-storm-starts"),
            ("the device is in an event storm", "call-home-reason-storm"),
            (
                "no open case for this fault",
                "call-home-reason-no-open-case",
            ),
            (
                "the installed base has the reported version",
                "call-home-reason-version-known",
            ),
            (
                "the rule proposes closing the case",
                "call-home-reason-propose-closing",
            ),
            ("no case: ", "call-home-reason-no-case"),
            ("not entitled: ", "call-home-reason-not-entitled"),
        ];
        if self.lang == Lang::En {
            return reason.to_owned();
        }
        match REASONS
            .iter()
            .find(|(said, _)| reason == *said || (said.ends_with(' ') && reason.starts_with(said)))
        {
            Some((_, key)) => self.lang.t(key),
            None => reason.to_owned(),
        }
    }

    /// Changes of a record's fields (`{"field": [before, after]}` or `{"field": {"from", "to"}}`,
    /// as a unit's history keeps them) in words: `版本：– → 12.1；站点：…`.
    pub fn field_changes(&self, changes: &serde_json::Value) -> String {
        use serde_json::Value;
        let value = |v: &Value| match v {
            Value::Null => "–".to_owned(),
            Value::Bool(true) => self.lang.t("yes"),
            Value::Bool(false) => self.lang.t("no"),
            Value::String(s) if s.is_empty() => "–".to_owned(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let Some(fields) = changes.as_object() else {
            return String::new();
        };
        fields
            .iter()
            .map(|(field, change)| {
                let (before, after) = match change {
                    Value::Array(pair) if pair.len() == 2 => (&pair[0], &pair[1]),
                    Value::Object(o) => (
                        o.get("from").unwrap_or(&Value::Null),
                        o.get("to").unwrap_or(&Value::Null),
                    ),
                    other => (&Value::Null, other),
                };
                let change = format!("{} → {}", value(before), value(after));
                self.lang.tn(
                    "field-change-line",
                    &[("field", self.field_label(field)), ("change", change)],
                )
            })
            .collect::<Vec<_>>()
            .join(if self.lang == Lang::Zh { "；" } else { "; " })
    }

    /// The label of a case field named in a timeline entry (`product_version` → 版本).
    fn field_label(&self, field: &str) -> String {
        let key = match field {
            "product_version" => "field-version".to_owned(),
            "operating_system" => "field-os".to_owned(),
            other => format!("field-{}", other.replace('_', "-")),
        };
        if self.lang.has(&key) {
            self.lang.t(&key)
        } else {
            self.lang.t("field-other")
        }
    }

    /// Whether the signed-in user is staff.
    pub fn is_staff(&self) -> bool {
        self.me.as_ref().is_some_and(|m| m.role.is_staff())
    }

    /// Whether the signed-in user is an administrator.
    pub fn is_admin(&self) -> bool {
        self.me.as_ref().is_some_and(|m| m.role == Role::Admin)
    }

    /// Whether the signed-in user may read the managers' dashboard.
    pub fn reads_reports(&self) -> bool {
        self.me
            .as_ref()
            .is_some_and(|m| matches!(m.role, Role::Manager | Role::Admin))
    }

    /// The hotline as a `tel:` link dials it: digits and `+`.
    pub fn hotline_dial(&self) -> String {
        self.hotline
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect()
    }

    /// Whether the navigation entry for `prefix` is the current page.
    pub fn here(&self, prefix: &str) -> bool {
        self.path == prefix || self.path.starts_with(&format!("{prefix}/"))
    }

    /// The other language, for the switch.
    pub fn other_lang(&self) -> Lang {
        match self.lang {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
}

pub use crate::markdown::user_html;

/// Reasons the system writes into a timeline entry's change (kept in English in the stored
/// change, which the API returns), with the message each is shown as.
const SYSTEM_REASONS: [(&str, &str); 1] = [(
    crate::actions::cases::CUSTOMER_REPLIED,
    "reason-customer-replied",
)];

/// Renders a template as a page; a template that fails to render is a 500.
pub fn render<T: Template>(template: &T) -> Response {
    render_status(StatusCode::OK, template)
}

/// Renders a template with a status.
pub fn render_status<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(%err, "a page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page failed to render",
            )
                .into_response()
        }
    }
}
