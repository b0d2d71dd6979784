//! The case page both sides show, assembled once: the part they share (the case's header
//! fields, SLA clocks, the timeline with comments and attachments, the refusal and what was
//! typed) is a [`CaseView`], and the forms they share (the reply with files, a change of the
//! case sent as the API's patch) are handled here. Each side is a [`Side`]: its address, its
//! template with what only it shows (the console's internal notes, owner, tier and customer
//! context; the portal's closure confirmation and response promise), and whether its replies
//! may be internal notes. A form that changes the case is a [`CaseForm`] (what it applies,
//! what is shown again when refused), routed to [`change`]:
//!
//! ```ignore
//! .merge(case_page::form::<Console, EscalateForm>()) // POST /console/cases/{number}/escalate
//! ```

use std::marker::PhantomData;
use std::ops::Deref;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Multipart, Path, Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use casebook_domain::CaseNumber;
use casebook_domain::Named;
use casebook_domain::Status;
use casebook_domain::case::{Case, CasePatch};
use casebook_domain::links::{CaseLink, LinkRole};
use casebook_domain::policy::Visibility;
use casebook_domain::timeline::{CaseEvent, CommentDraft};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::actions::cases::sla::ClockView;
use crate::actions::field::{remote, visits};
use crate::actions::{ActionError, cases, cases::comments, cases::sla};
use crate::app::AppState;
use crate::web::case_work::WorkFields;
use crate::web::choices::first;
use crate::web::forms::{Typed, parse, read_checked, refusal};
use crate::web::page::{Ctx, render, render_status, user_html};
use crate::web::posted::{Checked, Person};
use crate::web::session::{Customer, Staff, Viewer, WebError, WebResult};
use casebook_domain::field::session::RemoteSession;
use casebook_domain::field::visit::Visit;

/// What both sides show of a case.
pub struct CaseView {
    /// Page context.
    pub ctx: Ctx,
    /// The case (header fields).
    pub case: Case,
    /// Its SLA clocks.
    pub clocks: Vec<ClockView>,
    /// Its timeline: comments, attachments, changes.
    pub events: Vec<CaseEvent>,
    /// The statuses the viewer may move it to.
    pub next_statuses: Vec<Status>,
    /// Why the last form was refused.
    pub errors: Vec<String>,
    /// What was typed in the refused form.
    pub typed: Typed,
    /// Its links to other cases the viewer may see.
    pub links: Vec<CaseLink>,
    /// The case the viewer asked for, merged into this one (a note says so).
    pub merged_from: Option<CaseNumber>,
    /// Its remote diagnosis sessions.
    pub remote: Vec<RemoteSession>,
    /// Whether the viewer may approve or decline them (an authorised contact).
    pub remote_approver: bool,
    /// Its on-site visits.
    pub visits: Vec<Visit>,
    /// Its fault-handling report, once written.
    pub fault: Option<casebook_domain::field::fault::FaultReport>,
}

impl CaseView {
    /// Reads the case as the viewer may see it.
    pub async fn load(
        app: &AppState,
        viewer: &Viewer,
        number: CaseNumber,
        errors: Vec<String>,
        typed: Typed,
    ) -> Result<CaseView, ActionError> {
        let who = &viewer.who;
        let case = cases::get(app, who, number).await?;
        let clocks = current_cycles(sla::of_case(app, who, number).await?.clocks);
        let events = comments::timeline(app, who, number, &first(200))
            .await?
            .items;
        let next_statuses = cases::next_statuses(app, who, &case);
        let links = cases::links::list(app, who, number).await?;
        let remote = remote::of_case(app, who, number).await?;
        let remote_approver = remote::may_approve(app, who, number).await?;
        let visits = visits::of_case(app, who, number).await?;
        let fault = match crate::actions::field::faults::of_case(app, who, number).await {
            Ok(report) => Some(report),
            Err(ActionError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        Ok(CaseView {
            ctx: viewer.ctx.clone(),
            case,
            clocks,
            events,
            next_statuses,
            errors,
            typed,
            links,
            merged_from: None,
            remote,
            remote_approver,
            visits,
            fault,
        })
    }

    /// Whether a session is waiting for, or open to, the customer's answer or revocation.
    pub fn remote_open(&self, session: &RemoteSession) -> bool {
        !session.state.is_final()
    }

    /// A comment's text as HTML.
    pub fn html(&self, text: &str) -> String {
        user_html(text)
    }

    /// The stable name of what a linked case is to this one (`duplicate_of` …).
    pub fn link_role(&self, link: &CaseLink) -> &'static str {
        link.role.as_str()
    }

    /// The kinds of link staff choose from (split links come from splitting a reply).
    pub fn link_roles(&self) -> Vec<&'static str> {
        LinkRole::ALL
            .iter()
            .filter(|r| r.to_store().is_ok())
            .map(|r| r.as_str())
            .collect()
    }

