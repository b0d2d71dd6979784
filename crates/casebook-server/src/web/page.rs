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
            text.push_str(&format!(" ({reason})"));
        }
        text
    }

    /// Whether the signed-in user is staff.
    pub fn is_staff(&self) -> bool {
        self.me.as_ref().is_some_and(|m| m.role.is_staff())
    }

    /// Whether the signed-in user is an administrator.
    pub fn is_admin(&self) -> bool {
        self.me.as_ref().is_some_and(|m| m.role == Role::Admin)
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
