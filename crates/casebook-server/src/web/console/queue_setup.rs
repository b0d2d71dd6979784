//! `POST /console/queue/setup`: the columns and density an engineer chose for the queue, saved
//! for them; back to the queue they came from, or the form's refusal.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use crate::actions::accounts::queue_prefs;
use crate::app::AppState;
use crate::web::forms::typed_value;
use crate::web::posted::Checked;
use crate::web::session::{Staff, WebResult};

/// Saves the set-up and returns to the queue.
pub async fn save(
    State(app): State<AppState>,
    Checked(Staff(viewer), values): Checked<Staff, Vec<(String, String)>>,
) -> WebResult<Response> {
    let columns: Vec<String> = values
        .iter()
        .filter(|(name, _)| name == "column")
        .map(|(_, value)| value.clone())
        .collect();
    let density = typed_value(&values, "density");
    queue_prefs::save(&app, &viewer.who, &columns, &density)
        .await
        .map_err(|e| viewer.fail(e))?;
    let back = typed_value(&values, "back");
    // Only a query string of the queue page goes back: never another address.
    let back = back.replace(['/', '\\', ':'], "");
    Ok(Redirect::to(&format!("/console?{back}")).into_response())
}
