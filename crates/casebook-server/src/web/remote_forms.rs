//! The case page's forms of remote diagnosis sessions, each a [`CaseForm`]. The console
//! requests a session (purpose, method, the units ticked among the customer's, a start in the
//! desk's time zone and a length), starts, ends or cancels one, and appends lines to a running
//! session's log; the portal approves, declines or revokes one. A session named by a form must
//! belong to the case of the address.

use std::collections::BTreeMap;

use casebook_domain::CaseNumber;
use casebook_domain::field::log::transcript;
use casebook_domain::field::remote::SessionDraft;
use serde::Deserialize;
use serde_json::json;

use crate::actions::field::remote::{self, Decision, StepRequest};
use crate::actions::field::remote_log::{self, Append};
use crate::actions::{ActionError, ActionResult as Res};
use crate::app::AppState;
use crate::web::case_page::CaseForm;
use crate::web::forms::{Typed, parse};
use crate::web::session::Viewer;
use crate::web::visit_forms::local_time;

/// Refuses a session of another case than the page's (as not found).
async fn of_this_case(app: &AppState, viewer: &Viewer, number: CaseNumber, id: i64) -> Res<()> {
    let session = remote::get(app, &viewer.who, id).await?;
    if session.case_number == number.to_string() {
        Ok(())
    } else {
        Err(ActionError::NotFound("remote session"))
    }
}

#[derive(Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    minutes: String,
    /// `unit_<id>` for each ticked unit (and the form's token).
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

/// `POST /console/cases/{number}/remote-request`: requests a session.
impl CaseForm for RequestForm {
    const ACTION: &'static str = "remote-request";

    fn typed(&self) -> Typed {
        Typed {
            remote: [
                self.purpose.clone(),
                self.method.clone(),
                self.starts_at.clone(),
                self.minutes.clone(),
            ],
            ..Typed::default()
        }
    }

    async fn apply(self, app: &AppState, viewer: &Viewer, number: CaseNumber) -> Res<()> {
        let starts_at = if self.starts_at.trim().is_empty() {
            app.clock.now().to_string()
        } else {
            local_time(app, &self.starts_at)
        };
        let minutes = self.minutes.trim();
        let minutes = minutes
            .parse::<i64>()
            .map_or_else(|_| json!(minutes), |m| json!(m));
        let units: Vec<i64> = self
            .rest
            .keys()
            .filter_map(|k| k.strip_prefix("unit_")?.parse().ok())
            .collect();
        let draft = json!({"purpose": self.purpose, "method": self.method, "unit_ids": units,
            "starts_at": starts_at, "minutes": minutes});
        let draft = parse::<SessionDraft>(draft)?;
        remote::request(app, &viewer.who, number, draft)
            .await
            .map(|_| ())
    }
}

#[derive(Deserialize)]
pub struct StepForm {
    session: i64,
    step: String,
    version: Option<i64>,
    #[serde(default)]
    note: String,
}

/// `POST …/cases/{number}/remote-step`: a step on a session: `start`, `end`, `cancel` (staff);
/// `approve`, `decline`, `revoke` (the customer).
impl CaseForm for StepForm {
    const ACTION: &'static str = "remote-step";

    fn typed(&self) -> Typed {
        Typed::default()
    }

    async fn apply(self, app: &AppState, viewer: &Viewer, number: CaseNumber) -> Res<()> {
        of_this_case(app, viewer, number, self.session).await?;
        let who = &viewer.who;
        let step = StepRequest {
            version: self.version,
        };
        let note = Some(self.note).filter(|n| !n.trim().is_empty());
        let decision = Decision {
            version: self.version,
            note,
        };
        let id = self.session;
        let done = match self.step.as_str() {
            "start" => remote::start(app, who, id, step).await,
            "end" => remote::end(app, who, id, step).await,
            "cancel" => remote::cancel(app, who, id, step).await,
            "approve" => remote::decide(app, who, id, true, decision).await,
            "decline" => remote::decide(app, who, id, false, decision).await,
            "revoke" => remote::revoke(app, who, id, decision).await,
            _ => Err(ActionError::field("step", "invalid", "an unknown step")),
        };
        done.map(|_| ())
    }
}

#[derive(Deserialize)]
pub struct LogForm {
    session: i64,
    #[serde(default)]
    lines: String,
}

/// `POST /console/cases/{number}/remote-log`: appends the typed or pasted lines to a running
/// session's log (a line longer than a log line goes in pieces).
impl CaseForm for LogForm {
    const ACTION: &'static str = "remote-log";

    fn typed(&self) -> Typed {
        Typed {
            body: self.lines.clone(),
            ..Typed::default()
        }
    }

    async fn apply(self, app: &AppState, viewer: &Viewer, number: CaseNumber) -> Res<()> {
        of_this_case(app, viewer, number, self.session).await?;
        let lines: Vec<_> = transcript(&self.lines, false)
            .into_iter()
            .map(|(_, text)| json!({"text": text}))
            .collect();
        let append = parse::<Append>(json!({"lines": lines}))?;
        remote_log::append(app, &viewer.who, self.session, append)
            .await
            .map(|_| ())
    }
}
