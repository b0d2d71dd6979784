//! The page of what a contract has used of its bank of hours and incidents, by month, with the
//! cases a month's billable time went to. One page for both sides: staff reach it from the
//! console's contract (`/console/contracts/{id}/usage`), the customer's administrators from the
//! portal's contracts (`/portal/contracts/{id}/usage`); other customers are refused, and
//! another organisation's contract does not exist for them.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use casebook_domain::ids::ContractId;
use casebook_domain::work::CaseMinutes;
use casebook_domain::work::{ContractUsage, hours_text};
use serde::Deserialize;

use crate::actions::contracts::usage;
use crate::app::AppState;
use crate::web::page::{Ctx, render};
use crate::web::posted::Person;
use crate::web::session::{Customer, Staff, Viewer, WebResult};

#[derive(Template)]
#[template(path = "usage.html")]
struct UsagePage {
    ctx: Ctx,
    usage: ContractUsage,
    /// The month whose cases are shown, `YYYY-MM`.
    month: Option<String>,
    cases: Vec<CaseMinutes>,
    /// Where this side's usage pages and case pages are.
    base: &'static str,
    cases_base: &'static str,
}

impl UsagePage {
    fn hours(&self, minutes: &i64) -> String {
        hours_text(*minutes)
    }

    /// The share of the bank used, in percent (for the meter), capped at 100.
    fn percent_used(&self) -> i64 {
        match self.usage.hours {
            Some(h) if h > 0 => (self.usage.minutes_used * 100 / (h * 60)).min(100),
            _ => 0,
        }
    }

    fn hours_line(&self, included: &i64) -> String {
        self.ctx.tn(
            "usage-hours-line",
            &[
                ("used", hours_text(self.usage.minutes_used)),
                ("included", included.to_string()),
            ],
        )
    }

    fn incidents_line(&self, included: &i64) -> String {
        self.ctx.tn(
            "usage-incidents-line",
            &[
                ("used", self.usage.incidents_used.to_string()),
                ("included", included.to_string()),
            ],
        )
    }

    fn overdrawn(&self) -> bool {
        self.usage.minutes_remaining.is_some_and(|m| m < 0)
    }

    fn remaining(&self) -> String {
        hours_text(self.usage.minutes_remaining.unwrap_or_default().abs())
    }

    fn is_month(&self, month: &str) -> bool {
        self.month.as_deref() == Some(month)
    }
}

#[derive(Debug, Default, Deserialize)]
struct MonthQuery {
    month: Option<String>,
}

/// The routes of both sides.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/contracts/{id}/usage", get(show::<Staff>))
        .route("/portal/contracts/{id}/usage", get(show::<Customer>))
}

/// `GET …/contracts/{id}/usage?month=YYYY-MM` (default: the latest month with usage).
async fn show<W: Person>(
    State(app): State<AppState>,
    who: W,
    Path(id): Path<i64>,
    Query(q): Query<MonthQuery>,
) -> WebResult<Response> {
    let viewer: &Viewer = who.viewer();
    let id = ContractId::new(id);
    let usage = usage::of_contract(&app, &viewer.who, id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let month = q
        .month
        .filter(|m| !m.is_empty())
        .or_else(|| usage.months.last().map(|m| m.month.clone()));
    let cases = match &month {
        Some(m) => usage::cases_of_month(&app, &viewer.who, id, m)
            .await
            .map_err(|e| viewer.fail(e))?,
        None => Vec::new(),
    };
    let staff = viewer.who.is_staff();
    Ok(render(&UsagePage {
        ctx: viewer.ctx.clone(),
        usage,
        month,
        cases,
        base: if staff { "/console" } else { "/portal" },
        cases_base: if staff {
            "/console/cases"
        } else {
            "/portal/cases"
        },
    }))
}