    /// Where this side's case pages are.
    pub fn case_base(&self) -> &'static str {
        if self.ctx.is_staff() {
            Staff::BASE
        } else {
            Customer::BASE
        }
    }

    /// Whether a timeline entry is an internal note.
    pub fn is_internal(&self, event: &CaseEvent) -> bool {
        event.visibility == Visibility::Internal
    }
}

/// Each metric's clock once, in its current (latest) cycle: an update interval starts a new
/// cycle at every reply, and its earlier cycles (met or breached) are history, not what is due.
fn current_cycles(clocks: Vec<ClockView>) -> Vec<ClockView> {
    let mut shown: Vec<ClockView> = Vec::with_capacity(clocks.len());
    for clock in clocks {
        match shown.iter_mut().find(|c| c.metric == clock.metric) {
            Some(seen) if seen.cycle < clock.cycle => *seen = clock,
            Some(_) => {}
            None => shown.push(clock),
        }
    }
    shown
}

/// Lets a side's page (a struct with the shared part in `view`) show what both sides show as
/// its own: its template reads `case`, `events`, `html(…)` … through it.
macro_rules! around_view {
    ($page:ty) => {
        impl std::ops::Deref for $page {
            type Target = $crate::web::case_page::CaseView;

            fn deref(&self) -> &Self::Target {
                &self.view
            }
        }
    };
}
pub(crate) use around_view;

/// Who may see one side's case pages: staff the console's, customers the portal's.
pub trait Signed: Person {
    /// Where the case pages are.
    const BASE: &'static str;
    /// Whether replies may be internal notes.
    const NOTES: bool;

    /// The viewer behind who it is.
    fn into_viewer(self) -> Viewer;
}

impl Signed for Staff {
    const BASE: &'static str = "/console/cases";
    const NOTES: bool = true;

    fn into_viewer(self) -> Viewer {
        self.0
    }
}

impl Signed for Customer {
    const BASE: &'static str = "/portal/cases";
    const NOTES: bool = false;

    fn into_viewer(self) -> Viewer {
        self.0
    }
}

/// One side's case page.
pub trait Side: Send + Sync + 'static {
    /// Who may see it.
    type Who: Signed;
    /// Its page, around what both show.
    type Page: Template + Deref<Target = CaseView> + Send;

    /// Adds what only this side shows; `opened` when the case was just opened.
    fn page(
        app: &AppState,
        viewer: &Viewer,
        view: CaseView,
        opened: bool,
    ) -> impl Future<Output = Result<Self::Page, ActionError>> + Send;
}

/// The case an address names (`…/cases/{number}/…`) and who looks at it from side `S`.
pub struct CaseOf<S>(pub Viewer, pub CaseNumber, PhantomData<S>);

impl<S: Side> FromRequestParts<AppState> for CaseOf<S> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, WebError> {
        let viewer = S::Who::from_request_parts(parts, app).await?.into_viewer();
        let raw =
            <Path<String> as FromRequestParts<AppState>>::from_request_parts(parts, app).await;
        let Ok(Path(raw)) = raw else {
            return Err(viewer.not_found());
        };
        let number = viewer.case_number(&raw)?;
        Ok(CaseOf(viewer, number, PhantomData))
    }
}

/// A form posted from the case page that changes the case.
pub trait CaseForm: DeserializeOwned + Send + 'static {
    /// Where it posts, below the case's address (`…/cases/{number}/{ACTION}`).
    const ACTION: &'static str;

    /// What was typed, shown again when the change is refused.
    fn typed(&self) -> Typed;

    /// Makes the change.
    fn apply(
        self,
        app: &AppState,
        viewer: &Viewer,
        number: CaseNumber,
    ) -> impl Future<Output = Result<(), ActionError>> + Send;
}

/// The page of a case, with the refusal and what was typed.
async fn page<S: Side>(
    app: &AppState,
    viewer: &Viewer,
    number: CaseNumber,
    errors: Vec<String>,
    typed: Typed,
) -> WebResult<S::Page> {
    let view = CaseView::load(app, viewer, number, errors, typed)
        .await
        .map_err(|e| viewer.fail(e))?;
    let page = S::page(app, viewer, view, false).await;
    page.map_err(|e| viewer.fail(e))
}

/// Shows the case again with the refusal and the text that was typed, so nothing is lost.
pub async fn refused<S: Side>(
    app: &AppState,
    viewer: &Viewer,
    number: CaseNumber,
    err: ActionError,
    typed: Typed,
) -> WebResult<Response> {
    let (status, errors) = refusal(viewer, err)?;
    let page = page::<S>(app, viewer, number, errors, typed).await?;
    Ok(render_status(status, &page))
}

/// Shows the case with text put into the reply box (a reply template inserted), nothing sent.
pub async fn with_typed<S: Side>(
    app: &AppState,
    viewer: &Viewer,
    number: CaseNumber,
    typed: Typed,
) -> WebResult<Response> {
    let page = page::<S>(app, viewer, number, Vec::new(), typed).await?;
    Ok(render(&page))
}

