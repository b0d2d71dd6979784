//! The console's dispatch form of the case page (a [`CaseForm`]): one engineer or none yet, the
//! planned arrival in the desk's time zone and the planned length, optionally one spare part line from a depot's stock, and
//! notes, read into the API's `VisitDraft`.

use casebook_domain::CaseNumber;
use casebook_domain::field::visit::VisitDraft;
use serde::Deserialize;
use serde_json::json;

use crate::actions::ActionResult as Res;
use crate::actions::field::visits;
use crate::app::AppState;
use crate::web::case_page::CaseForm;
use crate::web::forms::{Typed, parse};
use crate::web::session::Viewer;

/// A time typed in a `datetime-local` field, in the desk's zone, as the API takes it (what
/// does not parse is passed on, so the API names the field).
pub fn local_time(app: &AppState, typed: &str) -> String {
    let at = typed.trim();
    jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", at)
        .ok()
        .and_then(|t| t.to_zoned(app.config.time_zone()).ok())
        .map_or_else(|| at.to_owned(), |z| z.timestamp().to_string())
}

#[derive(Deserialize)]
pub struct DispatchForm {
    #[serde(default)]
    engineer: String,
    #[serde(default)]
    planned_arrival: String,
    /// `part_id:depot_id`, or empty.
    #[serde(default)]
    part: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    planned_minutes: String,
    #[serde(default)]
    notes: String,
}

/// `POST /console/cases/{number}/visit-dispatch`: dispatches a visit.
impl CaseForm for DispatchForm {
    const ACTION: &'static str = "visit-dispatch";

    fn typed(&self) -> Typed {
        Typed {
            visit: [
                self.planned_arrival.clone(),
                self.notes.clone(),
                self.planned_minutes.clone(),
            ],
            ..Typed::default()
        }
    }

    async fn apply(self, app: &AppState, viewer: &Viewer, number: CaseNumber) -> Res<()> {
        // Empty: the visit waits on the dispatch board for an engineer.
        let engineers = match self.engineer.trim() {
            "" => json!([]),
            e => json!([e.parse::<i64>().map_or_else(|_| json!(e), |e| json!(e))]),
        };
        let minutes = match self.planned_minutes.trim() {
            "" => json!(120),
            m => m.parse::<i64>().map_or_else(|_| json!(m), |m| json!(m)),
        };
        let mut parts = Vec::new();
        if let Some((part, depot)) = self.part.split_once(':') {
            let quantity = self
                .quantity
                .trim()
                .parse::<i64>()
                .map_or_else(|_| json!(self.quantity), |q| json!(q));
            parts.push(json!({"part_id": part.parse::<i64>().unwrap_or_default(),
                "depot_id": depot.parse::<i64>().unwrap_or_default(), "quantity": quantity}));
        }
        let draft = json!({"engineer_ids": engineers, "planned_arrival": local_time(app, &self.planned_arrival),
            "planned_minutes": minutes,
            "parts": parts, "notes": self.notes});
        let draft = parse::<VisitDraft>(draft)?;
        visits::dispatch(app, &viewer.who, number, draft)
            .await
            .map(|_| ())
    }
}
