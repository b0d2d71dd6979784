//! Time spent on a case, as the console's forms send it: the reply box's time fields ride on a
//! reply ([`work_field`]), the case page's time form records time alone ([`WorkForm`]), and each
//! entry has a remove button ([`WorkDeleteForm`]). The fields are read into the API's
//! `WorkDraft`, so the same checks apply and a refused field is named as the API names it.

use casebook_domain::CaseNumber;
use casebook_domain::work::WorkDraft;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::actions::{ActionResult as Res, cases::work};
use crate::app::AppState;
use crate::web::case_page::CaseForm;
use crate::web::forms::{Typed, parse};
use crate::web::session::Viewer;

/// The time fields of a form, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WorkFields {
    /// Minutes spent.
    #[serde(default)]
    pub work_minutes: String,
    /// The activity's stable name.
    #[serde(default)]
    pub work_activity: String,
    /// Present when billable (a checkbox).
    #[serde(default)]
    pub work_billable: Option<String>,
    /// When it started, `YYYY-MM-DDTHH:MM` in the desk's time zone (blank: now).
    #[serde(default)]
    pub work_at: String,
}

impl WorkFields {
    /// The draft as the API takes it, or `None` when no minutes were typed. A time that is not a
    /// time is passed on as typed, so that the draft's parser names `worked_at`.
    pub fn json(&self, tz: &jiff::tz::TimeZone) -> Option<Value> {
        let minutes = self.work_minutes.trim();
        if minutes.is_empty() {
            return None;
        }
        let minutes = minutes
            .parse::<i64>()
            .map_or_else(|_| json!(minutes), |m| json!(m));
        let mut draft = json!({
            "minutes": minutes,
            "activity": self.work_activity.trim(),
            "billable": self.work_billable.is_some(),
        });
        let at = self.work_at.trim();
        if !at.is_empty() {
            let parsed = jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", at)
                .ok()
                .and_then(|t| t.to_zoned(tz.clone()).ok())
                .map(|z| z.timestamp().to_string());
            draft["worked_at"] = json!(parsed.unwrap_or_else(|| at.to_owned()));
        }
        Some(draft)
    }

    /// What was typed, to show it again.
    pub fn typed(&self, typed: &mut Typed) {
        typed.work_minutes = self.work_minutes.clone();
        typed.work_activity = self.work_activity.clone();
        typed.work_billable = self.work_billable.is_some();
        typed.work_at = self.work_at.clone();
    }
}

/// `POST /console/cases/{number}/work`: time alone, without a reply.
#[derive(Deserialize)]
pub struct WorkForm {
    #[serde(flatten)]
    fields: WorkFields,
    #[serde(default)]
    work_note: String,
}

impl CaseForm for WorkForm {
    const ACTION: &'static str = "work";

    fn typed(&self) -> Typed {
        let mut typed = Typed::default();
        self.fields.typed(&mut typed);
        typed.work_note = self.work_note.clone();
        typed
    }

    async fn apply(self, app: &AppState, viewer: &Viewer, number: CaseNumber) -> Res<()> {
        let tz = app.config.time_zone();
        let mut draft = self.fields.json(&tz).unwrap_or_else(
            || json!({"minutes": null, "activity": self.fields.work_activity.trim()}),
        );
        if !self.work_note.trim().is_empty() {
            draft["note"] = json!(self.work_note);
        }
        let draft = parse::<WorkDraft>(draft)?;
        work::add(app, &viewer.who, number, draft).await.map(|_| ())
    }
}

/// `POST /console/cases/{number}/work-delete`: removes one entry.
#[derive(Deserialize)]
pub struct WorkDeleteForm {
    id: i64,
}

impl CaseForm for WorkDeleteForm {
    const ACTION: &'static str = "work-delete";

    fn typed(&self) -> Typed {
        Typed::default()
    }

    async fn apply(self, app: &AppState, viewer: &Viewer, number: CaseNumber) -> Res<()> {
        work::delete(app, &viewer.who, number, self.id).await
    }
}