/// Goes to `to` (below the case's address) when done; shows the case again with the refusal
/// and what was typed when not.
async fn done<S: Side>(
    app: &AppState,
    viewer: &Viewer,
    number: CaseNumber,
    result: Result<(), ActionError>,
    to: &str,
    typed: Typed,
) -> WebResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("{}/{number}{to}", S::Who::BASE)).into_response()),
        Err(err) => refused::<S>(app, viewer, number, err, typed).await,
    }
}

/// Changes the case with a patch as the API takes it.
pub async fn update(
    app: &AppState,
    viewer: &Viewer,
    number: CaseNumber,
    patch: Value,
) -> Result<(), ActionError> {
    let patch = parse::<CasePatch>(patch)?;
    cases::update(app, &viewer.who, number, patch, None)
        .await
        .map(|_| ())
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    opened: Option<String>,
    /// The merged case whose address led here.
    merged: Option<String>,
}

/// The routes both sides have: the case page and its reply.
pub fn routes<S: Side>() -> Router<AppState> {
    let base = S::Who::BASE;
    Router::new()
        .route(&format!("{base}/{{number}}"), get(show::<S>))
        .route(&format!("{base}/{{number}}/reply"), post(reply::<S>))
}

/// The route of a form that changes the case.
pub fn form<S: Side, F: CaseForm>() -> Router<AppState> {
    let path = format!("{}/{{number}}/{}", S::Who::BASE, F::ACTION);
    Router::new().route(&path, post(change::<S, F>))
}

/// `GET …/cases/{number}` (`?opened` when the case was just opened); a merged case's page
/// leads to the case it was merged into (`?merged=` its number, for the note).
pub async fn show<S: Side>(
    State(app): State<AppState>,
    CaseOf(viewer, number, _): CaseOf<S>,
    Query(q): Query<ShowQuery>,
) -> WebResult<Response> {
    let mut view = CaseView::load(&app, &viewer, number, Vec::new(), Typed::default())
        .await
        .map_err(|e| viewer.fail(e))?;
    // The number of a case merged into another still leads somewhere: to the survivor, with a note.
    if let Some(into) = view.case.merged_into {
        let to = format!("{}/{into}?merged={number}", S::Who::BASE);
        return Ok(Redirect::to(&to).into_response());
    }
    view.merged_from = q.merged.and_then(|m| m.parse().ok());
    let page = S::page(&app, &viewer, view, q.opened.is_some()).await;
    Ok(render(&page.map_err(|e| viewer.fail(e))?))
}

/// `POST …/cases/{number}/reply`: a reply with files (on the console, an internal note when
/// so chosen).
pub async fn reply<S: Side>(
    State(app): State<AppState>,
    CaseOf(viewer, number, _): CaseOf<S>,
    multipart: Multipart,
) -> WebResult<Response> {
    let names: &[&str] = if S::Who::NOTES {
        &[
            "body",
            "visibility",
            "work_minutes",
            "work_activity",
            "work_billable",
            "work_at",
        ]
    } else {
        &["body"]
    };
    let (mut form, refusal) = read_checked(&viewer, &app, multipart, names).await?;
    let body = form.text("body").unwrap_or_default().to_owned();
    let internal = S::Who::NOTES && form.text("visibility") == Some("internal");
    let text = |name: &str| form.text(name).unwrap_or_default().to_owned();
    let work = WorkFields {
        work_minutes: text("work_minutes"),
        work_activity: text("work_activity"),
        work_billable: form.text("work_billable").map(str::to_owned),
        work_at: text("work_at"),
    };
    let mut typed = Typed {
        body: body.clone(),
        internal,
        ..Typed::default()
    };
    work.typed(&mut typed);
    if let Some(err) = refusal {
        return refused::<S>(&app, &viewer, number, err, typed).await;
    }
    let draft = if S::Who::NOTES {
        let visibility = if internal { "internal" } else { "public" };
        let mut draft = json!({"body": body, "visibility": visibility});
        if let Some(work) = work.json(&app.config.time_zone()) {
            draft["work"] = work;
        }
        draft
    } else {
        json!({"body": body})
    };
    let result = match parse::<CommentDraft>(draft) {
        Ok(draft) => {
            let files = std::mem::take(&mut form.files);
            comments::add_or_attach(&app, &viewer.who, number, draft, files, None).await
        }
        Err(err) => Err(err),
    };
    done::<S>(&app, &viewer, number, result, "#timeline", typed).await
}

/// `POST` of a form that changes the case (status, escalation, entitlement …): back to the
/// case when done, the case again with the refusal when not.
pub async fn change<S: Side, F: CaseForm>(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    Checked(who, form): Checked<S::Who, F>,
) -> WebResult<Response> {
    let viewer = who.into_viewer();
    let number = viewer.case_number(&raw)?;
    let typed = form.typed();
    let result = form.apply(&app, &viewer, number).await;
    done::<S>(&app, &viewer, number, result, "", typed).await
}

/// What was typed as the reason of a change, to show it again.
pub fn reason(reason: impl Into<String>) -> Typed {
    Typed {
        reason: reason.into(),
        ..Typed::default()
    }
}
