//! The portal's case list and case page: replies with files, accepting or rejecting a proposed
//! solution (closure confirmation), reopening within the allowed days.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use casebook_domain::Named;
use casebook_domain::case::{Case, CasePatch};
use casebook_domain::timeline::{CaseEvent, CommentDraft};
use casebook_domain::{CaseNumber, Status};
use casebook_store::PageRequest;
use casebook_store::case_list::CaseFilter;
use serde::Deserialize;
use serde_json::json;

use crate::actions::cases::sla::ClockView;
use crate::actions::{ActionError, cases, cases::comments, cases::sla};
use crate::app::AppState;
use crate::web::forms::{Typed, opt, parse, read_checked, refusal};
use crate::web::page::{Ctx, render, render_status, user_html};
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
struct CasePage {
    ctx: Ctx,
    case: Case,
    clocks: Vec<ClockView>,
    events: Vec<CaseEvent>,
    next_statuses: Vec<Status>,
    errors: Vec<String>,
    typed: Typed,
    just_opened: bool,
}

impl CasePage {
    fn html(&self, text: &str) -> String {
        user_html(text)
    }

    fn is_internal(&self, event: &CaseEvent) -> bool {
        event.visibility == casebook_domain::policy::Visibility::Internal
    }

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

async fn page(
    app: &AppState,
    viewer: &Viewer,
    number: CaseNumber,
    errors: Vec<String>,
    typed: Typed,
    just_opened: bool,
) -> Result<CasePage, ActionError> {
    let who = &viewer.who;
    let case = cases::get(app, who, number).await?;
    let clocks = sla::of_case(app, who, number).await?.clocks;
    let events = comments::timeline(
        app,
        who,
        number,
        &PageRequest {
            limit: Some(200),
            cursor: None,
        },
    )
    .await?
    .items;
    let next_statuses = cases::next_statuses(app, who, &case);
    Ok(CasePage {
        ctx: viewer.ctx.clone(),
        case,
        clocks,
        events,
        next_statuses,
        errors,
        typed,
        just_opened,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    opened: Option<String>,
}

/// `GET /portal/cases/{number}`.
pub async fn show(
    State(app): State<AppState>,
    Customer(viewer): Customer,
    Path(raw): Path<String>,
    Query(q): Query<ShowQuery>,
) -> WebResult<Response> {
    let number = viewer.case_number(&raw)?;
    let page = page(
        &app,
        &viewer,
        number,
        Vec::new(),
        Typed::default(),
        q.opened.is_some(),
    )
    .await
    .map_err(|e| viewer.fail(e))?;
    Ok(render(&page))
}

async fn refused(
    app: &AppState,
    viewer: &Viewer,
    number: CaseNumber,
    err: ActionError,
    typed: Typed,
) -> WebResult<Response> {
    let (status, errors) = refusal(viewer, err)?;
    let page = page(app, viewer, number, errors, typed, false)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render_status(status, &page))
}

/// `POST /portal/cases/{number}/reply`.
pub async fn reply(
    State(app): State<AppState>,
    Customer(viewer): Customer,
    Path(raw): Path<String>,
    multipart: Multipart,
) -> WebResult<Response> {
    let number = viewer.case_number(&raw)?;
    let (mut form, refusal) = read_checked(&viewer, &app, multipart, &["body"]).await?;
    let body = form.text("body").unwrap_or_default().to_owned();
    if let Some(err) = refusal {
        return refused(
            &app,
            &viewer,
            number,
            err,
            Typed {
                body,
                ..Typed::default()
            },
        )
        .await;
    }
    let result = match parse::<CommentDraft>(json!({"body": body})) {
        Ok(draft) => {
            comments::add_or_attach(
                &app,
                &viewer.who,
                number,
                draft,
                std::mem::take(&mut form.files),
                None,
            )
            .await
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/portal/cases/{number}#timeline")).into_response()),
        Err(err) => {
            refused(
                &app,
                &viewer,
                number,
                err,
                Typed {
                    body,
                    ..Typed::default()
                },
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    version: Option<i64>,
    status: String,
    reason: Option<String>,
}

/// `POST /portal/cases/{number}/status`: accept (closed) or reject (in progress) a proposed
/// solution, reopen or cancel, as the lifecycle allows the customer.
pub async fn status(
    State(app): State<AppState>,
    Customer(viewer): Customer,
    Path(raw): Path<String>,
    Form(form): Form<StatusForm>,
) -> WebResult<Response> {
    viewer.check_csrf(Some(&form.csrf))?;
    let number = viewer.case_number(&raw)?;
    let reason = form.reason.clone().unwrap_or_default();
    let result = match parse::<CasePatch>(
        json!({"version": form.version, "status": form.status, "reason": opt(form.reason.as_deref())}),
    ) {
        Ok(patch) => cases::update(&app, &viewer.who, number, patch, None)
            .await
            .map(|_| ()),
        Err(err) => Err(err),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/portal/cases/{number}")).into_response()),
        Err(err) => {
            refused(
                &app,
                &viewer,
                number,
                err,
                Typed {
                    reason,
                    ..Typed::default()
                },
            )
            .await
        }
    }
}
