//! The dispatch board, `/console/dispatch?from=YYYY-MM-DD&days=1|7`: one row per engineer and
//! one column per day (the desk's days), visits not yet assigned first with a form that
//! assigns an engineer, overlapping visits of one engineer marked. Earlier and later move by
//! the period shown.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use casebook_domain::field::board::{Board, BoardVisit};
use casebook_domain::field::visit::Assignment;
use casebook_domain::users::User;
use casebook_domain::{Named, Timestamp};
use casebook_store::users::UserFilter;
use jiff::civil::Date;
use serde::Deserialize;
use serde_json::json;

use super::choices::first;
use super::forms::{parse, refusal, typed_value};
use super::page::{Ctx, render, render_status};
use super::posted::Checked;
use super::session::{Staff, Viewer, WebResult};
use crate::actions::ActionError;
use crate::actions::accounts::users;
use crate::actions::field::board;
use crate::app::AppState;

#[derive(Template)]
#[template(path = "console/dispatch_board.html")]
struct BoardPage {
    ctx: Ctx,
    board: Board,
    from: Date,
    days: i64,
    staff: Vec<User>,
    errors: Vec<String>,
}

impl BoardPage {
    /// The days shown.
    fn dates(&self) -> Vec<Date> {
        (0..self.days)
            .filter_map(|i| self.from.checked_add(jiff::Span::new().days(i)).ok())
            .collect()
    }

    /// The visits of a row on one day.
    fn on<'a>(&self, visits: &'a [BoardVisit], day: &Date) -> Vec<&'a BoardVisit> {
        visits
            .iter()
            .filter(|v| self.day_of(v.planned_arrival) == *day)
            .collect()
    }

    fn day_of(&self, at: Timestamp) -> Date {
        at.to_zoned(self.ctx.tz.clone()).date()
    }

    /// The link to the period `steps` periods away.
    fn moved(&self, steps: i64) -> String {
        let to = self
            .from
            .checked_add(jiff::Span::new().days(steps * self.days))
            .unwrap_or(self.from);
        format!("/console/dispatch?from={to}&days={}", self.days)
    }

    fn state(&self, v: &BoardVisit) -> String {
        self.ctx.t(&format!("visit-state-{}", v.state.as_str()))
    }
}

#[derive(Deserialize)]
struct BoardQuery {
    from: Option<String>,
    days: Option<String>,
}

async fn page(
    app: &AppState,
    viewer: &Viewer,
    q: &BoardQuery,
    errors: Vec<String>,
) -> Result<BoardPage, ActionError> {
    let today = app.clock.now().to_zoned(app.config.time_zone()).date();
    let from = q
        .from
        .as_deref()
        .and_then(|d| d.parse::<Date>().ok())
        .unwrap_or(today);
    let days = match q.days.as_deref() {
        Some("1") => 1,
        _ => 7,
    };
    let board = board::board(app, &viewer.who, from, days).await?;
    let filter = UserFilter {
        staff: Some(true),
        ..UserFilter::default()
    };
    let staff = users::list(app, &viewer.who, filter, &first(200))
        .await?
        .items;
    Ok(BoardPage {
        ctx: viewer.ctx.clone(),
        board,
        from,
        days,
        staff,
        errors,
    })
}

async fn show(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Query(q): Query<BoardQuery>,
) -> WebResult<Response> {
    let page = page(&app, &viewer, &q, Vec::new())
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render(&page))
}

/// Assigns the engineer chosen on the board to a visit.
async fn assign(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(Staff(viewer), values): Checked<Staff, Vec<(String, String)>>,
) -> WebResult<Response> {
    let engineer = typed_value(&values, "engineer");
    let request = parse::<Assignment>(json!({
        "engineer_ids": [engineer.trim().parse::<i64>().map_or_else(|_| json!(engineer), |e| json!(e))],
        "version": typed_value(&values, "version").parse::<i64>().ok()}));
    let result = match request {
        Ok(r) => board::assign(&app, &viewer.who, id, r).await.map(|_| ()),
        Err(e) => Err(e),
    };
    let q = BoardQuery {
        from: Some(typed_value(&values, "from")).filter(|s| !s.is_empty()),
        days: Some(typed_value(&values, "days")).filter(|s| !s.is_empty()),
    };
    match result {
        Ok(()) => {
            // Back to the period shown, read again: nothing typed reaches the header as is.
            let from = q.from.as_deref().and_then(|d| d.parse::<Date>().ok());
            let days = if q.days.as_deref() == Some("1") { 1 } else { 7 };
            let to = match from {
                Some(from) => format!("/console/dispatch?from={from}&days={days}"),
                None => format!("/console/dispatch?days={days}"),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(err) => {
            let (status, errors) = refusal(&viewer, err)?;
            let page = page(&app, &viewer, &q, errors)
                .await
                .map_err(|e| viewer.fail(e))?;
            Ok(render_status(status, &page))
        }
    }
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/dispatch", get(show))
        .route("/console/visits/{id}/assign", post(assign))
}
