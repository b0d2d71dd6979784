//! The portal's case list and case page: replies with files, accepting or rejecting a proposed
//! solution (closure confirmation), reopening within the allowed days.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use casebook_domain::Named;
use casebook_domain::case::Case;
use casebook_store::PageRequest;
use casebook_store::case_list::CaseFilter;
use serde::Deserialize;

use crate::actions::{ActionResult as Res, cases};
use crate::app::AppState;
use crate::web::case_page::{CaseView, Side, around_view};
use crate::web::page::{Ctx, render};
use crate::web::session::{Customer, Viewer, WebResult};

#[derive(Template)]
#[template(path = "portal/list.html")]
struct ListPage {
    ctx: Ctx,
    cases: Vec<Case>,
    next: Option<String>,
    show_closed: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
    closed: Option<String>,
}

/// `GET /portal`.
pub async fn list(
    State(app): State<AppState>,
    Customer(viewer): Customer,
    Query(q): Query<ListQuery>,
) -> WebResult<Response> {
    let show_closed = q.closed.is_some();
    let filter = if show_closed {
        CaseFilter::default()
    } else {
        CaseFilter {
            statuses: crate::web::console::queue::OPEN.to_vec(),
            ..CaseFilter::default()
        }
    };
    let page = cases::list(
        &app,
        &viewer.who,
        filter,
        &PageRequest {
            limit: Some(50),
            cursor: q.cursor,
        },
    )
    .await
    .map_err(|e| viewer.fail(e))?;
    Ok(render(&ListPage {
        ctx: viewer.ctx,
        cases: page.items,
        next: page.next_cursor,
        show_closed,
    }))
}

#[derive(Template)]
#[template(path = "portal/case.html")]
pub struct CasePage {
    view: CaseView,
    just_opened: bool,
}

around_view!(CasePage);

impl CasePage {
    fn may(&self, status: &str) -> bool {
        self.next_statuses
            .iter()
            .any(|s| casebook_domain::Named::as_str(*s) == status)
    }

    /// When the customer will hear back: the initial response deadline while it runs.
    fn promise(&self) -> Option<jiff::Timestamp> {
        self.clocks
            .iter()
            .find(|c| {
                c.metric == casebook_domain::sla::plan::Metric::InitialResponse
                    && c.state == casebook_domain::sla::clock::ClockState::Running
            })
            .and_then(|c| c.deadline)
    }
}

/// The portal's side of the case page: public replies only, closure confirmation and the
/// response promise.
pub struct Portal;

impl Side for Portal {
    type Who = Customer;
    type Page = CasePage;

    async fn page(_: &AppState, _: &Viewer, view: CaseView, opened: bool) -> Res<CasePage> {
        Ok(CasePage {
            view,
            just_opened: opened,
        })
    }
}
